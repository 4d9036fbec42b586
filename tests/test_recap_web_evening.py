"""The demo's 40-polling-place evening of Kabupaten Pringsewu, received through the web pages only:
the registry imported on the devices page, every bundle and photo uploaded on /unggah as the
kecamatan offices would, then the pages read as the committee reads them.

The kabupaten's totals on its page equal the sum of the booths' own tallies; the tampered bundle,
the foreign device, the other election's bundle and a replayed upload are each refused or
deduplicated with their reason on the page; the conflict is shown and not summed.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from booth.recap.start import open_recap
from booth.recap.web import create_app
from booth.recap.web.users import UserBook

recap_evening = pytest.importorskip("recap_evening")

PASSWORD = "kopi tubruk pagi"
PLACES = 40

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def evening():
    return recap_evening.small_evening(PLACES)


@pytest.fixture(scope="module")
def site(evening, tmp_path_factory):
    """The recap after the whole evening came in through the web, and a signed-in browser session."""
    data = tmp_path_factory.mktemp("rekap")
    recap = open_recap(data, workers=0, clock=lambda: dt.datetime(2025, 11, 16, 10, 30, tzinfo=dt.UTC))
    UserBook(data).add("ani", PASSWORD)
    with TestClient(create_app(recap)) as client:
        token = csrf_of(client.get("/panitia/masuk").text)
        r = client.post("/panitia/masuk", data={"csrf": token, "username": "ani", "password": PASSWORD})
        token = csrf_of(r.text)
        registry = evening.registry.read_bytes()
        r = client.post("/perangkat/impor", data={"csrf": token}, files={"daftar": ("registry.json", registry)})
        assert r.status_code == 200 and "Terdaftar:" in r.text
        # each kecamatan office uploads what reached it: its bundles, then the photos of reports
        outcomes: list[dict] = []
        files = evening.files()
        for batch in (files[: len(files) // 2], files[len(files) // 2 :]):
            r = client.post(
                "/unggah",
                data={"csrf": token},
                headers={"accept": "application/json"},
                files=[("berkas", (p.name, p.read_bytes(), "application/octet-stream")) for p in batch],
            )
            assert r.status_code == 200
            outcomes += r.json()["outcomes"]
        yield {"recap": recap, "client": client, "token": token, "outcomes": outcomes}
    recap.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def outcome_of(outcomes: list[dict], name: str) -> list[dict]:
    return [o for o in outcomes if o["filename"] == name]


def test_the_kabupaten_totals_on_its_page_are_the_sum_of_the_booths_tallies(site, evening):
    client = site["client"]
    kab = evening.places[0].kabupaten
    area = client.get(f"/wilayah/{quote(kab)}.json").json()["area"]
    assert area["valid"] == evening.expected_valid()
    assert area["voted"] == evening.expected_voted()
    assert area["places"] == len(evening.places)
    html = client.get(f"/wilayah/{quote(kab)}").text
    number = f"{evening.expected_valid():,}".replace(",", ".")
    assert f'<span class="big">{number}</span>' in html
    # every pekon (each a contest) adds up its own polling places' signed tallies
    for kec in area["children"]:
        for pekon in kec["children"]:
            expected = evening.expected_pekon_tally(kec["name"], pekon["name"])
            assert {k: v for k, v in pekon["tally"].items() if v} == {k: v for k, v in expected.items() if v}
    # and every polling place shows the state the evening should leave it in
    states = {p["registration"]["election_id"]: p["state"] for p in client.get("/wilayah.json").json()["places"]}
    assert states == {p.election_id: p.state for p in evening.places}
    counts = client.get("/index.json").json()["counts"]
    assert counts == {s: len(evening.by_state(s)) for s in counts}


def test_every_fault_of_the_evening_is_refused_with_its_reason_on_the_page(site, evening):
    outcomes = site["outcomes"]
    refused_page = site["client"].get("/ditolak").text
    for refusal in evening.refusals:
        name = refusal.file.rsplit("/", 1)[-1]
        mine = outcome_of(outcomes, name)
        assert mine and all(o["state"] == "refused" for o in mine), refusal.what
        assert mine[0]["reason"] == refusal.reason, refusal.what
        assert name in refused_page and f'data-reason="{refusal.reason}"' in refused_page
        assert mine[0]["id"] and mine[0]["en"]
        if refusal.election_id:
            place_page = site["client"].get(f"/tps/{refusal.election_id}").text
            assert mine[0]["en"].removeprefix("Refused: ").split(":")[0] in place_page
    reasons = {r.reason for r in evening.refusals}
    assert {"invalid", "unknown_device", "other_election"} <= reasons
    first, again = (p.rsplit("/", 1)[-1] for p in evening.duplicate)
    assert outcome_of(outcomes, again)[0]["duplicate"] and not outcome_of(outcomes, first)[0]["duplicate"]


def test_a_replayed_upload_changes_nothing_and_says_so(site, evening):
    recap, client, token = site["recap"], site["client"], site["token"]
    before = (recap.submissions(), recap.checkpoint())
    bundle = evening.out_dir / evening.places[0].results[0].bundle if evening.places[0].results[0].bundle else None
    assert bundle is not None
    page = client.post("/unggah", data={"csrf": token}, files=[("berkas", (bundle.name, bundle.read_bytes()))])
    assert "Sudah diterima sebelumnya" in page.text and "Already received" in page.text
    assert (recap.submissions(), recap.checkpoint()) == before


def test_the_conflict_is_shown_and_not_summed(site, evening):
    client = site["client"]
    conflict = evening.place(evening.conflict)
    page = client.get("/konflik").text
    assert f"/tps/{conflict.election_id}" in page and page.count('name="hasil"') == len(conflict.results)
    place = client.get(f"/tps/{conflict.election_id}.json").json()["place"]
    assert place["state"] == "conflict" and place["result"] is None
    pekon = client.get(f"/wilayah/{quote(conflict.kabupaten)}/{quote(conflict.kecamatan)}/{quote(conflict.pekon)}.json")
    assert pekon.json()["area"]["states"].get("conflict") == 1
    tally = pekon.json()["area"]["tally"]
    assert {k: v for k, v in tally.items() if v} == {
        k: v for k, v in evening.expected_pekon_tally(conflict.kecamatan, conflict.pekon).items() if v
    }
    public = client.get(f"/publik/pemilihan/{conflict.election_id}.json").json()
    assert public["state"] == "conflict" and public["tally"] is None
    assert public["results_in_conflict"] == len(conflict.results)


def test_late_bundles_turn_the_qr_only_places_verified_with_the_same_numbers(site, evening):
    """(Runs last: it adds to the evening.)  The bundles of the places counted from a photo arrive
    later; each place becomes verified and the kabupaten's valid votes do not change."""
    client, token = site["client"], site["token"]
    kab = evening.places[0].kabupaten
    before = client.get(f"/wilayah/{quote(kab)}.json").json()["area"]
    late = sorted((evening.out_dir / "terlambat").glob("*.zip"))
    assert late and len(late) == len(evening.qr_only)
    r = client.post(
        "/unggah",
        data={"csrf": token},
        headers={"accept": "application/json"},
        files=[("berkas", (p.name, p.read_bytes())) for p in late],
    )
    assert [o["state"] for o in r.json()["outcomes"]] == ["accepted"] * len(late)
    for election_id in evening.qr_only:
        assert client.get(f"/tps/{election_id}.json").json()["place"]["state"] == "verified"
    after = client.get(f"/wilayah/{quote(kab)}.json").json()["area"]
    assert after["valid"] == before["valid"] == evening.expected_valid()
    assert after["verified_valid"] > before["verified_valid"]
