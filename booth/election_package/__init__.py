"""The election package: what the committee prepares and signs, and the booth checks before opening.

A package is a folder (or the same folder as a .zip) holding exactly::

    election.json    the election: pekon, TPS, date, hours, candidates, companions
    committee.json   the committee's public keys (written by ``booth election sign``)
    dpt.csv          the voter list (see booth.dpt)
    photos/*.jpg|png one photo per candidate
    README.txt       optional notes for the committee (signed like the rest)
    manifest.json    SHA-256 and size of every file above, canonical JSON
    manifest.sig     the committee's Ed25519 signature over the manifest

Byte layouts, written down once here and in docs/election-package.md:

* ``manifest.json`` = ``canonical({"format": "booth election manifest v1",
  "files": {name: {"sha256": <64 lowercase hex>, "size": <bytes>}}})``, file
  names with "/" separators, e.g. ``"photos/1.jpg"``.
* ``manifest.sig`` = base64 (standard alphabet, padded) of the 64-byte
  Ed25519 signature over ``SIGNATURE_DOMAIN + manifest bytes``, then "\\n".
* election ID = lowercase hex SHA-256 of the manifest bytes; its short form
  (:func:`short_id`) is the first 60 bits in Crockford base32, as
  ``XXXX-XXXX-XXXX``, for people to compare by eye on screen and on paper.
* ``committee.json`` = ``{"format": "booth committee keys v1", "sign_key":
  <base64 of the raw 32-byte Ed25519 public key>, "seal_key": <base64 of the
  raw 32-byte X25519 public key used to seal voter photos>}``.

>>> package = load_package("pekon-sukamaju")              # doctest: +SKIP
>>> package.short_id, len(package.voters)                 # doctest: +SKIP
('7F3A-91C2-0B4E', 300)

:func:`load_package` is a pure loader: it reads, verifies and validates
everything, and either returns frozen data or raises :class:`PackageError`
listing every problem it found.  It never writes anything.

The package's code is in rooms: :mod:`~booth.election_package.model` (names,
limits, problems, the data), :mod:`~booth.election_package.files` (reading a
folder or zip), :mod:`~booth.election_package.checks` (the content),
:mod:`~booth.election_package.manifest` (manifest, signature, the loader) and
:mod:`~booth.election_package.committee` (keys, signing, zipping, the
template).  Every public name is importable from here.
"""

from __future__ import annotations

from booth.election_package.checks import check_content
from booth.election_package.committee import (
    PUBLIC_KEYS_FILE,
    SEAL_KEY_FILE,
    SIGN_KEY_FILE,
    election_template,
    load_key_pair,
    read_public_keys,
    save_key_pair,
    sign_package,
    write_package_zip,
)
from booth.election_package.files import read_package_files
from booth.election_package.manifest import load_package, make_manifest
from booth.election_package.model import (
    COMMITTEE_FILE,
    COMMITTEE_FORMAT,
    COMPANION_ROLES,
    DEFAULT_TIMEZONE,
    DPT_FILE,
    ELECTION_FILE,
    ELECTION_FORMAT,
    MANIFEST_FILE,
    MANIFEST_FORMAT,
    MAX_CANDIDATES,
    MAX_DPT_BYTES,
    MAX_ENTRIES,
    MAX_JSON_BYTES,
    MAX_PHOTO_BYTES,
    MAX_README_BYTES,
    MAX_SIGNATURE_BYTES,
    MAX_TOTAL_BYTES,
    MIN_CANDIDATES,
    PHOTO_DIR,
    PHOTO_MAX_PX,
    PHOTO_MIN_PX,
    README_FILE,
    SIGNATURE_DOMAIN,
    SIGNATURE_FILE,
    TEMPLATE_PLACEHOLDERS,
    TIMEZONES,
    Candidate,
    CommitteeKeyPair,
    CommitteeKeys,
    Companion,
    Election,
    ElectionPackage,
    PackageError,
    PackageProblem,
    election_id_of,
    short_id,
)

__all__ = [
    "COMMITTEE_FILE",
    "COMMITTEE_FORMAT",
    "COMPANION_ROLES",
    "DEFAULT_TIMEZONE",
    "DPT_FILE",
    "ELECTION_FILE",
    "ELECTION_FORMAT",
    "MANIFEST_FILE",
    "MANIFEST_FORMAT",
    "MAX_CANDIDATES",
    "MAX_DPT_BYTES",
    "MAX_ENTRIES",
    "MAX_JSON_BYTES",
    "MAX_PHOTO_BYTES",
    "MAX_README_BYTES",
    "MAX_SIGNATURE_BYTES",
    "MAX_TOTAL_BYTES",
    "MIN_CANDIDATES",
    "PHOTO_DIR",
    "PHOTO_MAX_PX",
    "PHOTO_MIN_PX",
    "PUBLIC_KEYS_FILE",
    "README_FILE",
    "SEAL_KEY_FILE",
    "SIGNATURE_DOMAIN",
    "SIGNATURE_FILE",
    "SIGN_KEY_FILE",
    "TEMPLATE_PLACEHOLDERS",
    "TIMEZONES",
    "Candidate",
    "CommitteeKeyPair",
    "CommitteeKeys",
    "Companion",
    "Election",
    "ElectionPackage",
    "PackageError",
    "PackageProblem",
    "check_content",
    "election_id_of",
    "election_template",
    "load_key_pair",
    "load_package",
    "make_manifest",
    "read_package_files",
    "read_public_keys",
    "save_key_pair",
    "short_id",
    "sign_package",
    "write_package_zip",
]
