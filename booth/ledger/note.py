"""Signed notes and checkpoints: C2SP signed-note (Ed25519) and tlog-checkpoint.

A *signed note* is UTF-8 text ending in a newline, a blank line, then one or
more signature lines (https://c2sp.org/signed-note)::

    <text, ending in "\\n">
    "\\n"
    "— " <key name> " " base64(key ID (4 bytes) || Ed25519 signature (64 bytes)) "\\n"

* The signed message is exactly the UTF-8 bytes of the text, final newline
  included, separating blank line excluded.  The dash is U+2014 EM DASH.
* A key name is non-empty and has no Unicode white space, no ``+`` and no
  control characters.
* Key ID = ``SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]``; 0x01
  is the signature type for Ed25519.
* A verifier key (``device.pub``) is ``<name>+<key ID, 8 lower-case hex
  digits>+<base64(0x01 || 32-byte public key)>``.
* The whole note is valid UTF-8 with no control character but ``\\n`` (so no
  bare ``\\r``), has at most 100 signature lines, and base64 is the standard
  alphabet with padding, in its one canonical spelling.

A *checkpoint* (https://c2sp.org/tlog-checkpoint) is a note whose text is::

    <origin>\\n<tree size, decimal, no leading zeros>\\n<base64 of the 32-byte root>\\n[<extension line>\\n]...

The whole format, with test vectors, is in
docs/ledger-format-merkle-checkpoints.md.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> key = Ed25519PrivateKey.generate()
>>> signed = sign_note("hello\\n", "booth/demo", key)
>>> open_note(signed, {"booth/demo": key.public_key()})
('hello\\n', ['booth/demo'])
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_TYPE_ED25519 = 0x01
KEY_ID_SIZE = 4
MAX_SIGNATURES = 100  # the spec asks verifiers for a limit of at least 16; Go uses 100
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
CHECKPOINT_MAX_SIZE = 2**63 - 1  # what Go's tlog (int64) and every other client can hold

# Go's unicode.IsSpace: the Unicode White_Space property.
_UNICODE_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SPACE_RE = re.compile("[" + re.escape("".join(sorted(_UNICODE_SPACES))) + "]")
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")  # every C0 control but "\n"
_KEY_ID_HEX = re.compile("[0-9a-f]{8}")
_TREE_SIZE = re.compile("0|[1-9][0-9]*")


class NoteError(ValueError):
    """A note, checkpoint or key cannot be used; the message says why."""


class MalformedNote(NoteError):
    """The note breaks the signed-note syntax (the text itself is not to be trusted)."""


class BadKey(NoteError):
    """A key name or verifier key string is not well formed, or its key ID does not match."""


class UnverifiedNote(NoteError):
    """The note is well formed but carries no signature from any known key.

    ``text`` is the (untrusted) note text and ``signers`` the names on the
    signature lines, so a person can be told whose signature it does carry.
    """

    def __init__(self, text: str, signers: list[str]):
        self.text = text
        self.signers = signers
        found = ", ".join(signers) or "none"
        super().__init__(f"note has no signature from a known key (signature lines from: {found})")


class InvalidSignature(NoteError):
    """A signature line names a known key, but the signature does not verify."""

    def __init__(self, name: str, key_id: bytes):
        self.name = name
        self.key_id = key_id
        super().__init__(f"signature by known key {name}+{key_id.hex()} does not verify: the note was changed")


class MalformedCheckpoint(NoteError):
    """The note text is not a well-formed tlog checkpoint."""


class WrongOrigin(NoteError):
    """A correctly signed checkpoint is for a different log than expected."""


# --- keys -------------------------------------------------------------------


def is_valid_name(name: object) -> bool:
    """Whether ``name`` may be a key name: non-empty, no white space, no ``+``, no controls."""
    if not isinstance(name, str) or not name or "+" in name:
        return False
    if _SPACE_RE.search(name) or _CONTROL.search(name):
        return False
    return _is_unicode(name)


def _is_unicode(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _check_name(name: object) -> str:
    if not is_valid_name(name):
        raise BadKey(f"invalid key name {name!r}: must be non-empty, without spaces, '+' or control characters")
    return name  # type: ignore[return-value]


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    if not isinstance(public_key, Ed25519PublicKey):
        raise TypeError(f"expected an Ed25519PublicKey, got {type(public_key).__name__}")
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``.

    Raises BadKey if ``name`` is not a valid key name.
    """
    _check_name(name)
    return _key_id(name, _raw_public(public_key))


@functools.lru_cache(maxsize=64)
def _key_id(name: str, raw_public_key: bytes) -> bytes:
    # cached: a verifier opens one checkpoint per event, all with the same key
    material = name.encode("utf-8") + b"\n" + bytes([SIGNATURE_TYPE_ED25519]) + raw_public_key
    return hashlib.sha256(material).digest()[:KEY_ID_SIZE]


#: The last (key object, name, key ID) that open_note derived: a verifier opens one checkpoint per
#: event, all with the same key object, and deriving the ID (name checks, raw bytes, a cache look-up)
#: was a tenth of a bundle's per-entry cost. Holding the object keeps its identity from being reused.
_last_known: tuple[object, str, bytes | None] = (None, "", None)


def _known_key_id(name: str, public_key: Ed25519PublicKey) -> bytes | None:
    """The key ID of a known key, or None when ``name`` cannot be a key name (never matches)."""
    global _last_known
    last_key, last_name, last_id = _last_known
    if last_key is public_key and last_name == name:
        return last_id
    kid = key_id(name, public_key) if is_valid_name(name) else None
    _last_known = (public_key, name, kid)
    return kid


#: The last (key object, its libsodium verify key): see verify_signature.
_last_verifier: tuple[object, nacl.signing.VerifyKey | None] = (None, None)


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature of ``message``.

    Keys stay cryptography objects (the same 32 bytes everywhere); the check itself runs in
    libsodium through PyNaCl, measured at 1.9x cryptography's rate on the same machine and run
    (benchmarks/verify_speed.py --bindings-only). libsodium is the stricter of the two (it also
    refuses small-order keys and points), so nothing cryptography refuses is accepted here.
    """
    global _last_verifier
    if len(signature) != 64:
        return False
    last_key, verifier = _last_verifier
    if last_key is not public_key or verifier is None:
        verifier = nacl.signing.VerifyKey(_raw_public(public_key))
        _last_verifier = (public_key, verifier)
    try:
        verifier.verify(message, signature)
    except nacl.exceptions.BadSignatureError:
        return False
    return True


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The verifier key string ``<name>+<8 hex key ID>+<base64(0x01 || public key)>``.

    This is what ``device.pub`` holds and what a verifier is configured with.
    """
    encoded = base64.b64encode(bytes([SIGNATURE_TYPE_ED25519]) + _raw_public(public_key)).decode("ascii")
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(s: str) -> tuple[str, Ed25519PublicKey]:
    """Parse a verifier key string into ``(name, public key)``.

    Raises BadKey if it is malformed, not Ed25519, or its key ID does not
    match the name and key.
    """
    if not isinstance(s, str):
        raise BadKey("verifier key must be text")
    name, sep1, rest = s.partition("+")
    hex_id, sep2, encoded = rest.partition("+")
    if not (sep1 and sep2):
        raise BadKey("verifier key must look like <name>+<key id>+<key>")
    _check_name(name)
    if not _KEY_ID_HEX.fullmatch(hex_id):
        raise BadKey(f"verifier key ID {hex_id!r} is not 8 lower-case hex digits")
    raw = _b64decode(encoded)
    if raw is None:
        raise BadKey("verifier key is not canonical base64")
    if len(raw) != 33 or raw[0] != SIGNATURE_TYPE_ED25519:
        raise BadKey("verifier key is not an Ed25519 key (type 0x01 followed by 32 bytes)")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    except ValueError as exc:
        raise BadKey(f"verifier key is not a usable Ed25519 key: {exc}") from None
    if key_id(name, public_key).hex() != hex_id:
        raise BadKey(f"verifier key ID {hex_id} does not match the name and key")
    return name, public_key


def _b64decode(s: str) -> bytes | None:
    """Standard padded base64 in its canonical spelling, else None."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(raw).decode("ascii") != s:
        return None  # non-zero padding bits: another spelling of the same bytes
    return raw


# --- notes ------------------------------------------------------------------


def _check_note_characters(s: str, error: type[NoteError], what: str) -> None:
    if not _is_unicode(s):
        raise error(f"{what} is not valid UTF-8 text")
    bad = _CONTROL.search(s)
    if bad:
        char = "a bare carriage return" if bad.group() == "\r" else f"control character U+{ord(bad.group()):04X}"
        raise error(f"{what} contains {char} at offset {bad.start()}")


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign ``text`` as key ``name``: ``text + "\\n" + "— name base64(key ID || sig)\\n"``.

    Raises MalformedNote if ``text`` is empty, does not end in a newline, or
    has characters a note may not carry; BadKey if ``name`` is invalid.
    """
    if not isinstance(text, str) or not text.endswith("\n"):
        raise MalformedNote("note text must be non-empty and end with a newline")
    _check_note_characters(text, MalformedNote, "note text")
    _check_name(name)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise TypeError(f"expected an Ed25519PrivateKey, got {type(private_key).__name__}")
    signature = private_key.sign(text.encode("utf-8"))
    encoded = base64.b64encode(key_id(name, private_key.public_key()) + signature).decode("ascii")
    return f"{text}\n{SIGNATURE_PREFIX}{name} {encoded}\n"


def open_note(note: str | bytes, known: Mapping[str, Ed25519PublicKey]) -> tuple[str, list[str]]:
    """Check a signed note against the ``known`` keys; return ``(text, names that verified)``.

    The rules, in order:

    1. The note is UTF-8 with no control character but newline, else MalformedNote.
    2. The last blank line splits text from signature lines; there must be
       at least one and at most 100 lines, each ``— <name> <base64>`` with a
       valid name and at least 5 decoded bytes, else MalformedNote.
    3. A line whose name is in ``known`` *and* whose key ID matches that key
       must verify, else InvalidSignature (the whole note is rejected).
    4. Lines from unknown keys (unknown name, or known name with another
       key ID) are ignored, as the spec requires.
    5. If no known key signed, UnverifiedNote.

    Repeated signatures by one key are accepted once.
    """
    if isinstance(note, (bytes, bytearray)):
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNote(f"note is not valid UTF-8 (byte {exc.start})") from None
    if not isinstance(note, str):
        raise MalformedNote("note must be text")
    _check_note_characters(note, MalformedNote, "note")

    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise MalformedNote("note must end with signature lines, each ending in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"note has {len(lines)} signature lines; at most {MAX_SIGNATURES} are allowed")

    key_ids = {name: kid for name, key in known.items() if (kid := _known_key_id(name, key)) is not None}
    verified: list[str] = []
    unverified: list[str] = []
    message = text.encode("utf-8")
    for number, line in enumerate(lines, start=1):
        if not line.startswith(SIGNATURE_PREFIX):
            raise MalformedNote(f"signature line {number} does not start with an em dash and a space")
        name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not space or not is_valid_name(name):
            raise MalformedNote(f"signature line {number} has no valid key name")
        raw = _b64decode(encoded)
        if raw is None or len(raw) <= KEY_ID_SIZE:
            raise MalformedNote(f"signature line {number} does not hold a base64 key ID and signature")
        kid, signature = raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:]
        if key_ids.get(name) != kid:
            unverified.append(f"{name}+{kid.hex()}")
            continue
        if name in verified:
            continue
        if not verify_signature(known[name], signature, message):
            raise InvalidSignature(name, kid)
        verified.append(name)
    if not verified:
        raise UnverifiedNote(text, unverified)
    return text, verified


# --- checkpoints ------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of a log's size and Merkle root (c2sp.org/tlog-checkpoint).

    ``to_text()`` is the note text::

        <origin>\\n<size in decimal>\\n<base64 root_hash>\\n<extension>\\n...

    Fields are validated on construction (MalformedCheckpoint): a non-empty
    single-line origin, ``0 <= size <= 2**63 - 1``, a 32-byte root, and
    non-empty single-line extensions.

    >>> cp = Checkpoint("booth/demo", 0, bytes.fromhex(
    ...     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
    >>> print(cp.to_text(), end="")
    booth/demo
    0
    47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
    >>> Checkpoint.parse(cp.to_text()) == cp
    True
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin:
            raise MalformedCheckpoint("checkpoint origin must be non-empty text")
        _check_line(self.origin, "checkpoint origin")
        if not isinstance(self.size, int) or isinstance(self.size, bool):
            raise MalformedCheckpoint("checkpoint size must be an integer")
        if not 0 <= self.size <= CHECKPOINT_MAX_SIZE:
            raise MalformedCheckpoint(f"checkpoint size {self.size} is outside 0..2**63-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != 32:
            raise MalformedCheckpoint("checkpoint root hash must be 32 bytes")
        if isinstance(self.extensions, str) or not isinstance(self.extensions, (tuple, list)):
            raise MalformedCheckpoint("checkpoint extensions must be a tuple of lines")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for ext in self.extensions:
            if not isinstance(ext, str) or not ext:
                raise MalformedCheckpoint("checkpoint extension lines must be non-empty text")
            _check_line(ext, "checkpoint extension line")

    def to_text(self) -> str:
        """The note text: origin, size, base64 root, extensions, each line ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii"), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text strictly; MalformedCheckpoint says what is wrong.

        Rejects: text not ending in a newline, fewer than three lines, an
        empty origin, a size with a sign, spaces, leading zeros or non-ASCII
        digits, a root that is not canonical base64 of 32 bytes, empty
        extension lines, and control characters anywhere.
        """
        if not isinstance(text, str) or not text.endswith("\n"):
            raise MalformedCheckpoint("checkpoint text must end with a newline")
        _check_note_characters(text, MalformedCheckpoint, "checkpoint text")
        return cls._parse_checked(text)

    @classmethod
    def _parse_checked(cls, text: str) -> Checkpoint:
        """``parse`` for text whose characters are already checked (a part of an opened note)."""
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedCheckpoint("checkpoint needs three lines: origin, tree size, root hash")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise MalformedCheckpoint("checkpoint origin line is empty")
        if not _TREE_SIZE.fullmatch(size_text) or len(size_text) > 19:
            raise MalformedCheckpoint(f"checkpoint tree size {size_text[:40]!r} is not a decimal without leading zeros")
        root_hash = _b64decode(root_text)
        if root_hash is None or len(root_hash) != 32:
            raise MalformedCheckpoint("checkpoint root hash is not canonical base64 of 32 bytes")
        return cls(origin, int(size_text), root_hash, tuple(extensions))


def _check_line(s: str, what: str) -> None:
    if "\n" in s:
        raise MalformedCheckpoint(f"{what} must be a single line")
    _check_note_characters(s, MalformedCheckpoint, what)


def sign_checkpoint(cp: Checkpoint, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note of checkpoint ``cp``, signed by key ``name``."""
    return sign_note(cp.to_text(), name, private_key)


def open_checkpoint(
    note_text: str | bytes, name: str, public_key: Ed25519PublicKey, *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint from key ``name`` and parse it.

    The checkpoint's origin must equal ``origin``, which defaults to the key
    name (booth names a device's key and its log the same, see
    ``keys.origin_for``).  Raises a NoteError subclass: MalformedNote,
    UnverifiedNote, InvalidSignature, MalformedCheckpoint or WrongOrigin.
    """
    text, _ = open_note(note_text, {name: public_key})
    # open_note checked every character of the whole note, and the text is a part of it
    if not text.endswith("\n"):
        raise MalformedCheckpoint("checkpoint text must end with a newline")
    cp = Checkpoint._parse_checked(text)
    expected = name if origin is None else origin
    if cp.origin != expected:
        raise WrongOrigin(f"checkpoint is for log {cp.origin!r}, expected {expected!r}")
    return cp
