"""A signature worker of ``booth verify``: Ed25519 checks in a light process of their own.

``booth.ledger.verify`` starts one per usable core (``python -m booth.ledger.sigworker``)
when a ledger is large enough, walks the log itself and sends the workers every
signature with the message it signs.  A worker imports nothing but PyNaCl (about
13 MB of memory, against 31 MB for a process holding the verifier with
``cryptography``), knows nothing of events, ballots or checkpoints, and answers
only which signatures fail.  It runs the same libsodium call as
``note.verify_signature`` (``crypto_sign_open`` of signature || message).

The protocol, on the worker's stdin and stdout (integers unsigned big-endian):

* in: the 32-byte public key, then batches: a 4-byte length N and N bytes of
  items, each item a 4-byte length L and L bytes: the 64-byte signature then the
  message.  A batch of length 0 ends the work;
* out: for each batch, in order, a 4-byte count C and C 4-byte indices (within
  the batch) of the items whose signature does not verify.
"""

from __future__ import annotations

import struct
import sys
from typing import BinaryIO

import nacl.bindings
import nacl.exceptions

_LENGTH = struct.Struct(">I")
SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


def item(signature: bytes, message: bytes) -> bytes:
    """One item of a batch: its length, the signature, the message."""
    return _LENGTH.pack(len(signature) + len(message)) + signature + message


def failures(batch: bytes, public_key: bytes) -> list[int]:
    """The indices of the batch's items whose signature is not ``public_key``'s over their message."""
    bad: list[int] = []
    verify = nacl.bindings.crypto_sign_open
    forged = nacl.exceptions.BadSignatureError
    unpack = _LENGTH.unpack_from
    index = pos = 0
    end = len(batch)
    while pos < end:
        (length,) = unpack(batch, pos)
        pos += 4
        signed = batch[pos : pos + length]
        pos += length
        if length < SIGNATURE_BYTES or len(signed) != length:
            bad.append(index)
        else:
            try:
                verify(signed, public_key)
            except forged:
                bad.append(index)
        index += 1
    return bad


def answer(bad: list[int]) -> bytes:
    """The reply to one batch."""
    return struct.pack(f">I{len(bad)}I", len(bad), *bad)


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError("the verifier went away")
    return data


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    try:
        public_key = _read_exactly(stdin, PUBLIC_KEY_BYTES)
        while True:
            (n,) = _LENGTH.unpack(_read_exactly(stdin, 4))
            if n == 0:
                return 0
            stdout.write(answer(failures(_read_exactly(stdin, n), public_key)))
            stdout.flush()
    except (EOFError, BrokenPipeError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
