"""The photo vault, as the election day uses it.

Voter photos replace the finger ink: stored encrypted, linked to the DPT
record, seen on the device only by a signed-in companion, opened by the
committee after the day, and destroyed for good by purge.
"""

from __future__ import annotations

import pickle
import secrets
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth.ledger import vault as vault_module
from booth.ledger.vault import (
    BadCompanionId,
    BadElectionId,
    BadVoterRef,
    InvalidPin,
    NoPhotoForVoter,
    NotAJpeg,
    NoWrapForCompanion,
    PhotoAlreadyStored,
    PhotoDamaged,
    PhotoTooLarge,
    PhotoVault,
    PurgeIncomplete,
    VaultAlreadyExists,
    VaultError,
    VaultNotFound,
    VaultPurged,
    WrongCommitteeKey,
    WrongPin,
    WrongVaultSecret,
    open_with_committee_key,
)

ELECTION = "PILKAKON-2025-PRINGSEWU-TPS01"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "photo-vault.md"


def photo_of(voter_ref: str, size: int = 20_000) -> bytes:
    """A JPEG-looking photo with a marker no encryption would ever produce."""
    marker = f"FACE-OF-{voter_ref}-".encode() * 4
    return b"\xff\xd8\xff\xe0" + marker + secrets.token_bytes(size) + marker + b"\xff\xd9"


def marker_of(voter_ref: str) -> bytes:
    return f"FACE-OF-{voter_ref}-".encode() * 4


def files_containing(state_dir: Path, needle: bytes) -> list[str]:
    """Every file in the state directory (vault, WAL, shm, anything) that holds these bytes."""
    return [p.name for p in state_dir.rglob("*") if p.is_file() and needle in p.read_bytes()]


def raw(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """What someone with the SD card and the sqlite3 tool would see (or change)."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


@pytest.fixture(scope="module")
def committee_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def booth(state_dir: Path, committee_key):
    """A vault at activation: Sari and Budi have their PINs."""
    state_dir.mkdir()
    vault, secret = PhotoVault.create(state_dir / "vault.db", ELECTION, committee_key.public_key())
    vault.wrap_for_companion("sari", "482913", secret)
    vault.wrap_for_companion("budi", "170845", secret)
    yield vault
    vault.close()


# --------------------------------------------------------------------------
# The double-vote check


def test_a_companion_with_the_right_pin_sees_the_photo_of_a_voter_who_comes_back(booth):
    photo = photo_of("DPT-0042")
    booth.store_photo("DPT-0042", photo)

    # Later the same person comes back; the companion signs in to check.
    assert booth.has_photo("DPT-0042")
    secret = booth.unlock("sari", "482913")
    assert booth.read_photo("DPT-0042", secret) == photo
    # Budi, with his own PIN, sees the same photo.
    assert booth.read_photo("DPT-0042", booth.unlock("budi", "170845")) == photo


def test_a_wrong_pin_reveals_nothing(booth):
    booth.store_photo("DPT-0042", photo_of("DPT-0042"))

    with pytest.raises(WrongPin) as refused:
        booth.unlock("sari", "000000")
    assert refused.value.message == "Wrong PIN."
    with pytest.raises(WrongPin):
        booth.unlock("sari", "170845")  # Budi's PIN is not Sari's
    with pytest.raises(WrongPin):
        booth.unlock("sari", "")
    with pytest.raises(NoWrapForCompanion):
        booth.unlock("joko", "482913")  # never given access


def test_a_new_pin_replaces_the_old_one(booth):
    photo = photo_of("DPT-0042")
    booth.store_photo("DPT-0042", photo)
    secret = booth.unlock("sari", "482913")

    booth.wrap_for_companion("sari", "775511", secret)

    with pytest.raises(WrongPin):
        booth.unlock("sari", "482913")
    assert booth.read_photo("DPT-0042", booth.unlock("sari", "775511")) == photo
    assert raw(booth.path, "SELECT count(*) FROM companion_wraps WHERE companion_id = 'sari'") == [(1,)]


def test_a_voter_without_a_photo_is_reported_as_such(booth):
    secret = booth.unlock("sari", "482913")
    assert not booth.has_photo("DPTB-0003")
    with pytest.raises(NoPhotoForVoter):
        booth.read_photo("DPTB-0003", secret)


def test_a_second_photo_of_the_same_voter_is_refused_and_the_first_is_kept(booth):
    first = photo_of("DPT-0042")
    booth.store_photo("DPT-0042", first)

    with pytest.raises(PhotoAlreadyStored):
        booth.store_photo("DPT-0042", photo_of("DPT-0042"))

    assert booth.photo_count() == 1
    assert booth.read_photo("DPT-0042", booth.unlock("sari", "482913")) == first


# --------------------------------------------------------------------------
# Restart and the committee


def test_after_a_restart_photos_are_stored_before_any_companion_signs_in(booth, state_dir):
    morning = photo_of("DPT-0001")
    booth.store_photo("DPT-0001", morning)
    booth.close()  # power cut / service restart at noon

    vault = PhotoVault.open(state_dir / "vault.db")
    try:
        afternoon = photo_of("DPTB-0003")
        vault.store_photo("DPTB-0003", afternoon)  # no PIN typed yet
        assert vault.photo_count() == 2
        secret = vault.unlock("budi", "170845")
        assert vault.read_photo("DPT-0001", secret) == morning
        assert vault.read_photo("DPTB-0003", secret) == afternoon
        assert vault.election_id == ELECTION
    finally:
        vault.close()


def test_the_committee_opens_the_photos_with_its_private_key_after_the_day(booth, state_dir, committee_key, tmp_path):
    photos = {ref: photo_of(ref) for ref in ("DPT-0001", "DPT-0042", "DPTB-0003")}
    for ref, photo in photos.items():
        booth.store_photo(ref, photo)
    booth.close()

    laptop = tmp_path / "committee-laptop"
    laptop.mkdir()
    shutil.copy(state_dir / "vault.db", laptop / "vault.db")

    vault, secret = open_with_committee_key(laptop / "vault.db", committee_key)
    try:
        assert {ref: vault.read_photo(ref, secret) for ref in photos} == photos
    finally:
        vault.close()


def test_another_committee_key_cannot_open_the_photos(booth):
    booth.store_photo("DPT-0042", photo_of("DPT-0042"))
    with pytest.raises(WrongCommitteeKey):
        open_with_committee_key(booth.path, X25519PrivateKey.generate())


def test_the_key_of_another_election_cannot_read_this_elections_photos(booth, tmp_path, committee_key):
    booth.store_photo("DPT-0042", photo_of("DPT-0042"))
    other, other_secret = PhotoVault.create(tmp_path / "other.db", "PILKAKON-2025-TPS02", committee_key.public_key())
    other.close()

    with pytest.raises(WrongVaultSecret):
        booth.read_photo("DPT-0042", other_secret)
    with pytest.raises(WrongVaultSecret):
        booth.wrap_for_companion("joko", "123456", other_secret)


# --------------------------------------------------------------------------
# What the SD card holds


def test_photos_are_never_stored_in_clear(booth, state_dir):
    refs = [f"DPT-{i:04d}" for i in range(1, 6)]
    for ref in refs:
        booth.store_photo(ref, photo_of(ref))

    # The search does see what is on disk: the ciphertexts are there (file or WAL) ...
    for (ciphertext,) in raw(booth.path, "SELECT ciphertext FROM photos"):
        assert files_containing(state_dir, ciphertext[:64])
    # ... but no photo's distinctive bytes are, in any file of the state directory.
    for ref in refs:
        assert files_containing(state_dir, marker_of(ref)) == []
        assert files_containing(state_dir, b"\xff\xd8\xff\xe0" + marker_of(ref)[:16]) == []


def test_a_photo_moved_to_another_voters_record_fails_to_decrypt(booth):
    booth.store_photo("DPT-0001", photo_of("DPT-0001"))
    booth.store_photo("DPT-0042", photo_of("DPT-0042"))

    # Someone with the SD card copies voter 1's encrypted photo over voter 42's.
    raw(
        booth.path,
        "UPDATE photos SET (ephemeral_public_key, nonce, ciphertext) = "
        "(SELECT ephemeral_public_key, nonce, ciphertext FROM photos WHERE voter_ref = 'DPT-0001') "
        "WHERE voter_ref = 'DPT-0042'",
    )

    secret = booth.unlock("sari", "482913")
    with pytest.raises(PhotoDamaged):
        booth.read_photo("DPT-0042", secret)
    assert booth.read_photo("DPT-0001", secret).startswith(b"\xff\xd8\xff")


def test_a_tampered_photo_is_reported_damaged(booth):
    booth.store_photo("DPT-0042", photo_of("DPT-0042"))
    raw(
        booth.path,
        "UPDATE photos SET ciphertext = CAST(substr(ciphertext, 1, 100) || x'00' || substr(ciphertext, 102) AS BLOB)",
    )
    with pytest.raises(PhotoDamaged):
        booth.read_photo("DPT-0042", booth.unlock("sari", "482913"))


def test_a_pin_wrap_copied_to_another_companion_does_not_open(booth):
    # Copy Sari's wrap into Budi's row: Sari's PIN under Budi's name must fail.
    raw(
        booth.path,
        "UPDATE companion_wraps SET (salt, n, r, p, nonce, ciphertext) = "
        "(SELECT salt, n, r, p, nonce, ciphertext FROM companion_wraps WHERE companion_id = 'sari') "
        "WHERE companion_id = 'budi'",
    )
    with pytest.raises(WrongPin):
        booth.unlock("budi", "482913")


def test_the_vault_files_are_readable_only_by_the_ledger_service(booth, state_dir):
    booth.store_photo("DPT-0042", photo_of("DPT-0042"))
    for name in ("vault.db", "vault.db-wal"):
        assert (state_dir / name).stat().st_mode & 0o777 == 0o600, name


def test_the_vault_survives_power_cuts_wal_synchronous_full_secure_delete(booth):
    header = booth.path.read_bytes()[:20]
    assert header[18:20] == b"\x02\x02"  # WAL read and write versions
    assert booth._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert booth._db.execute("PRAGMA secure_delete").fetchone() == (1,)


def test_production_pin_wraps_use_scrypt_2_14_8_1_with_a_fresh_salt(booth):
    rows = raw(
        booth.path,
        "SELECT kdf, length(salt), n, r, p, length(nonce), length(ciphertext), salt "
        "FROM companion_wraps ORDER BY companion_id",
    )
    assert [row[:7] for row in rows] == [("scrypt", 16, 2**14, 8, 1, 12, 48)] * 2
    assert rows[0][7] != rows[1][7]


def test_the_vault_key_is_only_stored_wrapped(booth, committee_key):
    secret = booth.unlock("sari", "482913")
    private_bytes = vault_module._raw_private(secret._private_key)
    assert files_containing(booth.path.parent, private_bytes) == []
    assert repr(secret).count("hidden") == 1 and private_bytes.hex() not in repr(secret)
    with pytest.raises(TypeError):
        pickle.dumps(secret)


# --------------------------------------------------------------------------
# The end of the dispute period


def test_after_purge_no_pin_and_no_committee_key_can_read_any_photo(booth, state_dir, committee_key):
    refs = [f"DPT-{i:04d}" for i in range(1, 9)] + ["DPTB-0001"]
    for ref in refs:
        booth.store_photo(ref, photo_of(ref, size=60_000))  # big enough for overflow pages
    old_secret = booth.unlock("sari", "482913")
    # Everything secret that is on the card before purge:
    secret_bytes = [row[0] for row in raw(booth.path, "SELECT ciphertext FROM photos")]
    secret_bytes += [row[0] for row in raw(booth.path, "SELECT ciphertext FROM companion_wraps")]
    secret_bytes += [row[0] for row in raw(booth.path, "SELECT ciphertext FROM committee_seal")]
    assert all(files_containing(state_dir, chunk[:48]) for chunk in secret_bytes)

    assert booth.purge() == len(refs)

    with pytest.raises(VaultPurged):
        booth.unlock("sari", "482913")
    with pytest.raises(VaultPurged):
        booth.read_photo("DPT-0001", old_secret)  # even a key still in memory
    with pytest.raises(VaultPurged):
        open_with_committee_key(booth.path, committee_key)
    assert booth.photo_count() == 0 and not booth.has_photo("DPT-0001")
    # The bytes are gone from the vault file, the WAL (truncated) and the shm.
    assert (state_dir / "vault.db-wal").stat().st_size == 0
    for chunk in secret_bytes:
        assert files_containing(state_dir, chunk[:16]) == []
    for ref in refs:
        assert files_containing(state_dir, marker_of(ref)) == []


def test_purge_is_irreversible_and_can_be_finished_after_a_power_cut(booth, state_dir):
    booth.store_photo("DPT-0042", photo_of("DPT-0042"))
    secret = booth.unlock("sari", "482913")
    assert booth.purge() == 1

    with pytest.raises(VaultPurged):
        booth.store_photo("DPT-0043", photo_of("DPT-0043"))
    with pytest.raises(VaultPurged):
        booth.wrap_for_companion("joko", "123456", secret)
    assert booth.purge() == 0  # running it again only finishes the clean-up
    booth.close()

    reopened = PhotoVault.open(state_dir / "vault.db")
    try:
        assert reopened.is_purged() and reopened.photo_count() == 0
        with pytest.raises(VaultPurged):
            reopened.unlock("budi", "170845")
    finally:
        reopened.close()


def test_a_purge_blocked_by_a_reader_destroys_the_keys_and_finishes_when_run_again(booth, state_dir):
    booth.store_photo("DPT-0042", photo_of("DPT-0042"))
    (ciphertext,) = raw(booth.path, "SELECT ciphertext FROM photos")[0]
    reader = sqlite3.connect(booth.path, isolation_level=None)  # e.g. a backup copying the file
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM photos").fetchone()
    booth._db.execute("PRAGMA busy_timeout = 200")  # the production wait (10 s) is too long for a test

    with pytest.raises(PurgeIncomplete):
        booth.purge()
    with pytest.raises(VaultPurged):
        booth.unlock("sari", "482913")  # the keys are already gone

    reader.close()
    assert booth.purge() == 0
    assert files_containing(state_dir, ciphertext[:16]) == []


# --------------------------------------------------------------------------
# Bad input never corrupts


@pytest.mark.parametrize(
    ("voter_ref", "jpeg", "error"),
    [
        ("DPT-0042", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, NotAJpeg),
        ("DPT-0042", b"", NotAJpeg),
        ("DPT-0042", "\xff\xd8\xff not bytes", NotAJpeg),
        ("DPT-0042", b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024), PhotoTooLarge),
        ("", b"\xff\xd8\xff\xe0photo", BadVoterRef),
        (" DPT-0042", b"\xff\xd8\xff\xe0photo", BadVoterRef),
        ("DPT-0042\n", b"\xff\xd8\xff\xe0photo", BadVoterRef),
        ("D" * 65, b"\xff\xd8\xff\xe0photo", BadVoterRef),
        (42, b"\xff\xd8\xff\xe0photo", BadVoterRef),
    ],
    ids=["png", "empty", "not-bytes", "too-large", "empty-ref", "space", "newline", "too-long", "not-text"],
)
def test_bad_input_raises_a_specific_error_and_stores_nothing(booth, voter_ref, jpeg, error):
    changes_before = booth._db.total_changes
    with pytest.raises(error) as refused:
        booth.store_photo(voter_ref, jpeg)
    assert isinstance(refused.value, VaultError) and refused.value.message
    assert booth.photo_count() == 0
    assert booth._db.total_changes == changes_before


def test_a_photo_of_exactly_the_size_limit_is_accepted(booth):
    photo = b"\xff\xd8\xff" + b"\x00" * (vault_module.MAX_PHOTO_BYTES - 3)
    booth.store_photo("DPT-0042", photo)
    assert booth.read_photo("DPT-0042", booth.unlock("sari", "482913")) == photo


def test_bad_companion_and_election_details_are_refused(booth, tmp_path, committee_key):
    secret = booth.unlock("sari", "482913")
    with pytest.raises(BadCompanionId):
        booth.wrap_for_companion("", "123456", secret)
    with pytest.raises(InvalidPin):
        booth.wrap_for_companion("joko", "", secret)
    with pytest.raises(BadElectionId):
        PhotoVault.create(tmp_path / "x.db", "", committee_key.public_key())
    assert not (tmp_path / "x.db").exists()


def test_error_messages_never_name_the_voter(booth):
    with pytest.raises(VaultError) as refused:
        booth.read_photo("DPT-0777", booth.unlock("sari", "482913"))
    assert "0777" not in str(refused.value)


def test_a_vault_is_never_created_over_another_and_a_missing_one_is_reported(booth, tmp_path, committee_key):
    with pytest.raises(VaultAlreadyExists):
        PhotoVault.create(booth.path, ELECTION, committee_key.public_key())
    assert booth.unlock("sari", "482913")  # the existing vault is untouched
    with pytest.raises(VaultNotFound):
        PhotoVault.open(tmp_path / "nowhere.db")
    (tmp_path / "notes.txt").write_text("not a vault")
    with pytest.raises(VaultNotFound):
        PhotoVault.open(tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "not a vault"


# --------------------------------------------------------------------------
# The construction, pinned by a test vector (also written in docs/photo-vault.md)

VECTOR = {
    "vault_private_key": bytes(range(1, 33)).hex(),
    "vault_public_key": "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c",
    "ephemeral_private_key": bytes(range(33, 65)).hex(),
    "ephemeral_public_key": "5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b",
    "shared_secret": "a84dc7c3c8f058b1b2dc4cd1e9b5dc0a7987f88b6a9564cde3391fc421159e77",
    "aes_key": "a5ae7633f2ed693a658a3ce149a89bb1390dc9b8921c074d4f31990ddd07469b",
    "nonce": bytes(range(100, 112)).hex(),
    "plaintext": (b"\xff\xd8\xff\xe0booth test photo\xff\xd9").hex(),
    "ciphertext": "af4eec2a76d00a129d49f046b4734b78ee779b54a9545c30a079e184e7beef901cce2655ec54",
    "pin_key": "53e59f1f9f56c2317d99f7a1e76fd1d43677ccb19c2c125e054f9a81281e0aec",
}


def test_the_photo_encryption_matches_the_written_test_vector():
    vault_key = X25519PrivateKey.from_private_bytes(bytes.fromhex(VECTOR["vault_private_key"]))
    ephemeral = X25519PrivateKey.from_private_bytes(bytes.fromhex(VECTOR["ephemeral_private_key"]))
    ad = vault_module.photo_associated_data("PILKADES-2025-TEST", "DPT-0042")
    assert ad == b'{"election_id":"PILKADES-2025-TEST","purpose":"booth photo v1","voter_ref":"DPT-0042"}'

    ephemeral_public, nonce, ciphertext = vault_module._seal(
        vault_key.public_key(),
        bytes.fromhex(VECTOR["plaintext"]),
        b"booth photo v1",
        ad,
        ephemeral=ephemeral,
        nonce=bytes.fromhex(VECTOR["nonce"]),
    )
    assert vault_module._raw_public(vault_key.public_key()).hex() == VECTOR["vault_public_key"]
    assert ephemeral_public.hex() == VECTOR["ephemeral_public_key"]
    assert ephemeral.exchange(vault_key.public_key()).hex() == VECTOR["shared_secret"]
    assert (
        vault_module._ecies_key(
            bytes.fromhex(VECTOR["shared_secret"]),
            ephemeral_public,
            bytes.fromhex(VECTOR["vault_public_key"]),
            b"booth photo v1",
        ).hex()
        == VECTOR["aes_key"]
    )
    assert ciphertext.hex() == VECTOR["ciphertext"]
    assert vault_module._open_sealed(
        vault_key, ephemeral_public, nonce, ciphertext, b"booth photo v1", ad
    ) == bytes.fromhex(VECTOR["plaintext"])
    assert vault_module._pin_key("123456", bytes(range(16)), 2**14, 8, 1).hex() == VECTOR["pin_key"]


def test_the_documentation_shows_the_same_test_vector():
    text = DOCS.read_text(encoding="utf-8")
    for name, value in VECTOR.items():
        assert value in text, f"{name} missing from {DOCS.name}"


# --------------------------------------------------------------------------
# Any voter_ref and any photo


voter_refs = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")), min_size=1, max_size=64
).filter(lambda s: s == s.strip() and s.isprintable())
jpegs = st.binary(max_size=4096).map(lambda body: b"\xff\xd8\xff" + body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(photos=st.dictionaries(voter_refs, jpegs, min_size=1, max_size=4))
def test_any_voter_ref_and_photo_round_trip_after_a_restart(committee_key, photos):
    with tempfile.TemporaryDirectory() as state:
        path = Path(state) / "vault.db"
        vault, secret = PhotoVault.create(path, ELECTION, committee_key.public_key())
        for ref, photo in photos.items():
            vault.store_photo(ref, photo)
        vault.close()
        with PhotoVault.open(path) as reopened:
            assert reopened.photo_count() == len(photos)
            assert {ref: reopened.read_photo(ref, secret) for ref in photos} == photos


@pytest.fixture(scope="module")
def shared_vault(tmp_path_factory, committee_key):
    vault, _ = PhotoVault.create(tmp_path_factory.mktemp("shared") / "vault.db", ELECTION, committee_key.public_key())
    yield vault
    vault.close()


@settings(max_examples=100, deadline=None)
@given(ref=st.text(max_size=80).filter(lambda s: not (1 <= len(s) <= 64 and s.isprintable() and s == s.strip())))
def test_any_malformed_voter_ref_is_refused(shared_vault, ref):
    with pytest.raises(BadVoterRef):
        shared_vault.store_photo(ref, b"\xff\xd8\xff\xe0photo")
    assert shared_vault.photo_count() == 0
