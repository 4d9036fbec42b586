"""Cosignatures a saksi makes on the booth's checkpoint (c2sp.org/tlog-cosignature, Ed25519).

The saksi app signs, with a key kept on the phone, "as of this time, the largest tree I have
seen for this log has this root": the checkpoint named by the verified results statement.  The
committee collects the cosignature lines; the recap shows them after checking each here::

    — <cosigner name> base64(key ID (4) || u64 big-endian time (8) || Ed25519 signature (64))

The key ID is SHA-256(name || 0x0A || 0x04 || public key)[:4] and the signed message is
``cosignature/v1\\ntime <time>\\n`` followed by the checkpoint's note text (without signatures).
The cosigner's verifier key is ``<name>+<8 hex key ID>+<base64(0x04 || public key)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from booth.ledger import note

COSIGNATURE_TYPE = 0x04
_TIME_MAX = 2**64 - 1


class CosignatureError(ValueError):
    """A cosignature that cannot be accepted; ``.id`` and ``.en`` say why (Indonesian, English)."""

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(f"{message_id} ({message_en})")
        self.id = message_id
        self.en = message_en


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: who signed which checkpoint, and when (POSIX seconds)."""

    name: str
    timestamp: int
    checkpoint: note.Checkpoint


def _canonical_b64(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def cosigner_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """SHA-256(name || 0x0A || 0x04 || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([COSIGNATURE_TYPE]) + _raw(public_key)).digest()[:4]


def cosigner_verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """``<name>+<hex key ID>+<base64(0x04 || public key)>``."""
    encoded = base64.b64encode(bytes([COSIGNATURE_TYPE]) + _raw(public_key)).decode("ascii")
    return f"{name}+{cosigner_key_id(name, public_key).hex()}+{encoded}"


def parse_cosigner_key(text: str) -> tuple[str, Ed25519PublicKey]:
    """A cosigner's verifier key -> (name, public key); CosignatureError if it is not one."""
    name, _, rest = text.strip().partition("+")
    hex_id, _, encoded = rest.partition("+")
    raw = _canonical_b64(encoded)
    if not note.is_valid_name(name) or raw is None or len(raw) != 33 or raw[0] != COSIGNATURE_TYPE:
        raise CosignatureError(
            "Kunci saksi tidak dikenali (harus nama+id+kunci jenis 0x04)",
            "Not a cosigner verifier key (expected name+id+key of type 0x04)",
        )
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if cosigner_key_id(name, public_key).hex() != hex_id:
        raise CosignatureError(
            "ID kunci saksi tidak cocok dengan nama dan kuncinya", "The cosigner key ID does not match its name and key"
        )
    return name, public_key


def signed_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What a cosigner signs: the cosignature/v1 header lines, then the checkpoint note text."""
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def _checkpoint_body(checkpoint_text: str) -> tuple[str, note.Checkpoint]:
    """The note text of a checkpoint given with or without its signature lines."""
    at = checkpoint_text.rfind("\n\n")
    body = checkpoint_text[: at + 1] if at >= 0 else checkpoint_text
    try:
        return body, note.Checkpoint.parse(body)
    except note.NoteError as exc:
        raise CosignatureError(f"Checkpoint rusak: {exc}", f"Malformed checkpoint: {exc}") from None


def cosign(checkpoint_text: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line (no final newline) for ``checkpoint_text`` by cosigner ``name``."""
    body, _ = _checkpoint_body(checkpoint_text)
    signature = private_key.sign(signed_message(body, timestamp))
    kid = cosigner_key_id(name, private_key.public_key())
    encoded = base64.b64encode(kid + timestamp.to_bytes(8, "big") + signature).decode("ascii")
    return f"{note.SIGNATURE_PREFIX}{name} {encoded}"


def check_cosignature(checkpoint_text: str, line: str, verifier_key: str) -> Cosignature:
    """Check one cosignature line on a checkpoint with the cosigner's verifier key.

    ``checkpoint_text`` is the checkpoint's note text (its signature lines, if given, are
    ignored); ``line`` is ``— <name> <base64>`` (a final newline is allowed).  Raises
    :class:`CosignatureError` saying why in both languages: malformed checkpoint, line or key,
    another cosigner's line, or a signature that does not verify (the checkpoint or time changed).
    """
    body, checkpoint = _checkpoint_body(checkpoint_text)
    name, public_key = parse_cosigner_key(verifier_key)
    line = line.removesuffix("\n")
    if not line.startswith(note.SIGNATURE_PREFIX):
        raise CosignatureError(
            "Baris kosignatur harus diawali tanda pisah panjang dan spasi",
            "A cosignature line starts with an em dash and a space",
        )
    line_name, _, encoded = line[len(note.SIGNATURE_PREFIX) :].partition(" ")
    raw = _canonical_b64(encoded)
    if raw is None or len(raw) != 4 + 8 + 64:
        raise CosignatureError(
            "Baris kosignatur rusak (base64 76 bita)", "Malformed cosignature line (expected 76 bytes of base64)"
        )
    if line_name != name or raw[:4] != cosigner_key_id(name, public_key):
        raise CosignatureError(
            f"Kosignatur ini dari {line_name}+{raw[:4].hex()}, bukan dari kunci ini",
            f"This cosignature is by {line_name}+{raw[:4].hex()}, not by this key",
        )
    timestamp = int.from_bytes(raw[4:12], "big")
    try:
        public_key.verify(raw[12:], signed_message(body, timestamp))
    except InvalidSignature:
        raise CosignatureError(
            "Tanda tangan kosignatur tidak sah: checkpoint atau waktunya diubah",
            "The cosignature does not verify: the checkpoint or its time was changed",
        ) from None
    return Cosignature(name, timestamp, checkpoint)
