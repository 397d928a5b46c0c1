"""The Kubernetes CEL format library, compiled and evaluated in the shared environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from cel_expr_python import cel
from tests.unit.cel.cel_support import activation_data, evaluate, value

from hardhull.policy.base import AdmissionInput, Result, SourcePos
from hardhull.policy.cel import formatlib, load_cel_documents
from hardhull.policy.cel.env import compile_expression

DATA = activation_data(
    {"metadata": {"name": "Bad_Name", "generateName": "web-"}, "spec": {"f": "uri"}}
)

LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
    "[a-z0-9])?)*')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def _eval(expression: str) -> Any:
    return evaluate(expression, DATA)


def _value(expression: str) -> Any:
    return value(expression, DATA)


def _messages(fmt: str, text: str) -> list[str]:
    """``format.<fmt>().validate(text)`` as a list (``[]`` for none)."""
    quoted = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    result = _value(f"format.{fmt}().validate('{quoted}').orValue([])")
    assert isinstance(result, list)
    return result


VALID = [
    ("dns1123Label", "my-label-name"),
    ("dns1123Label", "a"),
    ("dns1123Label", "0"),
    ("dns1123Label", "123-abc"),
    ("dns1123Label", "a" * 63),
    ("dns1123Subdomain", "apiextensions.k8s.io"),
    ("dns1123Subdomain", "example.com"),
    ("dns1123Subdomain", "a." * 126 + "a"),
    ("dns1035Label", "my-label-name"),
    ("dns1035Label", "a1"),
    ("qualifiedName", "apiextensions.k8s.io/v1beta1"),
    ("qualifiedName", "my.name"),
    ("qualifiedName", "MyName"),
    ("qualifiedName", "a_b-c.d"),
    ("qualifiedName", "example.com/" + "x" * 63),
    ("dns1123LabelPrefix", "my-label-prefix-"),
    ("dns1123LabelPrefix", "ab-"),
    ("dns1123SubdomainPrefix", "mysubdomain.prefix.-"),
    ("dns1123SubdomainPrefix", "web-"),
    ("dns1035LabelPrefix", "my-label-prefix-"),
    ("labelValue", "my-cool-label-Value"),
    ("labelValue", ""),
    ("labelValue", "a" * 63),
    ("uri", "http://example.com"),
    ("uri", "https://user:pw@example.com:8443/a/b?q=1"),
    ("uri", "/absolute/path"),
    ("uri", "mailto:someone@example.com"),
    ("uri", "http://[::1]:80/"),
    ("uri", "http://example.com/a%20b"),
    ("uri", "*"),
    ("uuid", "123e4567-e89b-12d3-a456-426614174000"),
    ("uuid", "123E4567-E89B-12D3-A456-426614174000"),
    ("uuid", "123e4567e89b12d3a456426614174000"),
    ("byte", "aGVsbG8="),
    ("byte", "aGVsbG8h"),
    ("byte", "aGk="),
    ("byte", "YQ=="),
    ("date", "2021-01-01"),
    ("date", "2020-02-29"),
    ("date", "2000-02-29"),
    ("datetime", "2021-01-01T00:00:00Z"),
    ("datetime", "2021-01-01t23:59:59z"),
    ("datetime", "2021-01-01T10:00:00.123456+05:30"),
    ("datetime", "2021-01-01T10:00:00-08:00"),
]


@pytest.mark.parametrize(("fmt", "text"), VALID)
def test_valid_strings_give_none(fmt: str, text: str) -> None:
    quoted = text.replace("'", "\\'")
    assert _value(f"format.{fmt}().validate('{quoted}').hasValue()") is False
    assert _value(f"format.{fmt}().validate('{quoted}') == optional.none()") is True


INVALID = [
    ("dns1123Label", "contains a space", [LABEL_MSG]),
    ("dns1123Label", "Upper", [LABEL_MSG]),
    ("dns1123Label", "-start", [LABEL_MSG]),
    ("dns1123Label", "end-", [LABEL_MSG]),
    ("dns1123Label", "", [LABEL_MSG]),
    ("dns1123Label", "a.b", ["must not contain dots"]),
    ("dns1123Label", "a" * 64, ["must be no more than 63 characters"]),
    ("dns1123Label", "A" * 64, ["must be no more than 63 characters", LABEL_MSG]),
    ("dns1123Subdomain", "contains a space", [SUBDOMAIN_MSG]),
    ("dns1123Subdomain", "a..b", [SUBDOMAIN_MSG]),
    ("dns1123Subdomain", "a." * 127, ["must be no more than 253 characters", SUBDOMAIN_MSG]),
    ("dns1035Label", "contains a space", [DNS1035_MSG]),
    ("dns1035Label", "1abc", [DNS1035_MSG]),
    ("dns1035Label", "b" * 64, ["must be no more than 63 characters"]),
    ("qualifiedName", "contains a space", [NAME_PART_MSG]),
    ("qualifiedName", "/name", ["prefix part must be non-empty"]),
    ("qualifiedName", "example.com/", ["name part must be non-empty", NAME_PART_MSG]),
    ("qualifiedName", "Example.com/name", ["prefix part " + SUBDOMAIN_MSG]),
    ("qualifiedName", "x" * 64, ["name part must be no more than 63 characters"]),
    ("dns1123LabelPrefix", "contains a space-", [LABEL_MSG]),
    ("dns1123LabelPrefix", "a.b-", ["must not contain dots"]),
    ("dns1123SubdomainPrefix", "contains a space-", [SUBDOMAIN_MSG]),
    ("dns1035LabelPrefix", "contains a space-", [DNS1035_MSG]),
    ("dns1035LabelPrefix", "1a-", [DNS1035_MSG]),
    ("labelValue", "my-cool-label-Value!!\n\n!!!", [LABEL_VALUE_MSG]),
    ("labelValue", "-x", [LABEL_VALUE_MSG]),
    ("labelValue", "v" * 64, ["must be no more than 63 characters"]),
    ("uri", "example.com", ['parse "example.com": invalid URI for request']),
    ("uri", "", ['parse "": empty url']),
    ("uri", ":foo", ['parse ":foo": missing protocol scheme']),
    ("uri", "http://a b.com/", ['parse "http://a b.com/": invalid character " " in host name']),
    ("uri", "http://host:port/", ['parse "http://host:port/": invalid port ":port" after host']),
    ("uri", "http://[::1/", ["parse \"http://[::1/\": missing ']' in host"]),
    ("uri", "/a%zzb", ['parse "/a%zzb": invalid URL escape "%zz"']),
    ("uri", "/a%2", ['parse "/a%2": invalid URL escape "%2"']),
    ("uri", "http://x/\x7f", ['parse "http://x/\\x7f": net/url: invalid control character in URL']),
    ("uuid", "123e4567-e89b-12d3-a456-42661417400", ["does not match the UUID format"]),
    ("uuid", "not-a-uuid", ["does not match the UUID format"]),
    ("byte", "aGVsbG8", ["invalid base64"]),
    ("byte", "", ["invalid base64"]),
    ("byte", "aGVs bG8=", ["invalid base64"]),
    ("date", "2020-01-32", ["invalid date"]),
    ("date", "2021-02-29", ["invalid date"]),
    ("date", "2021-13-01", ["invalid date"]),
    ("date", "2021-1-01", ["invalid date"]),
    ("date", "2021-01-01T00:00:00Z", ["invalid date"]),
    ("datetime", "2020-01-32T00:00:00Z", ["invalid datetime"]),
    ("datetime", "2020-01-01T24:00:00Z", ["invalid datetime"]),
    ("datetime", "2020-01-01T00:60:00Z", ["invalid datetime"]),
    ("datetime", "2020-01-01T00:00:00", ["invalid datetime"]),
    ("datetime", "2020-01-01", ["invalid datetime"]),
    ("datetime", "2020-01-01 00:00:00Z", ["invalid datetime"]),
]


@pytest.mark.parametrize(("fmt", "text", "expected"), INVALID)
def test_invalid_strings_give_messages(fmt: str, text: str, expected: list[str]) -> None:
    assert _messages(fmt, text) == expected


def test_named_lookup_and_comparison() -> None:
    names = list(formatlib.FORMATS)
    assert len(names) == 13
    for name in names:
        assert _value(f"format.named('{name}').hasValue()") is True
        assert _value(f"format.named('{name}').value() == format.{name}()") is True
        others = [n for n in names if n != name]
        assert _value(" || ".join(f"format.{name}() == format.{o}()" for o in others)) is False
    assert _value("format.named('unknown').hasValue()") is False
    assert _value("format.named('DNS1123Label').hasValue()") is False


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("format.dns1123Label().validate(object.metadata.name).hasValue()", True),
        ("format.dns1123Label().validate(object.metadata.name).value().size()", 1),
        ("format.dns1123LabelPrefix().validate(object.metadata.generateName).hasValue()", False),
        ("format.named(object.spec.f).value().validate('http://x/').hasValue()", False),
        (
            "format.named(object.spec.f).value().validate('x').value()[0]",
            'parse "x": invalid URI for request',
        ),
        ("format.named('nope').orValue(format.uuid()).validate('x').hasValue()", True),
        ("(1 > 0 ? format.uri() : format.uuid()).validate('x').hasValue()", True),
        ("[format.uri(), format.date()].exists(f, f.validate('2020-01-01').hasValue())", True),
        ("[format.uri(), format.date()].all(f, f.validate('2020-01-01').hasValue())", False),
        ("format.date().validate('2020-01-01').orValue(['ok'])", ["ok"]),
        ("format.date() .validate ('x').value()", ["invalid date"]),
        ("'.validate(' + 'format.named(x)'", ".validate(format.named(x)"),
    ],
)
def test_format_in_expressions(expression: str, expected: Any) -> None:
    assert _value(expression) == expected


def test_rewrite_wraps_only_calls() -> None:
    src = "format.named('uri').value().validate(object.x).hasValue() // .validate(x)"
    assert formatlib.rewrite(src) == (
        "optional.ofNonZeroValue(optional.ofNonZeroValue(hhFormatNamed('uri')).value()"
        ".hhFormatValidate(object.x)).hasValue() // .validate(x)"
    )
    assert formatlib.rewrite("object.a == 'format.named(1)'") == "object.a == 'format.named(1)'"
    assert formatlib.rewrite("a.b[0].validate(c)") == (
        "optional.ofNonZeroValue(a.b[0].hhFormatValidate(c))"
    )


@pytest.mark.parametrize(
    "expression",
    [
        "format.dns1123LabelPrefix().validate('-')",  # Go panics on this input
        "quantity('1').validate('x')",
        "{'a': 'b'}.validate('x')",
    ],
)
def test_validate_errors(expression: str) -> None:
    assert _eval(expression).type() == cel.Type.ERROR


@pytest.mark.parametrize(
    "expression",
    ["format.nope()", "format.uri('x')", "format.uri().validate(1)", "format.named(1)"],
)
def test_bad_format_calls_do_not_compile(expression: str) -> None:
    with pytest.raises(ValueError, match=r"undeclared reference|no matching overload"):
        compile_expression(expression)


def test_format_and_semver_in_a_validating_admission_policy() -> None:
    path = Path(__file__).parents[2] / "fixtures" / "cel" / "vap-format-semver.yaml"
    docs = [(d, SourcePos(path.name)) for d in yaml.safe_load_all(path.read_text()) if d]
    policies, errors = load_cel_documents(docs, [])
    assert errors == []
    [policy] = policies

    def run(name: str, labels: dict[str, str]) -> list[tuple[Result, str]]:
        obj = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "labels": labels},
            "spec": {},
        }
        inp = AdmissionInput(
            obj=obj,
            kind="Deployment",
            api_version="apps/v1",
            resource="deployments",
            namespace="default",
            name=name,
        )
        return [(r.result, r.message) for r in policy.evaluate(inp)]

    good = {"app.kubernetes.io/version": "v1.2", "team": "payments"}
    assert [r for r, _ in run("web", good)] == [Result.PASS] * 3
    bad = run("1web", {"app.kubernetes.io/version": "0.9.0", "team": "-x"})
    assert [r for r, _ in bad] == [Result.FAIL] * 3
    assert bad[0][1] == "bad name: " + DNS1035_MSG
    assert bad[1][1] == "version 0.9.0 is not above 1.0.0"
    assert bad[2][1] == "team label is not a label value"
    assert [r for r, _ in run("web", {"app.kubernetes.io/version": "x.y"})][1] == Result.FAIL
