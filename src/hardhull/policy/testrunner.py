"""Run declarative policy tests: ``kyverno-test.yaml`` files (``cli.kyverno.io`` Test).

A test names its policies and resources (paths relative to the test file) and the
expected ``{policy, rule, resource(s), kind, result}`` tuples. Every policy is evaluated
once per resource; each expected tuple is one case. A namespaced resource without a
namespace is evaluated in ``default`` (:mod:`hardhull.policy.scope`), as it would be
created. A rule that did not apply to a
resource counts as ``skip``. Results of auto-generated rules (``autogen-<rule>``,
``autogen-cronjob-<rule>``) answer for the rule they were generated from. A result
that names no rule, or is flagged as one of a rule-less policy kind
(``isValidatingPolicy``, ``isValidatingAdmissionPolicy``, ...), is the policy's verdict: ``error``
if a check errs, else ``fail`` if one fails, else ``pass`` if one passes, else ``skip``.
A result for a policy that did not load is ``error`` (never a pass or a skip). A test
that names inputs hardhull does not read (``userinfo``, ``exceptions``, ``context``, ...)
gets a fatal load error, so it cannot pass as a whole.
``values`` (inline) or ``variables`` (a values file) are read by
:mod:`hardhull.policy.testvalues`: global, per-policy resource and rule values,
``foreachValues``, namespace labels / objects and subresources.

Policies run in the Kyverno CLI's order (:func:`~hardhull.policy.loader.evaluate_in_cli_order`):
every policy's mutate rules first, then the validate rules on the mutated object. A
result with ``patchedResource`` (or ``patchedResources``) names a file holding the
expected mutated resource: the case fails (actual ``fail``, with the first differing
path) when the resource as the policy's mutate rules left it differs from it, as
``kyverno test`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardhull.errors import UsageError
from hardhull.policy import jsonpatch
from hardhull.policy.base import LoadError, Result, SourcePos
from hardhull.policy.loader import (
    compile_documents,
    evaluate_in_cli_order,
    load_resources,
    parse_documents,
    read_paths,
)
from hardhull.policy.scope import effective_namespace
from hardhull.policy.testvalues import load_values

TEST_FILE_NAMES = ("kyverno-test.yaml", "kyverno-test.yml")
# test inputs hardhull does not read: a test naming one cannot pass (a fatal load error),
# as its results may depend on them
UNSUPPORTED_TEST_KEYS = (
    "userinfo",
    "exceptions",
    "context",
    "targetResources",
    "clusterResources",
    "checks",
)
# results of these policy kinds are matched on the policy alone (they have no rules;
# a ``rule`` the result still names is not looked at)
RULELESS_FLAGS = (
    "isValidatingAdmissionPolicy",
    "isValidatingPolicy",
    "isImageValidatingPolicy",
    "isMutatingAdmissionPolicy",
    "isMutatingPolicy",
    "isGeneratingPolicy",
    "isDeletingPolicy",
)


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One expected tuple, checked."""

    test: str
    policy: str
    rule: str
    resource: str
    kind: str
    expected: str
    actual: str
    file: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Did the engine agree with the expectation."""
        return self.expected == self.actual


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """Every case of every test file, plus load problems."""

    cases: tuple[CaseResult, ...]
    errors: tuple[LoadError, ...]

    @property
    def passed(self) -> int:
        """Cases that matched."""
        return sum(1 for c in self.cases if c.ok)

    @property
    def failed(self) -> int:
        """Cases that did not match, plus test files that could not run."""
        return sum(1 for c in self.cases if not c.ok) + sum(1 for e in self.errors if e.fatal)


def find_tests(paths: Iterable[str]) -> list[Path]:
    """Every ``kyverno-test.yaml`` under ``paths`` (hidden directories included)."""
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        if not path.exists():
            raise UsageError(f"{name}: no such file or directory")
        if path.is_file():
            out.append(path)
            continue
        for candidate in TEST_FILE_NAMES:
            out.extend(path.rglob(candidate))
    return sorted(set(out))


def _key(policy: str, rule: str, kind: str, name: str, ns: str) -> tuple[str, str, str, str, str]:
    return (policy, rule, kind, name, ns)


def run_test_file(file: Path) -> tuple[list[CaseResult], list[LoadError]]:
    """Run one test file."""
    base = file.parent
    docs, errors = parse_documents(file.read_bytes(), str(file))
    if not docs:
        return [], errors or [LoadError(SourcePos(str(file)), "empty test file")]
    test = docs[0].obj
    name = str(test.get("name") or (test.get("metadata") or {}).get("name") or file.parent.name)

    def rel(items: Any) -> list[str]:
        return [str(base / str(p)) for p in items or []]

    try:
        pdocs, perr = read_paths(rel(test.get("policies")))
        resources, rerr = load_resources(rel(test.get("resources")))
    except UsageError as exc:
        return [], [LoadError(SourcePos(str(file)), str(exc))]
    errors += perr + rerr
    errors += [
        LoadError(SourcePos(str(file)), f"{key}: not supported by hardhull policy test")
        for key in UNSUPPORTED_TEST_KEYS
        if test.get(key)
    ]
    # As in the Kyverno CLI, parameter objects (paramRef) may be listed among the resources.
    loaded = compile_documents(pdocs, [r.obj for r in resources])
    errors += list(loaded.errors)
    values, verr = load_values(test, file)
    errors += verr
    actual: dict[tuple[str, str, str, str, str], str] = {}
    patched: dict[tuple[str, str, str, str], Any] = {}
    for res in resources:
        inp = values.admission_input(res)
        ns = inp.namespace
        steps, after = evaluate_in_cli_order(
            loaded.policies, inp, lambda policy, current: values.input_for(current, policy.name)
        )
        for policy, results in steps:
            for r in results:
                for rule in _rule_names(r.rule):
                    key = _key(policy.name, rule, res.ref.kind, res.ref.name, ns)
                    if key not in actual or actual[key] == Result.SKIP:
                        actual[key] = str(r.result)
        for name, obj in after.items():
            patched[(name, res.ref.kind, res.ref.name, ns)] = obj
    cases: list[CaseResult] = []
    loaded_names = {n for p in loaded.policies for n in (p.name, p.name.partition("/")[0])}
    for exp in test.get("results") or []:
        names = list(exp.get("resources") or [])
        if exp.get("resource"):
            names.append(exp["resource"])
        pname = str(exp.get("policy", "")).rpartition("/")[2]
        rule = "" if any(exp.get(flag) for flag in RULELESS_FLAGS) else str(exp.get("rule", ""))
        for rname in names:
            ns, _, short = str(rname).rpartition("/")
            got = _lookup(actual, pname, rule, str(exp.get("kind", "")), short, ns)
            detail = ""
            if pname not in loaded_names:
                # a policy that did not load (a load error names why) decides nothing
                got, detail = str(Result.ERROR), f"policy {pname!r} was not loaded"
            expected_file = exp.get("patchedResource") or exp.get("patchedResources")
            if expected_file and got != Result.ERROR:
                mutated = _find(patched, pname, str(exp.get("kind", "")), short, ns)
                detail = _compare_patched(base / str(expected_file), mutated, exp, short, ns)
                if detail:
                    got = str(Result.FAIL)
            cases.append(
                CaseResult(
                    test=name,
                    policy=pname,
                    rule=str(exp.get("rule", "")),
                    resource=str(rname),
                    kind=str(exp.get("kind", "")),
                    expected=str(exp.get("result", "")),
                    actual=got,
                    file=str(file),
                    detail=detail,
                )
            )
    return cases, errors


def _find(
    patched: Mapping[tuple[str, str, str, str], Any], policy: str, kind: str, name: str, ns: str
) -> Any:
    for (p, k, n, s), obj in patched.items():
        if p == policy and n == name and (not kind or k == kind) and (not ns or s == ns):
            return obj
    return None


def _compare_patched(path: Path, mutated: Any, exp: Mapping[str, Any], name: str, ns: str) -> str:
    """ "" when ``mutated`` equals the resource ``name`` in ``path``, else why not."""
    if mutated is None:
        return "the policy was not applied to this resource"
    try:
        wanted, _ = load_resources([str(path)])
    except UsageError as exc:
        return f"patched resource file: {exc}"
    kind = str(exp.get("kind", ""))
    for res in wanted:
        same = res.ref.name == name and (not kind or res.ref.kind == kind)
        if same and (not ns or effective_namespace(res.ref.kind, res.ref.namespace) == ns):
            ops = jsonpatch.diff(res.obj, mutated)
            if not ops:
                return ""
            return f"patched resource differs from {path.name} at {ops[0]['path'] or '/'}"
    return f"{path.name} has no {kind}/{name}"


def _rule_names(rule: str) -> list[str]:
    for prefix in ("autogen-cronjob-", "autogen-"):
        if rule.startswith(prefix):
            return [rule, rule[len(prefix) :]]
    return [rule]


def _lookup(
    actual: Mapping[tuple[str, str, str, str, str], str],
    policy: str,
    rule: str,
    kind: str,
    name: str,
    ns: str,
) -> str:
    found: list[str] = []
    for (p, r, k, n, s), value in actual.items():
        same = p == policy and (r == rule or not rule) and n == name
        if same and (not kind or k == kind) and (not ns or s == ns):
            if rule:
                return value
            found.append(value)
    # no rule named (ValidatingPolicy results): the policy's verdict over its checks
    for verdict in (Result.ERROR, Result.FAIL, Result.PASS):
        if str(verdict) in found:
            return str(verdict)
    return str(Result.SKIP)


def run_tests(paths: Iterable[str]) -> TestOutcome:
    """Run every test file under ``paths``."""
    cases: list[CaseResult] = []
    errors: list[LoadError] = []
    for file in find_tests(paths):
        c, e = run_test_file(file)
        cases += c
        errors += e
    return TestOutcome(tuple(cases), tuple(errors))
