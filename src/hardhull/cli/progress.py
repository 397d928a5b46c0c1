"""Rich progress bars for long work, drawn on stderr only when it is a terminal."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from hardhull.sources.base import NullProgress, Progress


class _RichProgress:
    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._tasks: dict[str, object] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> _RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def start(self, key: str, label: str, total: int | None) -> None:
        with self._lock:
            self._tasks[key] = self._bar.add_task(label, total=total)

    def advance(self, key: str, nbytes: int) -> None:
        task = self._tasks.get(key)
        if task is not None:
            self._bar.advance(task, nbytes)  # type: ignore[arg-type]

    def finish(self, key: str) -> None:
        with self._lock:
            task = self._tasks.pop(key, None)
        if task is not None:
            self._bar.remove_task(task)  # type: ignore[arg-type]


@contextmanager
def cli_progress(enabled: bool = True) -> Iterator[Progress]:
    """A rich progress sink when stderr is a terminal, otherwise a silent one."""
    if not enabled or not sys.stderr.isatty():
        yield NullProgress()
        return
    with _RichProgress() as bar:
        yield bar
