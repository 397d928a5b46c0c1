"""Dockerfile checks: one function per control, all run by :func:`check_dockerfile`.

Findings are of kind ``posture`` with ``rule_id`` = the control id and ``resource`` =
``ResourceRef(kind="Dockerfile", name=<file name>, file=<path>, line=<instruction line>)``.
Checks about what ends up in the image (user, health check, package caches) look at the
final stage and the stages it is built ``FROM``; supply-chain checks (base pinning, remote
scripts, secrets, package pinning) look at every stage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath

from hardhull.model import Finding, FindingKind, ResourceRef, Status
from hardhull.posture import dockerfile_controls as C
from hardhull.posture.base import Control
from hardhull.posture.dockerfile import (
    Dockerfile,
    Instruction,
    Stage,
    parse_assignments,
    substitute,
)
from hardhull.posture.dockerfile_shell import installs, os_pinned, pip_pinned, pipes_to_shell

_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH_?KEY)",
    re.IGNORECASE,
)
_NOT_A_SECRET_NAME = re.compile(r"(_FILE|_PATH|_DIR|_URL|_HOST|_PORT|_USER(NAME)?)$", re.I)
_SECRET_VALUE = re.compile(
    r"AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{22,}"
    r"|glpat-[A-Za-z0-9_-]{20}|xox[abprs]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,}"
    r"|AIza[0-9A-Za-z_-]{35}|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
)
_URL = re.compile(r"^(https?|ftp)://", re.IGNORECASE)
_APT_LISTS = re.compile(r"/var/lib/apt/lists")


def check_dockerfile(df: Dockerfile) -> list[Finding]:
    """Every finding for ``df``, sorted by line then rule id."""
    findings = [
        *_runs_as_root(df),
        *_base_pinning(df),
        *_add_url(df),
        *_run_checks(df),
        *_secrets(df),
        *_healthcheck(df),
    ]
    return sorted(findings, key=lambda f: (f.resource.line or 0 if f.resource else 0, f.rule_id))


def _finding(
    df: Dockerfile,
    control: Control,
    line: int,
    message: str,
    *,
    status: Status = Status.FAIL,
    evidence: tuple[tuple[str, str], ...] = (),
) -> Finding:
    ref = ResourceRef(kind="Dockerfile", name=PurePath(df.path).name, file=df.path, line=line)
    return Finding(
        kind=FindingKind.POSTURE,
        status=status,
        severity=control.severity,
        rule_id=control.id,
        title=control.title,
        subject=f"{df.path}:{line}",
        message=message,
        evidence=tuple(sorted(evidence)),
        fix=control.remediation,
        resource=ref,
    )


def _final_chain(df: Dockerfile) -> list[Stage]:
    """The final stage followed by the earlier stages it is built FROM (nearest first)."""
    chain = [df.stages[-1]]
    while True:
        parent = _stage_named(df, chain[-1].base, chain[-1].index)
        if parent is None or parent in chain:
            return chain
        chain.append(parent)


def _stage_named(df: Dockerfile, name: str, before: int) -> Stage | None:
    for stage in df.stages[:before]:
        if (stage.alias and stage.alias.lower() == name.lower()) or name == str(stage.index):
            return stage
    return None


def _runs_as_root(df: Dockerfile) -> Iterator[Finding]:
    for stage in _final_chain(df):
        users = [i for i in stage.instructions if i.keyword == "USER"]
        if not users:
            continue
        last = users[-1]
        user = last.value.split(":", 1)[0].strip()
        if user in ("root", "0"):
            yield _finding(df, C.RUNS_AS_ROOT, last.line, f"the image runs as {last.value!r}")
        elif "$" in user:
            yield _finding(
                df,
                C.RUNS_AS_ROOT,
                last.line,
                f"USER {last.value} depends on a build argument; cannot tell whether it is root",
                status=Status.WARN,
            )
        return
    yield _finding(
        df,
        C.RUNS_AS_ROOT,
        df.stages[-1].from_line,
        "no USER instruction in the final stage: the container runs as the base image's "
        "user (root for most images)",
    )


def _base_pinning(df: Dockerfile) -> Iterator[Finding]:
    args = df.global_arg_defaults()
    for stage in df.stages:
        if _stage_named(df, stage.base, stage.index) is not None:
            continue
        ref = substitute(stage.base, args)
        if ref is None:
            yield _finding(
                df,
                C.UNPINNED_BASE,
                stage.from_line,
                f"base image {stage.base!r} uses a build argument without a default; "
                "cannot tell whether it is pinned",
                status=Status.WARN,
            )
            continue
        if ref.lower() == "scratch" or "@" in ref:
            continue
        last = ref.rsplit("/", 1)[-1]
        tag = last.split(":", 1)[1] if ":" in last else None
        evidence = (("image", ref),) if ref != stage.base else ()
        if tag is None:
            yield _finding(
                df,
                C.UNPINNED_BASE,
                stage.from_line,
                f"base image {ref!r} has no tag or digest (means :latest)",
                evidence=evidence,
            )
        elif tag == "latest":
            yield _finding(
                df, C.UNPINNED_BASE, stage.from_line, f"base image {ref!r} uses :latest",
                evidence=evidence,
            )  # fmt: skip


def _add_url(df: Dockerfile) -> Iterator[Finding]:
    for stage in df.stages:
        for instr in stage.instructions:
            if instr.keyword != "ADD":
                continue
            sources = list(instr.args[:-1]) if instr.json_form else instr.value.split()[:-1]
            for src in sources:
                if _URL.match(src) or src.startswith("git@"):
                    verified = instr.flag("checksum") is not None
                    if not verified:
                        yield _finding(df, C.ADD_URL, instr.line, f"ADD downloads {src}")


def _script(instr: Instruction) -> str:
    """The shell text a RUN executes (shell form, plus heredoc bodies fed to a shell)."""
    if instr.json_form:
        args = instr.args
        if len(args) >= 3 and args[0].rsplit("/", 1)[-1] in ("sh", "bash") and args[1] == "-c":
            return args[2]
        return " ".join(args)
    return "\n".join([instr.value, *(doc.body for doc in instr.heredocs)])


def _run_checks(df: Dockerfile) -> Iterator[Finding]:
    final = {s.index for s in _final_chain(df)}
    for stage in df.stages:
        for instr in stage.instructions:
            if instr.keyword != "RUN":
                continue
            script = _script(instr)
            piped = pipes_to_shell(script)
            if piped:
                yield _finding(
                    df, C.PIPE_TO_SHELL, instr.line, "a downloaded script is run by a shell",
                    evidence=(("command", piped[:200]),),
                )  # fmt: skip
            yield from _install_checks(df, instr, script, stage.index in final)


def _install_checks(
    df: Dockerfile, instr: Instruction, script: str, in_image: bool
) -> Iterator[Finding]:
    mounts = " ".join(v for k, v in instr.flags if k == "mount")
    for inst in installs(script):
        if inst.manager == "pip":
            loose = [p for p in inst.packages if not pip_pinned(p)]
        else:
            loose = [p for p in inst.packages if not os_pinned(p)]
        if loose:
            yield _finding(
                df,
                C.UNPINNED_PACKAGES,
                instr.line,
                f"{inst.manager} installs without a pinned version: {', '.join(loose[:10])}",
                evidence=(("manager", inst.manager), ("packages", " ".join(loose))),
            )
        if not in_image:
            continue
        if inst.manager == "apt":
            if "--no-install-recommends" not in inst.options and not any(
                "Install-Recommends" in o for o in inst.options
            ):
                yield _finding(
                    df, C.APT_RECOMMENDS, instr.line, "apt-get install without "
                    "--no-install-recommends",
                )  # fmt: skip
            if not _APT_LISTS.search(script) and "/var/lib/apt" not in mounts:
                yield _finding(
                    df, C.PACKAGE_CACHE, instr.line, "apt lists are not removed in the same "
                    "RUN (rm -rf /var/lib/apt/lists/*)",
                )  # fmt: skip
        elif (
            inst.manager == "apk"
            and "--no-cache" not in inst.options
            and "/var/cache/apk" not in mounts
        ):
            yield _finding(df, C.PACKAGE_CACHE, instr.line, "apk add without --no-cache")


def _secret_reason(name: str, value: str) -> str | None:
    if not value or value.startswith("$"):
        return None
    if _SECRET_VALUE.search(value):
        return f"{name} holds a value that looks like a key or token"
    if _SECRET_NAME.search(name) and not _NOT_A_SECRET_NAME.search(name):
        return f"{name} is set to a literal value"
    return None


def _secrets(df: Dockerfile) -> Iterator[Finding]:
    groups = [df.global_args, *(s.instructions for s in df.stages)]
    for group in groups:
        for instr in group:
            if instr.keyword not in ("ENV", "ARG"):
                continue
            pairs = parse_assignments(instr.value, allow_bare=instr.keyword == "ARG")
            for name, value in pairs:
                reason = _secret_reason(name, value or "")
                if reason:
                    masked = (value or "")[:3] + "***"
                    yield _finding(
                        df, C.SECRET_IN_ENV, instr.line, f"{instr.keyword} {reason}",
                        evidence=(("name", name), ("value", masked)),
                    )  # fmt: skip


def _healthcheck(df: Dockerfile) -> Iterator[Finding]:
    for stage in _final_chain(df):
        checks = [i for i in stage.instructions if i.keyword == "HEALTHCHECK"]
        if checks:
            last = checks[-1]
            if last.value.strip().upper() == "NONE":
                yield _finding(
                    df, C.NO_HEALTHCHECK, last.line, "HEALTHCHECK NONE disables the health check"
                )
            return
    yield _finding(
        df,
        C.NO_HEALTHCHECK,
        df.stages[-1].from_line,
        "no HEALTHCHECK in the final stage (one inherited from the base image is not seen)",
    )


__all__ = ["check_dockerfile"]
