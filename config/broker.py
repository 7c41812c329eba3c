"""The Redis broker transport, made to survive the broker going away (README, Architecture).

Celery 5.7 with kombu 5.7 (and their main branches, December 2026) crash a worker that loses
Redis while it holds unacknowledged messages (a task running under late acks, or one waiting
for its countdown): on the connection error the consumer first collects the connection, which
drops the transport's client, then closes it, and closing the channel tries to hand the
unacknowledged messages back (`restore_unacked`), which needs the client's URL:
`AttributeError: 'NoneType' object has no attribute 'hostname'`, "Unrecoverable error", and the
worker exits. This channel remembers the URL it connected with, so closing it hands the
messages back when Redis is there again, or fails with a connection error (which the consumer
ignores, then reconnects) while it is not; messages it could not hand back stay in Redis's
unacknowledged set and are delivered again after the visibility timeout. Either way nothing is
lost: every task's work is a database row that the sweeps re-queue, and doing it twice is
harmless. tests/test_faults.py runs a real worker against a Redis it stops and starts.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis


class Channel(redis.Channel):
    _last_connparams: dict[str, Any] | None = None

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None and self._last_connparams is not None:
            # Collected before being closed (see the module docstring): the URL it had.
            return dict(self._last_connparams)
        params: dict[str, Any] = super()._connparams(asynchronous=asynchronous)
        if not asynchronous:
            self._last_connparams = dict(params)
        return params


class Transport(redis.Transport):
    Channel = Channel
