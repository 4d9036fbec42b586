"""The one command-line entry point: ``booth <subcommand>``.

Every job a person runs has a subcommand here; each handler returns the exit
code.  Heavy modules are imported inside handlers so ``booth --help`` is fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _cmd_device_init(args) -> int:
    from booth.ledger.keys import short_fingerprint
    from booth.ledger.ledger import Ledger, LedgerError
    from booth.station.roles import role_words

    try:
        ledger = Ledger.create(
            Path(args.state), note_text=args.note or "", role=None if args.role == "single" else args.role
        )
    except LedgerError as exc:
        print(f"booth: {exc}", file=sys.stderr)
        return 1
    with ledger:
        print(f"Perangkat disiapkan / device provisioned: {args.state}")
        role_id, role_en = role_words(args.role)
        print(f"  peran / role: {role_id} / {role_en}")
        print(f"  sidik jari / fingerprint: {short_fingerprint(ledger.key.fingerprint)}")
        print(f"  kunci verifikasi / verifier key: {ledger.key.verifier_key()}")
    return 0


def _cmd_device_pubkey(args) -> int:
    from booth.ledger.keys import DeviceKey, KeyFileError, short_fingerprint

    try:
        key = DeviceKey.load(Path(args.state) / "device.key")
    except KeyFileError as exc:
        print(f"booth: {exc}", file=sys.stderr)
        return 2
    print(key.verifier_key())
    print(f"fingerprint {key.fingerprint} ({short_fingerprint(key.fingerprint)})")
    return 0


def _cmd_device_pin_committee_key(args) -> int:
    from booth.election_package import CommitteeKeys, read_public_keys
    from booth.errors import BoothError
    from booth.ledger.ledger import LedgerError
    from booth.service import BoothService

    try:
        keys = read_public_keys(args.key)
    except (OSError, ValueError) as exc:
        print(f"booth: {exc}", file=sys.stderr)
        return 2
    raw = keys.sign_key if isinstance(keys, CommitteeKeys) else keys
    try:
        svc = BoothService.open(Path(args.state))
        try:
            if svc.ledger.get_state("committee_key"):
                print("booth: kunci panitia sudah ditetapkan / a committee key is already pinned", file=sys.stderr)
                return 1
            svc.pin_committee_key(raw)
        finally:
            svc.close()
    except (LedgerError, BoothError) as exc:
        print(f"booth: {exc}", file=sys.stderr)
        return 1
    print("Kunci panitia ditetapkan / committee key pinned: only packages it signed will load")
    return 0


def _cmd_verify(args) -> int:
    from booth.ledger.verify import Unreadable, format_report, open_source, verify

    known = []
    for path in args.checkpoint or []:
        try:
            known.append(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            print(f"booth verify: cannot read checkpoint {path}: {exc}", file=sys.stderr)
            return 2
    try:
        from booth.station.bundle import is_station_bundle

        if is_station_bundle(Path(args.path)):
            return _verify_station(args)
        report = verify(open_source(Path(args.path)), known, args.fingerprint, workers=args.workers)
    except Unreadable as exc:
        if args.json:
            print(json.dumps({"source": args.path, "valid": False, "unreadable": str(exc)}))
        else:
            print(f"booth verify: TIDAK TERBACA / UNREADABLE — {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
    return 0 if report.ok else 1


def _verify_station(args) -> int:
    """``booth verify STATION.zip``: every inner bundle, then the station's cross-checks (docs/station.md)."""
    from booth.station.bundle import format_station_report, verify_station

    if args.checkpoint or args.fingerprint:
        print("booth verify: --checkpoint and --fingerprint are for one device's bundle", file=sys.stderr)
        return 2
    report = verify_station(Path(args.path), workers=args.workers)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2, default=str))
    else:
        print(format_station_report(report))
    return 0 if report.ok else 1


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"harus bilangan bulat 1 atau lebih / must be a whole number of 1 or more: {text!r}"
        )
    return value


def _cmd_export(args) -> int:
    from booth.ledger.bundle import write_bundle
    from booth.ledger.ledger import Ledger, LedgerError

    try:
        with Ledger.open(Path(args.state)) as ledger:
            path = write_bundle(ledger, Path(args.out))
    except LedgerError as exc:
        print(f"booth export: {exc}", file=sys.stderr)
        return 1
    print(f"Bundel ekspor / export bundle: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="booth",
        description="booth — bilik suara elektronik untuk Pilkades / e-voting booth for village-head elections",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    from booth import demo_cli

    demo_cli.register(sub)

    device = sub.add_parser("device", help="provision the device and show its key")
    dsub = device.add_subparsers(dest="device_command", metavar="ACTION")
    dsub.required = True
    p = dsub.add_parser("init", help="create the device key and an empty ledger in STATE")
    p.add_argument("state")
    p.add_argument("--note", help="free note recorded in the first event")
    p.add_argument(
        "--role",
        choices=("single", "desk", "booth"),
        default="single",
        help="single (all-in-one, the default), or a polling station's check-in desk or booth (docs/station.md)",
    )
    p.set_defaults(func=_cmd_device_init)
    p = dsub.add_parser("pin-committee-key", help="only accept election packages signed by this committee key")
    p.add_argument("state")
    p.add_argument("key", help="committee.pub.json (from 'booth election keygen') or the base64 signing key")
    p.set_defaults(func=_cmd_device_pin_committee_key)
    p = dsub.add_parser("pubkey", help="print the device's verifier key and fingerprint")
    p.add_argument("state")
    p.set_defaults(func=_cmd_device_pubkey)

    p = sub.add_parser("verify", help="verify a state directory or an export bundle")
    p.add_argument("path", help="state directory, ledger.db, or bundle .zip")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--checkpoint",
        action="append",
        metavar="FILE",
        help="a known (printed) checkpoint the log must be consistent with; repeatable",
    )
    p.add_argument("--fingerprint", help="the device fingerprint from paper (prefix is enough)")
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="processes checking signatures (default: one per core for a large ledger; 1: this process only)",
    )
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("export", help="write the export bundle of a state directory")
    p.add_argument("state")
    p.add_argument("out", help="bundle file to write (.zip)")
    p.set_defaults(func=_cmd_export)

    from booth import election_cli, records_cli, service_cli, sim_cli

    election_cli.register(sub)
    records_cli.register(sub)
    sim_cli.register(sub)
    service_cli.register(sub)
    from booth.ui import kiosk_cli

    kiosk_cli.register(sub)
    recap = sub.add_parser("recap", help="rekap kabupaten / the district recap after the polls")
    rsub = recap.add_subparsers(dest="recap_command", metavar="ACTION", required=True)
    from booth.recap import cli as recap_cli
    from booth.recap.web import users_cli

    recap_cli.register(rsub)
    users_cli.register(rsub)
    from booth.witness import cli as witness_cli

    witness_cli.register(sub)
    from booth.audit import cli as audit_cli

    audit_cli.register(sub)
    from booth.station import link_cli

    link_cli.register(sub)
    p = sub.add_parser(
        "screens",
        help="draw every kiosk screen into OUT (the gallery: `booth screens docs/screens`)",
        description="Draw every kiosk screen, per resolution and language, with the gallery page "
        "OUT/README.md. Without OUT into a new temporary folder (never into the "
        "checkout unasked); `booth screens docs/screens` refreshes the gallery.",
    )
    p.add_argument("out", nargs="?", default=None, help="folder to write into (default: a new temporary folder)")
    p.add_argument("--sizes", help="e.g. 720x1280,1024x600 (default: every supported size)")
    p.add_argument("--languages", help="e.g. id,en (default: both)")
    p.set_defaults(func=_cmd_screens)
    p = sub.add_parser(
        "guidebook",
        help="build the companions' guidebook (Markdown images + PDF) from the simulator",
        description="Build the guidebook into OUT; without OUT into a new temporary folder "
        "(`booth guidebook docs/guidebook` refreshes the checkout's).",
    )
    p.add_argument("out", nargs="?", default=None, help="folder to write into (default: a new temporary folder)")
    p.set_defaults(func=_cmd_guidebook)
    return parser


def _out_or_temporary(out: str | None, what: str) -> str:
    """The folder a documentation tool writes into: the one given, else a new temporary one (said)."""
    if out is not None:
        return out
    import tempfile

    made = tempfile.mkdtemp(prefix=f"booth-{what}-")
    print(f"booth {what}: menulis ke / writing into {made} (give a folder to write elsewhere)", file=sys.stderr)
    return made


def _cmd_guidebook(args) -> int:
    from booth_dev import guidebook

    return guidebook.main([_out_or_temporary(args.out, "guidebook")]) or 0


def _cmd_screens(args) -> int:
    from booth_dev import gallery

    argv = [_out_or_temporary(args.out, "screens")]
    if args.sizes:
        argv += ["--sizes", args.sizes]
    if args.languages:
        argv += ["--languages", args.languages]
    return gallery.main(argv) or 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
