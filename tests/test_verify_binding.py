"""The verifier's signature check (PyNaCl under cryptography keys) and its per-key memory.

An auditor who checks two devices' bundles one after the other in one process must never have
the second device's signatures judged with the first device's key."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.ledger import note
from booth.ledger.note import Checkpoint


def test_a_signature_verifies_only_with_its_own_key_even_right_after_another_key():
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    message = b"booth/event\nseq 7\n"
    signed_by_first = first.sign(message)
    assert note.verify_signature(first.public_key(), signed_by_first, message)
    # the same bytes under the second device's key, checked straight after (the remembered key)
    assert not note.verify_signature(second.public_key(), signed_by_first, message)
    assert note.verify_signature(second.public_key(), second.sign(message), message)


def test_a_changed_message_a_flipped_bit_and_a_short_signature_are_refused():
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    message = b"ballot record"
    sig = key.sign(message)
    assert not note.verify_signature(public, sig, message + b"!")
    assert not note.verify_signature(public, bytes([sig[0] ^ 1]) + sig[1:], message)
    assert not note.verify_signature(public, sig[:63], message)
    assert not note.verify_signature(public, sig + b"\0", message)


def test_checkpoints_of_two_devices_opened_in_turn_each_need_their_own_key():
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    cp = Checkpoint("booth-a", 3, bytes(32))
    signed = note.sign_checkpoint(cp, "booth-a", a)
    assert note.open_checkpoint(signed, "booth-a", a.public_key()) == cp
    # same name, another key: the key ID differs, so no known key signed it
    with pytest.raises(note.UnverifiedNote):
        note.open_checkpoint(signed, "booth-a", b.public_key())
    assert note.open_checkpoint(signed, "booth-a", a.public_key()) == cp


def test_a_checkpoint_with_a_control_character_in_its_text_is_still_refused():
    key = Ed25519PrivateKey.generate()
    good = note.sign_checkpoint(Checkpoint("booth-a", 1, bytes(32)), "booth-a", key)
    bad = good.replace("booth-a\n1\n", "booth-a\n1\x07\n", 1)
    with pytest.raises(note.MalformedNote, match="control character"):
        note.open_checkpoint(bad, "booth-a", key.public_key())
