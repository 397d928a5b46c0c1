"""Errors of the vulnerability database, its importers and its updater."""

from __future__ import annotations

from hardhull.errors import HardhullError

#: What to tell a user whose database cannot be used.
REBUILD_HINT = "run 'hardhull db update', or 'hardhull db import PATH' offline"


class DatabaseError(HardhullError):
    """The database is missing, corrupt, or of another schema version."""


class FeedError(HardhullError):
    """An advisory file, archive or feed is entirely unusable."""


class DownloadError(FeedError):
    """A download failed, was cut short, or served something that is not the feed."""
