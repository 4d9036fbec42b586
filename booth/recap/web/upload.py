"""The upload page: ``GET /unggah`` (the form) and ``POST /unggah`` (bundles and photos of reports).

One multipart form, field ``berkas`` (one or many files), the CSRF token in the
field ``csrf``, a signed-in committee member.  Each file is looked at by its
first bytes (and its name when the bytes say nothing):

- a zip (``results.zip``): the signed export bundle -> ``recap.submit_bundle``;
- a JPEG/PNG/WebP photo or scan of the printed results report -> ``recap.submit_photo``
  (the QR codes read by ``booth.recap.photos``; until that reader is installed a
  photo gets its own refusal, and nothing is stored);
- a ``.txt`` file: a results statement typed or saved from the witness app;
- anything else is refused here, before the recap sees it, and nothing is stored.

The answer lists every file's outcome (accepted / already received / refused
with its reason in both languages, and the polling place it belongs to); with
``Accept: application/json`` the same list as
``{"outcomes": [{"filename", "state", "reason", "id", "en", "election_id", "duplicate", ...}]}``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.routing import Route

from booth.recap.api import MAX_BUNDLE_BYTES, MAX_PHOTO_BYTES, Outcome, RecapError
from booth.recap.web.rendering import Page, wants_json

#: One upload form, all its files together (several days' bundles of a kecamatan at once).
UPLOAD_LIMIT = 256 * 1024 * 1024
BUNDLE_SUFFIXES = (".zip",)
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
TEXT_SUFFIXES = (".txt",)
ACCEPT = ".zip,.jpg,.jpeg,.png,.webp,.txt,application/zip,image/jpeg,image/png,image/webp,text/plain"

PHOTOS_UNAVAILABLE = (
    "Foto belum bisa dibaca di server ini (pembaca QR belum terpasang); unggah bundel results.zip-nya",
    "Photos cannot be read on this server yet (the QR reader is not installed): upload the results.zip bundle",
)
WRONG_TYPE = (
    "Jenis berkas tidak dikenal: unggah bundel results.zip atau foto/pindaian laporan hasil (.jpg, .png)",
    "Unknown kind of file: upload the results.zip bundle or a photo/scan of the results report (.jpg, .png)",
)
PHOTO_UNREADABLE = (
    "Foto ini tidak bisa dibuka; foto ulang laporan hasil atau unggah bundelnya",
    "This photo cannot be opened: photograph the results report again or upload its bundle",
)
EMPTY_FILE = ("Berkas kosong (0 byte)", "The file is empty (0 bytes)")
NO_FILES = ("Pilih minimal satu berkas untuk diunggah", "Choose at least one file to upload")


def kind_of(filename: str, data: bytes) -> str:
    """``bundle``, ``photo``, ``text`` or ``unknown``: by the file's first bytes, else by its name."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "bundle"
    if (
        data[:3] == b"\xff\xd8\xff"
        or data[:8] == b"\x89PNG\r\n\x1a\n"
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    ):
        return "photo"
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix in BUNDLE_SUFFIXES:
        return "bundle"  # the bundle reader says what is wrong with it
    if suffix in PHOTO_SUFFIXES:
        return "photo"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "unknown"


def refusal(filename: str, code: str, words: tuple[str, str]) -> dict[str, Any]:
    """An outcome for a file the recap never received (nothing stored)."""
    return {
        "filename": filename,
        "state": "refused",
        "reason": code,
        "id": words[0],
        "en": words[1],
        "election_id": None,
        "duplicate": False,
        "kind": None,
        "submission_id": None,
        "receipt_index": None,
        "place": None,
        "place_state": None,
        "url": None,
    }


def outcome_json(filename: str, outcome: Outcome, regs: dict[str, Any], states: dict[str, str]) -> dict[str, Any]:
    """One file's outcome as the page and the JSON answer show it (``regs``: registration by election ID,
    ``states``: each polling place's state now, when the page shows it)."""
    sub = outcome.submission
    what = "bundel" if sub.kind == "bundle" else "QR laporan hasil"
    what_en = "bundle" if sub.kind == "bundle" else "results report QR"
    if sub.status == "accepted":
        how = (
            ("terverifikasi penuh", "fully verified")
            if sub.kind == "bundle"
            else ("dihitung sementara sampai bundelnya datang", "counted provisionally until its bundle arrives")
        )
        words = (
            f"Diterima: {what} {how[0]}, tanda terima #{sub.receipt_index}",
            f"Accepted: {what_en} {how[1]}, receipt #{sub.receipt_index}",
        )
    elif sub.status == "refused":
        words = (f"Ditolak: {sub.reason_id}", f"Refused: {sub.reason_en}")
    else:
        words = (
            "Masih diperiksa; lihat halaman TPS sebentar lagi",
            "Still being verified: see the polling place's page in a moment",
        )
    if outcome.duplicate:
        words = (
            f"Sudah diterima sebelumnya (berkas yang sama, kiriman #{sub.id}); tidak ada yang berubah. " + words[0],
            f"Already received (the same file, submission #{sub.id}): nothing changed. " + words[1],
        )
    reg = regs.get(sub.election_id or "")
    return {
        "filename": filename,
        "state": sub.status,
        "reason": sub.reason_code,
        "id": words[0],
        "en": words[1],
        "election_id": sub.election_id,
        "duplicate": outcome.duplicate,
        "kind": sub.kind,
        "submission_id": sub.id,
        "receipt_index": sub.receipt_index,
        "place": reg.place_label if reg else None,
        "kecamatan": reg.kecamatan if reg else None,
        "place_state": states.get(sub.election_id or "") if reg else None,
        "url": f"/tps/{sub.election_id}" if reg else None,
    }


def ingest(recap: Any, files: list[tuple[str, bytes]], *, by: str, with_states: bool = True) -> list[dict[str, Any]]:
    """Hand each file to the recap (bundles queued together so every worker is busy); one outcome
    per file, or several for a photo holding several QR codes.  ``with_states`` adds each polling
    place's state after the upload (the page shows it; a script asking for JSON skips that read of
    every submission, which matters when a whole kabupaten uploads at once)."""
    slots: list[list[tuple[str, Outcome] | dict[str, Any]]] = [[] for _ in files]
    bundles: list[tuple[int, bytes, str]] = []
    for i, (name, data) in enumerate(files):
        kind = kind_of(name, data)
        try:
            if not data:
                slots[i].append(refusal(name, "empty", EMPTY_FILE))
            elif kind == "bundle":
                if len(data) > MAX_BUNDLE_BYTES:
                    recap.submit_bundle(data, source="upload", filename=name, by=by)  # raises too_large
                bundles.append((i, data, name))
            elif kind == "photo":
                if len(data) > MAX_PHOTO_BYTES:
                    recap.submit_photo(data, source="photo", filename=name, by=by)  # raises too_large
                slots[i] += [(name, o) for o in _photo(recap, data, name, by)]
            elif kind == "text":
                text = data.decode("utf-8")
                slots[i].append((name, recap.submit_statement(text, source="text", filename=name, by=by)))
            else:
                slots[i].append(refusal(name, "wrong_type", WRONG_TYPE))
        except RecapError as exc:
            slots[i].append(refusal(name, exc.code, (exc.id, exc.en)))
        except UnicodeDecodeError:
            slots[i].append(refusal(name, "wrong_type", WRONG_TYPE))
        except _PhotosMissing:
            slots[i].append(refusal(name, "photos_unavailable", PHOTOS_UNAVAILABLE))
    if bundles:
        outcomes = recap.submit_bundles([(data, name) for _, data, name in bundles], source="upload", by=by)
        for (i, _, name), outcome in zip(bundles, outcomes, strict=False):
            slots[i].append((name, outcome))
    regs = {r.election_id: r for r in recap.registrations()}
    states = {p.election_id: p.state for p in recap.places()} if with_states else {}
    answer: list[dict[str, Any]] = []
    for slot in slots:
        for item in slot:
            answer.append(item if isinstance(item, dict) else outcome_json(item[0], item[1], regs, states))
    return answer


class _PhotosMissing(Exception):
    pass


def _photo(recap: Any, data: bytes, name: str, by: str) -> list[Outcome]:
    try:
        import booth.recap.photos  # noqa: F401 - R5's QR reader; its absence is a refusal, not a crash
    except ImportError:
        raise _PhotosMissing() from None
    try:
        outcomes = recap.submit_photo(data, source="photo", filename=name, by=by)
    except ModuleNotFoundError as exc:  # the reader's own library (zxing-cpp) is missing
        raise _PhotosMissing() from exc
    except RecapError:
        raise
    except Exception as exc:  # noqa: BLE001 - a photo the image library chokes on is refused, not a crash
        raise RecapError(PHOTO_UNREADABLE[0], PHOTO_UNREADABLE[1] + f" ({type(exc).__name__})", code="photo") from None
    if not outcomes:
        raise RecapError(
            "Tidak ada QR laporan hasil di foto ini", "No results report QR code in this photo", code="photo"
        )
    return list(outcomes)


def summary(outcomes: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "accepted": sum(1 for o in outcomes if o["state"] == "accepted" and not o["duplicate"]),
        "duplicate": sum(1 for o in outcomes if o["duplicate"]),
        "refused": sum(1 for o in outcomes if o["state"] == "refused" and not o["duplicate"]),
        "queued": sum(1 for o in outcomes if o["state"] == "queued"),
    }


def routes(web: Any, *, committee_view: Callable[..., Any]) -> list[Route]:
    def form_page(request: Request) -> Page:
        # the JSON twin carries the form's token, so a script signed in can upload without reading HTML
        token = web.signer.csrf_token(request.state.session)
        return Page(
            "upload.html",
            {
                "outcomes": [],
                "summary": None,
                "error": None,
                "csrf": token,
                "field": "berkas",
                "limit_bytes": UPLOAD_LIMIT,
            },
            extra={"accept": ACCEPT, "limit_mb": UPLOAD_LIMIT // 2**20},
            title="Unggah hasil",
            nav="/unggah",
        )

    async def upload(request: Request) -> Page:
        from booth.recap.web.security import read_form

        form = await read_form(request, UPLOAD_LIMIT)  # already read (and bounded) for the CSRF check
        files = [f for f in form.getlist("berkas") if isinstance(f, UploadFile) and (f.filename or f.size)]
        extra = {"accept": ACCEPT, "limit_mb": UPLOAD_LIMIT // 2**20}
        if not files:
            return Page(
                "upload.html",
                {"outcomes": [], "summary": None, "error": {"id": NO_FILES[0], "en": NO_FILES[1]}},
                extra=extra,
                title="Unggah hasil",
                nav="/unggah",
                status=400,
            )
        items = [(PurePosixPath((f.filename or "berkas").replace("\\", "/")).name[:200], await f.read()) for f in files]
        outcomes = await run_in_threadpool(
            ingest, web.recap, items, by=request.state.session.user or "", with_states=not wants_json(request)
        )
        return Page(
            "upload.html",
            {"outcomes": outcomes, "summary": summary(outcomes), "error": None},
            extra=extra,
            title="Unggah hasil",
            nav="/unggah",
        )

    return [
        Route("/unggah", committee_view(form_page), methods=["GET"]),
        Route("/unggah.json", committee_view(form_page), methods=["GET"]),
        Route("/unggah", committee_view(upload, upload_limit=UPLOAD_LIMIT), methods=["POST"]),
    ]
