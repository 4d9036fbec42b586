"""Commands for the district, witnesses and the committee after the day.

* ``booth tally PATH``            — verify a state directory or bundle, then count its ballot store
* ``booth results check FILE``    — check a scanned results QR (signed statement) with the device key
* ``booth custody PATH``          — the custody trail ("tracking e-voting") on its own
* ``booth photos open|purge``     — the committee opens a voter's photo in a dispute; purge after it
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path


def _cmd_tally(args) -> int:
    from booth.ledger.verify import Unreadable, format_report, open_source, verify
    from booth.results import StatementError, open_statement

    path = Path(args.path)
    try:
        report = verify(open_source(path))
    except Unreadable as exc:
        print(f"booth tally: TIDAK TERBACA / UNREADABLE — {exc}", file=sys.stderr)
        return 2
    if not report.ok:
        print(format_report(report))
        print("Penghitungan dibatalkan: catatan tidak sah / not counted: the record is invalid")
        return 1
    tally = report.summary["tally"]
    out = {
        "tally": tally,
        "total": sum(tally.values()),
        "election_id": report.summary["election_id"],
        "events": report.summary["events"],
        "device": report.summary["fingerprint_short"],
    }
    statement_ok = None
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            if "extra/results.txt" in z.namelist():
                try:
                    st = open_statement(z.read("extra/results.txt").decode(), z.read("device.pub").decode())
                    counted = {k: v for k, v in st.tally.items() if v or k in tally}
                    statement_ok = {k: v for k, v in counted.items() if v} == {k: v for k, v in tally.items() if v}
                except (StatementError, UnicodeDecodeError):
                    statement_ok = False
                out["results_statement_matches"] = statement_ok
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"Perolehan suara dari kotak suara / tally from the ballot store ({path}):")
        for selection, votes in sorted(tally.items(), key=lambda kv: (kv[0] == "blank", kv[0].zfill(3))):
            label = "Suara kosong / blank" if selection == "blank" else f"Nomor urut {selection}"
            print(f"  {label:<28} {votes:>6}")
        print(f"  {'Jumlah / total':<28} {out['total']:>6}")
        if statement_ok is not None:
            print(
                "  Pernyataan hasil bertanda tangan / signed results statement: "
                + ("SESUAI / matches" if statement_ok else "TIDAK SESUAI / DOES NOT MATCH")
            )
    return 0 if statement_ok in (None, True) else 1


def _cmd_results_check(args) -> int:
    from booth.results import StatementError, open_statement

    try:
        text = Path(args.file).read_text(encoding="utf-8")
        key = Path(args.key).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"booth results check: cannot read: {exc}", file=sys.stderr)
        return 2
    try:
        st = open_statement(text, key)
    except (StatementError, ValueError) as exc:
        print(f"TIDAK SAH / INVALID — {exc}")
        return 1
    print(f"SAH / VALID — ditandatangani / signed by {st.signer}")
    print(f"  Pemilihan / election {st.election_id[:16]}…  TPS {st.tps}")
    print(f"  Catatan log / log checkpoint: size {st.log_size}")
    for k, v in st.tally.items():
        print(f"  {'Suara kosong / blank' if k == 'blank' else 'Nomor urut ' + k:<28} {v:>6}")
    print(f"  Jumlah / total {st.total}   Rekonsiliasi / reconciliation: {'SESUAI' if st.balanced else 'TIDAK SESUAI'}")
    return 0


def custody_trail(path: Path) -> list[dict]:
    """The custody events of a state directory or bundle, verified first."""
    from booth.ledger.canonical import parse_canonical
    from booth.ledger.verify import open_source, verify

    report = verify(open_source(path))
    if not report.ok:
        raise ValueError(f"the record does not verify: {report.problems[0]}")
    trail = []
    for _, _, entry, _ in open_source(path).events():
        e = parse_canonical(entry)
        if e["type"].startswith("custody."):
            trail.append(
                {
                    "stage": e["type"].split(".", 1)[1],
                    "time": e["time"],
                    "companion": e["actor"],
                    "place": e["payload"].get("place", ""),
                    "note": e["payload"].get("note", ""),
                    "seq": e["seq"],
                }
            )
    return trail


def _cmd_custody(args) -> int:
    from booth.ledger.verify import Unreadable
    from booth.polls import CUSTODY_STAGES

    words = {name: (i, e) for name, i, e in CUSTODY_STAGES}
    try:
        trail = custody_trail(Path(args.path))
    except Unreadable as exc:
        print(f"booth custody: TIDAK TERBACA / UNREADABLE — {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"booth custody: TIDAK SAH / INVALID — {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(trail, ensure_ascii=False, indent=2))
        return 0
    print("Jejak serah terima / custody trail (tracking e-voting)")
    for step in trail:
        i, e = words.get(step["stage"], (step["stage"], step["stage"]))
        print(
            f"  {step['time'][:19].replace('T', ' ')} UTC  {i} / {e}  — {step['companion']}"
            f"{'  @ ' + step['place'] if step['place'] else ''}{'  (' + step['note'] + ')' if step['note'] else ''}"
        )
    missing = [n for n, _, _ in CUSTODY_STAGES if n not in {s["stage"] for s in trail}]
    if missing:
        print("  Belum / not yet: " + ", ".join(missing))
    return 0


#: The photo vault's refusals in Indonesian, beside the vault's own English words (booth.ledger
#: stays free of the rest of booth, so the words for the committee live here, with its commands).
VAULT_WORDS_ID = {
    "VaultNotFound": "Tidak ada brankas foto di sini.",
    "VaultAlreadyExists": "Brankas foto sudah ada di sini.",
    "VaultDamaged": "Berkas brankas foto rusak.",
    "VaultPurged": "Foto pemilih sudah dimusnahkan.",
    "BadElectionId": "ID pemilihan kosong atau tidak sah.",
    "BadVoterRef": "Nomor pemilih kosong atau tidak sah.",
    "BadCompanionId": "ID petugas kosong atau tidak sah.",
    "InvalidPin": "PIN kosong atau tidak sah.",
    "NotAJpeg": "Ini bukan foto JPEG.",
    "PhotoTooLarge": "Foto terlalu besar.",
    "PhotoAlreadyStored": "Foto pemilih ini sudah tersimpan.",
    "NoPhotoForVoter": "Tidak ada foto tersimpan untuk pemilih ini.",
    "DptbRecordTooLarge": "Data pemilih DPTb terlalu panjang.",
    "NoDptbRecord": "Tidak ada data tersimpan untuk pemilih DPTb ini.",
    "DptbRecordDamaged": "Data pemilih DPTb ini rusak atau bukan milik pemilih ini.",
    "PhotoDamaged": "Foto ini rusak atau bukan milik pemilih ini.",
    "WrongPin": "PIN salah.",
    "NoWrapForCompanion": "Petugas ini tidak punya akses ke foto pemilih.",
    "WrongCommitteeKey": "Ini bukan kunci panitia pemilihan ini.",
    "WrongVaultSecret": "Kunci ini milik brankas foto pemilihan lain.",
    "PurgeIncomplete": "Foto sudah dimusnahkan, tetapi berkas brankas belum bersih seluruhnya. "
    "Tutup program lain yang memakainya, lalu musnahkan lagi.",
}


def vault_words(exc: Exception) -> str:
    """A vault refusal as the committee reads it: Indonesian first, then the vault's English."""
    for cls in type(exc).__mro__:
        if cls.__name__ in VAULT_WORDS_ID:
            return f"{VAULT_WORDS_ID[cls.__name__]} / {exc}"
    return f"brankas foto menolak / the photo vault refused: {exc}"


def _cmd_photos_open(args) -> int:
    from booth.election_package import load_key_pair
    from booth.ledger.vault import VaultError, open_with_committee_key

    try:
        keys = load_key_pair(args.committee_key)
        vault, secret = open_with_committee_key(Path(args.state) / "vault.db", keys.seal_private)
        with vault:
            jpeg = vault.read_photo(args.voter, secret)
    except (OSError, ValueError) as exc:
        print(
            f"booth photos open: tidak bisa membaca kunci atau brankas / cannot read the key or the vault: {exc}",
            file=sys.stderr,
        )
        return 2
    except VaultError as exc:
        print(f"booth photos open: {vault_words(exc)}", file=sys.stderr)
        return 1
    Path(args.out).write_bytes(jpeg)
    print(f"Foto pemilih {args.voter} / voter photo written to {args.out}")
    return 0


def _cmd_photos_purge(args) -> int:
    from booth.ledger.vault import PhotoVault, VaultError

    if not args.yes:
        print(
            "Pemusnahan foto tidak dapat dibatalkan. Ulangi dengan --yes / "
            "Destroying the photos cannot be undone. Repeat with --yes",
            file=sys.stderr,
        )
        return 2
    try:
        with PhotoVault.open(Path(args.state) / "vault.db") as vault:
            count = vault.purge()
    except VaultError as exc:
        print(f"booth photos purge: {vault_words(exc)}", file=sys.stderr)
        return 1
    print(
        f"{count} foto dimusnahkan / photos destroyed; tidak ada PIN atau kunci yang dapat membukanya lagi / "
        "no PIN or key can open them again"
    )
    return 0


def register(sub) -> None:
    p = sub.add_parser("tally", help="verify a state directory or bundle and count its ballot store")
    p.add_argument("path")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_tally)

    results = sub.add_parser("results", help="check a results statement (the results report's QR)")
    rsub = results.add_subparsers(dest="results_command", metavar="ACTION")
    rsub.required = True
    p = rsub.add_parser("check", help="check a scanned results QR text against the device's verifier key")
    p.add_argument("file", help="the QR's text, saved to a file")
    p.add_argument("--key", required=True, help="the device's verifier key (device.pub)")
    p.set_defaults(func=_cmd_results_check)

    p = sub.add_parser("custody", help="the custody trail of a state directory or bundle")
    p.add_argument("path")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_custody)

    photos = sub.add_parser("photos", help="voter photos: open one in a dispute (committee), or purge all")
    psub = photos.add_subparsers(dest="photos_command", metavar="ACTION")
    psub.required = True
    p = psub.add_parser("open", help="open one voter's photo with the committee's private key")
    p.add_argument("state")
    p.add_argument("--committee-key", required=True, metavar="KEYDIR")
    p.add_argument("--voter", required=True, help="voter reference, e.g. DPT-0042")
    p.add_argument("--out", required=True, help="JPEG file to write")
    p.set_defaults(func=_cmd_photos_open)
    p = psub.add_parser("purge", help="destroy every voter photo when the dispute period has ended")
    p.add_argument("state")
    p.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    p.set_defaults(func=_cmd_photos_purge)
