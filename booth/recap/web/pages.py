"""The committee's pages over the ``Recap`` facade: the dashboard, results by area, each polling
place (submissions, receipt, refusals), conflicts and their resolution, missing polling places,
refused submissions, the device registry and the evening's targets.

Every handler reads or changes the recap only through ``booth.recap.api``'s methods; a request
the recap refuses (``RecapError``) is shown in the page with its words and changes nothing.
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import booth.recap.web.charts as charts
from booth.recap.api import Area, Place, RecapError, Target, Totals
from booth.recap.web.rendering import Page

SOURCE_WORDS = {
    "upload": ("unggahan web", "web upload"),
    "folder": ("folder dipantau (flashdisk)", "watched folder (USB stick)"),
    "cli": ("impor baris perintah", "command-line import"),
    "photo": ("foto/pindaian laporan", "photo/scan of the report"),
    "text": ("teks pernyataan", "statement text"),
    "demo": ("demo", "demo"),
}
KIND_WORDS = {"bundle": ("Bundel", "Bundle"), "statement": ("QR laporan hasil", "Results report QR")}
STATUS_WORDS = {
    "accepted": ("Diterima", "Accepted"),
    "refused": ("Ditolak", "Refused"),
    "queued": ("Diperiksa", "Being verified"),
}
MAX_PACKAGE_BYTES = 64 * 1024 * 1024
MAX_REGISTRY_BYTES = 16 * 1024 * 1024
DEVICE_UPLOAD_LIMIT = MAX_PACKAGE_BYTES + 1024 * 1024
#: Charts drawn on one area page (each is ~1.5 KB of SVG; a kabupaten may hold hundreds of pekon).
MAX_CHARTS_PER_PAGE = 24


# ------------------------------------------------------------------ helpers
def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "tps"


def receipt_filename(place: Place) -> str:
    reg = place.registration
    return f"receipt-{slug(reg.pekon)}-tps{reg.tps:02d}.txt"


def find_area(totals: Totals, path: tuple[str, ...]) -> Area | None:
    areas = totals.areas
    found = None
    for name in path:
        found = next((a for a in areas if a.name == name), None)
        if found is None:
            return None
        areas = found.children
    return found


def places_in(totals: Totals, path: tuple[str, ...]) -> list[Place]:
    def where(p: Place) -> tuple[str, ...]:
        r = p.registration
        return (r.kabupaten, r.kecamatan, r.pekon)[: len(path)]

    return [p for p in totals.places if where(p) == path]


def candidate_rows(area: Area, tally: dict[str, int] | None) -> list[tuple[str, int]]:
    """(label, votes) per candidate of a pekon (a contest), then blank votes when allowed."""
    tally = tally or {}
    rows = [(f"{c.number}. {c.name}", tally.get(str(c.number), 0)) for c in area.candidates]
    if "blank" in tally:
        rows.append(("Kosong / blank", tally["blank"]))
    return rows


def contest_chart(area: Area) -> str:
    return charts.bar_chart(
        candidate_rows(area, area.tally), title=f"Suara sah {area.name} / valid votes in {area.name}"
    )


def progress_svg(progress: Any) -> str:
    """The evening's chart: the share counted (dashed) and verified (solid) by each hour, and the targets."""
    total = progress.places or 1
    points = [
        charts.ProgressPoint(13 + i, pt.verified / total, pt.counted / total) for i, pt in enumerate(progress.points)
    ]
    targets = []
    for target, _met in progress.targets:
        hour, minute = (int(x) for x in target.at.split(":"))
        targets.append(charts.TargetPoint(hour + (1 if minute else 0), target.share))
    return charts.progress_chart(
        points, targets, first_hour=12, last_hour=24, title="Kemajuan malam ini / the evening's progress"
    )


def place_url(place: Place) -> str:
    return f"/tps/{place.election_id}"


def strip_json(name: str) -> str:
    return name.removesuffix(".json")


def _message(words: tuple[str, str]) -> dict[str, str]:
    return {"id": words[0], "en": words[1]}


def _error_of(exc: RecapError) -> dict[str, str]:
    return {"id": exc.id, "en": exc.en, "code": exc.code}


# ------------------------------------------------------------------- pages
def dashboard(recap: Any) -> Page:
    totals = recap.totals()
    progress = recap.progress(places=totals.places)
    counts = {state: 0 for state in ("verified", "provisional", "conflict", "refused", "missing")}
    for p in totals.places:
        counts[p.state] += 1
    refused_submissions = len(recap.refused())
    data = {
        "places": len(totals.places),
        "counts": counts,
        "counted": progress.counted,
        "verified": progress.verified,
        "refused_submissions": refused_submissions,
        "progress": progress,
        "areas": totals.areas,
        "generated_at": totals.generated_at,
    }
    kecamatan = [k for kab in totals.areas for k in kab.children]
    bars = {
        k.path: charts.share_bar(
            k.states.get("verified", 0) / (k.places or 1),
            k.states.get("provisional", 0) / (k.places or 1),
            title=f"{k.name}: {k.counted}/{k.places} TPS",
        )
        for k in kecamatan
    }
    return Page(
        "dashboard.html",
        data,
        extra={"chart": progress_svg(progress), "kecamatan": kecamatan, "bars": bars},
        title="Dasbor",
        nav="/",
        headers={"refresh": "60"},
    )


def area_page(recap: Any, path: tuple[str, ...]) -> Page:
    totals = recap.totals()
    area = find_area(totals, path) if path else None
    if path and area is None:
        return Page(
            "message.html",
            {"error": "Wilayah tidak dikenal / unknown area: " + " / ".join(path)},
            title="Tidak ditemukan",
            status=404,
        )
    places = places_in(totals, path) if path else list(totals.places)
    data = {
        "path": list(path),
        "area": area,
        "areas": list(area.children) if area else list(totals.areas),
        "places": places,
    }
    extra: dict[str, Any] = {}
    if area is not None and area.level == "pekon":
        extra["chart"] = contest_chart(area)
        extra["rows"] = list(
            zip(candidate_rows(area, area.tally), candidate_rows(area, area.verified_tally), strict=False)
        )
    elif area is not None:
        pekons = _pekons(area)
        # a chart per contest while the page stays light on a phone; past that, one click per pekon
        if len(pekons) <= MAX_CHARTS_PER_PAGE:
            extra["contests"] = [(a, contest_chart(a)) for a in pekons]
    title = area.name if area else "Hasil per wilayah"
    return Page("area.html", data, extra=extra, title=title, nav="/wilayah")


def _pekons(area: Area) -> list[Area]:
    if area.level == "pekon":
        return [area]
    return [p for child in area.children for p in _pekons(child)]


def place_page(recap: Any, election_id: str) -> Page:
    place = recap.place(strip_json(election_id))
    if place is None:
        return Page(
            "message.html",
            {"error": f"TPS tidak dikenal / unknown polling place: {election_id[:80]}"},
            title="Tidak ditemukan",
            status=404,
        )
    receipt = place.receipt.to_json() if place.receipt else None
    return Page(
        "place.html",
        {"place": place, "receipt": receipt},
        extra={"receipt_file": receipt_filename(place), "receipt_text": _receipt_text(place)},
        title=place.registration.place_label,
        nav="/wilayah",
    )


def _receipt_text(place: Place) -> str:
    return json.dumps(place.receipt.to_json(), ensure_ascii=False, indent=1) + "\n" if place.receipt else ""


def receipt_download(recap: Any, election_id: str) -> Page | Response:
    place = recap.place(election_id)
    if place is None or place.receipt is None:
        why = (
            "TPS tidak dikenal / unknown polling place"
            if place is None
            else ("Belum ada tanda terima: TPS ini belum dihitung / no receipt: this polling place is not counted")
        )
        return Page("message.html", {"error": why}, title="Tidak ditemukan", status=404)
    return Response(
        _receipt_text(place),
        media_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{receipt_filename(place)}"'},
    )


def conflicts_page(
    recap: Any, *, error: dict | None = None, done: str | None = None, status: int = 200, form: dict | None = None
) -> Page:
    places = recap.conflicts()
    return Page(
        "conflicts.html",
        {"conflicts": places, "error": error, "resolved": done},
        extra={"form": form or {}},
        title="Konflik",
        nav="/konflik",
        status=status,
    )


def missing_page(recap: Any) -> Page:
    places = recap.missing()
    by_area: dict[tuple[str, str, str], list[Place]] = {}
    for p in places:
        r = p.registration
        by_area.setdefault((r.kabupaten, r.kecamatan, r.pekon), []).append(p)
    return Page(
        "missing.html",
        {"missing": places, "places": len(recap.registrations())},
        extra={"groups": sorted(by_area.items())},
        title="Belum masuk",
        nav="/belum-masuk",
    )


def refused_page(recap: Any) -> Page:
    subs = recap.refused()
    places = {p.election_id: p for p in recap.places()}
    return Page("refused.html", {"refused": subs}, extra={"place_of": places}, title="Kiriman ditolak", nav="/ditolak")


def devices_page(recap: Any, *, error: dict | None = None, done: dict | None = None, status: int = 200) -> Page:
    regs = recap.registrations()
    return Page(
        "devices.html",
        {"devices": regs, "error": error, "done": done},
        title="Perangkat",
        nav="/perangkat",
        status=status,
    )


def targets_page(
    recap: Any,
    *,
    error: dict | None = None,
    done: dict | None = None,
    status: int = 200,
    rows: list[tuple[str, str]] | None = None,
) -> Page:
    targets = recap.targets()
    progress = recap.progress()
    if rows is None:
        rows = [(t.at, f"{t.share * 100:g}") for t in targets]
    rows = list(rows) + [("", "")] * max(0, 4 - len(rows))
    return Page(
        "targets.html",
        {"targets": targets, "progress": progress, "error": error, "done": done},
        extra={"rows": rows, "timezone": recap.timezone_label()},
        title="Target",
        nav="/target",
        status=status,
    )


def parse_targets(times: list[str], shares: list[str]) -> list[Target]:
    """The targets form's rows (empty rows skipped) -> targets; ``RecapError`` with a specific message."""
    targets = []
    for i, (at, share) in enumerate(zip(times, shares, strict=False), start=1):
        at, share = at.strip(), share.strip().rstrip("%").strip()
        if not at and not share:
            continue
        if not re.fullmatch(r"\d{2}:\d{2}", at):
            raise RecapError(
                f"Baris {i}: jam harus JJ:MM, misalnya 17:00 (bukan '{at[:10]}')",
                f"Row {i}: the time must be HH:MM, e.g. 17:00 (not '{at[:10]}')",
                code="bad_targets",
            )
        try:
            value = float(share.replace(",", "."))
        except ValueError:
            raise RecapError(
                f"Baris {i}: persen harus angka 1-100 (bukan '{share[:10]}')",
                f"Row {i}: the share must be a number 1-100 (not '{share[:10]}')",
                code="bad_targets",
            ) from None
        if not 0 < value <= 100:
            raise RecapError(
                f"Baris {i}: persen harus 1-100 (bukan {value:g})",
                f"Row {i}: the share must be 1-100 (not {value:g})",
                code="bad_targets",
            )
        targets.append(Target(at, value / 100))
    if not targets:
        raise RecapError("Isi minimal satu target", "Give at least one target", code="bad_targets")
    if len({t.at for t in targets}) != len(targets):
        raise RecapError("Dua target untuk jam yang sama", "Two targets for the same time", code="bad_targets")
    return targets


# ------------------------------------------------------------------ routes
def routes(web: Any, *, committee_view: Callable[..., Any]) -> list[Route]:
    recap = web.recap
    web.env.globals.update(SOURCE_WORDS=SOURCE_WORDS, KIND_WORDS=KIND_WORDS, STATUS_WORDS=STATUS_WORDS)

    def user_of(request: Request) -> str:
        return request.state.session.user or ""

    def get_dashboard(request: Request) -> Page:
        return dashboard(recap)

    def get_areas(request: Request) -> Page:
        params = request.path_params
        path = tuple(
            strip_json(params[k]) if i == len(params) - 1 else params[k]
            for i, k in enumerate(k for k in ("kabupaten", "kecamatan", "pekon") if k in params)
        )
        return area_page(recap, path)

    def get_place(request: Request) -> Page:
        return place_page(recap, request.path_params["election_id"])

    def get_receipt(request: Request) -> Page | Response:
        return receipt_download(recap, request.path_params["election_id"])

    def get_conflicts(request: Request) -> Page:
        return conflicts_page(recap)

    async def post_resolve(request: Request) -> Page:
        from booth.recap.web.security import read_form

        form = await read_form(request, 64 * 1024)
        election_id = request.path_params["election_id"]
        choice = str(form.get("hasil", ""))
        name = str(form.get("nama", "")).strip()
        reason = str(form.get("alasan", "")).strip()
        kept = {"election_id": election_id, "hasil": choice, "nama": name, "alasan": reason}

        def resolve() -> Page:
            if recap.place(election_id) is None:
                return conflicts_page(
                    recap,
                    status=404,
                    form=kept,
                    error={
                        "id": "TPS tidak dikenal; tidak ada yang berubah",
                        "en": "Unknown polling place: nothing changed",
                    },
                )
            if not choice:
                return conflicts_page(
                    recap,
                    status=400,
                    form=kept,
                    error={"id": "Pilih salah satu hasil bertanda tangan", "en": "Choose one of the signed results"},
                )
            if not name or not reason:
                return conflicts_page(
                    recap,
                    status=400,
                    form=kept,
                    error={
                        "id": "Nama anggota panitia dan alasan wajib diisi; tidak ada yang berubah",
                        "en": "The committee member's name and a reason are required: nothing changed",
                    },
                )
            by = name if name == user_of(request) else f"{name} (akun {user_of(request)})"
            try:
                place = recap.resolve(election_id, choice, by=by, reason=reason)
            except RecapError as exc:
                return conflicts_page(recap, status=400, form=kept, error=_error_of(exc))
            return conflicts_page(recap, done=place.registration.place_label)

        return await run_in_threadpool(resolve)

    def get_missing(request: Request) -> Page:
        return missing_page(recap)

    def get_refused(request: Request) -> Page:
        return refused_page(recap)

    def get_devices(request: Request) -> Page:
        return devices_page(recap)

    async def post_device_add(request: Request) -> Page:
        from booth.recap.web.security import read_form

        form = await read_form(request, DEVICE_UPLOAD_LIMIT)
        package = form.get("paket")
        key_text = str(form.get("kunci", "") or "").strip()
        key_file = form.get("kunci_berkas")
        if isinstance(key_file, UploadFile) and key_file.filename:
            raw = await key_file.read(8192)
            key_text = key_text or raw.decode("utf-8", "replace").strip()
        key_line = key_text.splitlines()[0].strip() if key_text else ""
        data = await package.read() if isinstance(package, UploadFile) and package.filename else b""

        def add() -> Page:
            if not data:
                return devices_page(
                    recap,
                    status=400,
                    error=_message(
                        (
                            "Pilih paket pemilihan TPS (.zip) yang dimuat perangkat ini",
                            "Choose the polling place's election package (.zip) this device was loaded with",
                        )
                    ),
                )
            if not key_line:
                return devices_page(
                    recap,
                    status=400,
                    error=_message(
                        (
                            "Isi kunci verifikasi perangkat (isi device.pub) atau pilih berkas device.pub",
                            "Give the device's verifier key (the contents of device.pub) or choose its device.pub file",
                        )
                    ),
                )
            if data[:4] != b"PK\x03\x04":
                return devices_page(
                    recap,
                    status=400,
                    error=_message(("Paket pemilihan harus berkas .zip", "The election package must be a .zip file")),
                )
            with tempfile.TemporaryDirectory(prefix="recap-package-") as work:
                path = Path(work) / "paket.zip"
                path.write_bytes(data)
                try:
                    reg = recap.register_device(key_line, path, by=user_of(request))
                except RecapError as exc:
                    return devices_page(recap, status=400, error=_error_of(exc))
            return devices_page(
                recap,
                done=_message(
                    (
                        f"Terdaftar: perangkat {reg.fingerprint[:16]} untuk {reg.place_label}, {reg.kecamatan}",
                        f"Registered: device {reg.fingerprint[:16]} for {reg.place_label}, {reg.kecamatan}",
                    )
                ),
            )

        return await run_in_threadpool(add)

    async def post_device_import(request: Request) -> Page:
        from booth.recap.web.security import read_form

        form = await read_form(request, MAX_REGISTRY_BYTES + 64 * 1024)
        upload = form.get("daftar")
        data = await upload.read() if isinstance(upload, UploadFile) and upload.filename else b""

        def do_import() -> Page:
            if not data:
                return devices_page(
                    recap,
                    status=400,
                    error=_message(
                        ("Pilih berkas daftar perangkat (registry.json)", "Choose a registry file (registry.json)")
                    ),
                )
            try:
                regs = recap.import_registry(data, by=user_of(request))
            except RecapError as exc:
                return devices_page(recap, status=400, error=_error_of(exc))
            return devices_page(
                recap, done=_message((f"Terdaftar: {len(regs)} perangkat", f"Registered: {len(regs)} devices"))
            )

        return await run_in_threadpool(do_import)

    async def post_device_remove(request: Request) -> Page:
        from booth.recap.web.security import read_form

        form = await read_form(request, 64 * 1024)
        fingerprint = str(form.get("sidik", "")).strip().lower()

        def remove() -> Page:
            match = [r for r in recap.registrations() if r.fingerprint == fingerprint]
            if not match:
                return devices_page(
                    recap,
                    status=404,
                    error=_message(
                        (
                            "Perangkat itu tidak terdaftar; tidak ada yang berubah",
                            "That device is not registered: nothing changed",
                        )
                    ),
                )
            recap.unregister_device(fingerprint, by=user_of(request))
            return devices_page(
                recap,
                done=_message(
                    (
                        f"Dihapus: perangkat {fingerprint[:16]} ({match[0].place_label})",
                        f"Removed: device {fingerprint[:16]} ({match[0].place_label})",
                    )
                ),
            )

        return await run_in_threadpool(remove)

    def get_targets(request: Request) -> Page:
        return targets_page(recap)

    async def post_targets(request: Request) -> Page:
        from booth.recap.web.security import read_form

        form = await read_form(request, 64 * 1024)
        times = [str(v) for v in form.getlist("jam")][:20]
        shares = [str(v) for v in form.getlist("persen")][:20]
        rows = list(zip(times, shares, strict=False))

        def save() -> Page:
            try:
                if len(times) != len(shares):
                    raise RecapError(
                        "Formulir target tidak lengkap", "The targets form is incomplete", code="bad_targets"
                    )
                recap.set_targets(parse_targets(times, shares), by=user_of(request))
            except RecapError as exc:
                return targets_page(recap, status=400, error=_error_of(exc), rows=rows)
            return targets_page(recap, done=_message(("Target disimpan", "Targets saved")))

        return await run_in_threadpool(save)

    v = committee_view
    return [
        Route("/", v(get_dashboard), methods=["GET"]),
        Route("/index.json", v(get_dashboard), methods=["GET"]),
        Route("/wilayah", v(get_areas), methods=["GET"]),
        Route("/wilayah.json", v(get_areas), methods=["GET"]),
        Route("/wilayah/{kabupaten}", v(get_areas), methods=["GET"]),
        Route("/wilayah/{kabupaten}/{kecamatan}", v(get_areas), methods=["GET"]),
        Route("/wilayah/{kabupaten}/{kecamatan}/{pekon}", v(get_areas), methods=["GET"]),
        Route("/tps/{election_id}", v(get_place), methods=["GET"]),
        Route("/tps/{election_id}/tanda-terima", v(get_receipt), methods=["GET"]),
        Route("/konflik", v(get_conflicts), methods=["GET"]),
        Route("/konflik.json", v(get_conflicts), methods=["GET"]),
        Route("/konflik/{election_id}", v(post_resolve), methods=["POST"]),
        Route("/belum-masuk", v(get_missing), methods=["GET"]),
        Route("/belum-masuk.json", v(get_missing), methods=["GET"]),
        Route("/ditolak", v(get_refused), methods=["GET"]),
        Route("/ditolak.json", v(get_refused), methods=["GET"]),
        Route("/perangkat", v(get_devices), methods=["GET"]),
        Route("/perangkat.json", v(get_devices), methods=["GET"]),
        Route("/perangkat/tambah", v(post_device_add, upload_limit=DEVICE_UPLOAD_LIMIT), methods=["POST"]),
        Route("/perangkat/impor", v(post_device_import, upload_limit=MAX_REGISTRY_BYTES + 64 * 1024), methods=["POST"]),
        Route("/perangkat/hapus", v(post_device_remove), methods=["POST"]),
        Route("/target", v(get_targets), methods=["GET"]),
        Route("/target.json", v(get_targets), methods=["GET"]),
        Route("/target", v(post_targets), methods=["POST"]),
    ]
