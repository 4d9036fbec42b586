"""The manifest and its signature, and the loader that holds a package to them.

``manifest.json`` lists every file's SHA-256 and size (canonical JSON);
``manifest.sig`` is the committee's Ed25519 signature over
``SIGNATURE_DOMAIN + manifest``; the election ID is the manifest's SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from booth.election_package.checks import check_content
from booth.election_package.files import name_problem, read_package_files
from booth.election_package.model import (
    COMMITTEE_FILE,
    DPT_FILE,
    MANIFEST_FILE,
    MANIFEST_FORMAT,
    SIGNATURE_DOMAIN,
    SIGNATURE_FILE,
    CommitteeKeys,
    ElectionPackage,
    PackageError,
    PackageProblem,
    b64_bytes,
    election_id_of,
    short_id,
)
from booth.ledger.canonical import NotCanonical, canonical, parse_canonical


def make_manifest(files: Mapping[str, bytes]) -> bytes:
    """The canonical manifest bytes for the package ``files`` (manifest and signature excluded)."""
    listed = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in sorted(files.items())
        if name not in (MANIFEST_FILE, SIGNATURE_FILE)
    }
    return canonical({"format": MANIFEST_FORMAT, "files": listed})


def check_manifest(
    files: Mapping[str, bytes],
    committee: CommitteeKeys | None,
    trusted: bytes | None,
    problems: list[PackageProblem],
    *,
    may_be_absent: tuple[str, ...] = (),
) -> tuple[bytes, bytes] | None:
    """Verify manifest.json, manifest.sig and every listed hash; return (manifest, signature).

    A file named in ``may_be_absent`` (a booth's copy leaves out the DPT) may be missing; when it
    is there it must still match the manifest.
    """
    read = _read_manifest(files, problems)
    if read is None:
        return None
    manifest, listed = read
    signature = _check_signature(files[SIGNATURE_FILE], manifest, committee, trusted, problems)
    _check_listed_files(files, {n: e for n, e in listed.items() if n in files or n not in may_be_absent}, problems)
    return (manifest, signature) if signature is not None else None


def _read_manifest(files: Mapping[str, bytes], problems: list[PackageProblem]) -> tuple[bytes, dict] | None:
    """The manifest's bytes and its file table, if the package is signed and the manifest is one."""
    if MANIFEST_FILE not in files or SIGNATURE_FILE not in files:
        missing = [n for n in (MANIFEST_FILE, SIGNATURE_FILE) if n not in files]
        problems.append(
            PackageProblem(
                missing[0] if len(missing) == 1 else "",
                None,
                f"{' and '.join(missing)} missing: the package is not signed "
                f"(run: booth election sign DIR --key KEYDIR)",
                f"{' dan '.join(missing)} tidak ada: paket belum ditandatangani "
                f"(jalankan: booth election sign FOLDER --key FOLDER_KUNCI)",
            )
        )
        return None
    manifest = files[MANIFEST_FILE]
    try:
        obj = parse_canonical(manifest)
    except NotCanonical as exc:
        problems.append(
            PackageProblem(
                MANIFEST_FILE,
                None,
                f"not canonical JSON ({exc}); sign the package again",
                f"bukan JSON kanonik ({exc}); tanda tangani ulang paket",
            )
        )
        return None
    listed = obj.get("files") if isinstance(obj, dict) else None
    if (
        not isinstance(obj, dict)
        or set(obj) != {"format", "files"}
        or obj["format"] != MANIFEST_FORMAT
        or not isinstance(listed, dict)
    ):
        problems.append(
            PackageProblem(
                MANIFEST_FILE, None, f'not a "{MANIFEST_FORMAT}" manifest', f'bukan manifes "{MANIFEST_FORMAT}"'
            )
        )
        return None
    return manifest, listed


def _check_signature(
    raw_sig: bytes,
    manifest: bytes,
    committee: CommitteeKeys | None,
    trusted: bytes | None,
    problems: list[PackageProblem],
) -> bytes | None:
    """manifest.sig: the committee's signature over the manifest, by the trusted key if one is given."""
    signature = None
    try:
        text = raw_sig.decode("ascii").strip()
        signature = b64_bytes(text, 64)
    except UnicodeDecodeError:
        pass
    if signature is None:
        problems.append(
            PackageProblem(
                SIGNATURE_FILE, None, "not a base64 Ed25519 signature", "bukan tanda tangan Ed25519 dalam base64"
            )
        )
    elif committee is not None:
        try:
            committee.ed25519().verify(signature, SIGNATURE_DOMAIN + manifest)
        except InvalidSignature:
            problems.append(
                PackageProblem(
                    SIGNATURE_FILE,
                    None,
                    "the signature does not match the manifest: the package was changed after "
                    "signing, or signed with another key",
                    "tanda tangan tidak cocok dengan manifes: paket diubah sesudah ditandatangani, "
                    "atau ditandatangani dengan kunci lain",
                )
            )
    if trusted is not None and committee is not None and committee.sign_key != trusted:
        theirs = CommitteeKeys(trusted, b"").fingerprint
        problems.append(
            PackageProblem(
                COMMITTEE_FILE,
                None,
                f"the package is signed by committee key {committee.fingerprint}, not by the "
                f"trusted committee key {theirs}",
                f"paket ditandatangani kunci panitia {committee.fingerprint}, bukan kunci panitia "
                f"yang dipercaya {theirs}",
            )
        )
    return signature


def _check_listed_files(files: Mapping[str, bytes], listed: dict, problems: list[PackageProblem]) -> None:
    """Every file the manifest lists is there, unchanged; nothing is there that it does not list."""
    for name, entry in sorted(listed.items()):
        if not (
            isinstance(entry, dict)
            and set(entry) == {"sha256", "size"}
            and isinstance(entry["sha256"], str)
            and re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
            and isinstance(entry["size"], int)
            and not isinstance(entry["size"], bool)
        ):
            problems.append(
                PackageProblem(MANIFEST_FILE, None, f"bad entry for {name!r}", f"entri untuk {name!r} rusak")
            )
            continue
        if name in (MANIFEST_FILE, SIGNATURE_FILE) or name_problem(name):
            problems.append(
                PackageProblem(
                    MANIFEST_FILE,
                    None,
                    f"lists a file a package cannot hold: {name!r}",
                    f"mencantumkan berkas yang tidak boleh ada: {name!r}",
                )
            )
            continue
        if name not in files:
            problems.append(
                PackageProblem(
                    name,
                    None,
                    "the file was signed but is missing from the package",
                    "berkas ikut ditandatangani tetapi tidak ada di paket",
                )
            )
            continue
        data = files[name]
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(
                PackageProblem(
                    name,
                    None,
                    "the file was changed after signing (its SHA-256 differs from the manifest)",
                    "berkas diubah sesudah ditandatangani (SHA-256 berbeda dari manifes)",
                )
            )
    for name in sorted(files):
        if name not in listed and name not in (MANIFEST_FILE, SIGNATURE_FILE):
            problems.append(
                PackageProblem(
                    name,
                    None,
                    "the file was added after signing (not in the manifest)",
                    "berkas ditambahkan sesudah ditandatangani (tidak ada di manifes)",
                )
            )


def trusted_bytes(key: Any) -> bytes | None:
    """The raw Ed25519 key of a trusted committee key given in any of the forms load_package takes."""
    if key is None:
        return None
    if isinstance(key, CommitteeKeys):
        return key.sign_key
    if isinstance(key, Ed25519PublicKey):
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if isinstance(key, (bytes, bytearray)) and len(key) == 32:
        return bytes(key)
    if isinstance(key, str):
        raw = b64_bytes(key, 32)
        if raw is not None:
            return raw
    raise TypeError("trusted_committee_key must be CommitteeKeys, an Ed25519PublicKey, 32 raw bytes or their base64")


# --- the loader -------------------------------------------------------------


def load_package(
    path: str | os.PathLike, trusted_committee_key: Any = None, *, voter_roll: bool = True
) -> ElectionPackage:
    """Read, verify and validate an election package folder or .zip; never writes anything.

    Verifies the committee's signature over the manifest and every file's
    SHA-256; with ``trusted_committee_key`` (CommitteeKeys, Ed25519PublicKey,
    raw 32 bytes or base64) also that the package was signed by that key.
    Validates election.json, committee.json, the DPT, and the candidate
    photos.  Raises :class:`PackageError` listing every problem found.

    ``voter_roll=False`` reads a booth's stored copy, which leaves out the DPT
    (a booth of a polling station keeps no voter roll): the manifest still names
    it, so the election ID is the same; the package has no voters.
    """
    trusted = trusted_bytes(trusted_committee_key)
    files, problems = read_package_files(path)
    content = check_content(files, problems, voter_roll=voter_roll)
    signed = check_manifest(
        files, content.committee, trusted, problems, may_be_absent=() if voter_roll else (DPT_FILE,)
    )
    if problems:
        raise PackageError(problems)
    assert signed is not None and content.election is not None and content.committee is not None
    assert content.candidates is not None and content.voters is not None and content.companions is not None
    manifest, signature = signed
    election_id = election_id_of(manifest)
    return ElectionPackage(
        election=content.election,
        candidates=tuple(content.candidates),
        voters=tuple(content.voters),
        companions=tuple(content.companions),
        committee=content.committee,
        election_id=election_id,
        short_id=short_id(election_id),
        photos=MappingProxyType(dict(content.photos)),
        manifest=manifest,
        signature=signature,
    )
