"""A slow SMS provider for the worker-kill drill: it records when a send starts, waits, then records the send."""

import os
import time
from pathlib import Path


class SlowFileSmsBackend:
    """Writes ``start <phone>`` to ``STRESS_SMS_LOG``, sleeps ``STRESS_SMS_SECONDS`` (the window in which the drill
    kills the worker), then writes ``sent <phone> <text>``."""

    def send(self, phone: str, message: str) -> None:
        log = Path(os.environ["STRESS_SMS_LOG"])
        with log.open("a") as out:
            out.write(f"start {phone}\n")
        time.sleep(float(os.environ.get("STRESS_SMS_SECONDS", "4")))
        with log.open("a") as out:
            out.write(f"sent {phone} {message}\n")
