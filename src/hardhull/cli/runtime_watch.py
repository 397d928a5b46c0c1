"""``hardhull runtime watch``: kernel events -> enricher -> rules -> alert sinks + response."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import IO, Any

import click

from hardhull.cli.runtime_rules import load_rule_files
from hardhull.errors import SensorError, UsageError
from hardhull.model.event import Alert, Event


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pick_sensor(choice: str) -> tuple[Any, str]:
    """(started sensor, why it was chosen). ``core``/``bpftrace``/``procconn``: that one or
    an error; ``ebpf``: core, else bpftrace; ``auto``: ebpf, else the proc connector. Under
    ``CI=true`` a core sensor that does not build or load is an error, not a fallback."""
    from hardhull.runtime.sensor.core import CoreSensor
    from hardhull.runtime.sensor.ebpf import EbpfSensor
    from hardhull.runtime.sensor.procconn import ProcConnectorSensor

    if choice == "procconn":
        pc = ProcConnectorSensor()
        pc.start()
        return pc, "requested with --sensor procconn"
    reasons: list[str] = []
    if choice in ("core", "ebpf", "auto"):
        core = CoreSensor()
        try:
            core.start()
            how = "cached build" if core.built_cached else "built for this kernel"
            return core, f"CO-RE eBPF program loaded ({how}; --sensor {choice})"
        except SensorError as exc:
            core.close()
            if choice == "core" or _ci():
                raise
            reasons.append(f"core unavailable: {exc}")
    if choice in ("bpftrace", "ebpf", "auto"):
        bt = EbpfSensor()
        try:
            bt.start()
            why = "; ".join([*reasons, "bpftrace program attached"])
            return bt, f"{why} (--sensor {choice})"
        except SensorError as exc:
            bt.close()
            if choice != "auto":
                raise
            reasons.append(f"bpftrace unavailable: {exc}")
    pc = ProcConnectorSensor()
    pc.start()
    return pc, "; ".join([*reasons, "falling back to the proc connector (exec/exit only)"])


class _Watch:
    def __init__(self, sensor: Any, engine: Any, enricher: Any, sinks: list[Any]) -> None:
        from hardhull.runtime.sensor.replay import event_to_json

        self._to_json = event_to_json
        self.sensor = sensor
        self.engine = engine
        self.enricher = enricher
        self.sinks = sinks
        self.responder: Any = None
        self.record: IO[bytes] | None = None
        self.alerts = 0
        self.per_rule: dict[str, int] = {}
        self.errors = 0
        self.stop = threading.Event()

    def handle(self, event: Event) -> None:
        if self.record is not None:
            self.record.write(self._to_json(event) + b"\n")
        event = self.enricher.enrich(event)
        for alert in self.engine.process(event):
            self.alert(alert)

    def alert(self, alert: Alert) -> None:
        self.alerts += 1
        self.per_rule[alert.rule] = self.per_rule.get(alert.rule, 0) + 1
        for sink in self.sinks:
            sink.emit(alert)
        if self.responder is not None:
            self.responder.handle(alert)

    def line(self, final: bool = False) -> str:
        st = self.sensor.stats()
        head = "final" if final else "stats"
        text = (
            f"hardhull: {head}: sensor={self.sensor.name} events={st.received} lost={st.lost} "
            f"malformed={st.malformed} alerts={self.alerts} errors={self.errors}"
        )
        if st.note:
            text += f" ({st.note})"
        return text


def alert_sinks(output: str, webhook: str | None, syslog: bool = False) -> list[Any]:
    """The rate-limited alert sinks of ``watch`` and ``audit-serve``: JSON lines on
    stdout (``-``) or a file, plus a webhook and syslog when asked."""
    from hardhull.runtime.outputs import JsonLinesSink, SyslogSink, WebhookSink
    from hardhull.runtime.outputs_limit import RateLimiter

    sinks: list[Any] = [RateLimiter(JsonLinesSink(sys.stdout if output == "-" else output))]
    if webhook:
        sinks.append(RateLimiter(WebhookSink(webhook)))
    if syslog:
        sinks.append(RateLimiter(SyslogSink()))
    return sinks


def stop_on_signals(stop: Callable[[], None], duration: float | None) -> None:
    """Call ``stop`` on SIGINT and SIGTERM, and after ``duration`` seconds when given."""

    def _handler(_sig: int, _frame: FrameType | None) -> None:
        stop()

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    if duration is not None:
        timer = threading.Timer(duration, stop)
        timer.daemon = True
        timer.start()


def _events_until(sensor: Any, stop: threading.Event) -> Iterator[Event]:
    for ev in sensor.events():
        yield ev
        if stop.is_set():
            return


@click.command("watch")
@click.option("--rules", "-r", "rules", multiple=True, required=True, type=click.Path())
@click.option(
    "--sensor",
    "sensor_choice",
    type=click.Choice(["auto", "ebpf", "core", "bpftrace", "procconn"]),
    default="auto",
    show_default=True,
    help="core: the CO-RE BPF program (libbpf loader); bpftrace: the bpftrace program; "
    "ebpf: core, else bpftrace; auto: ebpf, else the netlink proc connector (exec/exit only).",
)
@click.option("--response", "response", type=click.Path(), help="Response configuration file.")
@click.option("--output", "-o", "output", default="-", help="Alerts as JSON lines: - or a file.")
@click.option("--webhook", help="Also POST each alert to this URL.")
@click.option("--syslog", is_flag=True, help="Also send alerts to syslog (/dev/log).")
@click.option("--duration", type=float, help="Stop after this many seconds.")
@click.option("--record", type=click.Path(), help="Also write every event to this JSONL file.")
@click.option("--stats-interval", type=float, default=60.0, show_default=True)
@click.option("--keep-going", is_flag=True, help="Watch even when some rule files have errors.")
@click.option(
    "--start-podman-service",
    is_flag=True,
    help="Start `podman system service` for the watch's lifetime when nothing answers on "
    "the podman socket (attribution of image and digest needs an engine API).",
)
@click.option("--podman-socket", help="podman API socket [default: /run/podman/podman.sock].")
@click.option(
    "--drift/--no-drift",
    default=True,
    show_default=True,
    help="Binary drift: alert on execs of files the container's image does not have.",
)
@click.option("--drift-allow", type=click.Path(), help="Drift allow-list YAML.")
def runtime_watch(
    rules: tuple[str, ...],
    sensor_choice: str,
    response: str | None,
    output: str,
    webhook: str | None,
    syslog: bool,
    duration: float | None,
    record: str | None,
    stats_interval: float,
    keep_going: bool,
    start_podman_service: bool,
    podman_socket: str | None,
    drift: bool,
    drift_allow: str | None,
) -> None:
    """Watch this host's processes, files and connections with Falco-compatible rules.

    \b
    Examples:
      hardhull runtime watch --rules rules/falco_rules.yaml
      hardhull runtime watch -r falco_rules.yaml --response response.yaml -o alerts.jsonl
      hardhull runtime watch -r rules.yaml --sensor procconn --duration 60 --record ev.jsonl
    """
    if os.geteuid() != 0:
        raise SensorError("hardhull runtime watch needs root (eBPF or the proc connector)")
    if duration is not None and duration <= 0:
        raise UsageError("--duration must be positive")
    if stats_interval <= 0:
        raise UsageError("--stats-interval must be positive")
    from hardhull.runtime.engine import Engine
    from hardhull.runtime.enrich import Enricher

    ruleset = load_rule_files(rules, keep_going, what="watch")
    config = None
    if response:
        from hardhull.runtime.response_config import load_response_config

        config = load_response_config(response)
    from hardhull.runtime.watchsetup import build_parts, prewarm_drift

    parts = build_parts(
        start_podman=start_podman_service,
        drift=drift,
        drift_allow=drift_allow,
        podman_socket=podman_socket,
    )
    for note in parts.notes:
        click.echo(f"hardhull: {note}", err=True)
    clients = parts.clients
    sinks = alert_sinks(output, webhook, syslog)
    try:
        sensor, why = _pick_sensor(sensor_choice)
    except BaseException:
        parts.close()
        raise
    click.echo(f"hardhull: sensor {sensor.name}: {why}", err=True)
    enricher = Enricher(clients)
    watch = _Watch(sensor, Engine(ruleset, drift=parts.drift), enricher, sinks)
    prewarm_drift(parts, enricher, lambda line: click.echo(f"hardhull: {line}", err=True))
    if config is not None:
        from hardhull.runtime.response import Responder

        watch.responder = Responder(config, clients)
    if record:
        try:
            watch.record = open(record, "wb")  # noqa: SIM115 (closed in finally)
        except OSError as exc:
            sensor.close()
            raise UsageError(f"{record}: cannot write ({exc.strerror})") from None

    def _stop() -> None:
        watch.stop.set()
        sensor.close()

    stop_on_signals(_stop, duration)

    def _ticker() -> None:
        while not watch.stop.wait(stats_interval):
            click.echo(watch.line(), err=True)

    threading.Thread(target=_ticker, daemon=True).start()
    try:
        for event in _events_until(sensor, watch.stop):
            try:
                watch.handle(event)
            except Exception as exc:  # one bad event never stops the watcher
                watch.errors += 1
                if os.environ.get("HARDHULL_DEBUG"):
                    raise
                if watch.errors <= 5:
                    click.echo(f"hardhull: event skipped: {type(exc).__name__}: {exc}", err=True)
    except SensorError:
        if not watch.stop.is_set():
            raise
    finally:
        watch.stop.set()
        sensor.close()
        for sink in sinks:
            sink.close()
        if watch.responder is not None:
            watch.responder.close()
        if watch.record is not None:
            watch.record.close()
        parts.close()
        click.echo(watch.line(final=True), err=True)
        if parts.drift is not None:
            d = parts.drift.stats()
            click.echo(
                f"hardhull: drift: checks={d.checks} drift={d.drift} clean={d.clean} "
                f"unknown={d.unknown} allowed={d.allowed} unverified={d.unverified}",
                err=True,
            )
        for rule, n in sorted(watch.per_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"hardhull:   {n:6d}  {rule}", err=True)
        time.sleep(0)
