"""Just enough shell reading for the RUN checks: commands, pipelines, package installs.

A RUN command line is split into simple commands at ``&&``, ``||``, ``;``, ``&`` and new
lines, and each into pipeline stages at ``|``. Words are shell-split (quotes honoured);
``sudo``, ``env VAR=x`` and leading assignments are looked through.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_SEPARATORS = frozenset({"&&", "||", ";", "&", ";;"})
_WRAPPERS = frozenset({"sudo", "env", "nice", "nohup", "time", "exec", "command"})
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ash", "ksh", "fish", "python", "python3",
                    "perl", "ruby", "node"})  # fmt: skip
FETCHERS = frozenset({"curl", "wget"})
_SUBST_FETCH = re.compile(r"(?:\$\(|`|<\()\s*(?:curl|wget)\b")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True, slots=True)
class Pipeline:
    """One pipeline: its stages, each a list of words (wrappers removed)."""

    stages: tuple[tuple[str, ...], ...]
    text: str


def _words(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: fall back to plain words
        return re.findall(r"&&|\|\||[;&|]|[^\s;&|]+", text)


def _strip(words: list[str]) -> tuple[str, ...]:
    out = list(words)
    while out and (out[0] in _WRAPPERS or _ASSIGN.match(out[0]) or out[0].startswith("-")):
        out.pop(0)
    if out:
        out[0] = out[0].rsplit("/", 1)[-1]  # /usr/bin/curl -> curl
    return tuple(out)


def pipelines(script: str) -> list[Pipeline]:
    """The pipelines of ``script`` (lines joined where they end with a backslash)."""
    out: list[Pipeline] = []
    for line in script.replace("\\\n", " ").splitlines():
        stages: list[tuple[str, ...]] = []
        current: list[str] = []
        for word in [*_words(line), ";"]:
            if word in _SEPARATORS or word == "|":
                stage = _strip(current)
                if stage:
                    stages.append(stage)
                current = []
                if word != "|":
                    if stages:
                        out.append(Pipeline(tuple(stages), line.strip()))
                    stages = []
            else:
                current.append(word)
    return out


def pipes_to_shell(script: str) -> str | None:
    """The offending text when a fetched script is run by a shell, else None."""
    for pipe in pipelines(script):
        fetched = False
        for stage in pipe.stages:
            if stage[0] in FETCHERS:
                fetched = True
            elif fetched and stage[0] in SHELLS:
                return pipe.text
    for line in script.splitlines():
        if _SUBST_FETCH.search(line) and re.search(r"\b(?:ba|z|da|k)?sh\b", line):
            return line.strip()
    return None


@dataclass(frozen=True, slots=True)
class Install:
    """A package-manager install: ``manager`` (apt, apk, pip), options and packages."""

    manager: str
    options: tuple[str, ...]
    packages: tuple[str, ...]
    text: str


_PIP_VALUE_OPTIONS = frozenset({"-r", "--requirement", "-c", "--constraint", "-i",
    "--index-url", "--extra-index-url", "-t", "--target", "-f", "--find-links", "--prefix",
    "--root", "--platform", "--python-version", "--only-binary", "--no-binary", "-e",
    "--editable", "--trusted-host", "--cache-dir", "--src", "--progress-bar"})  # fmt: skip
_APT_VALUE_OPTIONS = frozenset({"-o", "-t", "--target-release", "-c", "--config-file"})
_APK_VALUE_OPTIONS = frozenset({"-X", "--repository", "-t", "--virtual", "--root", "-p"})


def _split_args(args: tuple[str, ...], valued: frozenset[str]) -> tuple[list[str], list[str]]:
    options: list[str] = []
    packages: list[str] = []
    skip = False
    for arg in args:
        if skip:
            options[-1] += f" {arg}"
            skip = False
        elif arg.startswith("-"):
            options.append(arg)
            skip = arg in valued
        else:
            packages.append(arg)
    return options, packages


def installs(script: str) -> list[Install]:
    """Every ``apt-get/apt install``, ``apk add`` and ``pip install`` in ``script``."""
    out: list[Install] = []
    for pipe in pipelines(script):
        for stage in pipe.stages:
            cmd, args = stage[0], stage[1:]
            if cmd in ("python", "python3") and args[:2] == ("-m", "pip"):
                cmd, args = "pip", args[2:]
            manager, valued = "", frozenset[str]()
            if cmd in ("apt-get", "apt") and "install" in args:
                manager, valued = "apt", _APT_VALUE_OPTIONS
            elif cmd == "apk" and "add" in args:
                manager, valued = "apk", _APK_VALUE_OPTIONS
            elif cmd in ("pip", "pip3") and "install" in args:
                manager, valued = "pip", _PIP_VALUE_OPTIONS
            if not manager:
                continue
            sub = "add" if manager == "apk" else "install"
            pre, post = args[: args.index(sub)], args[args.index(sub) + 1 :]
            options, packages = _split_args(post, valued)
            out.append(Install(manager, tuple(list(pre) + options), tuple(packages), pipe.text))
    return out


def pip_pinned(spec: str) -> bool:
    """True for ``pkg==1.2``/``===``, local paths, URLs and wheel/sdist files."""
    if "==" in spec or "@" in spec or "://" in spec:
        return True
    if spec.startswith((".", "/", "~")) or spec.endswith((".whl", ".tar.gz", ".zip")):
        return True
    return "$" in spec  # a build argument: cannot judge


def os_pinned(spec: str) -> bool:
    """True for ``pkg=version`` (apt, apk), ``pkg~ver``/``pkg>ver`` (apk), local .deb."""
    return any(c in spec for c in "=~<>$") or spec.endswith(".deb") or spec.startswith("/")


__all__ = ["Install", "Pipeline", "installs", "os_pinned", "pip_pinned", "pipelines",
           "pipes_to_shell"]  # fmt: skip
