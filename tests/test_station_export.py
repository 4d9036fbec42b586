"""The evening at the desk: the booths' USB sticks come in, the desk writes ONE station bundle.

Every booth closed, counted, printed and exported its bundle onto the stick (``hasil-...zip``, as
the booth's closing screen names it); the stick goes to the desk, whose companion has printed the
station's results report.  ``export_station`` finds each booth's bundle by its device key, checks
it in full and writes ``TPS01-....zip`` beside them, which ``booth verify`` and the recap accept.
A booth's bundle missing, from another station or cut short is refused naming the booth, and
nothing is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from booth.errors import BoothError
from booth.recap.start import open_recap
from service_day import KETUA, closes_at, demo_package
from station_day import cloned_station
from test_recap_core import Clock
from test_station_bundle import day

#: what the refusal of a booth bundle missing from the stick tells the companion to do
EXPORT_AT_THE_BOOTH_ID = ": di bilik itu, pilih “Ekspor hasil” ke flashdisk ini"
EXPORT_AT_THE_BOOTH_EN = ": at that booth, choose “Export the results” onto this stick"


def close_booths(st, stick: Path) -> dict[int, Path]:
    """Each booth closes, counts, prints and exports onto the stick; the desk prints the station report."""
    stick.mkdir(parents=True, exist_ok=True)
    st.clock.set(closes_at() + dt.timedelta(minutes=1))
    files = {}
    for n, booth in st.booths.items():
        token = booth.sign_in(KETUA)
        booth.svc.close_polls(token)
        booth.svc.count(token)
        booth.svc.results_printed(token)
        # every booth writes the same name on its own stick: the desk's stick holds them under any name
        files[n] = Path(booth.svc.export(token, str(stick / f"hasil-bilik-{n}.zip")))
    token = st.token()
    st.desk.svc.close_polls(token)
    for booth in st.booths.values():
        st.desk.svc.closing_received(booth.svc.results()["statement"].encode())
    st.desk.svc.station_results(token, {})
    st.desk.svc.count(token)
    st.desk.svc.results_printed(token)  # the station report printed (Station.print_station_results)
    return files


@pytest.fixture(scope="module")
def evening(tmp_path_factory):
    root = tmp_path_factory.mktemp("station-export")
    st = cloned_station(root / "devices", booths=3)
    day(st)
    files = close_booths(st, root / "stick")
    yield st, root / "stick", files
    st.close()


def copy_stick(stick: Path, to: Path, **replace: bytes | None) -> Path:
    to.mkdir()
    for f in stick.iterdir():
        if f.name.startswith("TPS"):
            continue
        data = replace.get(f.stem.replace("-", "_"), f.read_bytes())
        if data is not None:
            (to / f.name).write_bytes(data)
    return to


def refused(st, folder: Path) -> BoothError:
    before = sorted(p.name for p in folder.iterdir())
    token = st.token()
    size = st.desk.svc.ledger.size
    with pytest.raises(BoothError) as err:
        st.desk.svc.export_station(token, str(folder))
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written
    assert st.desk.svc.ledger.size == size  # nothing logged
    return err.value


def test_the_desk_writes_the_station_bundle_that_booth_verify_and_the_recap_accept(evening, tmp_path):
    st, stick, _ = evening
    folder = copy_stick(stick, tmp_path / "stick")
    (folder / "catatan.zip").write_bytes(b"PK not a zip at all")  # junk on the stick is no booth's
    path = Path(st.desk.svc.export_station(st.token(), str(folder)))
    assert path.parent == folder and path.name.startswith("TPS01-") and path.suffix == ".zip"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no half-written file left
    logged = [e for e in st.desk.svc.ledger.entries() if e.type == "station.exported"][-1]
    assert logged.payload == {"file": path.name, "booths": [1, 2, 3]}
    out = subprocess.run([sys.executable, "-m", "booth", "verify", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    r = open_recap(tmp_path / "recap", workers=0, clock=Clock(dt.datetime(2025, 11, 16, 13, 30, tzinfo=dt.UTC)))
    try:
        r.register_device(st.desk.svc.ledger.key.verifier_key(), demo_package()[0], by="ketua")
        outcome = r.submit_bundle(path.read_bytes(), filename=path.name)
        assert outcome.accepted, outcome.submission.reason_en
        [place] = r.places()
        assert place.result.tally == {"1": 13, "2": 6, "3": 7} and place.result.total == 26
    finally:
        r.close()
    again = Path(st.desk.svc.export_station(st.token(), str(folder)))  # exported again: the same name, replaced
    assert again == path and sorted(p.name for p in folder.iterdir() if p.name.startswith("TPS")) == [path.name]


def test_a_booth_whose_bundle_is_not_on_the_stick_is_refused_by_its_number(evening, tmp_path):
    st, stick, _ = evening
    err = refused(st, copy_stick(stick, tmp_path / "stick", hasil_bilik_2=None))
    assert err.message_id == "Bundel hasil bilik 2 tidak ada di flashdisk" + EXPORT_AT_THE_BOOTH_ID
    assert err.message_en == "Booth 2's results bundle is not on the USB stick" + EXPORT_AT_THE_BOOTH_EN


def test_a_bundle_from_another_station_in_place_of_booth_1_is_refused(evening, tmp_path):
    st, stick, _ = evening
    other = cloned_station(tmp_path / "other", booths=1)  # the same package, another desk's booth
    try:
        other.vote("DPT-0001", booth=1, choice="1")
        foreign = close_booths(other, tmp_path / "other-stick")[1].read_bytes()
    finally:
        other.close()
    err = refused(st, copy_stick(stick, tmp_path / "stick", hasil_bilik_1=foreign))
    assert err.message_en == "Booth 1's results bundle is not on the USB stick" + EXPORT_AT_THE_BOOTH_EN


def test_a_booth_bundle_cut_short_is_refused_naming_the_booth_and_the_file(evening, tmp_path):
    st, stick, files = evening
    data = files[3].read_bytes()
    err = refused(st, copy_stick(stick, tmp_path / "stick", hasil_bilik_3=data[: len(data) // 2]))
    assert (
        err.message_id
        == "Bundel hasil bilik 3 tidak ada di flashdisk" + EXPORT_AT_THE_BOOTH_ID + "; berkas rusak: hasil-bilik-3.zip"
    )


def test_a_booth_bundle_whose_log_was_changed_is_refused_as_damaged(evening, tmp_path):
    from test_recap_core import tampered

    st, stick, files = evening
    err = refused(st, copy_stick(stick, tmp_path / "stick", hasil_bilik_2=tampered(files[2].read_bytes())))
    assert err.message_en == "Booth 2's results bundle (hasil-bilik-2.zip) is damaged: export it again at that booth"


def test_only_a_signed_in_desk_after_its_report_exports_the_station(evening, tmp_path):
    st, stick, _ = evening
    with pytest.raises(BoothError):
        st.desk.svc.export_station("not-a-token", str(stick))
    with pytest.raises(BoothError) as err:
        st.desk.svc.export_station(st.token(), str(tmp_path / "no-stick"))
    assert err.value.message_en == "The USB stick for the station bundle is not there"
    with pytest.raises(BoothError):
        st.booths[1].svc.export_station(st.booths[1].sign_in(KETUA), str(stick))  # a booth has no station


def test_a_link_on_the_stick_is_no_booths_bundle(evening, tmp_path):
    st, stick, files = evening
    folder = copy_stick(stick, tmp_path / "stick", hasil_bilik_1=None)
    (folder / "hasil-bilik-1.zip").symlink_to(files[1])  # the bundle is there, but only as a link
    err = refused(st, folder)
    assert err.message_en == "Booth 1's results bundle is not on the USB stick" + EXPORT_AT_THE_BOOTH_EN


def test_the_kiosk_carries_the_sticks_zips_and_the_service_takes_plain_names_only(evening, tmp_path):
    import io
    import zipfile

    from booth.station.stick import pack_stick, unpack_stick

    _, stick, files = evening
    packed = pack_stick(stick)
    names = zipfile.ZipFile(io.BytesIO(packed)).namelist()
    assert sorted(names) == sorted(f.name for f in files.values())
    tricky = io.BytesIO()
    with zipfile.ZipFile(tricky, "w") as z:
        z.writestr("../keluar.zip", b"x")
        z.writestr("/etc/passwd.zip", b"x")
        z.writestr("sub/dalam.zip", b"x")
        z.writestr("hasil-1.zip", b"a bundle")
    inside = tmp_path / "private"
    inside.mkdir()
    unpack_stick(tricky.getvalue(), inside)
    assert [p.name for p in inside.iterdir()] == ["hasil-1.zip"] and not (tmp_path / "keluar.zip").exists()
    with pytest.raises(ValueError):
        unpack_stick(b"not a zip", inside)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=hs.binary(max_size=2048), cut=hs.integers(min_value=0, max_value=4096))
def test_whatever_bytes_reach_the_service_nothing_lands_outside_its_folder(tmp_path, data, cut):
    import io
    import uuid
    import zipfile

    from booth.station.stick import unpack_stick

    inside = tmp_path / uuid.uuid4().hex
    inside.mkdir()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hasil.zip", data)
    for blob in (data, out.getvalue()[:cut]):
        with contextlib.suppress(ValueError):
            unpack_stick(blob, inside)
    assert {p.parent for p in inside.rglob("*")} <= {inside}
    assert all(p.suffix == ".zip" for p in inside.iterdir())
