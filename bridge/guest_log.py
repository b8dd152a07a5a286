"""Rate-limited logging for events a guest or a front end can trigger at will (a malformed
chain, an unknown session): the first `burst` of each interval are logged as usual, the rest
only counted, and the count is reported once when the next interval begins. A guest that
sends a million bad chains costs a few log lines, not a million."""
from __future__ import annotations

import logging
import time


class GuestLog:
    def __init__(self, logger: logging.Logger, burst: int = 10, interval: float = 10.0, clock=time.monotonic):
        self.log, self.burst, self.interval, self.clock = logger, burst, interval, clock
        self.window_start = -interval
        self.in_window = 0
        self.suppressed = 0          # in the current window
        self.suppressed_total = 0

    def info(self, msg: str, *args) -> None:
        self._emit(logging.INFO, msg, args)

    def warning(self, msg: str, *args) -> None:
        self._emit(logging.WARNING, msg, args)

    def error(self, msg: str, *args) -> None:
        self._emit(logging.ERROR, msg, args)

    def _emit(self, level: int, msg: str, args: tuple) -> None:
        now = self.clock()
        if now - self.window_start >= self.interval:
            if self.suppressed:
                self.log.warning("%d more guest-triggered messages suppressed in the last %.0f s",
                                 self.suppressed, now - self.window_start)
            self.window_start, self.in_window, self.suppressed = now, 0, 0
        if self.in_window < self.burst:
            self.in_window += 1
            self.log.log(level, msg, *args)
        else:
            self.suppressed += 1
            self.suppressed_total += 1
