"""The kiosk's side of the ledger socket: ``BoothClient``, the same methods as ``BoothService``.

Every method of :data:`booth.api.schema.METHODS` is a method here with the
same name and parameters, generated from that table, so the client and the
server cannot drift apart.  A refusal raises the same ``BoothError`` subclass
the booth raised (rebuilt from its ``code``), with the same Indonesian and
English words and details::

    >>> client = BoothClient("/run/booth/api.sock")                 # doctest: +SKIP
    >>> token = client.sign_in("K01", "258011")                      # doctest: +SKIP
    >>> client.check_in(token, "DPT-0001")["status"]                 # doctest: +SKIP
    'checked_in'
    >>> client.cast("R0001", "7")                                    # doctest: +SKIP
    Traceback (most recent call last):
    booth.errors.BadInput: Not a valid choice

When the ledger service is not there (restarting after a fault), a call raises
:class:`~booth.api.wire.LedgerUnavailable`; the kiosk shows "Mohon tunggu"
and asks ``voter_screen()`` again, which resumes the voter's session.  A
request is never sent twice: if the service hung up after a request was sent,
the kiosk cannot know whether it was done, so it asks the booth (the next call
reconnects).

Two methods are adapted on the client: ``load_election(package_path)`` reads
the package folder or zip here and sends it as zip bytes, and
``export(token, out_path)`` writes the bundle the service returns to
``out_path`` here.
"""

from __future__ import annotations

import base64
import inspect
import io
import itertools
import os
import select
import socket
import threading
import time
import zipfile
from pathlib import Path

from booth.api.schema import ALL_METHODS, Method, decode_result
from booth.api.wire import (
    PROTOCOL_ERRORS,
    RESPONSE_LIMIT,
    BadParams,
    ConnectionClosed,
    LedgerUnavailable,
    read_frame,
    send_frame,
)
from booth.errors import BoothError


def _error_classes() -> dict[str, type[BoothError]]:
    classes: dict[str, type[BoothError]] = {}
    todo = [BoothError]
    while todo:
        cls = todo.pop()
        classes.setdefault(cls.code, cls)
        todo.extend(cls.__subclasses__())
    for cls in PROTOCOL_ERRORS:
        classes[cls.code] = cls
    return classes


class RemoteError(BoothError):
    """A refusal whose code this client does not know (a newer service); ``code`` is the service's."""

    code = "error"


def error_from_json(obj) -> BoothError:
    """Rebuild the booth's exception from its ``to_json()`` form.

    >>> e = error_from_json({"code": "unknown_voter", "message_id": "Nama tidak terdaftar dalam DPT",
    ...                      "message_en": "Not on the voter list", "details": {}})
    >>> type(e).__name__, e.message_id
    ('UnknownVoter', 'Nama tidak terdaftar dalam DPT')
    """
    if not isinstance(obj, dict):
        obj = {}
    code = obj.get("code") if isinstance(obj.get("code"), str) else "error"
    cls = _error_classes().get(code, RemoteError)
    details = obj.get("details") if isinstance(obj.get("details"), dict) else {}
    err = cls.__new__(cls)
    BoothError.__init__(err, str(obj.get("message_id", "")), str(obj.get("message_en", "")))
    err.details = details
    if cls is RemoteError:
        err.code = code
    return err


class _Default:
    def __repr__(self) -> str:
        return "<the booth's default>"


DEFAULT = _Default()


class BoothClient:
    """A connection to the ledger service; thread-safe (one request at a time)."""

    def __init__(self, socket_path: str | os.PathLike, *, timeout: float = 120.0, connect_timeout: float = 5.0) -> None:
        self.socket_path = str(socket_path)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    # --- the connection
    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + self.connect_timeout
        error: OSError
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
            sock.settimeout(self.connect_timeout)
            try:
                sock.connect(self.socket_path)
                return sock
            except (BlockingIOError, InterruptedError) as exc:
                # the listen queue is momentarily full (a Unix socket says EAGAIN): wait our turn
                sock.close()
                if time.monotonic() >= deadline:
                    error = exc
                    break
                time.sleep(0.01)
            except OSError as exc:
                sock.close()
                error = exc
                break
        raise LedgerUnavailable(
            "Layanan buku besar belum siap. Mohon tunggu",
            f"The ledger service is not available ({error.strerror or error})",
        )

    def _usable(self) -> socket.socket:
        """The open connection, or a new one if the service hung up since (nothing was lost)."""
        sock = self._sock
        if sock is not None:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                # Between requests the service only speaks to hang up (restart, or
                # a refusal frame): take the refusal if there is one, else reconnect.
                try:
                    sock.setblocking(False)
                    pending = sock.recv(1, socket.MSG_PEEK)
                except OSError:
                    pending = b""
                finally:
                    sock.setblocking(True)
                if pending:
                    body = read_frame(sock, RESPONSE_LIMIT, timeout=self.timeout)
                    self.close()
                    response = _decode(body)
                    raise error_from_json(response.get("error"))
                self.close()
                sock = None
        if sock is None:
            sock = self._sock = self._connect()
        return sock

    def _pending_refusal(self, sock: socket.socket) -> BoothError | None:
        """The error frame the service sent before hanging up (e.g. peer_refused), if any."""
        try:
            if not select.select([sock], [], [], 0.5)[0]:
                return None
            response = _decode(read_frame(sock, RESPONSE_LIMIT, timeout=1.0))
        except (OSError, ConnectionClosed, BoothError):
            return None
        return error_from_json(response["error"]) if "error" in response else None

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def __enter__(self) -> BoothClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- one call
    def call(self, method: str, **params):
        """Send one request and return its result (bytes results decoded), or raise the booth's error."""
        spec = ALL_METHODS.get(method)
        wire = {}
        for name, value in params.items():
            if value is DEFAULT:
                continue
            p = next((p for p in spec.params if p.name == name), None) if spec else None
            if p is not None and p.kind == "bytes" and isinstance(value, (bytes, bytearray, memoryview)):
                value = base64.b64encode(bytes(value)).decode("ascii")
            wire[name] = value
        with self._lock:
            sock = self._usable()
            request_id = next(self._ids)
            try:
                send_frame(sock, {"id": request_id, "method": method, "params": wire}, timeout=self.timeout)
            except (OSError, ValueError) as exc:
                refusal = self._pending_refusal(sock) if isinstance(exc, OSError) else None
                self.close()
                if refusal is not None:
                    raise refusal from None
                if isinstance(exc, ValueError):  # not JSON (NaN, a set, ...): the request never left
                    raise BadParams(
                        "Permintaan tidak bisa dikirim", f"Request cannot be encoded: {exc}", method=method
                    ) from None
                raise LedgerUnavailable(
                    "Sambungan ke layanan buku besar terputus. Mohon tunggu",
                    "The connection to the ledger service broke before the request was sent",
                    sent=False,
                ) from None
            try:
                body = read_frame(sock, RESPONSE_LIMIT, timeout=self.timeout)
            except (ConnectionClosed, OSError, BoothError) as exc:
                self.close()
                raise LedgerUnavailable(
                    "Layanan buku besar berhenti sebelum menjawab. Mohon tunggu lalu periksa layar",
                    f"The ledger service hung up before answering ({exc})",
                    sent=True,
                    method=method,
                ) from None
        response = _decode(body)
        if "error" in response:
            if response.get("id") is None:
                self.close()  # the service hangs up after an error it could not tie to a request
            raise error_from_json(response["error"])
        if response.get("id") != request_id:
            self.close()
            raise LedgerUnavailable("Jawaban tidak cocok", "The answer does not match the request")
        result = response.get("result")
        return decode_result(spec, result) if spec is not None else result


def _decode(body: bytes) -> dict:
    import json

    try:
        response = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LedgerUnavailable("Jawaban rusak", f"Malformed answer from the ledger service: {exc}") from None
    if not isinstance(response, dict):
        raise LedgerUnavailable("Jawaban rusak", "Malformed answer from the ledger service")
    return response


# --- methods the client adapts (the server has the other half in booth.api.server)
def package_zip_bytes(package_path: str | os.PathLike) -> bytes:
    """A package folder as zip bytes (a .zip file as it is)."""
    path = Path(package_path)
    if path.is_file():
        return path.read_bytes()
    if not path.is_dir():
        raise BadParams("Paket pemilihan tidak ditemukan", f"No election package at {path}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                z.write(file, file.relative_to(path).as_posix())
    return buffer.getvalue()


def _load_election(self: BoothClient, package_path: str) -> dict:
    """Load the committee's signed package (a folder or .zip read here) into the booth."""
    return self.call("load_election", package_zip=package_zip_bytes(package_path))


def _export(self: BoothClient, token: str, out_path: str) -> str:
    """Export the signed results bundle; the service writes its copy, this writes ``out_path``."""
    out = Path(out_path)
    result = self.call("export", token=token, file_name=out.name)
    data = base64.b64decode(result["bundle"])
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return str(out)


def _export_station(self: BoothClient, token: str, folder: str) -> str:
    """Export the station bundle: the stick's bundles go to the service, its station bundle onto the stick."""
    from booth.station.stick import pack_stick

    where = Path(folder)
    if not where.is_dir():
        from booth.refusals import refuse

        raise refuse("station_export_folder")
    result = self.call("export_station", token=token, stick_zip=pack_stick(where))
    out = where / Path(result["file"]).name
    tmp = out.with_name(f".{out.name}.part")
    with open(tmp, "wb") as f:
        f.write(base64.b64decode(result["bundle"]))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)
    return str(out)


def _fake_clock_advance(self: BoothClient, seconds: int) -> str:
    """(Test servers only) move the service's fake clock forward."""
    return self.call("fake_clock_advance", seconds=seconds)


def _fake_clock_set(self: BoothClient, utc: str) -> str:
    """(Test servers only) set the service's fake clock (RFC 3339 with offset)."""
    return self.call("fake_clock_set", utc=utc)


_SPECIAL = {
    "load_election": _load_election,
    "export": _export,
    "export_station": _export_station,
    "fake_clock_advance": _fake_clock_advance,
    "fake_clock_set": _fake_clock_set,
}


def _make_method(spec: Method):
    if spec.special:
        fn = _SPECIAL[spec.name]
        fn.__qualname__ = f"BoothClient.{spec.name}"
        return fn
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for p in spec.params:
        kind = inspect.Parameter.KEYWORD_ONLY if p.keyword_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
        default = inspect.Parameter.empty if p.required else DEFAULT
        parameters.append(inspect.Parameter(p.name, kind, default=default))
    signature = inspect.Signature(parameters)

    def method(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        params = dict(bound.arguments)
        params.pop("self")
        return self.call(spec.name, **params)

    method.__name__ = spec.name
    method.__qualname__ = f"BoothClient.{spec.name}"
    method.__signature__ = signature  # type: ignore[attr-defined]  # what inspect.signature reads
    method.__doc__ = _doc_of(spec)
    return method


def _doc_of(spec: Method) -> str:
    # Not BoothService's docstring: the kiosk never imports the core or the ledger.
    return f"``BoothService.{spec.name}`` in the booth-ledger service, over its socket." + (
        f"  {spec.doc}" if spec.doc else ""
    )


for _spec in ALL_METHODS.values():
    setattr(BoothClient, _spec.name, _make_method(_spec))
del _spec
