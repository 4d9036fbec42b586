"""The recap past one machine: PostgreSQL as the system of record, verification workers anywhere.

A kabupaten whose evening outgrows one laptop runs ``booth recap serve
--database postgresql://...`` and ``booth recap worker`` on other machines.
These tests run a real PostgreSQL (``scripts/start-postgres``, or the server
named by ``BOOTH_TEST_DATABASE``), a fresh database per test, real worker
processes, and check what the committee would: the same evening gives the
same totals, receipts and exports as the embedded recap, and a worker killed
in the middle of a job loses nothing and counts nothing twice.

Without PostgreSQL installed (and no ``BOOTH_TEST_DATABASE``) they are
skipped, saying so.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from booth.recap.receipts import check_receipt
from booth.recap.start import open_recap
from loopback import free_port
from recap_days import counted_day, registry_bytes, scratch, tps_package
from recap_evening import ingest_evening, small_evening

# The parts of the core's tests that take a store run here again against PostgreSQL: pytest
# collects these functions in this module, where `recap` (below) is a PostgreSQL recap.
from test_recap_core import (  # noqa: F401  (fixtures and tests collected again here)
    evening,
    tampered,
    test_a_qr_photo_counts_provisionally_until_the_bundle_verifies_it,
    test_a_statement_signed_by_another_key_or_altered_is_refused,
    test_every_refusal_has_its_reason_and_changes_no_total,
    test_hostile_zips_are_refused_before_reading,
    test_receipts_verify_with_the_checkpoint_code_and_fail_when_touched,
    test_the_kabupaten_totals_are_the_sum_of_the_booths_tallies,
    test_the_public_view_has_counts_and_roots_only,
    test_the_registry_refuses_bad_entries_and_a_device_registered_elsewhere,
    test_the_same_bundle_twice_is_one_submission_with_the_same_receipt,
    test_two_signed_results_for_one_tps_are_a_conflict_never_summed,
)

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[1]
START_POSTGRES = ROOT / "scripts" / "start-postgres"
EVENING_CLOCK = dt.datetime(2025, 11, 16, 9, 45, tzinfo=dt.UTC)  # 16:45 WIB


def clock() -> dt.datetime:
    return EVENING_CLOCK


def postgres_installed() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or shutil.which("initdb") is not None


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server's URL: BOOTH_TEST_DATABASE, or the cluster of scripts/start-postgres (started
    here when it is not running, and stopped again at the end)."""
    url = os.environ.get("BOOTH_TEST_DATABASE")
    started = False
    if not url:
        if not postgres_installed():
            pytest.skip(
                "PostgreSQL is not installed (apt-get install postgresql, or scripts/setup --test), "
                "and BOOTH_TEST_DATABASE names no server"
            )
        was_running = subprocess.run([START_POSTGRES, "--status"], capture_output=True).returncode == 0
        done = subprocess.run([START_POSTGRES], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        url = done.stdout.strip()
        started = not was_running
    yield url
    if started:
        subprocess.run([START_POSTGRES, "--stop"], capture_output=True, timeout=60)


def with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path="/" + name).geturl()


@pytest.fixture()
def database(pg_server):
    """A fresh database for one test (dropped after it, with whatever connections are left)."""
    name = "booth_t_" + secrets.token_hex(6)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield with_database(pg_server, name)
    for _attempt in range(50):
        try:
            with psycopg.connect(pg_server, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            break
        except psycopg.errors.InsufficientPrivilege:  # autovacuum at work in it: a moment later
            time.sleep(0.1)


@pytest.fixture()
def recap(evening, database, tmp_path):  # noqa: F811  (the core tests' `recap`, on PostgreSQL)
    r = open_recap(
        tmp_path / "recap",
        database=database,
        workers=0,
        clock=lambda: dt.datetime(2025, 11, 16, 7, 30, tzinfo=dt.UTC),
    )
    r.import_registry(evening["registry"], by="ketua")
    yield r
    r.close()


def booth(*argv, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "booth", "recap", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(env),
        cwd=ROOT,
    )


def _env(extra: dict | None = None) -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(extra or {}))


class Worker:
    """A real ``booth recap worker`` process (as on another machine), its log in a file."""

    def __init__(self, database: str, data_dir: Path, log: Path, env: dict | None = None) -> None:
        self.log = log
        with open(log, "w") as err:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "booth", "recap", "worker", "--database", database, "--data", str(data_dir)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=_env(env),
                cwd=ROOT,
            )
        self.pid = self.proc.pid

    def wait_running(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while "verification worker running" not in self.log.read_text():
            assert self.proc.poll() is None, f"the worker stopped: {self.log.read_text()}"
            assert time.monotonic() < deadline, f"the worker did not start: {self.log.read_text()}"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture()
def workers():
    started: list[Worker] = []

    def start(database: str, data_dir: Path, env: dict | None = None) -> Worker:
        w = Worker(database, data_dir, data_dir.parent / f"worker-{len(started) + 1}.log", env)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def machine(root: Path, name: str, key_from: Path) -> Path:
    """Another machine's data directory: only a copy of the recap's key."""
    folder = root / name
    folder.mkdir(mode=0o700)
    shutil.copy2(key_from / "recap.key", folder / "recap.key")
    return folder


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def comparable_totals(totals: dict, entries: list[bytes]) -> dict:
    """``booth recap totals --json`` without what depends on when and in which order the work ran:
    generation time, the log's checkpoint, leaf numbers (each receipt's leaf replaced by its entry)."""
    out = json.loads(json.dumps(totals))
    del out["generated_at"], out["checkpoint"]
    for p in out["places"]:
        index = p.pop("receipt_index")
        p["receipt_entry"] = None if index is None else entries[index].decode()
    return out


# ---------------------------------------------------------- the evening twice
@pytest.mark.slow
def test_sqlite_and_postgresql_with_two_workers_count_the_same_evening(database, workers, tmp_path):
    """The 8-place demo evening (a conflict, a tampered bundle, another election, a QR-only place, a
    missing place, a foreign device, a duplicate) once on the laptop, once on PostgreSQL with two
    workers on two machines: the same totals, receipts, log entries and NIST exports."""
    ev = small_evening()
    lite_dir, pg_dir = tmp_path / "laptop", tmp_path / "server"
    lite = open_recap(lite_dir, workers=0, clock=clock)
    lite_outcomes = ingest_evening(lite, ev)
    lite.close()
    pg_dir.mkdir(mode=0o700)
    shutil.copy2(lite_dir / "recap.key", pg_dir / "recap.key")  # one recap key: the same signatures
    pause = tmp_path / "jobs"
    pause.mkdir()
    env = {"BOOTH_RECAP_TEST_PAUSE": "0.2", "BOOTH_RECAP_TEST_PAUSE_DIR": str(pause)}
    web = open_recap(pg_dir, database=database, queue="procrastinate", clock=clock)
    crew = [workers(database, machine(tmp_path, name, pg_dir), env) for name in ("worker-a", "worker-b")]
    for w in crew:
        w.wait_running()
    pg_outcomes = ingest_evening(web, ev)
    web.close()
    assert [getattr(o, "accepted", None) for o in pg_outcomes] == [getattr(o, "accepted", None) for o in lite_outcomes]
    assert {p.name.split(".")[1] for p in pause.iterdir()} == {str(w.pid) for w in crew}, (
        "both workers verified part of the evening"
    )

    lite_totals = booth("totals", "--data", lite_dir, "--json")
    pg_totals = booth("totals", "--data", pg_dir, "--database", database, "--json")
    assert lite_totals.returncode == 0 and pg_totals.returncode == 0, pg_totals.stderr
    lite, web = open_recap(lite_dir, workers=0), open_recap(pg_dir, database=database, workers=0)
    try:
        lite_entries, pg_entries = lite.store.leaf_entries(), web.store.leaf_entries()
        assert sorted(lite_entries) == sorted(pg_entries), "the same receipts in both logs (order aside)"
        assert len(pg_entries) == sum(1 for s in web.submissions() if s.status == "accepted")
        a = comparable_totals(json.loads(lite_totals.stdout), lite_entries)
        b = comparable_totals(json.loads(pg_totals.stdout), pg_entries)
        assert a == b
        states = {p["state"] for p in b["places"]}
        assert {"verified", "provisional", "conflict", "missing"} <= states, states
        kab = b["areas"][0]
        assert kab["valid"] == sum(p["valid"] for p in b["places"] if p["state"] in ("verified", "provisional"))
        for place in web.places(receipts=True):
            if place.receipt is not None:
                fields = check_receipt(place.receipt.to_json(), web.verifier_key())
                assert fields["election"] == place.election_id
        assert lite.verifier_key() == web.verifier_key()
    finally:
        lite.close()
        web.close()

    for name, args in (("lite", ("--data", lite_dir)), ("pg", ("--data", pg_dir, "--database", database))):
        done = booth("export", *args, tmp_path / f"export-{name}")
        assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "export-lite").iterdir())
    assert files == ["cvr-nist.json", "events-nist-eel.json", "results-nist-err.json"]
    for f in files:
        assert (tmp_path / "export-lite" / f).read_bytes() == (tmp_path / "export-pg" / f).read_bytes(), f


# ------------------------------------------------------- a worker that dies
@pytest.fixture(scope="module")
def two_places():
    root = scratch()
    pk1 = tps_package(root, pekon="Sukamaju", tps=1, seed=21)
    pk2 = tps_package(root, pekon="Sukamaju", tps=2, seed=22)
    return [counted_day(root / "a", pk1, ["1", "2", "2", "3", "1"]), counted_day(root / "b", pk2, ["3", "3", "1"])]


@pytest.mark.parametrize("moment", ["finish", "log"])
def test_a_worker_killed_mid_verification_loses_nothing_and_counts_once(
    moment, database, workers, two_places, tmp_path
):
    """Killed after verifying and before recording ("finish"), or inside the recording transaction with
    the receipt's leaf being written and the rows locked ("log")."""
    server = tmp_path / "server"
    web = open_recap(server, database=database, queue="procrastinate", clock=clock)
    web.import_registry(registry_bytes(two_places), by="ketua")
    pause = tmp_path / "jobs"
    pause.mkdir()
    # each job pauses 2 s between verifying and recording (the documented test hook); a worker silent
    # for 2 s is taken for dead
    env = {
        "BOOTH_RECAP_TEST_PAUSE": "2",
        "BOOTH_RECAP_TEST_PAUSE_DIR": str(pause),
        "BOOTH_RECAP_TEST_PAUSE_AT": moment,
        "BOOTH_RECAP_WORKER_HEARTBEAT": "0.5",
        "BOOTH_RECAP_WORKER_STALLED_AFTER": "2",
    }
    crew = {w.pid: w for w in (workers(database, machine(tmp_path, n, server), env) for n in ("a", "b"))}
    for w in crew.values():
        w.wait_running()
    first = web.submit_bundle(two_places[0].bundle, filename="tps1.zip", wait=False)
    sid = first.submission.id
    assert first.submission.status == "queued"
    [marker] = wait_for(lambda: list(pause.glob(f"{sid}.*")), 60, "a worker to be in the middle of the job")
    victim = crew[int(marker.name.split(".")[1])]
    os.kill(victim.pid, signal.SIGKILL)
    victim.proc.wait()
    assert web.submission(sid).status == "queued", "the dead worker recorded nothing"
    assert web.store.leaf_entries() == []
    # the other TPS arrives while one worker is dead
    second = web.submit_bundle(two_places[1].bundle, filename="tps2.zip", wait=False)
    assert web.queue.wait([sid, second.submission.id], 90), "the stalled job was retried and finished"
    survivor = next(pid for pid in crew if pid != victim.pid)
    assert (pause / f"{sid}.{survivor}").exists(), "the surviving worker ran the job again"
    assert "of a stalled worker queued again" in crew[survivor].log.read_text()

    sub = web.submission(sid)
    assert sub.status == "accepted" and sub.receipt_index is not None
    entries = web.store.leaf_entries()
    assert len(entries) == 2
    assert sum(f"submission {sub.sha256}".encode() in e for e in entries) == 1, "one receipt, never two"
    assert check_receipt(web.receipt(sid).to_json(), web.verifier_key())["index"] == sub.receipt_index
    places = {p.registration.tps: p for p in web.places()}
    assert places[1].state == places[2].state == "verified"
    [kab] = web.totals().areas
    assert kab.valid == sum(sum(d.tally.values()) for d in two_places) == 8
    with psycopg.connect(database) as conn:
        left = conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')").fetchone()
    assert left[0] == 0, "no job left behind"
    web.close()


def test_a_bundle_received_while_no_worker_runs_is_kept_and_verified_when_one_starts(
    database, workers, two_places, tmp_path
):
    server = tmp_path / "server"
    web = open_recap(server, database=database, queue="procrastinate", clock=clock)
    web.queue.no_worker_grace = 1.0
    web.import_registry(registry_bytes(two_places[:1]), by="ketua")
    started = time.monotonic()
    early = web.submit_bundle(two_places[0].bundle, filename="tps1.zip")  # waits, but not for ever
    assert early.submission.status == "queued" and early.receipt is None
    assert time.monotonic() - started < 30, "the upload does not hang without workers"
    started = time.monotonic()
    assert not web.queue.wait([early.submission.id], 30), "the next upload is told at once"
    assert time.monotonic() - started < 5
    workers(database, machine(tmp_path, "worker", server)).wait_running()
    assert web.queue.wait([early.submission.id], 60)
    assert web.submission(early.submission.id).status == "accepted"
    # a device registered late (replaced mid-day) is known to the worker already running
    web.import_registry(registry_bytes(two_places[1:]), by="ketua")
    late = web.submit_bundle(two_places[1].bundle, filename="tps2.zip")
    assert late.accepted, late.submission.reason_en
    # and a registration removed is gone for every machine's store
    from booth.recap.pg_store import PgStore

    other = PgStore(database)
    assert len(other.registrations()) == 2
    assert web.unregister_device(web.submission(early.submission.id).fingerprint, by="ketua")
    assert [r.tps for r in other.registrations()] == [2]
    other.close()
    web.close()


# ---------------------------------------------------- races between machines
def test_two_machines_finishing_one_submission_record_one_outcome_and_one_receipt(database, two_places, tmp_path):
    server = tmp_path / "server"
    a = open_recap(server, database=database, queue="procrastinate", clock=clock)  # no workers: stays queued
    b = open_recap(machine(tmp_path, "other", server), database=database, workers=0, clock=clock)
    a.import_registry(registry_bytes(two_places), by="ketua")
    day = two_places[0]
    # the same bundle from two web processes at the same moment: one submission
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def upload(i: int, r) -> None:
        barrier.wait()
        outcomes[i] = r.submit_bundle(day.bundle, filename="tps1.zip", wait=False)

    threads = [threading.Thread(target=upload, args=(i, r)) for i, r in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes[0].submission.id == outcomes[1].submission.id
    assert sorted(o.duplicate for o in outcomes) == [False, True]
    assert len(a.submissions()) == 1
    # two workers verifying it at once (a retried job whose first worker was only slow), both
    # recording their outcome at the same moment
    sid = outcomes[0].submission.id
    results: list = [None, None]
    for r in (a, b):

        def together(sub, *args, _finish=r.store.finish_submission, **kwargs):
            barrier.wait(timeout=60)
            return _finish(sub, *args, **kwargs)

        r.store.finish_submission = together

    def work(i: int, r) -> None:
        results[i] = r.process(sid)

    threads = [threading.Thread(target=work, args=(i, r)) for i, r in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0].status == results[1].status == "accepted"
    assert results[0].receipt_index == results[1].receipt_index == 0
    assert len(a.store.leaf_entries()) == 1
    a.close()
    b.close()


# ------------------------------------------------------ the command line
def test_the_committees_commands_work_the_same_on_postgresql(database, two_places, tmp_path):
    data, stick = tmp_path / "rekap", tmp_path / "stick"
    stick.mkdir()
    (stick / "registry.json").write_bytes(registry_bytes(two_places))
    for i, day in enumerate(two_places, 1):
        (stick / f"tps{i}-hasil.zip").write_bytes(day.bundle)
    (stick / "tps1-salinan.zip").write_bytes(two_places[0].bundle)
    (stick / "rusak.zip").write_bytes(tampered(two_places[1].bundle))
    db = ("--data", data, "--database", database)
    done = booth("device", "import", *db, stick / "registry.json")
    assert done.returncode == 0, done.stderr
    done = booth("ingest", *db, "--workers", "1", *sorted(stick.glob("*.zip")))
    assert done.returncode == 1, "the damaged bundle is refused"
    lines = done.stdout.splitlines()
    assert any("DITOLAK / REFUSED" in line and "rusak.zip" in line for line in lines)
    assert any("sudah ada / already received" in line and "tps1-salinan.zip" in line for line in lines)
    assert sum("diterima / accepted" in line for line in lines) == 2
    totals = json.loads(booth("totals", *db, "--json").stdout)
    assert [p["state"] for p in totals["places"]] == ["verified", "verified"]
    assert totals["areas"][0]["valid"] == 8
    election = two_places[0].registration["election_id"]
    receipt = booth("receipt", *db, election)
    assert receipt.returncode == 0, receipt.stderr
    (tmp_path / "tanda-terima.json").write_text(receipt.stdout)
    check = booth("receipt-check", tmp_path / "tanda-terima.json", "--key", data / "recap.pub")
    assert check.returncode == 0 and "SAH / VALID" in check.stdout
    assert not (data / "recap.sqlite").exists(), "nothing kept beside PostgreSQL"


# ------------------------------------------------------ stateless web processes
class Server:
    """A real ``booth recap serve --database`` process on loopback."""

    def __init__(self, data_dir: Path, database: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with open(log, "w") as err:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "booth",
                    "recap",
                    "serve",
                    "--data",
                    str(data_dir),
                    "--database",
                    database,
                    "--listen",
                    f"127.0.0.1:{self.port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=_env(),
                cwd=ROOT,
            )
        self.log = log

    def wait_ready(self, httpx, timeout: float = 60) -> None:
        def up():
            assert self.proc.poll() is None, self.log.read_text()
            try:
                return httpx.get(self.url + "/panitia/masuk", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, timeout, f"the recap server on {self.url}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.mark.slow
def test_two_web_processes_share_one_evening_through_postgresql(database, workers, two_places, tmp_path):
    """An upload on one web server, its result on the other's public page; either can stop."""
    import re

    httpx = pytest.importorskip("httpx")
    site_a = tmp_path / "kecamatan"
    db = ("--database", database)
    assert (
        booth(
            "device", "import", "--data", site_a, *db, _write(tmp_path / "registry.json", registry_bytes(two_places))
        ).returncode
        == 0
    )
    added = subprocess.run(
        [sys.executable, "-m", "booth", "recap", "user", "add", "--data", str(site_a), "ani", "--password-stdin"],
        input="kopi tubruk pagi\n",
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    site_b = tmp_path / "kabupaten"
    shutil.copytree(site_a, site_b)  # another machine: the same key and accounts, no data of its own
    for name in ("worker-a", "worker-b"):
        workers(database, machine(tmp_path, name, site_a)).wait_running()
    servers = [Server(site, database, tmp_path / f"{site.name}.log") for site in (site_a, site_b)]
    try:
        for server in servers:
            server.wait_ready(httpx)

        def upload(server: Server, files: list[tuple[str, bytes]]) -> list[dict]:
            with httpx.Client(base_url=server.url, timeout=120) as client:
                page = client.get("/panitia/masuk").text
                token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
                client.post(
                    "/panitia/masuk",
                    data={"csrf": token, "username": "ani", "password": "kopi tubruk pagi", "next": "/panitia"},
                )
                form = client.get("/unggah.json").json()
                r = client.post(
                    "/unggah",
                    headers={"accept": "application/json", "x-csrf-token": form["csrf"]},
                    files=[("berkas", f) for f in files],
                )
                assert r.status_code == 200, r.text
                return r.json()["outcomes"]

        first = upload(servers[0], [("tps1.zip", two_places[0].bundle), ("salinan.zip", two_places[0].bundle)])
        assert [(o["state"], o["duplicate"]) for o in first] == [("accepted", False), ("accepted", True)]
        servers[0].stop()  # the kecamatan's server goes away; the kabupaten's carries on
        second = upload(servers[1], [("tps2.zip", two_places[1].bundle)])
        assert [o["state"] for o in second] == ["accepted"]
        for day in two_places:
            view = httpx.get(f"{servers[1].url}/publik/pemilihan/{day.registration['election_id']}.json").json()
            assert view["state"] == "verified" and view["tally"] == day.tally
            assert check_receipt(view["receipt"], view["recap_key"])["election"] == day.registration["election_id"]
    finally:
        for server in servers:
            server.stop()
    assert not (site_a / "recap.sqlite").exists() and not (site_b / "recap.sqlite").exists()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ------------------------------------------------------ operators' mistakes
def test_a_worker_without_the_recaps_key_refuses_to_start(database, two_places, tmp_path):
    server = tmp_path / "server"
    web = open_recap(server, database=database, workers=0, clock=clock)
    web.import_registry(registry_bytes(two_places), by="ketua")
    assert web.submit_bundle(two_places[0].bundle).accepted  # the log is signed by the server's key
    web.close()
    empty = tmp_path / "empty"
    empty.mkdir()
    done = booth("worker", "--database", database, "--data", empty, timeout=60)
    assert done.returncode == 2 and "recap.key" in done.stderr
    assert not (empty / "recap.key").exists(), "no stray key made"
    stranger = tmp_path / "stranger"
    open_recap(stranger, workers=0).close()  # a recap of its own: another key
    done = booth("worker", "--database", database, "--data", stranger, timeout=60)
    # the server claimed the database for its key when it opened it: a worker with another key is refused
    assert done.returncode == 2 and "not this recap's key" in done.stderr, done.stderr


def test_a_database_that_cannot_be_reached_is_said_so_without_its_password(tmp_path):
    with tempfile.TemporaryDirectory() as nowhere:
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        url = f"postgresql://booth:rahasia@127.0.0.1:{port}/rekap"
        done = booth("totals", "--data", nowhere, "--database", url, "--json", timeout=60)
        assert done.returncode == 2
        assert "PostgreSQL" in done.stderr and "rahasia" not in done.stderr and "***" in done.stderr
        done = booth("worker", "--database", url, "--data", tmp_path, timeout=60)
        assert done.returncode == 2 and "rahasia" not in done.stderr


def test_a_database_holding_another_version_of_the_recap_is_refused_untouched(database, tmp_path):
    open_recap(tmp_path / "rekap", database=database, workers=0).close()
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("UPDATE booth_recap.meta SET value = '99' WHERE key = 'schema'")
    done = booth("totals", "--data", tmp_path / "rekap", "--database", database, "--json", timeout=60)
    assert done.returncode == 2 and "version 99" in done.stderr and "versi 99" in done.stderr
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT value FROM booth_recap.meta WHERE key = 'schema'").fetchone()[0] == "99"


# ------------------------------------------------------- the CI's cluster
@pytest.mark.skipif(not postgres_installed(), reason="PostgreSQL is not installed (apt-get install postgresql)")
def test_start_postgres_makes_a_loopback_cluster_once_and_gives_the_same_url_again():
    folder = Path(tempfile.gettempdir()) / f"booth-pg-test-{secrets.token_hex(4)}"
    env = dict(os.environ, BOOTH_PG_DIR=str(folder))
    try:
        first = subprocess.run([START_POSTGRES], capture_output=True, text=True, env=env, timeout=120)
        assert first.returncode == 0, first.stderr
        url = first.stdout.strip()
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1" and parts.path == "/booth_test" and parts.username == "booth"
        again = subprocess.run([START_POSTGRES], capture_output=True, text=True, env=env, timeout=60)
        assert again.returncode == 0 and again.stdout.strip() == url and "already running" in again.stderr
        with psycopg.connect(url) as conn:
            listen = conn.execute("SHOW listen_addresses").fetchone()[0]
            assert listen == "127.0.0.1"
            assert conn.execute("SELECT current_user").fetchone()[0] == "booth"
        status = subprocess.run([START_POSTGRES, "--status"], capture_output=True, text=True, env=env)
        assert status.returncode == 0 and status.stdout.strip() == url
    finally:
        subprocess.run([START_POSTGRES, "--stop"], capture_output=True, env=env, timeout=60)
        stopped = subprocess.run([START_POSTGRES, "--status"], capture_output=True, env=env)
        shutil.rmtree(folder, ignore_errors=True)
        Path(f"{folder}.lock").unlink(missing_ok=True)
        Path(f"{folder}.initdb.log").unlink(missing_ok=True)
    assert stopped.returncode == 1
