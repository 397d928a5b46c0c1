"""HH-IMG-006: no secrets in any layer, including files deleted or replaced later."""

from __future__ import annotations

from hardhull.hardening.common import CheckInfo, capped, make_finding, no_files_finding, short_layer
from hardhull.hardening.secret_paths import MAX_SECRET_FILE
from hardhull.hardening.secrets import (
    LAYER_BUDGET_BYTES,
    RULES,
    SECRETS_SELECTOR,
    SECRETS_SELECTORS,
    NotScanned,
    SecretMatch,
)
from hardhull.model import Finding, Sbom, Severity, Status
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

INFO = CheckInfo(
    id="HH-IMG-006",
    title="No secrets in any layer",
    severity=Severity.CRITICAL,
    fix="Revoke and rotate the credential, then rebuild without it: pass secrets at build "
    "time with `RUN --mount=type=secret` and at run time from the orchestrator; deleting a "
    "file in a later layer does not remove it from the image.",
)
_RULES = {rule.id: rule for rule in RULES}


def _state(tree: FileTree, layer: str, path: str) -> str:
    """``present``, ``deleted`` (whited out later) or ``replaced`` (overwritten later)."""
    entry = tree.get(path)
    if entry is None:
        return "deleted"
    if entry.layer is None or entry.layer == layer or not layer:
        return "present"
    return "replaced"


_STATE_WORDS = {
    "present": "still present in the final image",
    "deleted": "deleted in a later layer but still shipped in this layer",
    "replaced": "replaced in a later layer but still shipped in this layer",
}


def _not_read(layer: str, files: int, size: int) -> Finding:
    """The ``warn`` that keeps a partly read layer from looking clean."""
    return make_finding(
        INFO,
        Status.WARN,
        layer or "(directory)",
        f"{files} files ({size // 1024} KiB) in layer {short_layer(layer)} were not searched "
        f"for secrets: over the per-layer budget of {LAYER_BUDGET_BYTES // (1024 * 1024)} MiB",
        severity=Severity.LOW,
        evidence=(("layer", layer or "-"), ("files_not_read", str(files)), ("bytes", str(size))),
        layer=layer or None,
    )


class SecretsCheck:
    """Reads text-like files in application, configuration, home and tmp trees (and files
    named like credentials anywhere) in every layer, and reports each rule that matched a
    file: one finding per (layer, path, rule) with the line numbers and a redacted preview.
    """

    id = INFO.id
    title = INFO.title
    severity = INFO.severity
    selectors: tuple[Selector, ...] = SECRETS_SELECTORS

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        """``fail`` per secret found, else one ``pass`` saying how much was read."""
        if len(tree) == 0:
            return [no_files_finding(INFO, sbom)]
        findings: list[Finding] = []
        examined = 0
        skipped: dict[str, list[int]] = {}  # layer -> [files, bytes] not read
        for layer, path, value in tree.history(SECRETS_SELECTOR):
            if isinstance(value, NotScanned):
                counts = skipped.setdefault(layer, [0, 0])
                counts[0] += 1
                counts[1] += value.size
                continue
            examined += 1
            if not isinstance(value, tuple) or not value:
                continue
            state = _state(tree, layer, path)
            where = f"layer {short_layer(layer)}, {_STATE_WORDS[state]}" if layer else state
            by_rule: dict[str, list[SecretMatch]] = {}
            for match in value:
                if isinstance(match, SecretMatch):
                    by_rule.setdefault(match.rule, []).append(match)
            for rule_id, matches in sorted(by_rule.items()):
                rule = _RULES[rule_id]
                lines = ",".join(str(m.line) for m in matches)
                findings.append(
                    make_finding(
                        INFO,
                        Status.FAIL,
                        path,
                        f"{rule.title} in {path} line {lines} ({where}): {matches[0].preview}",
                        severity=rule.severity,
                        evidence=(
                            ("rule", rule_id),
                            ("lines", lines),
                            ("layer", layer or "-"),
                            ("state", state),
                            ("preview", matches[0].preview),
                        ),
                        layer=layer or None,
                        path=path,
                    )
                )
        gaps = [_not_read(layer, *counts) for layer, counts in sorted(skipped.items())]
        if findings:
            return capped(INFO, findings) + gaps
        layers = max(1, len(tree.layers))
        return gaps or [
            make_finding(
                INFO,
                Status.PASS,
                "image",
                f"no secret found in {examined} files read in {layers} layer(s), deleted ones "
                "included (text files up to "
                f"{MAX_SECRET_FILE // 1024} KiB in application, configuration, home and tmp "
                "directories, and credential file names anywhere; third-party package trees "
                "and /usr/share not read)",
                evidence=(("files_read", str(examined)), ("rules", str(len(RULES)))),
            )
        ]
