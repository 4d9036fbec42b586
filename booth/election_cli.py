"""``booth election ...``: the committee's commands for preparing and checking election packages.

The usual order on the committee's laptop::

    booth election keygen ~/kunci-panitia          # once: the committee key pair
    booth election new pekon-sukamaju              # a template to fill in
    (fill election.json, dpt.csv, photos/)
    booth election check pekon-sukamaju            # lists every problem; repeat until none
    booth election sign pekon-sukamaju --key ~/kunci-panitia --zip pekon-sukamaju.zip
    booth election check pekon-sukamaju.zip --committee-key ~/kunci-panitia/committee.pub.json

Exit codes: 0 done / package valid, 1 invalid (every problem listed, one per
line), 2 unreadable (missing path, damaged zip, unreadable key).

The lead's ``booth/cli.py`` calls :func:`register`; each sub-command sets
``args.func`` to a handler ``handler(args) -> int``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from booth.election_package import ElectionPackage, PackageError

# The package module (cryptography, Pillow) is imported inside the handlers,
# so that ``booth --help`` stays fast.

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2

_TEMPLATE_README = """\
PAKET PEMILIHAN - PETUNJUK / ELECTION PACKAGE - INSTRUCTIONS
(Bahasa Indonesia dulu, English below.)

Isi folder ini:
  election.json  data pemilihan: isi setiap baris (lihat di bawah)
  dpt.csv        Daftar Pemilih Tetap: satu baris per pemilih, kolom:
                 no,nik,nama,jenis_kelamin,tanggal_lahir,alamat,rt,rw
                 contoh: 1,1810054508900003,SITI AMINAH,P,05-08-1990,Dusun I,001,002
                 (boleh dipisah titik koma; simpan sebagai "CSV UTF-8"; format kolom NIK sebagai Teks)
  photos/        foto calon, JPG atau PNG, 64-4000 piksel per sisi, < 5 MB
  README.txt     petunjuk ini (ikut ditandatangani; boleh dihapus)

Isian election.json:
  "format"      jangan diubah: "booth election v1"
  "title"       judul pemilihan, dicetak di laporan
  "pekon"       nama pekon/desa; "kecamatan", "kabupaten", "provinsi" (boleh kosong)
  "tps"         nomor TPS (angka, misalnya 1)
  "date"        tanggal pemungutan suara TTTT-BB-HH, misalnya 2025-11-16
  "opens"       jam buka JJ:MM (24 jam), misalnya 07:00
  "closes"      jam tutup JJ:MM, sesudah jam buka
  "timezone"    "Asia/Jakarta" (WIB; Lampung), "Asia/Makassar" (WITA) atau "Asia/Jayapura" (WIT)
  "allow_blank" true jika pemilih boleh tidak memilih calon mana pun, selain itu false
  "candidates"  2 sampai 5 calon: "number" (nomor urut 1, 2, 3 ...), "name", "photo" (nama berkas di photos/)
  "companions"  petugas: "id" (misalnya PT-01), "name", "role" ("ketua", "teknisi" atau "anggota")

Langkah:
  1. booth election check FOLDER            -> perbaiki setiap masalah yang tertulis
  2. booth election sign FOLDER --key FOLDER_KUNCI
  3. booth election check FOLDER --committee-key FOLDER_KUNCI/committee.pub.json
     Catat ID Pemilihan (XXXX-XXXX-XXXX): harus sama dengan yang tampil di layar bilik suara.
  Setelah ditandatangani, JANGAN mengubah berkas apa pun; jika perlu, ubah lalu tandatangani ulang.

------------------------------------------------------------------------------------------
Contents of this folder:
  election.json  the election: fill in every line (see above for each field)
  dpt.csv        the voter list, one row per voter, columns as above
                 (semicolons are fine; save as "CSV UTF-8"; format the NIK column as Text)
  photos/        candidate photos, JPG or PNG, 64-4000 pixels per side, < 5 MB
  README.txt     these instructions (signed with the rest; you may delete it)

Steps:
  1. booth election check DIR               -> fix every problem listed
  2. booth election sign DIR --key KEYDIR
  3. booth election check DIR --committee-key KEYDIR/committee.pub.json
     Note the election ID (XXXX-XXXX-XXXX): the booth's screen must show the same.
  After signing, change NO file; if you must, change it and sign again.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``election`` command group (keygen, new, sign, check, reset-pin) to ``subparsers``."""
    election = subparsers.add_parser(
        "election",
        help="prepare, sign and check election packages (paket pemilihan)",
        description="Paket pemilihan / election packages: keygen, new, sign, check, reset-pin.",
    )
    commands = election.add_subparsers(dest="election_command", metavar="COMMAND")
    commands.required = True

    p = commands.add_parser("keygen", help="make the committee key pair (kunci panitia)")
    p.add_argument("out_dir", metavar="OUT_DIR", help="folder for the keys (created)")
    p.set_defaults(func=cmd_keygen)

    p = commands.add_parser("new", help="make a package template to fill in")
    p.add_argument("dir", metavar="DIR", help="folder to create")
    p.set_defaults(func=cmd_new)

    p = commands.add_parser("sign", help="sign a package folder (writes manifest.json/.sig)")
    p.add_argument("dir", metavar="DIR", help="the package folder")
    p.add_argument("--key", required=True, metavar="KEYDIR", help="folder made by 'booth election keygen'")
    p.add_argument("--zip", metavar="OUT.zip", help="also write the signed package as a zip")
    p.set_defaults(func=cmd_sign)

    p = commands.add_parser("check", help="verify and show a package folder or zip")
    p.add_argument("path", metavar="DIR_OR_ZIP")
    p.add_argument(
        "--committee-key",
        metavar="PUB",
        help="trusted committee public key: committee.pub.json, a PEM file, or the base64 signing key",
    )
    p.set_defaults(func=cmd_check)

    p = commands.add_parser("reset-pin", help="write a file that unlocks a locked-out companion")
    p.add_argument("package", metavar="DIR_OR_ZIP", help="the signed election package")
    p.add_argument("--key", required=True, metavar="KEYDIR", help="the committee key folder")
    p.add_argument("--companion", required=True, help="companion ID, e.g. PT-02")
    p.add_argument("--out", required=True, help="file to write (bring it on a USB stick)")
    p.set_defaults(func=cmd_reset_pin)
    return election


def cmd_reset_pin(args, out: TextIO | None = None) -> int:
    """Sign a one-time reset file for one companion of this election."""
    from booth.committee_reset import make_reset
    from booth.election_package import PackageError, load_key_pair, load_package

    out = out or sys.stdout
    try:
        keys = load_key_pair(args.key)
        package = load_package(args.package, trusted_committee_key=keys.public)
    except PackageError as error:
        print_problems(error, out)
        return 1
    except (OSError, ValueError) as error:
        print(f"booth election reset-pin: {error}", file=out)
        return 2
    if args.companion not in {c.id for c in package.companions}:
        print(f"Petugas {args.companion} tidak ada di paket ini / not in this package", file=out)
        return 1
    Path(args.out).write_text(make_reset(keys.sign_private, package.election_id, args.companion))
    print(f"Berkas buka-kunci untuk {args.companion} / reset file written: {args.out}", file=out)
    return 0


# --- output helpers ------------------------------------------------------------


def print_problems(error: PackageError, out: TextIO) -> None:
    """Every problem on its own line, Indonesian first, then English."""
    count = len(error.problems)
    print(f"TIDAK SAH / INVALID: {count} masalah / problem{'s' if count != 1 else ''}", file=out)
    for p in error.problems:
        print(f"  {p.where()}: {p.message_id} / {p.message_en}", file=out)


def print_summary(package: ElectionPackage, out: TextIO) -> None:
    """What a committee member compares: ID, place and time, candidates, DPT counts, companions."""
    from booth.election_package import PHOTO_DIR

    e = package.election
    print(f"ID Pemilihan / Election ID : {package.short_id}", file=out)
    print(f"  SHA-256                  : {package.election_id}", file=out)
    print(f"Kunci panitia / Committee  : {package.committee.fingerprint}", file=out)
    print(f"{e.title}", file=out)
    place = f"Pekon {e.pekon}, Kec. {e.kecamatan}, Kab. {e.kabupaten}"
    if e.provinsi:
        place += f", {e.provinsi}"
    print(f"  TPS {e.tps:02d} - {place}", file=out)
    print(f"  {e.date.isoformat()}  {e.opens_at:%H:%M}-{e.closes_at:%H:%M} {e.timezone_label} ({e.timezone})", file=out)
    print(
        f"  Suara kosong / blank vote: {'boleh / allowed' if e.allow_blank else 'tidak boleh / not allowed'}", file=out
    )
    print("", file=out)
    print("  No  Calon / Candidate                         Foto / Photo", file=out)
    for c in package.candidates:
        print(
            f"  {c.number:>2}  {c.name:<40}  {PHOTO_DIR}/{c.photo} ({len(package.photo_of(c)) // 1024} KiB)", file=out
        )
    print("", file=out)
    sexes = Counter(v.sex for v in package.voters)
    print(
        f"DPT: {len(package.voters)} pemilih / voters "
        f"(L/laki-laki/male {sexes.get('L', 0)}, P/perempuan/female {sexes.get('P', 0)})",
        file=out,
    )
    print("Pendamping / Companions:", file=out)
    for companion in package.companions:
        print(f"  {companion.id:<8} {companion.name:<40} {companion.role}", file=out)


# --- commands ----------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Make a committee key pair in OUT_DIR; refuses to overwrite existing keys."""
    from booth.election_package import PUBLIC_KEYS_FILE, CommitteeKeyPair, save_key_pair

    out = out or sys.stdout
    keys = CommitteeKeyPair.generate()
    try:
        folder = save_key_pair(keys, args.out_dir)
    except FileExistsError as exc:
        print(f"Kunci sudah ada, tidak ditimpa / keys already exist, not overwritten: {exc}", file=out)
        return EXIT_INVALID
    except OSError as exc:
        print(f"Tidak dapat menulis / cannot write {args.out_dir}: {exc}", file=out)
        return EXIT_UNREADABLE
    print(f"Kunci panitia dibuat / committee keys written: {folder}", file=out)
    print(f"  Sidik kunci / key fingerprint: {keys.public.fingerprint}", file=out)
    print(f"  Kunci publik / public keys   : {folder / PUBLIC_KEYS_FILE}", file=out)
    print("  Simpan kunci privat (*.key) di tempat aman, jangan dibawa ke TPS.", file=out)
    print("  Keep the private keys (*.key) safe; never take them to the polling place.", file=out)
    return EXIT_OK


def cmd_new(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Create a package template: election.json, an empty dpt.csv, photos/, README.txt."""
    from booth.dpt import dpt_header
    from booth.election_package import DPT_FILE, ELECTION_FILE, PHOTO_DIR, README_FILE, election_template

    out = out or sys.stdout
    root = Path(args.dir)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        print(f"{root} sudah ada dan tidak kosong / already exists and is not empty", file=out)
        return EXIT_INVALID
    try:
        (root / PHOTO_DIR).mkdir(parents=True, exist_ok=True)
        (root / ELECTION_FILE).write_text(
            json.dumps(election_template(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (root / DPT_FILE).write_text(dpt_header() + "\r\n", encoding="utf-8")
        (root / README_FILE).write_text(_TEMPLATE_README, encoding="utf-8")
    except OSError as exc:
        print(f"Tidak dapat menulis / cannot write {root}: {exc}", file=out)
        return EXIT_UNREADABLE
    print(f"Templat dibuat / template written: {root}", file=out)
    print(f"  Isi {ELECTION_FILE}, {DPT_FILE} dan {PHOTO_DIR}/, lalu / fill them in, then:", file=out)
    print(f"  booth election check {root}", file=out)
    return EXIT_OK


def cmd_sign(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Check the package folder and, if it is valid, sign it (and optionally zip it)."""
    from booth.election_package import PackageError, load_key_pair, sign_package, write_package_zip

    out = out or sys.stdout
    if args.zip and Path(args.dir).resolve() in Path(args.zip).resolve().parents:
        print(
            "Zip tidak boleh di dalam folder paket / the zip must not be inside the package "
            "folder (it would become an unknown file of the package)",
            file=out,
        )
        return EXIT_INVALID
    try:
        keys = load_key_pair(args.key)
    except (OSError, ValueError, TypeError) as exc:
        print(f"Kunci panitia tidak dapat dibaca / cannot read the committee key in {args.key}: {exc}", file=out)
        return EXIT_UNREADABLE
    try:
        package = sign_package(args.dir, keys)
    except PackageError as exc:
        print("Paket TIDAK ditandatangani / package NOT signed.", file=out)
        print_problems(exc, out)
        return EXIT_UNREADABLE if exc.unreadable else EXIT_INVALID
    print("Paket ditandatangani / package signed.", file=out)
    if args.zip:
        try:
            write_package_zip(args.dir, args.zip)
        except (OSError, PackageError) as exc:
            print(f"Zip tidak dapat ditulis / cannot write the zip {args.zip}: {exc}", file=out)
            return EXIT_UNREADABLE
        print(f"Zip: {args.zip}", file=out)
    print_summary(package, out)
    return EXIT_OK


def cmd_check(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Verify a package folder or zip and print what a committee member compares."""
    from booth.election_package import PackageError, load_package, read_public_keys

    out = out or sys.stdout
    trusted = None
    if args.committee_key:
        try:
            trusted = read_public_keys(args.committee_key)
        except (OSError, ValueError) as exc:
            print(f"Kunci panitia tidak dapat dibaca / cannot read the committee key: {exc}", file=out)
            return EXIT_UNREADABLE
    try:
        package = load_package(args.path, trusted)
    except PackageError as exc:
        print_problems(exc, out)
        return EXIT_UNREADABLE if exc.unreadable else EXIT_INVALID
    print_summary(package, out)
    print("", file=out)
    note = (
        ""
        if trusted is not None
        else " (tanpa --committee-key: bandingkan sidik kunci panitia / compare the committee key)"
    )
    print(f"SAH / VALID{note}", file=out)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run ``booth election ...`` on its own (``python -m booth.election_cli election check X``)."""
    parser = argparse.ArgumentParser(prog="booth")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    register(subparsers)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
