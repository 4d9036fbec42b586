"""The recap's pages as the committee's server runs them: `serve` with several worker processes
sharing one sign-in, the witness app at /saksi/, uploads cut off at their limit while they stream
in, and the charts drawn on the server."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest
from starlette.testclient import TestClient

from booth.recap.web import create_app
from booth.recap.web.charts import (
    ProgressPoint,
    TargetPoint,
    bar_chart,
    progress_chart,
    share_bar,
)
from booth.recap.web.security import UploadTooLarge, limit_body
from booth.recap.web.users import UserBook
from loopback import free_port

PASSWORD = "kopi tubruk pagi"


def test_two_worker_processes_share_one_sign_in(tmp_path):
    UserBook(tmp_path).add("ani", PASSWORD)
    port = free_port()
    code = (
        "import sys; from pathlib import Path; from booth.recap.web import serve; "
        f"serve(None, '127.0.0.1', {port}, 2, data_dir=Path({str(tmp_path)!r}))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(base + "/panitia/masuk", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        with httpx.Client(base_url=base) as c:
            token = re.search(r'name="csrf" value="([^"]+)"', c.get("/panitia/masuk").text).group(1)
            assert (
                c.post("/panitia/masuk", data={"csrf": token, "username": "ani", "password": PASSWORD}).status_code
                == 303
            )
        # fresh connections land on either worker; every one knows the session
        cookies = c.cookies
        for _ in range(20):
            r = httpx.get(base + "/panitia.json", cookies=cookies, headers={"connection": "close"})
            assert r.status_code == 200 and r.json()["signed_in_as"] == "ani"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    # the workers stopped with their supervisor: nothing listens on the port any more
    with pytest.raises(httpx.TransportError):
        httpx.get(base + "/panitia/masuk", timeout=2)


def test_the_witness_app_is_served_at_saksi_to_anyone(tmp_path):
    app_dir = tmp_path / "witness-app"
    app_dir.mkdir()
    (app_dir / "index.html").write_text("<!doctype html><title>Aplikasi saksi</title>", encoding="utf-8")
    with TestClient(create_app(None, data_dir=tmp_path, witness_app=app_dir)) as c:
        r = c.get("/saksi/")
        assert r.status_code == 200 and "Aplikasi saksi" in r.text
        assert "content-security-policy" not in r.headers  # the app brings its own
        assert 'href="/saksi/"' in c.get("/panitia/masuk").text
    with TestClient(create_app(None, data_dir=tmp_path, witness_app=tmp_path / "none")) as c:
        assert c.get("/saksi/").status_code == 404


def test_an_upload_streamed_without_a_length_is_cut_off_at_the_limit():
    chunks = [{"type": "http.request", "body": b"x" * 1000, "more_body": True} for _ in range(50)]

    async def receive():
        return chunks.pop(0)

    async def read_all(limit):
        wrapped = limit_body(receive, limit)
        seen = 0
        while True:
            message = await wrapped()
            seen += len(message["body"])
            if not message.get("more_body"):
                return seen

    with pytest.raises(UploadTooLarge) as refused:
        asyncio.run(read_all(10_000))
    assert refused.value.limit == 10_000
    assert len(chunks) == 39  # it stopped reading at the chunk that went over


def test_the_evening_chart_shows_both_lines_and_the_committees_targets():
    svg = progress_chart(
        [ProgressPoint(13, 0.05, 0.10), ProgressPoint(17, 0.62, 0.81)],
        [TargetPoint(17, 0.8), TargetPoint(24, 1.0)],
        title="Kemajuan / progress",
    )
    assert svg.startswith("<svg") and svg.count("<polyline") == 2
    assert "80% 17:00" in svg and "100% 24:00" in svg
    assert "<title>Kemajuan / progress</title>" in svg
    assert "<script" not in svg


def test_the_candidates_chart_labels_each_bar_with_votes_and_share_and_escapes_names():
    svg = bar_chart([("1 Siti <Aminah>", 120), ("2 Budi", 80), ("kosong", 0)], title="Pekon Sukamaju")
    assert "120 (60.0%)" in svg and "80 (40.0%)" in svg and "0 (0.0%)" in svg
    assert "&lt;Aminah&gt;" in svg and "<Aminah>" not in svg
    assert share_bar(0.5, 0.25).count("<rect") == 3


def test_two_worker_processes_each_receive_uploads_into_the_same_recap(tmp_path):
    """Each forked web worker opens the store itself (no connection crosses fork) and verifies
    inline: a bundle uploaded through one is counted on every worker's pages."""
    from recap_days import counted_day, registry_bytes, scratch, tps_package

    root = scratch()
    days = [
        counted_day(root / f"tps{n}", tps_package(root, pekon="Sukamaju", tps=n, seed=n), ["1", "2", "2"])
        for n in (1, 2)
    ]
    data = tmp_path / "rekap"
    from booth.recap.start import open_recap

    with open_recap(data, workers=0) as recap:
        recap.import_registry(registry_bytes(days), by="ketua")
    UserBook(data).add("ani", PASSWORD)
    port = free_port()
    code = (
        "from booth.recap.start import open_recap; from booth.recap.web import serve; "
        f"serve(open_recap({str(data)!r}, workers=1), '127.0.0.1', {port}, 2)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/panitia/masuk", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        with httpx.Client(base_url=base) as c:
            token = re.search(r'name="csrf" value="([^"]+)"', c.get("/panitia/masuk").text).group(1)
            c.post("/panitia/masuk", data={"csrf": token, "username": "ani", "password": PASSWORD})
            token = c.get("/unggah.json").json()["csrf"]
            cookies = c.cookies
        for n, day in enumerate(days):
            r = httpx.post(
                base + "/unggah",
                cookies=cookies,
                headers={"accept": "application/json", "connection": "close"},
                data={"csrf": token},
                files=[("berkas", (f"tps{n + 1}.zip", day.bundle))],
                timeout=60,
            )
            assert r.status_code == 200 and r.json()["outcomes"][0]["state"] == "accepted", r.text
        for _ in range(10):
            r = httpx.get(base + "/index.json", cookies=cookies, headers={"connection": "close"})
            assert r.json()["counts"]["verified"] == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
