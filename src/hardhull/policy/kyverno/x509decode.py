"""Kyverno's ``x509_decode``: a PEM certificate or CSR as the JSON encoding of Go's
``x509.Certificate`` / ``x509.CertificateSigningRequest`` (the shape Kyverno documents:
``Subject.CommonName``, ``NotAfter``, ``DNSNames``, ``PublicKey.N``/``E``, ``Raw...``
fields in base64, OIDs as integer lists, Go's enum numbers for algorithms and key
usages). As in Kyverno only RSA keys are accepted.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import ExtensionOID, NameOID

from hardhull.policy.kyverno.jmes_extra import FunctionError

_PEM = re.compile(
    r"-----BEGIN ([^\n-]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL
)  # pem.Decode: the first block

_SIG_ALGS = {  # Go's x509.SignatureAlgorithm numbers
    "1.2.840.113549.1.1.2": 1,
    "1.2.840.113549.1.1.4": 2,
    "1.2.840.113549.1.1.5": 3,
    "1.2.840.113549.1.1.11": 4,
    "1.2.840.113549.1.1.12": 5,
    "1.2.840.113549.1.1.13": 6,
    "1.2.840.10040.4.3": 7,
    "2.16.840.1.101.3.4.3.2": 8,
    "1.2.840.10045.4.1": 9,
    "1.2.840.10045.4.3.2": 10,
    "1.2.840.10045.4.3.3": 11,
    "1.2.840.10045.4.3.4": 12,
    "1.2.840.113549.1.1.10": 13,
    "1.3.101.112": 16,
}
_EXT_KEY_USAGE = {  # Go's x509.ExtKeyUsage numbers
    "2.5.29.37.0": 0,
    "1.3.6.1.5.5.7.3.1": 1,
    "1.3.6.1.5.5.7.3.2": 2,
    "1.3.6.1.5.5.7.3.3": 3,
    "1.3.6.1.5.5.7.3.4": 4,
    "1.3.6.1.5.5.7.3.5": 5,
    "1.3.6.1.5.5.7.3.6": 6,
    "1.3.6.1.5.5.7.3.7": 7,
    "1.3.6.1.5.5.7.3.8": 8,
    "1.3.6.1.5.5.7.3.9": 9,
    "1.3.6.1.4.1.311.10.3.3": 10,
    "2.16.840.1.113730.4.1": 11,
    "1.3.6.1.4.1.311.2.1.22": 12,
    "1.3.6.1.4.1.311.61.1.1": 13,
}
_NAME_FIELDS = {
    NameOID.COUNTRY_NAME.dotted_string: "Country",
    NameOID.ORGANIZATION_NAME.dotted_string: "Organization",
    NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string: "OrganizationalUnit",
    NameOID.LOCALITY_NAME.dotted_string: "Locality",
    NameOID.STATE_OR_PROVINCE_NAME.dotted_string: "Province",
    NameOID.STREET_ADDRESS.dotted_string: "StreetAddress",
    NameOID.POSTAL_CODE.dotted_string: "PostalCode",
}


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _oid(dotted: str) -> list[int]:
    return [int(p) for p in dotted.split(".")]


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of element) of the DER element at ``pos``."""
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag, element start, contents start, end) of each element in ``data[start:end]``."""
    out = []
    pos = start
    while pos < end:
        tag, body, stop = _tlv(data, pos)
        out.append((tag, pos, body, stop))
        pos = stop
    return out


def _tbs_parts(tbs: bytes) -> dict[str, Any]:
    """Raw subject, issuer, SPKI and the extension list of a TBSCertificate."""
    _, body, end = _tlv(tbs, 0)
    items = _children(tbs, body, end)
    if items and items[0][0] == 0xA0:  # [0] version
        items = items[1:]
    _serial, _sig, issuer, _validity, subject, spki, *rest = items
    exts: list[dict[str, Any]] = []
    for tag, _, b, _e in rest:
        if tag != 0xA3:
            continue
        _, seq_body, seq_end = _tlv(tbs, b)
        for _, _, eb, ee in _children(tbs, seq_body, seq_end):
            fields = _children(tbs, eb, ee)
            oid = _decode_oid(tbs[fields[0][2] : fields[0][3]])
            critical = len(fields) == 3 and tbs[fields[1][2]] != 0
            value = tbs[fields[-1][2] : fields[-1][3]]
            exts.append({"Critical": critical, "Id": oid, "Value": _b64(value)})
    return {
        "RawIssuer": tbs[issuer[1] : issuer[3]],
        "RawSubject": tbs[subject[1] : subject[3]],
        "RawSubjectPublicKeyInfo": tbs[spki[1] : spki[3]],
        "Extensions": exts,
    }


def _decode_oid(data: bytes) -> list[int]:
    out: list[int] = []
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            out.append(value)
            value = 0
    first = out[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return head + out[1:]


def _name(name: x509.Name) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(_NAME_FIELDS.values())
    out.update({"CommonName": "", "SerialNumber": "", "ExtraNames": None})
    names = []
    for attr in name:
        dotted = attr.oid.dotted_string
        value = attr.value if isinstance(attr.value, str) else _b64(attr.value)
        names.append({"Type": _oid(dotted), "Value": value})
        if dotted in _NAME_FIELDS:
            key = _NAME_FIELDS[dotted]
            out[key] = (out[key] or []) + [value]
        elif dotted == NameOID.COMMON_NAME.dotted_string:
            out["CommonName"] = value
        elif dotted == NameOID.SERIAL_NUMBER.dotted_string:
            out["SerialNumber"] = value
    out["Names"] = names or None
    return out


def _go_time(value: Any) -> str:
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _ext(exts: x509.Extensions, oid: x509.ObjectIdentifier) -> Any:
    try:
        return exts.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def _sans(exts: x509.Extensions) -> dict[str, Any]:
    san = _ext(exts, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    get = (lambda kind: san.get_values_for_type(kind) or None) if san is not None else None
    uris = get(x509.UniformResourceIdentifier) if get else None
    ips = get(x509.IPAddress) if get else None
    return {
        "DNSNames": get(x509.DNSName) if get else None,
        "EmailAddresses": get(x509.RFC822Name) if get else None,
        "IPAddresses": [str(ipaddress.ip_address(ip)) for ip in ips] if ips else None,
        "URIs": [_url(u) for u in uris] if uris else None,
    }


def _url(text: str) -> dict[str, Any]:
    """Go's ``url.URL`` struct as JSON (the common fields)."""
    m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$", text)
    scheme, _, host, path, _, query, _, frag = (
        m.groups() if m else ("", "", "", text, "", "", "", "")
    )
    return {
        "Scheme": scheme or "",
        "Opaque": "",
        "User": None,
        "Host": host or "",
        "Path": path or "",
        "RawPath": "",
        "OmitHost": False,
        "ForceQuery": False,
        "RawQuery": query or "",
        "Fragment": frag or "",
        "RawFragment": "",
    }


def _public_key(key: Any) -> dict[str, Any]:
    if not isinstance(key, rsa.RSAPublicKey):
        raise FunctionError("certificate should use rsa algorithm")
    numbers = key.public_numbers()
    return {"N": str(numbers.n), "E": numbers.e}


def _key_usage(exts: x509.Extensions) -> int:
    ku = _ext(exts, ExtensionOID.KEY_USAGE)
    if ku is None:
        return 0
    bits = [ku.digital_signature, ku.content_commitment, ku.key_encipherment]
    bits += [ku.data_encipherment, ku.key_agreement, ku.key_cert_sign, ku.crl_sign]
    bits += [ku.key_agreement and ku.encipher_only, ku.key_agreement and ku.decipher_only]
    return sum(1 << i for i, on in enumerate(bits) if on)


def _certificate(cert: x509.Certificate) -> dict[str, Any]:
    pk = _public_key(cert.public_key())
    parts = _tbs_parts(cert.tbs_certificate_bytes)
    exts = cert.extensions
    bc = _ext(exts, ExtensionOID.BASIC_CONSTRAINTS)
    eku = _ext(exts, ExtensionOID.EXTENDED_KEY_USAGE)
    ski = _ext(exts, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    aki = _ext(exts, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    aia = _ext(exts, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    crl = _ext(exts, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    pol = _ext(exts, ExtensionOID.CERTIFICATE_POLICIES)
    access = [(d.access_method.dotted_string, d.access_location.value) for d in (aia or [])]
    serial = cert.serial_number
    known_eku = [
        _EXT_KEY_USAGE[o.dotted_string] for o in eku or [] if o.dotted_string in _EXT_KEY_USAGE
    ]
    unknown_eku = [
        _oid(o.dotted_string) for o in eku or [] if o.dotted_string not in _EXT_KEY_USAGE
    ]
    max_path = -1 if bc is not None and bc.path_length is None else (bc.path_length if bc else 0)
    crl_urls = [
        n.value
        for dp in crl or []
        for n in dp.full_name or []
        if isinstance(n, x509.UniformResourceIdentifier)
    ]
    out: dict[str, Any] = {
        "Raw": _b64(cert.public_bytes(_der())),
        "RawTBSCertificate": _b64(cert.tbs_certificate_bytes),
        "RawSubjectPublicKeyInfo": _b64(parts["RawSubjectPublicKeyInfo"]),
        "RawSubject": _b64(parts["RawSubject"]),
        "RawIssuer": _b64(parts["RawIssuer"]),
        "Signature": _b64(cert.signature),
        "SignatureAlgorithm": _SIG_ALGS.get(cert.signature_algorithm_oid.dotted_string, 0),
        "PublicKeyAlgorithm": 1,
        "PublicKey": pk,
        "Version": cert.version.value + 1,
        "SerialNumber": serial if abs(serial) < 2**53 else float(serial),
        "Issuer": _name(cert.issuer),
        "Subject": _name(cert.subject),
        "NotBefore": _go_time(cert.not_valid_before_utc),
        "NotAfter": _go_time(cert.not_valid_after_utc),
        "KeyUsage": _key_usage(exts),
        "Extensions": parts["Extensions"] or None,
        "ExtraExtensions": None,
        "UnhandledCriticalExtensions": None,
        "ExtKeyUsage": known_eku or None,
        "UnknownExtKeyUsage": unknown_eku or None,
        "BasicConstraintsValid": bc is not None,
        "IsCA": bool(bc and bc.ca),
        "MaxPathLen": max_path,
        "MaxPathLenZero": max_path == 0,
        "SubjectKeyId": _b64(ski.digest) if ski else None,
        "AuthorityKeyId": _b64(aki.key_identifier) if aki and aki.key_identifier else None,
        "OCSPServer": [v for m, v in access if m == "1.3.6.1.5.5.7.48.1"] or None,
        "IssuingCertificateURL": [v for m, v in access if m == "1.3.6.1.5.5.7.48.2"] or None,
        "PermittedDNSDomainsCritical": False,
        "PermittedDNSDomains": None,
        "ExcludedDNSDomains": None,
        "PermittedIPRanges": None,
        "ExcludedIPRanges": None,
        "PermittedEmailAddresses": None,
        "ExcludedEmailAddresses": None,
        "PermittedURIDomains": None,
        "ExcludedURIDomains": None,
        "CRLDistributionPoints": crl_urls or None,
        "PolicyIdentifiers": [_oid(p.policy_identifier.dotted_string) for p in pol or []] or None,
    }
    out.update(_sans(exts))
    return out


def _csr(csr: x509.CertificateSigningRequest) -> dict[str, Any]:
    pk = _public_key(csr.public_key())
    exts = csr.extensions
    out: dict[str, Any] = {
        "Raw": _b64(csr.public_bytes(_der())),
        "RawTBSCertificateRequest": _b64(csr.tbs_certrequest_bytes),
        "RawSubjectPublicKeyInfo": _b64(_spki(csr)),
        "RawSubject": _b64(csr.subject.public_bytes()),
        "Version": 0,
        "Signature": _b64(csr.signature),
        "SignatureAlgorithm": _SIG_ALGS.get(csr.signature_algorithm_oid.dotted_string, 0),
        "PublicKeyAlgorithm": 1,
        "PublicKey": pk,
        "Subject": _name(csr.subject),
        "Attributes": None,
        "Extensions": [
            {"Critical": e.critical, "Id": _oid(e.oid.dotted_string), "Value": _b64(_ext_der(e))}
            for e in exts
        ]
        or None,
        "ExtraExtensions": None,
    }
    out.update(_sans(exts))
    return out


def _der() -> Encoding:
    return Encoding.DER


def _spki(csr: x509.CertificateSigningRequest) -> bytes:
    return bytes(csr.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


def _ext_der(ext: x509.Extension[Any]) -> bytes:
    value = ext.value
    if isinstance(value, x509.UnrecognizedExtension):
        return bytes(value.value)
    return bytes(value.public_bytes())


def x509_decode(text: str) -> dict[str, Any]:
    """Kyverno ``x509_decode``."""
    m = _PEM.search(text)
    if m is None:
        raise FunctionError("failed to decode PEM block")
    kind = m.group(1)
    body = "".join(line for line in m.group(2).splitlines() if ":" not in line)
    try:
        der = base64.b64decode(body, validate=False)
    except ValueError:
        raise FunctionError("failed to decode PEM block") from None
    try:
        if kind == "CERTIFICATE":
            return _certificate(x509.load_der_x509_certificate(der))
        if kind == "CERTIFICATE REQUEST":
            return _csr(x509.load_der_x509_csr(der))
    except (ValueError, IndexError) as exc:
        raise FunctionError(f"x509: malformed certificate: {exc}") from None
    raise FunctionError("PEM block neither contains a CERTIFICATE or CERTIFICATE REQUEST")
