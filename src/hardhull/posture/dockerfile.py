"""A small Dockerfile / Containerfile parser for the posture checks.

Handles what the checks need, the way BuildKit reads it: parser directives (``escape``),
line continuations (with comment and blank lines inside them dropped), heredocs
(``<<EOF``, ``<<-EOF``, quoted delimiters), JSON (exec) vs shell form, leading
``--flag=value`` options, stages (``FROM ... AS name``) and the global ``ARG`` values used
to resolve ``FROM`` references. Every instruction keeps the line it starts on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from hardhull.errors import HardhullError

INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"(?<![<\w])<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
MAX_BYTES = 4 * 1024 * 1024


class DockerfileError(HardhullError):
    """A Dockerfile that cannot be parsed; the message names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True, slots=True)
class Heredoc:
    """One heredoc body attached to an instruction."""

    name: str
    body: str
    strip_tabs: bool = False


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction. ``value`` is the text after the keyword and its flags, with
    continuations joined by a space; ``args`` is the JSON array for exec form."""

    keyword: str
    value: str
    line: int
    end_line: int
    flags: tuple[tuple[str, str], ...] = ()
    json_form: bool = False
    args: tuple[str, ...] = ()
    heredocs: tuple[Heredoc, ...] = ()

    def flag(self, name: str) -> str | None:
        """Value of ``--name=value`` (``""`` for a bare ``--name``), or None."""
        for key, value in self.flags:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Stage:
    """One build stage: its ``FROM`` instruction, base as written, alias and body."""

    index: int
    base: str
    alias: str | None
    from_line: int
    instructions: tuple[Instruction, ...]
    platform: str | None = None


@dataclass(frozen=True, slots=True)
class Dockerfile:
    """A parsed file: global ``ARG`` instructions (before the first ``FROM``) and stages."""

    path: str
    escape: str
    global_args: tuple[Instruction, ...]
    stages: tuple[Stage, ...]

    @property
    def instruction_count(self) -> int:
        return len(self.global_args) + sum(1 + len(s.instructions) for s in self.stages)

    def global_arg_defaults(self) -> dict[str, str]:
        """``ARG NAME=default`` values declared before the first ``FROM``."""
        out: dict[str, str] = {}
        for instr in self.global_args:
            for name, value in parse_assignments(instr.value, allow_bare=True):
                if value is not None:
                    out[name] = substitute(value, out) or value
        return out


def parse_file(path: Path) -> Dockerfile:
    """Read and parse ``path``; :class:`DockerfileError` for unreadable or invalid files."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DockerfileError(str(path), None, f"too large ({size} bytes, limit {MAX_BYTES})")
        data = path.read_bytes()
    except OSError as exc:
        raise DockerfileError(str(path), None, f"cannot read ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DockerfileError(str(path), None, "not UTF-8 text") from exc
    return parse_text(text, str(path))


def parse_text(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile ``text``; ``path`` only names the file in errors."""
    lines = text.splitlines()
    escape, index = _directives(lines, path)
    instructions: list[Instruction] = []
    while index < len(lines):
        raw = lines[index]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        instr, index = _logical(lines, index, escape, path)
        instructions.append(instr)
    return _stages(instructions, path, escape)


def _directives(lines: list[str], path: str) -> tuple[str, int]:
    escape = "\\"
    seen: set[str] = set()
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line.strip())
        if not match or not line.lstrip().startswith("#"):
            return escape, index
        name = match.group(1).lower()
        if name in seen:
            raise DockerfileError(path, index + 1, f"parser directive {name!r} given twice")
        seen.add(name)
        if name == "escape":
            if match.group(2) not in ("\\", "`"):
                raise DockerfileError(
                    path, index + 1, f"invalid escape character {match.group(2)!r}"
                )
            escape = match.group(2)
    return escape, len(lines)


def _logical(lines: list[str], start: int, escape: str, path: str) -> tuple[Instruction, int]:
    """Join one instruction's continuation lines and read its heredocs."""
    parts: list[str] = []
    index = start
    while True:
        line = lines[index].rstrip()
        index += 1
        if line.endswith(escape):
            parts.append(line[: -len(escape)])
            while index < len(lines) and (
                not lines[index].strip() or lines[index].lstrip().startswith("#")
            ):
                index += 1
            if index < len(lines):
                continue
        else:
            parts.append(line)
        break
    joined = " ".join(p.strip() for p in parts if p.strip())
    keyword, _, rest = joined.partition(" ")
    keyword = keyword.upper()
    if keyword not in INSTRUCTIONS:
        raise DockerfileError(path, start + 1, f"unknown instruction {keyword!r}")
    end_line = index
    heredocs: list[Heredoc] = []
    if keyword in _HEREDOC_KEYWORDS:
        for match in _HEREDOC.finditer(rest):
            strip_tabs, name = match.group(1) == "-", match.group(3)
            body: list[str] = []
            while True:
                if index >= len(lines):
                    raise DockerfileError(path, start + 1, f"heredoc {name!r} is not terminated")
                line = lines[index]
                index += 1
                check = line.lstrip("\t") if strip_tabs else line
                if check.rstrip("\r") == name:
                    break
                body.append(check)
            heredocs.append(Heredoc(name, "\n".join(body) + "\n", strip_tabs))
        end_line = index
    flags, rest = _flags(rest.strip()) if keyword != "ENV" else ((), rest.strip())
    json_form, args = False, ()
    if rest.startswith("["):
        try:
            decoded = json.loads(rest)
        except ValueError:
            decoded = None
        if isinstance(decoded, list) and all(isinstance(a, str) for a in decoded):
            json_form, args = True, tuple(decoded)
    return (
        Instruction(keyword, rest, start + 1, end_line, flags, json_form, args, tuple(heredocs)),
        index,
    )


def _flags(rest: str) -> tuple[tuple[tuple[str, str], ...], str]:
    flags: list[tuple[str, str]] = []
    while rest.startswith("--"):
        token, _, remainder = rest.partition(" ")
        name, _, value = token[2:].partition("=")
        flags.append((name.lower(), value))
        rest = remainder.lstrip()
    return tuple(flags), rest


def _stages(instructions: list[Instruction], path: str, escape: str) -> Dockerfile:
    global_args: list[Instruction] = []
    stages: list[Stage] = []
    current: Instruction | None = None
    body: list[Instruction] = []

    def close() -> None:
        if current is None:
            return
        words = current.value.split()
        base = words[0] if words else ""
        if not base:
            raise DockerfileError(path, current.line, "FROM without an image")
        alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
        stages.append(
            Stage(len(stages), base, alias, current.line, tuple(body), current.flag("platform"))
        )

    for instr in instructions:
        if instr.keyword == "FROM":
            close()
            current, body = instr, []
        elif current is None:
            if instr.keyword != "ARG":
                raise DockerfileError(
                    path, instr.line, f"{instr.keyword} before the first FROM (only ARG may be)"
                )
            global_args.append(instr)
        else:
            body.append(instr)
    close()
    if not stages:
        raise DockerfileError(path, None, "no FROM instruction")
    return Dockerfile(path, escape, tuple(global_args), tuple(stages))


def parse_assignments(text: str, *, allow_bare: bool = False) -> list[tuple[str, str | None]]:
    """``A=1 B="two words"`` -> pairs; legacy ``ENV NAME value`` form; bare ``ARG NAME``."""
    import shlex

    try:
        tokens = shlex.split(text, posix=True)
    except ValueError:
        tokens = text.split()
    if not tokens:
        return []
    if "=" not in tokens[0]:
        if allow_bare:
            return [(t, None) for t in tokens if "=" not in t] + [
                (k, v) for k, _, v in (t.partition("=") for t in tokens if "=" in t)
            ]
        return [(tokens[0], " ".join(tokens[1:]))]
    out: list[tuple[str, str | None]] = []
    for token in tokens:
        name, eq, value = token.partition("=")
        out.append((name, value if eq else None))
    return out


def substitute(text: str, values: dict[str, str]) -> str | None:
    """Expand ``$VAR``, ``${VAR}``, ``${VAR:-x}``, ``${VAR:+x}``; None if one is unknown."""
    missing = False

    def repl(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1) or match.group(4)
        op, word = match.group(2), match.group(3) or ""
        value = values.get(name)
        if op == ":-":
            return value if value else word
        if op == ":+":
            return word if value else ""
        if value is None:
            missing = True
            return ""
        return value

    result = _VAR.sub(repl, text)
    return None if missing else result


__all__ = [
    "INSTRUCTIONS",
    "Dockerfile",
    "DockerfileError",
    "Heredoc",
    "Instruction",
    "Stage",
    "parse_assignments",
    "parse_file",
    "parse_text",
    "substitute",
]
