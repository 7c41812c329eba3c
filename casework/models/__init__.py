"""Models of the Casework domain; one module per area."""

from casework.models.system import Heartbeat

__all__ = ["Heartbeat"]
