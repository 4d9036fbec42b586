"""The committee's tools on its laptop: keys, signing a package, zipping it, the election.json template."""

from __future__ import annotations

import base64
import json
import os
import zipfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from booth.election_package.checks import check_content
from booth.election_package.files import read_package_files
from booth.election_package.manifest import load_package, make_manifest
from booth.election_package.model import (
    COMMITTEE_FILE,
    DEFAULT_TIMEZONE,
    ELECTION_FORMAT,
    MANIFEST_FILE,
    SIGNATURE_DOMAIN,
    SIGNATURE_FILE,
    CommitteeKeyPair,
    CommitteeKeys,
    ElectionPackage,
    PackageError,
    b64_bytes,
    unreadable,
)
from booth.ledger.canonical import canonical

SIGN_KEY_FILE = "committee-sign.key"
SEAL_KEY_FILE = "committee-seal.key"
PUBLIC_KEYS_FILE = "committee.pub.json"


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, mode)  # the umask may have narrowed or the file system widened it


def save_key_pair(keys: CommitteeKeyPair, out_dir: str | os.PathLike, *, demo: bool = False) -> Path:
    """Write the private keys (PEM PKCS#8, mode 0600) and ``committee.pub.json``; never overwrite.

    Raises FileExistsError if any of the three files already exists.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    targets = [out / SIGN_KEY_FILE, out / SEAL_KEY_FILE, out / PUBLIC_KEYS_FILE]
    for target in targets:
        if target.exists():
            raise FileExistsError(str(target))
    pem = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    _write_new(targets[0], keys.sign_private.private_bytes(*pem), 0o600)
    _write_new(targets[1], keys.seal_private.private_bytes(*pem), 0o600)
    public = keys.public.to_json()
    if demo:
        public["_note"] = "DEMO KEY - NOT FOR A REAL ELECTION / KUNCI DEMO - BUKAN UNTUK PEMILIHAN"
    _write_new(targets[2], (json.dumps(public, indent=2) + "\n").encode(), 0o644)
    return out


def load_key_pair(key_dir: str | os.PathLike) -> CommitteeKeyPair:
    """Read the committee's private keys written by :func:`save_key_pair`."""
    key_dir = Path(key_dir)
    sign = serialization.load_pem_private_key((key_dir / SIGN_KEY_FILE).read_bytes(), None)
    seal = serialization.load_pem_private_key((key_dir / SEAL_KEY_FILE).read_bytes(), None)
    if not isinstance(sign, Ed25519PrivateKey) or not isinstance(seal, X25519PrivateKey):
        raise ValueError("the key folder does not hold an Ed25519 and an X25519 private key")
    return CommitteeKeyPair(sign, seal)


def read_public_keys(source: str | os.PathLike) -> CommitteeKeys | bytes:
    """A trusted committee key from a file (committee.pub.json, committee.json, PEM) or base64.

    Returns :class:`CommitteeKeys` for the JSON files, else the raw 32-byte Ed25519 key.
    Raises ValueError with a message for a person if it is neither.
    """
    text = str(source)
    path = Path(text)
    if path.is_file():
        data = path.read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("the PEM file does not hold an Ed25519 public key")
            return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        try:
            obj = json.loads(data)
            sign, seal = b64_bytes(obj["sign_key"], 32), b64_bytes(obj["seal_key"], 32)
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{path} is not a committee public key file") from None
        if sign is None or seal is None:
            raise ValueError(f"{path} is not a committee public key file")
        return CommitteeKeys(sign, seal)
    raw = b64_bytes(text, 32)
    if raw is None:
        raise ValueError(f"{text} is neither a key file nor a base64 Ed25519 public key")
    return raw


def sign_package(directory: str | os.PathLike, keys: CommitteeKeyPair) -> ElectionPackage:
    """Write committee.json, check the whole package, then write manifest.json and manifest.sig.

    Nothing is signed if the content has problems: :class:`PackageError` lists them
    (committee.json is still updated to the signing key).  Returns the loaded package.
    """
    root = Path(directory)
    if not root.is_dir():
        raise unreadable(f"{root} is not a folder", f"{root} bukan folder")
    committee = canonical(keys.public.to_json())
    (root / COMMITTEE_FILE).write_bytes(committee)
    files, problems = read_package_files(root)
    files.pop(MANIFEST_FILE, None)
    files.pop(SIGNATURE_FILE, None)
    check_content(files, problems)
    if problems:
        raise PackageError(problems)
    manifest = make_manifest(files)
    signature = keys.sign_private.sign(SIGNATURE_DOMAIN + manifest)
    for name, data in ((MANIFEST_FILE, manifest), (SIGNATURE_FILE, base64.b64encode(signature) + b"\n")):
        tmp = root / (name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, root / name)
    return load_package(root, keys.public)


def write_package_zip(directory: str | os.PathLike, zip_path: str | os.PathLike) -> Path:
    """Write a signed package folder as a .zip (same bytes, fixed timestamps, sorted names)."""
    files, problems = read_package_files(directory)
    if problems:
        raise PackageError(problems)
    zip_path = Path(zip_path)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return zip_path


def election_template(**overrides: Any) -> dict:
    """An example election.json as a dict (used by ``booth election new`` and the docs)."""
    value = {
        "format": ELECTION_FORMAT,
        "title": "Pemilihan Kepala Pekon Contoh 2025",
        "pekon": "Contoh",
        "kecamatan": "Pagelaran",
        "kabupaten": "Pringsewu",
        "provinsi": "Lampung",
        "tps": 1,
        "date": "2025-11-16",
        "opens": "07:00",
        "closes": "13:00",
        "timezone": DEFAULT_TIMEZONE,
        "allow_blank": False,
        "candidates": [
            {"number": 1, "name": "NAMA CALON SATU", "photo": "1.jpg"},
            {"number": 2, "name": "NAMA CALON DUA", "photo": "2.jpg"},
        ],
        "companions": [
            {"id": "PT-01", "name": "NAMA KETUA", "role": "ketua"},
            {"id": "PT-02", "name": "NAMA TEKNISI", "role": "teknisi"},
        ],
    }
    value.update(overrides)
    return value
