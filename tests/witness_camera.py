"""The saksi app in a real browser, for the browser tests and the benchmark.

* :func:`camera_frame` / :func:`y4m`: what a phone camera pointed at a printed report sees (the
  report's QR area on a grey table, slightly turned), as a video Chromium's fake camera plays;
* :class:`StaticServer`: the built app on 127.0.0.1 (gzip like any web server, counting the bytes
  it sends), stopped by the tests to prove the app then runs from its service worker's cache;
* :func:`launch`: Debian's chromium, phone-sized, with the fake camera fed from a video file.
"""

from __future__ import annotations

import gzip
import http.server
import io
import subprocess
import threading
from functools import partial
from pathlib import Path
from typing import ClassVar

import zxingcpp
from PIL import Image, ImageFilter

from loopback import CHROMIUM, CHROMIUM_ARGS

ARGS = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
PHONE = {"width": 360, "height": 740}
FRAME = (540, 720)  # a portrait camera frame, 3:4


def camera_frame(report: Image.Image, parts: slice = slice(None), angle: float = 2.0) -> Image.Image:
    """The camera's view of ``report`` aimed at its QR codes (``parts`` picks which are in view)."""
    codes = sorted(zxingcpp.read_barcodes(report.convert("L")), key=lambda r: r.position.top_left.y)
    codes = codes[parts]
    assert codes, "the report has no QR code in view"
    top = min(r.position.top_left.y for r in codes) - 50
    bottom = max(r.position.bottom_left.y for r in codes) + 50
    crop = report.convert("L").crop((0, max(0, top), report.width, min(report.height, bottom)))
    scale = min((FRAME[0] - 60) / crop.width, (FRAME[1] - 60) / crop.height)
    crop = crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.BILINEAR)
    paper = Image.new("L", crop.size, 255)
    paper.paste(crop)
    paper = paper.convert("RGB").rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=(110, 104, 96))
    frame = Image.new("RGB", FRAME, (110, 104, 96))  # a wooden table
    frame.paste(paper, ((FRAME[0] - paper.width) // 2, (FRAME[1] - paper.height) // 2))
    return frame.filter(ImageFilter.GaussianBlur(0.6))


def y4m(frame: Image.Image, path: Path, seconds: float = 1.0, fps: int = 10) -> Path:
    """A y4m video of one still frame (Chromium's fake camera loops it)."""
    png = path.with_suffix(".png")
    frame.save(png)
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-loop",
            "1",
            "-i",
            str(png),
            "-t",
            str(seconds),
            "-r",
            str(fps),
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".webmanifest": "application/manifest+json",
        ".js": "text/javascript",
        ".svg": "image/svg+xml",
    }
    COMPRESS = (".html", ".js", ".css", ".wasm", ".webmanifest", ".svg", "/")

    def log_message(self, *args) -> None:  # quiet
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (
            "gzip" in self.headers.get("Accept-Encoding", "")
            and path.is_file()
            and (self.path.split("?")[0].endswith(self.COMPRESS))
        ):
            body = gzip.compress(path.read_bytes(), 9, mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=300")
            self.end_headers()
            self.server.sent += len(body)
            self.server.requests.append(self.path)
            return io.BytesIO(body)
        result = super().send_head()
        if result is not None and hasattr(result, "fileno"):
            self.server.sent += path.stat().st_size
            self.server.requests.append(self.path)
        return result

    def end_headers(self) -> None:
        if not self._headers_buffer or b"Cache-Control" not in b"".join(self._headers_buffer):
            self.send_header("Cache-Control", "max-age=300")
        super().end_headers()


class StaticServer:
    """The app's folder served on 127.0.0.1 (a free port) until :meth:`stop`; ``sent`` counts body bytes."""

    def __init__(self, folder: Path, prefix: str = "") -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(folder)))
        self.httpd.sent = 0
        self.httpd.requests = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    @property
    def sent(self) -> int:
        return self.httpd.sent

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def launch(playwright, profile: Path, video: Path):
    """A persistent (phone) Chromium profile whose camera shows ``video``."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=ARGS + [f"--use-file-for-fake-video-capture={video}"],
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        service_workers="allow",
    )


def first_visit(page, url: str, app: Path) -> None:
    """Open the app online and wait until its service worker has cached every file."""
    # Every built file but the worker itself and VERSION, and "./" (the page).
    expected = len([p for p in app.iterdir() if p.name not in ("sw.js", "VERSION")]) + 1
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    page.evaluate(
        """async (expected) => {
        const reg = await navigator.serviceWorker.ready;
        for (let i = 0; i < 200; i++) {
            const names = await caches.keys();
            if (names.length && reg.active && reg.active.state === 'activated') {
                const cache = await caches.open(names[0]);
                if ((await cache.keys()).length >= expected) return true;
            }
            await new Promise(r => setTimeout(r, 50));
        }
        throw new Error('the service worker did not cache the app');
    }""",
        expected,
    )


def scan(page, timeout: float = 15000) -> str:
    """Press Pindai QR and wait for the verdict; return its reason code."""
    page.evaluate("document.getElementById('verdict').removeAttribute('data-reason')")
    page.click("#scan")
    page.wait_for_selector("#verdict[data-reason]", timeout=timeout)
    return page.get_attribute("#verdict", "data-reason")


class RecapStub:
    """A recap's public JSON pages (``/publik/pemilihan/<id>.json``, CORS open) on 127.0.0.1."""

    def __init__(self, pages: dict[str, dict]) -> None:
        import json

        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                page = stub.pages.get(self.path)
                body = json.dumps(page).encode() if page is not None else b'{"error": "not found"}'
                self.send_response(200 if page is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.pages = pages
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
