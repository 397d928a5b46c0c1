"""The Kubernetes CEL libraries, expression by expression."""

from __future__ import annotations

from typing import Any

import pytest
from cel_expr_python import cel
from tests.unit.cel.cel_support import activation_data, evaluate

from hardhull.policy.cel.env import compile_expression

DATA = activation_data({"l": [3, 1, 2], "s": ["a", "b"], "mem": "1Gi"})

CASES: list[tuple[str, Any]] = [
    ("'HeLLo'.lowerAscii()", "hello"),
    ("'HeLLo'.upperAscii()", "HELLO"),
    ("'a-b-c'.replace('-', '+')", "a+b+c"),
    ("'a-b-c'.replace('-', '+', 1)", "a+b-c"),
    ("'a,b,c'.split(',')", ["a", "b", "c"]),
    ("'a,b,c'.split(',', 2)", ["a", "b,c"]),
    ("['x', 'y'].join('/')", "x/y"),
    ("'  pad '.trim()", "pad"),
    ("'hello'.indexOf('l')", 2),
    ("'hello'.lastIndexOf('l')", 3),
    ("'hello'.indexOf('l', 3)", 3),
    ("'hello'.substring(1, 3)", "el"),
    ("'hello'.charAt(4)", "o"),
    ("[1, 2, 3].isSorted()", True),
    ("object.l.isSorted()", False),
    ("object.l.sum()", 6),
    ("object.l.min()", 1),
    ("object.l.max()", 3),
    ("object.l.indexOf(2)", 2),
    ("object.s.lastIndexOf('b')", 1),
    ("'abc 123 def 456'.find('[0-9]+')", "123"),
    ("'abc 123 def 456'.findAll('[0-9]+')", ["123", "456"]),
    ("'abc 123 def 456'.findAll('[0-9]+', 1)", ["123"]),
    ("quantity(object.mem).isLessThan(quantity('2Gi'))", True),
    ("quantity('1Gi') == quantity('1024Mi')", True),
    ("quantity('1500m').compareTo(quantity('1.5'))", 0),
    ("quantity('2k').asInteger()", 2000),
    ("quantity('-1').sign()", -1),
    ("quantity('1Gi').add(quantity('1Gi')).isGreaterThan(quantity('2G'))", True),
    ("quantity('5').sub(3).asInteger()", 2),
    ("isQuantity('1x')", False),
    ("url('https://example.com:8443/a/b?x=1&x=2').getHost()", "example.com:8443"),
    ("url('https://[::1]:80/').getHostname()", "::1"),
    ("url('https://example.com/a').getScheme()", "https"),
    ("url('https://example.com/a?x=1&x=2').getQuery()['x']", ["1", "2"]),
    ("isURL('not a url')", False),
    ("ip('10.0.0.1').family()", 4),
    ("ip('::1').isLoopback()", True),
    ("isIP('1.2.3')", False),
    ("cidr('10.0.0.0/8').containsIP(ip('10.20.0.1'))", True),
    ("cidr('10.0.0.0/8').containsCIDR('11.0.0.0/16')", False),
    ("cidr('192.168.1.7/24').masked() == cidr('192.168.1.0/24')", True),
    ("cidr('192.168.1.0/24').prefixLength()", 24),
    ("object.?missing.?deeper.orValue('default')", "default"),
    ("object.s.exists_one(x, x == 'a')", True),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_library_function(expression: str, expected: Any) -> None:
    value = evaluate(expression, DATA)
    assert value.plain_value() == expected


@pytest.mark.parametrize(
    "expression",
    ["[].min()", "'abc'.substring(2, 1)", "quantity('bogus')", "quantity('0.5').asInteger()"],
)
def test_library_errors_are_cel_errors(expression: str) -> None:
    value = evaluate(expression, DATA)
    assert value.type() == cel.Type.ERROR


def test_unknown_function_is_a_compile_error() -> None:
    with pytest.raises(ValueError, match="undeclared reference"):
        compile_expression("object.spec.nope()")
