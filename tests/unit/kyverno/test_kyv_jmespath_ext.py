"""Kyverno's custom JMESPath functions as Kyverno documents and tests them: arithmetic
on numbers, quantities and durations, round, time_*, semver_compare, image_normalize,
x509_decode, random and the string / collection functions. Cases follow Kyverno's
``pkg/engine/jmespath`` tests and documentation examples, written out here."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import re
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hardhull.policy.base import AdmissionInput, Result
from hardhull.policy.kyverno.variables import VariableError, compile_expr, query, substitute
from hardhull.policy.loader import compile_documents, parse_documents


def q(expr: str, data: dict[str, Any] | None = None) -> Any:
    return query(expr, data or {})


def err(expr: str, data: dict[str, Any] | None = None) -> str:
    with pytest.raises(VariableError) as info:
        query(expr, data or {})
    return str(info.value)


# ------------------------------------------------------------------ arithmetic

ARITH_OK = [
    # scalars
    ("add(`12`, `13`)", 25),
    ("subtract(`12`, `13`)", -1),
    ("multiply(`2.5`, `2.5`)", 6.25),
    ("divide(`14`, `3`)", 14 / 3),
    ("divide(`14`, `7`)", 2),
    ("modulo(`13`, `5`)", 3),
    ("modulo(`-13`, `5`)", -3),  # Go's %: the dividend's sign
    # quantities
    ("add('12Ki', '13Ki')", "25Ki"),
    ("add('12Ki', '13')", "12301"),
    ("subtract('12Ki', '13Ki')", "-1Ki"),
    ("subtract('12Ki', '13')", "12275"),
    ("subtract('10Mi', '5Ki')", "10235Ki"),
    ("add('1.5', '1')", "2500m"),
    ("add('500m', '500m')", "1"),
    ("add('1e3', '1e3')", "2e3"),
    ("add('0', '5Ki')", "5Ki"),
    ("add('1G', '500M')", "1500M"),
    ("multiply('12Ki', `2`)", "24Ki"),
    ("multiply(`2.5`, '12Ki')", "30Ki"),
    ("multiply(`2.5`, '12')", "30"),
    ("multiply('1Gi', `0.5`)", "512Mi"),
    ("divide('256M', '256M')", 1),
    ("divide('512M', '256M')", 2),
    ("divide('8', '3')", 8 / 3),
    ("divide('128M', '256M')", 0.5),
    ("divide('12Ki', '2Ki')", 6),
    ("divide('12Ki', '200')", 61.44),
    ("divide('10Mi', '5Ki')", 2048),
    ("divide('12Ki', `3`)", "4Ki"),
    ("divide('1Gi', `3`)", "357913941"),  # rounded toward zero at scale 0
    ("divide('1.5', `4`)", "300m"),
    ("modulo('12Ki', '5Ki')", "2Ki"),
    ("modulo('10', '3')", "1"),
    # durations
    ("add('12s', '13s')", "25s"),
    ("add('1h', '30s')", "1h0m30s"),
    ("subtract('12s', '13s')", "-1s"),
    ("multiply('12s', `2`)", "24s"),
    ("multiply(`2.5`, '40s')", "1m40s"),
    ("divide('12s', `3`)", "4s"),
    ("divide('12s', '5s')", 2.4),
    ("divide('1h', `7200`)", "500ms"),
    ("modulo('13s', '2s')", "1s"),
    ("add('1.5h', '1500ms')", "1h30m1.5s"),
    ("add('1us', '1µs')", "2µs"),
]


@pytest.mark.parametrize(("expr", "want"), ARITH_OK)
def test_arithmetic(expr: str, want: Any) -> None:
    got = q(expr)
    assert got == want
    assert type(got) is type(want)


ARITH_MISMATCH = [
    "add('12', '13s')",
    "add(`12`, '13Ki')",
    "add(`12`, '13')",
    "add('12Ki', '13s')",
    "add('12Ki', `13`)",
    "add('12s', `13`)",
    "add('12s', '13Ki')",
    "add('1h', '30m')",  # '30m' is a quantity (30 milli)
    "subtract('12', '13s')",
    "subtract('12Ki', `13`)",
    "subtract('12s', '13')",
    "multiply('12Ki', '12Ki')",
    "multiply('12Ki', '12')",
    "multiply('12Ki', '12s')",
    "multiply('12s', '12s')",
    "multiply('12s', '12Ki')",
    "divide('12Ki', '2s')",
    "divide('12s', '4Ki')",
    "divide(`14`, '5s')",
    "divide(`14`, '5Ki')",
    "modulo('12', '13s')",
    "modulo('12Ki', `13`)",
    "modulo('13s', '12')",
    "modulo('13s', `2`)",
    "modulo(`13`, '12Ki')",
]


@pytest.mark.parametrize("expr", ARITH_MISMATCH)
def test_arithmetic_type_mismatch(expr: str) -> None:
    fn = expr.split("(")[0]
    assert f"JMESPath function '{fn}': Types mismatch" in err(expr)


@pytest.mark.parametrize(
    "expr",
    [
        "divide(`14`, `0`)",
        "divide('4Ki', `0`)",
        "divide('4Ki', '0Ki')",
        "divide('4', '0')",
        "divide('4s', `0`)",
        "divide('4s', '0s')",
        "modulo(`14`, `0`)",
        "modulo('4Ki', '0Ki')",
        "modulo('4s', '0s')",
    ],
)
def test_zero_divisor_is_an_error(expr: str) -> None:
    # constant arguments: the error shows up when the expression is compiled
    with pytest.raises(VariableError, match="Zero divisor passed"):
        compile_expr(expr)


def test_zero_divisor_from_data_is_an_evaluation_error() -> None:
    assert "Zero divisor passed" in err("divide(a, b)", {"a": "1Gi", "b": "0"})


@pytest.mark.parametrize(
    "expr",
    ["modulo('4', '1.5')", "modulo('4.5', '1')", "modulo(`14`, `1.5`)", "modulo(`14.5`, `2`)"],
)
def test_modulo_needs_integers(expr: str) -> None:
    with pytest.raises(VariableError, match=re.escape("Non-integer argument(s) passed for modulo")):
        compile_expr(expr)


@pytest.mark.parametrize("value", [None, True, "abc", [1], {"a": 1}])
def test_invalid_operands(value: Any) -> None:
    assert "JMESPath function 'add': invalid operands" in err("add(v, `1`)", {"v": value})


SUMS = [
    ("sum(`[12]`)", 12),
    ("sum(`[12, 13, 1, 4]`)", 30),
    ("sum(`[6, 3, 8]`)", 17),
    ("sum(['12Ki'])", "12Ki"),
    ("sum(['12Ki', '13Ki', '1Ki', '4Ki'])", "30Ki"),
    ("sum(['12Ki', '13'])", "12301"),
    ("sum(['2Ki', '5Gi', '8Mi'])", "5251074Ki"),
    ("sum(['12s', '13s', '1s', '4s'])", "30s"),
    ("sum(['2h', '50s', '90s'])", "2h2m20s"),
]


@pytest.mark.parametrize(("expr", "want"), SUMS)
def test_sum(expr: str, want: Any) -> None:
    assert q(expr) == want


@pytest.mark.parametrize(
    "expr",
    ["sum(['12', '13s'])", "sum([`12`, '13Ki'])", "sum(['12Ki', `13`])", "sum(['12s', '13'])"],
)
def test_sum_of_mixed_kinds_is_an_error(expr: str) -> None:
    assert "JMESPath function 'sum': Types mismatch" in err(expr)


def test_sum_of_nothing_is_an_error() -> None:
    assert "at least one element in the array is required" in err("sum(v)", {"v": []})


def test_sum_over_requests_from_data() -> None:
    pod = {"containers": [{"m": "512Mi"}, {"m": "768Mi"}]}
    assert q("sum(containers[].m)", pod) == "1280Mi"


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("round(`10.125`, `2`)", 10.13),
        ("round(`10.123456`, `2`)", 10.12),
        ("round(`2.5`, `0`)", 3),  # half away from zero, as Go's math.Round
        ("round(`-2.5`, `0`)", -3),
        ("round(`3.14159`, `4`)", 3.1416),
        ("round(`7`, `3`)", 7),
    ],
)
def test_round(expr: str, want: Any) -> None:
    assert q(expr) == want


def test_round_errors() -> None:
    assert "Non-integer argument(s) passed for round off" in err("round(`1.5`, `1.5`)")
    assert "out of bounds" in err("round(`1.5`, `-1`)")
    assert "invalid type" in err("round('1.5', `1`)")


def test_whole_numbers_print_without_a_fraction_in_messages() -> None:
    assert substitute("total {{ add(`1`, `2`) }}", {}) == "total 3"
    assert substitute("ratio {{ divide(`1`, `4`) }}", {}) == "ratio 0.25"


# ------------------------------------------------------------------ time


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("time_since('', '2021-01-02T15:04:05-07:00', '2021-01-10T03:14:05-07:00')", "180h10m0s"),
        ("time_since('', '2022-04-10T03:14:05-07:00', '2022-04-11T03:14:05-07:00')", "24h0m0s"),
        (
            "time_since('Mon Jan _2 15:04:05 MST 2006', 'Mon Jan 02 15:04:05 MST 2021',"
            " 'Mon Jan 10 03:14:16 MST 2021')",
            "180h10m11s",
        ),
        ("time_since('2006-Jan-02', '2020-Jan-14', '2020-Jan-17')", "72h0m0s"),
        ("time_since('', '2021-01-02T15:04:05.5Z', '2021-01-02T15:04:06Z')", "500ms"),
        ("time_to_cron('2023-02-02T15:04:05Z')", "4 15 2 2 4"),
        ("time_to_cron(time_utc('2023-02-02T15:04:05-07:00'))", "4 22 2 2 4"),
        ("time_to_cron('2022-04-11T03:14:05-07:00')", "14 3 11 4 1"),
        ("time_add('2021-01-02T15:04:05-07:00', '3h')", "2021-01-02T18:04:05-07:00"),
        ("time_add('2023-01-12T12:37:56-05:00', '6h')", "2023-01-12T18:37:56-05:00"),
        ("time_add('2023-12-31T23:00:00Z', '-25h')", "2023-12-30T22:00:00Z"),
        (
            "time_add(time_parse('Mon Jan 02 15:04:05 MST 2006', 'Sat Jan 02 15:04:05 MST 2021'),"
            " '5h30m40s')",
            "2021-01-02T20:34:45Z",
        ),
        ("time_utc('2023-02-02T15:04:05Z')", "2023-02-02T15:04:05Z"),
        ("time_utc('2023-02-02T15:04:05-07:00')", "2023-02-02T22:04:05Z"),
        ("time_utc('2021-01-02T02:04:05+08:30')", "2021-01-01T17:34:05Z"),
        ("time_diff('2021-01-02T15:04:05-07:00', '2021-01-10T03:14:05-07:00')", "180h10m0s"),
        ("time_diff('2023-01-10T00:00:00Z', '2023-01-11T00:00:00Z')", "24h0m0s"),
        ("time_diff('2023-01-12T00:00:00Z', '2023-01-11T00:00:00Z')", "-24h0m0s"),
        ("time_diff('2023-01-12T00:00:00Z', '2023-01-12T00:00:00Z')", "0s"),
        ("time_before('2021-01-02T15:04:05-07:00', '2021-01-02T16:04:05-07:00')", True),
        ("time_before('2021-01-02T15:04:05-07:00', '2021-01-02T15:04:05-07:00')", False),
        ("time_before('2021-01-02T16:04:05-07:00', '2021-01-02T15:04:05-07:00')", False),
        ("time_after('2021-01-02T16:04:05-07:00', '2021-01-02T15:04:05-07:00')", True),
        ("time_after('2021-01-02T15:04:05-07:00', '2021-01-02T15:04:05-07:00')", False),
        ("time_after('2023-01-12T14:07:55-05:00', '2023-01-12T19:05:59Z')", True),
        ("time_after('2023-01-12T19:05:59Z', '2023-01-13T19:05:59Z')", False),
        (
            "time_between('2021-01-02T17:04:05-07:00', '2021-01-02T15:04:05-07:00', "
            "'2021-01-02T18:04:05-07:00')",
            True,
        ),
        (
            "time_between('2021-01-02T15:04:05-07:00', '2021-01-02T15:04:05-07:00', "
            "'2021-01-02T18:04:05-07:00')",
            False,
        ),
        (
            "time_between('2021-01-02T18:04:05-07:00', '2021-01-02T15:04:05-07:00', "
            "'2021-01-02T18:04:05-07:00')",
            False,
        ),
        ("time_truncate('2023-01-12T17:37:00Z', '1h')", "2023-01-12T17:00:00Z"),
        ("time_truncate('2023-01-12T17:37:00Z', '2h')", "2023-01-12T16:00:00Z"),
        ("time_truncate('2021-01-02T23:04:05Z', '2h')", "2021-01-02T22:00:00Z"),
        ("time_truncate('2021-01-02T23:04:05+05:30', '1h')", "2021-01-02T22:30:00+05:30"),
        ("time_truncate('2021-01-02T23:04:05Z', '0s')", "2021-01-02T23:04:05Z"),
    ],
)
def test_time_functions(expr: str, want: Any) -> None:
    assert q(expr) == want


@pytest.mark.parametrize(
    ("layout", "value", "want"),
    [
        (
            "Mon Jan 02 2006 15:04:05 -0700",
            "Fri Jun 22 2022 17:45:00 +0100",
            "2022-06-22T17:45:00+01:00",
        ),
        ("2006-01-02T15:04:05Z07:00", "2021-01-02T15:04:05-07:00", "2021-01-02T15:04:05-07:00"),
        ("Mon Jan 02 15:04:05 MST 2006", "Sat Jan 02 15:04:05 MST 2021", "2021-01-02T15:04:05Z"),
        ("1702691171", "1702691171", "2023-12-16T01:46:11Z"),
        ("0", "-86400", "1969-12-31T00:00:00Z"),
        ("2006-01-02", "2024-02-29", "2024-02-29T00:00:00Z"),
        ("02/01/06 3:04PM", "31/12/99 11:59PM", "1999-12-31T23:59:00Z"),
        ("02/01/06 3:04pm", "01/01/68 12:00am", "2068-01-01T00:00:00Z"),
        ("January 2, 2006", "march 7, 2020", "2020-03-07T00:00:00Z"),
        ("2006-01-02 15:04:05.000", "2020-05-05 10:00:00.123", "2020-05-05T10:00:00Z"),
        ("2006-01-02 15:04:05", "2020-05-05 10:00:00.999", "2020-05-05T10:00:00Z"),
        ("15:04", "10:30", "0000-01-01T10:30:00Z"),
        ("2006-002", "2021-060", "2021-03-01T00:00:00Z"),
        ("2006-01-02 15:04 Z07:00", "2020-05-05 10:00 Z", "2020-05-05T10:00:00Z"),
        ("2006-01-02 15:04 -07", "2020-05-05 10:00 +02", "2020-05-05T10:00:00+02:00"),
        ("2006-01-02 15:04 MST", "2020-05-05 10:00 UTC", "2020-05-05T10:00:00Z"),
        # an unknown zone abbreviation keeps the clock reading, GMT+N labels it +N
        ("2006-01-02 15:04 MST", "2020-05-05 10:00 GMT+3", "2020-05-05T13:00:00+03:00"),
        ("_2 Jan 2006", " 5 Feb 2021", "2021-02-05T00:00:00Z"),
    ],
)
def test_time_parse(layout: str, value: str, want: str) -> None:
    assert q("time_parse(l, v)", {"l": layout, "v": value}) == want


@pytest.mark.parametrize(
    ("layout", "value", "why"),
    [
        ("2006-01-02", "2021-02-30", "day out of range"),
        ("2006-01-02", "2021-13-01", "month out of range"),
        ("15:04", "24:00", "hour out of range"),
        ("2006-01-02", "2021-01-02 extra", 'extra text: " extra"'),
        ("2006-01-02", "21-01-02", 'cannot parse "21-01-02" as "2006"'),
        ("Jan 2006", "Foo 2021", 'cannot parse "Foo 2021" as "Jan"'),
        ("2006-01-02 15:04:05.000", "2020-05-05 10:00:00.1", 'as ".000"'),
        ("1702691171", "noon", "invalid syntax"),
    ],
)
def test_time_parse_errors(layout: str, value: str, why: str) -> None:
    message = err("time_parse(l, v)", {"l": layout, "v": value})
    assert "JMESPath function 'time_parse'" in message
    assert why in message


@pytest.mark.parametrize(
    "expr",
    [
        "time_utc(t)",
        "time_to_cron(t)",
        "time_add(t, '1h')",
        "time_diff(t, '2021-01-02T15:04:05Z')",
        "time_before('2021-01-02T15:04:05Z', t)",
        "time_between(t, '2021-01-02T15:04:05Z', '2021-01-02T15:04:05Z')",
        "time_truncate(t, '1h')",
        "time_since('', t, '')",
    ],
)
@pytest.mark.parametrize("bad", ["", "2021-01-02 15:04:05Z", "2021-01-02T15:04:05", "yesterday"])
def test_times_must_be_rfc3339(expr: str, bad: str) -> None:
    assert "parsing time" in err(expr, {"t": bad})


def test_time_arguments_must_be_strings() -> None:
    assert "invalid type" in err("time_before(`1`, '2021-01-02T15:04:05Z')")
    assert "invalid type" in err("time_after('2021-01-02T15:04:05Z', `1`)")


@pytest.mark.parametrize("bad", ["", "1", "1d", "h", ".s", "1h1"])
def test_durations_must_be_go_durations(bad: str) -> None:
    assert "time: " in err("time_add('2021-01-02T15:04:05Z', d)", {"d": bad})


def test_time_now() -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    utc = q("time_now_utc()")
    now = q("time_now()")
    after = dt.datetime.now(dt.UTC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc)
    assert before <= dt.datetime.fromisoformat(utc) <= after
    assert before <= dt.datetime.fromisoformat(now) <= after
    assert q("time_since('', t, '')", {"t": utc}).endswith("s")
    assert q("time_after(time_now_utc(), '2023-01-12T00:00:00Z')") is True


# ------------------------------------------------------------------ semver


@pytest.mark.parametrize(
    ("version", "rng", "want"),
    [
        ("1.2.3", "1.2.4", False),
        ("1.2.3", "1.2.3", True),
        ("1.2.3", "=1.2.3", True),
        ("1.2.3", "!=1.2.3", False),
        ("4.1.3", ">=4.1.x", True),
        ("4.1.3", "!4.x.x", False),
        ("1.8.6", ">1.0.0 <2.0.0", True),
        ("2.1.5", "<2.0.0 || >=3.0.0", False),
        ("3.0.1", "<2.0.0 || >=3.0.0", True),
        ("1.2.3", "1.2.x", True),
        ("1.3.0", "1.2.x", False),
        ("1.9.0", "1.x", True),
        ("2.0.0", "<=1.x", False),
        ("1.9.9", "<=1.x", True),
        ("2.0.0", ">1.x", True),
        ("1.5.0", ">1.x", False),
        ("1.0.0-alpha", "<1.0.0", True),
        ("1.0.0", ">= 1.0.0", True),  # a space after the operator is allowed
        ("v1.0.0", "<1.0.0", True),  # not strict semver: compared as 0.0.0
        ("1.2.3", ">1.0.0 <3.0.0 !1.2.3", False),
    ],
)
def test_semver_compare(version: str, rng: str, want: bool) -> None:
    assert q("semver_compare(v, r)", {"v": version, "r": rng}) is want


@pytest.mark.parametrize(
    ("rng", "why"),
    [
        (">>1.0.0", "Could not parse comparator"),
        ("|| 1.0.0", "First element in range is '||'"),
        ("1.0.0 ||", "Last element in range is '||'"),
        ("~1.0.0", "Could not parse comparator"),
        (">=1.0", "Could not parse version"),
        ("latest", "Could not get version"),
    ],
)
def test_semver_compare_bad_ranges(rng: str, why: str) -> None:
    message = err("semver_compare('1.0.0', r)", {"r": rng})
    assert "JMESPath function 'semver_compare'" in message and why in message
    with pytest.raises(VariableError, match=re.escape(why)):
        compile_expr(f"semver_compare(v, '{rng}')")  # constant range: a load-time error


# ------------------------------------------------------------------ image_normalize

DIGEST = "sha256:dead07b4d8ed7e29e98de0f4504d87e8880d4347859d839686a31da35a3b532f"


@pytest.mark.parametrize(
    ("image", "want"),
    [
        ("nginx", "docker.io/nginx:latest"),
        ("nginx:v10.3", "docker.io/nginx:v10.3"),
        ("docker.io/test/nginx:v10.3", "docker.io/test/nginx:v10.3"),
        ("test/nginx", "docker.io/test/nginx:latest"),
        ("localhost:4443/test/nginx", "localhost:4443/test/nginx:latest"),
        ("localhost/netd:v0.4.4-gke.0", "localhost/netd:v0.4.4-gke.0"),
        ("ghcr.io/org/app", "ghcr.io/org/app:latest"),
        (f"docker.io/test/centos@{DIGEST}", f"docker.io/test/centos@{DIGEST}"),
        (f"test/centos@{DIGEST}", f"docker.io/test/centos@{DIGEST}"),
        (f"ghcr.io/a/b:1.0@{DIGEST}", f"ghcr.io/a/b@{DIGEST}"),  # the digest wins
        ("registry.internal:5000/team/app:2", "registry.internal:5000/team/app:2"),
    ],
)
def test_image_normalize(image: str, want: str) -> None:
    assert q("image_normalize(i)", {"i": image}) == want


@pytest.mark.parametrize(
    ("image", "why"),
    [
        ("++", "invalid reference format"),
        ("Nginx", "repository name must be lowercase"),
        ("nginx:", "invalid reference format"),
        ("nginx@sha256:abc", "invalid reference format"),
        ("nginx@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("nginx@sha256:" + "a" * 63, "invalid checksum digest length"),
    ],
)
def test_image_normalize_errors(image: str, why: str) -> None:
    message = err("image_normalize(i)", {"i": image})
    assert "JMESPath function 'image_normalize': bad image" in message and why in message


# ------------------------------------------------------------------ x509_decode


def _cert(key: Any, *, ca: bool = True) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme"),
            x509.NameAttribute(NameOID.COMMON_NAME, "*.hardhull.svc"),
        ]
    )
    start = dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4242)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("webhook.hardhull.svc"),
                    x509.IPAddress(ipaddress.ip_address("10.0.0.7")),
                    x509.UniformResourceIdentifier("https://hardhull.example/webhook"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="module")
def cert_pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return _cert(rsa_key).public_bytes(serialization.Encoding.PEM).decode()


def test_x509_decode_certificate(rsa_key: rsa.RSAPrivateKey, cert_pem: str) -> None:
    got = q("x509_decode(c)", {"c": cert_pem})
    assert got["Subject"]["CommonName"] == "*.hardhull.svc"
    assert got["Subject"]["Country"] == ["DE"]
    assert got["Subject"]["Organization"] == ["Acme"]
    assert got["Subject"]["Locality"] is None
    assert got["Subject"]["Names"][2] == {"Type": [2, 5, 4, 3], "Value": "*.hardhull.svc"}
    assert got["Issuer"] == got["Subject"]
    assert got["NotBefore"] == "2024-03-01T12:00:00Z"
    assert got["NotAfter"] == "2024-03-31T12:00:00Z"
    assert got["SerialNumber"] == 4242
    assert got["Version"] == 3
    assert got["SignatureAlgorithm"] == 4  # SHA256WithRSA
    assert got["PublicKeyAlgorithm"] == 1  # RSA
    numbers = rsa_key.public_key().public_numbers()
    assert got["PublicKey"] == {"N": str(numbers.n), "E": 65537}
    assert got["IsCA"] is True and got["BasicConstraintsValid"] is True
    assert got["MaxPathLen"] == -1 and got["MaxPathLenZero"] is False
    assert got["KeyUsage"] == 37  # digitalSignature | keyEncipherment | certSign
    assert got["ExtKeyUsage"] == [1]
    assert got["DNSNames"] == ["webhook.hardhull.svc"]
    assert got["IPAddresses"] == ["10.0.0.7"]
    assert got["URIs"][0]["Host"] == "hardhull.example"
    assert got["EmailAddresses"] is None
    ids = [e["Id"] for e in got["Extensions"]]
    assert [2, 5, 29, 19] in ids and [2, 5, 29, 15] in ids and [2, 5, 29, 17] in ids
    basic = next(e for e in got["Extensions"] if e["Id"] == [2, 5, 29, 19])
    assert basic == {"Critical": True, "Id": [2, 5, 29, 19], "Value": "MAMBAf8="}
    raw = base64.b64decode(got["Raw"])
    assert raw == x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(
        serialization.Encoding.DER
    )
    assert got["SubjectKeyId"] and got["RawSubject"] == got["RawIssuer"]


def test_x509_decode_of_a_base64_bundle_as_kyverno_documents(cert_pem: str) -> None:
    bundle = base64.b64encode(cert_pem.encode()).decode()
    expr = "base64_decode(b).x509_decode(@).time_since('', NotBefore, NotAfter)"
    assert q(expr, {"b": bundle}) == "720h0m0s"
    assert q("x509_decode(base64_decode(b)).Subject.CommonName", {"b": bundle}) == "*.hardhull.svc"


def test_x509_decode_csr(rsa_key: rsa.RSAPrivateKey) -> None:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client-a")]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("a.example")]), critical=False)
        .sign(rsa_key, hashes.SHA256())
    )
    got = q("x509_decode(c)", {"c": csr.public_bytes(serialization.Encoding.PEM).decode()})
    assert got["Subject"]["CommonName"] == "client-a"
    assert got["DNSNames"] == ["a.example"]
    assert got["PublicKey"]["E"] == 65537
    assert got["Extensions"][0]["Id"] == [2, 5, 29, 17]


def test_x509_decode_errors() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = _cert(ec_key).public_bytes(serialization.Encoding.PEM).decode()
    assert "certificate should use rsa algorithm" in err("x509_decode(c)", {"c": ec_pem})
    assert "failed to decode PEM block" in err("x509_decode('not a certificate')")
    key_pem = "-----BEGIN PUBLIC KEY-----\nMAo=\n-----END PUBLIC KEY-----\n"
    assert "neither contains a CERTIFICATE" in err("x509_decode(c)", {"c": key_pem})
    broken = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n"
    assert "JMESPath function 'x509_decode'" in err("x509_decode(c)", {"c": broken})


# ------------------------------------------------------------------ random


@pytest.mark.parametrize(
    "pattern",
    [
        "[0-9a-z]{5}",
        "[A-Z0-9]{8}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{12}",
        "(foo|bar)-\\d{3}",
        "^[a-f]+x?$",
        "a{2,4}[^a-z]",
        "[[:alpha:]]{3}",
    ],
)
def test_random_matches_its_pattern(pattern: str) -> None:
    rx = pattern.replace("[[:alpha:]]", "[A-Za-z]")
    seen = {q("random(p)", {"p": pattern}) for _ in range(20)}
    assert all(re.fullmatch(rx, s) for s in seen), seen
    if "{5}" in pattern:
        assert len(seen) > 1


def test_random_errors() -> None:
    assert "no pattern provided" in err("random(p)", {"p": ""})
    assert "error parsing regexp" in err("random(p)", {"p": "[a-z"})
    with pytest.raises(VariableError, match="error parsing regexp"):
        compile_expr("random('(')")


# ------------------------------------------------------------------ strings and collections

STRINGS = [
    ("compare('a', 'a')", 0),
    ("compare('a', 'b')", -1),
    ("compare('b', 'a')", 1),
    ("equal_fold('Go', 'GO')", True),
    ("equal_fold('a', 'b')", False),
    ("equal_fold('ß', 'ss')", False),
    ("replace('Lorem ipsum ipsum ipsum', 'ipsum', 'muspi', `-1`)", "Lorem muspi muspi muspi"),
    ("replace('Lorem ipsum ipsum ipsum', 'ipsum', 'muspi', `1`)", "Lorem muspi ipsum ipsum"),
    ("replace_all('Lorem ipsum dolor', 'ipsum', 'muspi')", "Lorem muspi dolor"),
    ("to_upper('a#%&123Bc')", "A#%&123BC"),
    ("to_upper('straße')", "STRAßE"),  # Go maps rune by rune
    ("to_lower('a#%&123Bc')", "a#%&123bc"),
    ("trim('¡¡¡Hello, Gophers!!!', '!¡')", "Hello, Gophers"),
    ("trim('foocorpcom', 'mcof')", "rp"),
    ("trim('foocorpcom', 'o')", "foocorpcom"),
    ("trim(' x ', '')", " x "),
    ("trim_prefix('¡¡¡Hello, Gophers!!!', '¡¡¡Hello, ')", "Gophers!!!"),
    ("trim_prefix('¡¡¡Hello, Gophers!!!', '¡¡¡Hola, ')", "¡¡¡Hello, Gophers!!!"),
    ("split('Hello, Gophers', ', ')", ["Hello", "Gophers"]),
    ("split('abc', '')", ["a", "b", "c"]),
    ("split('', ',')", [""]),
    ("truncate('Lorem ipsum dolor sit amet', `5`)", "Lorem"),
    ("truncate('Lorem ipsum', `40`)", "Lorem ipsum"),
    ("truncate('Lorem ipsum', `2.6`)", "Lo"),
    ("truncate('Lorem ipsum', `0`)", ""),
    ("truncate('Lorem ipsum', `-1`)", ""),
    ("to_boolean('TRue')", True),
    ("to_boolean('FaLse')", False),
    ("path_canonicalize('///')", "/"),
    ("path_canonicalize('/var/run///containerd////')", "/var/run/containerd"),
    ("path_canonicalize('/run/../etc')", "/etc"),
    ("path_canonicalize('///etc*')", "/etc*"),
    ("path_canonicalize('/../../')", "/"),
    ("path_canonicalize('')", ""),
    ("base64_decode('SGVsbG8sIHdvcmxkIQ==')", "Hello, world!"),
    ("base64_decode('SGVsbG8s\nIHdvcmxkIQ==')", "Hello, world!"),
    ("base64_encode('Hello, world!')", "SGVsbG8sIHdvcmxkIQ=="),
    (
        "sha256('alertmanager-kube-prometheus-stack-alertmanager')",
        "75c07bb807f2d80a85d34880b8af0c5f29f7c27577076ed5d0e4b427dee7dbcc",
    ),
    ("md5('')", "d41d8cd98f00b204e9800998ecf8427e"),
]


@pytest.mark.parametrize(("expr", "want"), STRINGS)
def test_string_functions(expr: str, want: Any) -> None:
    assert q(expr) == want


@pytest.mark.parametrize(
    ("expr", "why"),
    [
        ("to_boolean('FaLsee')", "lowercase argument must be 'true' or 'false'"),
        ("to_boolean(' true')", "(provided: ' true')"),
        ("to_boolean(`1`)", "invalid type"),
        ("base64_decode('!!')", "illegal base64 data"),
        ("base64_decode('SGVsbG8')", "illegal base64 data"),
        ("trim_prefix(`1`, 'a')", "invalid type"),
    ],
)
def test_string_function_errors(expr: str, why: str) -> None:
    assert why in err(expr)


REGEX = [
    ("regex_match('12.*', foo)", {"foo": "hgf'b1a2r'b12g"}, True),
    ("regex_match('^[1-7]$', `1`)", {}, True),
    ("regex_match('^[1-7]$', '8')", {}, False),
    ("regex_match('12.*', abs(foo))", {"foo": -12.0}, True),
    ("regex_match('^1\\.5$', `1.5`)", {}, True),
    ("regex_match('^1$', `1.0`)", {}, True),  # numbers print as Go prints them
    ("regex_match('abc\\z', 'xabc')", {}, True),
    ("regex_match('^[[:digit:]]+$', '123')", {}, True),
    ("pattern_match('prefix-*', foo)", {"foo": "prefix-foo"}, True),
    ("pattern_match('12*', abs(foo))", {"foo": -12.0}, True),
    ("pattern_match('158-7?-4*', '158-73-417')", {}, True),
    (
        "regex_replace_all('([Hh]e|G)l', s, '${2}G')",
        {"s": "Hello world, helworldlo"},
        "Glo world, Gworldlo",
    ),
    (
        "regex_replace_all('([0-9])([0-9])', 'hello im 42 months old', '${1}1')",
        {},
        "hello im 41 months old",
    ),
    ("regex_replace_all('([0-9])([0-9])', 'days_37', '${1}0')", {}, "days_30"),
    ("regex_replace_all('(a)', 'a', '$1x')", {}, ""),  # $1x names group "1x": empty
    ("regex_replace_all('(a)', 'a', '$$1')", {}, "$1"),
    ("regex_replace_all('(?P<n>a)b', 'ab', '[${n}]')", {}, "[a]"),
    ("regex_replace_all('(a)', 'a', '$')", {}, "$"),
    (
        "regex_replace_all('^docker.io/(.*)$', 'docker.io/nginx:1', 'harbor.corp.org/$1')",
        {},
        "harbor.corp.org/nginx:1",
    ),
    ("regex_replace_all('5', `15`, `6`)", {}, "16"),
    # Go skips an empty match right after a match (Python's re.sub would give -b--c-)
    ("regex_replace_all('a*', 'baaac', '-')", {}, "-b-c-"),
    ("regex_replace_all_literal('a*', 'baaac', '$1')", {}, "$1b$1c$1"),
    (
        "regex_replace_all_literal('[Hh]el?', s, 'G')",
        {"s": "Hello world, helworldlo"},
        "Glo world, Gworldlo",
    ),
    (
        "regex_replace_all_literal('^(\\d{3}-?\\d{2}-?\\d{4})$', '123-45-6789', 'redacted')",
        {},
        "redacted",
    ),
    ("regex_replace_all_literal('(a)', 'a', '$1')", {}, "$1"),
    (
        "regex_replace_all_literal('^[^/]+', 'docker.io/nginx', 'myregistry.corp.com')",
        {},
        "myregistry.corp.com/nginx",
    ),
]


@pytest.mark.parametrize(("expr", "data", "want"), REGEX)
def test_regex_functions(expr: str, data: dict[str, Any], want: Any) -> None:
    assert q(expr, data) == want


@pytest.mark.parametrize(
    "expr",
    ["regex_match('(', s)", "regex_match('a(?=b)', s)", "regex_replace_all('(a)\\1', s, 'x')"],
)
def test_malformed_or_perl_only_regexes_are_load_errors(expr: str) -> None:
    with pytest.raises(VariableError, match="error parsing regexp"):
        compile_expr(expr)


COLLECTIONS = [
    ('label_match(`{"app": "a"}`, labels)', True),
    ('label_match(`{"app": "a", "tier": "web"}`, labels)', True),
    ('label_match(`{"app": "b"}`, labels)', False),
    ('label_match(`{"app.kubernetes.io/name": "a"}`, labels)', False),
    ('label_match(`{"missing": null}`, labels)', False),
    ('lookup(`{"key1": "value1"}`, \'key2\')', None),
    ('lookup(`{"": "value1"}`, \'\')', "value1"),
    ('lookup(`{"k": [7, "x"]}`, \'k\')', [7, "x"]),
    ('lookup(`["item0", "item1", "item2"]`, `2`)', "item2"),
    ('lookup(`["item0"]`, `-1`)', None),
    ('lookup(`["item0"]`, `1`)', None),
    ('lookup(`["item0", "item1"]`, `0.99999999999999999999`)', "item1"),
    ("lookup(labels, join('', ['ti', 'er']))", "web"),
    (
        "items(`{\"b\": 2, \"a\": 1}`, 'key', 'value')",
        [{"key": "a", "value": 1}, {"key": "b", "value": 2}],
    ),
    (
        "items(`[\"A\", \"B\"]`, 'myKey', 'myValue')",
        [{"myKey": 0, "myValue": "A"}, {"myKey": 1, "myValue": "B"}],
    ),
    ('object_from_lists(`["key1", "key2"]`, `[1]`)', {"key1": 1, "key2": None}),
    ('object_from_lists(`["a", 1, true]`, `[1, 2, 3]`)', {"a": 1, "1": 2, "true": 3}),
    ("object_from_lists(env[].name, env[].value)", {"KEY": "123", "ENDPOINT": "x.org"}),
    ('parse_json(\'{"a": [1, 2, {"b": true}]}\').a[2].b', True),
    ('to_string(parse_json(\'[1.2,true,{"a":{"a":"b"}}]\'))', '[1.2,true,{"a":{"a":"b"}}]'),
    ("parse_yaml(doc).spec.test2", [2, 3]),
    ("parse_yaml(doc).spec.when", "2021-01-01"),  # timestamps stay strings
    ('parse_yaml(doc).spec."1"', "one"),  # keys become strings
    ("parse_yaml('foo: ~')", {"foo": None}),
]

COLLECTION_DATA = {
    "labels": {"app": "a", "tier": "web"},
    "env": [{"name": "KEY", "value": "123"}, {"name": "ENDPOINT", "value": "x.org"}],
    "doc": "spec:\n  test: 1\n  test2:\n    - 2\n    - 3\n  when: 2021-01-01\n  1: one\n",
}


@pytest.mark.parametrize(("expr", "want"), COLLECTIONS)
def test_collection_functions(expr: str, want: Any) -> None:
    assert q(expr, COLLECTION_DATA) == want


@pytest.mark.parametrize(
    ("expr", "why"),
    [
        ("lookup(`{}`, `123`)", "argument #2 is not of type String"),
        ("lookup(`[]`, 'abc')", "argument #2 is not of type Number"),
        ("lookup(`[]`, `1.5`)", "argument #2: expected an integer number but got: 1.5"),
        ("object_from_lists(`[[1]]`, `[1]`)", "argument #1 is not of type StringArray"),
        ("parse_json('{')", "JMESPath function 'parse_json'"),
        ("parse_yaml('a: [')", "JMESPath function 'parse_yaml'"),
        ("items('abc', 'k', 'v')", "invalid type"),
    ],
)
def test_collection_function_errors(expr: str, why: str) -> None:
    assert why in err(expr)


# ------------------------------------------------------------------ in policies

POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: fns}
spec:
  validationFailureAction: Enforce
  rules:
  - name: constant-divide
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      deny:
        conditions:
          any: [{key: "{{ divide('1Gi', `0`) }}", operator: Equals, value: 1}]
  - name: bad-range
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      deny:
        conditions:
          any:
          - key: "{{ semver_compare(request.object.data.v, '=>1.0.0') }}"
            operator: Equals
            value: 1
  - name: ratio
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      message: "ratio {{ divide(request.object.data.limit, request.object.data.request) }}"
      deny:
        conditions:
          any:
          - key: "{{ divide(request.object.data.limit, request.object.data.request) }}"
            operator: GreaterThan
            value: 2
"""


def _configmap(data: dict[str, str]) -> AdmissionInput:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}}
    obj["data"] = data
    return AdmissionInput(obj=obj, kind="ConfigMap", api_version="v1", namespace="n", name="c")


def test_constant_failures_are_load_errors_with_lines_and_their_rules_errors() -> None:
    docs, _ = parse_documents(POLICY, "fns.yaml")
    loaded = compile_documents(docs)
    messages = sorted(f"{e.pos}: {e.message}" for e in loaded.errors)
    assert len(messages) == 2
    assert messages[0].startswith("fns.yaml:13: ") and "Could not parse comparator" in messages[0]
    assert messages[1].startswith("fns.yaml:7: ") and "Zero divisor passed" in messages[1]
    got = {
        r.rule: r
        for r in loaded.policies[0].evaluate(_configmap({"limit": "3Gi", "request": "1Gi"}))
    }
    assert got["constant-divide"].result == Result.ERROR
    assert got["bad-range"].result == Result.ERROR
    assert got["ratio"].result == Result.FAIL
    assert got["ratio"].message.endswith("ratio 3")


def test_a_function_failing_on_the_resource_makes_the_rule_an_error_not_a_pass() -> None:
    docs, _ = parse_documents(POLICY, "fns.yaml")
    policy = compile_documents(docs).policies[0]
    got = {r.rule: r for r in policy.evaluate(_configmap({"limit": "3Gi", "request": "0"}))}
    assert got["ratio"].result == Result.ERROR
    assert "Zero divisor passed" in got["ratio"].message
    got = {r.rule: r for r in policy.evaluate(_configmap({"limit": "1Gi", "request": "1Gi"}))}
    assert got["ratio"].result == Result.PASS


# ------------------------------------------------------------------ nested variables

ELEMENT = {
    "element": {"resources": {"requests": {"memory": "256Mi"}, "limits": {"memory": "1Gi"}}},
    "bare": {"resources": {}},
}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # the documentation's add / divide / modulo examples: inner variables first
        (
            "{{ add('{{ element.resources.requests.memory || `0` }}',"
            " '{{ element.resources.limits.memory || `0` }}') }}",
            "1280Mi",
        ),
        (
            "{{ add('{{ bare.resources.requests.memory || `0` }}',"
            " '{{ bare.resources.limits.memory || `0` }}') }}",
            "0",
        ),
        (
            "{{ divide('{{ element.resources.limits.memory || '0' }}',"
            " '{{ element.resources.requests.memory || '1m' }}') }}",
            4,
        ),
        (
            "{{ modulo('{{ element.resources.limits.memory || '0' }}',"
            " '{{ element.resources.requests.memory || '1m' }}') }}",
            "0",
        ),
        ("sum {{ add('{{ element.resources.requests.memory }}', '1Gi') }}!", "sum 1280Mi!"),
        ("{{ to_upper('{{ element.resources.limits.memory }}') }}", "1GI"),
        (
            "\\{{ not-a-variable }} {{ to_lower('{{ element.resources.limits.memory }}') }}",
            "{{ not-a-variable }} 1gi",
        ),
    ],
)
def test_nested_variables_resolve_innermost_first(text: str, want: Any) -> None:
    assert substitute(text, ELEMENT) == want


NESTED_POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: ratio}
spec:
  validationFailureAction: Enforce
  rules:
  - name: check-memory-requests-limits
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: Limits may not exceed 2.5x the requests.
      foreach:
      - list: "request.object.spec.containers"
        deny:
          conditions:
            any:
            - key: "{{ divide('{{ element.resources.limits.memory || '0' }}', \
'{{ element.resources.requests.memory || '1m' }}') }}"
              operator: GreaterThan
              value: 2.5
"""


def _pod(limit: str, request: str) -> AdmissionInput:
    container = {"name": "c", "image": "ghcr.io/a/b:1"}
    container["resources"] = {"limits": {"memory": limit}, "requests": {"memory": request}}
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"}}
    obj["spec"] = {"containers": [container]}
    return AdmissionInput(obj=obj, kind="Pod", api_version="v1", namespace="n", name="p")


def test_the_documented_divide_policy_loads_and_evaluates() -> None:
    docs, _ = parse_documents(NESTED_POLICY, "ratio.yaml")
    loaded = compile_documents(docs)
    assert list(loaded.errors) == []
    policy = loaded.policies[0]
    [fail] = policy.evaluate(_pod("1Gi", "256Mi"))
    assert fail.result == Result.FAIL
    [ok] = policy.evaluate(_pod("512Mi", "256Mi"))
    assert ok.result == Result.PASS
    [zero] = policy.evaluate(_pod("512Mi", "0"))
    assert zero.result == Result.ERROR
