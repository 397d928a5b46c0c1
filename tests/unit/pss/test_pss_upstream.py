"""Kubernetes' own pod-security-admission fixtures (tests/fixtures/pss-upstream).

Layout ``<level>/<version>/<pass|fail>/<name>.yaml``: a ``pass`` pod must not fail any
check at that level and version; a ``fail`` pod must fail at least one, and the check
family named by the file name must be among the failures. Fixtures whose verdict
comes from a competing or unreleased upstream history are listed in
:data:`KNOWN_DIVERGENT`, and the test asserts that exactly those diverge.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from hardhull.posture.pss import evaluate_pod, failing_check_ids, pod_spec_of

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pss-upstream"

# File-name family (trailing digits removed) -> the check ids that may report it. Two
# ids where a restricted check overrides the baseline one at some versions.
FAMILY_CHECKS: dict[str, frozenset[str]] = {
    "addcapabilities": frozenset({"capabilities_baseline", "capabilities_restricted"}),
    "allowprivilegeescalation": frozenset({"allowPrivilegeEscalation"}),
    "apparmorprofile": frozenset({"appArmorProfile"}),
    "capabilities_baseline": frozenset({"capabilities_baseline", "capabilities_restricted"}),
    "capabilities_restricted": frozenset({"capabilities_restricted"}),
    "cgroupoptions": frozenset({"cgroupOptions_restricted"}),
    "hostnamespaces": frozenset({"hostNamespaces"}),
    "hostpath": frozenset({"hostPathVolumes", "restrictedVolumes"}),
    "hostpathvolumes": frozenset({"hostPathVolumes", "restrictedVolumes"}),
    "hostports": frozenset({"hostPorts"}),
    "hostprobesandhostlifecycle": frozenset({"hostProbesAndHostLifecycle"}),
    "hostprocess": frozenset({"windowsHostProcess"}),
    "privileged": frozenset({"privileged"}),
    "procmount": frozenset({"procMount", "procMount_restricted"}),
    "procmount_baseline": frozenset({"procMount", "procMount_restricted"}),
    "procmount_restricted": frozenset({"procMount_restricted"}),
    "restrictedvolumes": frozenset({"restrictedVolumes"}),
    "runasnonroot": frozenset({"runAsNonRoot"}),
    "runasuser": frozenset({"runAsUser"}),
    "seccomp_baseline": frozenset({"seccompProfile_baseline", "seccompProfile_restricted"}),
    "seccompprofile_baseline": frozenset({"seccompProfile_baseline", "seccompProfile_restricted"}),
    "seccompprofile_restricted": frozenset({"seccompProfile_restricted"}),
    "selinux": frozenset({"seLinuxOptions"}),
    "selinuxoptions": frozenset({"seLinuxOptions"}),
    "sysctls": frozenset({"sysctls"}),
    "ulimits": frozenset({"ulimits"}),
    "windowshostprocess": frozenset({"windowsHostProcess"}),
}

KNOWN_DIVERGENT: dict[str, str] = {
    "baseline/v1.13/fail/ulimits0.yaml": (
        "unreleased ulimits history that starts the check before v1.37 (ours: v1.37+)"
    ),
    "restricted/v1.1/fail/ulimits1.yaml": (
        "unreleased ulimits history that starts the check before v1.37 (ours: v1.37+)"
    ),
    "restricted/v1.1/fail/cgroupoptions0.yaml": (
        "unreleased cgroupOptions history that starts the check at v1.1 (ours: v1.38+)"
    ),
    "restricted/v1.35/fail/cgroupoptions0.yaml": (
        "unreleased cgroupOptions history that starts the check by v1.35 (ours: v1.38+)"
    ),
    "restricted/v1.35/pass/procmount1.yaml": (
        "competing procMount history: the same-directory procmount_restricted0.yaml "
        "fails the same pod shape (hostUsers: false, Unmasked), as the stored "
        "check_procMount_restricted.go does"
    ),
    "baseline/v1.34/pass/hostprobesandhostlifecycle1.yaml": (
        "competing history allowing host ::1; the stored "
        "check_hostProbesAndhostLifecycle.go allows only an empty host"
    ),
    "restricted/v1.0/pass/apparmorprofile0.yaml": (
        "competing history ignoring annotations of absent containers; the stored "
        "check_appArmorProfile.go checks every annotation with the prefix"
    ),
}


def _fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*/v1.*/*/*.yaml"))


def _family(path: Path) -> str:
    return re.sub(r"[0-9]+$", "", path.stem)


def _rel(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def _problem(path: Path) -> str | None:
    """Why our evaluator disagrees with the fixture, or ``None`` when it agrees."""
    level, version, expect = path.relative_to(FIXTURES).parts[:3]
    doc: Any = yaml.safe_load(path.read_text())
    parts = pod_spec_of(doc)
    assert parts is not None, path
    failing = failing_check_ids(evaluate_pod(parts[0], parts[1], level, version))
    if expect == "pass":
        return f"expected no failure, got {sorted(failing)}" if failing else None
    if not failing:
        return "expected a failure, got none"
    wanted = FAMILY_CHECKS.get(_family(path))
    if wanted is not None and not wanted & failing:
        return f"expected one of {sorted(wanted)}, got {sorted(failing)}"
    return None


def test_fixture_tree_is_present() -> None:
    paths = _fixtures()
    assert len(paths) >= 50
    levels = {_rel(p).split("/")[0] for p in paths}
    assert levels == {"baseline", "restricted"}
    families = {_family(p) for p in paths} - {"base", "base_linux", "base_windows"}
    assert families <= FAMILY_CHECKS.keys()


@pytest.mark.parametrize("path", _fixtures(), ids=_rel)
def test_upstream_fixture(path: Path) -> None:
    problem = _problem(path)
    rel = _rel(path)
    if rel in KNOWN_DIVERGENT:
        assert problem is not None, f"{rel} now agrees; drop it from KNOWN_DIVERGENT"
    else:
        assert problem is None, f"{rel}: {problem}"


def test_known_divergent_entries_exist() -> None:
    present = {_rel(p) for p in _fixtures()}
    assert set(KNOWN_DIVERGENT) <= present
    assert all(reason for reason in KNOWN_DIVERGENT.values())
