"""The station's network: the link between the desk and its booths, TLS 1.3 with pinned device keys.

A station's devices talk over its own local network (an Ethernet switch or the desk's access
point).  Each link is TLS 1.3 from Python's ``ssl`` (OpenSSL), mutually authenticated, and each
side trusts **only** the certificates of the devices it was paired with:

* every device has a **device certificate**: self-signed with its Ed25519 device key
  (``booth/ledger/keys.py``), a CA for exactly one certificate below it.  It is what a peer pins,
  beside the device key's fingerprint the companion compared on both screens at pairing;
* the link process holds a **link key** of its own (Ed25519, made at provisioning) and a **link
  certificate** for it, issued by the device key.  The link process never sees the device key:
  it carries bytes, and whatever it carries that matters (a release token, a checkpoint offer) is
  signed by the ledger service end to end.  A stolen link key lets someone talk on the station's
  network as that device, never sign a release or a checkpoint;
* the trust store of a link's TLS context holds the pinned peers' device certificates and nothing
  else (no system CAs); after the handshake the peer's link certificate is checked again here:
  signed by a pinned device key, which names the peer (:func:`identify_peer`).

Certificates never expire (RFC 5280's 99991231235959Z): a booth's clock may be wrong at dawn, and
what is trusted is decided by pinning, not by dates.  A device replaced mid-day is paired anew.

Inside the TLS stream, messages are **frames**: a 4-byte big-endian length, then that many bytes
of canonical JSON (``booth.ledger.canonical``), at most :data:`MAX_FRAME` bytes.  A frame that is
too long is refused from its length alone, before its body is read.  Four kinds of message:

>>> frame = encode({"t": "msg", "id": 1, "kind": "release", "payload": "AAEC"})
>>> frame[:4], frame[4:]
(b'\\x00\\x00\\x00>', b'{"id":1,"kind":"release","payload":"AAEC","t":"msg"}')
>>> parse(frame[4:])["kind"]
'release'
>>> parse(b'{"t":"msg","id":0}')
Traceback (most recent call last):
...
booth.station.transport.FrameError: Pesan tidak lengkap atau berlebih: msg (A message has missing or extra fields: msg)

======== =================================================== =========================================
``t``    fields                                              meaning
======== =================================================== =========================================
hello    ``v`` (1), ``label``, ``role``, ``received``        who I am, and the last message ID I hold
                                                             from you (the sender resends after it)
msg      ``id`` (1, 2, ...; per sender and receiver),        one message for the application: an
         ``kind``, ``payload`` (base64)                      opaque payload (a release, an offer ...)
ack      ``id``                                              I have stored message ``id`` for good
beat     ``state`` (``free``/``busy``/``desk``)              I am here (every few seconds)
======== =================================================== =========================================
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from booth.ledger import keys
from booth.ledger.canonical import NotCanonical, canonical, parse_canonical

#: The largest frame (length prefix not counted).  A release token or a checkpoint offer is a few KiB.
MAX_FRAME = 64 * 1024
#: The largest payload of one message, decoded (base64 and the envelope fit in MAX_FRAME).
MAX_PAYLOAD = 44 * 1024
PROTOCOL_VERSION = 1
ROLES = ("desk", "booth")
BEAT_STATES = ("free", "busy", "desk")
MAX_ID = 2**53 - 1
LABEL = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")  # "meja", "bilik-2"
KIND = re.compile(r"[a-z][a-z0-9_.]{0,31}")  # "release", "watch.offer"

# Never expires: pinning decides trust, and a booth's clock may be wrong at dawn (RFC 5280 §4.1.2.5).
NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)


class FrameError(ValueError):
    """A frame or message that is refused; ``.id``/``.en`` say why.  The link is closed after it."""

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(f"{message_id} ({message_en})")
        self.id = message_id
        self.en = message_en


class PeerRefused(Exception):
    """The device at the other end is not the pinned one; ``.id``/``.en`` say why."""

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(f"{message_id} ({message_en})")
        self.id = message_id
        self.en = message_en


# ------------------------------------------------------------------ frames
def encode(message: Mapping[str, Any]) -> bytes:
    """One frame: the 4-byte big-endian length, then the message as canonical JSON."""
    body = canonical(dict(message))
    if len(body) > MAX_FRAME:
        raise FrameError(
            f"Pesan terlalu besar: {len(body)} byte (batas {MAX_FRAME})",
            f"Message too large: {len(body)} bytes (limit {MAX_FRAME})",
        )
    return len(body).to_bytes(4, "big") + body


def frame_length(prefix: bytes) -> int:
    """The body length a 4-byte prefix announces; refuses 0 and anything above MAX_FRAME."""
    length = int.from_bytes(prefix, "big")
    if length == 0 or length > MAX_FRAME:
        raise FrameError(
            f"Panjang bingkai tidak sah: {length} byte (batas {MAX_FRAME})",
            f"Bad frame length: {length} bytes (limit {MAX_FRAME})",
        )
    return length


_FIELDS = {
    "hello": {"t", "v", "label", "role", "received"},
    "msg": {"t", "id", "kind", "payload"},
    "ack": {"t", "id"},
    "beat": {"t", "state"},
}


def _message_id(value: Any, *, least: int) -> int:
    if not (isinstance(value, int) and not isinstance(value, bool) and least <= value <= MAX_ID):
        raise FrameError(f"Nomor pesan tidak sah: {value!r}", f"Bad message number: {value!r}")
    return value


def parse(body: bytes) -> dict[str, Any]:
    """Check one frame's body and return the message; anything else raises :class:`FrameError`."""
    try:
        obj = parse_canonical(body)
    except NotCanonical:
        raise FrameError("Bingkai bukan JSON kanonik", "The frame is not canonical JSON") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("t"), str) or obj["t"] not in _FIELDS:
        kind = obj.get("t") if isinstance(obj, dict) else type(obj).__name__
        shown = kind if isinstance(kind, str) and len(kind) <= 16 else "?"
        raise FrameError(f"Jenis pesan tidak dikenal: {shown!r}", f"Unknown kind of message: {shown!r}")
    t = obj["t"]
    if set(obj) != _FIELDS[t]:
        raise FrameError(f"Pesan tidak lengkap atau berlebih: {t}", f"A message has missing or extra fields: {t}")
    if t == "hello":
        if obj["v"] != PROTOCOL_VERSION:
            raise FrameError(
                f"Versi protokol {obj['v']!r} tidak didukung", f"Protocol version {obj['v']!r} not supported"
            )
        if not (isinstance(obj["label"], str) and LABEL.fullmatch(obj["label"])):
            raise FrameError("Nama perangkat tidak sah", "Bad device label")
        if obj["role"] not in ROLES:
            raise FrameError("Peran perangkat tidak sah", "Bad device role")
        _message_id(obj["received"], least=0)
    elif t == "msg":
        _message_id(obj["id"], least=1)
        if not (isinstance(obj["kind"], str) and KIND.fullmatch(obj["kind"])):
            raise FrameError("Jenis muatan tidak sah", "Bad payload kind")
        decode_payload(obj["payload"])
    elif t == "ack":
        _message_id(obj["id"], least=1)
    elif obj["state"] not in BEAT_STATES:
        raise FrameError("Keadaan perangkat tidak sah", "Bad device state")
    return obj


def encode_payload(payload: bytes) -> str:
    if len(payload) > MAX_PAYLOAD:
        raise FrameError(
            f"Muatan terlalu besar: {len(payload)} byte (batas {MAX_PAYLOAD})",
            f"Payload too large: {len(payload)} bytes (limit {MAX_PAYLOAD})",
        )
    return base64.b64encode(payload).decode("ascii")


def decode_payload(text: Any) -> bytes:
    """The payload's bytes (standard base64, padded, canonical); refuses anything else."""
    if not isinstance(text, str):
        raise FrameError("Muatan bukan base64", "The payload is not base64")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FrameError("Muatan bukan base64", "The payload is not base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise FrameError("Muatan bukan base64 kanonik", "The payload is not canonical base64")
    if len(data) > MAX_PAYLOAD:
        raise FrameError(
            f"Muatan terlalu besar: {len(data)} byte (batas {MAX_PAYLOAD})",
            f"Payload too large: {len(data)} bytes (limit {MAX_PAYLOAD})",
        )
    return data


def split_frames(buffer: bytes) -> tuple[list[dict[str, Any]], bytes]:
    """Every whole frame at the start of ``buffer`` parsed, and the bytes left over.

    The pure form of what a link does with the bytes it reads (the Hypothesis tests drive it).
    """
    messages = []
    while len(buffer) >= 4:
        length = frame_length(buffer[:4])
        if len(buffer) < 4 + length:
            break
        messages.append(parse(buffer[4 : 4 + length]))
        buffer = buffer[4 + length :]
    return messages, buffer


# ------------------------------------------------------------------ certificates
def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _serial(public_key: Ed25519PublicKey) -> int:
    return int(keys.fingerprint(public_key)[:30], 16) | 1  # positive, < 2**159, fixed for a key


def device_certificate(device_key: Ed25519PrivateKey) -> x509.Certificate:
    """The device's self-signed certificate: what its peers pin.  The same key gives the same bytes
    (Ed25519 signatures are deterministic and every field is fixed)."""
    public = device_key.public_key()
    name = _name(f"booth device {keys.short_fingerprint(keys.fingerprint(public))}")
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(_serial(public))
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, False, False, False), critical=True
        )  # keyCertSign only: it certifies the link key, nothing else
        .sign(device_key, None)
    )


def link_certificate(device_key: Ed25519PrivateKey, link_public: Ed25519PublicKey, label: str) -> x509.Certificate:
    """The link key's certificate, issued by the device key: what the link presents in TLS."""
    issuer = device_certificate(device_key).subject
    return (
        x509.CertificateBuilder()
        .subject_name(_name(f"booth link {label}"))
        .issuer_name(issuer)
        .public_key(link_public)
        .serial_number(_serial(link_public))
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )  # digitalSignature: the TLS 1.3 CertificateVerify
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(device_key, None)
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def write_credentials(device_key_path: Path, out: Path, label: str) -> str:
    """Provisioning, run where the device key may be read (the ledger's user or root): make the link's
    own key and its certificate in ``out``; returns the device key's fingerprint (for pairing).

    Files: ``link.key`` (PKCS#8, 0600), ``link.pem`` (the link certificate, then the device
    certificate), ``device.pem`` (the device certificate alone: give it to the peers to pin).
    """
    device = keys.DeviceKey.load(device_key_path)
    out.mkdir(parents=True, exist_ok=True)
    link_key = Ed25519PrivateKey.generate()
    key_pem = link_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = out / "link.key"
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(key_pem)
    device_cert = device_certificate(device.private_key)
    (out / "link.pem").write_bytes(
        _pem(link_certificate(device.private_key, link_key.public_key(), label)) + _pem(device_cert)
    )
    (out / "device.pem").write_bytes(_pem(device_cert))
    return device.fingerprint


@dataclass(frozen=True)
class Pin:
    """A paired peer: its label in the station, and its device certificate (whose key is the pin)."""

    label: str
    certificate: x509.Certificate

    @property
    def public_key(self) -> Ed25519PublicKey:
        key = self.certificate.public_key()
        assert isinstance(key, Ed25519PublicKey)
        return key

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint(self.public_key)


def load_pin(label: str, pem_path: Path, fingerprint: str | None = None) -> Pin:
    """A peer's device certificate, checked: Ed25519, self-signed, and (if given) the fingerprint the
    companion compared at pairing.  Refuses with :class:`PeerRefused`."""
    if not LABEL.fullmatch(label):
        raise PeerRefused(f"Nama perangkat tidak sah: {label!r}", f"Bad device label: {label!r}")
    try:
        cert = x509.load_pem_x509_certificate(Path(pem_path).read_bytes())
    except (OSError, ValueError) as exc:
        raise PeerRefused(
            f"Sertifikat {label} tidak terbaca: {exc}", f"The certificate of {label} cannot be read: {exc}"
        ) from None
    key = cert.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise PeerRefused(f"Sertifikat {label} bukan kunci Ed25519", f"The certificate of {label} is not Ed25519")
    try:
        key.verify(cert.signature, cert.tbs_certificate_bytes)
    except InvalidSignature:
        raise PeerRefused(
            f"Sertifikat {label} tidak ditandatangani kuncinya sendiri",
            f"The certificate of {label} is not signed by its own key",
        ) from None
    pin = Pin(label, cert)
    if fingerprint is not None and pin.fingerprint != fingerprint.lower():
        raise PeerRefused(
            f"Sidik jari {label} tidak cocok: {keys.short_fingerprint(pin.fingerprint)}, "
            f"yang dipasangkan {keys.short_fingerprint(fingerprint.lower())}",
            f"The fingerprint of {label} does not match: {keys.short_fingerprint(pin.fingerprint)}, "
            f"paired {keys.short_fingerprint(fingerprint.lower())}",
        )
    return pin


# ------------------------------------------------------------------ TLS
def tls_context(credentials: Path, pins: list[Pin], *, server: bool) -> ssl.SSLContext:
    """A TLS 1.3 context that presents this link's certificate and trusts only the pinned devices.

    Both sides require the other's certificate (``CERT_REQUIRED``); there is no host name to check
    (the peer is named by its key, :func:`identify_peer`).
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_cert_chain(credentials / "link.pem", credentials / "link.key")
    if not pins:
        raise PeerRefused("Belum ada perangkat yang dipasangkan", "No device is paired yet")
    ctx.load_verify_locations(cadata="".join(_pem(p.certificate).decode("ascii") for p in pins))
    return ctx


def identify_peer(peer_der: bytes | None, pins: list[Pin]) -> Pin:
    """Which pinned device the link certificate the peer presented belongs to.

    Checked again after OpenSSL's own check: the certificate's signature is verified here with
    each pinned device key, so only a pinned key's certificate names a peer.
    """
    if not peer_der:
        raise PeerRefused("Perangkat lain tidak menunjukkan sertifikat", "The other device showed no certificate")
    cert = x509.load_der_x509_certificate(peer_der)
    for pin in pins:
        if cert.issuer != pin.certificate.subject:
            continue
        try:
            pin.public_key.verify(cert.signature, cert.tbs_certificate_bytes)
        except InvalidSignature:
            continue
        return pin
    raise PeerRefused(
        "Perangkat lain tidak dipasangkan dengan perangkat ini", "The other device is not paired with this one"
    )
