"""``booth audit ...``: the risk-limiting audit of the slips, one command per step of the afternoon."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path


def _cmd_sample_size(args) -> int:
    from booth.audit import risk

    try:
        margin = risk.parse_fraction(args.margin, "margin")
        limit = risk.parse_fraction(args.risk_limit, "batas risiko / risk limit")
    except risk.BadFraction as exc:
        print(f"booth audit: {exc}", file=sys.stderr)
        return 2
    if args.kind == "polling":
        n = risk.polling_sample_size(margin, limit)
        print(
            f"Audit polling (BRAVO), margin {_pct(margin)}, batas risiko / risk limit {_pct(limit)}: "
            "perkiraan struk yang diambil / expected slips to draw"
        )
    else:
        n = risk.comparison_sample_size(margin, limit)
        clean = risk.clean_sample_size(margin, limit)
        print(
            f"Audit perbandingan / comparison audit (Kaplan-Markov, gamma {risk.GAMMA}), margin {_pct(margin)}, "
            f"batas risiko / risk limit {_pct(limit)}"
        )
        print(f"  tanpa selisih / if no slip differs: {clean}")
        print("  dengan asumsi Arlo (selisih 1 suara 1/1000, 2 suara 1/10000) / with Arlo's error assumptions:")
    if args.ballots is not None and (n == risk.FULL_HAND_COUNT or n >= args.ballots):
        print(f"  = semua struk, hitung manual / every slip: a full hand count ({args.ballots})")
        n = args.ballots
    elif n == risk.FULL_HAND_COUNT:
        print(
            "booth audit: pada margin ini tidak ada sampel yang cukup: hitung manual semua struk "
            "(beri --ballots N untuk jumlahnya) / at this margin no sample can do: count every slip by hand "
            "(give --ballots N for the number)",
            file=sys.stderr,
        )
        return 1
    print(n)
    return 0


def _fail(exc: Exception, code: int = 1) -> int:
    print(f"booth audit: {exc}", file=sys.stderr)
    return code


def _key_path(args) -> Path:
    return Path(args.key) if args.key else Path(args.record).with_suffix(".key")


def _open(args):
    from booth.audit.record import AuditRecord, StepRefused
    from booth.ledger.keys import DeviceKey, KeyFileError

    try:
        key = DeviceKey.load(_key_path(args))
    except KeyFileError:
        raise StepRefused(
            f"kunci audit {_key_path(args)} tidak terbaca; beri --key / "
            f"the audit key {_key_path(args)} cannot be read; give --key"
        ) from None
    return AuditRecord(Path(args.record), key)


def _cmd_start(args) -> int:
    from booth.audit import risk
    from booth.audit.contest import AuditRefused, read_contest, read_contest_from_recap
    from booth.audit.record import AuditRecord, StepRefused

    try:
        limit = risk.parse_fraction(args.risk_limit, "batas risiko / risk limit")
        if args.recap:
            if not args.pekon or args.sources:
                raise AuditRefused(
                    "dengan --recap beri --pekon NAMA, tanpa berkas / with --recap give --pekon NAME and no files"
                )
            contest = read_contest_from_recap(Path(args.recap), args.pekon)
        elif not args.sources:
            raise AuditRefused(
                "beri bundel atau folder setiap bilik, atau --recap DATA --pekon NAMA / "
                "give each booth's bundle or state directory, or --recap DATA --pekon NAME"
            )
        else:
            contest = read_contest([Path(p) for p in args.sources], several_elections=args.several_elections)
        record = AuditRecord.create(Path(args.record), contest, limit, key_path=_key_path(args))
    except (risk.BadFraction, AuditRefused, StepRefused, OSError) as exc:
        return _fail(exc, 2 if isinstance(exc, risk.BadFraction) else 1)
    state = record.state
    print(f"Audit dimulai / audit started: {args.record} (kunci / key {_key_path(args)})")
    print(f"  pemilihan / election: {contest.election_id}")
    for box in contest.boxes:
        print(f"  kotak / box {box.label}: {box.slips} struk menurut catatan / slips by the records ({box.source})")
    print("  perolehan / reported tally: " + ", ".join(f"{c}: {n}" for c, n in contest.tally().items()))
    print(f"  batas risiko / risk limit: {_pct(limit)}; sidik jari catatan / record fingerprint {state.fingerprint}")
    print("Berikutnya / next: " + state.next_step())
    return 0


def _counts(pairs: list[str], what: str) -> dict[str, int]:
    from booth.audit.record import StepRefused

    out: dict[str, int] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not value.strip().isdigit() or not key.strip():
            raise StepRefused(f"tulis {what} sebagai KUNCI=JUMLAH, mis. 1=250 / write {what} as KEY=COUNT, e.g. 1=250")
        if key.strip() in out:
            raise StepRefused(f"{key.strip()} ditulis dua kali / {key.strip()} given twice")
        out[key.strip()] = int(value)
    return out


def _cmd_boxes(args) -> int:
    from booth.audit.record import RecordInvalid, StepRefused

    try:
        counts = _counts(args.count, "hitungan / the counts")
        record = _open(args)
        if not counts:
            _print_boxes(record.state)
            return 0
        derived = record.step("paper.counted", {"counts": counts})
    except (StepRefused, RecordInvalid, OSError, ValueError) as exc:
        return _fail(exc)
    for label, diff in derived["differences"].items():
        paper = record.state.paper[label] if record.state.paper else 0
        note = "sesuai / agrees" if diff == 0 else f"SELISIH / DIFFERS {diff:+d}"
        print(f"  kotak / box {label}: {paper} struk di kertas / slips on paper — {note}")
    if any(derived["differences"].values()):
        print(
            "  Selisih dihitung terhadap hasil: tempat tanpa struk dan struk tanpa catatan dianggap kasus terburuk / "
            "differences count against the outcome: places without a slip and slips without a record are worst cases"
        )
    print(f"  N = {derived['ballots']}, margin {derived['diluted_margin']}")
    size = derived["first_round_size"]
    print(
        f"  putaran 1: {size} struk / round 1: {size} slips"
        if size > 0
        else "  tidak ada sampel yang cukup: hitung manual semua struk / no sample can do: count every slip by hand"
    )
    print("Berikutnya / next: " + record.state.next_step())
    return 0


def _print_boxes(state) -> None:
    for box in state.contest.boxes:
        paper = "belum dihitung / not counted" if state.paper is None else str(state.paper[box.label])
        print(f"  kotak / box {box.label}: catatan / records {box.slips}, kertas / paper {paper} ({box.source})")


def _cmd_seed(args) -> int:
    from booth.audit.record import RecordInvalid, StepRefused
    from booth.audit.sampling import BadSeed, dice_digits

    first = args.dice if args.dice is not None else input("Angka dadu (20 digit) / dice digits (20): ")
    second = args.dice_again if args.dice_again is not None else input("Sekali lagi / once more: ")
    try:
        dice = dice_digits(first, second)
        record = _open(args)
        derived = record.step("round.seeded", {"round": len(record.state.rounds) + 1, "dice": dice})
    except (BadSeed, StepRefused, RecordInvalid, OSError, ValueError) as exc:
        return _fail(exc)
    number = record.state.rounds[-1].number
    print(f"Putaran / round {number}: {derived['size']} tarikan / draws, benih / seed {derived['seed']}")
    if derived["phantoms"]:
        print(f"  {derived['phantoms']} tempat tanpa struk (dihitung terburuk) / places without a slip (worst case)")
    print("Berikutnya / next: booth audit pull-list " + args.record)
    return 0


def _cmd_pull_list(args) -> int:
    from booth.audit import pull_list
    from booth.audit.record import RecordInvalid, replay

    try:
        state = replay(Path(args.record))
        if not state.rounds:
            raise ValueError("belum ada putaran: booth audit seed / no round yet: booth audit seed")
        number = args.round or state.rounds[-1].number
        items = pull_list.items(state, number)
        if args.pdf:
            pull_list.write_pdf(state, number, Path(args.pdf))
        if args.png:
            pull_list.write_png(state, number, Path(args.png))
    except (RecordInvalid, OSError, ValueError) as exc:
        return _fail(exc)
    print(f"Daftar tarik putaran {number} / pull list of round {number}:")
    for item in items:
        print("  " + item.line())
    for path in filter(None, (args.pdf, args.png)):
        print(f"  ditulis / written: {path}")
    return 0


def _slip_in_photo(path: str) -> tuple[str, str]:
    """(kind, ballot ID) of the one slip QR in a photo of the pulled slip (a camera, a phone).

    The photo is hostile until checked: its size before reading, then the recap's photo checks
    (format, pixels) and decoding with zxing-cpp; exactly one booth slip or VOID QR must be in it.
    """
    from booth.audit.record import StepRefused, parse_slip_qr
    from booth.recap.api import MAX_PHOTO_BYTES
    from booth.recap.photos import PhotoError, statements_in_image

    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_PHOTO_BYTES:
            raise StepRefused(
                f"foto terlalu besar: {size:,} byte (batas {MAX_PHOTO_BYTES // 2**20} MB) / "
                f"the photo is too large: {size:,} bytes (limit {MAX_PHOTO_BYTES // 2**20} MB)"
            )
        found = statements_in_image(file.read_bytes())
    except PhotoError as exc:
        if exc.code in ("not_an_image", "too_large"):
            raise StepRefused(f"{exc.id} / {exc.en}") from None
        found = []
    slips = []
    for text in found:
        try:
            slips.append(parse_slip_qr(text))
        except StepRefused:
            continue
    if len(set(slips)) != 1:
        raise StepRefused(
            "foto ini tidak memuat tepat satu QR struk; foto satu struk saja, dari dekat dan terang / "
            "this photo does not show exactly one slip's QR; photograph one slip, close and well lit"
            if not slips
            else "foto ini memuat QR beberapa struk; foto satu struk saja / "
            "this photo shows several slips' QR codes; photograph one slip at a time"
        )
    return slips[0]


def _cmd_record(args) -> int:
    from booth.audit.record import RecordInvalid, StepRefused, parse_slip_qr

    if args.scan:
        return _scan(args)
    try:
        if args.box is None or args.position is None:
            raise StepRefused("beri --box dan --position, atau --scan / give --box and --position, or --scan")
        if args.qr is not None:
            kind, ballot_id, how = (*parse_slip_qr(args.qr), "qr")
        elif args.photo is not None:
            kind, ballot_id, how = (*_slip_in_photo(args.photo), "photo")
        elif args.nothing:
            kind, ballot_id, how = "none", None, "typed"
        elif args.ballot_id:
            kind, ballot_id, how = ("void" if args.void else "slip"), args.ballot_id.replace("-", "").lower(), "typed"
        else:
            raise StepRefused(
                "beri --qr TEKS, --photo FOTO, --ballot-id ID atau --nothing / "
                "give --qr TEXT, --photo PHOTO, --ballot-id ID or --nothing"
            )
        choice = None if kind != "slip" else args.choice
        if kind == "slip" and choice is None:
            raise StepRefused(
                "tulis pilihan yang terbaca di struk: --choice 2 (atau blank) / "
                "give the choice read off the slip: --choice 2 (or blank)"
            )
        if kind != "slip" and args.choice is not None:
            raise StepRefused(
                "cetakan BATAL atau tempat kosong tidak punya pilihan / a VOID print or an empty place has no choice"
            )
        record = _open(args)
        inputs = {"box": args.box, "position": args.position, "kind": kind, "ballot_id": ballot_id}
        derived = record.step("slip.read", {**inputs, "choice": choice, "how": how})
    except (StepRefused, RecordInvalid, OSError, ValueError) as exc:
        return _fail(exc)
    words = CLASS_WORDS.get(derived["class"], derived["class"])
    print(f"kotak / box {args.box}, struk ke- / slip {args.position}: {words}")
    _print_status(record.state)
    return 0


def _scan(args) -> int:
    """``record --scan``: the pull list place by place; a QR scanner (a keyboard to the laptop) or typing.

    For each unread place: the QR text (or the ballot ID typed; an empty line: no slip
    there), then for a slip the nomor urut read off it.  Each answer is recorded at
    once, so stopping (end of input) keeps everything recorded so far.
    """
    from booth.audit.record import RecordInvalid, StepRefused, parse_slip_qr

    try:
        record = _open(args)
    except (StepRefused, RecordInvalid, OSError, ValueError) as exc:
        return _fail(exc)
    state = record.state
    try:
        while state.rounds and state.unread(state.rounds[-1].number):
            box, position = state.unread(state.rounds[-1].number)[0]
            print(f"kotak {box}, struk ke-{position} dari atas / box {box}, slip {position} from the top")
            line = input("  QR atau ID (kosong = tidak ada struk) / QR or ID (empty = no slip): ").strip()
            try:
                if not line:
                    kind, ballot_id, how = "none", None, "typed"
                elif line.upper().startswith("BOOTH1:"):
                    kind, ballot_id, how = (*parse_slip_qr(line), "qr")
                else:
                    kind, ballot_id, how = "slip", line.replace("-", "").replace(" ", "").lower(), "typed"
                choice = None
                if kind == "slip":
                    answer = input("  pilihan (nomor urut, blank, batal) / choice (number, blank, void): ").strip()
                    if answer.lower() in ("batal", "void"):
                        kind = "void"
                    else:
                        choice = {"kosong": "blank"}.get(answer.lower(), answer.lower())
                inputs = {"box": box, "position": position, "kind": kind, "ballot_id": ballot_id}
                derived = record.step("slip.read", {**inputs, "choice": choice, "how": how})
            except StepRefused as exc:
                print(f"  DITOLAK / REFUSED: {exc}")
                continue
            print("  " + CLASS_WORDS.get(derived["class"], derived["class"]))
    except EOFError:
        print()
    _print_status(state)
    return 0


def _cmd_hand_count(args) -> int:
    from booth.audit.record import RecordInvalid, StepRefused

    try:
        record = _open(args)
        derived = record.step(
            "hand.counted", {"box": args.box, "counts": _counts(args.count, "lembar hitung / the sheet")}
        )
    except (StepRefused, RecordInvalid, OSError, ValueError) as exc:
        return _fail(exc)
    diff = derived["differences"]
    print(
        f"kotak / box {args.box}: {derived['total']} struk / slips, "
        + (
            "sesuai catatan / as the records say"
            if not diff
            else "SELISIH / DIFFERS " + ", ".join(f"{k}: {v:+d}" for k, v in diff.items())
        )
    )
    _print_status(record.state)
    return 0


def _cmd_count_sheet(args) -> int:
    from booth.audit import report
    from booth.audit.record import RecordInvalid, replay

    try:
        state = replay(Path(args.record))
        report.write_count_sheet_pdf(state, Path(args.pdf))
    except (RecordInvalid, OSError) as exc:
        return _fail(exc)
    boxes = len(state.contest.boxes) if state.contest is not None else 0
    print(f"Lembar hitung manual / hand count sheets ({boxes} kotak / boxes): {args.pdf}")
    return 0


def _cmd_status(args) -> int:
    from booth.audit.record import RecordInvalid, replay

    try:
        state = replay(Path(args.record))
    except (RecordInvalid, OSError) as exc:
        return _fail(exc)
    _print_status(state)
    return 0


def _print_status(state) -> None:
    from booth.audit import report

    for line in report.status_lines(state):
        print(line)


def _cmd_report(args) -> int:
    from booth.audit import report
    from booth.audit.record import RecordInvalid, replay
    from booth.paper.layout import to_png

    try:
        state = replay(Path(args.record))
        if args.png:
            to_png(report.render(state), args.png)
        if args.pdf:
            report.write_pdf(state, Path(args.pdf))
    except (RecordInvalid, OSError) as exc:
        return _fail(exc)
    for title, rows in report.report_sections(state):
        print(title)
        for indonesian, english in rows:
            print(f"  {indonesian} / {english}")
    for path in filter(None, (args.pdf, args.png)):
        print(f"ditulis / written: {path}")
    return 0


def _cmd_check(args) -> int:
    from booth.audit.record import check

    ok, words = check(Path(args.record), args.head)
    print(("SESUAI / REPRODUCES: " if ok else "TIDAK SESUAI / DOES NOT REPRODUCE: ") + words)
    return 0 if ok else 1


CLASS_WORDS = {
    "match": "sesuai / matches its record",
    "overstatement_1": "selisih 1 suara merugikan hasil / 1-vote overstatement",
    "overstatement_2": "selisih 2 suara merugikan hasil / 2-vote overstatement",
    "understatement_1": "selisih 1 suara menguntungkan hasil / 1-vote understatement",
    "understatement_2": "selisih 2 suara menguntungkan hasil / 2-vote understatement",
    "slip_without_cvr": "struk tanpa catatan / slip with no record (worst case)",
    "duplicate_slip": "ID sudah ditemukan di tempat lain / an ID found twice (worst case)",
    "cvr_without_slip": "tidak ada struk / no slip there (worst case)",
    "spoiled_void": "surat suara batal dengan cetakan BATAL / a spoiled ballot with its VOID print",
    "void_for_counted_ballot": "cetakan BATAL untuk suara yang dihitung / a VOID print for a counted ballot",
    "slip_for_spoiled_ballot": "struk untuk surat suara batal / a slip for a spoiled ballot",
}


def _pct(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


def register(sub) -> None:
    """Add ``audit ...`` to the top-level subcommands."""
    audit = sub.add_parser("audit", help="audit struk / risk-limiting audit of the paper slips")
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    p = asub.add_parser("sample-size", help="expected slips to draw for a margin and a risk limit")
    p.add_argument("--margin", required=True, help="diluted margin: 0.05 or 5%%")
    p.add_argument("--risk-limit", required=True, help="risk limit: 0.05 or 5%%")
    p.add_argument("--kind", choices=("comparison", "polling"), default="comparison")
    p.add_argument("--ballots", type=int, help="slips in the contest: caps the figure (a full hand count)")
    p.set_defaults(func=_cmd_sample_size)

    def with_record(p):
        p.add_argument("record", help="the audit record, e.g. audit.jsonl")
        p.add_argument("--key", help="the audit key (default: the record's name with .key)")
        return p

    p = with_record(asub.add_parser("start", help="start an audit from booths' bundles or state directories"))
    p.add_argument("sources", nargs="*", help="one bundle (.zip) or state directory per booth: box 1, 2, ...")
    p.add_argument("--recap", metavar="DATA", help="take the bundles from the district recap's data folder")
    p.add_argument("--pekon", help="with --recap: the village whose polling places are one contest")
    p.add_argument(
        "--several-elections",
        action="store_true",
        help="the bundles are one contest's polling places, each with its own election package",
    )
    p.add_argument("--risk-limit", default="5%", help="risk limit (default 5%%)")
    p.set_defaults(func=_cmd_start)

    p = with_record(asub.add_parser("boxes", help="the boxes; with --count, the paper count of each box"))
    p.add_argument("--count", action="append", metavar="BOX=SLIPS", help="paper count of one box; repeat per box")
    p.set_defaults(func=_cmd_boxes)

    p = with_record(asub.add_parser("seed", help="the seed ceremony: 20 dice digits, entered twice"))
    p.add_argument("--dice", help="the 20 digits (asked for when left out)")
    p.add_argument("--dice-again", help="the same 20 digits, entered by a second person")
    p.set_defaults(func=_cmd_seed)

    p = with_record(asub.add_parser("pull-list", help="the slips to pull, box by box; as PDF and printable PNG"))
    p.add_argument("--round", type=int, help="which round (default: the latest)")
    p.add_argument("--pdf", help="write the pull list as PDF here")
    p.add_argument("--png", help="write the pull list as a 384-dot printable PNG here")
    p.set_defaults(func=_cmd_pull_list)

    p = with_record(asub.add_parser("record", help="record one pulled slip: its QR text or typed ID, and the choice"))
    p.add_argument("--box")
    p.add_argument("--position", type=int, help="the place from the top, as on the pull list")
    p.add_argument(
        "--scan", action="store_true", help="go through the pull list: read each QR (a scanner types it) or ID"
    )
    p.add_argument("--qr", help="the QR text scanned off the slip (BOOTH1:B:... or BOOTH1:V:...)")
    p.add_argument("--photo", help="a photo of the pulled slip (camera or phone): its QR is read from it")
    p.add_argument("--ballot-id", help="the ballot ID typed off the slip (32 hex digits, or the 16 printed)")
    p.add_argument("--void", action="store_true", help="with --ballot-id: the paper is a VOID (BATAL) print")
    p.add_argument("--nothing", action="store_true", help="there is no slip at that place")
    p.add_argument("--choice", help="the nomor urut read off the slip's box (or blank)")
    p.set_defaults(func=_cmd_record)

    p = with_record(asub.add_parser("hand-count", help="a box's full hand count (count sheet)"))
    p.add_argument("--box", required=True)
    p.add_argument("--count", action="append", metavar="CHOICE=N", help="e.g. 1=120, blank=3, void=1; repeat")
    p.set_defaults(func=_cmd_hand_count)

    p = asub.add_parser("count-sheet", help="the hand count's sheets, a page per box, as PDF")
    p.add_argument("record")
    p.add_argument("--pdf", required=True, help="write the sheets here")
    p.set_defaults(func=_cmd_count_sheet)

    p = asub.add_parser("status", help="the risk so far and the next step")
    p.add_argument("record")
    p.set_defaults(func=_cmd_status)

    p = asub.add_parser("report", help="the berita acara of the audit: counts and figures, printable PNG and PDF")
    p.add_argument("record")
    p.add_argument("--pdf", help="write it as PDF here")
    p.add_argument("--png", help="write it as a 384-dot printable PNG here")
    p.set_defaults(func=_cmd_report)

    p = asub.add_parser("check", help="re-derive every sample and risk figure of a record (exit 0 when it reproduces)")
    p.add_argument("record")
    p.add_argument("--head", help="the record's head as printed on the audit report (catches a record cut short)")
    p.set_defaults(func=_cmd_check)
