"""After the day: the district counts the bundle, a witness checks the QR, the committee
opens a disputed photo and later destroys them all, and unlocks a locked companion."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from contextlib import redirect_stdout

import pytest

from booth.cli import main
from booth.demo_election import make_demo_package
from booth.election_package import load_package
from booth.errors import BoothError, LockedOut, WrongPin
from booth.ledger.clock import FakeClock
from booth.service import BoothService, Settings

JPEG = b"\xff\xd8\xff\xe0" + b"photo of voter" + bytes(100)


def run(*argv) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def after(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("after")
    pkg_dir, keys = make_demo_package(tmp / "pkg", voters=40)
    pkg = load_package(pkg_dir)
    opens = pkg.election.opens_at.astimezone(dt.UTC)
    clock = FakeClock(opens - dt.timedelta(hours=3))
    svc = BoothService.provision(tmp / "state", clock=clock, settings=Settings(pin_scrypt_n=2**10))
    svc.load_election(str(pkg_dir))
    svc.record_custody("received", companion_id="PT-02", place="Kecamatan")
    svc.record_custody("distributed", companion_id="PT-02", place="Mobil")
    pins = {"PT-01": "731953", "PT-02": "846219", "PT-03": "592748"}
    for c, pin in pins.items():
        svc.set_first_pin(c, pin)
    tok = svc.sign_in("PT-01", pins["PT-01"])
    svc.record_custody("handed_over", token=tok, place="Balai Pekon")
    svc.record_custody("installed", token=tok, place="TPS 01", self_test={"printer": "ok"})
    svc.zero_report_printed(tok)
    clock.set(opens)
    svc.open_polls(svc.sign_in("PT-01", pins["PT-01"]))
    choices = {"1": 0, "2": 0, "3": 0}
    for i, v in enumerate(pkg.voters[:12]):
        clock.advance(60)
        tok = svc.sign_in("PT-01", pins["PT-01"])
        svc.check_in(tok, v.ref)
        release = svc.release_ballot(tok, v.ref)["release"]
        choice = "123"[i % 3]
        svc.cast(release, choice)
        choices[choice] += 1
        svc.slip_printed(release)
        svc.slip_confirmed(release)  # "Struk sesuai"
        svc.store_photo(release, JPEG + bytes([i]))
    clock.set(pkg.election.closes_at.astimezone(dt.UTC))
    tok = svc.sign_in("PT-01", pins["PT-01"])
    svc.close_polls(tok)
    statement = svc.count(tok)["statement"]
    svc.results_printed(tok)
    svc.export(tok, str(tmp / "hasil.zip"))
    (tmp / "statement.txt").write_text(statement)
    (tmp / "device.pub").write_text((tmp / "state" / "device.pub").read_text())
    return {
        "tmp": tmp,
        "svc": svc,
        "pkg": pkg,
        "pkg_dir": pkg_dir,
        "keys": keys,
        "pins": pins,
        "choices": choices,
        "clock": clock,
        "first_voter": pkg.voters[0].ref,
    }


def test_the_district_counts_the_bundle_and_it_matches_the_signed_statement(after):
    code, out = run("tally", str(after["tmp"] / "hasil.zip"), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["tally"] == after["choices"] and result["results_statement_matches"] is True


def test_a_bundle_whose_statement_was_swapped_is_flagged(after, tmp_path):
    src = after["tmp"] / "hasil.zip"
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(forged, "w") as out:
        for name in z.namelist():
            data = z.read(name)
            if name == "extra/results.txt":
                data = data.replace(b"candidate 1 4", b"candidate 1 9")
            out.writestr(name, data)
    code, out = run("tally", str(forged))
    assert code == 1 and "TIDAK SESUAI" in out


def test_a_witness_checks_the_scanned_results_qr(after, tmp_path):
    code, out = run("results", "check", str(after["tmp"] / "statement.txt"), "--key", str(after["tmp"] / "device.pub"))
    assert code == 0 and "SAH / VALID" in out and "Nomor urut 1" in out
    tampered = tmp_path / "t.txt"
    tampered.write_text((after["tmp"] / "statement.txt").read_text().replace("candidate 2 4", "candidate 2 5"))
    code, out = run("results", "check", str(tampered), "--key", str(after["tmp"] / "device.pub"))
    assert code == 1 and "TIDAK SAH" in out


def test_the_custody_trail_exports_on_its_own(after):
    code, out = run("custody", str(after["tmp"] / "hasil.zip"), "--json")
    assert code == 0
    stages = [s["stage"] for s in json.loads(out)]
    assert stages[:6] == ["received", "distributed", "handed_over", "installed", "activated", "voting_opened"]


def test_a_locked_companion_is_unlocked_by_the_committees_reset_file(after, tmp_path):
    svc, pins = after["svc"], after["pins"]
    misses = 0
    while misses < 15:
        try:
            svc.sign_in("PT-03", "000000")
        except WrongPin:
            misses += 1
        except LockedOut as wait:
            assert not wait.value.details["locked"] if hasattr(wait, "value") else True
            after["clock"].advance(wait.details["wait_seconds"])  # the growing wait, then try again
    with pytest.raises(LockedOut) as locked:
        svc.sign_in("PT-03", pins["PT-03"])
    assert locked.value.details["locked"]
    reset = tmp_path / "reset.txt"
    keys = after["pkg_dir"].parent / "demo-committee-keys"
    code, _ = run(
        "election", "reset-pin", str(after["pkg_dir"]), "--key", str(keys), "--companion", "PT-03", "--out", str(reset)
    )
    assert code == 0
    assert svc.committee_reset(reset.read_text()) == {"companion": "PT-03"}
    assert svc.sign_in("PT-03", pins["PT-03"])
    with pytest.raises(BoothError):
        svc.committee_reset(reset.read_text())  # a reset file works once


def test_the_committee_opens_a_disputed_photo_then_destroys_them_all(after, tmp_path):
    svc = after["svc"]
    svc.close()
    keydir = after["pkg_dir"].parent / "demo-committee-keys"
    state = after["tmp"] / "state"
    out_file = tmp_path / "photo.jpg"
    code, _ = run(
        "photos",
        "open",
        str(state),
        "--committee-key",
        str(keydir),
        "--voter",
        after["first_voter"],
        "--out",
        str(out_file),
    )
    assert code == 0 and out_file.read_bytes() == JPEG + bytes([0])
    assert run("photos", "purge", str(state))[0] == 2  # needs --yes
    code, out = run("photos", "purge", str(state), "--yes")
    assert code == 0 and out.startswith("12 foto")
    code, _ = run(
        "photos",
        "open",
        str(state),
        "--committee-key",
        str(keydir),
        "--voter",
        after["first_voter"],
        "--out",
        str(out_file),
    )
    assert code != 0
    assert JPEG not in b"".join(p.read_bytes() for p in state.iterdir() if p.is_file())
