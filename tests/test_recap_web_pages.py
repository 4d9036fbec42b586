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
from starlette.testclient import TestClient

from booth.recap.api import open_recap
from booth.recap.receipts import check_receipt
from booth.recap.web import create_app, upload
from booth.recap.web.users import UserBook
from recap_days import counted_day, registry_bytes, scratch, tps_package

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
    return (recap.submissions(), recap.registrations(), recap.store.resolutions(), recap.targets(),
            recap.checkpoint())


def post_files(client, token, files, *, as_json=True):
    headers = {"accept": "application/json"} if as_json else {}
    return client.post("/unggah", data={"csrf": token}, headers=headers,
                       files=[("berkas", (name, data, "application/octet-stream")) for name, data in files])


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
    r = post_files(client, token, [("tps1.zip", d["suk1"].bundle), ("tps1-lagi.zip", d["suk1"].bundle),
                                   ("sid1.zip", d["sid1"].bundle), ("asing.zip", d["foreign"].bundle),
                                   ("lain.zip", d["wrong"].bundle), ("rusak.zip", tampered(d["suk2"].bundle)),
                                   ("catatan.pdf", b"%PDF-1.4 not a bundle")])
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
    # the page itself lists the same outcomes, with a link to each polling place
    page = post_files(client, token, [("tps1.zip", d["suk1"].bundle)], as_json=False)
    assert "Sudah diterima sebelumnya" in page.text and "Already received" in page.text
    assert f'href="/tps/{d["suk1"].registration["election_id"]}"' in page.text


def test_a_photo_is_read_or_refused_with_its_reason_and_a_wrong_file_changes_nothing(client, recap):
    token = signed_in(client)
    before = snapshot(recap)
    r = post_files(client, token, [("laporan.jpg", b"\xff\xd8\xff\xe0 not really a photo"),
                                   ("kosong.zip", b""), ("daftar.docx", b"\x00\x01\x02")])
    out = r.json()["outcomes"]
    assert [o["state"] for o in out] == ["refused"] * 3
    try:
        import booth.recap.photos  # noqa: F401
    except ImportError:
        assert out[0]["reason"] == "photos_unavailable" and "Foto belum bisa dibaca" in out[0]["id"]
    else:
        assert out[0]["reason"] == "photo" and out[0]["id"] and out[0]["en"]
    assert (out[1]["reason"], out[2]["reason"]) == ("empty", "wrong_type")
    assert snapshot(recap) == before


def test_an_upload_without_its_token_or_sign_in_or_over_the_limit_changes_nothing(client, recap, evening,
                                                                                   monkeypatch):
    bundle = evening["days"]["suk1"].bundle
    before = snapshot(recap)
    assert post_files(client, "", [("a.zip", bundle)]).status_code == 401        # not signed in
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
