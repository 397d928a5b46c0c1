"""``hardhull admission serve --config FILE``: the HTTPS admission webhook."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import click

from hardhull.errors import UsageError


@click.command("serve")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML configuration (listen, tls, policies, builtin, modes, exemptions, ...).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes sharing the listening socket (pre-forked after the policies "
    "are compiled). More than one spreads requests over several cores; /metrics is per "
    "process; the audit log is shared safely. A worker past the config's worker_recycle "
    "bounds (resident memory, default 1024 MiB; requests) is replaced by a fresh one.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def admission_serve(config_path: Path, workers: int, log_level: str) -> None:
    """Serve /validate, /mutate, /healthz, /readyz and /metrics over HTTPS.

    \b
    Example:
      hardhull admission serve --config /config/config.yaml
    """
    from hardhull.admission.audit import AuditLog
    from hardhull.admission.config import load_config
    from hardhull.admission.engine import AdmissionEngine
    from hardhull.admission.policies import load_admission_policies
    from hardhull.admission.prefork import Retire, run_workers
    from hardhull.admission.recycle import Recycler
    from hardhull.admission.server import AdmissionApp, make_server

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    config = load_config(config_path)
    for path, what in ((config.cert, "tls.cert"), (config.key, "tls.key")):
        if path is None:
            raise UsageError(
                f"{config_path}: {what} is required (the API server only speaks HTTPS)"
            )
        if not path.is_file():
            raise UsageError(f"{config_path}: {what} {path} does not exist")
    policies, warnings = load_admission_policies(config)
    for warning in warnings:
        click.echo(f"hardhull: warning: {warning.pos}: {warning.message}", err=True)

    supervised = workers > 1 or config.recycle_rss_mb > 0 or config.recycle_requests > 0

    def serve(sockets: list[socket.socket] | None, retire: Retire | None = None) -> None:
        audit = None
        if config.audit_log is not None:
            audit = AuditLog(
                config.audit_log,
                max_bytes=config.audit_max_bytes,
                backups=config.audit_backups,
                shared=supervised,  # a replacement worker overlaps the one it replaces
            )
        engine = AdmissionEngine(policies, config, audit)
        recycler = None
        if retire is not None:
            recycler = Recycler(config.recycle_requests, config.recycle_rss_mb, retire)
        app = AdmissionApp(engine, recycler=recycler)
        make_server(app, config, log_level=log_level).run(sockets=sockets)

    click.echo(
        f"hardhull: admission webhook on https://{config.address}:{config.port} "
        f"with {len(policies)} policies ({', '.join(p.name for p in policies[:8])}"
        f"{', ...' if len(policies) > 8 else ''})"
        f"{f', {workers} worker processes' if workers > 1 else ''}",
        err=True,
    )
    if not supervised:
        serve(None)
        return
    run_workers(config.address, config.port, workers, serve)
