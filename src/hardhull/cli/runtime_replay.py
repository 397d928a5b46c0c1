"""``hardhull runtime replay --rules RULE_FILES... [--source S] EVENTS_FILE``: run rules
over recorded events (JSONL recordings, Kubernetes audit logs, Falco JSON output)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click
import orjson

from hardhull.cli.options import output_option
from hardhull.cli.runtime_rules import load_rule_files
from hardhull.errors import UsageError
from hardhull.model.event import Alert, Priority
from hardhull.runtime.jsonio import MAX_LINE, format_time_ns

if TYPE_CHECKING:
    from hardhull.runtime.engine import Engine
    from hardhull.runtime.sensor.base import Sensor

PRIORITY_WORDS = tuple(p.value.lower() for p in Priority)


def open_sensor(
    source: str, path: str, *, follow: bool = False, all_stages: bool = False, max_line: int
) -> Sensor:
    """The reader for ``--source``: ``syscall`` (hardhull JSONL recording), ``k8s_audit``
    (audit log lines or an EventList document) or ``falco`` (Falco JSON output)."""
    if source == "syscall":
        from hardhull.runtime.sensor.replay import ReplaySensor

        return ReplaySensor(path, follow=follow, max_line=max_line)
    if source == "k8s_audit":
        from hardhull.runtime.sensor.k8s_audit import K8sAuditFileSensor

        return K8sAuditFileSensor(path, all_stages=all_stages, follow=follow, max_line=max_line)
    if source == "falco":
        from hardhull.runtime.sensor.falco_json import FalcoJsonSensor

        return FalcoJsonSensor(path, follow=follow, max_line=max_line)
    raise UsageError(f"unknown --source {source!r}")


def _json_line(alert: Alert) -> bytes:
    from hardhull.runtime.outputs import alert_to_json

    return orjson.dumps(alert_to_json(alert)) + b"\n"


def _table_line(alert: Alert) -> bytes:
    info = alert.event.container
    where = info.workload if info is not None else str(alert.event.fields.get("container.id", ""))
    text = " ".join(alert.output.split())
    line = f"{format_time_ns(alert.time)}  {alert.priority.value:<13} {alert.rule}"
    if where:
        line += f"  [{where}]"
    return f"{line}  {text}\n".encode()


@contextlib.contextmanager
def _sink(output: Path | None) -> Iterator[IO[bytes]]:
    """Standard output, or ``output`` written through a temporary file renamed at the end."""
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    tmp = output.with_name(output.name + ".tmp")
    try:
        handle = tmp.open("wb")
    except OSError as exc:
        raise UsageError(f"{output}: cannot write ({exc.strerror})") from exc
    try:
        with handle:
            yield handle
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)


@click.command("replay")
@click.option(
    "--rules",
    "-r",
    "rules",
    multiple=True,
    required=True,
    type=click.Path(),
    help="Rule file, loaded in order (repeatable; extra files may follow it).",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--source",
    type=click.Choice(["syscall", "k8s_audit", "falco"]),
    default="syscall",
    show_default=True,
    help="Events format: hardhull JSONL recording, Kubernetes audit log/EventList, "
    "or Falco JSON output.",
)
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json")
@output_option
@click.option("--stats", is_flag=True, help="Per-rule alert counts on standard error.")
@click.option(
    "--fail-on",
    type=click.Choice(PRIORITY_WORDS, case_sensitive=False),
    help="Exit 1 when an alert at or above this priority fired.",
)
@click.option("--keep-going", is_flag=True, help="Replay even when some rule files have errors.")
@click.option("--follow", "-f", is_flag=True, help="Keep reading a growing file (Ctrl-C ends).")
@click.option(
    "--all-stages", is_flag=True, help="k8s_audit: keep every stage, not only ResponseComplete."
)
@click.option(
    "--max-line",
    type=click.IntRange(min=64),
    default=MAX_LINE,
    show_default=True,
    help="Longest accepted event line in bytes; longer lines are counted as malformed.",
)
def runtime_replay(
    rules: tuple[str, ...],
    paths: tuple[str, ...],
    source: str,
    fmt: str,
    output: Path | None,
    stats: bool,
    fail_on: str | None,
    keep_going: bool,
    follow: bool,
    all_stages: bool,
    max_line: int,
) -> None:
    """Run rules over recorded events: one alert per line (JSON) or a table.

    EVENTS_FILE is the last argument (``-`` for standard input; ``.gz``/``.zst`` are read
    compressed); files between ``--rules`` and it are more rule files.

    \b
    Examples:
      hardhull runtime replay --rules falco_rules.yaml my_rules.yaml events.jsonl
      hardhull runtime replay -r falco_rules.yaml --source falco falco.json --format table
      hardhull runtime replay -r k8s_audit_rules.yaml --source k8s_audit audit.log --stats
    """
    from hardhull.runtime.engine import Engine

    *extra_rules, events_file = paths
    ruleset = load_rule_files([*rules, *extra_rules], keep_going, what="replay")
    threshold = Priority.parse(fail_on).rank if fail_on else None
    engine = Engine(ruleset)
    sensor = open_sensor(
        source, events_file, follow=follow, all_stages=all_stages, max_line=max_line
    )
    render = _json_line if fmt == "json" else _table_line
    worst: int | None = None
    interrupted = False
    try:
        with _sink(output) as out:
            try:
                for event in sensor.events():
                    for alert in engine.process(event):
                        out.write(render(alert))
                        rank = alert.priority.rank
                        if worst is None or rank < worst:
                            worst = rank
                    if follow:
                        out.flush()
            except KeyboardInterrupt:
                interrupted = True
    finally:
        sensor.close()
    _report(sensor, engine, stats, interrupted)
    if threshold is not None and worst is not None and worst <= threshold:
        sys.exit(1)


def _report(sensor: Sensor, engine: Engine, per_rule: bool, interrupted: bool) -> None:
    s = sensor.stats()
    es = engine.stats()
    line = (
        f"hardhull: replayed {s.received} events ({s.malformed} malformed, {s.lost} lost), "
        f"{es.total_alerts} alerts"
    )
    if es.total_eval_errors:
        line += f", {es.total_eval_errors} rule evaluation errors"
    if s.note:
        line += f"; {s.note}"
    if interrupted:
        line += " (interrupted)"
    click.echo(line, err=True)
    if per_rule:
        for rule, count in sorted(es.alerts.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"  {count:8d}  {rule}", err=True)
        for rule, count in sorted(es.eval_errors.items()):
            click.echo(f"  {count:8d}  evaluation errors in {rule}", err=True)
