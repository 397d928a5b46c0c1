"""``hardhull k8s fix`` on text: round-trip YAML that keeps comments, order and layout.

The stream is split at its ``---`` separator lines; each document is loaded with
ruamel.yaml's round-trip loader, fixed with :func:`hardhull.posture.fix.fix_object`, and
only documents that changed are dumped again (with the indentation detected from that
document), so untouched documents stay byte-identical and a file that needs no change is
returned as given. After fixing, every workload is re-evaluated with the PSS evaluator;
checks that still fail are reported as not fixable automatically.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from hardhull.errors import HardhullError
from hardhull.posture.fix import FixNote, fix_object

_SEPARATOR = re.compile(r"^---[ \t]*(#.*)?\r?\n?$")
_KEY_LINE = re.compile(r"^( *)(?:- +)?[^#\s][^:#]*:[ \t]*(#.*)?$")


class FixError(HardhullError):
    """The input could not be read as YAML; the message names file and line."""


@dataclass(frozen=True, slots=True)
class FixResult:
    """The fixed text and what was changed or left for a human."""

    text: str
    notes: tuple[FixNote, ...]

    @property
    def changed(self) -> bool:
        return any(n.fixable for n in self.notes)

    @property
    def manual(self) -> tuple[FixNote, ...]:
        return tuple(n for n in self.notes if not n.fixable)


def _chunks(text: str) -> list[tuple[bool, str, int]]:
    """``(is_separator, text, first_line_index)`` pieces of a YAML stream."""
    out: list[tuple[bool, str, int]] = []
    current: list[str] = []
    start = 0
    for index, line in enumerate(text.splitlines(keepends=True)):
        if _SEPARATOR.match(line):
            if current:
                out.append((False, "".join(current), start))
            out.append((True, line, index))
            current, start = [], index + 1
        else:
            current.append(line)
    if current:
        out.append((False, "".join(current), start))
    return out


def detect_indent(text: str) -> tuple[int, int, int]:
    """``(mapping, sequence, offset)`` indentation as ruamel.yaml wants it."""
    lines = [ln.rstrip("\r\n") for ln in text.splitlines()]
    content = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    mapping, offset = 0, -1
    for here, after in itertools.pairwise(content):
        match = _KEY_LINE.match(here)
        if not match:
            continue
        key_col = (
            len(here) - len(here.lstrip(" -"))
            if here.lstrip().startswith("-")
            else len(match.group(1))
        )
        child_col = len(after) - len(after.lstrip(" "))
        if after.lstrip().startswith("- "):
            if offset < 0 and child_col >= key_col:
                offset = child_col - key_col
        elif child_col > key_col and not mapping:
            mapping = child_col - key_col
    mapping = mapping or 2
    offset = max(offset, 0)
    return mapping, max(offset + 2, mapping), offset


def _yaml(text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = detect_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def fix_text(text: str, level: str, *, path: str = "<stdin>", version: str = "latest") -> FixResult:
    """Fix every workload in YAML ``text`` for PSS ``level`` (and evaluator ``version``)."""
    pieces: list[str] = []
    notes: list[FixNote] = []
    for is_sep, chunk, start in _chunks(text):
        if (
            is_sep
            or not chunk.strip()
            or all(not ln.strip() or ln.lstrip().startswith("#") for ln in chunk.splitlines())
        ):
            pieces.append(chunk)
            continue
        yaml = _yaml(chunk)
        try:
            data = yaml.load(chunk)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = start + mark.line + 1 if mark is not None else start + 1
            raise FixError(f"{path}:{line}: invalid YAML: {exc.problem or exc}") from exc
        except YAMLError as exc:
            raise FixError(f"{path}:{start + 1}: invalid YAML: {exc}") from exc
        if not isinstance(data, MutableMapping):
            pieces.append(chunk)
            continue
        doc_notes = fix_object(data, level, start)
        doc_notes += _remaining(data, level, version, doc_notes, start)
        notes.extend(doc_notes)
        if not any(n.fixable for n in doc_notes):
            pieces.append(chunk)
            continue
        out = io.StringIO()
        yaml.dump(data, out)
        dumped = out.getvalue()
        if not chunk.endswith("\n"):
            dumped = dumped.rstrip("\n")
        pieces.append(dumped)
    return FixResult("".join(pieces), tuple(notes))


def _remaining(
    obj: MutableMapping[str, Any], level: str, version: str, notes: list[FixNote], start: int
) -> list[FixNote]:
    """PSS checks that still fail after fixing and that no manual note already covers."""
    from hardhull.posture.pss import evaluate_pod, pod_spec_of

    objects: list[Mapping[str, Any]] = [obj]
    if obj.get("kind") == "List" and isinstance(obj.get("items"), list):
        objects = [i for i in obj["items"] if isinstance(i, Mapping)]
    out: list[FixNote] = []
    for item in objects:
        parts = pod_spec_of(item)
        if parts is None:
            continue
        meta, spec = parts
        raw = item.get("metadata")
        meta_top: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        ns = meta_top.get("namespace")
        label = f"{item.get('kind')} {ns + '/' if ns else ''}{meta_top.get('name', '?')}"
        known = {n.check_id for n in notes if n.resource == label and not n.fixable}
        lc = getattr(item, "lc", None)
        line = start + int(lc.line) + 1 if lc is not None and lc.line is not None else None
        for result in evaluate_pod(meta, spec, level, version):
            if result.allowed or result.check_id in known:
                continue
            out.append(
                FixNote(
                    label,
                    result.check_id,
                    "",
                    f"{result.forbidden_reason}: {result.forbidden_detail}: "
                    "not fixable automatically",
                    False,
                    line,
                )
            )
    return out


__all__ = ["FixError", "FixResult", "detect_indent", "fix_text"]
