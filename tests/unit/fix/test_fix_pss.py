"""``k8s fix``: fixed output re-checked with the PSS evaluator; layout and comments kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from hardhull.cli.main import cli
from hardhull.posture.fix_yaml import FixError, fix_text
from hardhull.posture.pss import evaluate_pod, failing_check_ids, pod_spec_of

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "fix" / "workloads.yaml"


def _failing(text: str, level: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for doc in yaml.safe_load_all(text):
        parts = pod_spec_of(doc) if isinstance(doc, dict) else None
        if parts is not None:
            out[doc["metadata"]["name"]] = failing_check_ids(evaluate_pod(*parts, level))
    return out


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_fixed_output_passes_pss_except_manual(level: str) -> None:
    text = FIXTURE.read_text()
    before = _failing(text, level)
    assert before["web"]  # the fixture really fails
    result = fix_text(text, level)
    after = _failing(result.text, level)
    assert after["web"] == set()
    manual = {n.check_id for n in result.manual if n.resource == "CronJob nightly"}
    assert after["nightly"] <= manual
    assert "hostPathVolumes" in manual
    if level == "restricted":
        assert "runAsUser" in manual


def test_comments_quotes_and_untouched_docs_survive() -> None:
    text = FIXTURE.read_text()
    fixed = fix_text(text, "baseline").text
    for needle in ("# Demo workloads", "# the front end", "# needed once for debugging",
                   "key: 'value'   # quoted on purpose", "# a config map is left alone",
                   'image: "nginx:1.25"', '"0 3 * * *"'):  # fmt: skip
        assert needle in fixed
    # the ConfigMap and CronJob documents are byte-identical (baseline: nothing to fix there)
    assert fixed.split("---\n")[1:] == text.split("---\n")[1:]
    # baseline touches exactly the failing lines
    changed = [
        (a, b) for a, b in zip(text.splitlines(), fixed.splitlines(), strict=False) if a != b
    ]
    assert changed[0] == (
        "      hostNetwork: true   # needed once for debugging",
        "      hostNetwork: false  # needed once for debugging",
    )
    assert len(fixed.splitlines()) == len(text.splitlines()) - 1  # hostPort line removed


def test_restricted_fields_set() -> None:
    docs = list(yaml.safe_load_all(fix_text(FIXTURE.read_text(), "restricted").text))
    spec: dict[str, Any] = docs[0]["spec"]["template"]["spec"]
    assert spec["securityContext"] == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    for container in spec["containers"] + spec["initContainers"]:
        sc = container["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False
        assert "ALL" in sc["capabilities"]["drop"]
        assert set(sc["capabilities"].get("add", [])) <= {"NET_BIND_SERVICE"}
    # sequence style of the document it was added to (no indent under the key)
    assert "            securityContext:\n              allowPrivilegeEscalation: false" in (
        fix_text(FIXTURE.read_text(), "restricted").text
    )


def test_passing_file_is_byte_identical(tmp_path: Path) -> None:
    text = (
        "# already hardened\n"
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n"
        "  securityContext:\n    runAsNonRoot: true\n"
        "    seccompProfile: {type: RuntimeDefault}   # flow style kept\n"
        "  containers:\n  - name: c\n    image: app:1\n    securityContext:\n"
        "      allowPrivilegeEscalation: false\n      capabilities:\n        drop: [ALL]\n"
    )
    result = fix_text(text, "restricted")
    assert result.text == text and not result.notes
    path = tmp_path / "pod.yaml"
    path.write_bytes(text.encode())
    cli_result = CliRunner().invoke(cli, ["k8s", "fix", str(path), "--in-place"])
    assert cli_result.exit_code == 0, cli_result.output
    assert path.read_bytes() == text.encode()


def test_ephemeral_containers_list_kind_and_annotations() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n"
        "    name: dbg\n    annotations:\n"
        "      container.apparmor.security.beta.kubernetes.io/c: unconfined\n"
        "  spec:\n    hostPID: true\n    containers:\n    - name: c\n      image: a:1\n"
        "    ephemeralContainers:\n    - name: e\n      image: busybox:1\n"
        "      securityContext:\n        privileged: true\n        procMount: Unmasked\n"
    )
    fixed = fix_text(text, "baseline").text
    pod = yaml.safe_load(fixed)["items"][0]
    assert pod["spec"]["hostPID"] is False
    assert pod["spec"]["ephemeralContainers"][0]["securityContext"] == {
        "privileged": False,
        "procMount": "Default",
    }
    assert failing_check_ids(evaluate_pod(pod["metadata"], pod["spec"], "baseline")) == set()


def test_invalid_yaml_names_file_and_line() -> None:
    with pytest.raises(FixError) as info:
        fix_text("apiVersion: v1\nkind: Pod\n---\nmetadata: [unclosed\n", "baseline", path="x.yaml")
    assert str(info.value).startswith("x.yaml:")
    result = CliRunner().invoke(cli, ["k8s", "fix", "-"], input="a: [b\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("hardhull: error: <stdin>:")
