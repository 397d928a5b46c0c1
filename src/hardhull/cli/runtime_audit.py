"""``hardhull runtime audit-serve``: the Kubernetes audit webhook backend endpoint, with
Falco-compatible ``k8s_audit`` rules (``ka.*``/``jevt.*`` fields) applied to what the API
server sends."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from hardhull.cli.runtime_rules import load_rule_files
from hardhull.cli.runtime_watch import alert_sinks, stop_on_signals
from hardhull.errors import UsageError


@click.command("audit-serve")
@click.option("--rules", "-r", "rules", multiple=True, required=True, type=click.Path())
@click.option("--listen", default="127.0.0.1:9765", show_default=True, help="HOST:PORT.")
@click.option("--path", "url_path", default="/k8s-audit", show_default=True)
@click.option("--tls-cert", type=click.Path(path_type=Path), help="Serving certificate (PEM).")
@click.option("--tls-key", type=click.Path(path_type=Path), help="Its private key (PEM).")
@click.option(
    "--client-ca",
    type=click.Path(path_type=Path),
    help="Require client certificates signed by this CA (PEM).",
)
@click.option("--token-file", type=click.Path(), help="Bearer token the API server sends.")
@click.option("--token-env", help="Environment variable holding the bearer token.")
@click.option(
    "--all-stages", is_flag=True, help="Keep every audit stage, not only ResponseComplete."
)
@click.option("--output", "-o", "output", default="-", help="Alerts as JSON lines: - or a file.")
@click.option("--webhook", help="Also POST each alert to this URL.")
@click.option("--duration", type=float, help="Stop after this many seconds.")
@click.option("--keep-going", is_flag=True, help="Serve even when some rule files have errors.")
def runtime_audit_serve(
    rules: tuple[str, ...],
    listen: str,
    url_path: str,
    tls_cert: Path | None,
    tls_key: Path | None,
    client_ca: Path | None,
    token_file: str | None,
    token_env: str | None,
    all_stages: bool,
    output: str,
    webhook: str | None,
    duration: float | None,
    keep_going: bool,
) -> None:
    """Receive the API server's audit events over HTTPS and apply k8s_audit rules.

    Point the API server's ``--audit-webhook-config-file`` at
    ``https://HOST:PORT/k8s-audit`` with the bearer token (or a client certificate). Every
    request must authenticate; bodies that are not audit Events/EventLists get HTTP 400
    and are counted; the server never stops on bad input.

    \b
    Example:
      hardhull runtime audit-serve -r k8s_audit_rules.yaml --listen 0.0.0.0:9765 \\
          --tls-cert tls.crt --tls-key tls.key --token-file token -o alerts.jsonl
    """
    from hardhull.runtime.engine import Engine
    from hardhull.runtime.sensor.k8s_audit_server import (
        AuditWebhookConfig,
        K8sAuditWebhookSensor,
        load_token,
    )

    host, sep, port_text = listen.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise UsageError(f"--listen {listen!r}: expected HOST:PORT (port 0: any free port)")
    if duration is not None and duration <= 0:
        raise UsageError("--duration must be positive")
    ruleset = load_rule_files(rules, keep_going, what="serve")
    if not any(r.source == "k8s_audit" for r in ruleset.rules):
        click.echo("hardhull: warning: no enabled k8s_audit rule is loaded", err=True)
    config = AuditWebhookConfig(
        address=host.strip("[]"),
        port=int(port_text),
        path=url_path,
        cert=tls_cert,
        key=tls_key,
        client_ca=client_ca,
        token=load_token(token_file, token_env),
        all_stages=all_stages,
    )
    config.check()
    sinks = alert_sinks(output, webhook)
    sensor = K8sAuditWebhookSensor(config)
    sensor.start()
    shown = f"[{config.address}]" if ":" in config.address else config.address
    click.echo(
        f"hardhull: audit webhook listening on https://{shown}:{sensor.port}{url_path}",
        err=True,
    )
    stop = threading.Event()

    def _stop() -> None:
        stop.set()
        sensor.close()

    stop_on_signals(_stop, duration)
    engine = Engine(ruleset)
    alerts = 0
    try:
        for event in sensor.events():
            for alert in engine.process(event):
                alerts += 1
                for sink in sinks:
                    sink.emit(alert)
            if stop.is_set():
                break
    finally:
        sensor.close()
        for sink in sinks:
            sink.close()
        st = sensor.stats()
        click.echo(
            f"hardhull: final: audit events={st.received} lost={st.lost} "
            f"malformed={st.malformed} alerts={alerts}",
            err=True,
        )
