"""Dockerfile parser and HH-DF checks on realistic fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardhull.cli.main import cli
from hardhull.model import FindingKind, Status
from hardhull.posture.dockerfile import DockerfileError, parse_file, parse_text
from hardhull.posture.dockerfile_checks import check_dockerfile
from hardhull.posture.dockerfile_controls import CONTROLS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dockerfile"


def _rules(text: str) -> set[tuple[str, int]]:
    return {
        (f.rule_id, f.resource.line or 0) for f in check_dockerfile(parse_text(text)) if f.resource
    }


def test_bad_fixture_findings_and_lines() -> None:
    findings = check_dockerfile(parse_file(FIXTURES / "bad.Dockerfile"))
    got = {(f.rule_id, f.resource.line if f.resource else None) for f in findings}
    assert got == {
        ("HH-DF-004", 4),
        ("HH-DF-002", 8),
        ("HH-DF-009", 8),
        ("HH-DF-005", 10),
        ("HH-DF-005", 12),
        ("HH-DF-003", 13),
        ("HH-DF-006", 14),
        ("HH-DF-007", 14),
        ("HH-DF-008", 14),
        ("HH-DF-007", 15),
        ("HH-DF-008", 15),
        ("HH-DF-008", 16),
        ("HH-DF-001", 18),
    }
    first = findings[0]
    assert first.kind is FindingKind.POSTURE
    assert first.resource is not None
    assert first.resource.kind == "Dockerfile" and first.resource.name == "bad.Dockerfile"
    secret = [f for f in findings if f.rule_id == "HH-DF-005"]
    assert all("abcd1234" not in dict(f.evidence)["value"] for f in secret)


def test_good_fixture_is_clean() -> None:
    df = parse_file(FIXTURES / "good.Dockerfile")
    assert df.escape == "`"
    assert df.stages[1].instructions[0].heredocs[0].name == "EOF"
    assert check_dockerfile(df) == []


def test_base_pinning_variants() -> None:
    tail = "USER app\nHEALTHCHECK NONE\n"
    assert ("HH-DF-002", 1) in _rules("FROM alpine\n" + tail)
    assert not any(r == "HH-DF-002" for r, _ in _rules("FROM scratch\n" + tail))
    assert not any(r == "HH-DF-002" for r, _ in _rules("FROM alpine@sha256:" + "a" * 64 + "\n"))
    assert not any(r == "HH-DF-002" for r, _ in _rules("FROM localhost:5000/app:1.2\n"))
    assert ("HH-DF-002", 1) in _rules("FROM localhost:5000/app\n")
    staged = "FROM golang:1.22 AS build\nFROM build\n"
    assert not any(r == "HH-DF-002" for r, _ in _rules(staged))
    findings = check_dockerfile(parse_text("ARG IMG\nFROM ${IMG}\n"))
    unresolved = [f for f in findings if f.rule_id == "HH-DF-002"]
    assert unresolved and unresolved[0].status is Status.WARN
    assert ("HH-DF-002", 2) in _rules("ARG TAG=latest\nFROM debian:${TAG}\n")
    assert not any(r == "HH-DF-002" for r, _ in _rules("ARG TAG=12\nFROM debian:${TAG}\n"))


def test_user_inherited_from_build_stage() -> None:
    text = "FROM debian:12 AS base\nUSER 1000\nFROM base\nHEALTHCHECK CMD true\n"
    assert not any(r == "HH-DF-001" for r, _ in _rules(text))
    assert ("HH-DF-001", 3) in _rules("FROM debian:12\nUSER 0:0\nFROM debian:12\n")
    assert ("HH-DF-001", 2) in _rules("FROM debian:12\nUSER root\n")


def test_pipe_to_shell_forms() -> None:
    base = "FROM debian:12\n"
    assert ("HH-DF-004", 2) in _rules(base + "RUN wget -qO- https://x.io/i | sudo bash\n")
    assert ("HH-DF-004", 2) in _rules(base + 'RUN sh -c "$(curl -fsSL https://x.io/i)"\n')
    assert ("HH-DF-004", 2) in _rules(base + "RUN <<EOF\ncurl -s https://x.io | sh\nEOF\n")
    assert not any(r == "HH-DF-004" for r, _ in _rules(base + "RUN curl -o f https://x && sh f\n"))


def test_package_rules() -> None:
    base = "FROM debian:12\n"
    ok = (
        "RUN --mount=type=cache,target=/var/lib/apt "
        "apt-get install --no-install-recommends -y a=1\n"
    )
    assert not {r for r, _ in _rules(base + ok)} & {"HH-DF-006", "HH-DF-007", "HH-DF-008"}
    assert ("HH-DF-007", 2) not in _rules(base + "RUN apk add --no-cache curl=8.5.0-r0\n")
    assert ("HH-DF-008", 2) in _rules(base + "RUN python3 -m pip install 'requests>=2'\n")
    assert ("HH-DF-008", 2) not in _rules(base + "RUN pip install -r req.txt ./pkg\n")


def test_secrets_names_and_values() -> None:
    base = "FROM debian:12\n"
    assert ("HH-DF-005", 2) in _rules(base + "ENV DB_PASSWORD hunter2\n")
    assert ("HH-DF-005", 2) in _rules(base + "ENV X=AKIAABCDEFGHIJKLMNOP\n")
    assert ("HH-DF-005", 2) not in _rules(base + "ARG NPM_TOKEN\n")
    assert ("HH-DF-005", 2) not in _rules(base + "ENV TOKEN_FILE=/run/secrets/t\n")
    assert ("HH-DF-005", 2) not in _rules(base + "ENV API_KEY=$API_KEY\n")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("RUN true\n", 1, "before the first FROM"),
        ("FROM a:1\nFROBNICATE x\n", 2, "unknown instruction"),
        ("FROM a:1\nRUN <<EOF\necho\n", 2, "not terminated"),
        ("# hello\n", None, "no FROM"),
    ],
)
def test_parse_errors_name_file_and_line(text: str, line: int | None, message: str) -> None:
    with pytest.raises(DockerfileError) as info:
        parse_text(text, "Containerfile")
    assert info.value.line == line
    assert message in str(info.value)
    assert str(info.value).startswith("Containerfile")


def test_continuations_skip_comments() -> None:
    df = parse_text("FROM a:1\nRUN echo 1 \\\n# comment\n\n    && echo 2\nUSER x\n")
    run, user = df.stages[0].instructions
    assert run.value == "echo 1 && echo 2" and run.line == 2
    assert user.line == 6


def test_controls_are_documented() -> None:
    ids = [c.id for c in CONTROLS]
    assert ids == sorted(set(ids))
    for control in CONTROLS:
        assert control.rationale and control.remediation
        assert any(name == "CIS Docker Benchmark" for name, _ in control.frameworks)


def test_cli_json_and_fail_on() -> None:
    runner = CliRunner()
    bad = str(FIXTURES / "bad.Dockerfile")
    result = runner.invoke(cli, ["dockerfile", "scan", bad, "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["summary"]["findings"] == 13
    root = next(f for f in doc["findings"] if f["rule_id"] == "HH-DF-001")
    assert root["resource"] == {
        "kind": "Dockerfile", "name": "bad.Dockerfile", "namespace": None, "api_version": "",
        "file": bad, "line": 18,
    }  # fmt: skip
    result = runner.invoke(cli, ["dockerfile", "scan", bad, "--fail-on", "high"])
    assert result.exit_code == 1
    sarif = runner.invoke(cli, ["dockerfile", "scan", bad, "--format", "sarif"])
    assert (
        json.loads(sarif.stdout)["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "region"
        ]["startLine"]
        == 4
    )
    levels = {r["ruleId"]: r["level"] for r in json.loads(sarif.stdout)["runs"][0]["results"]}
    # failing high -> error, medium -> warning, low -> note
    assert (levels["HH-DF-001"], levels["HH-DF-002"], levels["HH-DF-006"]) == (
        "error",
        "warning",
        "note",
    )
    good = runner.invoke(cli, ["dockerfile", "scan", str(FIXTURES / "good.Dockerfile"),
                               "--fail-on", "low"])  # fmt: skip
    assert good.exit_code == 0


def test_cli_bad_file_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a:1\nBOGUS x\n")
    result = CliRunner().invoke(cli, ["dockerfile", "scan", str(path)])
    assert result.exit_code == 2
    assert f"hardhull: error: {path}:2: unknown instruction" in result.stderr
