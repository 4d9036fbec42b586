"""The reports witnesses sign: zero report, results report, custody slip, self-test page.

Each is laid out once as a 1-bit image 384 dots wide (see
:mod:`booth.paper.layout`) from a plain frozen dataclass the core fills in.
Indonesian comes first; a short English line in smaller type follows where a
witness from the district may need it.

* :func:`render_zero_report` — **LAPORAN NOL**, printed at activation: every
  candidate with 0 votes, next to their nomor urut (names once got swapped
  against numbers: witnesses compare them here), the ballot store empty, the
  ledger checkpoint in text and as a QR code, signature lines.
* :func:`render_results_report` — **BERITA ACARA HASIL PENGHITUNGAN SUARA**:
  votes with bars and percentages, the reconciliation of voters, ballots and
  slips (:func:`reconcile`), the final checkpoint, and a QR code signed by the
  device that a witness scans and checks with ``booth``.
* :func:`render_station_report` — **BERITA ACARA HASIL TPS**, printed by a
  station's desk: the station's votes, each booth's releases and votes (a small
  booth only in the total), and the desk's signed station results as QR.
* :func:`render_custody_slip` — **TANDA TERIMA / JEJAK SERAH TERIMA**: the
  custody trail so far, with the latest checkpoint.
* :func:`render_self_test` — **UJI PERANGKAT**: OK/GAGAL per device and a test
  pattern to judge the print head.

>>> from booth_dev.paper_examples import example_zero_report
>>> render_zero_report(example_zero_report()).width
384
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageDraw

from booth.paper.layout import (
    BODY,
    BODY_BOLD,
    HEADING,
    LINE,
    MARGIN,
    MONO,
    MONO_BIG,
    MONO_BOLD,
    NUMBER,
    PAPER_58,
    SMALL,
    SMALL_BOLD,
    SMALL_MONO,
    TITLE,
    Column,
    Page,
    Paper,
    dithered,
    hex_groups,
    jam,
    persen,
    short_hex,
    tanggal,
    waktu,
)
from booth.paper.qr import print_statement
from booth.tally import reconciliation_checks

_HEX64 = re.compile(r"[0-9a-f]{64}")


# --- what the core fills in ------------------------------------------------------


@dataclass(frozen=True)
class ElectionHeader:
    """The election as printed at the top of every report (from the election package).

    Place names are bare ("Sukamaju", "Pagelaran", "Pringsewu"); the paper
    adds "Pekon", "Kec." and "Kab.".  ``election_id`` is the lowercase hex
    SHA-256 of the package manifest, ``election_short_id`` its "XXXX-XXXX-XXXX"
    form.  Times are timezone-aware local times.
    """

    title: str
    pekon: str
    kecamatan: str
    kabupaten: str
    tps: int
    date: dt.date
    opens_at: datetime
    closes_at: datetime
    election_id: str
    election_short_id: str
    provinsi: str = ""
    #: At a polling station of a desk and booths: which device printed it, (Indonesian, English),
    #: e.g. ("Bilik suara 2", "Booth 2"); None on an all-in-one device (nothing printed).
    station_device: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not _HEX64.fullmatch(self.election_id):
            raise ValueError("election_id must be 64 lowercase hex digits (SHA-256)")


@dataclass(frozen=True)
class CandidateVotes:
    """One line of the candidate table: nomor urut, name, votes (0 on the zero report)."""

    number: int
    name: str
    votes: int = 0


@dataclass(frozen=True)
class Persons:
    """A count of people as the KPU forms give it: laki-laki (L), perempuan (P), jumlah.

    ``l`` / ``p`` are ``None`` where the device does not know everyone's sex
    (the paper then prints "-" rather than a split that does not add up).

    >>> Persons.split({"L": 160, "P": 140, "?": 0})
    Persons(total=300, l=160, p=140)
    >>> Persons.split({"L": 1, "P": 0, "?": 1})
    Persons(total=2, l=None, p=None)
    """

    total: int
    l: int | None = None  # noqa: E741 - the KPU's own letter
    p: int | None = None

    @classmethod
    def split(cls, counts: dict[str, int]) -> Persons:
        """From ``{"L": .., "P": .., "?": ..}`` (the core's ``counts_by_sex``)."""
        total = sum(counts.values())
        if counts.get("?", 0):
            return cls(total)
        return cls(total, counts.get("L", 0), counts.get("P", 0))


@dataclass(frozen=True)
class Signer:
    """One signature box: the role as the form words it, and the printed name ("" = write it in)."""

    role: str
    name: str = ""


@dataclass(frozen=True)
class ZeroReportData:
    """The zero report (LAPORAN NOL), printed when the device is activated.

    ``candidates`` and ``blank_votes`` are what the ballot store holds now —
    all zero on a healthy device; anything else is printed as a loud warning.
    ``blank_votes`` is ``None`` when the election does not allow blank votes.
    ``checkpoint`` is the whole signed checkpoint note (C2SP signed-note text).
    ``qr_payload`` is the signed opening statement (``booth.results.opening_statement``)
    the QR code carries for witnesses to pin the device's key; ``None`` prints the
    bare checkpoint note, as zero reports did before the opening statement existed.
    """

    election: ElectionHeader
    device_fingerprint: str  # hex SHA-256 of the device's public key
    candidates: tuple[CandidateVotes, ...]
    ballots_in_store: int
    checkpoint: str
    printed_at: datetime
    blank_votes: int | None = None
    ketua_name: str = ""
    ketua_title: str = "Ketua KPPS"
    copy_number: int = 1
    qr_payload: str | None = None
    dpt: Persons | None = None  # voters on the DPT (L/P) the KPPS expects today
    members: tuple[Signer, ...] = ()  # the other KPPS members who sign beside the ketua


@dataclass(frozen=True)
class Reconciliation:
    """The day's counts that must agree (see :func:`reconcile`).

    dpt                    voters on the final list (DPT)
    dptb                   voters added on the day (DPTb)
    checked_in             voters who came and were verified (pemilih hadir)
    voted                  voters marked as having voted
    ballots_cast           ballots in the ballot store (surat suara tercatat)
    slips_printed          ballots whose slip printed (first print; reprints not counted)
    reprints               extra prints after a printer fault (cetak ulang)
    cancelled_releases     releases cancelled before a ballot was cast (dibatalkan)
    refused_repeat_voters  people refused because they had already voted (ditolak)
    spoiled                ballots spoiled after the voter disputed the slip (dibatalkan, BATAL)
    """

    dpt: int
    dptb: int
    checked_in: int
    voted: int
    ballots_cast: int
    slips_printed: int
    reprints: int = 0
    cancelled_releases: int = 0
    refused_repeat_voters: int = 0
    ballots_stored: int | None = None  # ballots in the store (checked against ballots cast)
    releases: int | None = None  # ballots released by companions (= cast + cancelled)
    spoiled: int = 0


@dataclass(frozen=True)
class ResultsReportData:
    """The results report (BERITA ACARA HASIL PENGHITUNGAN SUARA).

    ``qr_payload`` is the signed results statement the core makes (``booth.results``); it prints
    as one to three codes (``booth.paper.qr``).  ``checkpoint`` is the final signed checkpoint
    note.  ``blank_votes`` is ``None`` when blank votes are not allowed.
    """

    election: ElectionHeader
    device_fingerprint: str
    results: tuple[CandidateVotes, ...]
    reconciliation: Reconciliation
    checkpoint: str
    qr_payload: str
    printed_at: datetime
    blank_votes: int | None = None
    polls_closed_at: datetime | None = None
    ketua_name: str = ""
    ketua_title: str = "Ketua KPPS"
    copy_number: int = 1
    dpt: Persons | None = None  # DPT, L/P where known (else reconciliation.dpt alone)
    dptb: Persons | None = None
    voted: Persons | None = None  # pengguna hak pilih
    members: tuple[Signer, ...] = ()

    @property
    def candidate_votes(self) -> int:
        """Votes for candidates (suara sah untuk calon)."""
        return sum(c.votes for c in self.results)

    @property
    def total_votes(self) -> int:
        """Every ballot counted: candidate votes plus blank votes."""
        return self.candidate_votes + (self.blank_votes or 0)


@dataclass(frozen=True)
class StationBooth:
    """One booth's lines on the station results report (its releases from the desk's records).

    ``results`` is None for a booth merged into the station's total (fewer than
    ``booth.station.summary.SMALL_BOOTH`` valid votes, or merged with one): its tally is never
    printed on its own.
    """

    number: int
    fingerprint: str
    issued: int
    cast: int
    cancelled: int
    spoils: int
    out: int = 0
    after_cancel: int = 0
    results: tuple[CandidateVotes, ...] | None = None
    #: a booth replaced mid-day: the fingerprints of its earlier devices (their releases and votes are in the figures)
    replaced: tuple[str, ...] = ()
    balanced: bool = True


@dataclass(frozen=True)
class StationReportData:
    """The station results report (BERITA ACARA HASIL TPS), printed by the desk once per station.

    ``results`` is the station's total; ``booths`` each booth's releases and, unless merged, its
    votes.  ``qr_payload`` is the desk's signed station results document in its QR text
    (``booth.station.results_qr``); ``checkpoint`` the desk's latest signed checkpoint note.
    """

    election: ElectionHeader
    desk_fingerprint: str
    results: tuple[CandidateVotes, ...]
    booths: tuple[StationBooth, ...]
    balanced: bool
    qr_payload: str
    checkpoint: str
    printed_at: datetime
    ketua_name: str = ""
    ketua_title: str = "Ketua KPPS"
    copy_number: int = 1
    members: tuple[Signer, ...] = ()

    @property
    def votes(self) -> int:
        """Valid votes at the station (every booth's)."""
        return sum(c.votes for c in self.results)


@dataclass(frozen=True)
class CustodyStep:
    """One step of the custody trail (a ``custody.*`` ledger event).

    ``stage`` / ``stage_en`` are the event's labels (booth.ledger.event_types),
    e.g. "Serah terima di desa/pekon" / "Handed over at the village".
    """

    stage: str
    stage_en: str
    at: datetime
    companion_name: str
    companion_id: str
    place: str
    note: str = ""


@dataclass(frozen=True)
class CustodySlipData:
    """The custody slip (TANDA TERIMA / JEJAK SERAH TERIMA).

    ``election`` is ``None`` before an election package is loaded (a device
    received at the district has none yet).
    """

    device_fingerprint: str
    steps: tuple[CustodyStep, ...]
    checkpoint: str
    printed_at: datetime
    election: ElectionHeader | None = None


@dataclass(frozen=True)
class DeviceCheck:
    """One device's self-test result, e.g. ``DeviceCheck("Tombol", "Buttons", True, "6/6")``."""

    device: str
    device_en: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class SelfTestData:
    """The self-test page (UJI PERANGKAT), printed when the device is installed."""

    device_fingerprint: str
    checks: tuple[DeviceCheck, ...]
    printed_at: datetime
    software_version: str = ""
    companion_name: str = ""


# --- rules printed on the reports ---------------------------------------------


@dataclass(frozen=True)
class Check:
    """One reconciliation rule and whether the day's counts keep it."""

    rule: str  # Indonesian
    rule_en: str
    ok: bool


def reconcile(counts: Reconciliation, total_votes: int) -> list[Check]:
    """The rules the results report checks (defined once, in ``booth.tally.RULES``).

    The report says SESUAI only if all hold.  Reprints, cancelled releases and
    refused repeat voters are printed for the record.

    >>> r = Reconciliation(dpt=300, dptb=2, checked_in=250, voted=248, ballots_cast=248,
    ...                    slips_printed=248)
    >>> all(c.ok for c in reconcile(r, total_votes=248))
    True
    >>> [c.rule_en for c in reconcile(r, total_votes=247) if not c.ok]
    ['ballots counted = ballots cast - spoiled']

    A disputed slip: the spoiled ballot was cast and printed, but is not a vote.

    >>> r = Reconciliation(dpt=300, dptb=2, checked_in=250, voted=248, ballots_cast=249,
    ...                    slips_printed=249, spoiled=1)
    >>> all(c.ok for c in reconcile(r, total_votes=248))
    True
    """
    values = {
        "dpt": counts.dpt,
        "dptb": counts.dptb,
        "checked_in": counts.checked_in,
        "voted": counts.voted,
        "ballots_cast": counts.ballots_cast,
        "slips_printed": counts.slips_printed,
        "votes_counted": total_votes,
        "ballots_stored": counts.ballots_stored,
        "releases": counts.releases,
        "cancelled": counts.cancelled_releases if counts.releases is not None else None,
        "spoiled": counts.spoiled,
    }
    return [Check(id_text, en_text, ok) for _, id_text, en_text, ok in reconciliation_checks(values)]


def checkpoint_fields(note: str) -> tuple[str, str, str]:
    """Origin, tree size and root hash (base64) from the text of a signed checkpoint note.

    >>> note = "booth/0123456789abcdef\\n0\\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\\n"
    >>> checkpoint_fields(note + "\\n— booth/0123456789abcdef c2lnbmF0dXJl\\n")
    ('booth/0123456789abcdef', '0', '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=')
    """
    lines = note.split("\n")
    if len(lines) < 3 or not lines[0] or not lines[1].isdigit() or not lines[2]:
        raise ValueError("not a checkpoint note: expected origin, tree size and root lines")
    return lines[0], lines[1], lines[2]


# --- the reports -----------------------------------------------------------------

_NO = Column(52, "center", NUMBER)
_VOTES = Column(84, "right", NUMBER)
_NAME = Column(None, "left", BODY_BOLD)
_LABEL = Column(None, "left", BODY)
_VALUE = Column(96, "right", BODY_BOLD)


def render_zero_report(data: ZeroReportData, paper: Paper = PAPER_58) -> Image.Image:
    """Lay out the zero report (LAPORAN NOL) for witnesses to check and sign before opening.

    In the order the KPPS reads it aloud: the election, the DPT count, every
    candidate with 0 votes, the verdict, the QR the saksi scans, the
    verification code (small: for the saksi app and auditors), signatures.
    The QR code(s) are sized for ``paper`` by :func:`booth.paper.qr.plan`.
    """
    page = Page(paper)
    _title(page, "LAPORAN NOL", "Zero report — before voting opens", data.copy_number)
    _election(page, data.election)
    if data.dpt is not None:
        _section(page, "DATA PEMILIH", "Voters")
        with page.region("dpt"):
            _persons_table(page, [(("Pemilih dalam DPT", "Voters on the DPT"), data.dpt)])

    _section(page, "DAFTAR CALON DAN PEROLEHAN SUARA", "Candidates and votes")
    page.text("Cocokkan nomor urut dengan nama calon.", BODY)
    page.text("Check each nomor urut against the name.", SMALL)
    page.space(4)
    _candidate_table(page, data.candidates)
    if data.blank_votes is not None:
        page.rule(dashed=True, pad=2)
        page.table_row([_NO, _NAME, _VOTES], ["", ("Suara kosong", "Blank votes"), str(data.blank_votes)])
    page.rule(pad=4)
    total = sum(c.votes for c in data.candidates) + (data.blank_votes or 0)
    page.table_row([_LABEL, _VOTES], [("Jumlah suara", "Total votes"), str(total)])
    page.table_row([_LABEL, _VOTES], [("Surat suara tersimpan", "Ballots in the store"), str(data.ballots_in_store)])
    page.space(6)
    with page.region("verdict"):
        if total == 0 and data.ballots_in_store == 0:
            page.text("SEMUA NOL", TITLE, align="center", invert=True)
            page.text("All zero: the ballot store is empty", SMALL, align="center")
        else:
            page.text(
                "TIDAK NOL — JANGAN BUKA PEMUNGUTAN SUARA. Panggil petugas.", HEADING, align="center", invert=True
            )
            page.text("NOT ZERO — do not open the polls. Call a companion.", SMALL, align="center")

    _section(page, "QR UNTUK SAKSI", "QR code for the witnesses")
    print_statement(page, data.qr_payload or data.checkpoint)
    if data.qr_payload:
        page.text("Saksi: pindai dengan aplikasi saksi sebelum pemungutan dibuka.", BODY, align="center")
        page.text("Witnesses: scan it with the saksi app before the polls open.", SMALL, align="center")
    else:
        page.text("QR: catatan pemeriksaan lengkap yang ditandatangani", SMALL, align="center")
        page.text("QR: the whole signed checkpoint note", SMALL, align="center")

    _verification_code(page, data.election, data.device_fingerprint, data.checkpoint)
    _printed(page, data.printed_at)
    _signatures(page, data.candidates, data.ketua_title, data.ketua_name, data.members)
    _footer(page, data.copy_number)
    return page.render()


def render_results_report(data: ResultsReportData, paper: Paper = PAPER_58) -> Image.Image:
    """Lay out the results report (berita acara hasil penghitungan suara) in the words of the KPU forms.

    I. data pemilih and pengguna hak pilih (L/P where the DPT has it), II. the
    ballots (sah, kosong, dibatalkan, cetak ulang), III. votes per candidate,
    IV. the reconciliation checks, the QR the saksi scan, the verification code
    (small), and a signature line for the ketua, each KPPS member and one saksi
    per candidate.  The signed statement's QR code(s) are sized for ``paper`` by
    :func:`booth.paper.qr.plan`: a long statement prints as numbered parts.
    """
    page = Page(paper)
    _title(
        page, "BERITA ACARA", "Official record of the vote count", data.copy_number, subtitle="HASIL PENGHITUNGAN SUARA"
    )
    _election(page, data.election)
    if data.polls_closed_at is not None:
        page.row(("Pemungutan ditutup", "Polls closed"), jam(data.polls_closed_at), right_style=BODY_BOLD)

    counts = data.reconciliation
    _section(page, "I. DATA PEMILIH DAN PENGGUNA HAK PILIH", "Voters and turnout")
    dpt = data.dpt or Persons(counts.dpt)
    dptb = data.dptb or Persons(counts.dptb)
    voted = data.voted or Persons(counts.voted)
    everyone = _add(dpt, dptb)
    with page.region("voters"):
        _persons_table(
            page,
            [
                (("Pemilih dalam DPT", "On the final voter list"), dpt),
                (("Pemilih tambahan (DPTb)", "Added on the day"), dptb),
                (("Jumlah pemilih", "All voters"), everyone),
                (("Pengguna hak pilih", "Voters who voted"), voted),
                (("Tidak menggunakan hak pilih", "Did not vote"), _less(everyone, voted)),
            ],
        )

    _section(page, "II. DATA SURAT SUARA", "Ballots")
    with page.region("ballots"):
        rows = [(("Surat suara sah untuk calon", "Valid votes for candidates"), data.candidate_votes)]
        if data.blank_votes is not None:
            rows.append((("Suara kosong", "Blank votes"), data.blank_votes))
        rows += [
            (("Surat suara tercatat", "Ballots cast"), counts.ballots_cast),
            (("Surat suara dibatalkan (struk disanggah)", "Spoiled: slip disputed"), counts.spoiled),
            (("Struk dicetak ulang", "Slips reprinted"), counts.reprints),
            (("Pelepasan dibatalkan", "Cancelled releases"), counts.cancelled_releases),
            (("Ditolak (sudah memilih)", "Refused: already voted"), counts.refused_repeat_voters),
        ]
        page.table([_LABEL, _VALUE], [[label, str(value)] for label, value in rows], lines=False)

    _section(page, "III. PEROLEHAN SUARA", "Votes per candidate")
    _candidate_table(page, data.results, bars=True)
    page.rule(pad=4)
    page.table_row(
        [_LABEL, _VOTES], [("Jumlah suara sah untuk calon", "Votes for candidates"), str(data.candidate_votes)]
    )
    if data.blank_votes is not None:
        page.table_row([_LABEL, _VOTES], [("Suara kosong", "Blank votes"), str(data.blank_votes)])
        page.table_row([_LABEL, _VOTES], [("Jumlah seluruh suara", "All votes"), str(data.total_votes)])
    page.text("Persentase dari suara sah untuk calon.", SMALL)
    page.text("Percentages are of the votes for candidates.", SMALL)

    _section(page, "IV. REKONSILIASI", "Reconciliation: the counts that must agree")
    _reconciliation(page, counts, data.total_votes)

    _section(page, "QR HASIL UNTUK SAKSI", "Results QR code, signed by the device")
    print_statement(page, data.qr_payload)
    page.text(
        "Saksi: pindai dengan aplikasi saksi booth (/saksi/ di server rekap), tanpa internet.", BODY, align="center"
    )
    page.text(
        "Witnesses: scan it with the booth saksi app (/saksi/ on the recap server), offline.", SMALL, align="center"
    )

    _verification_code(page, data.election, data.device_fingerprint, data.checkpoint, full_text=True)
    _printed(page, data.printed_at)
    _signatures(page, data.results, data.ketua_title, data.ketua_name, data.members)
    _footer(page, data.copy_number)
    return page.render()


def render_station_report(data: StationReportData, paper: Paper = PAPER_58) -> Image.Image:
    """Lay out the station results report: the station's total, then each booth, then the signed QR.

    I. the station's votes per candidate (bars, percentages), II. per booth its number and
    fingerprint, releases issued, cast, cancelled (and still out), slips disputed, the check
    "izin = dipakai + dibatalkan" and its votes per candidate, or, for a booth merged into the total
    (small counts expose voters), the words that its votes are only in the total; III. the verdict;
    the desk's signed station results as QR code(s) (regions ``qr``, ``qr-i``), the verification
    code, signatures.  Regions ``booth-N`` hold each booth's lines.
    """
    page = Page(paper)
    _title(page, "BERITA ACARA", "Station results: the desk and its booths", data.copy_number, subtitle="HASIL TPS")
    _election(page, data.election)
    page.row(("Bilik suara", "Booths"), str(len(data.booths)), right_style=BODY_BOLD)

    _section(page, "I. PEROLEHAN SUARA TPS", "Votes per candidate, all booths")
    with page.region("total"):
        _candidate_table(page, data.results, bars=True)
        page.rule(pad=4)
        page.table_row([_LABEL, _VOTES], [("Jumlah suara sah TPS", "Valid votes at the station"), str(data.votes)])

    _section(page, "II. PER BILIK SUARA", "Per booth: releases from the desk and votes")
    for booth in data.booths:
        with page.region(f"booth-{booth.number}"):
            page.space(6)
            page.text(f"Bilik {booth.number} / Booth {booth.number}", HEADING)
            page.text(short_hex(booth.fingerprint), SMALL_MONO)
            for k, old in enumerate(booth.replaced, start=1):
                with page.region(f"booth-{booth.number}-replaced-{k}"):
                    page.text("Perangkat sebelumnya (diganti):", SMALL)
                    page.text("Earlier device (replaced):", SMALL)
                    page.text(short_hex(old), SMALL_MONO)
            rows = [
                ("issued", ("Izin dari meja", "Releases issued"), booth.issued),
                ("cast", ("Izin dipakai (suara)", "Ended in a cast"), booth.cast),
                ("cancelled", ("Izin dibatalkan", "Cancelled"), booth.cancelled),
                ("spoils", ("Struk disanggah", "Spoiled: slip disputed"), booth.spoils),
            ]
            if booth.out:
                rows.append(("out", ("Izin belum kembali", "Still out"), booth.out))
            if booth.after_cancel:
                rows.append(("after_cancel", ("Dipakai setelah dibatalkan", "Cast after a cancel"), booth.after_cancel))
            for key, label, value in rows:  # region booth-N-<key>: one row, read back by the tests
                with page.region(f"booth-{booth.number}-{key}"):
                    page.table_row([_LABEL, _VOTES], [label, str(value)])
            accounted = booth.issued == booth.cast + booth.cancelled and booth.out == 0
            page.table_row(
                [Column(None, "left", BODY), Column(60, "right", BODY_BOLD)],
                [("Izin = dipakai + dibatalkan", "Releases = cast + cancelled"), "YA" if accounted else "TIDAK"],
                invert=not accounted,
            )
            if booth.results is None:
                page.text("Suara bilik ini hanya dalam jumlah TPS (sedikit pemilih).", BODY_BOLD)
                page.text("Its votes are only in the station total (few voters).", SMALL)
            else:
                _candidate_table(page, booth.results)
        page.rule(dashed=True, pad=4)

    _section(page, "III. REKONSILIASI", "Every booth's releases and votes agree with the desk")
    with page.region("verdict"):
        if data.balanced:
            page.text("SESUAI", TITLE, align="center", invert=True)
            page.text("The counts agree", SMALL, align="center")
        else:
            page.text("TIDAK SESUAI", TITLE, align="center", invert=True)
            page.text("The counts do NOT agree — see the booths marked TIDAK", SMALL, align="center")

    _section(page, "QR HASIL TPS UNTUK SAKSI", "Station results QR code, signed by the desk")
    print_statement(page, data.qr_payload)
    page.text("Ditandatangani kunci meja; periksa dengan booth.", BODY, align="center")
    page.text("Signed by the desk's key; check it with booth.", SMALL, align="center")

    _verification_code(page, data.election, data.desk_fingerprint, data.checkpoint)
    _printed(page, data.printed_at)
    _signatures(page, data.results, data.ketua_title, data.ketua_name, data.members)
    _footer(page, data.copy_number)
    return page.render()


def render_custody_slip(data: CustodySlipData) -> Image.Image:
    """Lay out the custody slip: the trail of who had the device, when and where."""
    page = Page()
    _title(page, "TANDA TERIMA", "Custody receipt: chain of custody of the device", None, subtitle="JEJAK SERAH TERIMA")
    if data.election is not None:
        _election(page, data.election, with_hours=False)
    page.rule(pad=6)
    page.text("Sidik Perangkat", BODY_BOLD, align="center")  # the device changing hands, named at the top
    page.text("Device fingerprint", SMALL, align="center")
    page.text(short_hex(data.device_fingerprint), MONO_BIG, align="center")

    _section(page, "RIWAYAT", "Trail")
    if not data.steps:
        page.text("Belum ada serah terima tercatat.", BODY)
        page.text("No custody step recorded yet.", SMALL)
    for index, step in enumerate(data.steps, start=1):
        if index > 1:
            page.rule(dashed=True, pad=4)
        page.table_row(
            [Column(40, "left", BODY_BOLD), Column(None, "left", BODY_BOLD)], [f"{index}.", (step.stage, step.stage_en)]
        )
        indent = 40
        page.text(f"Waktu: {waktu(step.at)}", BODY_BOLD, indent=indent)
        page.text(f"Petugas: {step.companion_name} ({step.companion_id})", BODY, indent=indent)
        page.text(f"Tempat: {step.place}", BODY, indent=indent)
        if step.note:
            page.text(f"Catatan: {step.note}", BODY, indent=indent)

    page.space(8)
    with page.region("qr"):
        page.qr(data.checkpoint, max_module=4)
    page.text("QR: catatan pemeriksaan terakhir yang ditandatangani", SMALL, align="center")
    page.text("QR: the latest signed checkpoint note", SMALL, align="center")
    _verification_code(page, data.election, data.device_fingerprint, data.checkpoint)

    _printed(page, data.printed_at)
    page.space(6)
    page.signatures([("Yang menyerahkan\nHanded over by", ""), ("Yang menerima\nReceived by", "")])
    page.space(30)
    return page.render()


def render_self_test(data: SelfTestData) -> Image.Image:
    """Lay out the self-test page: OK/GAGAL per device and a test pattern for the print head."""
    page = Page()
    _title(page, "UJI PERANGKAT", "Device self-test", None)
    if data.software_version:
        page.row(
            ("Versi perangkat lunak", "Software version"), data.software_version, style=BODY, right_style=BODY_BOLD
        )
    _fingerprint(page, data.device_fingerprint)

    _section(page, "HASIL UJI", "Results")
    for check in data.checks:
        page.table_row(
            [Column(None, "left", BODY_BOLD), Column(110, "right", HEADING)],
            [(check.device, check.device_en if check.device_en != check.device else ""), "OK" if check.ok else "GAGAL"],
            invert=not check.ok,
        )
        if check.detail:
            page.text(check.detail, SMALL, indent=12)
        page.rule(dashed=True, pad=3)
    failed = [c for c in data.checks if not c.ok]
    page.space(4)
    if failed:
        page.text(f"{len(failed)} GAGAL — panggil teknisi", HEADING, align="center", invert=True)
        page.text(f"{len(failed)} failed — call a technician", SMALL, align="center")
    else:
        page.text("SEMUA OK", TITLE, align="center", invert=True)
        page.text("All devices passed", SMALL, align="center")

    _section(page, "POLA UJI CETAK", "Print test pattern")
    _test_pattern(page)

    _printed(page, data.printed_at)
    if data.companion_name:
        page.text(f"Petugas / Companion: {data.companion_name}", BODY)
    page.space(30)
    return page.render()


# --- pieces shared by the reports -------------------------------------------------


def _title(page: Page, title: str, english: str, copy_number: int | None, subtitle: str = "") -> None:
    page.space(10)
    page.text(title, TITLE, align="center")
    if subtitle:
        page.text(subtitle, HEADING, align="center")
    page.text(english, SMALL, align="center")
    if copy_number is not None:
        page.text(f"Salinan ke-{copy_number}", BODY_BOLD, align="center")
        page.text(f"Copy no. {copy_number}", SMALL, align="center")
    page.rule(4)


def _section(page: Page, title: str, english: str) -> None:
    page.space(10)
    page.text(title, HEADING, align="left")
    page.text(english, SMALL)
    page.rule(pad=4)


def _election(page: Page, election: ElectionHeader, *, with_hours: bool = True) -> None:
    page.text(election.title, HEADING, align="center")
    place = f"Pekon {election.pekon}, Kec. {election.kecamatan}, Kab. {election.kabupaten}"
    if election.provinsi:
        place += f", {election.provinsi}"
    page.text(place, BODY, align="center")
    page.text(f"TPS {election.tps:02d}", HEADING, align="center")
    if election.station_device is not None:
        page.text(election.station_device[0], BODY_BOLD, align="center")
        page.text(election.station_device[1], SMALL, align="center")
    page.space(4)
    page.row(("Tanggal", "Date"), tanggal(election.date), right_style=BODY_BOLD)
    if with_hours:
        page.row(("Jam buka", "Opens"), jam(election.opens_at), right_style=BODY_BOLD)
        page.row(("Jam tutup", "Closes"), jam(election.closes_at), right_style=BODY_BOLD)


def _ids(page: Page, election: ElectionHeader | None, fingerprint: str) -> None:
    if election is not None:
        page.rule(pad=6)
        page.text("ID Pemilihan", BODY_BOLD, align="center")
        page.text("Election ID", SMALL, align="center")
        page.text(election.election_short_id, MONO_BIG, align="center")
        page.text(hex_groups(election.election_id), MONO, align="center")
    _fingerprint(page, fingerprint)


def _fingerprint(page: Page, fingerprint: str) -> None:
    page.rule(pad=6)
    page.text("Sidik Perangkat", BODY_BOLD, align="center")
    page.text("Device fingerprint", SMALL, align="center")
    page.text(short_hex(fingerprint), MONO_BIG, align="center")
    page.text(hex_groups(fingerprint), MONO, align="center")


def _checkpoint(page: Page, note: str, *, full_text: bool) -> None:
    origin, size, root = checkpoint_fields(note)
    page.bilingual("Asal", "Origin", style=BODY_BOLD)
    page.text(origin, MONO, indent=12)
    page.row(("Jumlah catatan", "Tree size"), size, right_style=MONO_BIG)
    page.bilingual("Akar", "Root hash (base64)", style=BODY_BOLD)
    page.text(root, MONO, indent=12)
    if full_text:
        page.space(4)
        page.bilingual("Teks lengkap", "The whole signed note", style=BODY_BOLD)
        page.text(note.rstrip("\n"), MONO)


def _candidate_table(page: Page, candidates: tuple[CandidateVotes, ...], *, bars: bool = False) -> None:
    """Nomor urut, name and votes on one row (region ``candidate-N``), with a share bar if asked."""
    page.table(
        [_NO, Column(None, "left", SMALL_BOLD), Column(_VOTES.width, "right", SMALL_BOLD)],
        [],
        header=["No.", ("Nama calon", "Candidate"), ("Suara", "Votes")],
    )
    whole = sum(c.votes for c in candidates)
    for index, candidate in enumerate(candidates):
        if index:
            page.rule(dashed=True, pad=2)
        with page.region(f"candidate-{candidate.number}"):
            page.table_row([_NO, _NAME, _VOTES], [str(candidate.number), candidate.name, str(candidate.votes)])
        if bars:
            page.bar(candidate.votes / whole if whole else 0.0, label=persen(candidate.votes, whole), height=22)


def _add(a: Persons, b: Persons) -> Persons:
    if None in (a.l, a.p, b.l, b.p):
        return Persons(a.total + b.total)
    return Persons(a.total + b.total, (a.l or 0) + (b.l or 0), (a.p or 0) + (b.p or 0))


def _less(a: Persons, b: Persons) -> Persons:
    if None in (a.l, a.p, b.l, b.p):
        return Persons(a.total - b.total)
    return Persons(a.total - b.total, (a.l or 0) - (b.l or 0), (a.p or 0) - (b.p or 0))


_LP = Column(62, "center", BODY_BOLD)
_JML = Column(64, "right", BODY_BOLD)


def _persons_table(page: Page, rows: list[tuple[tuple[str, str], Persons]]) -> None:
    """Rows of people with L, P and Jumlah columns, as on the KPU's C forms."""
    small = [Column(c.width, c.align, SMALL_BOLD) for c in (_LP, _LP, _JML)]
    page.table([_LABEL, *small], [], header=["Uraian", "L", "P", "Jml"])
    for label, persons in rows:
        page.table_row([_LABEL, _LP, _LP, _JML], [label, _dash(persons.l), _dash(persons.p), str(persons.total)])
    page.text("L = laki-laki (men), P = perempuan (women), Jml = jumlah (total)", SMALL)


def _dash(value: int | None) -> str:
    return "-" if value is None else str(value)


def _reconciliation(page: Page, counts: Reconciliation, total_votes: int) -> None:
    checks = reconcile(counts, total_votes)
    for check in checks:
        page.table_row(
            [Column(None, "left", BODY), Column(60, "right", BODY_BOLD)],
            [(check.rule, check.rule_en), "YA" if check.ok else "TIDAK"],
            invert=not check.ok,
        )
    page.space(6)
    with page.region("verdict"):
        if all(c.ok for c in checks):
            page.text("SESUAI", TITLE, align="center", invert=True)
            page.text("The counts agree", SMALL, align="center")
        else:
            page.text("TIDAK SESUAI", TITLE, align="center", invert=True)
            page.text("The counts do NOT agree — see the lines marked TIDAK", SMALL, align="center")


def _verification_code(
    page: Page, election: ElectionHeader | None, fingerprint: str, note: str, *, full_text: bool = False
) -> None:
    """The engineering data, small, under one plain heading: what the saksi app and auditors compare."""
    origin, size, root = checkpoint_fields(note)
    with page.region("verification"):
        page.space(10)
        page.text("Kode pemeriksaan / verification code", SMALL_BOLD)
        page.rule(pad=3)
        page.text("Sidik perangkat / Device fingerprint", SMALL)
        page.text(short_hex(fingerprint), MONO_BOLD, align="center")
        page.text(hex_groups(fingerprint), SMALL_MONO, align="center")
        if election is not None:
            page.text("ID pemilihan / Election ID", SMALL)
            page.text(election.election_short_id, MONO_BOLD, align="center")
            page.text(hex_groups(election.election_id), SMALL_MONO, align="center")
        page.row(("Jumlah catatan", "Log entries"), size, style=SMALL, right_style=MONO_BOLD)
        if full_text:  # the whole signed note: origin, size, root and the device's signature
            page.text(note.rstrip("\n"), SMALL_MONO)
        else:
            page.text(f"{origin}\n{root}", SMALL_MONO)


def _printed(page: Page, moment: datetime) -> None:
    page.space(10)
    page.row(("Dicetak", "Printed"), waktu(moment), right_style=BODY)


def _signatures(
    page: Page,
    candidates: tuple[CandidateVotes, ...],
    ketua_title: str,
    ketua_name: str,
    members: tuple[Signer, ...] = (),
) -> None:
    """The ketua, every KPPS member, one saksi per candidate (names printed where known)."""
    _section(page, "TANDA TANGAN", "Signatures")
    boxes = [(ketua_title, ketua_name)]
    boxes += [(m.role, m.name) for m in members]
    with page.region("signatures"):
        page.signatures(boxes)
        page.space(6)
        page.signatures([(f"Saksi Calon\nNomor Urut {c.number}", "") for c in candidates])


def _footer(page: Page, copy_number: int) -> None:
    page.rule(pad=6)
    page.text(f"Salinan ke-{copy_number} · akhir laporan", SMALL, align="center")
    page.text("End of report", SMALL, align="center")
    page.space(30)


# The characters booth prints: the self-test page shows every one, so a
# missing glyph or a broken font shows up at installation, not on the day.
CHARSET = "ABCDEFGHIJKLM NOPQRSTUVWXYZ\nabcdefghijklm nopqrstuvwxyz\n0123456789\n.,:;!?-–—·/\\()[]+=%#&'\"≤≥_@"


def _test_pattern(page: Page) -> None:
    page.bilingual("Abu-abu (dithering)", "Grey bars", style=SMALL_BOLD)
    bars = page._canvas(48)
    width = (page.content_width - 4 * 8) // 5
    shades = (0.125, 0.25, 0.5, 0.75, 1.0)
    for index, darkness in enumerate(shades):
        bars.paste(dithered(width, 48, darkness), (MARGIN + index * (width + 8), 0))
    page.add(bars, exact=True)
    page.table_row(
        [Column(width + 8, "center", SMALL)] * 4 + [Column(None, "center", SMALL)],
        [persen(round(d * 1000), 1000).replace(",0", "") for d in shades],
    )
    page.space(8)

    page.bilingual("Garis 1, 2, 3, 4 titik", "Lines 1-4 dots", style=SMALL_BOLD)
    ladder = page._canvas(84)
    draw = ImageDraw.Draw(ladder)
    for index, thickness in enumerate((1, 2, 3, 4)):
        y = 4 + index * 12
        draw.rectangle((MARGIN, y, MARGIN + 170, y + thickness - 1), fill=0)
        x = 200 + index * 40
        draw.rectangle((x, 4, x + thickness - 1, 80), fill=0)
    draw.rectangle((MARGIN, 60, MARGIN + 170, 80), outline=0, width=LINE)
    page.add(ladder, exact=True)
    page.space(8)

    page.bilingual("Huruf dan angka", "Character set", style=SMALL_BOLD)
    page.text(CHARSET, BODY)
    page.text(CHARSET, BODY_BOLD)
    page.text(CHARSET, MONO)
    page.text("Nomor 0123456789", HEADING)
