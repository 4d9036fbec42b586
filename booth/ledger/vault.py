"""The photo vault: voter photos, encrypted, that replace the finger ink.

After a voter votes, the camera takes their photo.  The photo is biometric
data (UU PDP 27/2022), so it is stored only encrypted, linked to the voter's
DPT record (``voter_ref``, e.g. ``"DPT-0042"``) and never to a ballot.  A
companion who signed in with their PIN can see the photo of a voter who comes
back (the double-vote check); the committee can open the photos off-device
with its private key in a dispute; and when the dispute period ends, ``purge``
destroys every photo and every copy of the key for good.

Usage::

    vault, secret = PhotoVault.create(state_dir / "vault.db", election_id, committee_public_key)
    vault.wrap_for_companion("petugas-1", "482913", secret)   # at activation
    vault.store_photo("DPT-0042", jpeg)                       # needs no secret
    vault.read_photo("DPT-0042", vault.unlock("petugas-1", "482913"))

Every key derivation, info string, associated-data layout and the table
schema are written down in ``docs/photo-vault.md`` and pinned by a test
vector in ``tests/test_vault.py``.  In short:

* one X25519 **vault key pair** per election; the public key is stored in
  clear, so the ledger service can encrypt photos without holding a secret;
* each photo is sealed to the vault public key: fresh ephemeral X25519 key,
  HKDF-SHA256 (salt = ephemeral public || vault public, info
  ``b"booth photo v1"``) -> AES-256-GCM, random 12-byte nonce, associated
  data = canonical JSON of election ID and voter_ref;
* a DPTb voter's details (NIK, name, birth date, address) are sealed the same
  way (info ``b"booth dptb v1"``), so the event log names only the reference;
* the vault private key is stored only wrapped: sealed to the committee's
  X25519 key (info ``b"booth vault seal v1"``) and, per companion, under
  scrypt(PIN) -> AES-256-GCM.

This module imports nothing from the UI or the hardware: it belongs to the
ledger service.  Exception messages never contain a voter_ref or a PIN, so
they are safe to log.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sqlite3
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from booth.ledger.canonical import canonical
from booth.ledger.kdf import scrypt

FORMAT = "booth photo vault v1"
PHOTO_INFO = b"booth photo v1"
SEAL_INFO = b"booth vault seal v1"
PHOTO_PURPOSE = "booth photo v1"
SEAL_PURPOSE = "booth vault seal v1"
PIN_WRAP_PURPOSE = "booth vault pin wrap v1"
DPTB_INFO = b"booth dptb v1"
DPTB_PURPOSE = "booth dptb v1"
MAX_DPTB_RECORD_BYTES = 4096

MAX_PHOTO_BYTES = 2 * 1024 * 1024
JPEG_START = b"\xff\xd8\xff"
MAX_REF_CHARS = 64
MAX_ELECTION_ID_CHARS = 128

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_SALT_BYTES = 16
# Stored scrypt parameters are checked before use, so a tampered file cannot
# make unlock() ask for gigabytes of memory: 128 * n * r bytes <= 256 MiB.
_SCRYPT_MAX_N_TIMES_R = 2**21

# The personal details of voters added on the day (DPTb: NIK, name, birth
# date, address), sealed like a photo, so the event log carries only the
# reference.  Added after v1's first files: ``open`` creates it if missing.
_DPTB_TABLE = """CREATE TABLE IF NOT EXISTS dptb_records (
        voter_ref TEXT PRIMARY KEY,
        ephemeral_public_key BLOB NOT NULL,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL
    ) WITHOUT ROWID"""

_SCHEMA = [
    # One row: what this vault is.  Everything here is public.
    """CREATE TABLE vault (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        format TEXT NOT NULL,
        election_id TEXT NOT NULL,
        vault_public_key BLOB NOT NULL CHECK (length(vault_public_key) = 32),
        committee_public_key BLOB NOT NULL CHECK (length(committee_public_key) = 32),
        purged INTEGER NOT NULL DEFAULT 0 CHECK (purged IN (0, 1))
    )""",
    # The vault private key sealed to the committee key (deleted by purge).
    """CREATE TABLE committee_seal (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        ephemeral_public_key BLOB NOT NULL,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL
    )""",
    # The vault private key wrapped under each companion's PIN (deleted by purge).
    """CREATE TABLE companion_wraps (
        companion_id TEXT PRIMARY KEY,
        kdf TEXT NOT NULL CHECK (kdf = 'scrypt'),
        salt BLOB NOT NULL,
        n INTEGER NOT NULL,
        r INTEGER NOT NULL,
        p INTEGER NOT NULL,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL
    ) WITHOUT ROWID""",
    # One encrypted photo per voter.  WITHOUT ROWID: rows are ordered by
    # voter_ref, not by the order in which voters came.  No time is stored.
    """CREATE TABLE photos (
        voter_ref TEXT PRIMARY KEY,
        ephemeral_public_key BLOB NOT NULL,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL
    ) WITHOUT ROWID""",
    _DPTB_TABLE,
]


# --------------------------------------------------------------------------
# What can go wrong, in words a companion can read (the UI translates).


class VaultError(Exception):
    """An expected refusal of the photo vault, with a short message for a person."""

    message = "The photo vault refused the request."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or type(self).message
        super().__init__(self.message)


class VaultNotFound(VaultError):
    message = "There is no photo vault here."


class VaultAlreadyExists(VaultError):
    message = "A photo vault already exists here."


class VaultDamaged(VaultError):
    message = "The photo vault file is damaged."


class VaultPurged(VaultError):
    message = "The voter photos have been destroyed (purged)."


class BadElectionId(VaultError):
    message = "The election ID is missing or not valid."


class BadVoterRef(VaultError):
    message = "The voter reference is missing or not valid."


class BadCompanionId(VaultError):
    message = "The companion ID is missing or not valid."


class InvalidPin(VaultError):
    message = "The PIN is empty or not valid."


class NotAJpeg(VaultError):
    message = "This is not a JPEG photo."


class PhotoTooLarge(VaultError):
    message = f"The photo is too large (at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB)."


class PhotoAlreadyStored(VaultError):
    message = "A photo of this voter is already stored."


class NoPhotoForVoter(VaultError):
    message = "No photo of this voter is stored."


class PhotoDamaged(VaultError):
    message = "This photo is damaged or does not belong to this voter."


class DptbRecordTooLarge(VaultError):
    message = f"The voter's details are too long (at most {MAX_DPTB_RECORD_BYTES} bytes)."


class NoDptbRecord(VaultError):
    message = "No details of this DPTb voter are stored."


class DptbRecordDamaged(VaultError):
    message = "These DPTb details are damaged or do not belong to this voter."


class WrongPin(VaultError):
    message = "Wrong PIN."


class NoWrapForCompanion(VaultError):
    message = "This companion has no access to the voter photos."


class WrongCommitteeKey(VaultError):
    message = "This is not the committee key of this election."


class WrongVaultSecret(VaultError):
    message = "This key belongs to another election's photo vault."


class PurgeIncomplete(VaultError):
    message = (
        "The photos are destroyed, but the vault file could not be cleaned completely. "
        "Close other programs using it and purge again."
    )


# --------------------------------------------------------------------------
# The per-election secret


class VaultSecret:
    """The vault private key of one election, held in memory after an unlock.

    Whoever holds it can read every photo, so the core keeps it only for a
    signed-in companion's session and drops it at sign-out.  Its ``repr``
    never shows the key.
    """

    __slots__ = ("election_id", "_private_key", "_public_bytes")

    def __init__(self, election_id: str, private_key: X25519PrivateKey) -> None:
        self.election_id = election_id
        self._private_key = private_key
        self._public_bytes = _raw_public(private_key.public_key())

    @property
    def vault_public_key(self) -> bytes:
        """The 32 raw bytes of the matching vault public key."""
        return self._public_bytes

    def __repr__(self) -> str:
        return f"VaultSecret(election_id={self.election_id!r}, private key hidden)"

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("a VaultSecret is never pickled or copied out of the process")


# --------------------------------------------------------------------------
# The construction (see docs/photo-vault.md, "Construction")


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _raw_private(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def photo_associated_data(election_id: str, voter_ref: str) -> bytes:
    """AES-GCM associated data of a photo: binds it to one election and one voter.

    >>> photo_associated_data("E1", "DPT-0042")
    b'{"election_id":"E1","purpose":"booth photo v1","voter_ref":"DPT-0042"}'
    """
    return canonical({"election_id": election_id, "purpose": PHOTO_PURPOSE, "voter_ref": voter_ref})


def dptb_associated_data(election_id: str, voter_ref: str) -> bytes:
    """AES-GCM associated data of a DPTb voter's sealed details: one election, one voter.

    >>> dptb_associated_data("E1", "DPTB-0001")
    b'{"election_id":"E1","purpose":"booth dptb v1","voter_ref":"DPTB-0001"}'
    """
    return canonical({"election_id": election_id, "purpose": DPTB_PURPOSE, "voter_ref": voter_ref})


def dptb_record_digest(ephemeral_public: bytes, nonce: bytes, ciphertext: bytes) -> str:
    """SHA-256 (hex) of a sealed DPTb record, as the ``voter.dptb_added`` event names it.

    The log thus binds the sealed record without revealing it: the ciphertext
    is under a fresh ephemeral key, so its hash says nothing about the person.
    """
    return hashlib.sha256(ephemeral_public + nonce + ciphertext).hexdigest()


def seal_associated_data(election_id: str, vault_public_key: bytes) -> bytes:
    """AES-GCM associated data of the committee seal of the vault private key."""
    return canonical({"election_id": election_id, "purpose": SEAL_PURPOSE, "vault_public_key": vault_public_key.hex()})


def pin_wrap_associated_data(election_id: str, companion_id: str, vault_public_key: bytes) -> bytes:
    """AES-GCM associated data of one companion's PIN wrap of the vault private key."""
    return canonical(
        {
            "companion_id": companion_id,
            "election_id": election_id,
            "purpose": PIN_WRAP_PURPOSE,
            "vault_public_key": vault_public_key.hex(),
        }
    )


def _ecies_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes, info: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=ephemeral_public + recipient_public, info=info
    ).derive(shared)


def _seal(
    recipient: X25519PublicKey,
    plaintext: bytes,
    info: bytes,
    associated_data: bytes,
    *,
    ephemeral: X25519PrivateKey | None = None,
    nonce: bytes | None = None,
) -> tuple[bytes, bytes, bytes]:
    """Encrypt to an X25519 public key; returns (ephemeral public, nonce, ciphertext).

    ``ephemeral`` and ``nonce`` are fixed only by the test vector; in use they
    are always fresh (X25519 key generation and ``secrets``).
    """
    ephemeral = ephemeral or X25519PrivateKey.generate()
    nonce = nonce if nonce is not None else secrets.token_bytes(NONCE_BYTES)
    ephemeral_public = _raw_public(ephemeral.public_key())
    key = _ecies_key(ephemeral.exchange(recipient), ephemeral_public, _raw_public(recipient), info)
    return ephemeral_public, nonce, AESGCM(key).encrypt(nonce, plaintext, associated_data)


def _open_sealed(
    recipient: X25519PrivateKey,
    ephemeral_public: bytes,
    nonce: bytes,
    ciphertext: bytes,
    info: bytes,
    associated_data: bytes,
) -> bytes:
    """Decrypt what :func:`_seal` made.  Raises ``InvalidTag`` if anything does not match."""
    if len(ephemeral_public) != 32 or len(nonce) != NONCE_BYTES:
        raise InvalidTag()
    try:
        shared = recipient.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    except ValueError:  # a low-order point gives an all-zero secret: refuse it
        raise InvalidTag() from None
    key = _ecies_key(shared, ephemeral_public, _raw_public(recipient.public_key()), info)
    return AESGCM(key).decrypt(nonce, ciphertext, associated_data)


def _pin_key(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # NFC so that the same PIN typed on two keyboards gives the same key.
    data = unicodedata.normalize("NFC", pin).encode("utf-8")
    # In a short-lived child in the ledger service (booth.ledger.kdf): its 16 MiB go away with it.
    return scrypt(data, salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=128 * (n * r + r * (p + 2)) + (1 << 20))


def _scrypt_parameters_ok(n: int, r: int, p: int) -> bool:
    return (
        isinstance(n, int)
        and isinstance(r, int)
        and isinstance(p, int)
        and n >= 2
        and n & (n - 1) == 0
        and 1 <= r <= 32
        and 1 <= p <= 16
        and n * r <= _SCRYPT_MAX_N_TIMES_R
    )


# --------------------------------------------------------------------------
# Input checks: bad input gets a specific error and changes nothing.


def _check_name(value: object, max_chars: int, error: type[VaultError]) -> str:
    """A reference or ID: 1..max_chars printable characters, no outer spaces."""
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= max_chars
        or not value.isprintable()
        or value != value.strip()
    ):
        raise error()
    return value


def _check_jpeg(jpeg: object) -> bytes:
    if not isinstance(jpeg, (bytes, bytearray)):
        raise NotAJpeg()
    if len(jpeg) > MAX_PHOTO_BYTES:
        raise PhotoTooLarge()
    if not bytes(jpeg[:3]) == JPEG_START:
        raise NotAJpeg()
    return bytes(jpeg)


# --------------------------------------------------------------------------
# The SQLite file


def _restrict_mode(path: Path) -> None:
    """Only the ledger service's user may read the vault and its WAL."""
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path.with_name(name), 0o600)


def _set_pragmas(db: sqlite3.Connection, path: Path) -> None:
    """WAL + synchronous=FULL + secure_delete, checked on every open (fail loudly)."""
    db.execute("PRAGMA busy_timeout = 10000")
    # The vault is written all day (one photo per voter) and read only at the district: a page
    # cache of 256 KiB instead of SQLite's 2 MiB keeps the ledger service small (issue #15).
    db.execute("PRAGMA cache_size = -256")
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise RuntimeError(f"photo vault {path}: journal_mode is {mode!r}, not WAL")
    db.execute("PRAGMA synchronous = FULL")
    if db.execute("PRAGMA synchronous").fetchone()[0] != 2:
        raise RuntimeError(f"photo vault {path}: synchronous is not FULL")
    db.execute("PRAGMA secure_delete = ON")
    if db.execute("PRAGMA secure_delete").fetchone()[0] != 1:
        raise RuntimeError(f"photo vault {path}: secure_delete is not ON")
    _restrict_mode(path)


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------


class PhotoVault:
    """The encrypted voter photos of one election, in their own SQLite file.

    Example::

        vault, secret = PhotoVault.create(path, "E1", committee_key.public_key())
        vault.store_photo("DPT-0042", jpeg)
        assert vault.read_photo("DPT-0042", secret) == jpeg
    """

    def __init__(
        self, db: sqlite3.Connection, path: Path, election_id: str, vault_public_key: bytes, committee_public_key: bytes
    ) -> None:
        # Use create() or open(); this only holds what they found.
        self._db = db
        self.path = path
        self.election_id = election_id
        self._vault_public_bytes = vault_public_key
        self._vault_public = X25519PublicKey.from_public_bytes(vault_public_key)
        self._committee_public_bytes = committee_public_key

    # -- creating and opening -------------------------------------------

    @classmethod
    def create(
        cls, path: str | os.PathLike[str], election_id: str, committee_public_key: X25519PublicKey
    ) -> tuple[PhotoVault, VaultSecret]:
        """Make the vault of a new election; return it and its secret.

        The file appears complete or not at all (built beside it, then
        renamed).  The caller should wrap the secret for each companion right
        away: apart from the committee, nobody else can ever open it.
        """
        path = Path(path)
        _check_name(election_id, MAX_ELECTION_ID_CHARS, BadElectionId)
        if not isinstance(committee_public_key, X25519PublicKey):
            raise TypeError("committee_public_key must be an X25519PublicKey")
        if path.exists():
            raise VaultAlreadyExists()

        private = X25519PrivateKey.generate()
        vault_public = _raw_public(private.public_key())
        committee_public = _raw_public(committee_public_key)
        seal = _seal(
            committee_public_key, _raw_private(private), SEAL_INFO, seal_associated_data(election_id, vault_public)
        )

        building = path.with_name(path.name + ".creating")
        for name in (building.name, building.name + "-wal", building.name + "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(building.with_name(name))  # left by a power cut during create
        os.close(os.open(building, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        db = sqlite3.connect(building, isolation_level=None)
        try:
            _set_pragmas(db, building)
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute(
                "INSERT INTO vault (singleton, format, election_id, vault_public_key, committee_public_key)"
                " VALUES (1, ?, ?, ?, ?)",
                (FORMAT, election_id, vault_public, committee_public),
            )
            db.execute(
                "INSERT INTO committee_seal (singleton, ephemeral_public_key, nonce, ciphertext) VALUES (1, ?, ?, ?)",
                seal,
            )
            db.execute("COMMIT")
        finally:
            db.close()  # the last close checkpoints the WAL into the file and removes it
        if building.with_name(building.name + "-wal").exists():
            raise RuntimeError(f"photo vault {building}: WAL left after close; not renaming")
        _fsync_path(building)
        os.replace(building, path)
        _fsync_path(path.parent, directory=True)
        return cls.open(path), VaultSecret(election_id, private)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> PhotoVault:
        """Open an existing vault (e.g. after a restart).  Needs no secret."""
        path = Path(path)
        if not path.is_file():
            raise VaultNotFound()
        db = sqlite3.connect(path, isolation_level=None)
        try:
            try:
                row = db.execute(
                    "SELECT format, election_id, vault_public_key, committee_public_key FROM vault"
                ).fetchone()
            except sqlite3.DatabaseError:
                raise VaultNotFound() from None
            if row is None or row[0] != FORMAT:
                raise VaultNotFound()
            _set_pragmas(db, path)
            db.execute(_DPTB_TABLE)  # a vault made before DPTb details moved here
            _, election_id, vault_public, committee_public = row
            return cls(db, path, election_id, bytes(vault_public), bytes(committee_public))
        except BaseException:
            db.close()
            raise

    def close(self) -> None:
        """Close the file.  Safe to call twice."""
        self._db.close()

    def __enter__(self) -> PhotoVault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- companions --------------------------------------------------------

    def wrap_for_companion(self, companion_id: str, pin: str, secret: VaultSecret, *, scrypt_n: int = SCRYPT_N) -> None:
        """Let this companion unlock the photos with their PIN.

        Replaces an earlier wrap for the same companion (e.g. a new PIN).
        ``scrypt_n`` exists for tests; production uses the default.
        """
        _check_name(companion_id, MAX_REF_CHARS, BadCompanionId)
        if not isinstance(pin, str) or not pin:
            raise InvalidPin()
        self._check_secret(secret)
        if not _scrypt_parameters_ok(scrypt_n, SCRYPT_R, SCRYPT_P):
            raise ValueError(f"scrypt n={scrypt_n} is not an allowed power of two")
        salt = secrets.token_bytes(SCRYPT_SALT_BYTES)
        nonce = secrets.token_bytes(NONCE_BYTES)
        key = _pin_key(pin, salt, scrypt_n, SCRYPT_R, SCRYPT_P)
        ciphertext = AESGCM(key).encrypt(
            nonce,
            _raw_private(secret._private_key),
            pin_wrap_associated_data(self.election_id, companion_id, self._vault_public_bytes),
        )
        with self._change() as db:
            self._refuse_if_purged(db)
            db.execute(
                "INSERT OR REPLACE INTO companion_wraps (companion_id, kdf, salt, n, r, p, nonce, ciphertext)"
                " VALUES (?, 'scrypt', ?, ?, ?, ?, ?, ?)",
                (companion_id, salt, scrypt_n, SCRYPT_R, SCRYPT_P, nonce, ciphertext),
            )

    def unlock(self, companion_id: str, pin: str) -> VaultSecret:
        """Open the vault with a companion's PIN.

        Raises :class:`WrongPin`, :class:`NoWrapForCompanion` or
        :class:`VaultPurged`.  Counting failed attempts and the lockout
        belong to the core, which calls this.
        """
        _check_name(companion_id, MAX_REF_CHARS, BadCompanionId)
        self._refuse_if_purged(self._db)
        row = self._db.execute(
            "SELECT kdf, salt, n, r, p, nonce, ciphertext FROM companion_wraps WHERE companion_id = ?",
            (companion_id,),
        ).fetchone()
        if row is None:
            raise NoWrapForCompanion()
        kdf, salt, n, r, p, nonce, ciphertext = row
        if (
            kdf != "scrypt"
            or not isinstance(salt, bytes)
            or len(salt) != SCRYPT_SALT_BYTES
            or not _scrypt_parameters_ok(n, r, p)
            or not isinstance(nonce, bytes)
            or len(nonce) != NONCE_BYTES
        ):
            raise VaultDamaged()
        if not isinstance(pin, str) or not pin:
            raise WrongPin()
        try:
            private_bytes = AESGCM(_pin_key(pin, salt, n, r, p)).decrypt(
                nonce,
                ciphertext,
                pin_wrap_associated_data(self.election_id, companion_id, self._vault_public_bytes),
            )
        except InvalidTag:
            raise WrongPin() from None
        return self._secret_from(private_bytes)

    # -- photos -------------------------------------------------------------

    def store_photo(self, voter_ref: str, jpeg: bytes) -> None:
        """Encrypt and store a voter's photo.  Needs no secret.

        Raises :class:`BadVoterRef`, :class:`NotAJpeg`, :class:`PhotoTooLarge`,
        :class:`PhotoAlreadyStored` (the core decides what a second photo
        means) or :class:`VaultPurged`; then nothing is stored.
        """
        _check_name(voter_ref, MAX_REF_CHARS, BadVoterRef)
        jpeg = _check_jpeg(jpeg)
        sealed = _seal(self._vault_public, jpeg, PHOTO_INFO, photo_associated_data(self.election_id, voter_ref))
        with self._change() as db:
            self._refuse_if_purged(db)
            try:
                db.execute(
                    "INSERT INTO photos (voter_ref, ephemeral_public_key, nonce, ciphertext) VALUES (?, ?, ?, ?)",
                    (voter_ref, *sealed),
                )
            except sqlite3.IntegrityError:
                raise PhotoAlreadyStored() from None

    def has_photo(self, voter_ref: str) -> bool:
        """Is a photo of this voter stored?  (False for every voter after purge.)"""
        _check_name(voter_ref, MAX_REF_CHARS, BadVoterRef)
        row = self._db.execute("SELECT 1 FROM photos WHERE voter_ref = ?", (voter_ref,)).fetchone()
        return row is not None

    def read_photo(self, voter_ref: str, secret: VaultSecret) -> bytes:
        """Decrypt a voter's photo with the secret from :meth:`unlock`.

        Raises :class:`NoPhotoForVoter`, :class:`PhotoDamaged` (tampered, or
        moved from another voter's record), :class:`WrongVaultSecret` or
        :class:`VaultPurged`.
        """
        _check_name(voter_ref, MAX_REF_CHARS, BadVoterRef)
        self._refuse_if_purged(self._db)
        self._check_secret(secret)
        row = self._db.execute(
            "SELECT ephemeral_public_key, nonce, ciphertext FROM photos WHERE voter_ref = ?", (voter_ref,)
        ).fetchone()
        if row is None:
            raise NoPhotoForVoter()
        if not all(isinstance(value, bytes) for value in row):
            raise PhotoDamaged()
        try:
            ephemeral, nonce, ciphertext = row
            return _open_sealed(
                secret._private_key,
                ephemeral,
                nonce,
                ciphertext,
                PHOTO_INFO,
                photo_associated_data(self.election_id, voter_ref),
            )
        except InvalidTag:
            raise PhotoDamaged() from None

    # -- DPTb voters' details ----------------------------------------------

    def store_dptb_record(self, voter_ref: str, details: bytes) -> str:
        """Seal the personal details of a voter added to the DPTb; return the record's digest.

        ``details`` are the bytes the core chose (canonical JSON of NIK,
        name, birth date, address).  Needs no secret, like a photo.  A record
        already stored under ``voter_ref`` is replaced: the event log is the
        truth, and its ``voter.dptb_added`` names the digest of the record
        that counts (a record left by a power cut before its event is simply
        written again).
        """
        _check_name(voter_ref, MAX_REF_CHARS, BadVoterRef)
        if not isinstance(details, (bytes, bytearray)):
            raise TypeError("details must be bytes")
        if len(details) > MAX_DPTB_RECORD_BYTES:
            raise DptbRecordTooLarge()
        sealed = _seal(self._vault_public, bytes(details), DPTB_INFO, dptb_associated_data(self.election_id, voter_ref))
        with self._change() as db:
            self._refuse_if_purged(db)
            db.execute(
                "INSERT OR REPLACE INTO dptb_records (voter_ref, ephemeral_public_key, nonce, ciphertext)"
                " VALUES (?, ?, ?, ?)",
                (voter_ref, *sealed),
            )
        return dptb_record_digest(*sealed)

    def read_dptb_record(self, voter_ref: str, secret: VaultSecret, digest: str | None = None) -> bytes:
        """Open a DPTb voter's details with the secret from :meth:`unlock` (or the committee's).

        With ``digest`` (from the event log) the stored record must be the
        one the log names.  Raises :class:`NoDptbRecord`,
        :class:`DptbRecordDamaged`, :class:`WrongVaultSecret` or :class:`VaultPurged`.
        """
        _check_name(voter_ref, MAX_REF_CHARS, BadVoterRef)
        self._refuse_if_purged(self._db)
        self._check_secret(secret)
        row = self._db.execute(
            "SELECT ephemeral_public_key, nonce, ciphertext FROM dptb_records WHERE voter_ref = ?", (voter_ref,)
        ).fetchone()
        if row is None:
            raise NoDptbRecord()
        if not all(isinstance(value, bytes) for value in row):
            raise DptbRecordDamaged()
        if digest is not None and dptb_record_digest(*row) != digest:
            raise DptbRecordDamaged()
        ephemeral, nonce, ciphertext = row
        try:
            return _open_sealed(
                secret._private_key,
                ephemeral,
                nonce,
                ciphertext,
                DPTB_INFO,
                dptb_associated_data(self.election_id, voter_ref),
            )
        except InvalidTag:
            raise DptbRecordDamaged() from None

    def photo_count(self) -> int:
        """How many photos are stored (0 after purge)."""
        count: int = self._db.execute("SELECT count(*) FROM photos").fetchone()[0]
        return count

    def is_purged(self) -> bool:
        """Has this vault been purged?"""
        return bool(self._db.execute("SELECT purged FROM vault").fetchone()[0])

    # -- the end of the dispute period ---------------------------------------

    def purge(self) -> int:
        """Destroy every photo, every DPTb voter's details and every wrapped copy of the vault key, for good.

        Returns how many photos were destroyed.  Deleting the rows is one
        transaction; afterwards the freed pages (already zeroed by
        ``secure_delete``) are checkpointed into the file, the file is
        rebuilt by VACUUM and the WAL is truncated to zero bytes.  Running it
        again (e.g. after a power cut during the clean-up) finishes the
        clean-up and returns 0.
        """
        with self._change() as db:
            count: int = db.execute("SELECT count(*) FROM photos").fetchone()[0]
            db.execute("DELETE FROM photos")
            db.execute("DELETE FROM dptb_records")
            db.execute("DELETE FROM companion_wraps")
            db.execute("DELETE FROM committee_seal")
            db.execute("UPDATE vault SET purged = 1")
        self._checkpoint()  # zeroed pages overwrite the old ones inside the main file
        self._db.execute("VACUUM")
        self._checkpoint()
        return count

    # -- inside ----------------------------------------------------------------

    @contextlib.contextmanager
    def _change(self) -> Iterator[sqlite3.Connection]:
        """One transaction per change: all of it is durable, or none of it."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _checkpoint(self) -> None:
        busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise PurgeIncomplete()

    def _refuse_if_purged(self, db: sqlite3.Connection) -> None:
        if db.execute("SELECT purged FROM vault").fetchone()[0]:
            raise VaultPurged()

    def _check_secret(self, secret: VaultSecret) -> None:
        if not isinstance(secret, VaultSecret):
            raise TypeError("secret must be a VaultSecret from create(), unlock() or open_with_committee_key()")
        if secret.vault_public_key != self._vault_public_bytes or secret.election_id != self.election_id:
            raise WrongVaultSecret()

    def _secret_from(self, private_bytes: bytes) -> VaultSecret:
        """The unwrapped key must match the public key in the file, or the file is damaged."""
        try:
            private = X25519PrivateKey.from_private_bytes(private_bytes)
        except ValueError:
            raise VaultDamaged() from None
        secret = VaultSecret(self.election_id, private)
        if secret.vault_public_key != self._vault_public_bytes:
            raise VaultDamaged()
        return secret

    def _unseal_for_committee(self, committee_private_key: X25519PrivateKey) -> VaultSecret:
        if not isinstance(committee_private_key, X25519PrivateKey):
            raise TypeError("committee_private_key must be an X25519PrivateKey")
        if _raw_public(committee_private_key.public_key()) != self._committee_public_bytes:
            raise WrongCommitteeKey()
        self._refuse_if_purged(self._db)
        row = self._db.execute("SELECT ephemeral_public_key, nonce, ciphertext FROM committee_seal").fetchone()
        if row is None or not all(isinstance(value, bytes) for value in row):
            raise VaultDamaged()
        try:
            ephemeral, nonce, ciphertext = row
            private_bytes = _open_sealed(
                committee_private_key,
                ephemeral,
                nonce,
                ciphertext,
                SEAL_INFO,
                seal_associated_data(self.election_id, self._vault_public_bytes),
            )
        except InvalidTag:
            raise VaultDamaged() from None
        return self._secret_from(private_bytes)


def open_with_committee_key(
    path: str | os.PathLike[str], committee_private_key: X25519PrivateKey
) -> tuple[PhotoVault, VaultSecret]:
    """Open a vault (a copy of it, on the committee's laptop) with the committee's private key.

    Raises :class:`WrongCommitteeKey`, :class:`VaultPurged` or :class:`VaultDamaged`.
    """
    vault = PhotoVault.open(path)
    try:
        return vault, vault._unseal_for_committee(committee_private_key)
    except BaseException:
        vault.close()
        raise
