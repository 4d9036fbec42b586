"""The committee's signed election package: preparing, signing, checking, and every way it can go wrong."""

import base64
import hashlib
import io
import json
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth import election_cli
from booth.demo_election import make_demo_package, portrait
from booth.election_package import (
    SIGNATURE_DOMAIN,
    CommitteeKeyPair,
    PackageError,
    checks,
    load_key_pair,
    load_package,
    make_manifest,
    read_package_files,
    short_id,
    sign_package,
    write_package_zip,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "election-package.md"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    package_dir, keys = make_demo_package(out, seed=7)
    return package_dir, keys


@pytest.fixture
def package(demo, tmp_path):
    """A private copy of the signed demo package folder, to tamper with."""
    return Path(shutil.copytree(demo[0], tmp_path / "pekon-sukamaju"))


def refused(path, trusted=None) -> PackageError:
    with pytest.raises(PackageError) as caught:
        load_package(path, trusted)
    for p in caught.value.problems:
        assert p.message_en and p.message_id  # every problem in both languages
    return caught.value


def messages(error: PackageError) -> list[str]:
    return [str(p) for p in error.problems]


def edit_json(path: Path, change) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")


# --- a good package ---------------------------------------------------------------


def test_the_demo_package_loads_with_everything_the_booth_needs(demo):
    package_dir, keys = demo
    package = load_package(package_dir, keys.public)
    e = package.election
    assert (e.pekon, e.kecamatan, e.kabupaten, e.tps) == ("Sukamaju", "Pagelaran", "Pringsewu", 1)
    assert e.opens_at < e.closes_at and e.timezone_label == "WIB"
    assert e.opens_at.utcoffset().total_seconds() == 7 * 3600
    assert [c.number for c in package.candidates] == [1, 2, 3]
    assert all(package.photo_of(c)[:2] == b"\xff\xd8" for c in package.candidates)  # JPEG
    assert len(package.voters) == 300
    assert all(v.nik.startswith("1810") for v in package.voters)
    assert sorted(c.role for c in package.companions) == ["ketua", "teknisi", "teknisi"]
    assert package.committee == keys.public


def test_the_election_id_is_the_hash_of_the_signed_manifest_and_its_short_form_is_readable(demo):
    package = load_package(demo[0])
    manifest = (demo[0] / "manifest.json").read_bytes()
    assert package.election_id == hashlib.sha256(manifest).hexdigest()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", package.short_id)
    assert package.short_id == short_id(package.election_id)
    keys = demo[1].public
    keys.ed25519().verify(package.signature, SIGNATURE_DOMAIN + package.manifest)


def test_short_id_test_vectors():
    # 0x0123456789abcdef -> first 60 bits 0x0123456789abcde in 5-bit groups, Crockford alphabet
    assert short_id("0123456789abcdef" + "0" * 48) == "04HM-ASW9-NF6Y"
    assert short_id(hashlib.sha256(b"").hexdigest()) == "WERC-8GMR-ZGE1"  # e3b0c44298fc1c1...


def test_the_same_package_as_a_zip_loads_with_the_same_election_id(demo, tmp_path):
    archive = write_package_zip(demo[0], tmp_path / "paket.zip")
    assert load_package(archive, demo[1].public).election_id == load_package(demo[0]).election_id


def test_a_zip_made_with_compress_folder_on_a_laptop_loads(demo, tmp_path):
    archive = tmp_path / "pekon-sukamaju.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("pekon-sukamaju/", b"")
        for name, data in read_package_files(demo[0])[0].items():
            z.writestr(f"pekon-sukamaju/{name}", data)
        z.writestr("__MACOSX/pekon-sukamaju/._election.json", b"\x00\x05\x16\x07")
        z.writestr("pekon-sukamaju/.DS_Store", b"\x00\x00\x00\x01Bud1")
    assert load_package(archive).election_id == load_package(demo[0]).election_id


def test_loading_changes_nothing_in_the_package(package):
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in package.rglob("*") if p.is_file()}
    load_package(package)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in package.rglob("*") if p.is_file()}
    assert before == after


# --- tampering and keys ------------------------------------------------------------


def test_a_package_whose_dpt_was_edited_after_signing_is_refused(package):
    dpt = package / "dpt.csv"
    dpt.write_bytes(dpt.read_bytes().replace(b",001,001", b",001,002", 1))  # RW changed
    error = refused(package)
    assert [p.file for p in error.problems] == ["dpt.csv"]
    assert "changed after signing" in error.problems[0].message_en
    assert "diubah sesudah ditandatangani" in error.problems[0].message_id


def test_a_candidate_name_changed_after_signing_is_refused(package):
    edit_json(package / "election.json", lambda e: e["candidates"][0].update(name="SUPARMAN"))
    assert "election.json" in [p.file for p in refused(package).problems]


def test_a_file_added_or_removed_after_signing_is_refused(package):
    (package / "README.txt").unlink()
    (package / "photos" / "4.jpg").write_bytes((package / "photos" / "1.jpg").read_bytes())
    found = messages(refused(package))
    assert any("README.txt" in m and "missing" in m for m in found)
    assert any("photos/4.jpg" in m and "added after signing" in m for m in found)


def test_a_package_signed_by_another_committee_key_is_refused_when_the_trusted_key_is_given(package, demo):
    impostor = CommitteeKeyPair.generate()
    sign_package(package, impostor)
    assert load_package(package).committee == impostor.public  # self-consistent on its own...
    error = refused(package, demo[1].public)  # ...but not signed by the real committee
    [p] = error.problems
    assert p.file == "committee.json"
    assert impostor.public.fingerprint in p.message_en
    assert demo[1].public.fingerprint in p.message_en


def test_the_trusted_key_may_be_given_as_raw_bytes_or_base64(package, demo):
    raw = demo[1].public.sign_key
    assert load_package(package, raw).committee.sign_key == raw
    assert load_package(package, base64.b64encode(raw).decode()).committee.sign_key == raw
    with pytest.raises(TypeError):
        load_package(package, "not a key")


def test_a_forged_signature_is_refused(package):
    (package / "manifest.sig").write_bytes(base64.b64encode(bytes(64)) + b"\n")
    [p] = refused(package).problems
    assert p.file == "manifest.sig" and "does not match" in p.message_en


def test_a_manifest_that_is_not_canonical_is_refused(package):
    manifest = json.loads((package / "manifest.json").read_bytes())
    (package / "manifest.json").write_text(json.dumps(manifest, indent=1))
    assert "manifest.json" in [p.file for p in refused(package).problems]


def test_an_unsigned_package_says_it_is_not_signed(package):
    (package / "manifest.json").unlink()
    (package / "manifest.sig").unlink()
    [p] = refused(package).problems
    assert "not signed" in p.message_en and "belum ditandatangani" in p.message_id


# --- files that do not belong ----------------------------------------------------


def test_unknown_files_are_refused_but_laptop_clutter_is_ignored(package):
    (package / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (package / "photos" / "Thumbs.db").write_bytes(b"\xd0\xcf")
    assert load_package(package)
    (package / "catatan.docx").write_bytes(b"PK")
    (package / "lama").mkdir()
    found = refused(package).problems
    assert sorted(p.file for p in found) == ["catatan.docx", "lama/"]
    assert "unknown" in found[0].message_en


def test_a_link_inside_the_package_folder_is_refused(package):
    (package / "photos" / "1.jpg").unlink()
    (package / "photos" / "1.jpg").symlink_to("/etc/hostname")
    assert any("links" in m for m in messages(refused(package)))


@pytest.mark.parametrize(
    "evil",
    ["../election.json", "/etc/passwd", "photos/../../x.jpg", "photos\\..\\x.jpg", "C:/x.json", "photos/sub/1.jpg"],
)
def test_path_traversal_in_a_zip_is_refused(demo, tmp_path, evil):
    archive = write_package_zip(demo[0], tmp_path / "paket.zip")
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr(evil, b"owned")
    error = refused(archive)
    assert any(("outside the package" in m or "photo names" in m or "unknown" in m) for m in messages(error))
    assert not (tmp_path / "x.jpg").exists() and not (tmp_path.parent / "election.json").exists()


def test_a_zip_bomb_is_refused_by_its_size_without_being_unpacked(demo, tmp_path):
    archive = tmp_path / "bomb.zip"
    files = read_package_files(demo[0])[0]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            if name != "dpt.csv":
                z.writestr(name, data)
        with z.open("dpt.csv", "w") as member:  # 40 MB of zeros, about 40 kB compressed
            chunk = bytes(1024 * 1024)
            for _ in range(40):
                member.write(chunk)
    assert archive.stat().st_size < 200_000
    started = time.perf_counter()
    error = refused(archive)
    assert time.perf_counter() - started < 2
    assert any(p.file == "dpt.csv" and "larger than" in p.message_en for p in error.problems)


def test_a_zip_whose_header_lies_about_the_size_is_still_stopped(demo, tmp_path):
    archive = tmp_path / "liar.zip"
    files = read_package_files(demo[0])[0]
    files["dpt.csv"] = files["dpt.csv"] + b"\r\n" * (10 * 1024 * 1024)  # 20 MB, compresses well
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    data = bytearray(archive.read_bytes())
    # claim 1000 bytes in the local header (offset 22) and central directory (offset 24)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while (at := data.find(signature, at)) != -1:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + 7] == b"dpt.csv":
                data[at + offset : at + offset + 4] = (1000).to_bytes(4, "little")
            at += 4
    archive.write_bytes(bytes(data))
    started = time.perf_counter()
    error = refused(archive)
    assert time.perf_counter() - started < 2
    assert any(p.file == "dpt.csv" for p in error.problems)


def test_a_damaged_zip_is_unreadable(tmp_path):
    archive = tmp_path / "paket.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip")
    error = refused(archive)
    assert error.unreadable


def test_a_missing_path_is_unreadable(tmp_path):
    assert refused(tmp_path / "tidak-ada").unreadable


# --- content the committee got wrong -------------------------------------------------


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda e: e["candidates"][2].update(number=4), "nomor urut must be 1 to 3"),
        (lambda e: e["candidates"][2].update(number=2), "nomor urut must be 1 to 3"),
        (lambda e: e["candidates"].__delitem__(slice(1, 3)), "an election has 2 to 5"),
        (lambda e: e["candidates"][1].update(photo="1.jpg"), "same photo"),
        (lambda e: e["candidates"][1].update(name="suparno"), "same name"),
        (lambda e: e.update(opens="14:00"), "close after they open"),
        (lambda e: e.update(closes="25:00"), "not a time of day"),
        (lambda e: e.update(date="16-11-2025"), "YYYY-MM-DD"),
        (lambda e: e.update(timezone="Europe/Amsterdam"), "Asia/Jakarta"),
        (lambda e: e.update(allow_blanks=True), 'unknown field "allow_blanks"'),
        (lambda e: e.update(allow_blank="ya"), "true or false"),
        (lambda e: e.update(tps=0), "whole number from 1"),
        (lambda e: e["companions"][1].update(role="saksi"), "ketua, teknisi, anggota"),
        (lambda e: e["companions"][1].update(id="PT-01"), "used twice"),
        (lambda e: e.pop("pekon"), "is missing"),
    ],
)
def test_a_mistake_in_election_json_is_refused_at_signing_with_the_field_named(package, demo, change, words):
    edit_json(package / "election.json", change)
    with pytest.raises(PackageError) as caught:
        sign_package(package, demo[1])
    assert any(words in p.message_en and p.file == "election.json" for p in caught.value.problems), messages(
        caught.value
    )


def test_signing_refuses_an_invalid_package_and_leaves_the_old_signature(package, demo):
    before = (package / "manifest.json").read_bytes()
    edit_json(package / "election.json", lambda e: e.update(opens="14:00"))
    with pytest.raises(PackageError):
        sign_package(package, demo[1])
    assert (package / "manifest.json").read_bytes() == before


def test_a_json_syntax_error_gives_its_line_number(package, demo):
    text = (package / "election.json").read_text()
    (package / "election.json").write_text(text.replace('"pekon": "Sukamaju",', '"pekon": "Sukamaju"'))
    with pytest.raises(PackageError) as caught:
        sign_package(package, demo[1])
    [p] = caught.value.problems
    assert p.file == "election.json" and p.line == text.splitlines().index('  "pekon": "Sukamaju",') + 2


def test_dpt_problems_inside_a_package_name_dpt_csv_and_the_line(package, demo):
    lines = (package / "dpt.csv").read_bytes().split(b"\r\n")
    lines[5] = lines[2]  # the voter on line 3 appears again on line 6
    (package / "dpt.csv").write_bytes(b"\r\n".join(lines))
    with pytest.raises(PackageError) as caught:
        sign_package(package, demo[1])
    dup = [p for p in caught.value.problems if "appears twice" in p.message_en]
    assert dup and dup[0].file == "dpt.csv" and dup[0].line == 6 and dup[0].field == "nik"


def png_bytes(size, mode="RGB") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, (200, 100, 50)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(params=["in-process", "in-a-child"])
def photo_checks(request, monkeypatch):
    """The photo checks run here (the committee's laptop) or in a child (the ledger service)."""
    if request.param == "in-a-child":
        monkeypatch.setattr(checks, "_isolated_photo_checks", True)
    return request.param


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda good: b"this is a word document", "not a readable"),
        (lambda good: png_bytes((200, 200)), "is a PNG image but its name ends like a JPEG"),
        (lambda good: jpeg_bytes((40, 40)), "is 40x40 pixels"),
        (lambda good: jpeg_bytes((5000, 300)), "is 5000x300 pixels"),
        (lambda good: good[:3000], "not a readable"),  # a copy that stopped half way
    ],
    ids=["not-an-image", "png-named-jpg", "too-small", "too-wide", "truncated"],
)
def test_a_candidate_photo_that_is_not_a_sane_image_is_refused(package, demo, make, words, photo_checks):
    photo = package / "photos" / "2.jpg"
    photo.write_bytes(make(photo.read_bytes()))
    with pytest.raises(PackageError) as caught:
        sign_package(package, demo[1])
    assert any(p.file == "photos/2.jpg" and words in p.message_en for p in caught.value.problems), messages(
        caught.value
    )


def test_a_photo_larger_than_5_mb_is_refused_with_one_message(package, demo):
    (package / "photos" / "2.jpg").write_bytes(b"\xff\xd8" + os.urandom(5 * 1024 * 1024))
    with pytest.raises(PackageError) as caught:
        sign_package(package, demo[1])
    # Its size, and nothing else: not also "the photo of candidate 2 is missing".
    [problem] = caught.value.problems
    assert problem.file == "photos/2.jpg" and "larger than" in problem.message_en
    assert "lebih besar dari" in problem.message_id


def png_bomb(width: int, height: int) -> bytes:
    """A real PNG of ``width`` x ``height`` black-and-white pixels, all white: tiny on disk,
    hundreds of megabytes once decoded (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte + one bit per pixel
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_a_decompression_bomb_photo_is_refused_as_too_large_in_words(package, demo, photo_checks):
    bomb = png_bomb(20_000, 20_000)  # 400 million pixels
    assert len(bomb) < 200_000  # it passes the file-size limit: only its pixels give it away
    for old in (package / "photos").glob("2.*"):
        old.unlink()
    (package / "photos" / "2.png").write_bytes(bomb)
    edit_json(package / "election.json", lambda e: e["candidates"][1].update(photo="2.png"))
    with pytest.raises(PackageError) as caught:
        sign_package(package, demo[1])
    [problem] = caught.value.problems
    assert problem.file == "photos/2.png"
    assert "far too large to open" in problem.message_en and "terlalu besar" in problem.message_id
    assert "each side must be 64 to 4000" in problem.message_en


def test_a_photo_that_no_candidate_uses_is_refused(package, demo):
    shutil.copy(package / "photos" / "1.jpg", package / "photos" / "lama.jpg")
    with pytest.raises(PackageError) as caught:
        sign_package(package, demo[1])
    [p] = caught.value.problems
    assert p.file == "photos/lama.jpg" and "no candidate" in p.message_en


def test_an_edited_package_signed_again_gets_a_new_election_id(package, demo):
    old = load_package(package).election_id
    edit_json(package / "election.json", lambda e: e.update(closes="14:00"))
    new = sign_package(package, demo[1])
    assert new.election_id != old and new.election.closes_at.hour == 14


# --- keys ----------------------------------------------------------------------------


def test_keygen_writes_private_keys_readable_only_by_the_owner_and_never_overwrites(tmp_path, capsys):
    keydir = tmp_path / "kunci"
    assert election_cli.main(["election", "keygen", str(keydir)]) == 0
    for name in ("committee-sign.key", "committee-seal.key"):
        assert stat.S_IMODE((keydir / name).stat().st_mode) == 0o600
    public = json.loads((keydir / "committee.pub.json").read_text())
    keys = load_key_pair(keydir)
    assert base64.b64decode(public["sign_key"]) == keys.public.sign_key
    assert keys.public.fingerprint in capsys.readouterr().out
    before = (keydir / "committee-sign.key").read_bytes()
    assert election_cli.main(["election", "keygen", str(keydir)]) == 1
    assert (keydir / "committee-sign.key").read_bytes() == before


# --- the committee's commands, end to end ----------------------------------------------


def test_a_committee_makes_fills_signs_and_checks_a_package_with_the_commands(tmp_path, capsys):
    keydir, folder = tmp_path / "kunci", tmp_path / "pekon-maju"
    assert election_cli.main(["election", "keygen", str(keydir)]) == 0
    assert election_cli.main(["election", "new", str(folder)]) == 0
    assert (folder / "README.txt").exists() and (folder / "photos").is_dir()
    capsys.readouterr()

    # the empty template is not a package yet: check says what is missing
    assert election_cli.main(["election", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "no voters" in out and "not signed" in out
    assert 'still the template\'s example "NAMA CALON SATU"' in out

    # fill it in
    def fill(e):
        e.update(title="Pemilihan Kepala Pekon Maju Jaya 2025", pekon="Maju Jaya")
        e["candidates"][0]["name"] = "WAGIMAN"
        e["candidates"][1]["name"] = "SRI LESTARI"
        e["companions"][0]["name"] = "SUGENG"
        e["companions"][1]["name"] = "ANDI"

    edit_json(folder / "election.json", fill)
    assert election_cli.main(["election", "check", str(folder)]) == 1
    assert "the photo of candidate 1 is missing" in capsys.readouterr().out
    for number, colour in ((1, (0, 120, 0)), (2, (0, 0, 160))):
        (folder / "photos" / f"{number}.jpg").write_bytes(
            portrait(number, colour, (30, 30, 30), (200, 150, 110), "peci")
        )
    with open(folder / "dpt.csv", "a", encoding="utf-8") as f:
        f.write("1,1810054508900003,SITI AMINAH,P,05-08-1990,Dusun I,001,002\r\n")
        f.write("2,1810051208650001,BUDI SANTOSO,L,12-08-1965,Dusun II,002,001\r\n")
    assert (
        election_cli.main(["election", "sign", str(folder), "--key", str(keydir), "--zip", str(tmp_path / "paket.zip")])
        == 0
    )
    capsys.readouterr()

    pub = str(keydir / "committee.pub.json")
    assert election_cli.main(["election", "check", str(tmp_path / "paket.zip"), "--committee-key", pub]) == 0
    out = capsys.readouterr().out
    package = load_package(folder)
    assert package.short_id in out and package.election_id in out
    assert re.search(r"^\s+1\s+WAGIMAN\s+photos/1.jpg", out, re.M)
    assert re.search(r"^\s+2\s+SRI LESTARI\s+photos/2.jpg", out, re.M)
    assert "2 pemilih / voters" in out and "male 1" in out and "female 1" in out
    assert "PT-01" in out and "ketua" in out
    assert "SAH / VALID" in out


def test_check_prints_the_election_id_and_the_candidate_table(demo, capsys):
    assert election_cli.main(["election", "check", str(demo[0])]) == 0
    out = capsys.readouterr().out
    package = load_package(demo[0])
    assert f"Election ID : {package.short_id}" in out
    for c in package.candidates:
        assert re.search(rf"^\s+{c.number}\s+{c.name}\s", out, re.M)
    assert package.committee.fingerprint in out


def test_check_lists_every_problem_on_its_own_line_and_exits_1(package, capsys):
    dpt = package / "dpt.csv"
    dpt.write_bytes(dpt.read_bytes() + b"\r\n")
    (package / "catatan.txt").write_text("x")
    assert election_cli.main(["election", "check", str(package)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("TIDAK SAH / INVALID: 2")
    assert len(lines) == 3
    assert lines[1].strip().startswith("catatan.txt") or lines[2].strip().startswith("catatan.txt")
    assert any(line.strip().startswith("dpt.csv: berkas diubah sesudah ditandatangani") for line in lines[1:])


def test_check_with_another_committees_key_exits_1(demo, tmp_path, capsys):
    other = tmp_path / "kunci-lain"
    assert election_cli.main(["election", "keygen", str(other)]) == 0
    assert (
        election_cli.main(["election", "check", str(demo[0]), "--committee-key", str(other / "committee.pub.json")])
        == 1
    )
    assert "trusted committee key" in capsys.readouterr().out


def test_check_of_something_unreadable_exits_2(tmp_path, capsys):
    assert election_cli.main(["election", "check", str(tmp_path / "tidak-ada")]) == 2
    bad = tmp_path / "rusak.zip"
    bad.write_bytes(b"not a zip at all")
    assert election_cli.main(["election", "check", str(bad)]) == 2
    assert election_cli.main(["election", "check", str(tmp_path), "--committee-key", "xyz"]) == 2


def test_the_lead_cli_has_the_election_commands():
    from booth.cli import build_parser

    args = build_parser().parse_args(["election", "check", "x"])
    assert args.func is election_cli.cmd_check


# --- the demo ------------------------------------------------------------------------


def test_the_demo_package_is_the_same_for_the_same_seed_apart_from_the_keys(tmp_path):
    started = time.perf_counter()
    a, _ = make_demo_package(tmp_path / "a", seed=11)
    elapsed = time.perf_counter() - started
    b, _ = make_demo_package(tmp_path / "b", seed=11)
    c, _ = make_demo_package(tmp_path / "c", seed=12)
    for name in ("election.json", "dpt.csv", "README.txt", "photos/1.jpg", "photos/3.jpg"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "committee.json").read_bytes() != (b / "committee.json").read_bytes()
    assert (a / "dpt.csv").read_bytes() != (c / "dpt.csv").read_bytes()
    assert elapsed < 10  # it takes well under a second; only a hang fails here
    with pytest.raises(FileExistsError):
        make_demo_package(tmp_path / "a", seed=11)


def test_the_demo_keys_are_marked_demo(demo):
    keys_dir = demo[0].parent / "demo-committee-keys"
    assert "DEMO" in (keys_dir / "committee.pub.json").read_text()
    assert "DEMO" in (keys_dir / "DEMO-KEYS-README.txt").read_text()
    assert "DEMO" in load_package(demo[0]).election.title


def test_the_demo_portraits_are_distinct(demo):
    photos = load_package(demo[0]).photos
    assert len({hashlib.sha256(p).digest() for p in photos.values()}) == 3


# --- the documentation's examples are real -----------------------------------------------


def test_the_examples_in_the_documentation_make_a_valid_package(tmp_path):
    text = DOCS.read_text(encoding="utf-8")
    election = re.search(r"```json election\.json\n(.*?)```", text, re.S).group(1)
    dpt = re.search(r"```csv dpt\.csv\n(.*?)```", text, re.S).group(1)
    folder = tmp_path / "contoh"
    (folder / "photos").mkdir(parents=True)
    (folder / "election.json").write_text(election, encoding="utf-8")
    (folder / "dpt.csv").write_text(dpt, encoding="utf-8")
    for c in json.loads(election)["candidates"]:
        (folder / "photos" / c["photo"]).write_bytes(
            portrait(c["number"], (0, 100 + 40 * c["number"], 0), (20, 20, 20), (200, 150, 110), "peci")
        )
    package = sign_package(folder, CommitteeKeyPair.generate())
    assert len(package.voters) == len(dpt.strip().splitlines()) - 1


# --- hostile or broken packages never crash the loader -------------------------------------

_MUTATION_DIR = Path(tempfile.mkdtemp(prefix="booth-mutations-"))


@pytest.fixture(scope="module")
def demo_zip(demo):
    return write_package_zip(demo[0], _MUTATION_DIR / "base.zip").read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_mutations_of_a_zip_package_never_raise_anything_but_package_error(demo_zip, data):
    blob = bytearray(demo_zip)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "splice"]))
        at = data.draw(st.integers(0, len(blob) - 1))
        if kind == "flip":
            blob[at] ^= data.draw(st.integers(1, 255))
        elif kind == "truncate":
            del blob[at:]
            if not blob:
                blob = bytearray(b"P")
        elif kind == "insert":
            blob[at:at] = data.draw(st.binary(min_size=1, max_size=16))
        else:
            blob[at : at + 4] = data.draw(st.binary(min_size=4, max_size=4))
    target = _MUTATION_DIR / "mutated.zip"
    target.write_bytes(bytes(blob))
    try:
        load_package(target)
    except PackageError as exc:
        assert exc.problems


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_wrong_value_in_election_json_is_refused_with_package_error_never_a_crash(demo, data):
    folder = _MUTATION_DIR / "json"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(demo[0], folder)
    election = json.loads((folder / "election.json").read_text())
    where = data.draw(st.sampled_from(["top", "candidate", "companion"]))
    target = (
        election
        if where == "top"
        else election["candidates"][data.draw(st.integers(0, 2))]
        if where == "candidate"
        else election["companions"][data.draw(st.integers(0, 2))]
    )
    key = data.draw(st.sampled_from(sorted(target) + ["extra"]))
    target[key] = data.draw(_JSON)
    (folder / "election.json").write_text(json.dumps(election))
    try:
        sign_package(folder, demo[1])
    except PackageError as exc:
        assert exc.problems
    try:
        load_package(folder, demo[1].public)
    except PackageError as exc:
        assert exc.problems


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(
        ["election.json", "committee.json", "dpt.csv", "manifest.json", "manifest.sig", "photos/1.jpg"]
    ),
    junk=st.binary(max_size=300),
)
def test_any_file_replaced_by_junk_is_refused_with_package_error(demo, name, junk):
    files = read_package_files(demo[0])[0]
    files[name] = junk
    target = _MUTATION_DIR / "junk.zip"
    with zipfile.ZipFile(target, "w") as z:
        for n, d in files.items():
            z.writestr(n, d)
    with pytest.raises(PackageError):
        load_package(target)


def test_make_manifest_lists_every_file_but_the_manifest_and_signature(demo):
    files = read_package_files(demo[0])[0]
    manifest = json.loads(make_manifest(files))
    assert sorted(manifest["files"]) == sorted(set(files) - {"manifest.json", "manifest.sig"})
    assert make_manifest(files) == (demo[0] / "manifest.json").read_bytes()


def test_the_ledger_service_checks_the_photos_without_loading_pillow(demo):
    """Issue #15: Pillow's memory stays out of the ledger service; its photos are still checked."""
    program = (
        "import sys\n"
        "from booth.api.start import isolate_photo_checks\n"
        "from booth.election_package import load_package\n"
        "isolate_photo_checks()\n"
        "package = load_package(sys.argv[1])\n"
        "assert package.candidates and all(package.photo_of(c) for c in package.candidates)\n"
        "print('PIL' in sys.modules)\n"
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", program, str(demo[0])], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_photo_checker_that_cannot_run_refuses_every_photo_in_words(package, demo, monkeypatch):
    import sys

    monkeypatch.setattr(checks, "_isolated_photo_checks", True)
    monkeypatch.setattr(sys, "executable", "/bin/false")
    error = refused(package)
    photos = {p.file for p in error.problems if "photo checker failed" in p.message_en}
    assert photos == {f"photos/{p.name}" for p in (package / "photos").iterdir()}
    assert all("pemeriksa foto gagal" in p.message_id for p in error.problems if p.file in photos)


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=20), st.binary(max_size=200), max_size=5))
def test_the_photo_checkers_frames_carry_every_photo_and_answer_for_each(photos):
    import struct

    request = b"".join(
        struct.pack(">I", len(k)) + k + struct.pack(">I", len(v)) + v
        for k, v in ((name.encode("utf-8"), data) for name, data in photos.items())
    )
    answer = json.loads(checks.check_photos_answer(request))
    assert set(answer) == set(photos)
    for problems in answer.values():  # random bytes are never a sane photo: each refused, in words
        assert problems and all(en and id_ for en, id_ in problems)
    if request:
        with pytest.raises((ValueError, struct.error)):
            checks.check_photos_answer(request[:-1])  # a frame cut short is an error, never a pass
