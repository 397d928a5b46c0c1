"""Pause Python's cyclic garbage collector around allocation-heavy, cycle-free phases.

Loading 10,000 manifests builds millions of dicts, lists and strings, and the checks
allocate findings by the hundred thousand; none of it forms reference cycles, so
reference counting frees everything, yet the collector keeps walking the ever-growing
young and old generations. On ``bench/posture`` (10,000 workloads) the collector was
about a quarter of the YAML load and a third of the checks' CPU time (measured with
``gc.disable()``; ``gc.freeze()`` alone recovered little). The previous state is
restored on exit, also when the phase raises.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the ``with`` block, then restore its state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


__all__ = ["gc_paused"]
