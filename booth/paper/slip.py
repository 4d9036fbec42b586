"""The paper slip (struk audit): one per ballot, dropped by the voter into the audit box.

The slip is what a dispute is settled with: the paper slips are counted by
hand and matched, by ballot ID, against the electronic ballot store.  So it
shows the choice in a form nobody can misread (the nomor urut in digits more
than 120 dots — 15 mm — tall, and the name), and the ballot's random ID both
in short form and as a QR code.

The ballot ID is printed **above** the choice, at the top of the paper, so a
piece torn off by a jam still says which ballot it belonged to.  A reprint
(after paper-out, a jam, a crash) says so in large type, "CETAK ULANG ke-N",
and that any earlier piece with the same ID is void ("potongan sebelumnya
BATAL"); the audit box may then hold two pieces with one ID, and the auditor
knows which one counts.  A ballot the voter disputed is voided by a second
print, :func:`void_slip`: a large "BATAL / VOID" and the same ID, and no
choice (the companion who prints it does not need to see it).

It shows **no time, no sequence number and no voter data**: :class:`SlipData`
has no field that could hold them (``reprint`` counts prints of *this*
ballot, not of the day), and two slips for the same choice differ only inside
the ``"ballot_id"`` region (``image.info["regions"]``).

Length: paper is the booth's consumable.  A first-print slip is at most
:data:`SLIP_MAX_DOTS` dots (48 mm); with the printer's 12 mm feed that is
60 mm a voter, so one 58 mm x 30 m roll serves :func:`voters_per_roll` = 500
voters or more (``docs/paper.md``).

>>> slip = render_slip(SlipData(
...     election_title="Pemilihan Kepala Pekon Sukamaju 2025", pekon="Sukamaju", tps=1,
...     election_short_id="7F3A-91C2-0B4E", ballot_id="9f2c41d07be3a5586c0e1f2a3b4c5d6e",
...     candidate_number=2, candidate_name="SITI AMINAH"))
>>> slip.mode, slip.width
('1', 384)

QR payload, unless the core passes its own (:func:`slip_qr_payload`)::

    BOOTH1:B:<election short ID without dashes>:<ballot ID in upper-case hex>
    e.g. BOOTH1:B:7F3A91C20B4E:9F2C41D07BE3A5586C0E1F2A3B4C5D6E

and on a VOID print (:func:`void_qr_payload`), so a scanner never takes it for a slip::

    BOOTH1:V:<election short ID without dashes>:<ballot ID in upper-case hex>

Upper case keeps it inside the QR alphanumeric set (a smaller, sturdier
code); readers compare the hex case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PIL import Image

from booth.paper.layout import (
    BODY_BOLD,
    DOTS_PER_MM,
    HEADING,
    MONO_BIG,
    SMALL,
    SMALL_BOLD,
    SMALL_MONO,
    TITLE,
    Page,
    big_text,
    qr_image,
    short_hex,
    wrap,
)

SLIP_QR_PREFIX = "BOOTH1:B"
VOID_QR_PREFIX = "BOOTH1:V"
SLIP_MAX_DOTS = 384  # 48 mm: with a 12 mm feed, 500 slips on a 30 m roll
ROLL_MM = 30_000  # the common 58 mm x 30 m thermal roll
FEED_MM = 12  # booth.hardware.config's default feed after each print
QR_WIDTH = 112  # dots: a version 4 code at 3 dots a module with a 2-module quiet zone
QR_BORDER = 2  # modules; the paper's margin and the gap beside it are blank too
NUMBER_BOX_MAX = 260  # dots: two digits at full height (a nomor urut never shrinks below 120 dots)
_HEX = re.compile(r"[0-9a-fA-F]{16,128}")


@dataclass(frozen=True)
class SlipData:
    """Everything one slip shows — deliberately nothing that could link it to a voter.

    election_title     the election's title, e.g. "Pemilihan Kepala Pekon Sukamaju 2025"
    pekon              the pekon (village) name without the word "Pekon": "Sukamaju"
    tps                the polling-place number
    election_short_id  the election ID's short form, "XXXX-XXXX-XXXX"
    ballot_id          the ballot's random ID in hex (from ``secrets``), as in the ballot store
    candidate_number   the chosen nomor urut, or ``None`` for a blank vote (suara kosong)
    candidate_name     the chosen candidate's name ("" for a blank vote)
    qr_payload         the QR text; ``None`` = :func:`slip_qr_payload` of the IDs above
    reprint            0 for the first print; N for the Nth reprint of this same ballot
    """

    election_title: str
    pekon: str
    tps: int
    election_short_id: str
    ballot_id: str
    candidate_number: int | None
    candidate_name: str = ""
    qr_payload: str | None = None
    reprint: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.reprint <= 99:
            raise ValueError("reprint must be 0 (first print) to 99")
        if not _HEX.fullmatch(self.ballot_id):
            raise ValueError("ballot_id must be 16 to 128 hex digits")
        if self.candidate_number is None:
            if self.candidate_name:
                raise ValueError("a blank vote (candidate_number None) has no candidate name")
        elif not 1 <= self.candidate_number <= 99:
            raise ValueError("candidate_number (nomor urut) must be 1 to 99")
        elif not self.candidate_name.strip():
            raise ValueError("a candidate's slip needs the candidate's name")

    @property
    def blank(self) -> bool:
        """Is this a blank vote (suara kosong)?"""
        return self.candidate_number is None

    @property
    def payload(self) -> str:
        """The QR text actually printed."""
        if self.qr_payload is not None:
            return self.qr_payload
        return slip_qr_payload(self.election_short_id, self.ballot_id)


def slip_qr_payload(election_short_id: str, ballot_id: str) -> str:
    """The default QR text of a slip: ``BOOTH1:B:<election short ID>:<ballot ID hex>``.

    >>> slip_qr_payload("7F3A-91C2-0B4E", "9f2c41d07be3a5586c0e1f2a3b4c5d6e")
    'BOOTH1:B:7F3A91C20B4E:9F2C41D07BE3A5586C0E1F2A3B4C5D6E'
    """
    return f"{SLIP_QR_PREFIX}:{election_short_id.replace('-', '').upper()}:{ballot_id.upper()}"


def void_qr_payload(election_short_id: str, ballot_id: str) -> str:
    """The QR text of a VOID print: ``BOOTH1:V:<election short ID>:<ballot ID hex>``.

    >>> void_qr_payload("7F3A-91C2-0B4E", "9f2c41d07be3a5586c0e1f2a3b4c5d6e")
    'BOOTH1:V:7F3A91C20B4E:9F2C41D07BE3A5586C0E1F2A3B4C5D6E'
    """
    return f"{VOID_QR_PREFIX}:{election_short_id.replace('-', '').upper()}:{ballot_id.upper()}"


def short_ballot_id(ballot_id: str) -> str:
    """The ballot ID as printed for people: its first 16 hex digits in four groups.

    Auditors find the ballot in the store by this prefix (64 bits: no two
    ballots of one election share it in practice).

    >>> short_ballot_id("9f2c41d07be3a5586c0e1f2a3b4c5d6e")
    '9F2C-41D0-7BE3-A558'
    """
    return short_hex(ballot_id, 4)


def _id_block(page: Page, payload: str, ballot_id: str, election_short_id: str) -> None:
    """QR code at the left, the short ballot ID beside it in two lines a person reads aloud."""
    code, _ = qr_image(payload, max_width=QR_WIDTH, min_module=3, max_module=3, border=QR_BORDER)
    groups = short_ballot_id(ballot_id).split("-")
    page.beside(
        code,
        [
            ("ID Surat Suara / Ballot ID", SMALL),
            ("-".join(groups[:2]), MONO_BIG),
            ("-".join(groups[2:]), MONO_BIG),
            (f"Pemilihan {election_short_id}", SMALL_MONO),  # mono: never wraps, whatever the ID,
        ],
        gap=8,
    )


def _header(page: Page, pekon: str, tps: int) -> None:
    page.space(2)
    # one line where the pekon's name allows it: every line here costs 3 mm a voter
    page.text(f"STRUK AUDIT · Pekon {pekon} · TPS {tps:02d}", SMALL, align="center")
    page.rule(pad=2)


def _choice(page: Page, data: SlipData) -> None:
    """The nomor urut boxed, more than 120 dots (15 mm) tall, the name beside it or below it.

    Beside when the words fit whole (the short slip); a long name goes below at
    full width rather than cut in two; a two-digit number leaves no room beside
    it, so its label goes above and the name below.
    """
    box, _ = big_text(str(data.candidate_number), min_height=120, max_width=NUMBER_BOX_MAX, frame=4, pad=4)
    label = [("Pilihan: Nomor Urut", SMALL_BOLD), ("Choice: candidate no.", SMALL)]
    room = page.content_width - box.width - 14
    if any(len(wrap(text, style, room)) > 1 for text, style in label):
        page.text("Pilihan: Nomor Urut · Candidate no.", SMALL, align="center")
        with page.region("number"):
            page.big(str(data.candidate_number), min_height=120, max_width=NUMBER_BOX_MAX, frame=4, pad=4)
        page.text(data.candidate_name, HEADING, align="center")
        return
    name_lines = wrap(data.candidate_name, HEADING, room)
    whole_words = " ".join(name_lines).split() == data.candidate_name.split()
    height = sum(style.line_height for _, style in label) + len(name_lines) * HEADING.line_height
    beside = whole_words and height <= box.height
    with page.region("number"):
        page.beside(box, label + ([(data.candidate_name, HEADING)] if beside else []), gap=14)
    if not beside:  # a long name gets the full width rather than words cut in two
        page.text(data.candidate_name, HEADING, align="center")


def render_slip(data: SlipData) -> Image.Image:
    """Lay out the audit slip for one ballot (mode "1", 384 dots wide, ballot ID above the choice).

    >>> slip = render_slip(SlipData(
    ...     election_title="Pemilihan Kepala Pekon Sukamaju 2025", pekon="Sukamaju", tps=1,
    ...     election_short_id="7F3A-91C2-0B4E", ballot_id="9f2c41d07be3a5586c0e1f2a3b4c5d6e",
    ...     candidate_number=1, candidate_name="SUPRIYADI"))
    >>> slip.height <= SLIP_MAX_DOTS, slip.info["regions"]["ballot_id"] < slip.info["regions"]["choice"]
    (True, True)
    """
    page = Page()
    _header(page, data.pekon, data.tps)
    with page.region("ballot_id"):
        _id_block(page, data.payload, data.ballot_id, data.election_short_id)
    if data.reprint:
        with page.region("reprint"):
            page.space(4)
            page.text(f"CETAK ULANG ke-{data.reprint} · REPRINT", HEADING, align="center", invert=True)
            page.text("Potongan sebelumnya dengan ID ini BATAL", SMALL_BOLD, align="center")
            page.text("Any earlier piece with this ID is void", SMALL, align="center")
    page.rule(pad=2)
    with page.region("choice"):
        if data.blank:
            page.space(8)
            page.text("SUARA KOSONG", TITLE, align="center", invert=True)
            page.text("Blank vote — no candidate chosen", SMALL, align="center")
            page.space(8)
        else:
            _choice(page, data)
    page.rule(pad=2)
    page.text("Masukkan ke Kotak Audit", BODY_BOLD, align="center", invert=True)
    page.text("Put this slip in the audit box", SMALL, align="center")
    # No blank tail: the printer feeds FEED_MM past the tear bar after every item.
    return page.render()


def void_slip(*, election_short_id: str, ballot_id: str, pekon: str, tps: int, election_title: str = "") -> Image.Image:
    """The VOID print for a ballot the voter disputed: a large BATAL / VOID mark and its ID.

    The companion who spoils the ballot prints this, attaches it to the
    disputed slip and puts both in the audit box: an auditor who draws either
    finds the same ballot ID and the word BATAL, and the ballot store marks
    that ballot spoiled.  No choice is printed (the companion need not see
    it), and the QR says ``BOOTH1:V:...`` so no scanner reads it as a slip.

    >>> image = void_slip(election_short_id="7F3A-91C2-0B4E", ballot_id="9f2c41d07be3a5586c0e1f2a3b4c5d6e",
    ...                   pekon="Sukamaju", tps=1)
    >>> image.width, sorted(image.info["regions"])
    (384, ['ballot_id', 'void'])
    """
    if not _HEX.fullmatch(ballot_id):
        raise ValueError("ballot_id must be 16 to 128 hex digits")
    page = Page()
    _header(page, pekon, tps)
    if election_title:
        page.text(election_title, SMALL, align="center")
    with page.region("void"):
        mark, _ = big_text("BATAL", min_height=72, max_width=page.content_width, frame=8, pad=12)
        block = Image.new("L", (page.width, mark.height), 255)
        block.paste(mark, ((page.width - mark.width) // 2, 0))
        page.add(block)
        page.space(4)
        page.text("VOID", TITLE, align="center", invert=True)
        page.text("Surat suara ini dibatalkan (struk disanggah pemilih)", BODY_BOLD, align="center")
        page.text("This ballot is spoiled: the voter disputed its slip", SMALL, align="center")
    page.rule(pad=2)
    with page.region("ballot_id"):
        _id_block(page, void_qr_payload(election_short_id, ballot_id), ballot_id, election_short_id)
    page.rule(pad=2)
    page.text("Satukan dengan struk yang disanggah, masukkan ke Kotak Audit", BODY_BOLD, align="center", invert=True)
    page.text("Keep with the disputed slip; both go in the audit box", SMALL, align="center")
    return page.render()


def slip_length_mm(image: Image.Image, feed_mm: int = FEED_MM) -> float:
    """Paper one printed item takes, in mm: its dots at 8 a mm plus the feed after it."""
    return image.height / DOTS_PER_MM + feed_mm


def voters_per_roll(slip_mm: float, roll_mm: int = ROLL_MM) -> int:
    """How many voters' slips one roll holds.

    >>> voters_per_roll(60.0)
    500
    """
    return int(roll_mm // slip_mm)
