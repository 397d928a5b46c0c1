"""Where the shared real data lives: ``../shared/data`` next to the checkout.

``$HARDHULL_SHARED`` (the folder that holds ``data/``) overrides; a clone made elsewhere
(``/tmp/clone``) falls back to the workplace's ``/work/shared``.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _shared() -> Path:
    env = os.environ.get("HARDHULL_SHARED")
    if env:
        return Path(env)
    for candidate in (ROOT.parent / "shared", Path("/work/shared")):
        if (candidate / "data").is_dir():
            return candidate
    return ROOT.parent / "shared"


SHARED = _shared()
ADVISORIES = SHARED / "data" / "advisories"
