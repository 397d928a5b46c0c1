"""``hardhull runtime``: the watch job (rules, events, sensor, drift, response)."""

from __future__ import annotations

import click

from hardhull.cli.runtime_audit import runtime_audit_serve
from hardhull.cli.runtime_fields import runtime_fields
from hardhull.cli.runtime_replay import runtime_replay
from hardhull.cli.runtime_validate import runtime_validate
from hardhull.cli.runtime_watch import runtime_watch


@click.group("runtime")
def runtime() -> None:
    """Runtime detection: Falco-compatible rules over kernel and audit events.

    \b
    Examples:
      hardhull runtime validate rules/falco_rules.yaml my_rules.yaml
      hardhull runtime replay --rules rules/falco_rules.yaml events.jsonl --format json
      hardhull runtime watch --rules rules/falco_rules.yaml --response response.yaml
      hardhull runtime fields
      hardhull runtime audit-serve -r k8s_audit_rules.yaml --tls-cert c.pem --tls-key k.pem \\
          --token-file token
    """


runtime.add_command(runtime_audit_serve)
runtime.add_command(runtime_fields)
runtime.add_command(runtime_replay)
runtime.add_command(runtime_validate)
runtime.add_command(runtime_watch)
