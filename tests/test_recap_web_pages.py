"""The committee's evening in the recap's web pages: upload the polling places' bundles, watch the
progress, read the results by area and per polling place, resolve a conflict, keep the registry and
the targets; and the public pages anyone may read.

Real days through the core (tests/recap_days.py), real bundles, the recap in a fresh data directory
with verification inline (``workers=0``), the Starlette app through its TestClient.  Bad input gets
its own words on the page and changes nothing in the store.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from booth.recap.api import RecapError
from booth.recap.receipts import check_receipt
from booth.recap.start import open_recap
from booth.recap.web import create_app, upload
from booth.recap.web.pages import parse_targets
from booth.recap.web.users import UserBook
from recap_days import counted_day, scratch, tps_package

PASSWORD = "kopi tubruk pagi"


class Clock:
    def __init__(self, when: dt.datetime) -> None:
        self.when = when

    def __call__(self) -> dt.datetime:
        return self.when


@pytest.fixture(scope="module")
def evening():
    """Two kecamatan, three pekon, four registered polling places; a replacement device for
    Sukamaju TPS 2 (a second signed result: a conflict); a foreign device; a device registered for
    Banjarejo TPS 1 whose day ran another election."""
    root = scratch()
    pk = {
        "suk1": tps_package(root, pekon="Sukamaju", tps=1, seed=1),
        "suk2": tps_package(root, pekon="Sukamaju", tps=2, seed=2),
        "sid1": tps_package(root, pekon="Sidoharjo", tps=1, kecamatan="Pardasuka", seed=3, allow_blank=True),
        "ban1": tps_package(root, pekon="Banjarejo", tps=1, kecamatan="Pardasuka", seed=5, candidates=2),
    }
    days = {
        "suk1": counted_day(root / "suk1", pk["suk1"], ["1", "2", "2", "3", "1", "2", "2"]),
        "suk2": counted_day(root / "suk2", pk["suk2"], ["3", "3", "1", "2"]),
        "sid1": counted_day(root / "sid1", pk["sid1"], ["1", "blank", "2", "2", "1"]),
        "suk2b": counted_day(root / "suk2b", pk["suk2"], ["1", "1"]),
        "foreign": counted_day(root / "foreign", pk["ban1"], ["1", "2"]),
        "wrong": counted_day(root / "wrong", pk["sid1"], ["1"]),
    }
    wrong_reg = dict(days["foreign"].registration, verifier_key=days["wrong"].verifier_key)
    devices = [days[k].registration for k in ("suk1", "suk2", "sid1", "suk2b")] + [wrong_reg]
    registry = json.dumps({"format": "booth-recap-registry-v1", "devices": devices}).encode()
    return {"root": root, "days": days, "registry": registry, "packages": pk}


@pytest.fixture()
def recap(evening, tmp_path):
    r = open_recap(tmp_path / "recap", workers=0, clock=Clock(dt.datetime(2025, 11, 16, 9, 30, tzinfo=dt.UTC)))
    r.import_registry(evening["registry"], by="ketua")
    UserBook(tmp_path / "recap").add("ani", PASSWORD)
    yield r
    r.close()


@pytest.fixture()
def client(recap):
    with TestClient(create_app(recap)) as c:
        yield c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def signed_in(client) -> str:
    """Sign in as ani; returns a CSRF token for the session."""
    token = csrf_of(client.get("/panitia/masuk").text)
    r = client.post("/panitia/masuk", data={"csrf": token, "username": "ani", "password": PASSWORD})
    assert r.status_code == 200 and r.url.path == "/"
    return csrf_of(r.text)


def snapshot(recap) -> tuple:
    """Everything a request could change: submissions, registry, resolutions, targets, the log."""
    return (recap.submissions(), recap.registrations(), recap.store.resolutions(), recap.targets(), recap.checkpoint())


def post_files(client, token, files, *, as_json=True):
    headers = {"accept": "application/json"} if as_json else {}
    return client.post(
        "/unggah",
        data={"csrf": token},
        headers=headers,
        files=[("berkas", (name, data, "application/octet-stream")) for name, data in files],
    )


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


# ------------------------------------------------------------------ upload
def test_a_kecamatan_uploads_its_bundles_at_once_and_sees_each_outcome(client, recap, evening):
    d = evening["days"]
    token = signed_in(client)
    r = post_files(
        client,
        token,
        [
            ("tps1.zip", d["suk1"].bundle),
            ("tps1-lagi.zip", d["suk1"].bundle),
            ("sid1.zip", d["sid1"].bundle),
            ("asing.zip", d["foreign"].bundle),
            ("lain.zip", d["wrong"].bundle),
            ("rusak.zip", tampered(d["suk2"].bundle)),
            ("catatan.pdf", b"%PDF-1.4 not a bundle"),
        ],
    )
    assert r.status_code == 200
    out = {o["filename"]: o for o in r.json()["outcomes"]}
    assert len(r.json()["outcomes"]) == 7
    assert out["tps1.zip"]["state"] == "accepted" and not out["tps1.zip"]["duplicate"]
    assert out["tps1.zip"]["election_id"] == d["suk1"].registration["election_id"]
    assert out["tps1-lagi.zip"]["duplicate"] and "Sudah diterima" in out["tps1-lagi.zip"]["id"]
    assert out["sid1.zip"]["state"] == "accepted"
    assert (out["asing.zip"]["state"], out["asing.zip"]["reason"]) == ("refused", "unknown_device")
    assert "tidak terdaftar" in out["asing.zip"]["id"] and "not registered" in out["asing.zip"]["en"]
    assert out["lain.zip"]["reason"] == "other_election"
    assert out["rusak.zip"]["reason"] == "invalid"
    assert (out["catatan.pdf"]["reason"], out["catatan.pdf"]["submission_id"]) == ("wrong_type", None)
    states = {p.registration.place_label + " " + p.registration.pekon: p.state for p in recap.places()}
    assert states["TPS 01 Sukamaju Sukamaju"] == "verified"
    form_page = client.get("/unggah")
    assert (
        form_page.status_code == 200
        and 'name="berkas"' in form_page.text
        and 'enctype="multipart/form-data"' in form_page.text
    )
    # a script reads the form's token from /unggah.json and may send it as the field or a header
    form = client.get("/unggah.json").json()
    assert form["csrf"] == token and form["field"] == "berkas"
    again = client.post(
        "/unggah",
        headers={"accept": "application/json", "x-csrf-token": form["csrf"]},
        files=[("berkas", ("tps1.zip", d["suk1"].bundle))],
    )
    assert again.json()["outcomes"][0]["duplicate"] is True
    # the page itself lists the same outcomes, with a link to each polling place
    page = post_files(client, token, [("tps1.zip", d["suk1"].bundle)], as_json=False)
    assert "Sudah diterima sebelumnya" in page.text and "Already received" in page.text
    assert f'href="/tps/{d["suk1"].registration["election_id"]}"' in page.text


def test_a_photo_is_read_or_refused_with_its_reason_and_a_wrong_file_changes_nothing(client, recap):
    token = signed_in(client)
    before = snapshot(recap)
    r = post_files(
        client,
        token,
        [
            ("laporan.jpg", b"\xff\xd8\xff\xe0 not really a photo"),
            ("kosong.zip", b""),
            ("daftar.docx", b"\x00\x01\x02"),
        ],
    )
    out = r.json()["outcomes"]
    assert [o["state"] for o in out] == ["refused"] * 3
    try:
        import booth.recap.photos  # noqa: F401
    except ImportError:
        assert out[0]["reason"] == "photos_unavailable" and "Foto belum bisa dibaca" in out[0]["id"]
    else:
        assert out[0]["reason"] == "not_an_image" and out[0]["id"] and out[0]["en"]
    assert (out[1]["reason"], out[2]["reason"]) == ("empty", "wrong_type")
    assert snapshot(recap) == before


def test_an_upload_without_its_token_or_sign_in_or_over_the_limit_changes_nothing(client, recap, evening, monkeypatch):
    bundle = evening["days"]["suk1"].bundle
    before = snapshot(recap)
    assert post_files(client, "", [("a.zip", bundle)]).status_code == 401  # not signed in
    token = signed_in(client)
    r = post_files(client, "salah", [("a.zip", bundle)], as_json=False)
    assert r.status_code == 403 and "Token formulir tidak sah" in r.text
    assert client.post("/unggah", files=[("berkas", ("a.zip", bundle))]).status_code == 403
    r = client.post("/unggah", data={"csrf": token}, headers={"accept": "application/json"})
    assert r.status_code == 400 and "Pilih minimal satu berkas" in r.json()["error"]["id"]
    monkeypatch.setattr(upload, "UPLOAD_LIMIT", len(bundle) // 2)
    with TestClient(create_app(recap)) as small:
        token = signed_in(small)
        r = post_files(small, token, [("a.zip", bundle)], as_json=False)
        assert r.status_code == 413 and "Kiriman terlalu besar" in r.text
    assert snapshot(recap) == before


def upload_evening(client, token, evening, *names, statements=()):
    """Upload the named days' bundles, and the named days' results statements as .txt (QR only)."""
    d = evening["days"]
    files = [(f"{n}.zip", d[n].bundle) for n in names] + [(f"{n}-qr.txt", d[n].statement.encode()) for n in statements]
    r = post_files(client, token, files)
    assert r.status_code == 200
    return r.json()["outcomes"]


def area_url(*parts: str) -> str:
    return "/wilayah/" + "/".join(quote(p, safe="") for p in parts)


# --------------------------------------------------------------- dashboard
def test_the_dashboard_shows_the_evenings_progress_against_the_targets(client, recap, evening):
    token = signed_in(client)
    upload_evening(client, token, evening, "suk1", "sid1", statements=["suk2"])
    page = client.get("/")
    assert page.status_code == 200
    assert "<svg" in page.text and "80% 17:00" in page.text and "100% 24:00" in page.text
    assert page.headers["refresh"] == "60"  # a wall screen keeps itself current, without JavaScript
    by_kecamatan = re.search(r'<table id="per-kecamatan">(.*?)</table>', page.text, re.DOTALL).group(1)
    assert "Pagelaran" in by_kecamatan and "Pardasuka" in by_kecamatan and by_kecamatan.count('class="sharebar"') == 2
    assert "2/2" in by_kecamatan and "1/2" in by_kecamatan  # Pagelaran: both in; Pardasuka: Sidoharjo only
    data = client.get("/index.json").json()
    assert data["places"] == 4 and data["counted"] == 3 and data["verified"] == 2
    assert data["counts"] == {"verified": 2, "provisional": 1, "conflict": 0, "refused": 0, "missing": 1}
    assert [(t["at"], t["share"]) for t, _ in data["progress"]["targets"]] == [("17:00", 0.8), ("24:00", 1.0)]
    # every count links to its list
    for href in ('href="/konflik"', 'href="/ditolak"', 'href="/belum-masuk"', 'href="/wilayah"'):
        assert href in page.text
    # the not-signed-in visitor is sent to sign in first
    with TestClient(create_app(recap)) as other:
        r = other.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/panitia/masuk?next=/"


# ------------------------------------------------------------------- areas
def test_results_by_area_down_to_the_pekon_show_verified_and_provisional_apart(client, recap, evening):
    d = evening["days"]
    token = signed_in(client)
    upload_evening(client, token, evening, "suk1", "sid1", statements=["suk2"])
    kab = d["suk1"].registration["kabupaten"]
    top = client.get("/wilayah")
    assert f'href="{area_url(kab)}"' in top.text
    kab_page = client.get(area_url(kab))
    assert kab_page.status_code == 200 and "Pagelaran" in kab_page.text and "Pardasuka" in kab_page.text
    kec = client.get(area_url(kab, "Pagelaran"))
    assert f'href="{area_url(kab, "Pagelaran", "Sukamaju")}"' in kec.text and kec.text.count("<svg") >= 1
    pekon = client.get(area_url(kab, "Pagelaran", "Sukamaju") + ".json").json()
    tally = {k: d["suk1"].tally.get(k, 0) + d["suk2"].tally.get(k, 0) for k in ("1", "2", "3")}
    assert pekon["area"]["tally"] == tally
    assert pekon["area"]["verified_tally"] == {k: d["suk1"].tally.get(k, 0) for k in ("1", "2", "3")}
    html = client.get(area_url(kab, "Pagelaran", "Sukamaju")).text
    assert "Terverifikasi" in html and "Sementara" in html and "<svg" in html
    # the table row of each polling place: its state and its valid votes per candidate
    rows = re.findall(r'<tr class="state-row-(\w+)">(.*?)</tr>', html, re.DOTALL)
    assert [state for state, _ in rows] == ["verified", "provisional"]
    cells = re.findall(r'<td class="num">([^<]*)</td>', rows[0][1])
    assert cells[3:6] == [str(d["suk1"].tally.get(k, 0)) for k in ("1", "2", "3")]
    assert client.get(area_url(kab, "Tidak Ada")).status_code == 404


# ----------------------------------------------------------- polling place
def test_a_polling_place_shows_its_submissions_and_a_receipt_the_cli_accepts(client, recap, evening, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    d = evening["days"]
    token = signed_in(client)
    upload_evening(client, token, evening, statements=["suk1"])
    upload_evening(client, token, evening, "suk1")
    election_id = d["suk1"].registration["election_id"]
    page = client.get(f"/tps/{election_id}")
    assert page.status_code == 200
    listed = re.search(r'<ul class="results-list" id="kiriman">(.*?)</ul>', page.text, re.DOTALL).group(1)
    assert listed.count("<li") == 2 and "suk1-qr.txt" in listed and "suk1.zip" in listed  # the QR and the bundle
    assert "booth.ledger.verify" in page.text and "unggahan web" in page.text and "ani" in page.text
    r = client.get(f"/tps/{election_id}/tanda-terima")
    assert r.status_code == 200
    assert 'filename="receipt-sukamaju-tps01.txt"' in r.headers["content-disposition"]
    fields = check_receipt(r.text, recap.verifier_key())
    assert fields["kind"] == "bundle" and fields["election"] == election_id
    path = tmp_path / "receipt-sukamaju-tps01.txt"
    path.write_text(r.text)
    root = Path(__file__).resolve().parents[1]
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "booth",
            "recap",
            "receipt-check",
            str(path),
            "--key",
            str(recap.data_dir / "recap.pub"),
        ],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0 and "SAH / VALID" in check.stdout
    # a refusal is listed on its polling place's page with its reason
    upload_evening(client, token, evening, "wrong")
    refusal = recap.refused()[-1]
    assert refusal.reason_code == "other_election" and refusal.election_id
    page = client.get(f"/tps/{refusal.election_id}").text
    assert "Bundel untuk pemilihan lain" in page and "another election" in page
    assert client.get("/tps/" + "0" * 64).status_code == 404
    missing = client.get(f"/tps/{d['suk2'].registration['election_id']}/tanda-terima")
    assert missing.status_code == 404 and "Belum ada tanda terima" in missing.text


# --------------------------------------------------------------- conflicts
def test_a_conflict_is_shown_not_summed_and_resolved_with_a_name_and_a_reason(client, recap, evening):
    d = evening["days"]
    token = signed_in(client)
    upload_evening(client, token, evening, "suk1", "suk2", "suk2b")
    election_id = d["suk2"].registration["election_id"]
    kab = d["suk1"].registration["kabupaten"]
    pekon = client.get(area_url(kab, "Pagelaran", "Sukamaju") + ".json").json()
    assert pekon["area"]["tally"] == {k: d["suk1"].tally.get(k, 0) for k in ("1", "2", "3")}  # not summed
    page = client.get("/konflik")
    assert "TPS 02 Sukamaju" in page.text and page.text.count('name="hasil"') == 2
    chosen = recap.place(election_id).results[0].statement_sha256
    before = snapshot(recap)
    bad = [
        ({"hasil": chosen, "nama": "", "alasan": "perangkat diganti"}, 400, "wajib diisi"),
        ({"hasil": chosen, "nama": "ani", "alasan": "  "}, 400, "wajib diisi"),
        ({"hasil": "", "nama": "ani", "alasan": "x"}, 400, "Pilih salah satu hasil"),
        ({"hasil": "ab" * 32, "nama": "ani", "alasan": "x"}, 400, "bukan salah satu hasil"),
    ]
    for form, status, words in bad:
        r = client.post(f"/konflik/{election_id}", data={"csrf": token, **form})
        assert r.status_code == status and words in r.text, form
    r = client.post(f"/konflik/{'0' * 64}", data={"csrf": token, "hasil": chosen, "nama": "ani", "alasan": "x"})
    assert r.status_code == 404 and "TPS tidak dikenal" in r.text
    r = client.post(
        f"/konflik/{d['suk1'].registration['election_id']}",
        data={"csrf": token, "hasil": chosen, "nama": "ani", "alasan": "x"},
    )
    assert r.status_code == 400 and "tidak dalam konflik" in r.text
    assert (
        client.post(f"/konflik/{election_id}", data={"hasil": chosen, "nama": "ani", "alasan": "x"}).status_code == 403
    )
    assert snapshot(recap) == before
    r = client.post(
        f"/konflik/{election_id}",
        data={
            "csrf": token,
            "hasil": chosen,
            "nama": "ani",
            "alasan": "Perangkat pertama rusak pukul 10:00; berita acara no. 3",
        },
    )
    assert r.status_code == 200 and "Keputusan dicatat untuk TPS 02 Sukamaju" in r.text
    place = recap.place(election_id)
    assert place.state == "verified" and place.resolution.by == "ani"
    pekon = client.get(area_url(kab, "Pagelaran", "Sukamaju") + ".json").json()
    chosen_tally = next(r.tally for r in place.results if r.statement_sha256 == chosen)
    assert pekon["area"]["tally"] == {k: d["suk1"].tally.get(k, 0) + chosen_tally.get(k, 0) for k in ("1", "2", "3")}


# ------------------------------------------------------ missing and refused
def test_missing_polling_places_and_refused_submissions_are_listed_with_reasons(client, recap, evening):
    token = signed_in(client)
    upload_evening(client, token, evening, "suk1", "foreign", "wrong")
    post_files(client, token, [("rusak.zip", tampered(evening["days"]["suk2"].bundle))])
    missing = client.get("/belum-masuk.json").json()
    assert sorted((p["registration"]["pekon"], p["registration"]["tps"]) for p in missing["missing"]) == [
        ("Banjarejo", 1),
        ("Sidoharjo", 1),
        ("Sukamaju", 2),
    ]
    html = client.get("/belum-masuk").text
    assert "Verifikasi gagal" in html  # Sukamaju TPS 2's refused bundle says why it is still missing
    refused = client.get("/ditolak")
    for reason in ("unknown_device", "other_election", "invalid"):
        assert f'data-reason="{reason}"' in refused.text
    assert "Perangkat tidak terdaftar" in refused.text and "not registered" in refused.text


# ----------------------------------------------------------------- devices
def test_the_device_registry_page_adds_imports_and_removes_devices(evening, tmp_path):
    from booth.election_package import write_package_zip

    r = open_recap(tmp_path / "fresh", workers=0)
    UserBook(tmp_path / "fresh").add("ani", PASSWORD)
    d = evening["days"]
    zip_path = write_package_zip(evening["packages"]["suk1"], tmp_path / "suk1.zip")
    with r, TestClient(create_app(r)) as client:
        token = signed_in(client)
        before = snapshot(r)
        bad = [
            ({}, {"kunci": d["suk1"].verifier_key}, "Pilih paket pemilihan"),
            ({"paket": ("paket.zip", zip_path.read_bytes())}, {}, "Isi kunci verifikasi"),
            ({"paket": ("paket.zip", b"not a zip")}, {"kunci": d["suk1"].verifier_key}, "harus berkas .zip"),
            (
                {"paket": ("paket.zip", zip_path.read_bytes())},
                {"kunci": "booth/123+AAAA"},
                "kunci verifikasi tidak sah",
            ),
        ]
        for files, form, words in bad:
            resp = client.post("/perangkat/tambah", data={"csrf": token, **form}, files=files or {"x": ("", b"")})
            assert resp.status_code == 400 and words in resp.text, words
        resp = client.post("/perangkat/impor", data={"csrf": token}, files={"daftar": ("r.json", b"{not json")})
        assert resp.status_code == 400 and "bukan JSON yang sah" in resp.text
        resp = client.post("/perangkat/hapus", data={"csrf": token, "sidik": "ab" * 32})
        assert resp.status_code == 404 and "tidak terdaftar" in resp.text
        assert snapshot(r) == before
        resp = client.post(
            "/perangkat/tambah",
            data={"csrf": token},
            files={
                "paket": ("suk1.zip", zip_path.read_bytes()),
                "kunci_berkas": ("device.pub", (d["suk1"].verifier_key + "\n").encode()),
            },
        )
        assert resp.status_code == 200 and "Terdaftar: perangkat" in resp.text and "TPS 01 Sukamaju" in resp.text
        assert [x.election_id for x in r.registrations()] == [d["suk1"].registration["election_id"]]
        resp = client.post("/perangkat/impor", data={"csrf": token}, files={"daftar": ("r.json", evening["registry"])})
        assert resp.status_code == 200 and "Terdaftar: 5 perangkat" in resp.text
        assert len(r.registrations()) == 5
        fp = r.registrations()[0].fingerprint
        resp = client.post("/perangkat/hapus", data={"csrf": token, "sidik": fp})
        assert resp.status_code == 200 and "Dihapus" in resp.text and len(r.registrations()) == 4


# ----------------------------------------------------------------- targets
def test_the_targets_page_checks_every_row_and_saves_valid_targets(client, recap):
    token = signed_in(client)
    before = snapshot(recap)
    bad = [
        ({"jam": ["17.00"], "persen": ["80"]}, "jam harus JJ:MM"),
        ({"jam": ["25:00"], "persen": ["80"]}, "Target tidak sah"),
        ({"jam": ["17:00"], "persen": ["delapan puluh"]}, "persen harus angka"),
        ({"jam": ["17:00"], "persen": ["0"]}, "persen harus 1-100"),
        ({"jam": ["17:00"], "persen": ["120"]}, "persen harus 1-100"),
        ({"jam": ["17:00", "17:00"], "persen": ["50", "80"]}, "jam yang sama"),
        ({"jam": ["", ""], "persen": ["", ""]}, "minimal satu target"),
    ]
    for form, words in bad:
        r = client.post("/target", data={"csrf": token, **form})
        assert r.status_code == 400 and words in r.text, form
        assert 'value="' + form["jam"][0] + '"' in r.text  # what was typed stays in the form
    assert snapshot(recap) == before
    r = client.post(
        "/target", data={"csrf": token, "jam": ["13:00", "18:00", "24:00", ""], "persen": ["25", "90%", "100", ""]}
    )
    assert r.status_code == 200 and "Target disimpan" in r.text
    assert [(t.at, t.share) for t in recap.targets()] == [("13:00", 0.25), ("18:00", 0.9), ("24:00", 1.0)]


# ------------------------------------------------------------------ public
def test_the_public_pages_show_counts_and_roots_to_anyone_and_never_a_ballot(client, recap, evening):
    d = evening["days"]
    token = signed_in(client)
    upload_evening(client, token, evening, "suk1", statements=["sid1"])
    kab = d["suk1"].registration["kabupaten"]
    with TestClient(create_app(recap)) as visitor:
        overview = visitor.get("/publik/")
        assert overview.status_code == 200 and "Sukamaju" in overview.text and recap.verifier_key() in overview.text
        pekon = visitor.get(f"/publik/wilayah/{quote(kab)}/Pagelaran/Sukamaju")
        assert pekon.status_code == 200 and "<svg" in pekon.text
        election_id = d["suk1"].registration["election_id"]
        r = visitor.get(f"/publik/pemilihan/{election_id}.json")
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
        view = r.json()
        assert view == json.loads(json.dumps(recap.public_place(election_id)))
        assert view["tally"] == {k: d["suk1"].tally.get(k, 0) for k in ("1", "2", "3")}
        assert view["state"] == "verified" and view["receipt"]["format"] == "booth-recap-receipt-v1"
        assert check_receipt(json.dumps(view["receipt"]), recap.verifier_key())
        assert visitor.get(f"/publik/pemilihan/{'0' * 64}.json").status_code == 404
        assert visitor.get("/publik/pemilihan/bukan-id.json").status_code == 404
        place = visitor.get(f"/publik/tps/{election_id}")
        assert place.status_code == 200 and d["suk1"].statement.split("\n")[0] not in ("",)
        seen = [overview.text, pekon.text, r.text, place.text, visitor.get("/publik/index.json").text]
        for text in seen:
            assert '"selection"' not in text and "ballots.jsonl" not in text
            assert "ani" not in re.sub(r"<[^>]+>", " ", text).split()  # no committee member's name
            assert "suk1.zip" not in text  # no file names
        # the public pages are read-only: the committee's pages stay closed to a visitor
        assert visitor.get("/wilayah", follow_redirects=False).status_code == 303
        assert visitor.post("/unggah", files=[("berkas", ("a.zip", d["suk2"].bundle))]).status_code == 401


# ------------------------------------------------------------- any input

_row = st.one_of(
    st.just(""),
    st.text(max_size=12),
    st.from_regex(r"\A[0-2]\d:[0-5]\d\Z"),
    st.integers(-5, 130).map(str),
    st.floats(allow_nan=True).map(str),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_row, _row), max_size=6))
def test_any_targets_form_is_either_saved_as_typed_or_refused_with_words(rows):
    times, shares = [a for a, _ in rows], [b for _, b in rows]
    try:
        targets = parse_targets(times, shares)
    except RecapError as exc:
        assert exc.id and exc.en and exc.code == "bad_targets"
        return
    assert 1 <= len(targets) <= len(rows) and all(0 < t.share <= 1 for t in targets)
    assert len({t.at for t in targets}) == len(targets)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.lists(
        st.tuples(st.text(min_size=1, max_size=20).filter(lambda n: "\x00" not in n), st.binary(max_size=300)),
        min_size=1,
        max_size=4,
    )
)
def test_any_uploaded_bytes_get_an_outcome_each_and_only_bundles_or_statements_are_kept(client, recap, files):
    if not hasattr(client, "csrf"):  # one sign-in for all the examples (the fixture is shared)
        client.csrf = signed_in(client)
    token = client.csrf
    before = len(recap.submissions())
    r = post_files(client, token, files)
    assert r.status_code == 200
    outcomes = r.json()["outcomes"]
    assert len(outcomes) >= len(files)
    for o in outcomes:
        assert o["state"] in ("accepted", "refused") and o["id"] and o["en"]
    kept = [o for o in outcomes if o["submission_id"] is not None and not o["duplicate"]]
    assert len(recap.submissions()) - before == len(kept)
    assert all(o["state"] == "refused" for o in outcomes)  # random bytes are never a signed result


def test_every_page_a_member_can_reach_by_its_links_renders(client, recap, evening):
    """Follow every local link from the dashboard (and each page's JSON twin): no page fails."""
    token = signed_in(client)
    upload_evening(client, token, evening, "suk1", "suk2", "suk2b", "foreign", statements=["sid1"])
    seen: set[str] = set()
    todo = ["/", "/unggah", "/publik/"]
    while todo and len(seen) < 150:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[-300:])
        if "text/html" in r.headers["content-type"]:
            for href in re.findall(r'href="(/[^"#]*)"', r.text):
                if href.startswith("/static/") or href in ("/saksi/",):
                    continue
                todo.append(href.replace("&amp;", "&"))
    assert {"/", "/wilayah", "/konflik", "/belum-masuk", "/ditolak", "/perangkat", "/target", "/panitia"} <= seen
    assert any(p.startswith("/tps/") for p in seen) and any(p.startswith("/publik/wilayah/") for p in seen)
    assert any(p.endswith("/tanda-terima") for p in seen) and any(p.endswith(".json") for p in seen)


def test_a_big_kabupaten_draws_its_contests_on_their_own_pages_only(client, recap, evening, monkeypatch):
    from booth.recap.web import pages, public

    token = signed_in(client)
    upload_evening(client, token, evening, "suk1", "sid1")
    kab = evening["days"]["suk1"].registration["kabupaten"]
    assert client.get("/publik/").text.count("<svg") == 3 and client.get(area_url(kab)).text.count("<svg") == 3
    monkeypatch.setattr(pages, "MAX_CHARTS_PER_PAGE", 2)
    monkeypatch.setattr(public, "MAX_CHARTS_PER_PAGE", 2)
    overview, kab_page = client.get("/publik/"), client.get(area_url(kab))
    assert overview.status_code == kab_page.status_code == 200
    assert overview.text.count("<svg") == 0 and kab_page.text.count("<svg") == 0
    assert client.get(area_url(kab, "Pardasuka")).text.count("<svg") == 2  # a kecamatan: still drawn
    assert client.get(area_url(kab, "Pagelaran", "Sukamaju")).text.count("<svg") == 1
