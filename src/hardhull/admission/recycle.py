"""Worker side of worker recycling: count requests, sample the resident memory, and ask
the supervisor (:mod:`hardhull.admission.prefork`) once for a replacement when either
passes its bound."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

log = logging.getLogger("hardhull.admission")

SAMPLE_EVERY = 256  # requests between two reads of /proc/self/statm (about 5 us each)
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """This process's resident set size (0 where /proc is not available)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


class Recycler:
    """Call :meth:`tick` once per request; ``ask`` is called at most once."""

    def __init__(self, max_requests: int, max_rss_mb: int, ask: Callable[[], None]) -> None:
        self.max_requests = max_requests
        self.max_rss = max_rss_mb * 1024 * 1024
        self.ask = ask
        self.requests = 0
        self.asked = False

    def tick(self) -> None:
        """Count one request; ask for a replacement when a bound is passed."""
        self.requests += 1
        if self.asked:
            return
        reason = ""
        if self.max_requests and self.requests >= self.max_requests:
            reason = f"{self.requests} requests served"
        elif self.max_rss and self.requests % SAMPLE_EVERY == 0:
            rss = rss_bytes()
            if rss > self.max_rss:
                reason = f"resident memory {rss >> 20} MiB > {self.max_rss >> 20} MiB"
        if reason:
            self.asked = True
            log.info("admission worker %d asks to be replaced: %s", os.getpid(), reason)
            self.ask()
