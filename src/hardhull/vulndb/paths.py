"""Where the vulnerability database lives by default: the user cache directory
(``platformdirs``), overridable with ``HARDHULL_DB`` or ``--db``."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DB_ENV = "HARDHULL_DB"
DB_FILENAME = "vulndb.sqlite"


def default_db_path() -> Path:
    """``$HARDHULL_DB`` or ``<user cache dir>/hardhull/vulndb.sqlite``."""
    override = os.environ.get(DB_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("hardhull", appauthor=False)) / DB_FILENAME
