"""A saksi with the app on a phone: first visit online, then no network at all, the camera
pointed at the printed zero report and results reports of a real day.

Chromium (Debian's, by path) plays each printed report to the app through its fake camera
(a y4m video made from the real renderer's images); the static server is stopped after the
first visit and the browser is offline, so everything after that runs from the app's cache.
Screenshots at 360x740 go to a temporary folder (``BOOTH_WITNESS_SHOTS=docs/images/witness``
refreshes the committed ones).
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest

from booth.kiosk.printouts import results_report_image, zero_report_image
from booth.results import open_statement
from booth.witness import APP
from booth.witness.cosign import check_cosignature
from qr_day import qr_day
from witness_camera import (
    RecapStub,
    StaticServer,
    camera_frame,
    first_visit,
    launch,
    scan,
    y4m,
)

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium"),
]


def tampered(results: dict, candidate: str = "2", by: int = 5) -> dict:
    """The results report with one candidate's count raised on paper and in the QR text."""
    votes = results["tally"][candidate]
    statement = re.sub(
        rf"^candidate {candidate} {votes}$",
        f"candidate {candidate} {votes + by}",
        results["statement"],
        count=1,
        flags=re.MULTILINE,
    )
    assert statement != results["statement"]
    return {**results, "statement": statement, "tally": {**results["tally"], candidate: votes + by}}


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """One camera video per printed report the saksi points the phone at."""
    folder = tmp_path_factory.mktemp("camera")
    day = qr_day(3)
    other_device = qr_day(3, voters=200)  # another device of the same election
    other_election = qr_day(4)  # another pekon's election (four candidates)
    assert other_device.results["statement"] != day.results["statement"]
    reports = {
        "zero": zero_report_image(day.zero),
        "results": results_report_image(day.results),
        "tampered": results_report_image(tampered(day.results)),
        "other-device": results_report_image(other_device.results),
        "other-election": results_report_image(other_election.results),
    }
    made = {name: y4m(camera_frame(image), folder / f"{name}.y4m") for name, image in reports.items()}
    made["results-part-1"] = y4m(camera_frame(reports["results"], slice(0, 1)), folder / "results-part-1.y4m")
    reports["tampered"].save(folder / "tampered.png")
    return {"day": day, "videos": made, "folder": folder}


def close(phone) -> None:
    """Close the browser once the app's record is on disk (IndexedDB transaction complete)."""
    for page in phone.pages:
        page.evaluate("() => window.saksiFlush && window.saksiFlush()")
    phone.close()


def shots_folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BOOTH_WITNESS_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_saksi_checks_the_day_on_a_phone_with_no_network(videos, tmp_path):
    day, video = videos["day"], videos["videos"]
    shots = shots_folder(tmp_path)
    profile = tmp_path / "phone"
    server = StaticServer(APP)
    with playwright_api.sync_playwright() as pw:
        # First visit, online: the app installs itself; then the server goes away for good.
        phone = launch(pw, profile, video["results"])
        page = phone.pages[0] if phone.pages else phone.new_page()
        first_visit(page, server.url, APP)
        server.stop()
        phone.set_offline(True)
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert page.inner_text("#net") == "offline"
        # Results before any zero report: nothing to check them against.
        assert scan(page) == "not-pinned"
        assert "TIDAK SAH" in page.inner_text("#verdict")
        assert "Belum ada Laporan Nol" in page.inner_text("#verdict")
        page.screenshot(path=str(shots / "01-belum-dipin.png"))
        close(phone)

        def phone_with(name):
            ctx = launch(pw, profile, video[name])
            ctx.set_offline(True)
            p = ctx.pages[0] if ctx.pages else ctx.new_page()
            p.goto(server.url)
            p.wait_for_selector("body[data-ready='1']")
            return ctx, p

        # Opening: the zero report's two QR codes pin the device and the election.
        phone, page = phone_with("zero")
        assert scan(page) == "opening-ok"
        assert "LAPORAN NOL SAH" in page.inner_text("#verdict")
        pin = page.inner_text("#pin")
        assert "1 Sukamaju" in pin and "SUPARNO" in pin and "AHMAD FAUZI" in pin
        fingerprint = day.zero["opening"].split("\u2014 booth/")[1][:16].upper()
        assert "-".join(fingerprint[i : i + 4] for i in range(0, 16, 4)) in pin
        page.screenshot(path=str(shots / "02-laporan-nol-sah.png"))
        close(phone)

        # The close: only the first of the results report's two codes in view.
        phone, page = phone_with("results-part-1")
        page.click("#scan")
        playwright_api.expect(page.locator("#scan-status")).to_contain_text("pindai bagian 2", timeout=15000)
        assert "Bagian 1 dari 2 terpindai" in page.inner_text("#scan-status")
        assert "Part 1 of 2 scanned" in page.inner_text("#scan-status")
        page.screenshot(path=str(shots / "03-bagian-1-dari-2.png"))
        close(phone)

        # The genuine results report: SAH and the tally as printed.
        phone, page = phone_with("results")
        assert scan(page) == "ok"
        verdict = page.inner_text("#verdict")
        assert verdict.startswith("SAH")
        cells = page.locator("#verdict td.n").all_inner_texts()
        assert cells == [str(v) for v in day.results["tally"].values()] + [str(sum(day.results["tally"].values()))]
        page.screenshot(path=str(shots / "04-hasil-sah.png"))
        # The witness cosigns what they saw, offline.
        page.click("#cosign-card summary")
        page.click("#cosign")
        line = page.inner_text("#cosign-line")
        assert line.startswith("\u2014 saksi/")
        # The committee checks the line with the saksi's key against the device's checkpoint.
        saksi_key = page.locator("#cosign-result pre").nth(2).inner_text()
        statement = open_statement(day.statement, day.zero["opening"].split("\nkey ")[1].split("\n")[0])
        checkpoint = f"{statement.signer}\n{statement.log_size}\n{base64.b64encode(statement.log_root).decode()}\n"
        assert check_cosignature(checkpoint, line, saksi_key).checkpoint.size == statement.log_size
        # A photo of the tampered report, picked from the gallery instead of the camera.
        page.evaluate("document.getElementById('verdict').removeAttribute('data-reason')")
        page.set_input_files("#photo", str(videos["folder"] / "tampered.png"))
        page.wait_for_selector("#verdict[data-reason]")
        assert page.get_attribute("#verdict", "data-reason") == "tampered"
        close(phone)

        for name, reason, words in [
            ("tampered", "tampered", "telah diubah"),
            ("other-device", "other-device", "perangkat lain"),
            ("other-election", "other-election", "pemilihan lain"),
        ]:
            phone, page = phone_with(name)
            assert scan(page) == reason, name
            text = page.inner_text("#verdict")
            assert text.startswith("TIDAK SAH") and words in text, text
            page.screenshot(path=str(shots / f"05-tidak-sah-{name}.png"))
            if name == "other-election":
                # The record keeps every scan; the app still opens with no network.
                record = page.inner_text("#record")
                assert record.count("TIDAK SAH") >= 4 and "Berita Acara SAH" in record
                page.locator("#record").scroll_into_view_if_needed()
                page.screenshot(path=str(shots / "06-catatan.png"))
            close(phone)


def test_back_online_the_saksi_compares_with_the_recaps_public_page(videos, tmp_path):
    """The recap's /publik/pemilihan/<id>.json against what the witness scanned: match, then a changed tally."""
    day = videos["day"]
    vkey = day.zero["opening"].split("\nkey ")[1].split("\n")[0]
    s = open_statement(day.statement, vkey)
    page_json = {
        "election_id": s.election_id,
        "kabupaten": "Lampung Barat",
        "kecamatan": "Balik Bukit",
        "pekon": "Sukamaju",
        "tps": 1,
        "state": "verified",
        "log_size": s.log_size,
        "log_root": base64.b64encode(s.log_root).decode(),
        "tally": s.tally,
        "total": s.total,
        "voters": s.total,
        "received_at": "2026-12-12T19:40:00+07:00",
        "receipt": "r",
    }
    recap = RecapStub({f"/publik/pemilihan/{s.election_id}.json": page_json})
    server = StaticServer(APP)
    shots = shots_folder(tmp_path)
    try:
        with playwright_api.sync_playwright() as pw:
            phone = launch(pw, tmp_path / "phone", videos["videos"]["results"])
            page = phone.pages[0] if phone.pages else phone.new_page()
            first_visit(page, server.url, APP)
            # The committee's device list instead of the zero report: a typed key pins the device.
            page.click("#key-card summary")
            page.fill("#key-text", "booth/0000+zz+nonsense")
            page.click("#key-form button")
            assert "Kunci tidak sah" in page.inner_text("#key-error")
            page.fill("#key-text", vkey)
            page.fill("#key-election", s.election_id)
            page.click("#key-form button")
            assert "Dipin dari kunci yang diketik" in page.inner_text("#pin")
            # Its entry in the committee's device list (registry JSON) pins the TPS and candidates too.
            entry = {
                "verifier_key": vkey,
                "election_id": s.election_id,
                "pekon": "Sukamaju",
                "tps": 1,
                "candidates": [
                    {"number": n, "name": name}
                    for n, name in [(1, "SUPARNO"), (2, "SITI RAHMAWATI"), (3, "AHMAD FAUZI")]
                ],
            }
            page.click("#key-card summary")  # the card folded itself after the first pin
            page.fill("#key-text", json.dumps(entry))
            page.fill("#key-election", "")
            page.click("#key-form button")
            pin = page.inner_text("#pin")
            assert "1 Sukamaju" in pin and "SITI RAHMAWATI" in pin
            assert scan(page) == "ok"
            page.click("#recap-card summary")
            page.fill("#recap-url", recap.url)
            page.click("#recap-form button")
            page.wait_for_selector("#recap-rows")
            assert page.locator("#recap-rows li[data-match='true']").count() == 3
            assert "Rekap sama dengan yang Anda pindai" in page.inner_text("#recap-result")
            page.locator("#recap-card").screenshot(path=str(shots / "07-rekap-cocok.png"))
            # The recap shows another count for candidate 2: the witness is told, item by item.
            page_json["tally"] = {**s.tally, "2": s.tally["2"] + 3}
            page.click("#recap-form button")
            playwright_api.expect(page.locator("#recap-result")).to_contain_text("BERBEDA")
            rows = page.locator("#recap-rows li").all_inner_texts()
            assert [("BERBEDA" in r) for r in rows] == [False, False, True]
            page.locator("#recap-card").screenshot(path=str(shots / "08-rekap-berbeda.png"))
            # The exported record holds every scan and the comparison.
            with page.expect_download() as download:
                page.click("#export")
            record = json.loads(Path(download.value.path()).read_text("utf-8"))
            assert [e["kind"] for e in record["events"]] == ["typed-key", "typed-key", "results", "recap", "recap"]
            assert record["events"][2]["ok"] is True and record["events"][4]["match"] is False
            close(phone)
    finally:
        server.stop()
        recap.stop()
