"""The device's identity: one Ed25519 key pair made at provisioning.

The private key lives in ``STATE_DIR/device.key`` (PKCS#8 PEM, mode 0600,
readable only by the ledger service's user).  The public half is exported as
a C2SP note verifier key (``device.pub``) and a fingerprint people can read
aloud: the SHA-256 of the 32 raw public-key bytes, in hex.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> key = DeviceKey.create(d / "device.key")
>>> oct((d / "device.key").stat().st_mode & 0o777)
'0o600'
>>> DeviceKey.load(d / "device.key").fingerprint == key.fingerprint
True
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from booth.ledger import note


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """Hex SHA-256 of the raw public key."""
    return hashlib.sha256(raw_public(public_key)).hexdigest()


def origin_for(public_key: Ed25519PublicKey) -> str:
    """The checkpoint origin (and note key name) of a device's log."""
    return "booth/" + fingerprint(public_key)[:16]


def short_fingerprint(fp: str) -> str:
    """The first 16 hex digits in groups of four, for screens and paper."""
    return "-".join(fp[i : i + 4].upper() for i in range(0, 16, 4))


class KeyFileError(Exception):
    """A key file is missing, unreadable, or not an Ed25519 key."""


@dataclass(frozen=True)
class DeviceKey:
    private_key: Ed25519PrivateKey

    # Cached: every event's checkpoint names the origin, and deriving it (public
    # key, raw bytes, SHA-256) cost more than a tenth of a cast.
    @functools.cached_property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @functools.cached_property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    @functools.cached_property
    def origin(self) -> str:
        return origin_for(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def verifier_key(self) -> str:
        return note.verifier_key(self.origin, self.public_key)

    @classmethod
    def create(cls, path: Path, *, private_key: Ed25519PrivateKey | None = None) -> DeviceKey:
        """Make a new key (or take ``private_key``: fixed keys for repeatable documentation and tests)
        and write it to ``path`` with mode 0600; refuse to overwrite."""
        key = private_key or Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        return cls(key)

    @classmethod
    def load(cls, path: Path) -> DeviceKey:
        try:
            key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise KeyFileError(f"cannot read device key {path}: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"{path} is not an Ed25519 private key")
        return cls(key)


def load_verifier_key(text: str) -> tuple[str, Ed25519PublicKey]:
    """Parse a ``device.pub`` verifier key line into (origin, public key)."""
    return note.parse_verifier_key(text.strip())
