"""The paper slip (struk audit): one per ballot, dropped by the voter into the audit box.

The slip is what a dispute is settled with: the paper slips are counted by
hand and matched, by ballot ID, against the electronic ballot store.  So it
shows the choice in a form nobody can misread (the nomor urut in digits more
than 120 dots — 15 mm — tall, and the name), and the ballot's random ID both
in short form and as a QR code.

It shows **no time, no sequence number and no voter data**: :class:`SlipData`
has no field that could hold them, and two slips for the same choice differ
only inside the ``"ballot_id"`` region (``image.info["regions"]``).

>>> slip = render_slip(SlipData(
...     election_title="Pemilihan Kepala Pekon Sukamaju 2025", pekon="Sukamaju", tps=1,
...     election_short_id="7F3A-91C2-0B4E", ballot_id="9f2c41d07be3a5586c0e1f2a3b4c5d6e",
...     candidate_number=2, candidate_name="SITI AMINAH"))
>>> slip.mode, slip.width
('1', 384)

QR payload, unless the core passes its own (:func:`slip_qr_payload`)::

    BOOTH1:B:<election short ID without dashes>:<ballot ID in upper-case hex>
    e.g. BOOTH1:B:7F3A91C20B4E:9F2C41D07BE3A5586C0E1F2A3B4C5D6E

Upper case keeps it inside the QR alphanumeric set (a smaller, sturdier
code); readers compare the hex case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PIL import Image

from booth.paper.layout import BODY, BODY_BOLD, HEADING, MONO_BIG, SMALL, TITLE, Page, short_hex

SLIP_QR_PREFIX = "BOOTH1:B"
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
    """

    election_title: str
    pekon: str
    tps: int
    election_short_id: str
    ballot_id: str
    candidate_number: int | None
    candidate_name: str = ""
    qr_payload: str | None = None

    def __post_init__(self) -> None:
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


def short_ballot_id(ballot_id: str) -> str:
    """The ballot ID as printed for people: its first 16 hex digits in four groups.

    Auditors find the ballot in the store by this prefix (64 bits: no two
    ballots of one election share it in practice).

    >>> short_ballot_id("9f2c41d07be3a5586c0e1f2a3b4c5d6e")
    '9F2C-41D0-7BE3-A558'
    """
    return short_hex(ballot_id, 4)


def render_slip(data: SlipData) -> Image.Image:
    """Lay out the audit slip for one ballot (mode "1", 384 dots wide)."""
    page = Page()
    page.space(10)
    page.text("STRUK AUDIT", TITLE, align="center")
    page.text("SURAT SUARA ELEKTRONIK", HEADING, align="center")
    page.text("Audit slip of an electronic ballot", SMALL, align="center")
    page.rule()
    page.text(data.election_title, BODY_BOLD, align="center")
    page.text(f"Pekon {data.pekon} · TPS {data.tps:02d}", BODY, align="center")
    page.text(f"ID Pemilihan / Election ID {data.election_short_id}", SMALL, align="center")
    page.rule()

    with page.region("choice"):
        if data.blank:
            page.space(24)
            page.text("SUARA KOSONG", TITLE, align="center", invert=True)
            page.text("Blank vote — no candidate chosen", SMALL, align="center")
            page.space(24)
        else:
            page.text("Pilihan: Nomor Urut", HEADING, align="center")
            page.text("Choice: ballot number", SMALL, align="center")
            page.space(6)
            with page.region("number"):
                page.big(str(data.candidate_number), min_height=128, frame=4, pad=14)
            page.space(8)
            page.text(data.candidate_name, HEADING, align="center")
    page.rule()

    with page.region("ballot_id"):
        page.text("ID Surat Suara / Ballot ID", SMALL, align="center")
        page.text(short_ballot_id(data.ballot_id), MONO_BIG, align="center")
        page.space(4)
        page.qr(data.payload, max_module=5)
    page.rule()

    page.text("Masukkan struk\nke Kotak Audit", HEADING, align="center", invert=True)
    page.space(2)
    page.text("Put this slip in the audit box", SMALL, align="center")
    page.space(28)  # room to tear off without cutting the last line
    return page.render()
