"""Example data for every printed item, and a command that renders them all to PNG.

A fictional election in "Pekon Sukamaju, Kec. Pagelaran, Kab. Pringsewu"
with three candidates (one with a long name).  Hashes, checkpoints and
signatures are made up but have the real shapes and lengths, so the examples
test the layout with what the day really prints::

    python3 -m booth_dev.paper_examples OUT_DIR

writes ``slip.png``, ``slip-kosong.png``, ``slip-cetak-ulang.png``,
``slip-batal.png``, ``zero-report.png``,
``results-report.png``, ``results-report-9-calon.png``,
``custody-slip.png``, ``self-test.png`` and ``self-test-gagal.png``.
"""

from __future__ import annotations

import base64
import hashlib
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from booth.paper.layout import to_png
from booth.paper.reports import (
    CandidateVotes,
    CustodySlipData,
    CustodyStep,
    DeviceCheck,
    ElectionHeader,
    Persons,
    Reconciliation,
    ResultsReportData,
    SelfTestData,
    Signer,
    ZeroReportData,
    render_custody_slip,
    render_results_report,
    render_self_test,
    render_zero_report,
)
from booth.paper.slip import SlipData, render_slip, slip_length_mm, void_slip, voters_per_roll

WIB = timezone(timedelta(hours=7), "WIB")
DAY = date(2025, 11, 16)

CANDIDATES = (
    (1, "SUPRIYADI"),
    (2, "KI AGENG RADEN MAS SUTOPO HADIKUSUMO WIRYOPRANOTO, S.Pd.I., M.M."),
    (3, "DEWI ANGGRAINI"),
)

# The nine longest names a committee might type (60 characters each): the worst case.
NINE_LONG_NAMES = tuple(
    (n, f"{name} BIN HADIKUSUMO WIRYOPRANOTO SASTROWARDOYO MANGKUNEGORO"[:60])
    for n, name in enumerate(
        [
            "SUPRIYADI",
            "SITI AMINAH",
            "BAMBANG SUTRISNO",
            "NUR HIDAYAH",
            "AHMAD FAUZI",
            "SRI WAHYUNI",
            "JOKO SUSILO",
            "RINI ASTUTI",
            "MUHAMMAD RIDWAN",
        ],
        start=1,
    )
)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _hex(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def _short_id(hex_digest: str) -> str:
    # the same rule as booth.election_package.short_id (first 60 bits, Crockford base32)
    bits = int(hex_digest[:16], 16) >> 4
    chars = "".join(_CROCKFORD[(bits >> (5 * k)) & 31] for k in range(11, -1, -1))
    return f"{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


ELECTION_ID = _hex("example election manifest: Pekon Sukamaju 2025")
DEVICE_FINGERPRINT = _hex("example device public key")
ORIGIN = "booth/" + DEVICE_FINGERPRINT[:16]


def example_checkpoint(size: int) -> str:
    """A checkpoint note with the real shape: origin, size, root, blank line, one signature."""
    root = base64.b64encode(hashlib.sha256(f"root {size}".encode()).digest()).decode()
    text = f"{ORIGIN}\n{size}\n{root}\n"
    key_id = hashlib.sha256(ORIGIN.encode()).digest()[:4]
    signature = hashlib.sha512(text.encode()).digest()  # 64 bytes, like Ed25519
    return f"{text}\n\u2014 {ORIGIN} {base64.b64encode(key_id + signature).decode()}\n"


def example_election(allow_blank: bool = True) -> ElectionHeader:
    """The fictional election: Pekon Sukamaju, TPS 01, Sunday 16 November 2025, 07:00-13:00 WIB."""
    return ElectionHeader(
        title="Pemilihan Kepala Pekon Sukamaju 2025",
        pekon="Sukamaju",
        kecamatan="Pagelaran",
        kabupaten="Pringsewu",
        provinsi="Lampung",
        tps=1,
        date=DAY,
        opens_at=datetime(2025, 11, 16, 7, 0, tzinfo=WIB),
        closes_at=datetime(2025, 11, 16, 13, 0, tzinfo=WIB),
        election_id=ELECTION_ID,
        election_short_id=_short_id(ELECTION_ID),
    )


def example_slip(candidate_number: int | None = 2, ballot_id: str = "9f2c41d07be3a5586c0e1f2a3b4c5d6e") -> SlipData:
    """A slip for candidate 2 (the long name); ``None`` for a blank vote."""
    names = dict(CANDIDATES)
    return SlipData(
        election_title="Pemilihan Kepala Pekon Sukamaju 2025",
        pekon="Sukamaju",
        tps=1,
        election_short_id=_short_id(ELECTION_ID),
        ballot_id=ballot_id,
        candidate_number=candidate_number,
        candidate_name=names[candidate_number] if candidate_number else "",
    )


def example_zero_report() -> ZeroReportData:
    """The zero report at 06:52 WIB: every candidate at 0, an empty store, checkpoint 5 events."""
    return ZeroReportData(
        election=example_election(),
        device_fingerprint=DEVICE_FINGERPRINT,
        candidates=tuple(CandidateVotes(n, name, 0) for n, name in CANDIDATES),
        blank_votes=0,
        ballots_in_store=0,
        checkpoint=example_checkpoint(5),
        printed_at=datetime(2025, 11, 16, 6, 52, tzinfo=WIB),
        ketua_name="SUGIYANTO",
        dpt=Persons(312, 160, 152),
        members=MEMBERS,
    )


MEMBERS = (
    Signer("Anggota KPPS", "DEWI ANGGRAINI"),
    Signer("Anggota KPPS", "RAHMAT HIDAYAT"),
    Signer("Pendamping teknis", "YUDI PRASETYO"),
)


def example_results_payload(length: int = 700) -> str:
    """A signed-results QR text of the given length (the real one comes from the core)."""
    body = (
        f"BOOTH1:R:{_short_id(ELECTION_ID).replace('-', '')}:{ORIGIN}:297:"
        "1=132,2=118,3=37,K=5:DPT=312,DPTB=3,H=294,M=292,S=292:"
    )
    filler = base64.b64encode(hashlib.sha512(body.encode()).digest() * 12).decode()
    return (body + filler)[:length]


def example_results_report(
    candidates: Sequence[tuple[int, str]] = CANDIDATES, votes: Sequence[int] = (132, 118, 37), copy_number: int = 2
) -> ResultsReportData:
    """The results report, copy 2: 292 ballots, 5 blank, reconciliation in balance."""
    votes = tuple(votes) + (0,) * (len(candidates) - len(votes))
    total = sum(votes) + 5
    return ResultsReportData(
        election=example_election(),
        device_fingerprint=DEVICE_FINGERPRINT,
        results=tuple(CandidateVotes(n, name, v) for (n, name), v in zip(candidates, votes, strict=False)),
        blank_votes=5,
        reconciliation=Reconciliation(
            dpt=312,
            dptb=3,
            checked_in=total + 2,
            voted=total,
            ballots_cast=total + 1,  # one voter disputed a slip: that ballot was spoiled, they voted again
            slips_printed=total + 1,
            reprints=2,
            cancelled_releases=2,
            refused_repeat_voters=1,
            spoiled=1,
        ),
        checkpoint=example_checkpoint(total + 9),
        qr_payload=example_results_payload(),
        printed_at=datetime(2025, 11, 16, 14, 5, tzinfo=WIB),
        polls_closed_at=datetime(2025, 11, 16, 13, 0, tzinfo=WIB),
        ketua_name="SUGIYANTO",
        copy_number=copy_number,
        dpt=Persons(312, 160, 152),
        dptb=Persons(3, 2, 1),
        voted=Persons(total, total // 2 + 3, total - total // 2 - 3),
        members=MEMBERS,
    )


def example_custody_slip() -> CustodySlipData:
    """The custody slip printed at installation: received, distributed, handed over, installed."""

    def at(d: int, h: int, m: int) -> datetime:
        return datetime(2025, 11, d, h, m, tzinfo=WIB)

    steps = (
        CustodyStep(
            "Perangkat diterima",
            "Device received",
            at(12, 9, 15),
            "RIZKY PRATAMA",
            "PT-02",
            "Gudang Dinas PMD Kab. Pringsewu",
            "Segel utuh, nomor 004512",
        ),
        CustodyStep(
            "Perangkat didistribusikan",
            "Device distributed",
            at(14, 8, 30),
            "RIZKY PRATAMA",
            "PT-02",
            "Kantor Kecamatan Pagelaran",
        ),
        CustodyStep(
            "Serah terima di desa/pekon",
            "Handed over at the village",
            at(15, 10, 5),
            "DEWI ANGGRAINI",
            "PT-03",
            "Balai Pekon Sukamaju",
            "Diterima oleh Ketua KPPS Sugiyanto, disaksikan Babinsa",
        ),
        CustodyStep(
            "Perangkat dipasang dan diuji",
            "Device installed and self-tested",
            at(16, 6, 20),
            "DEWI ANGGRAINI",
            "PT-03",
            "TPS 01 Pekon Sukamaju",
        ),
    )
    return CustodySlipData(
        device_fingerprint=DEVICE_FINGERPRINT,
        steps=steps,
        checkpoint=example_checkpoint(4),
        printed_at=at(16, 6, 25),
        election=example_election(),
    )


def example_self_test(failing: tuple[str, ...] = ()) -> SelfTestData:
    """The self-test page; name devices in ``failing`` (e.g. ``("Daya",)``) to see GAGAL."""
    checks = [
        ("Tombol", "Buttons", "6 dari 6 tombol ditekan"),
        ("Lampu LED", "LEDs", "4 dari 4 menyala"),
        ("Buzzer", "Buzzer", "bunyi terdengar"),
        ("Printer", "Printer", "kertas cukup, tutup rapat"),
        ("Kamera", "Camera", "1280x720, wajah terdeteksi"),
        ("Jam", "Clock", "16-11-2025 06:18 WIB, selisih 2 detik"),
        ("Daya", "Power", "listrik PLN, baterai UPS 100%"),
    ]
    return SelfTestData(
        device_fingerprint=DEVICE_FINGERPRINT,
        checks=tuple(
            DeviceCheck(
                d, en, d not in failing, "baterai UPS 18% — isi daya" if d in failing and d == "Daya" else detail
            )
            for d, en, detail in checks
        ),
        printed_at=datetime(2025, 11, 16, 6, 18, tzinfo=WIB),
        software_version="booth 0.1.0",
        companion_name="DEWI ANGGRAINI (PT-03)",
    )


def paper_budget() -> list[tuple[str, int, float, int]]:
    """What one voter costs in paper, measured on the rendered slips.

    ``(which slip, dots long, mm with the printer's feed, voters per 58 mm x 30 m roll)``
    for the example candidates; docs/paper.md carries the same figures (a test checks).
    """
    rows = []
    for label, data in (
        ("nomor urut 1, SUPRIYADI", example_slip(1)),
        ("nomor urut 3, DEWI ANGGRAINI", example_slip(3)),
        ("suara kosong", example_slip(None)),
        ("nomor urut 2, a 63-character name", example_slip(2)),
    ):
        image = render_slip(data)
        mm = slip_length_mm(image)
        rows.append((label, image.height, mm, voters_per_roll(mm)))
    return rows


def render_all(out_dir: str | Path) -> list[Path]:
    """Render every example item into ``out_dir``; returns the PNG paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = {
        "slip.png": render_slip(example_slip(2)),
        "slip-kosong.png": render_slip(example_slip(None)),
        "slip-cetak-ulang.png": render_slip(replace(example_slip(3), reprint=1)),
        "slip-batal.png": void_slip(
            election_short_id=_short_id(ELECTION_ID), ballot_id=example_slip().ballot_id, pekon="Sukamaju", tps=1
        ),
        "zero-report.png": render_zero_report(example_zero_report()),
        "results-report.png": render_results_report(example_results_report()),
        "results-report-9-calon.png": render_results_report(
            example_results_report(NINE_LONG_NAMES, votes=(61, 55, 48, 40, 33, 27, 15, 8, 0))
        ),
        "custody-slip.png": render_custody_slip(example_custody_slip()),
        "self-test.png": render_self_test(example_self_test()),
        "self-test-gagal.png": render_self_test(example_self_test(failing=("Daya",))),
    }
    paths = []
    for name, image in items.items():
        to_png(image, out / name)
        paths.append(out / name)
    return paths


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python3 -m booth_dev.paper_examples OUT_DIR", file=sys.stderr)
        return 2
    for path in render_all(args[0]):
        print(path)
    for label, dots, mm, voters in paper_budget():
        print(f"slip ({label}): {dots} dots = {mm:.1f} mm with the feed; one 58 mm x 30 m roll = {voters} voters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
