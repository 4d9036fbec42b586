"""The 40-polling-place evening arriving the three ways it does at a kabupaten office, at once.

A real `booth recap serve --watch FOLDER` process on loopback; the kecamatan offices' laptops
upload some bundles and the photos of the printed reports on /unggah; USB sticks are emptied into
the watched folder; the committee bulk-imports the rest with `booth recap ingest`. Then what the
committee checks: the kabupaten totals equal the sum of the booths' own signed tallies, each fault
is refused or deduplicated with its reason, the conflict is shown and not summed, and every place's
receipt verifies with the recap's key (the same checkpoint code as a booth's).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from booth.recap.intake import REASONS
from booth.recap.web.users import UserBook
from loopback import free_port

recap_evening = pytest.importorskip("recap_evening")

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "teh manis sore"
pytestmark = pytest.mark.slow


def booth(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'hw-sim'}"}
    return subprocess.run(
        [sys.executable, "-m", "booth", "recap", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def evening():
    return recap_evening.small_evening(40)


@pytest.fixture(scope="module")
def office(evening, tmp_path_factory):
    """The evening received three ways into one recap; yields what each way answered."""
    data = tmp_path_factory.mktemp("rekap")
    stick = tmp_path_factory.mktemp("flashdisk")
    assert booth("device", "import", "--data", data, evening.registry).returncode == 0
    UserBook(data).add("ani", PASSWORD)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'hw-sim'}"}
    server = subprocess.Popen(
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
            "--watch",
            str(stick),
            "--workers",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/publik/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        bundles = sorted((evening.out_dir / "bundles").glob("*.zip"))
        photos = sorted((evening.out_dir / "photos").glob("*.jpg"))
        by_web, by_stick, by_cli = bundles[0::3], bundles[1::3], bundles[2::3]
        with httpx.Client(base_url=base, timeout=600, follow_redirects=True) as web:
            token = csrf_of(web.get("/panitia/masuk").text)
            token = csrf_of(
                web.post("/panitia/masuk", data={"csrf": token, "username": "ani", "password": PASSWORD}).text
            )
            answer = web.post(
                "/unggah",
                data={"csrf": token},
                headers={"accept": "application/json"},
                files=[("berkas", (p.name, p.read_bytes(), "application/octet-stream")) for p in by_web + photos],
            )
            assert answer.status_code == 200, answer.text[:500]
            web_outcomes = answer.json()["outcomes"]
            # a USB stick emptied into the watched folder (copied under a temporary name, then renamed)
            for path in by_stick:
                shutil.copy(path, stick / (path.name + ".part"))
                os.rename(stick / (path.name + ".part"), stick / path.name)
            ingest = booth("ingest", "--data", data, *by_cli)
            # the watcher takes what the stick brought: wait until each of its bundles is answered
            deadline = time.monotonic() + 600
            while not _all_answered(data, by_stick) and time.monotonic() < deadline:
                time.sleep(1)
            replay = web.post(
                "/unggah",
                data={"csrf": token},
                headers={"accept": "application/json"},
                files=[("berkas", (by_web[0].name, by_web[0].read_bytes(), "application/zip"))],
            )
            pages = {
                "conflicts": web.get("/konflik").text,
                "refused": web.get("/ditolak").text,
                "public": httpx.get(base + "/publik/").text,
            }
        yield {
            "data": data,
            "web": web_outcomes,
            "ingest": ingest,
            "replay": replay.json()["outcomes"],
            "pages": pages,
            "paths": {"web": by_web, "stick": by_stick, "cli": by_cli},
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _all_answered(data: Path, files: list[Path]) -> bool:
    """Every file's bytes are a submission in the recap's store, verified or refused (not queued)."""
    import hashlib
    import sqlite3

    with sqlite3.connect(data / "recap.sqlite") as db:
        done = {row[0] for row in db.execute("SELECT sha256 FROM submissions WHERE status != 'queued'")}
    return all(hashlib.sha256(p.read_bytes()).hexdigest() in done for p in files)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def totals(office) -> dict:
    run = booth("totals", "--data", office["data"], "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_kabupaten_totals_are_the_sum_of_the_booths_signed_tallies_whichever_way_they_came(office, evening):
    t = totals(office)
    states = {p["election_id"]: p["state"] for p in t["places"]}
    for place in evening.places:
        assert states[place.election_id] == place.state, place.name
    [kab] = [a for a in t["areas"] if a["level"] == "kabupaten"]
    assert kab["valid"] == evening.expected_valid()
    assert kab["voters"] == evening.expected_voted()


def test_each_fault_is_refused_with_its_reason_and_a_replay_changes_nothing(office, evening):
    all_lines = office["ingest"].stdout.splitlines()
    web = {o["filename"]: o for o in office["web"]}
    refused_page = office["pages"]["refused"]
    for refusal in evening.refusals:
        name = Path(refusal.file).name
        id_text, en_text = REASONS[refusal.reason]
        if name in web:
            assert web[name]["state"] == "refused" and web[name]["reason"] == refusal.reason, web[name]
        elif any(name in line for line in all_lines):
            line = next(line for line in all_lines if name in line)
            assert line.startswith("DITOLAK") and id_text in line and en_text in line, line
        assert name in refused_page and id_text in refused_page, f"{name} is not on the refused page"
    refused_by_cli = {Path(r.file).name for r in evening.refusals} & {p.name for p in office["paths"]["cli"]}
    assert office["ingest"].returncode == (1 if refused_by_cli else 0), office["ingest"].stdout
    [replayed] = office["replay"]
    assert replayed["duplicate"] is True


def test_the_conflict_is_shown_and_not_summed(office, evening):
    t = totals(office)
    [conflict] = [p for p in t["places"] if p["state"] == "conflict"]
    assert conflict["election_id"] == evening.conflict
    assert conflict["results"] == 2
    place = evening.place(evening.conflict)
    assert f"TPS {place.tps:02d}" in office["pages"]["conflicts"] or place.pekon in office["pages"]["conflicts"]


def test_every_counted_places_receipt_verifies_with_the_recaps_key(office, evening, tmp_path):
    pub = office["data"] / "recap.pub"
    for place in evening.counted_places()[:6]:
        receipt = booth("receipt", "--data", office["data"], place.election_id)
        assert receipt.returncode == 0, receipt.stderr
        (tmp_path / "r.json").write_text(receipt.stdout)
        check = booth("receipt-check", tmp_path / "r.json", "--key", pub)
        assert check.returncode == 0 and "SAH / VALID" in check.stdout, check.stdout + check.stderr
