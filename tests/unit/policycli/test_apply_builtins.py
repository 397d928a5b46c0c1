"""``policy apply --builtins CONFIG``: the webhook's built-in policies in CI."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from hardhull.cli.main import cli

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: web
      image: registry.example/web:1.0
      securityContext: {privileged: true}
"""


def _apply(tmp_path: Path, config: str, *extra: str) -> tuple[int, str, str]:
    (tmp_path / "reports").mkdir(exist_ok=True)
    (tmp_path / "adm.yaml").write_text(config)
    (tmp_path / "pod.yaml").write_text(POD)
    result = CliRunner().invoke(
        cli,
        [
            "policy",
            "apply",
            "--builtins",
            str(tmp_path / "adm.yaml"),
            "-r",
            str(tmp_path / "pod.yaml"),
            "--format",
            "json",
            *extra,
        ],
    )
    return result.exit_code, result.stdout, result.stderr


def test_builtins_apply_pss_and_the_vulnerability_gate(tmp_path: Path) -> None:
    config = (
        "builtin:\n  pss: restricted\n  vulnerability_gate: {reports: reports, unscanned: deny}\n"
    )
    code, out, _ = _apply(tmp_path, config)
    assert code == 1
    rows = {(r["policy"], r["rule"]): r["result"] for r in orjson.loads(out)}
    assert rows[("pss-restricted", "privileged")] == "fail"
    assert rows[("pss-restricted", "runAsNonRoot")] == "fail"
    assert rows[("vulnerability-gate", "unscanned")] == "fail"


def test_builtins_config_errors_are_one_line(tmp_path: Path) -> None:
    code, _, err = _apply(tmp_path, "builtin:\n  pss: strictest\n")
    assert code == 2
    assert "adm.yaml" in err and "pss" in err
    assert "Traceback" not in err


def test_nothing_to_apply_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    result = CliRunner().invoke(cli, ["policy", "apply", "-r", str(tmp_path / "pod.yaml")])
    assert result.exit_code == 2
    assert "--builtins" in result.stderr
