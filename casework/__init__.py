"""Casework: case management for families of servicemen and released prisoners of war."""
