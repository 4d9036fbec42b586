"""The recap's web app: committee pages behind a sign-in, and the pages anyone may read.

``create_app(recap)`` builds the Starlette app; ``serve(recap, host, port,
workers)`` runs it under uvicorn (``booth recap serve`` calls it).  Every page
is server-rendered HTML that works without JavaScript, Indonesian first with
English beside it, and the same data as JSON at the page's path + ``.json``.

Security, in one place per concern: ``auth`` (password hashes, signed
sessions, CSRF tokens, the sign-in rate limit), ``security`` (the web secret,
headers, the streaming upload limit), ``users`` (the committee accounts).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import signal
import socket
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from booth.recap.web.auth import LoginLimiter, SessionSigner, check_sign_in
from booth.recap.web.rendering import Page, make_environment, render, wants_json
from booth.recap.web.security import (
    SECURITY_HEADERS,
    SIGN_IN_PATH,
    UploadTooLarge,
    load_secret,
    read_form,
    session_of,
    set_session_cookie,
)
from booth.recap.web.users import UserBook

STATIC = Path(__file__).parent / "static"
WITNESS_APP = Path(__file__).resolve().parents[2] / "witness" / "app"
MAX_FORM_BYTES = 64 * 1024  # a sign-in or settings form; uploads have their own limit

Handler = Callable[[Request], Awaitable[Page | Response]]


class _Web:
    """What every handler needs: the recap, the templates, the signer, the accounts, the limiter."""

    def __init__(self, recap: Any, data_dir: Path | None, *, secure_cookies: bool) -> None:
        self.recap = recap
        self.env = make_environment()
        self.signer = SessionSigner(load_secret(data_dir))
        self.users = UserBook(data_dir) if data_dir is not None else None
        self.limiter = LoginLimiter()
        self.secure_cookies = secure_cookies
        self.witness = False

    def respond(self, request: Request, page: Page | Response) -> Response:
        if isinstance(page, Response):
            return page
        session = request.state.session
        context = {"user": session.user, "csrf": self.signer.csrf_token(session), "saksi": self.witness}
        response = render(self.env, request, page, context)
        if request.state.new_session:
            set_session_cookie(response, self.signer, session, secure=self.secure_cookies)
        return response


def _view(
    web: _Web,
    handler: Handler | Callable[[Request], Page | Response],
    *,
    committee: bool,
    upload_limit: int | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with the session, the sign-in check (committee pages) and the CSRF check (POST).

    A handler that is a plain function (most pages: they read the store) runs in the thread pool so a
    slow query never stalls the server.  ``upload_limit``: the route takes a multipart form with files
    of at most that many bytes in all (read once, as it streams in, before the CSRF check)."""

    is_async = inspect.iscoroutinefunction(handler)

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        request.state.upload_limit = upload_limit
        request.state.session, request.state.new_session = session_of(request, web.signer)
        session = request.state.session
        if committee and session.user is None:
            if wants_json(request) or request.method != "GET":
                return JSONResponse(
                    {"error": "Perlu masuk sebagai panitia / committee sign-in required"}, status_code=401
                )
            return RedirectResponse(f"{SIGN_IN_PATH}?next={quote(request.url.path)}", status_code=303)
        if committee and web.users is not None and web.users.password_hash(session.user) is None:
            # the account was removed since this session signed in
            return RedirectResponse(SIGN_IN_PATH, status_code=303)
        if request.method == "POST":
            refusal = await _csrf_refusal(web, request)
            if refusal is not None:
                return refusal
        if is_async:
            page = await handler(request)  # type: ignore[misc]
        else:
            page = await run_in_threadpool(handler, request)
        return web.respond(request, page)

    return endpoint


async def _csrf_refusal(web: _Web, request: Request) -> Response | None:
    session = request.state.session
    token = request.headers.get("x-csrf-token")
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    if token is None and multipart:
        # a client may also put the token in the query string (the form's action)
        token = request.query_params.get("csrf")
    if token is None:
        limit = request.state.upload_limit if multipart and request.state.upload_limit else MAX_FORM_BYTES
        try:
            form = await read_form(request, limit)
        except UploadTooLarge as exc:
            return _refuse(web, request, 413, too_large_words(exc.limit, upload=limit != MAX_FORM_BYTES))
        except MultiPartException as exc:
            return _refuse(
                web,
                request,
                400,
                f"Formulir tidak bisa dibaca ({exc.message}) / the form cannot be read ({exc.message})",
            )
        token = form.get("csrf")
    if web.signer.csrf_ok(session, token):
        return None
    return _refuse(
        web,
        request,
        403,
        "Token formulir tidak sah atau kedaluwarsa; muat ulang halaman dan coba lagi. / "
        "The form's token is missing or expired: reload the page and try again.",
    )


def _refuse(web: _Web, request: Request, status: int, message: str) -> Response:
    return web.respond(request, Page("message.html", {"error": message}, title="Ditolak", status=status))


async def _small_form(request: Request):
    """The urlencoded/multipart form of a small request (sign-in, settings), at most ``MAX_FORM_BYTES``."""
    return await read_form(request, MAX_FORM_BYTES)


def too_large_words(limit: int, *, upload: bool = False) -> str:
    size = f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 1024} KB"
    if not upload:
        return f"Formulir terlalu besar (batas {size}) / the form is too large (limit {size})"
    return (
        f"Kiriman terlalu besar (batas {size} sekaligus); kirim lebih sedikit berkas sekaligus. / "
        f"The request is too large (limit {size} at once): send fewer files at a time."
    )


def _client_keys(request: Request, username: str) -> list[str]:
    host = request.client.host if request.client else "?"
    return [f"addr:{host}", f"user:{username.lower()[:64]}"]


def _safe_next(target: str | None) -> str:
    # only a local path of this server: never send a signed-in member to another site
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and "\\" not in target
        and not target.startswith("/panitia/masuk")
        and len(target) < 500
    ):
        return target
    return "/"


def create_app(
    recap: Any, *, data_dir: Path | None = None, secure_cookies: bool = False, witness_app: Path | None = WITNESS_APP
) -> Starlette:
    """The recap's Starlette app over the ``Recap`` facade ``recap``.

    Committee accounts and the web secret live in ``data_dir`` (default: the
    facade's ``data_dir`` attribute).  ``secure_cookies`` marks the session
    cookie HTTPS-only (set it when a TLS proxy is in front).  The witness app's
    built files (``booth/witness/app/``) are served at ``/saksi/`` when present.
    """
    if data_dir is None:
        data_dir = getattr(recap, "data_dir", None)
    web = _Web(recap, Path(data_dir) if data_dir is not None else None, secure_cookies=secure_cookies)
    web.witness = witness_app is not None and Path(witness_app).is_dir()

    async def sign_in_form(request: Request) -> Page:
        return Page(
            "login.html",
            {"next": _safe_next(request.query_params.get("next")), "username": "", "error": None},
            title="Masuk panitia",
            nav=SIGN_IN_PATH,
        )

    async def sign_in(request: Request) -> Page | Response:
        form = await _small_form(request)
        username = str(form.get("username", "")).strip().lower()
        password = str(form.get("password", ""))
        target = _safe_next(str(form.get("next", "")))
        keys = _client_keys(request, username)
        wait = web.limiter.wait_seconds(keys)
        page = functools.partial(Page, "login.html", title="Masuk panitia", nav=SIGN_IN_PATH)
        if wait > 0:
            return page(
                {
                    "next": target,
                    "username": username,
                    "error": f"Terlalu banyak percobaan gagal. Tunggu {int(wait) + 1} detik. / "
                    f"Too many failed tries: wait {int(wait) + 1} seconds.",
                },
                status=429,
                headers={"retry-after": str(int(wait) + 1)},
            )
        stored = web.users.password_hash(username) if web.users is not None and username else None
        if not check_sign_in(password, stored):
            web.limiter.failed(keys)
            return page(
                {
                    "next": target,
                    "username": username,
                    "error": "Nama pengguna atau kata sandi salah. / Wrong user name or password.",
                },
                status=401,
            )
        web.limiter.succeeded(keys)
        # a new session id at sign-in, so a session planted before it is worth nothing
        session = web.signer.new(user=username)
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(response, web.signer, session, secure=web.secure_cookies)
        return response

    async def sign_out(request: Request) -> Response:
        response = RedirectResponse(SIGN_IN_PATH, status_code=303)
        set_session_cookie(response, web.signer, web.signer.new(), secure=web.secure_cookies)
        return response

    async def accounts(request: Request) -> Page:
        users = web.users.list() if web.users is not None else []
        return Page(
            "accounts.html",
            {"signed_in_as": request.state.session.user, "accounts": users},
            title="Akun panitia",
            nav="/panitia",
        )

    def public(handler: Handler):
        return _view(web, handler, committee=False)

    def committee(handler: Handler):
        return _view(web, handler, committee=True)

    routes = [
        Route(SIGN_IN_PATH, public(sign_in_form), methods=["GET"]),
        Route(SIGN_IN_PATH, public(sign_in), methods=["POST"]),
        Route("/panitia/keluar", committee(sign_out), methods=["POST"]),
        Route("/panitia", committee(accounts), methods=["GET"]),
        Route("/panitia.json", committee(accounts), methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    if recap is not None:
        import booth.recap.web.pages as pages
        import booth.recap.web.public as public_pages
        import booth.recap.web.upload as upload

        routes += upload.routes(web, committee_view=functools.partial(_view, web, committee=True))
        routes += pages.routes(web, committee_view=functools.partial(_view, web, committee=True))
        routes += public_pages.routes(web, public_view=functools.partial(_view, web, committee=False))
    else:
        # the sign-in layer alone (tests, a server without recap data): only the accounts page exists
        web.env.globals["COMMITTEE_MENU"] = [("/panitia", "Akun", "Accounts")]

        async def root(request: Request) -> Response:
            return RedirectResponse("/panitia", status_code=303)

        routes.append(Route("/", root))
    if witness_app is not None and Path(witness_app).is_dir():
        routes.append(Mount("/saksi", StaticFiles(directory=str(witness_app), html=True), name="saksi"))
    # gzip: the saksi app's first visit on a phone's data plan is about 440 KB instead of 1 MB (its
    # decoder's .wasm), and the pages of a kabupaten's results shrink several times
    app = Starlette(
        routes=routes, middleware=[Middleware(_SecurityHeaders), Middleware(GZipMiddleware, minimum_size=1024)]
    )
    app.state.web = web
    return app


class _SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response (pure ASGI, so streaming bodies stay streaming)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        # The witness app fetches from the recap URL a witness types and runs zxing's
        # WebAssembly: it brings its own policy, so the recap's strict one is not added there.
        witness = scope["path"].startswith("/saksi/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if witness and name == "content-security-policy":
                        continue
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def serve(
    recap: Any, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *, data_dir: Path | None = None
) -> None:
    """Run the recap's web app under uvicorn on ``host:port`` until interrupted.

    With ``workers`` > 1 the listening socket is bound once and shared by that
    many forked processes, each running its own app over its own opening of
    ``recap``'s data (verifying inline, or through the same PostgreSQL queue; the
    sessions are signed cookies with a secret in the data directory and the
    sign-in rate limit is per process, so any worker can answer any request).
    ``data_dir`` defaults to the facade's ``data_dir``.
    """
    import uvicorn

    if workers < 1:
        raise ValueError("workers must be at least 1")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(256)
    sock.set_inheritable(True)
    if workers == 1:
        _run_one(uvicorn, recap, sock, data_dir)
        return
    # A small supervisor: it serves nothing itself, forwards SIGTERM/SIGINT to the
    # workers and returns when they have all stopped (uvicorn re-raises the signal
    # it caught, which would kill a serving parent before it could stop its children).
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _run_one(uvicorn, _reopened(recap), sock, data_dir)
            except Exception:  # noqa: BLE001 - a worker reports any failure, then exits non-zero
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    sock.close()

    def forward(signum, frame):
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for child in children:
            while True:
                try:
                    os.waitpid(child, 0)
                    break
                except InterruptedError:
                    continue
                except ChildProcessError:
                    break
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _reopened(recap: Any) -> Any:
    """The recap as a forked web worker must hold it: its own connection to the store (an SQLite or
    PostgreSQL connection must never be shared across ``fork``) and its own verification — inline in
    this process, or the same PostgreSQL queue as the parent — instead of the parent's process pool."""
    data_dir = getattr(recap, "data_dir", None)
    if recap is None or data_dir is None or not hasattr(type(recap), "open"):
        return recap
    from booth.recap.start import open_recap

    queue = "procrastinate" if type(getattr(recap, "queue", None)).__name__ == "ProcrastinateQueue" else "local"
    return open_recap(
        data_dir, database=getattr(recap, "database", None), workers=0, clock=getattr(recap, "clock", None), queue=queue
    )


def _run_one(uvicorn, recap: Any, sock: socket.socket, data_dir: Path | None) -> None:
    config = uvicorn.Config(
        create_app(recap, data_dir=data_dir),
        log_level="warning",
        proxy_headers=False,
        limit_concurrency=200,
        timeout_keep_alive=5,
    )
    uvicorn.Server(config).run(sockets=[sock])
