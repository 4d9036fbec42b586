"""``booth recap ...``: the district recap on the command line (names kept for outside scripts).

    booth recap serve  --data DIR [--listen HOST:PORT] [--database URL] [--workers N] [--watch FOLDER]
    booth recap ingest --data DIR FILE...        bundles (.zip), photos/scans (.jpg .png .webp), statements (.txt)
    booth recap watch  --data DIR FOLDER         ingest whatever is dropped into FOLDER (a USB stick)
    booth recap totals --data DIR [--json]
    booth recap export --data DIR OUT            OUT/results-nist-err.json, cvr-nist.json, events-nist-eel.json
    booth recap demo   --data DIR [--no-serve]
    booth recap device add|import|list|remove --data DIR ...
    booth recap targets --data DIR [17:00=80 24:00=100]
    booth recap receipt --data DIR ELECTION_ID   the receipt (JSON) of a polling place's counted result
    booth recap receipt-check RECEIPT.json --key RECAP.pub

Exit codes: 0 done; 1 something was refused (each refusal on its own line with
its reason); 2 the data directory (or the database) cannot be used.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

BUNDLE_SUFFIXES = (".zip",)
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
TEXT_SUFFIXES = (".txt",)


def register(rsub) -> None:
    """Add the recap's subcommands to the ``booth recap`` subparsers."""

    def data(p, *, db: bool = True):
        p.add_argument("--data", required=True, type=Path, help="the recap's data directory")
        if db:
            p.add_argument("--database", help="postgresql://... (default: SQLite in the data directory)")

    p = rsub.add_parser("serve", help="jalankan rekap (halaman web) / run the recap's web pages")
    data(p)
    p.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT (default 127.0.0.1:8080)")
    p.add_argument("--workers", type=int, default=None, help="verification worker processes (default: cores, max 4)")
    p.add_argument("--watch", type=Path, help="also ingest files dropped into this folder (USB stick)")
    p.set_defaults(func=cmd_serve)

    p = rsub.add_parser("ingest", help="terima berkas / ingest bundles, report photos, statements")
    data(p)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--by", default="", help="who brought the files (recorded)")
    p.set_defaults(func=cmd_ingest)

    p = rsub.add_parser("watch", help="pantau folder / ingest files dropped into a folder")
    data(p)
    p.add_argument("folder", type=Path)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--once", action="store_true", help="ingest what is there now, then stop")
    p.set_defaults(func=cmd_watch)

    p = rsub.add_parser("totals", help="rekap per TPS dan wilayah / totals per polling place and area")
    data(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_totals)

    p = rsub.add_parser("export", help="ekspor NIST / the NIST exports")
    data(p)
    p.add_argument("out", type=Path)
    p.set_defaults(func=cmd_export)

    p = rsub.add_parser("demo", help="malam rekap demo / the demo evening (40 polling places)")
    data(p, db=False)
    p.add_argument("--no-serve", action="store_true")
    p.add_argument("--listen", default="127.0.0.1:8080")
    p.add_argument("--places", type=int, default=40)
    p.add_argument("--voters", type=int, default=None, help="voters per TPS (default: realistic DPT sizes)")
    p.set_defaults(func=cmd_demo)

    dev = rsub.add_parser("device", help="daftar perangkat / the device registry")
    dsub = dev.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    p = dsub.add_parser("add", help="register a device for the polling place of an election package")
    data(p)
    p.add_argument("--package", required=True, type=Path, help="the election package the device was loaded with")
    p.add_argument("--key", required=True, help="the device's verifier key, or a device.pub file / state directory")
    p.add_argument("--by", default="", help="committee member (recorded)")
    p.set_defaults(func=cmd_device_add)
    p = dsub.add_parser("import", help="register every device of a registry.json")
    data(p)
    p.add_argument("file", type=Path)
    p.add_argument("--by", default="")
    p.set_defaults(func=cmd_device_import)
    p = dsub.add_parser("list", help="the registered devices")
    data(p)
    p.add_argument("--json", action="store_true", help="the registry file format")
    p.set_defaults(func=cmd_device_list)
    p = dsub.add_parser("remove", help="remove a device's registration")
    data(p)
    p.add_argument("fingerprint", help="the device fingerprint (at least its first 16 hex digits)")
    p.set_defaults(func=cmd_device_remove)

    p = rsub.add_parser("targets", help="target malam ini / the evening's targets (e.g. 17:00=80 24:00=100)")
    data(p)
    p.add_argument("targets", nargs="*", metavar="HH:MM=PERCENT")
    p.set_defaults(func=cmd_targets)

    p = rsub.add_parser("receipt", help="tanda terima sebuah TPS / a polling place's receipt (JSON)")
    data(p)
    p.add_argument("which", help="the polling place's election ID, or a submission's sha256 (a prefix will do)")
    p.set_defaults(func=cmd_receipt)

    p = rsub.add_parser("receipt-check", help="periksa tanda terima / verify a recap receipt")
    p.add_argument("receipt", type=Path)
    p.add_argument("--key", required=True, help="the recap's verifier key or its recap.pub file")
    p.set_defaults(func=cmd_receipt_check)

    p = rsub.add_parser("worker", help="verification worker for a PostgreSQL recap (any machine)")
    p.add_argument("--database", required=True)
    p.add_argument("--data", type=Path, default=None, help="a data directory holding the recap's key")
    p.add_argument("--concurrency", type=int, default=1)
    p.set_defaults(func=cmd_worker)


def _err(id_text: str, en_text: str) -> None:
    print(f"booth: {id_text} / {en_text}", file=sys.stderr)


def _open(args, *, workers: int | None = 0, queue: str = "local"):
    from booth.recap.api import RecapError
    from booth.recap.start import open_recap

    try:
        return open_recap(args.data, database=getattr(args, "database", None), workers=workers, queue=queue)
    except RecapError as exc:
        _err(exc.id, exc.en)
        return None
    except Exception as exc:  # a database that cannot be reached, a damaged file: no traceback
        _err("Data rekap tidak bisa dipakai", f"The recap's data cannot be used ({exc})")
        return None


# ------------------------------------------------------------------ intake
def _describe(outcome, name: str, recap=None) -> tuple[str, bool]:
    sub = outcome.submission
    if outcome.duplicate:
        return f"sudah ada / already received: {name}", True
    if sub.status == "accepted":
        if sub.kind == "bundle":
            kind = "bundel terverifikasi / verified bundle"
        else:
            # A statement counts the place provisionally only until its bundle is in: say which it is.
            place = recap.place(sub.election_id) if recap is not None and sub.election_id else None
            if place is not None and place.state == "verified":
                kind = "QR, TPS sudah terverifikasi dengan bundelnya / QR, the place is already verified by its bundle"
            elif place is not None and place.state == "conflict":
                kind = "QR, TPS dalam konflik / QR, the place is in conflict"
            else:
                kind = "QR (sementara / provisional)"
        return f"diterima / accepted: {name} — {kind}, tanda terima / receipt #{sub.receipt_index}", True
    return f"DITOLAK / REFUSED: {name} — {sub.reason_id} / {sub.reason_en}", False


def ingest_files(recap, files: list[Path], *, source: str, by: str = "", progress: bool = True) -> int:
    """Ingest ``files``; prints one line per file; returns 0 when every file was accepted or already there."""
    ok, lines = ingest_lines(recap, files, source=source, by=by, progress=progress)
    for line in lines:
        print(line)
    return 0 if ok else 1


def ingest_lines(
    recap, files: list[Path], *, source: str, by: str = "", progress: bool = True
) -> tuple[bool, list[str]]:
    """Ingest ``files``: (all accepted or already there, one line per file)."""
    from tqdm import tqdm

    from booth.recap.api import MAX_BUNDLE_BYTES, RecapError

    ok = True
    bundles: list[tuple[bytes, str]] = []
    lines: list[str] = []
    others: list[Path] = []
    for path in files:
        try:
            if path.is_dir():
                raise IsADirectoryError(str(path))
            if path.suffix.lower() in BUNDLE_SUFFIXES:
                size = path.stat().st_size
                if size > MAX_BUNDLE_BYTES:
                    lines.append(
                        f"DITOLAK / REFUSED: {path} — berkas terlalu besar / the file is too large ({size} bytes)"
                    )
                    ok = False
                    continue
                bundles.append((path.read_bytes(), str(path)))
            else:
                others.append(path)
        except OSError as exc:
            lines.append(f"DITOLAK / REFUSED: {path} — tidak bisa dibaca / cannot be read ({exc.strerror or exc})")
            ok = False
    bar = tqdm(
        total=len(bundles) + len(others),
        unit="berkas",
        disable=not progress or not sys.stderr.isatty(),
        file=sys.stderr,
    )
    try:

        def done(outcome) -> None:
            bar.update(1)

        for outcome, (_, name) in zip(
            recap.submit_bundles(bundles, source=source, by=by, progress=done), bundles, strict=False
        ):
            line, good = _describe(outcome, name, recap)
            lines.append(line)
            ok &= good
        for path in others:
            try:
                data = path.read_bytes()
                suffix = path.suffix.lower()
                if suffix in PHOTO_SUFFIXES:
                    outcomes = recap.submit_photo(data, source="photo", filename=path.name, by=by)
                elif suffix in TEXT_SUFFIXES:
                    outcomes = [recap.submit_statement(data.decode("utf-8"), source="text", filename=path.name, by=by)]
                else:
                    raise RecapError(
                        "jenis berkas tidak dikenal (.zip, .jpg, .png, .webp, .txt)",
                        "unknown kind of file (.zip, .jpg, .png, .webp, .txt)",
                    )
                for outcome in outcomes:
                    line, good = _describe(outcome, str(path), recap)
                    lines.append(line)
                    ok &= good
            except RecapError as exc:
                lines.append(f"DITOLAK / REFUSED: {path} — {exc.id} / {exc.en}")
                ok = False
            except (OSError, UnicodeDecodeError) as exc:
                lines.append(f"DITOLAK / REFUSED: {path} — tidak bisa dibaca / cannot be read ({exc})")
                ok = False
            bar.update(1)
    finally:
        bar.close()
    return ok, lines


def cmd_ingest(args) -> int:
    recap = _open(args, workers=args.workers)
    if recap is None:
        return 2
    with recap:
        recap.resume()
        return ingest_files(recap, list(args.files), source="cli", by=args.by)


class FolderWatcher:
    """Ingest files dropped into a folder once their size has stopped changing (a copy finished)."""

    def __init__(self, recap, folder: Path) -> None:
        self.recap, self.folder = recap, Path(folder)
        self._seen: dict[Path, tuple[int, float]] = {}
        self._pending: dict[Path, tuple[int, float]] = {}

    def scan(self) -> list[str]:
        lines: list[str] = []
        try:
            entries = sorted(p for p in self.folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        except OSError:
            return lines  # the stick was pulled out: wait for it
        ready = []
        for path in entries:
            if path.suffix.lower() not in BUNDLE_SUFFIXES + PHOTO_SUFFIXES + TEXT_SUFFIXES:
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            sig = (st.st_size, st.st_mtime)
            if self._seen.get(path) == sig:
                continue
            if self._pending.get(path) == sig:
                ready.append(path)
                self._seen[path] = sig
                self._pending.pop(path, None)
            else:
                self._pending[path] = sig
        if ready:
            lines = ingest_lines(self.recap, ready, source="folder", progress=False)[1]
        return lines


def cmd_watch(args) -> int:
    if not args.folder.is_dir():
        _err(f"folder tidak ada: {args.folder}", f"no such folder: {args.folder}")
        return 2
    recap = _open(args, workers=args.workers)
    if recap is None:
        return 2
    watcher = FolderWatcher(recap, args.folder)
    print(f"Memantau / watching {args.folder} (Ctrl+C untuk berhenti / to stop)", flush=True)
    try:
        with recap:
            recap.resume()
            while True:
                for line in watcher.scan():
                    print(line, flush=True)
                if args.once and not watcher._pending:
                    return 0
                time.sleep(1.0)
    except KeyboardInterrupt:
        return 0


# ------------------------------------------------------------------ totals
def place_json(p) -> dict:
    r, reg = p.result, p.registration
    return {
        "election_id": p.election_id,
        "kabupaten": reg.kabupaten,
        "kecamatan": reg.kecamatan,
        "pekon": reg.pekon,
        "tps": reg.tps,
        "state": p.state,
        "devices": list(p.devices),
        "dpt": reg.dpt,
        "dptb": p.dptb,
        "voters": r.voted if r else None,
        "valid": r.total if r else None,
        "tally": dict(r.tally) if r else None,
        "balanced": r.balanced if r else None,
        "log_size": r.log_size if r else None,
        "log_root": r.log_root if r else None,
        "received_at": p.first_counted_at,
        "results": len(p.results),
        "resolution": (
            {"by": p.resolution.by, "reason": p.resolution.reason, "at": p.resolution.at} if p.resolution else None
        ),
        "receipt_index": p.receipt.index if p.receipt else None,
    }


def area_json(a) -> dict:
    out = {
        "level": a.level,
        "name": a.name,
        "path": list(a.path),
        "places": a.places,
        "states": a.states,
        "counted": a.counted,
        "dpt": a.dpt,
        "dptb": a.dptb,
        "voters": a.voted,
        "valid": a.valid,
        "verified_valid": a.verified_valid,
        "spoiled": a.spoiled,
        "turnout": None if a.turnout is None else round(a.turnout, 4),
    }
    if a.tally is not None:
        out["candidates"] = [{"number": c.number, "name": c.name} for c in a.candidates]
        out["tally"] = a.tally
        out["verified_tally"] = a.verified_tally
    if a.children:
        out["children"] = [area_json(c) for c in a.children]
    return out


def totals_json(recap) -> dict:
    t = recap.totals()
    return {
        "generated_at": t.generated_at,
        "recap_key": recap.verifier_key(),
        "checkpoint": recap.checkpoint(),
        "places": [place_json(p) for p in t.places],
        "areas": [area_json(a) for a in t.areas],
    }


def cmd_totals(args) -> int:
    recap = _open(args)
    if recap is None:
        return 2
    with recap:
        if args.json:
            json.dump(totals_json(recap), sys.stdout, ensure_ascii=False, indent=1)
            print()
            return 0
        from booth.recap.api import STATE_WORDS

        t = recap.totals()

        def show(a, depth: int) -> None:
            turnout = "-" if a.turnout is None else f"{a.turnout:.1%}"
            print(
                f"{'  ' * depth}{a.level} {a.name}: {a.counted}/{a.places} TPS masuk / in, "
                f"sah / valid {a.valid}, partisipasi / turnout {turnout}, DPT {a.dpt}"
            )
            if a.tally:
                names = {str(c.number): c.name for c in a.candidates}
                for k, v in a.tally.items():
                    print(f"{'  ' * (depth + 1)}{k:>5} {names.get(k, 'tidak memilih / blank'):<30} {v}")
            for c in a.children:
                show(c, depth + 1)

        for a in t.areas:
            show(a, 0)
        print()
        for p in t.places:
            words = STATE_WORDS[p.state]
            print(f"{p.registration.kecamatan:<14} {p.registration.place_label:<24} {words[0]} / {words[1]}")
        return 0


def cmd_export(args) -> int:
    from booth.recap.api import RecapError

    recap = _open(args)
    if recap is None:
        return 2
    with recap:
        try:
            paths = recap.export(args.out)
        except RecapError as exc:
            _err(exc.id, exc.en)
            return 1
    for path in paths:
        print(path)
    return 0


# ---------------------------------------------------------------- registry
def _read_key(text: str) -> str:
    path = Path(text)
    if path.is_dir():
        path = path / "device.pub"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip().splitlines()[0]
    return text.strip()


def cmd_device_add(args) -> int:
    from booth.recap.api import RecapError

    recap = _open(args)
    if recap is None:
        return 2
    with recap:
        try:
            reg = recap.register_device(_read_key(args.key), args.package, by=args.by)
        except (RecapError, OSError, IndexError) as exc:
            _err(getattr(exc, "id", str(exc)), getattr(exc, "en", str(exc)))
            return 1
    print(f"Terdaftar / registered: {reg.fingerprint[:16]} -> {reg.place_label}, {reg.kecamatan}, {reg.kabupaten}")
    return 0


def cmd_device_import(args) -> int:
    from booth.recap.api import RecapError

    recap = _open(args)
    if recap is None:
        return 2
    with recap:
        try:
            regs = recap.import_registry(args.file.read_bytes(), by=args.by)
        except RecapError as exc:
            _err(exc.id, exc.en)
            return 1
        except OSError as exc:
            _err(f"tidak bisa dibaca: {args.file}", f"cannot read {args.file} ({exc.strerror})")
            return 1
    print(f"Terdaftar / registered: {len(regs)} perangkat / devices")
    return 0


def cmd_device_list(args) -> int:
    from booth.recap.registry import registry_file

    recap = _open(args)
    if recap is None:
        return 2
    with recap:
        regs = recap.registrations()
    if args.json:
        sys.stdout.write(registry_file(regs).decode())
        return 0
    for r in regs:
        print(f"{r.fingerprint[:16]}  {r.kabupaten} / {r.kecamatan} / {r.place_label}  DPT {r.dpt}")
    return 0


def cmd_device_remove(args) -> int:
    recap = _open(args)
    if recap is None:
        return 2
    with recap:
        matches = [r for r in recap.registrations() if r.fingerprint.startswith(args.fingerprint.lower())]
        if len(args.fingerprint) < 16 or len(matches) != 1:
            _err(
                "sebutkan sidik jari perangkat (minimal 16 digit) yang terdaftar",
                "name one registered device fingerprint (at least 16 hex digits)",
            )
            return 1
        recap.unregister_device(matches[0].fingerprint, by="")
    print(f"Dihapus / removed: {matches[0].fingerprint[:16]} ({matches[0].place_label})")
    return 0


def cmd_targets(args) -> int:
    from booth.recap.api import RecapError, Target

    recap = _open(args)
    if recap is None:
        return 2
    with recap:
        if args.targets:
            try:
                targets = []
                for item in args.targets:
                    at, _, pct = item.partition("=")
                    targets.append(Target(at, float(pct.rstrip("%")) / 100))
                recap.set_targets(targets, by="")
            except ValueError:
                _err("tulis target seperti 17:00=80", "write targets like 17:00=80")
                return 1
            except RecapError as exc:
                _err(exc.id, exc.en)
                return 1
        for t in recap.targets():
            print(f"{t.at} {t.share:.0%}")
    return 0


def cmd_receipt(args) -> int:
    recap = _open(args)
    if recap is None:
        return 2
    with recap:
        which = args.which.lower()
        if len(which) < 8:
            _err("sebutkan minimal 8 digit", "give at least 8 hex digits")
            return 1
        receipt = None
        for p in recap.places(receipts=True):
            if p.election_id.startswith(which) and p.receipt is not None:
                receipt = p.receipt
        for s in recap.submissions():
            if receipt is None and s.sha256.startswith(which) and s.receipt_index is not None:
                receipt = recap.receipt(s.id)
        if receipt is None:
            _err("tidak ada tanda terima untuk itu", "no receipt for that (not received, refused or in conflict)")
            return 1
        json.dump(receipt.to_json(), sys.stdout, ensure_ascii=False, indent=1)
        print()
    return 0


def cmd_receipt_check(args) -> int:
    from booth.recap.receipts import ReceiptError, check_receipt

    try:
        fields = check_receipt(args.receipt.read_text(encoding="utf-8"), _read_key(args.key))
    except (OSError, UnicodeDecodeError) as exc:
        _err(f"tidak bisa dibaca: {args.receipt}", f"cannot read {args.receipt} ({exc})")
        return 2
    except ReceiptError as exc:
        print(f"TIDAK SAH / INVALID: {exc}")
        return 1
    print(
        f"SAH / VALID: tanda terima #{fields['index']} dalam log rekap berukuran {fields['log_size']} / "
        f"receipt #{fields['index']} in the recap's log of size {fields['log_size']}"
    )
    for key in ("election", "tps", "kind", "total", "received"):
        if key in fields:
            print(f"  {key}: {fields[key]}")
    return 0


# ------------------------------------------------------------------ serve
def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def cmd_serve(args) -> int:
    try:
        host, port = _listen(args.listen)
    except ValueError:
        _err("--listen harus HOST:PORT", "--listen must be HOST:PORT")
        return 2
    queue = "procrastinate" if args.database else "local"
    recap = _open(args, workers=args.workers, queue=queue)
    if recap is None:
        return 2
    return serve_recap(recap, host, port, watch=args.watch)


def serve_recap(recap, host: str, port: int, *, watch: Path | None = None) -> int:
    import threading

    try:
        from booth.recap.web import serve
    except ImportError as exc:
        _err(
            "paket web rekap belum terpasang (pip install '.[recap]')",
            f"the recap's web packages are not installed (pip install '.[recap]'): {exc}",
        )
        return 2
    recap.resume()
    if watch is not None:
        watcher = FolderWatcher(recap, watch)

        def loop() -> None:
            while True:
                for line in watcher.scan():
                    print(line, flush=True)
                time.sleep(1.0)

        threading.Thread(target=loop, daemon=True, name="watch-folder").start()
    print(f"Rekap berjalan di / recap serving at http://{host}:{port}/  (Ctrl+C untuk berhenti / to stop)", flush=True)
    try:
        serve(recap, host, port, 1)
    except OSError as exc:
        _err(
            f"tidak bisa mendengar di {host}:{port} ({exc.strerror})",
            f"cannot listen on {host}:{port} ({exc.strerror})",
        )
        return 2
    except KeyboardInterrupt:
        pass
    finally:
        recap.close()
    return 0


def cmd_worker(args) -> int:
    try:
        from booth.recap.queue import run_worker
    except ImportError as exc:
        _err("paket antrean belum terpasang", f"the queue packages are not installed: {exc}")
        return 2
    return run_worker(args.database, args.concurrency, data_dir=args.data) or 0


# ------------------------------------------------------------------- demo
def cmd_demo(args) -> int:
    import secrets

    from booth.recap.api import RecapError, Target
    from booth.recap.start import open_recap

    data_dir: Path = args.data
    try:
        from booth.recap.demo_evening import make_demo_evening
    except ImportError as exc:
        _err("demo belum tersedia", f"the demo is not available: {exc}")
        return 2
    if (data_dir / "recap.sqlite").exists():
        _err(f"{data_dir} sudah berisi rekap; pakai folder baru", f"{data_dir} already holds a recap; use a new folder")
        return 2
    try:
        recap = open_recap(data_dir, workers=None)
    except RecapError as exc:
        _err(exc.id, exc.en)
        return 2
    with recap:
        print(
            f"Membuat malam demo / making the demo evening ({args.places} TPS; beberapa menit / a few minutes)...",
            flush=True,
        )
        started = time.monotonic()
        try:
            evening = make_demo_evening(data_dir, places=args.places, voters=args.voters)
        except (ValueError, FileExistsError) as exc:
            _err(f"demo tidak bisa dibuat: {exc}", f"the demo cannot be made: {exc}")
            return 2
        print(
            f"  {len(list((data_dir / 'bundles').glob('*.zip')))} bundel, "
            f"{len(list((data_dir / 'photos').glob('*')))} foto ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
        recap.import_registry((data_dir / "registry.json").read_bytes(), by="demo")
        recap.set_targets([Target("17:00", 0.8), Target("24:00", 1.0)], by="demo")
        code = _ingest_as_it_arrived(recap, evening)
        print(f"(Penolakan di atas memang bagian dari demo / the refusals above are part of the demo: {code})")
        password = _demo_login(data_dir, secrets.token_urlsafe(9))
        del evening
        if args.no_serve:
            return 0
        try:
            host, port = _listen(args.listen)
        except ValueError:
            _err("--listen harus HOST:PORT", "--listen must be HOST:PORT")
            return 2
        print(f"Masuk sebagai / sign in as: panitia / {password}")
    recap = open_recap(data_dir, workers=None)
    return serve_recap(recap, host, port)


def _ingest_as_it_arrived(recap, evening) -> int:
    """Receive the demo's files one by one at their arrival times, so progress by hour shows an afternoon.

    The bundles that only arrive the next morning (``terlambat/``) stay out: their places stay
    provisional (QR only) in the demo, as they would be at midnight."""
    import datetime as dt

    from tqdm import tqdm

    arrivals = [a for a in evening.arrivals if not a.file.startswith("terlambat/")]
    clock = recap.clock
    ok = True
    lines: list[str] = []
    try:
        for arrival in tqdm(arrivals, desc="menerima / receiving", unit="berkas", disable=not sys.stderr.isatty()):
            when = dt.datetime.strptime(arrival.at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            recap.clock = lambda when=when: when
            good, more = ingest_lines(recap, [evening.out_dir / arrival.file], source="demo", by="demo", progress=False)
            ok &= good
            lines += more
    finally:
        recap.clock = clock
    for line in lines:
        print(line)
    return 0 if ok else 1


def _demo_login(data_dir: Path, password: str) -> str:
    """A committee account for the demo, its password written beside the data (demo only)."""
    try:
        from booth.recap.web.users import UserBook
    except ImportError:
        return "(web extra not installed)"
    book = UserBook(data_dir)
    book.add("panitia", password, replace=True)
    (data_dir / "demo-login.txt").write_text(f"panitia\n{password}\n")
    return password
