"""scrypt in a child process gives the very key scrypt gives here, and refuses what scrypt refuses.

The ledger service runs each PIN's scrypt in a short-lived child (booth.ledger.kdf, issue #15's memory
target): a companion's PIN set before the switch must still sign in after it, and the photo
vault's key must be the same key the vault was wrapped with (RFC 7914 scrypt, as the
``cryptography`` package derived it before).
"""

from __future__ import annotations

import subprocess

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from hypothesis import given, settings
from hypothesis import strategies as st

from booth import companions
from booth.ledger import kdf, vault


@pytest.fixture
def in_child():
    kdf.isolate_scrypt()
    yield
    kdf.isolate_scrypt(False)


def test_a_pin_set_in_process_signs_in_through_the_child_and_a_wrong_one_does_not(in_child):
    kdf.isolate_scrypt(False)
    stored = companions.hash_pin("731953")
    kdf.isolate_scrypt()
    assert companions.pin_matches("731953", stored)
    assert not companions.pin_matches("731954", stored)


def test_the_vaults_key_from_the_child_is_the_key_cryptography_derived(in_child):
    salt = b"\x07" * 16
    expected = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(b"731953")
    assert vault._pin_key("731953", salt, vault.SCRYPT_N, vault.SCRYPT_R, vault.SCRYPT_P) == expected


@settings(max_examples=15, deadline=None)
@given(password=st.binary(max_size=40), salt=st.binary(max_size=40), log_n=st.integers(1, 8), r=st.integers(1, 8))
def test_child_and_here_agree_on_any_input(password, salt, log_n, r):
    here = kdf.scrypt(password, salt=salt, n=2**log_n, r=r, p=1, dklen=32)
    kdf.isolate_scrypt()
    try:
        assert kdf.scrypt(password, salt=salt, n=2**log_n, r=r, p=1, dklen=32) == here
    finally:
        kdf.isolate_scrypt(False)


def test_a_tampered_hash_asking_for_gigabytes_is_refused_not_allocated(in_child):
    stored = companions.hash_pin("731953", n=2**4).replace('"n": 16', '"n": 1073741824')
    assert not companions.pin_matches("731953", stored)
    with pytest.raises(ValueError):
        kdf.scrypt(b"731953", salt=b"0" * 16, n=3, r=8, p=1, dklen=32)


def test_a_child_that_cannot_run_still_signs_the_companion_in(in_child, monkeypatch, caplog):
    stored = companions.hash_pin("731953", n=2**4)

    def broken(*_args, **_kwargs):
        raise OSError("no more processes")

    monkeypatch.setattr(subprocess, "run", broken)
    assert companions.pin_matches("731953", stored)
    assert "scrypt child failed" in caplog.text
