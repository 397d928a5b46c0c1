"""The Kubernetes audit webhook endpoint over real HTTPS on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from tests.unit.runtime.sources.samples import (
    event_list,
    pod_create_privileged,
    pod_exec,
    secret_get,
)

from hardhull.admission.certs import CertPair, make_ca, make_serving_cert
from hardhull.errors import SensorError
from hardhull.model.event import Event
from hardhull.runtime.sensor.k8s_audit_server import (
    AuditWebhookConfig,
    K8sAuditWebhookSensor,
    load_token,
)

TOKEN = "s3cr3t-audit-token-0123456789abcdef"


def _client_cert(ca: CertPair) -> CertPair:
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return CertPair(cert.public_bytes(serialization.Encoding.PEM), key_pem)


class Tls:
    def __init__(self, tmp: Path) -> None:
        ca = make_ca("hardhull-test-ca")
        serving = make_serving_cert(ca, ["localhost"], ["127.0.0.1"])
        client_ca = make_ca("apiserver-client-ca")
        client = _client_cert(client_ca)
        self.ca = tmp / "ca.pem"
        self.cert = tmp / "tls.crt"
        self.key = tmp / "tls.key"
        self.client_ca = tmp / "client-ca.pem"
        self.client_cert = tmp / "client.crt"
        self.client_key = tmp / "client.key"
        for path, data in (
            (self.ca, ca.cert_pem),
            (self.cert, serving.cert_pem),
            (self.key, serving.key_pem),
            (self.client_ca, client_ca.cert_pem),
            (self.client_cert, client.cert_pem),
            (self.client_key, client.key_pem),
        ):
            path.write_bytes(data)


@pytest.fixture
def tls(tmp_path: Path) -> Tls:
    return Tls(tmp_path)


def _running(config: AuditWebhookConfig) -> Iterator[K8sAuditWebhookSensor]:
    sensor = K8sAuditWebhookSensor(config)
    sensor.start()
    try:
        yield sensor
    finally:
        sensor.close()


@pytest.fixture
def token_sensor(tls: Tls) -> Iterator[K8sAuditWebhookSensor]:
    config = AuditWebhookConfig(port=0, cert=tls.cert, key=tls.key, token=TOKEN, max_body=64_000)
    yield from _running(config)


def _client(
    tls: Tls, sensor: K8sAuditWebhookSensor, cert: tuple[str, str] | None = None
) -> httpx.Client:
    ctx = ssl.create_default_context(cafile=str(tls.ca))
    if cert is not None:
        ctx.load_cert_chain(*cert)
    return httpx.Client(base_url=f"https://127.0.0.1:{sensor.port}", verify=ctx, timeout=30)


def _take(sensor: K8sAuditWebhookSensor, n: int) -> list[Event]:
    it = sensor.events()
    return [next(it) for _ in range(n)]


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", "content-type": "application/json"}


def test_valid_event_list_with_token_is_delivered(
    tls: Tls, token_sensor: K8sAuditWebhookSensor
) -> None:
    body = orjson.dumps(
        event_list(pod_create_privileged("RequestReceived"), pod_create_privileged(), pod_exec())
    )
    with _client(tls, token_sensor) as client:
        resp = client.post("/k8s-audit", content=body, headers=_auth())
    assert resp.status_code == 200
    events = _take(token_sensor, 2)
    assert [e.fields["jevt.value"]["objectRef"].get("subresource") for e in events] == [
        None,
        "exec",
    ]
    assert all(e.source == "k8s_audit" for e in events)
    stats = token_sensor.stats()
    assert (stats.received, stats.malformed, stats.lost) == (2, 0, 0)


def test_missing_or_wrong_token_is_401(tls: Tls, token_sensor: K8sAuditWebhookSensor) -> None:
    body = orjson.dumps(event_list(secret_get()))
    with _client(tls, token_sensor) as client:
        none = client.post("/k8s-audit", content=body)
        wrong = client.post("/k8s-audit", content=body, headers=_auth("s3cr3t-audit-token-x"))
        basic = client.post(
            "/k8s-audit", content=body, headers={"authorization": "Basic YWRtaW46YWRtaW4="}
        )
        metrics = client.get("/metrics").text
    assert [r.status_code for r in (none, wrong, basic)] == [401, 401, 401]
    assert none.headers["www-authenticate"].startswith("Bearer")
    assert 'hardhull_k8s_audit_requests_total{result="unauthorized"} 3' in metrics
    assert TOKEN not in metrics
    assert token_sensor.stats().received == 0


def test_bad_bodies_are_400_and_server_stays_up(
    tls: Tls, token_sensor: K8sAuditWebhookSensor
) -> None:
    with _client(tls, token_sensor) as client:
        codes = [
            client.post("/k8s-audit", content=b, headers=_auth()).status_code
            for b in (b"{not json", b"\x00\xff" * 10, b'{"kind": "Pod"}', b"[1,2]")
        ]
        too_big = client.post("/k8s-audit", content=b"x" * 70_000, headers=_auth())
        wrong_method = client.get("/k8s-audit", headers=_auth())
        ok = client.post(
            "/k8s-audit", content=orjson.dumps(event_list(secret_get())), headers=_auth()
        )
        health = client.get("/healthz")
    assert codes == [400, 400, 400, 400]
    assert too_big.status_code == 413
    assert wrong_method.status_code == 405
    assert ok.status_code == 200 and health.status_code == 200
    (event,) = _take(token_sensor, 1)
    assert event.fields["jevt.value"]["objectRef"]["resource"] == "secrets"
    assert token_sensor.stats().malformed == 4


def test_full_queue_answers_503_and_counts_lost(tls: Tls) -> None:
    config = AuditWebhookConfig(port=0, cert=tls.cert, key=tls.key, token=TOKEN, queue_size=2)
    for sensor in _running(config):
        body = orjson.dumps(event_list(pod_exec(), secret_get(), pod_create_privileged()))
        with _client(tls, sensor) as client:
            resp = client.post("/k8s-audit", content=body, headers=_auth())
        assert resp.status_code == 503
        assert sensor.stats().lost == 3 and sensor.stats().received == 0


def test_client_certificate_required(tls: Tls) -> None:
    config = AuditWebhookConfig(port=0, cert=tls.cert, key=tls.key, client_ca=tls.client_ca)
    for sensor in _running(config):
        body = orjson.dumps(event_list(secret_get()))
        with _client(tls, sensor, cert=(str(tls.client_cert), str(tls.client_key))) as client:
            assert client.post("/k8s-audit", content=body).status_code == 200
        with _client(tls, sensor) as client, pytest.raises(httpx.TransportError):
            client.post("/k8s-audit", content=body)
        (event,) = _take(sensor, 1)
        assert event.fields["jevt.value"]["verb"] == "get"


def test_configuration_errors(tls: Tls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SensorError, match="no authentication"):
        K8sAuditWebhookSensor(AuditWebhookConfig(cert=tls.cert, key=tls.key))
    with pytest.raises(SensorError, match="no TLS certificate"):
        K8sAuditWebhookSensor(AuditWebhookConfig(token=TOKEN))
    with pytest.raises(SensorError, match="not found"):
        K8sAuditWebhookSensor(
            AuditWebhookConfig(cert=tmp_path / "nope.crt", key=tls.key, token=TOKEN)
        )
    assert TOKEN not in repr(AuditWebhookConfig(token=TOKEN))
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert load_token(token_file) == TOKEN
    monkeypatch.setenv("HH_AUDIT_TOKEN", TOKEN)
    assert load_token(token_env="HH_AUDIT_TOKEN") == TOKEN
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(SensorError, match="empty") as err:
        load_token(tmp_path / "empty")
    assert TOKEN not in str(err.value)
