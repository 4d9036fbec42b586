"""How fast a saksi sees SAH, and how much the phone downloads once.

* **Scan to SAH**: the results report of a real day (rendered by booth.kiosk.printouts, two QR parts) is
  played to the app by Chromium's fake camera; the time from the first camera frame the app gets
  (the QR is in view from that frame on) to SAH on screen, median of 20 scans.  For reference:
  the same from pressing "Pindai QR" (camera start included).  Target: median under 1 s.
* **First visit**: the bytes the static server sends (gzip, as any web server does) from opening
  the app until its service worker has cached every file for offline use, and the app's size on
  disk uncompressed.  Target: under 500 KB transferred.

    python3 benchmarks/witness_scan.py        # about a minute
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright

from booth.kiosk.printouts import results_report_image
from booth.witness import APP
from qr_day import qr_day
from witness_camera import StaticServer, camera_frame, first_visit, launch, scan, y4m

RUNS = 20


def main() -> int:
    day = qr_day(3)
    vkey = day.zero["opening"].split("\nkey ")[1].split("\n")[0]
    election = day.zero["opening"].split("\nelection ")[1].split("\n")[0]
    with tempfile.TemporaryDirectory() as tmp:
        video = y4m(camera_frame(results_report_image(day.results)), Path(tmp) / "results.y4m")
        server = StaticServer(APP)
        with sync_playwright() as pw:
            phone = launch(pw, Path(tmp) / "phone", video)
            page = phone.pages[0] if phone.pages else phone.new_page()
            first_visit(page, server.url, APP)
            transferred = server.sent
            server.stop()
            phone.set_offline(True)
            page.reload()
            page.wait_for_selector("body[data-ready='1']")
            page.click("#key-card summary")
            page.fill("#key-text", vkey)
            page.fill("#key-election", election)
            page.click("#key-form button")
            from_frame, from_press = [], []
            for _ in range(RUNS):
                pressed = page.evaluate("performance.now()")
                assert scan(page) == "ok"
                shown = float(page.get_attribute("#verdict", "data-shown-at"))
                first = page.evaluate("window.__saksiFirstFrameAt")
                from_frame.append((shown - first) / 1000)
                from_press.append((shown - pressed) / 1000)
            phone.close()
    raw = sum(p.stat().st_size for p in APP.iterdir() if p.is_file())
    median = statistics.median(from_frame)
    print(
        f"scan to SAH (first camera frame -> SAH), median of {RUNS}: {median * 1000:.0f} ms "
        f"(min {min(from_frame) * 1000:.0f}, max {max(from_frame) * 1000:.0f}); target < 1000 ms: "
        f"{'PASS' if median < 1 else 'MISS'}"
    )
    print(
        f"  for reference, from pressing Pindai QR (camera start included): median "
        f"{statistics.median(from_press) * 1000:.0f} ms"
    )
    print(
        f"first visit transferred (gzip, until cached offline): {transferred / 1024:.0f} KB; target < 500 KB: "
        f"{'PASS' if transferred < 500 * 1024 else 'MISS'}"
    )
    print(
        f"  for reference, the app on disk uncompressed: {raw / 1024:.0f} KB "
        f"(zxing_reader.wasm {(APP / 'zxing_reader.wasm').stat().st_size / 1024:.0f} KB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
