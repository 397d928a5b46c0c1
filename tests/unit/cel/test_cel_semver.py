"""The Kubernetes CEL semver library, compiled and evaluated in the shared environment."""

from __future__ import annotations

from typing import Any

import pytest
from cel_expr_python import cel
from tests.unit.cel.cel_support import activation_data, evaluate, value

from hardhull.policy.cel import semverlib
from hardhull.policy.cel.env import compile_expression

DATA = activation_data({"spec": {"version": "v1.28.3", "strict": "1.28.3-rc.1+build.5"}})


def _eval(expression: str) -> Any:
    return evaluate(expression, DATA)


def _value(expression: str) -> Any:
    return value(expression, DATA)


def _error(expression: str) -> str:
    value = _eval(expression)
    assert value.type() == cel.Type.ERROR
    return str(value.value())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # isSemver, strict
        ("isSemver('1.2.3')", True),
        ("isSemver('1.2.3-beta.1+build.1')", True),
        ("isSemver('0.0.0')", True),
        ("isSemver('1.0.0-alpha-1.x-y')", True),
        ("isSemver('1.0.0+20130313144700')", True),
        ("isSemver('1.0.0-0.3.7')", True),
        ("isSemver('')", False),
        ("isSemver('v1.0.0')", False),
        ("isSemver(' 1.0.0')", False),
        ("isSemver('1. 0.0')", False),
        ("isSemver('1.0.0 ')", False),
        ("isSemver('01.01.01')", False),
        ("isSemver('1.01.0')", False),
        ("isSemver('1.0.01')", False),
        ("isSemver('1')", False),
        ("isSemver('1.1')", False),
        ("isSemver('1..0')", False),
        ("isSemver('1.0.0-')", False),
        ("isSemver('1.0.0-01')", False),
        ("isSemver('1.0.0-a..b')", False),
        ("isSemver('1.0.0-a_b')", False),
        ("isSemver('1.0.0+')", False),
        ("isSemver('1.0.0+a..b')", False),
        ("isSemver('1.0.0+a$')", False),
        ("isSemver('1.0.0+001')", True),  # build identifiers may have leading zeros
        ("isSemver('1.0.0-rc.1+build.1-x')", True),
        ("isSemver('hello')", False),
        ("isSemver('200K')", False),
        ("isSemver('18446744073709551615.0.0')", True),
        ("isSemver('18446744073709551616.0.0')", False),
        # isSemver, normalized
        ("isSemver('', true)", False),
        ("isSemver(' 1.0.0', true)", False),
        ("isSemver('1. 0.0', true)", False),
        ("isSemver('1.0.0 ', true)", False),
        ("isSemver('v1.0.0', true)", True),
        ("isSemver('01.01.01', true)", True),
        ("isSemver('1', true)", True),
        ("isSemver('1.1', true)", True),
        ("isSemver('v1', true)", True),
        ("isSemver('vv1.0.0', true)", False),
        ("isSemver('1.0-rc.1', true)", False),
        ("isSemver('1+build', true)", False),
        ("isSemver('1.0.0-rc.1', true)", True),
        ("isSemver('00.00.00', true)", True),
        ("isSemver('1.2.3', false)", True),
        ("isSemver('v1.2.3', false)", False),
        # equality (build metadata has no precedence)
        ("semver('v01.01', true) == semver('1.1.0')", True),
        ("semver('1.2.3') == semver('1.2.3')", True),
        ("semver('1.2.3') == semver('1.0.0')", False),
        ("semver('1.2.3+a') == semver('1.2.3+b')", True),
        ("semver('1.2.3-a') == semver('1.2.3')", False),
        ("semver('v1', true) == semver('1.0.0')", True),
        ("semver('010.020.030', true) == semver('10.20.30')", True),
        # ordering
        ("semver('1.0.0').isLessThan(semver('1.2.3'))", True),
        ("semver('1.0.0').isLessThan(semver('1.0.0'))", False),
        ("semver('1.2.3').isGreaterThan(semver('1.0.0'))", True),
        ("semver('1.0.0').isGreaterThan(semver('1.0.0'))", False),
        ("semver('1.2.3').compareTo(semver('1.2.3'))", 0),
        ("semver('1.0.0').compareTo(semver('1.2.3'))", -1),
        ("semver('1.2.3').compareTo(semver('1.0.0'))", 1),
        ("semver('1.2.3').compareTo(semver('0.1.2'))", 1),
        ("semver('2.0.0').compareTo(semver('10.0.0'))", -1),
        ("semver('1.10.0').compareTo(semver('1.9.0'))", 1),
        ("semver('1.0.10').compareTo(semver('1.0.9'))", 1),
        ("semver('1.0.0-alpha').isLessThan(semver('1.0.0'))", True),
        ("semver('1.0.0-alpha').isLessThan(semver('1.0.0-alpha.1'))", True),
        ("semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))", True),
        ("semver('1.0.0-alpha.beta').isLessThan(semver('1.0.0-beta'))", True),
        ("semver('1.0.0-beta').isLessThan(semver('1.0.0-beta.2'))", True),
        ("semver('1.0.0-beta.2').isLessThan(semver('1.0.0-beta.11'))", True),
        ("semver('1.0.0-beta.11').isLessThan(semver('1.0.0-rc.1'))", True),
        ("semver('1.0.0-rc.1').isLessThan(semver('1.0.0'))", True),
        ("semver('1.0.0-rc.1+b1').compareTo(semver('1.0.0-rc.1+b2'))", 0),
        ("semver('1.0.0-Z').isLessThan(semver('1.0.0-a'))", True),  # ASCII order
        # accessors
        ("semver('1.2.3').major()", 1),
        ("semver('1.2.3').minor()", 2),
        ("semver('1.2.3').patch()", 3),
        ("semver('v1.28', true).minor()", 28),
        ("semver('v1.28', true).patch()", 0),
        ("semver('9223372036854775807.0.0').major()", 9223372036854775807),
        ("semver('9223372036854775808.0.0').major()", -9223372036854775808),
        # through the request
        ("semver(object.spec.version, true).isGreaterThan(semver('1.27.0'))", True),
        ("semver(object.spec.strict).patch()", 3),
        ("isSemver(object.spec.version)", False),
        ("semver(object.spec.strict).isLessThan(semver('1.28.3'))", True),
        # quantities still order through the shared overloads
        ("quantity('1Gi').isLessThan(quantity('2Gi'))", True),
        ("quantity('1500m').compareTo(quantity('1.5'))", 0),
        ("quantity('2').isGreaterThan(quantity('1'))", True),
    ],
)
def test_semver_expression(expression: str, expected: Any) -> None:
    assert _value(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("semver('v1.0')", "No Major.Minor.Patch elements found"),
        ("semver('')", "Version string empty"),
        ("semver('1.0')", "No Major.Minor.Patch elements found"),
        ("semver('200K')", "No Major.Minor.Patch elements found"),
        ("semver('Three')", "No Major.Minor.Patch elements found"),
        ("semver('a.b.c')", 'Invalid character(s) found in major number "a"'),
        ("semver('1.b.0')", 'Invalid character(s) found in minor number "b"'),
        ("semver('1.0.c')", 'Invalid character(s) found in patch number "c"'),
        ("semver('01.0.0')", 'Major number must not contain leading zeroes "01"'),
        ("semver('1.00.0')", 'Minor number must not contain leading zeroes "00"'),
        ("semver('1.0.00')", 'Patch number must not contain leading zeroes "00"'),
        ("semver('1..0')", 'strconv.ParseUint: parsing "": invalid syntax'),
        ("semver('1.0.0-')", "Prerelease is empty"),
        ("semver('1.0.0-01')", 'Numeric PreRelease version must not contain leading zeroes "01"'),
        ("semver('1.0.0-a_b')", 'Invalid character(s) found in prerelease "a_b"'),
        ("semver('1.0.0+')", "Build meta data is empty"),
        ("semver('1.0.0+a_b')", 'Invalid character(s) found in build meta data "a_b"'),
        (
            "semver('18446744073709551616.0.0')",
            'strconv.ParseUint: parsing "18446744073709551616": value out of range',
        ),
        ("semver('1.0-rc', true)", "short version cannot contain PreRelease/Build meta data"),
        ("semver('1+b', true)", "short version cannot contain PreRelease/Build meta data"),
        ("semver('1.0-rc.1', true)", 'Invalid character(s) found in minor number "0-rc"'),
        ("semver(' 1.0.0', true)", 'Invalid character(s) found in major number "0 1"'),
        ("semver('1.2.3').isLessThan(quantity('1'))", "expected a semver"),
        ("quantity('1').isLessThan(semver('1.2.3'))", "expected a quantity"),
    ],
)
def test_semver_errors(expression: str, message: str) -> None:
    assert message in _error(expression)


def test_semver_overloads_are_checked_at_compile_time() -> None:
    with pytest.raises(ValueError, match="no matching overload"):
        compile_expression("isSemver([1, 2, 3])")
    with pytest.raises(ValueError, match="no matching overload"):
        compile_expression("semver('1.0.0', 'yes')")
    with pytest.raises(ValueError, match="major"):
        compile_expression("semver('1.0.0').major(1)")


def test_semver_encoding_drops_build_metadata() -> None:
    assert semverlib.make("1.2.3-rc.1+build.7") == {semverlib.TAG: "1.2.3-rc.1"}
    assert semverlib.make_normalized("v01.2", True) == {semverlib.TAG: "1.2.0"}


def test_normalize_follows_kubernetes() -> None:
    assert semverlib.normalize("v1") == "1.0.0"
    assert semverlib.normalize("v01.010") == "1.10.0"
    assert semverlib.normalize("1.0.0-01") == "1.0.0-01"  # only the first 3 parts
    assert semverlib.normalize("000.0.0") == "0.0.0"
    assert semverlib.normalize("0a.1.2") == "0a.1.2"
