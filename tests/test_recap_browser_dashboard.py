"""The committee's evening in a real browser (Debian's chromium, JavaScript off) against a real
``booth recap serve`` on loopback: sign in, upload the polling places' bundles, see the progress,
read the results down to a pekon, resolve a conflict, and read the public page as a visitor —
on a cheap phone's screen (390 px) and on a laptop.

Screenshots go to the test's temporary folder.  To refresh the ones committed for docs/recap.md:

    RECAP_SCREENSHOTS=docs/images/recap .venv/bin/python -m pytest tests/test_recap_browser_dashboard.py
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from booth.recap.web.users import UserBook
from loopback import CHROMIUM, CHROMIUM_ARGS, free_port
from recap_days import counted_day, scratch, tps_package

playwright = pytest.importorskip("playwright.sync_api")
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "kopi tubruk pagi"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


def shots_dir(tmp_path: Path) -> Path:
    """Where screenshots go: the test's tmp folder, or RECAP_SCREENSHOTS to refresh the docs' images."""
    wanted = os.environ.get("RECAP_SCREENSHOTS")
    folder = (ROOT / wanted) if wanted else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def bundles():
    """Five polling places' days (one TPS with a second, replacement device), a foreign device's
    bundle and a tampered one, written as files like the USB sticks that reach the kecamatan."""
    root = scratch()
    pk = {
        "suk1": tps_package(root, pekon="Sukamaju", tps=1, seed=1),
        "suk2": tps_package(root, pekon="Sukamaju", tps=2, seed=2),
        "sid1": tps_package(root, pekon="Sidoharjo", tps=1, kecamatan="Pardasuka", seed=3, allow_blank=True),
        "sid2": tps_package(root, pekon="Sidoharjo", tps=2, kecamatan="Pardasuka", seed=4, allow_blank=True),
        "ban1": tps_package(root, pekon="Banjarejo", tps=1, kecamatan="Pardasuka", seed=5, candidates=2),
    }
    days = {
        "suk1": counted_day(root / "suk1", pk["suk1"], ["1", "2", "2", "3", "1", "2", "2"]),
        "suk2": counted_day(root / "suk2", pk["suk2"], ["3", "3", "1", "2"]),
        "suk2b": counted_day(root / "suk2b", pk["suk2"], ["1", "1"]),
        "sid1": counted_day(root / "sid1", pk["sid1"], ["1", "blank", "2", "2", "1"]),
        "sid2": counted_day(root / "sid2", pk["sid2"], ["2", "2", "1"]),
        "foreign": counted_day(root / "foreign", pk["ban1"], ["1", "2"]),
    }
    registry = {
        "format": "booth-recap-registry-v1",
        "devices": [days[k].registration for k in ("suk1", "suk2", "suk2b", "sid1", "sid2")]
        + [tps_registration(root, pk["ban1"])],
    }
    files = {}
    for name in ("suk1", "suk2", "suk2b", "sid1", "foreign"):
        files[name] = root / f"{name}-results.zip"
        files[name].write_bytes(days[name].bundle)
    files["tampered"] = root / "sid2-rusak.zip"
    files["tampered"].write_bytes(tampered(days["sid2"].bundle))
    (root / "registry.json").write_text(json.dumps(registry))
    return {"root": root, "days": days, "files": files, "registry": root / "registry.json"}


def tps_registration(root: Path, package: Path) -> dict:
    """Banjarejo TPS 1 registered with a device of its own, which sends nothing tonight."""
    from booth.election_package import load_package
    from booth.ledger.keys import DeviceKey
    from booth.recap.registry import registration_from_package

    path = root / "ban1-device.key"
    key = DeviceKey.load(path) if path.exists() else DeviceKey.create(path)
    return registration_from_package(load_package(package), key.verifier_key())


def tampered(bundle: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(bundle))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "ballots.jsonl":
                data = data.replace(b'"selection":"1"', b'"selection":"2"', 1)
            z.writestr(info.filename, data)
    return out.getvalue()


def booth(*argv: str, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "booth", "recap", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
        check=False,
        **kw,
    )


@pytest.fixture()
def server(bundles, tmp_path):
    """``booth recap serve`` on a random loopback port, with the registry imported and one account."""
    data = tmp_path / "rekap"
    assert booth("device", "import", "--data", str(data), str(bundles["registry"])).returncode == 0
    UserBook(data).add("ani", PASSWORD)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "booth",
            "recap",
            "serve",
            "--data",
            str(data),
            "--listen",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/panitia/masuk", timeout=1)
            break
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the recap server did not start: " + proc.stderr.read().decode()[-2000:]) from None
            time.sleep(0.2)
    yield {"base": base, "data": data}
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("screen", sorted(VIEWPORTS))
def test_the_committees_evening_in_the_browser(server, bundles, screen, tmp_path):
    base, days, files = server["base"], bundles["days"], bundles["files"]
    width = VIEWPORTS[screen]["width"]
    shots = shots_dir(tmp_path)

    def shot(page, name: str) -> None:
        no_sideways_scroll(page, width)
        page.screenshot(path=str(shots / f"evening-{name}-{screen}.png"), full_page=True)

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORTS[screen], java_script_enabled=False)
            page = context.new_page()
            # 1. sign in
            page.goto(base + "/")
            assert "/panitia/masuk" in page.url
            page.fill("#username", "ani")
            page.fill("#password", PASSWORD)
            shot(page, "1-signin")
            page.click("button[type=submit]")
            assert page.url == base + "/"
            assert "0 dari 5 TPS" in page.inner_text("main")

            # 2. upload the evening's bundles, all at once
            page.click("nav.main >> text=Unggah")
            page.set_input_files(
                "#berkas",
                [str(files[k]) for k in ("suk1", "suk2", "suk2b", "sid1", "foreign", "tampered")]
                + [str(files["suk1"])],
            )
            page.click("form[action='/unggah'] button[type=submit]")
            outcomes = page.locator("#hasil-unggah li")
            assert outcomes.count() == 7
            text = page.inner_text("#hasil-unggah")
            assert text.count("Diterima") >= 4
            assert "Perangkat tidak terdaftar" in text and "Verifikasi gagal" in text
            assert "Sudah diterima sebelumnya" in text
            assert "4 diterima, 1 sudah ada, 2 ditolak" in page.inner_text("[role=status]")
            shot(page, "2-upload")

            # 3. the progress on the dashboard
            page.click("nav.main >> text=Dasbor")
            main = page.inner_text("main")
            assert "2 dari 5 TPS" in main  # Sukamaju TPS 2 is in conflict: not counted
            assert page.locator("svg.chart").count() == 1
            shot(page, "3-progress")

            # 4. results down to a pekon: Sukamaju TPS 1 counted, TPS 2 in conflict
            page.click("nav.main >> text=Hasil")
            page.click("table.areas a")  # the kabupaten
            page.click("table.areas >> text=Pagelaran")
            page.click("table.areas >> text=Sukamaju")
            assert "Pekon Sukamaju" in page.inner_text("h1")
            rows = page.locator("#perolehan tbody tr")
            expected = days["suk1"].tally
            for i, number in enumerate(("1", "2", "3")):
                assert rows.nth(i).locator("td").last.inner_text() == str(expected.get(number, 0))
            assert "Konflik" in page.inner_text("#tps")
            shot(page, "4-results")

            # 5. resolve the conflict: the first device's result, with a reason
            page.click("nav.main >> text=Konflik")
            section = page.locator("section.conflict").first
            assert section.locator("input[name=hasil]").count() == 2
            chosen = section.locator("input[name=hasil]").first
            chosen.check()
            section.locator("textarea[name=alasan]").fill("Perangkat pertama mati pukul 11:20; berita acara no. 2")
            shot(page, "5-conflict")
            section.locator("button[type=submit]").click()
            assert "Keputusan dicatat untuk TPS 02 Sukamaju" in page.inner_text("[role=status]")
            page.goto(base + "/")
            assert "3 dari 5 TPS" in page.inner_text("main")

            # 6. the public page, as any visitor sees it (no sign-in)
            visitor = browser.new_context(viewport=VIEWPORTS[screen], java_script_enabled=False).new_page()
            visitor.goto(base + "/publik/")
            assert "Hasil rekapitulasi" in visitor.inner_text("h1")
            assert "Unggah" not in visitor.inner_text("header")
            shot(visitor, "6-public")
            visitor.click("text=Sukamaju")
            assert "Pekon Sukamaju" in visitor.inner_text("h1")
            shot(visitor, "7-public-pekon")
            visitor.goto(base + "/unggah")
            assert "/panitia/masuk" in visitor.url  # the committee's pages stay closed
        finally:
            browser.close()
