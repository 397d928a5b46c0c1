"""``hardhull k8s scan PATH...``: posture of manifests or of a live cluster."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import click

from hardhull.cli.options import fail_on_option, output_option
from hardhull.errors import UsageError
from hardhull.model import Gap, Severity
from hardhull.posture.policy_check import PolicyCheck

FORMATS = ("table", "json", "sarif", "policyreport")
_VERSION = re.compile(r"^(latest|v1\.\d+)$")


def _policy_checks(paths: tuple[Path, ...], gaps: list[Gap]) -> tuple[PolicyCheck, ...]:
    """Load ``--policy`` files; fatal load errors stop the scan, others become gaps."""
    if not paths:
        return ()
    from hardhull.policy.loader import load_policies

    loaded = load_policies([str(p) for p in paths])
    fatal = [e for e in loaded.errors if e.fatal]
    if fatal:
        first = fatal[0]
        more = f" (and {len(fatal) - 1} more)" if len(fatal) > 1 else ""
        raise UsageError(f"{first.pos}: {first.message}{more}")
    gaps.extend(Gap("policy-load", str(e.pos), e.message) for e in loaded.errors)
    if not loaded.policies:
        raise UsageError(f"no policy found in {', '.join(map(str, paths))}")
    return (PolicyCheck(loaded.policies),)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@click.command("scan")
@click.argument("paths", nargs=-1)
@click.option("--context", help="Check the live cluster of this kubeconfig context.")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Kubeconfig file (default: $KUBECONFIG or ~/.kube/config).",
)
@click.option("-n", "--namespace", help="Only this namespace of the live cluster.")
@click.option("--cluster", "live", is_flag=True, help="Check the kubeconfig's current context.")
@click.option(
    "--pss",
    type=click.Choice(("baseline", "restricted")),
    default="restricted",
    show_default=True,
    help="Pod Security Standards level.",
)
@click.option("--pss-version", default="latest", show_default=True, help="e.g. v1.29.")
@click.option("--framework", help="Only controls mapped to this framework, with its pass rate.")
@click.option(
    "--exceptions",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML file of exempted resources (control, kind/name/namespace/labels, reason, expires).",
)
@click.option(
    "--policy",
    "policy_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Custom checks as data: Kyverno / ValidatingAdmissionPolicy files or dirs (repeatable).",
)
@click.option(
    "--allowed-registry",
    "allowed_registries",
    multiple=True,
    help="Registry images may come from (repeatable).",
)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True
)
@output_option
@fail_on_option("Exit with code 1 when an unexempted failure at or above this level remains.")
@click.option(
    "--show-passed",
    is_flag=True,
    help="List every passed (control, resource) as a result too (default: counted only).",
)
@click.option("--timeout", type=float, default=30.0, show_default=True, help="API timeout (s).")
def k8s_scan(
    paths: tuple[str, ...],
    context: str | None,
    kubeconfig: Path | None,
    namespace: str | None,
    live: bool,
    pss: str,
    pss_version: str,
    framework: str | None,
    exceptions: Path | None,
    policy_paths: tuple[Path, ...],
    allowed_registries: tuple[str, ...],
    fmt: str,
    output: Path | None,
    fail_on: str | None,
    show_passed: bool,
    timeout: float,
) -> None:
    """Check PATH... (files, directories, - for stdin; YAML/JSON, multi-document,
    `helm template` / `kustomize build` output) or a live cluster (--context / --cluster,
    read-only) against the Pod Security Standards and hardhull's Kubernetes controls.

    \b
    Whatever could not be checked (malformed documents, unknown kinds, denied or failed
    API reads) is listed as a coverage gap, never counted as a pass.

    \b
    Examples:
      hardhull k8s scan manifests/ --pss baseline
      helm template ./chart | hardhull k8s scan - --format json
      hardhull k8s scan --context prod --framework "NSA-CISA" --fail-on high
      hardhull k8s scan k8s/ --format policyreport -o reports.yaml
      hardhull k8s scan k8s/ --policy policies/      # custom checks as data (Kyverno, VAP)

    Exit codes: 0 done, 1 --fail-on tripped, 2 bad input or unreadable cluster.
    """
    from hardhull.cli.output import emit
    from hardhull.posture.loader import LoadResult, load_paths
    from hardhull.posture.registry import all_controls, default_checks, default_cluster_checks
    from hardhull.posture.report import failing
    from hardhull.posture.run import PostureOptions, build_report

    if not _VERSION.match(pss_version):
        raise UsageError(f"--pss-version {pss_version!r}: expected latest or v1.N (e.g. v1.29)")
    use_cluster = live or context is not None or (kubeconfig is not None and not paths)
    if not paths and not use_cluster:
        raise UsageError("nothing to check: give PATH... (or - for stdin) or --context NAME")
    inputs: list[str] = list(paths)
    loaded = load_paths(paths) if paths else LoadResult((), ())
    resources, gaps = list(loaded.resources), list(loaded.gaps)
    if use_cluster:
        from hardhull.posture.cluster import read_cluster

        live_result = read_cluster(kubeconfig, context, namespace, timeout=timeout)
        inputs.append(live_result.source)
        resources += live_result.resources
        gaps += live_result.gaps
    for gap in gaps:
        if gap.kind not in ("not-checked",):
            click.echo(f"hardhull: warning: {gap.subject}: {gap.detail}", err=True)
    report = build_report(
        resources,
        gaps,
        inputs,
        PostureOptions(
            pss_level=pss,
            pss_version=pss_version,
            framework=framework,
            exceptions=exceptions,
            allowed_registries=allowed_registries,
            created=_now(),
            show_passed=show_passed,
        ),
        (*default_checks(), *_policy_checks(policy_paths, gaps)),
        default_cluster_checks(),
        files=loaded.files,
        documents=loaded.documents,
    )
    if fmt == "json":
        from hardhull.posture.report import to_posture_json

        data = to_posture_json(report)
    elif fmt == "sarif":
        from hardhull.posture.sarif import to_posture_sarif

        data = to_posture_sarif(report, all_controls())
    elif fmt == "policyreport":
        from hardhull.posture.policyreport import to_policyreport_yaml

        data = to_policyreport_yaml(report, int(dt.datetime.now(dt.UTC).timestamp()))
    else:
        from hardhull.posture.report import render_posture_table

        data = render_posture_table(report).encode()
    emit(data, output)
    if fail_on:
        standing = failing(report, Severity.parse(fail_on))
        if standing:
            click.echo(
                f"hardhull: {len(standing)} finding(s) at or above {fail_on} (--fail-on)",
                err=True,
            )
            sys.exit(1)


__all__ = ["FORMATS", "k8s_scan"]
