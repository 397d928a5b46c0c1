"""``hardhull policy apply POLICIES... --resource PATHS...``: evaluate policies on manifests."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import click
import orjson

from hardhull.cli.options import output_option
from hardhull.cli.output import emit
from hardhull.errors import UsageError
from hardhull.policy.base import Policy, Result, RuleResult
from hardhull.report.policy_results import to_policy_reports_yaml, to_policy_sarif

_ORDER = ("pass", "skip", "warn", "error", "fail")


def _row(r: RuleResult) -> dict[str, Any]:
    ref = r.resource
    return {
        "policy": r.policy,
        "rule": r.rule,
        "resource": {
            "kind": ref.kind if ref else "",
            "name": ref.name if ref else "",
            "namespace": ref.namespace if ref else None,
            "file": ref.file if ref else None,
            "line": ref.line if ref else None,
        },
        "result": str(r.result),
        "action": str(r.action),
        "message": r.message,
    }


def _render(results: list[RuleResult], fmt: str) -> bytes:
    if fmt == "json":
        return orjson.dumps([_row(r) for r in results], option=orjson.OPT_INDENT_2)
    if fmt == "sarif":
        return to_policy_sarif(results)
    if fmt == "policyreport":
        return to_policy_reports_yaml(results)
    lines = []
    for row in (_row(r) for r in results):
        ref = row["resource"]
        where = f"{ref['namespace']}/" if ref["namespace"] else ""
        lines.append(
            f"{row['result'].upper():5} {row['policy']}/{row['rule']} "
            f"{ref['kind']} {where}{ref['name']}  {row['message']}".rstrip()
        )
    counts = {k: sum(1 for r in results if r.result == k) for k in _ORDER}
    lines.append(", ".join(f"{v} {k}" for k, v in counts.items()))
    return ("\n".join(lines) + "\n").encode()


def _builtin_policies(config_path: Path) -> list[Policy]:
    """The built-in policies and policy files of an admission configuration, with any
    on-demand vulnerability scan waited for (the CLI has no latency budget)."""
    from hardhull.admission.config import load_config
    from hardhull.admission.policies import load_admission_policies

    config = load_config(config_path)
    gate = config.vuln_gate
    if gate is not None:
        config = dataclasses.replace(
            config,
            vuln_gate=dataclasses.replace(gate, scan=dataclasses.replace(gate.scan, wait_ms=None)),
        )
    policies, warnings = load_admission_policies(config)
    for err in warnings:
        click.echo(f"hardhull: note: {err.pos}: {err.message}", err=True)
    return policies


def _values(values_file: Path | None, set_values: tuple[str, ...]) -> Any:
    """The KyvernoTestValues of ``--values-file`` and ``--set``, or None without either."""
    if values_file is None and not set_values:
        return None
    from hardhull.policy.testvalues import KyvernoTestValues, read_values_file

    values = KyvernoTestValues()
    if values_file is not None:
        values, errors = read_values_file(values_file)
        fatal = [e for e in errors if e.fatal]
        if fatal:
            raise UsageError("; ".join(f"{e.pos}: {e.message}" for e in fatal[:5]))
    extra: dict[str, str] = {}
    for item in set_values:
        for pair in item.split(","):
            name, sep, value = pair.partition("=")
            if not sep or not name.strip():
                raise UsageError(f"--set {item!r}: expected NAME=VALUE[,NAME=VALUE...]")
            extra[name.strip()] = value
    return values.with_globals(extra) if extra else values


@click.command("apply")
@click.argument("policy_paths", nargs=-1, type=click.Path())
@click.option(
    "--resource",
    "-r",
    "resources",
    multiple=True,
    required=True,
    type=click.Path(),
    help="Manifest file or directory (repeatable).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "sarif", "policyreport"]),
    default="table",
    help="table (default), json (one row per policy/rule/resource), sarif, or policyreport "
    "(wg-policy v1alpha2 PolicyReport/ClusterPolicyReport YAML).",
)
@output_option
@click.option(
    "--builtins",
    "builtins_config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An admission configuration file (as for `admission serve --config`): its built-in "
    "policies (PSS level, allowed registries, digest, vulnerability gate) and its "
    "`policies:` are applied too, so CI and the webhook judge alike. An on-demand "
    "vulnerability scan is waited for here (no latency budget).",
)
@click.option(
    "--params",
    "param_paths",
    multiple=True,
    type=click.Path(),
    help="Files or directories of parameter objects (ConfigMaps, custom resources) that "
    "ValidatingAdmissionPolicy bindings and Kyverno CEL rules select with paramRef "
    "(repeatable). Non-policy objects in the policy files themselves are candidates too.",
)
@click.option(
    "--values-file",
    "-f",
    "values_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A Kyverno CLI values file (cli.kyverno.io Values: globalValues, per-policy rule "
    "and resource values, namespaceSelector, namespaces, subresources), as for "
    "`kyverno apply -f`; values stand in for context entries such as configMap/apiCall.",
)
@click.option(
    "--set",
    "set_values",
    multiple=True,
    metavar="NAME=VALUE[,NAME=VALUE...]",
    help="Global values (repeatable), e.g. --set request.operation=UPDATE,team=payments.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["fail", "error", "warn", "none"]),
    default="fail",
    help="Exit 1 when any result is at least this bad (warn < error < fail).",
)
def policy_apply(
    policy_paths: tuple[str, ...],
    resources: tuple[str, ...],
    fmt: str,
    output: Path | None,
    builtins_config: Path | None,
    param_paths: tuple[str, ...],
    values_file: Path | None,
    set_values: tuple[str, ...],
    fail_on: str,
) -> None:
    """Evaluate policies against manifests: one result per (policy, rule, resource).

    \b
    Examples:
      hardhull policy apply policies/ --resource k8s/ --format json
      hardhull policy apply --builtins admission.yaml --resource k8s/   # the webhook's set
      hardhull policy apply vap.yaml --params limits-configmap.yaml --resource k8s/
    """
    from hardhull.policy.loader import (
        apply_policies,
        is_parameter_object,
        load_policies,
        load_resources,
        read_paths,
    )

    if not policy_paths and builtins_config is None:
        raise UsageError("give policy files or directories, or --builtins CONFIG")
    policies: list[Policy] = _builtin_policies(builtins_config) if builtins_config else []
    param_docs, param_errors = read_paths(param_paths)
    params = [d.obj for d in param_docs if is_parameter_object(d.obj)]
    loaded = load_policies(policy_paths, params)
    for err in [*param_errors, *loaded.errors]:
        click.echo(
            f"hardhull: {'error' if err.fatal else 'note'}: {err.pos}: {err.message}", err=True
        )
    policies.extend(loaded.policies)
    if not policies:
        raise UsageError("no policies could be loaded")
    objs, rerrors = load_resources(resources)
    for err in rerrors:
        click.echo(f"hardhull: error: {err.pos}: {err.message}", err=True)
    results = apply_policies(policies, objs, _values(values_file, set_values))
    emit(_render(results, fmt), output)
    if fail_on != "none":
        threshold = {"warn": 2, "error": 3, "fail": 4}[fail_on]
        bad = {Result.WARN: 2, Result.ERROR: 3, Result.FAIL: 4}
        if any(bad.get(r.result, 0) >= threshold for r in results):
            sys.exit(1)
