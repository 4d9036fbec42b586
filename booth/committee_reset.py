"""Unlocking a locked-out companion: a reset file signed with the committee's key.

After 15 wrong PINs a companion is locked until the committee unlocks them.
The committee, on its laptop, runs ``booth election reset-pin --companion K02
--key KEYDIR --election DIR`` and brings the file on a USB stick.  The file is
a C2SP signed note (committee key, name ``booth-committee``)::

    booth companion reset v1
    election <64-hex election ID>
    companion <companion ID>
    nonce <32 hex digits>

The device accepts it only for its own election, signed by the committee key
in the loaded package, and each nonce only once.
"""

from __future__ import annotations

import re
import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from booth.ledger import note

KEY_NAME = "booth-committee"
HEADER = "booth companion reset v1"
_LINE = re.compile(r"^(election [0-9a-f]{64})\n(companion [A-Za-z0-9_.-]{1,40})\n(nonce [0-9a-f]{32})\n$")


class ResetError(Exception):
    def __init__(self, message_en: str, message_id: str) -> None:
        super().__init__(message_en)
        self.message_id = message_id


def make_reset(private_key: Ed25519PrivateKey, election_id: str, companion_id: str) -> str:
    """The signed reset note for one companion of one election."""
    text = f"{HEADER}\nelection {election_id}\ncompanion {companion_id}\nnonce {secrets.token_hex(16)}\n"
    if not _LINE.match(text.split("\n", 1)[1]):
        raise ValueError("bad election or companion ID")
    return note.sign_note(text, KEY_NAME, private_key)


def open_reset(text: str, committee_key: Ed25519PublicKey, election_id: str, used_nonces: set[str]) -> tuple[str, str]:
    """Check a reset note; return (companion ID, nonce) or raise ResetError."""
    if not isinstance(text, str) or len(text) > 2000:
        raise ResetError("not a reset file", "bukan berkas buka-kunci")
    try:
        body, _ = note.open_note(text, {KEY_NAME: committee_key})
    except note.NoteError:
        raise ResetError(
            "not signed by this election's committee", "tidak ditandatangani panitia pemilihan ini"
        ) from None
    head, _, rest = body.partition("\n")
    m = _LINE.match(rest)
    if head != HEADER or not m:
        raise ResetError("not a reset file", "bukan berkas buka-kunci")
    if m.group(1).split()[1] != election_id:
        raise ResetError("for another election", "untuk pemilihan lain")
    nonce = m.group(3).split()[1]
    if nonce in used_nonces:
        raise ResetError("this reset file was already used", "berkas ini sudah pernah dipakai")
    return m.group(2).split()[1], nonce
