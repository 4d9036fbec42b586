"""The committee's laptop at the kecamatan office: ``booth recap`` commands as a person types them.

Every command runs as a real process (``python -m booth recap ...``) on real bundles.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recap_days import counted_day, registry_bytes, scratch, tps_package
from test_recap_core import tampered

ROOT = Path(__file__).resolve().parents[1]


def booth(*argv, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "booth", "recap", *map(str, argv)],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def village():
    root = scratch()
    pk1 = tps_package(root, pekon="Sukamaju", tps=1, seed=11)
    pk2 = tps_package(root, pekon="Sukamaju", tps=2, seed=12)
    pk3 = tps_package(root, pekon="Waluyojati", tps=1, kecamatan="Gadingrejo", seed=13, allow_blank=True)
    days = [
        counted_day(root / "a", pk1, ["1", "1", "2"]),
        counted_day(root / "b", pk2, ["3", "2", "2", "2"]),
        counted_day(root / "c", pk3, ["blank", "1", "3"]),
    ]
    files = root / "stick"
    files.mkdir()
    for i, day in enumerate(days):
        (files / f"tps{i + 1}-hasil.zip").write_bytes(day.bundle)
    (files / "registry.json").write_bytes(registry_bytes(days))
    (files / "rusak.zip").write_bytes(tampered(days[0].bundle))
    (files / "qr-tps3.txt").write_text(days[2].statement)
    return {"root": root, "days": days, "files": files, "packages": (pk1, pk2, pk3)}


def test_the_committee_registers_devices_ingests_a_stick_and_reads_the_totals(village, tmp_path):
    data, files = tmp_path / "rekap", village["files"]
    r = booth("device", "import", "--data", data, files / "registry.json", "--by", "Sekretaris")
    assert r.returncode == 0, r.stderr
    assert "3" in r.stdout
    r = booth(
        "ingest",
        "--data",
        data,
        files / "tps1-hasil.zip",
        files / "tps2-hasil.zip",
        files / "rusak.zip",
        files / "qr-tps3.txt",
        "--workers",
        "2",
    )
    assert r.returncode == 1, "one file was refused"
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 4
    refused = [line for line in lines if line.startswith("DITOLAK")]
    assert len(refused) == 1 and "rusak.zip" in refused[0] and "signature" in refused[0]
    assert sum(line.startswith("diterima") for line in lines) == 3
    # the same files again, without the broken one: all already there, exit 0
    r = booth("ingest", "--data", data, files / "tps1-hasil.zip", files / "qr-tps3.txt")
    assert r.returncode == 0 and r.stdout.count("sudah ada / already received") == 2
    r = booth("totals", "--data", data, "--json")
    assert r.returncode == 0, r.stderr
    totals = json.loads(r.stdout)
    states = {(p["pekon"], p["tps"]): p["state"] for p in totals["places"]}
    assert states == {("Sukamaju", 1): "verified", ("Sukamaju", 2): "verified", ("Waluyojati", 1): "provisional"}
    [kab] = totals["areas"]
    assert kab["valid"] == 3 + 4 + 3 and kab["counted"] == 3
    sukamaju = kab["children"][1]["children"][0]
    assert sukamaju["name"] == "Sukamaju" and sukamaju["tally"] == {"1": 2, "2": 4, "3": 1}
    r = booth("totals", "--data", data)
    assert r.returncode == 0 and "Sukamaju" in r.stdout and "Terverifikasi" in r.stdout


def test_a_polling_place_gets_its_receipt_and_anyone_can_check_it(village, tmp_path):
    data, days = tmp_path / "rekap", village["days"]
    booth("device", "import", "--data", data, village["files"] / "registry.json")
    booth("ingest", "--data", data, village["files"] / "tps2-hasil.zip")
    r = booth("receipt", "--data", data, days[1].registration["election_id"][:12])
    assert r.returncode == 0, r.stderr
    receipt = tmp_path / "tanda-terima.json"
    receipt.write_text(r.stdout)
    r = booth("receipt-check", receipt, "--key", data / "recap.pub")
    assert r.returncode == 0 and r.stdout.startswith("SAH / VALID"), r.stdout
    assert "2 Sukamaju" in r.stdout
    doc = json.loads(receipt.read_text())
    doc["note"] = doc["note"].replace("total 4", "total 40")
    receipt.write_text(json.dumps(doc))
    r = booth("receipt-check", receipt, "--key", data / "recap.pub")
    assert r.returncode == 1 and "TIDAK SAH" in r.stdout
    r = booth("receipt", "--data", data, days[0].registration["election_id"][:12])
    assert r.returncode == 1, "TPS 1 sent nothing yet"


def test_a_device_is_registered_from_its_package_and_state_directory_then_removed(village, tmp_path):
    data, day = tmp_path / "rekap", village["days"][2]
    r = booth("device", "add", "--data", data, "--package", village["packages"][2], "--key", day.state_dir)
    assert r.returncode == 0, r.stderr
    assert "TPS 01 Waluyojati" in r.stdout
    r = booth("device", "list", "--data", data, "--json")
    assert json.loads(r.stdout)["devices"] == [day.registration]
    r = booth("device", "add", "--data", data, "--package", village["root"], "--key", day.state_dir)
    assert r.returncode == 1 and "package" in r.stderr
    r = booth("device", "remove", "--data", data, day.registration["verifier_key"].split("+")[0][6:])
    assert r.returncode == 0
    assert booth("device", "list", "--data", data).stdout == ""


def test_a_bundle_from_an_unregistered_device_is_refused_with_its_reason(village, tmp_path):
    data = tmp_path / "rekap"
    r = booth("ingest", "--data", data, village["files"] / "tps1-hasil.zip")
    assert r.returncode == 1
    assert "tidak terdaftar" in r.stdout and "not registered" in r.stdout


def test_files_that_are_not_there_or_not_booth_files_are_refused_one_by_one(village, tmp_path):
    data = tmp_path / "rekap"
    booth("device", "import", "--data", data, village["files"] / "registry.json")
    odd = tmp_path / "catatan.docx"
    odd.write_bytes(b"PK\x03\x04 a word file")
    r = booth("ingest", "--data", data, tmp_path / "hilang.zip", odd, village["files"] / "tps1-hasil.zip")
    assert r.returncode == 1
    out = r.stdout
    assert "hilang.zip" in out and "cannot be read" in out
    assert "catatan.docx" in out and "unknown kind of file" in out
    assert "diterima / accepted" in out


def test_a_data_directory_that_cannot_be_used_exits_2(tmp_path, village):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    r = booth("ingest", "--data", blocker / "rekap", village["files"] / "tps1-hasil.zip")
    assert r.returncode == 2 and "cannot be used" in r.stderr
    r = booth("totals", "--data", blocker / "rekap", "--json")
    assert r.returncode == 2


def test_files_dropped_into_the_watched_folder_are_ingested(village, tmp_path):
    data, stick = tmp_path / "rekap", tmp_path / "usb"
    stick.mkdir()
    booth("device", "import", "--data", data, village["files"] / "registry.json")
    shutil.copy(village["files"] / "tps2-hasil.zip", stick / "tps2.zip")
    shutil.copy(village["files"] / "rusak.zip", stick / "rusak.zip")
    (stick / "catatan.pdf").write_bytes(b"%PDF")  # not a kind the recap reads: left alone
    proc = subprocess.Popen(
        [sys.executable, "-m", "booth", "recap", "watch", "--data", str(data), str(stick), "--workers", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        deadline = time.monotonic() + 60
        lines: list[str] = []
        while time.monotonic() < deadline and len([x for x in lines if "tps2" in x or "rusak" in x]) < 2:
            line = proc.stdout.readline()
            if line:
                lines.append(line)
        assert any("diterima" in x and "tps2.zip" in x for x in lines), lines
        assert any("DITOLAK" in x and "rusak.zip" in x for x in lines), lines
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    r = booth("totals", "--data", data, "--json")
    states = {(p["pekon"], p["tps"]): p["state"] for p in json.loads(r.stdout)["places"]}
    assert states == {("Waluyojati", 1): "missing", ("Sukamaju", 1): "refused", ("Sukamaju", 2): "verified"}


def test_the_committee_sets_its_targets(tmp_path):
    data = tmp_path / "rekap"
    r = booth("targets", "--data", data)
    assert r.stdout.split() == ["17:00", "80%", "24:00", "100%"]
    r = booth("targets", "--data", data, "16:00=50", "23:00=100")
    assert r.returncode == 0 and r.stdout.split() == ["16:00", "50%", "23:00", "100%"]
    r = booth("targets", "--data", data, "26:00=50")
    assert r.returncode == 1 and "Target tidak sah" in r.stderr
    assert booth("targets", "--data", data).stdout.split() == ["16:00", "50%", "23:00", "100%"]
