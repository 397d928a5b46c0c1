"""Precompiled constant ``matches`` patterns answer exactly as cel-cpp's RE2 ``matches``;
patterns outside the subset keep the native function."""

from __future__ import annotations

import random

import pytest

from hardhull.policy.base import AdmissionInput, Result, SourcePos
from hardhull.policy.cel import load_cel_documents
from hardhull.policy.cel.env import compile_expression, environment
from hardhull.policy.cel.inline import mask
from hardhull.policy.cel.regex import (
    FUNCTION,
    Unsupported,
    matcher,
    pattern_id,
    rewrite_matches,
)

PATTERNS = [
    "@sha256:[a-f0-9]{64}$",
    ":v?[0-9]+[.][0-9]+[.][0-9]+([-+][0-9A-Za-z.-]+)?$",
    "^ghcr\\.io/acme/",
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    "a|b|",
    "(ab|a)(bc|c)?d*$",
    "^$",
    "",
    "x{2,3}y{0,}z{1}",
    "[^a-c\\d]+\\.\\w\\s\\S\\D\\W",
    "(?:a|bc)*?c+?$",
    ".a.",
    "[-a]z[a-]",
    "é+[^\\n]",
    "\\t\\n\\$\\^\\(\\)",
]
SUBJECTS = [
    "",
    "a",
    "abc",
    "abcd",
    "ghcr.io/acme/app:1.2.0",
    "ghcr.io/acme/app@sha256:" + "a" * 64,
    "ghcr.io/acme/app@sha256:" + "a" * 63,
    "nginx:v1.2.3-rc.1",
    "nginx:1.2",
    "xxyz",
    "xxxxyzz",
    "d1.a b0_",
    "aa\nb",
    "\na\n",
    "-zaz-",
    "éé\n",
    "\t\n$^()",
    "abbccd",
]


def _native(subject: str, pattern: str) -> bool:
    program = environment().compile(f"object.matches({pattern!r})")
    value = program.eval(data={"object": subject}).value()
    assert isinstance(value, bool)
    return value


@pytest.mark.parametrize("pattern", PATTERNS)
def test_same_answers_as_re2(pattern: str) -> None:
    compiled = matcher(pattern)
    for subject in SUBJECTS:
        assert compiled.search(subject) == _native(subject, pattern), (pattern, subject)


def test_random_patterns_and_subjects_agree_with_re2() -> None:
    rng = random.Random(5)
    atoms = ["a", "b", ".", "[ab]", "[^a]", "\\d", "(a|b)", "(?:ab)", "(a|)", "\\."]
    quants = ["", "", "*", "+", "?", "{2}", "{1,2}", "{0,}", "*?"]
    for _ in range(150):
        body = "".join(rng.choice(atoms) + rng.choice(quants) for _ in range(rng.randint(1, 4)))
        pattern = rng.choice(["", "^"]) + body + rng.choice(["", "$"])
        compiled = matcher(pattern)
        for _ in range(8):
            subject = "".join(rng.choice("ab1.\n") for _ in range(rng.randint(0, 7)))
            assert compiled.search(subject) == _native(subject, pattern), (pattern, subject)


@pytest.mark.parametrize(
    "pattern",
    ["a\\b", "(?i)a", "[[:alpha:]]", "a**", "x{,3}", "\\pL", "a|^b", "^a|b", "(a", "a)",
     "[]a]", "\\1", "a{1001}", "\\_", "a$b", "\\Q.\\E", "[a-\\d]", "x{3,2}"],
)  # fmt: skip
def test_outside_the_subset_is_refused(pattern: str) -> None:
    with pytest.raises(Unsupported):
        matcher(pattern)


def test_rewrite_only_touches_supported_constant_patterns() -> None:
    src = (
        "a.matches('^x[0-9]+$') && b.matches(p) && c.matches('(?i)x') "
        "&& 'd.matches(\\'y\\')' == d && e . matches ( r'\\d' )"
    )
    out = rewrite_matches(src, mask(src)[0])
    first, second = pattern_id("^x[0-9]+$"), pattern_id("\\d")
    assert out == (
        f"a.{FUNCTION}({first}) && b.matches(p) && c.matches('(?i)x') "
        f"&& 'd.matches(\\'y\\')' == d && e .{FUNCTION}({second})"
    )
    assert pattern_id("^x[0-9]+$") == first != second  # one id per distinct pattern
    valid = "object.a.matches('^x$') && request.name.matches('[0-9]')"
    assert compile_expression(rewrite_matches(valid, mask(valid)[0])).source.count(FUNCTION) == 2


def test_policy_results_and_errors_unchanged() -> None:
    vap = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "p"},
        "spec": {
            "validations": [
                {"expression": "object.spec.containers.all(c, c.image.matches(':[0-9.]+$'))"}
            ]
        },
    }
    [policy], _ = load_cel_documents([(vap, SourcePos("mem"))], [])

    def pod(image: object) -> AdmissionInput:
        obj = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"image": image}]}}
        return AdmissionInput(obj=obj, namespace="default", name="p")

    assert [r.result for r in policy.evaluate(pod("x:1.2"))] == [Result.PASS]
    assert [r.result for r in policy.evaluate(pod("x:latest"))] == [Result.FAIL]
    [err] = policy.evaluate(pod(5))
    assert err.result is Result.ERROR
    assert FUNCTION not in err.message and "matches" in err.message
