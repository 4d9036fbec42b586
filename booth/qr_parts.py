"""A long text printed as several numbered QR codes, and put back together by the scanner.

One dense QR code prints badly on thermal paper (small modules merge or
vanish); two sturdy ones scan.  Like the Boletim de Urna's ``i:n`` parts, each
part says which it is, how many there are, and which text it belongs to::

    B1 <i>/<n> <h>\\n<chunk>

* ``i`` is the part number, 1 to ``n``, in decimal without leading zeros;
* ``n`` is the number of parts (at least 1);
* ``h`` is the first 8 lowercase hex digits of SHA-256 of the whole text in
  UTF-8, so parts of two different texts never join;
* the chunks are consecutive slices of the text, cut between characters
  (never inside a UTF-8 sequence), so ``chunk 1 + ... + chunk n`` is the text.

A payload that does not start with ``B1 `` is a whole text by itself: that is
what every QR printed before parts existed holds, and what :func:`split`
returns when the text fits in one code.

>>> text = "booth results v1\\n" + "candidate 1 120\\n" * 3
>>> parts = split(text, 60)
>>> [p.split("\\n")[0] for p in parts]
['B1 1/2 9208b9dd', 'B1 2/2 9208b9dd']
>>> join(reversed(parts)) == text
True
>>> join(parts[:1])
Traceback (most recent call last):
...
booth.qr_parts.QRPartsError: Bagian QR 2 dari 2 belum dipindai (QR part 2 of 2 has not been scanned)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

PREFIX = "B1 "
#: The smallest ``max_bytes`` :func:`split` accepts: a header for up to
#: 9,999,999 parts (3 + 7 + 1 + 7 + 1 + 8 + 1 = 28 bytes) and one character
#: of at most 4 bytes.
MIN_MAX_BYTES = 32

_HEADER = re.compile(r"B1 ([1-9][0-9]{0,6})/([1-9][0-9]{0,6}) ([0-9a-f]{8})\n")


class QRPartsError(ValueError):
    """Parts that do not make one whole text; ``.reason`` names the case, ``.id``/``.en`` say it.

    reasons: ``"empty"`` (nothing scanned), ``"bad-header"``, ``"missing"``,
    ``"mixed"`` (parts of two different texts), ``"conflict"`` (two different
    parts with the same number), ``"hash"`` (the parts join into a text
    whose hash is not the one in their header).
    """

    def __init__(self, reason: str, message_id: str, message_en: str) -> None:
        super().__init__(f"{message_id} ({message_en})")
        self.reason = reason
        self.id = message_id
        self.en = message_en


def text_hash(text: str) -> str:
    """The 8 hex digits that tie the parts to their text: SHA-256 of the UTF-8, first 4 bytes.

    >>> text_hash("")
    'e3b0c442'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def split(text: str, max_bytes: int) -> list[str]:
    """Cut ``text`` into QR payloads of at most ``max_bytes`` UTF-8 bytes each.

    A text that fits (and does not itself start with ``B1 ``) is returned
    whole, as one bare payload.  Otherwise the fewest parts are made, and the
    chunks are cut to about the same size so every printed code has the same
    version.  ``max_bytes`` must be at least :data:`MIN_MAX_BYTES`.

    >>> split("SEMUA NOL", 100)
    ['SEMUA NOL']
    >>> [len(p.encode()) <= 40 for p in split("x" * 100, 40)]
    [True, True, True, True, True]
    """
    if not isinstance(max_bytes, int) or max_bytes < MIN_MAX_BYTES:
        raise ValueError(f"max_bytes must be an integer of at least {MIN_MAX_BYTES}, not {max_bytes!r}")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"text cannot be written as UTF-8 (character {exc.start})") from None
    if len(data) <= max_bytes and not text.startswith(PREFIX):
        return [text]
    h = text_hash(text)
    sizes = [len(c.encode("utf-8")) for c in text]
    digits = 1
    while True:
        room = max_bytes - (len(PREFIX) + 2 * digits + 1 + 1 + len(h) + 1)
        chunks = _balanced_chunks(text, sizes, room)
        if len(str(len(chunks))) <= digits:
            break
        digits += 1  # more parts than the header had room for: cut again with a longer header
    n = len(chunks)
    return [f"{PREFIX}{i}/{n} {h}\n{chunk}" for i, chunk in enumerate(chunks, start=1)]


def _balanced_chunks(text: str, sizes: list[int], room: int) -> list[str]:
    """The fewest chunks of at most ``room`` bytes, each about the same size."""
    total = sum(sizes)
    n = max(1, -(-total // room))
    while True:
        # The even share, or up to 3 bytes over it so a cut can fall between characters.
        for slack in range(4):
            chunks = _greedy(text, sizes, min(room, -(-total // n) + slack))
            if len(chunks) <= n:
                return chunks
        n += 1


def _greedy(text: str, sizes: list[int], limit: int) -> list[str]:
    chunks: list[str] = []
    start, used = 0, 0
    for index, size in enumerate(sizes):
        if used + size > limit:
            chunks.append(text[start:index])
            start, used = index, 0
        used += size
    chunks.append(text[start:])
    return chunks


def join(payloads: Iterable[str]) -> str:
    """The whole text from scanned payloads, in any order.

    Scanning the same code twice is harmless (identical payloads count once);
    anything else that does not make exactly one text raises
    :class:`QRPartsError` with the case and words for the witness.

    >>> join(["SEMUA NOL"])
    'SEMUA NOL'
    """
    payloads = list(payloads)
    if not payloads:
        raise QRPartsError("empty", "Belum ada QR yang dipindai", "No QR code has been scanned")
    bare = {p for p in payloads if not p.startswith(PREFIX)}
    parts: dict[int, str] = {}
    texts: set[tuple[int, str]] = set()
    for payload in payloads:
        if payload in bare:
            continue
        match = _HEADER.match(payload)
        if match is None:
            raise QRPartsError(
                "bad-header",
                "Kepala bagian QR rusak: harus 'B1 i/n hash'",
                "Bad QR part header: expected 'B1 i/n hash'",
            )
        i, n, h = int(match[1]), int(match[2]), match[3]
        if i > n:
            raise QRPartsError(
                "bad-header", f"Bagian QR {i} dari {n} tidak mungkin ada", f"QR part {i} of {n} cannot exist"
            )
        texts.add((n, h))
        chunk = payload[match.end() :]
        if parts.get(i, chunk) != chunk:
            raise QRPartsError("conflict", f"Dua bagian QR {i} yang berbeda", f"Two different QR parts {i}")
        parts[i] = chunk
    if len(bare) + len(texts) > 1:
        raise QRPartsError(
            "mixed", "QR ini berasal dari dua teks yang berbeda", "These QR codes come from two different texts"
        )
    if bare:
        return bare.pop()
    ((n, h),) = texts
    missing = [i for i in range(1, n + 1) if i not in parts]
    if missing:
        which = ", ".join(str(i) for i in missing)
        raise QRPartsError(
            "missing", f"Bagian QR {which} dari {n} belum dipindai", f"QR part {which} of {n} has not been scanned"
        )
    text = "".join(parts[i] for i in range(1, n + 1))
    if text_hash(text) != h:
        raise QRPartsError(
            "hash",
            "Bagian QR tidak cocok dengan teks aslinya (hash berbeda)",
            "The QR parts do not make the text they were cut from (hash differs)",
        )
    return text
