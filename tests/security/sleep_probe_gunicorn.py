"""gunicorn settings for tests/security/test_stalls.py: the real config/gunicorn.py, plus a
probe that writes every time.sleep a worker makes (its seconds and the casework frames that
called it) to the file named by SLEEP_PROBE_FILE."""

import os
import time
import traceback

from config.gunicorn import *  # noqa: F403


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    real_sleep = time.sleep
    path = os.environ["SLEEP_PROBE_FILE"]

    def recorded_sleep(seconds: float) -> None:
        frames = [f"{frame.filename}:{frame.lineno}" for frame in traceback.extract_stack()[:-1]]
        with open(path, "a") as probe:
            probe.write(f"slept {seconds} s from {' < '.join(reversed(frames[-6:]))}\n")
        real_sleep(seconds)

    time.sleep = recorded_sleep
