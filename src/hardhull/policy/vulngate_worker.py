"""One on-demand scan, run as ``python -m hardhull.policy.vulngate_worker``.

The job is one JSON object on stdin: ``target`` (a scan TARGET such as
``registry:HOST/REPO:TAG``), ``insecure``, ``db`` and ``docker_config`` (paths or null),
``tmp`` and ``out`` (the report's temporary and final paths, in the same directory).
The report is exactly what ``hardhull scan image TARGET --format json`` writes; it is
written to ``tmp``, flushed, and renamed to ``out``, so readers of the directory never
see a partial report. On failure the one-line reason goes to stderr and the exit status
is 2 (an error hardhull explains) or 3 (anything else).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import orjson

from hardhull.errors import HardhullError


@dataclass(frozen=True)
class ScanJob:
    """What the parent asks for (see the module docstring)."""

    target: str
    out: Path
    tmp: Path
    insecure: bool = False
    db: Path | None = None
    docker_config: Path | None = None

    def to_json(self) -> bytes:
        """The job as the parent writes it to the child's stdin (:meth:`from_json`)."""
        return orjson.dumps(
            {
                "target": self.target,
                "insecure": self.insecure,
                "db": None if self.db is None else str(self.db),
                "docker_config": None if self.docker_config is None else str(self.docker_config),
                "tmp": str(self.tmp),
                "out": str(self.out),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> ScanJob:
        """Decode a job; :class:`HardhullError` when it is malformed."""
        try:
            doc = orjson.loads(data)
            db, config = doc.get("db"), doc.get("docker_config")
            return cls(
                target=str(doc["target"]),
                out=Path(doc["out"]),
                tmp=Path(doc["tmp"]),
                insecure=bool(doc.get("insecure", False)),
                db=None if db is None else Path(db),
                docker_config=None if config is None else Path(config),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise HardhullError(f"malformed scan job: {exc}") from None


def run_job(job: ScanJob) -> Path:
    """Scan ``job.target`` and write its JSON report atomically to ``job.out``."""
    from hardhull.report.scan_json import to_scan_json
    from hardhull.scan import SbomOptions
    from hardhull.scanning import ScanOptions, scan_image
    from hardhull.sources.base import SourceOptions
    from hardhull.sources.target import parse_target

    source = SourceOptions(insecure=job.insecure, docker_config=job.docker_config)
    options = ScanOptions(db=job.db, sbom=SbomOptions(source=source, include_files=False))
    report = scan_image(parse_target(job.target), options)
    data = to_scan_json(report)
    try:
        with open(job.tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(job.tmp, job.out)
    except OSError as exc:
        job.tmp.unlink(missing_ok=True)
        raise HardhullError(f"cannot write the report {job.out}: {exc.strerror}") from None
    return job.out


def main() -> int:
    """Run the job read from stdin; the exit status says how it went."""
    try:
        run_job(ScanJob.from_json(sys.stdin.buffer.read()))
    except HardhullError as exc:
        print(str(exc).replace("\n", " "), file=sys.stderr)
        return 2
    except Exception as exc:  # reported to the parent as the scan's failure reason
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
