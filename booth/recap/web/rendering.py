"""One view, two faces (as in Datasette): every page is also JSON at the same path + ``.json``.

A page handler returns a ``Page``: the template to render and the data it
shows.  ``render`` turns it into HTML, or into JSON when the path ends in
``.json`` (or the client asks for ``application/json`` only).  Dataclasses,
bytes (base64), datetimes (ISO 8601) and enums inside the data are converted
for JSON.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

TEMPLATES = Path(__file__).parent / "templates"

STATE_WORDS = {
    "verified": ("Terverifikasi", "verified"),
    "provisional": ("Sementara", "provisional"),
    "conflict": ("Konflik", "conflict"),
    "refused": ("Ditolak", "refused"),
    "missing": ("Belum masuk", "missing"),
}

# The committee's menu (path, Indonesian, English).
COMMITTEE_MENU = [
    ("/", "Dasbor", "Dashboard"),
    ("/unggah", "Unggah", "Upload"),
    ("/wilayah", "Hasil", "Results"),
    ("/konflik", "Konflik", "Conflicts"),
    ("/belum-masuk", "Belum masuk", "Missing"),
    ("/ditolak", "Ditolak", "Refused"),
    ("/perangkat", "Perangkat", "Devices"),
    ("/target", "Target", "Targets"),
    ("/panitia", "Akun", "Accounts"),
    ("/publik/", "Publik", "Public"),
]
PUBLIC_MENU = [
    ("/publik/", "Hasil", "Results"),
]


@dataclass
class Page:
    """What a handler shows: ``template`` rendered with ``data`` (also the JSON body)."""

    template: str
    data: dict[str, Any]
    title: str = ""
    status: int = 200
    nav: str = ""
    # values for the template only (SVG markup, form state), never put in the JSON
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, bytes, datetimes, enums, tuples and sets into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Path):
        return str(value)
    return value


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.globals.update(STATE_WORDS=STATE_WORDS, COMMITTEE_MENU=COMMITTEE_MENU, PUBLIC_MENU=PUBLIC_MENU)
    env.filters["u"] = lambda v: quote(str(v), safe="")
    env.filters["pct"] = lambda v: "–" if v is None else f"{v * 100:.1f}%"
    env.filters["num"] = lambda v: "–" if v is None else f"{v:,}".replace(",", ".")
    env.filters["b64"] = lambda v: base64.b64encode(v).decode() if isinstance(v, (bytes, bytearray)) else v
    env.filters["when"] = _when
    return env


def _when(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, (int, float)):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if value.tzinfo else "")
    return str(value)


def wants_json(request: Request) -> bool:
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return accept.startswith("application/json") and "text/html" not in accept


def json_url(request: Request) -> str:
    path = request.url.path.rstrip("/") or "/index"
    query = ("?" + request.url.query) if request.url.query else ""
    return (path if path.endswith(".json") else path + ".json") + query


def render(env: Environment, request: Request, page: Page, context: dict[str, Any]) -> Response:
    """The page as JSON or as HTML (``context`` adds the user, CSRF token and menu state)."""
    if wants_json(request):
        return JSONResponse(to_jsonable(page.data), status_code=page.status, headers=page.headers)
    template = env.get_template(page.template)
    # one namespace: the request's context (user, CSRF token) wins over a page value of the same name
    values = {
        **page.data,
        **page.extra,
        **context,
        "page_title": page.title,
        "nav": page.nav,
        "json_url": json_url(request),
        "request": request,
        "url_for": lambda name, **kw: request.url_for(name, **kw).path,
    }
    html = template.render(values)
    return HTMLResponse(html, status_code=page.status, headers=page.headers)


def json_dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, indent=2, sort_keys=True)
