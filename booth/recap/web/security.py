"""What every request passes through besides the sign-in itself: the web secret that signs
sessions, the session cookie, the security headers, and the streaming body limit for uploads.

The checks per request (committee sign-in, CSRF on every POST) are made in one
place, ``booth.recap.web.app._view``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from starlette.requests import Request

from booth.recap.web.auth import COOKIE_NAME, Session, SessionSigner

SIGN_IN_PATH = "/panitia/masuk"


class UploadTooLarge(Exception):
    """The request body is larger than the route allows; raised while reading it."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def load_secret(data_dir: Path | None) -> bytes:
    """The web secret that signs sessions, kept in ``DATA/web-secret`` so every worker shares it.

    Made on first use with ``secrets``; readable by the owner only.  Without a
    data directory (tests) a fresh in-memory secret is used.
    """
    if data_dir is None:
        return secrets.token_bytes(32)
    path = Path(data_dir) / "web-secret"
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".web-secret-{secrets.token_hex(4)}")
    tmp.touch(mode=0o600)
    tmp.write_bytes(secrets.token_bytes(32))
    try:
        # link() fails if another worker won the race, so all workers end with the same secret
        path.hardlink_to(tmp)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()


SECURITY_HEADERS = {
    # No script, style or image from anywhere but this server; no framing.
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def session_of(request: Request, signer: SessionSigner) -> tuple[Session, bool]:
    """The request's session and whether it is new (so the response must set the cookie)."""
    found = signer.loads(request.cookies.get(COOKIE_NAME))
    if found is None:
        return signer.new(), True
    return found, False


def set_session_cookie(response, signer: SessionSigner, session: Session, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE_NAME,
        signer.dumps(session),
        max_age=signer.max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def limit_body(receive, limit: int):
    """Wrap an ASGI ``receive`` so that reading more than ``limit`` bytes raises ``UploadTooLarge``.

    The check runs as the body streams in, so a huge upload is cut off at the
    limit instead of being read (or spooled) whole.
    """
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise UploadTooLarge(limit)
        return message

    return wrapped


MAX_UPLOAD_FILES = 200  # files in one upload form


async def read_form(request: Request, limit: int):
    """The request's form (urlencoded or multipart), read once and at most ``limit`` bytes while it
    streams in; files only when the route allows uploads."""
    if int(request.headers.get("content-length") or 0) > limit:
        raise UploadTooLarge(limit)
    if "form" not in request.scope.get("booth.cache", {}):
        uploads = bool(getattr(request.state, "upload_limit", None))
        request._receive = limit_body(request.receive, limit)
        request.scope.setdefault("booth.cache", {})["form"] = await request.form(
            max_files=MAX_UPLOAD_FILES if uploads else 0, max_fields=MAX_UPLOAD_FILES + 50 if uploads else 50
        )
    return request.scope["booth.cache"]["form"]
