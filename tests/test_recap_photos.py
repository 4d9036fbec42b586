"""The results report's QR from a phone photo: what a companion sends when the bundle cannot come yet.

A real day through the core prints its results report with the kiosk's own renderer; the
paper is "photographed" lying on a table (booth.recap.demo_evening.photograph: at an angle,
in perspective, blurred, noisy, dim, as a JPEG) and read back with zxing-cpp to the exact
signed statement.  Files that are not photos of a QR — no QR, not an image, too large, a
decompression bomb — are refused with their reason and leave nothing in the recap, through
``Recap.submit_photo`` and through ``booth recap ingest`` as a real process.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from booth import qr_parts
from booth.election_package import load_package
from booth.kiosk.printouts import results_report_image, zero_report_image
from booth.paper.layout import BODY_BOLD, Page
from booth.recap.api import MAX_PHOTO_BYTES, RecapError
from booth.recap.core import join_parts
from booth.recap.demo_evening import photograph, report_crop
from booth.recap.photos import PhotoError, statements_in_image
from booth.recap.registry import registration_from_package
from booth.recap.start import open_recap
from recap_days import tps_package
from recap_evening import copy_evening, small_evening
from service_day import (
    closes_at,
    fast_tmp,
    open_polls,
    print_zero_report,
    provision,
    vote,
    walk_custody,
)

ROOT = Path(__file__).resolve().parents[1]


def booth(*argv, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "booth", "recap", *map(str, argv)],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def day():
    """TPS 03 Sukamaju: 26 voters, counted; its printed reports, its bundle and its registration."""
    root = fast_tmp("booth-recap-photos-")
    package_dir = tps_package(root, pekon="Sukamaju", tps=3, voters=30, seed=31, allow_blank=True)
    b = provision(root / "state", package_dir=package_dir)
    walk_custody(b)
    zero = print_zero_report(b)
    open_polls(b)
    for voter, choice in zip(b.svc.package.voters, ["1", "2", "2", "3", "blank", "2"] * 5, strict=False):
        if voter.dpt_number > 26:
            break
        vote(b.svc, voter.ref, choice)
    b.clock.set(closes_at())
    token = b.sign_in()
    b.svc.close_polls(token)
    b.svc.count(token)
    results = b.svc.results()
    b.svc.results_printed(token)
    b.svc.export(token, str(root / "tps03-hasil.zip"))
    vkey = b.svc.ledger.key.verifier_key()
    b.close()
    report = results_report_image(results)
    registry = {
        "format": "booth-recap-registry-v1",
        "devices": [registration_from_package(load_package(package_dir), vkey)],
    }
    (root / "registry.json").write_text(json.dumps(registry))
    return {
        "root": root,
        "statement": results["statement"],
        "report": report,
        "zero_report": zero_report_image(zero),
        "bundle": (root / "tps03-hasil.zip").read_bytes(),
        "registry": root / "registry.json",
        "tally": dict(results["tally"]),
    }


def recap_for(day, tmp_path):
    recap = open_recap(tmp_path / "rekap", workers=0)
    recap.import_registry(day["registry"].read_bytes(), by="uji")
    return recap


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# ------------------------------------------------------------ photos that read
PHOTOS = {
    "held straight": {"angle": 0},
    "turned 15 degrees": {"angle": 15, "tilt": 0.08},
    "turned 30 degrees": {"angle": -30, "tilt": 0.12},
    "phone sideways": {"angle": 90},
    "strong perspective": {"angle": 6, "tilt": 0.4},
    "a shaky hand (blur)": {"angle": 10, "blur": 2.0},
    "JPEG quality 60": {"angle": 12, "quality": 60, "noise": 10},
    "a dim room": {"angle": 8, "light": 0.4, "noise": 8},
    "dim, turned and soft": {"angle": -20, "light": 0.3, "tilt": 0.2, "blur": 1.2},
    "an old phone (480 x 640)": {"angle": 5, "size": (480, 640)},
    "a 12 MP phone": {"angle": -12, "tilt": 0.15, "size": (3000, 4000)},
}


@pytest.mark.parametrize("how", list(PHOTOS))
def test_a_phone_photo_of_the_results_report_reads_back_to_the_exact_signed_statement(day, how):
    data = photograph(report_crop(day["report"]), seed=7, **PHOTOS[how])
    assert data[:2] == b"\xff\xd8"
    assert join_parts(statements_in_image(data)) == [day["statement"]]


@pytest.mark.parametrize("kind", ["PNG", "WEBP", "TIFF", "BMP"])
def test_a_flatbed_scan_of_the_whole_strip_reads_too(day, kind):
    out = io.BytesIO()
    day["report"].convert("L").save(out, kind, **({"lossless": True} if kind == "WEBP" else {}))
    assert join_parts(statements_in_image(out.getvalue())) == [day["statement"]]


def test_a_phone_photo_stored_sideways_with_its_exif_orientation_reads(day):
    upright = Image.open(io.BytesIO(photograph(report_crop(day["report"]), angle=4, seed=8)))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to show": what a phone held sideways writes
    out = io.BytesIO()
    upright.rotate(90, expand=True).save(out, "JPEG", quality=85, exif=exif)
    assert join_parts(statements_in_image(out.getvalue())) == [day["statement"]]


def test_a_gif_is_not_taken_for_a_photo(day):
    out = io.BytesIO()
    day["report"].convert("L").save(out, "GIF")
    with pytest.raises(PhotoError) as refused:
        statements_in_image(out.getvalue())
    assert refused.value.code == "not_an_image" and "JPEG, PNG, WebP" in refused.value.en


def test_a_report_photographed_and_submitted_counts_provisionally_then_its_bundle_verifies_it(day, tmp_path):
    recap = recap_for(day, tmp_path)
    [outcome] = recap.submit_photo(
        photograph(report_crop(day["report"]), angle=22, tilt=0.2, seed=3), filename="IMG_2041.jpg", by="Budi"
    )
    assert outcome.accepted and outcome.submission.kind == "statement" and outcome.receipt is not None
    [place] = recap.places()
    assert place.state == "provisional" and place.result is not None
    assert place.result.tally == day["tally"]
    assert place.result.total == sum(day["tally"].values()) == 26
    bundle = recap.submit_bundle(day["bundle"], source="upload", filename="tps03-hasil.zip")
    assert bundle.accepted
    [place] = recap.places()
    assert place.state == "verified"
    assert place.result is not None and place.result.statement_sha256 == outcome.submission.result.statement_sha256
    assert place.result.ballots == 26
    recap.close()


def _two_part_page(statement: str) -> Image.Image:
    """A report whose long statement prints as two numbered QR codes, one under the other."""
    parts = qr_parts.split(statement, len(statement.encode()) // 2 + 40)
    assert len(parts) == 2
    page = Page()
    for i, part in enumerate(parts, 1):
        page.text(f"QR HASIL {i}/2", BODY_BOLD, align="center")
        page.qr(part, min_module=3, max_module=4)
    return page.render()


def test_a_two_part_qr_report_is_read_in_one_photo_and_joined_into_the_one_statement(day, tmp_path):
    page = _two_part_page(day["statement"])
    data = photograph(page, angle=-9, tilt=0.12, seed=5)
    found = statements_in_image(data)
    assert len(found) == 2 and all(p.startswith("B1 ") for p in found)
    assert join_parts(found) == [day["statement"]]
    recap = recap_for(day, tmp_path)
    [outcome] = recap.submit_photo(data, filename="dua-qr.jpg")
    assert outcome.accepted and recap.places()[0].state == "provisional"
    recap.close()


def test_half_of_a_two_part_qr_is_refused_naming_the_missing_part_and_nothing_is_stored(day, tmp_path):
    page = _two_part_page(day["statement"])
    top = page.crop((0, 0, page.width, page.height // 2))
    data = photograph(top, angle=4, seed=2)
    assert len(statements_in_image(data)) == 1
    recap = recap_for(day, tmp_path)
    with pytest.raises(RecapError) as refused:
        recap.submit_photo(data, filename="setengah.jpg")
    assert "QR berbagian tidak lengkap" in refused.value.id and "part 2 of 2" in refused.value.en
    assert recap.submissions() == []
    recap.close()


def test_the_zero_reports_qr_is_refused_as_not_the_results_report(day, tmp_path):
    data = photograph(report_crop(day["zero_report"]), angle=10, seed=4)
    recap = recap_for(day, tmp_path)
    [outcome] = recap.submit_photo(data, filename="laporan-awal.jpg")
    assert outcome.refused and outcome.submission.reason_code == "zero_report_qr"
    assert "laporan awal" in (outcome.submission.reason_id or "")
    assert recap.places()[0].state == "missing"
    recap.close()


def test_every_photo_of_the_demo_evening_reads_back_to_its_polling_places_statement():
    ev = small_evening()
    photographed = [p for p in ev.places if p.photo]
    assert len(photographed) >= 5
    for place in photographed:
        assert place.photo is not None
        assert join_parts(statements_in_image((ev.out_dir / place.photo).read_bytes())) == [
            place.results[0].statement
        ], place.name


# ------------------------------------------------------------ files refused
def _png_bomb(width: int, height: int, rows: int | None = None) -> bytes:
    """A PNG of ``width`` x ``height`` grey pixels, all black, compressed ~1000:1 (``rows``: only that many
    rows of data, the header still claiming the whole height)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    body = b"".join(packer.compress(row) for _ in range(height if rows is None else rows)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _no_qr_photo(day) -> bytes:
    report = day["report"]
    top = report.info["regions"]["qr"][0]
    return photograph(report.crop((0, 0, report.width, min(top - 60, 1400))), angle=7, seed=1)


REFUSED = {
    "a photo of the tally without the QR": (_no_qr_photo, "no_qr", "Tidak ada QR yang terbaca", "No QR code"),
    "a text file named .jpg": (
        lambda day: b"hasil TPS 03: 1=5 2=11 3=5\n",
        "not_an_image",
        "Bukan foto",
        "Not a readable",
    ),
    "a PDF": (
        lambda day: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 20,
        "not_an_image",
        "Bukan foto",
        "Not a readable",
    ),
    "a JPEG cut off half way": (
        lambda day: photograph(report_crop(day["report"]), seed=9)[:30_000],
        "not_an_image",
        "Bukan foto",
        "Not a readable",
    ),
    "a file over 20 MB": (
        lambda day: photograph(report_crop(day["report"]), seed=9) + b"\x00" * MAX_PHOTO_BYTES,
        "too_large",
        "terlalu besar",
        "too large",
    ),
    "a decompression bomb (64 megapixels in a small PNG)": (
        lambda day: _png_bomb(8000, 8000),
        "too_large",
        "juta piksel",
        "megapixels",
    ),
    "a PNG claiming 900 megapixels": (
        lambda day: _png_bomb(30000, 30000, rows=10),
        "too_large",
        "terlalu besar",
        "too large",
    ),
}


@pytest.mark.parametrize("what", list(REFUSED))
def test_a_file_that_is_no_readable_photo_of_a_qr_is_refused_with_its_reason_and_nothing_is_stored(day, tmp_path, what):
    make, code, id_words, en_words = REFUSED[what]
    data = make(day)
    if code == "too_large" and len(data) > MAX_PHOTO_BYTES:
        assert len(data) > 20 * 2**20
    else:
        assert len(data) < 2**20, "the hostile files are small; their pixels are what is large"
        with pytest.raises(PhotoError) as direct:
            statements_in_image(data)
        assert direct.value.code == code and id_words in direct.value.id and en_words in direct.value.en
    recap = recap_for(day, tmp_path)
    with pytest.raises(RecapError) as refused:
        recap.submit_photo(data, filename="foto.jpg", by="Budi")
    assert id_words in refused.value.id and en_words in refused.value.en
    assert recap.submissions() == [] and recap.checkpoint() is None
    assert [p.state for p in recap.places()] == ["missing"]
    recap.close()


def test_booth_recap_ingest_refuses_each_bad_photo_on_its_own_line_and_exits_1(day, tmp_path):
    stick = tmp_path / "flashdisk"
    stick.mkdir()
    (stick / "tanpa-qr.jpg").write_bytes(_no_qr_photo(day))
    (stick / "bukan-foto.jpg").write_bytes(b"hasil TPS 03\n")
    (stick / "bom.png").write_bytes(_png_bomb(8000, 8000))
    (stick / "besar.jpg").write_bytes(b"\xff\xd8" + b"\x00" * (MAX_PHOTO_BYTES + 1))
    data = tmp_path / "rekap"
    assert booth("device", "import", "--data", data, day["registry"]).returncode == 0
    run = booth("ingest", "--data", data, *sorted(stick.iterdir()), "--workers", "0")
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("DITOLAK / REFUSED") for line in lines), lines
    words = {
        "tanpa-qr.jpg": "No QR code",
        "bukan-foto.jpg": "Not a readable photo",
        "bom.png": "megapixels",
        "besar.jpg": "too large",
    }
    for name, en in words.items():
        assert any(name in line and en in line for line in lines), (name, lines)
    assert "Traceback" not in run.stderr
    totals = json.loads(booth("totals", "--data", data, "--json").stdout)
    assert [p["state"] for p in totals["places"]] == ["missing"]
    receipt = booth("receipt", "--data", data, totals["places"][0]["election_id"])
    assert receipt.returncode == 1


def test_a_qr_only_polling_place_is_counted_provisionally_then_verified_when_its_bundle_arrives(tmp_path):
    """On the evening: the photo of TPS X's report comes first (its device's battery is flat); the
    bundle comes later on a USB stick.  Both through ``booth recap ingest`` as the committee types it."""
    folder = copy_evening(tmp_path / "malam")
    ev = small_evening()
    place = ev.place(ev.qr_only[0])
    assert place.photo and place.late_bundle
    data = tmp_path / "rekap"
    assert booth("device", "import", "--data", data, folder / "registry.json").returncode == 0
    run = booth("ingest", "--data", data, folder / place.photo, "--workers", "0")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "QR (sementara / provisional)" in run.stdout

    def state() -> dict:
        totals = json.loads(booth("totals", "--data", data, "--json").stdout)
        return next(p for p in totals["places"] if p["election_id"] == place.election_id)

    first = state()
    assert first["state"] == "provisional" and first["valid"] == sum(place.results[0].tally.values())
    run = booth("ingest", "--data", data, folder / place.late_bundle, "--workers", "1")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "bundel terverifikasi / verified bundle" in run.stdout
    then = state()
    assert then["state"] == "verified" and then["tally"] == first["tally"] and then["results"] == 1
    assert then["received_at"] == first["received_at"], "counted since the photo came"


# ------------------------------------------------------------ hostile bytes
@pytest.fixture(scope="module")
def small_photo(day):
    return photograph(report_crop(day["report"]), angle=10, seed=11, size=(480, 640), quality=80)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_photo_either_reads_or_is_refused_with_a_reason_never_a_crash(small_photo, data):
    photo = bytearray(small_photo)
    cut = data.draw(st.integers(0, len(photo)), label="kept bytes")
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(photo) - 1), st.integers(1, 255)), max_size=8))
    for where, mask in flips:
        photo[where] ^= mask
    damaged = bytes(photo[:cut])
    try:
        found = statements_in_image(damaged)
    except PhotoError as exc:
        assert exc.code in ("not_an_image", "too_large", "no_qr") and exc.id and exc.en
    else:
        assert all(isinstance(text, str) and text for text in found)
