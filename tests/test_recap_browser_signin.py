"""A committee member signs in to the recap in a real browser (Debian's chromium), on a cheap
phone's screen and on a laptop, with JavaScript off: the pages must work without it.

Screenshots go to the test's temporary folder; to refresh the ones in docs/images/recap/:
``RECAP_SCREENSHOTS=docs/images/recap .venv/bin/python -m pytest tests/test_recap_browser_signin.py``."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from booth.recap.web import create_app
from booth.recap.web.users import UserBook
from loopback import CHROMIUM, CHROMIUM_ARGS

playwright = pytest.importorskip("playwright.sync_api")
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "kopi tubruk pagi"
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "laptop": {"width": 1280, "height": 800}}


@pytest.fixture()
def server(tmp_path):
    import uvicorn

    UserBook(tmp_path).add("ani", PASSWORD)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    from booth.recap.start import open_recap

    recap = open_recap(tmp_path, workers=0)  # an empty recap: the full committee menu, as served
    srv = uvicorn.Server(uvicorn.Config(create_app(recap), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    srv.should_exit = True
    thread.join(10)
    sock.close()
    recap.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
@pytest.mark.parametrize("screen", sorted(VIEWPORTS))
def test_a_committee_member_signs_in_and_out_without_javascript(server, screen, tmp_path):
    wanted = os.environ.get("RECAP_SCREENSHOTS")
    shots = ROOT / wanted if wanted else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORTS[screen], java_script_enabled=False)
            page = context.new_page()
            page.goto(server + "/panitia")
            assert page.url.endswith("/panitia/masuk?next=/panitia")
            page.fill("#username", "ani")
            page.fill("#password", "kopi susu sore")
            page.click("button[type=submit]")
            assert "Nama pengguna atau kata sandi salah" in page.inner_text("[role=alert]")
            page.screenshot(path=str(shots / f"signin-refused-{screen}.png"), full_page=True)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            assert page.url == server + "/panitia"
            assert "Masuk sebagai ani" in page.inner_text("main")
            # nothing on the page may spill sideways on a phone
            assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[screen]["width"]
            page.screenshot(path=str(shots / f"signed-in-{screen}.png"), full_page=True)
            page.click("text=Keluar")
            assert page.url.startswith(server + "/panitia/masuk")
            page.goto(server + "/panitia")
            assert "/panitia/masuk" in page.url
        finally:
            browser.close()
