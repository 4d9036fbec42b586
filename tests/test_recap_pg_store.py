"""The PostgreSQL store answers every call as the SQLite store does (differential, with hypothesis).

Any sequence of what the recap asks of its store — registering and removing devices, keeping
bytes, receiving the same or new submissions, finishing them (twice, as a retried job does),
appending to the recap's log, the committee's decisions and settings — goes to both stores;
every answer and the state after each step must be the same.  The one difference: PostgreSQL
text cannot hold NUL, which the PostgreSQL store writes as U+FFFD (tested on its own below).
Skipped, saying so, without PostgreSQL.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth.recap.api import Candidate, Registration, Resolution, Result, Submission
from booth.recap.receipts import RecapKey
from booth.recap.store import SqliteStore
from test_recap_pg import database, pg_server  # noqa: F401  (fixtures)

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")

KEY = RecapKey.load_or_create(Path(tempfile.mkdtemp(prefix="booth-recap-key-")) / "recap.key")
FINGERPRINTS = [f"{i:02x}" * 32 for i in range(4)]
ELECTIONS = [f"e{i}".ljust(64, "0") for i in range(3)]
SHAS = [f"{i:064x}" for i in range(5)]


def registration(i: int, election: int, tps: int) -> Registration:
    return Registration(
        verifier_key=f"booth/{FINGERPRINTS[i][:16]}+00000000+AAAA",
        fingerprint=FINGERPRINTS[i],
        origin=f"booth/{FINGERPRINTS[i][:16]}",
        election_id=ELECTIONS[election],
        title="Pemilihan Kepala Pekon",
        provinsi="Lampung",
        kabupaten="Pringsewu",
        kecamatan=["Pagelaran", "Pardasuka"][election % 2],
        pekon=["Sukamaju", "Sidoharjo", "Banjarejo"][election],
        tps=tps,
        dpt=20 + tps,
        allow_blank=bool(tps % 2),
        candidates=(Candidate(1, "Ani"), Candidate(2, "Budi")),
        registered_at="2025-11-15T01:00:00Z",
        registered_by="ketua",
    )


def result(n: int) -> Result:
    return Result(
        statement=f"booth results v1\ntotal {n}\n",
        statement_sha256=f"{n:064x}",
        tally={"1": n, "2": 1},
        total=n + 1,
        voted=n + 1,
        eligible=30,
        balanced=True,
        log_size=n + 10,
        log_root="AAAA",
        ballots=n + 1,
        events=40,
    )


# what a committee's form or a file can bring: any UTF-8 text but NUL (PostgreSQL's text has none;
# a lone surrogate is no UTF-8: neither store can be handed one, and neither is)
text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.integers(0, 3), st.integers(0, 2), st.integers(1, 3)),
        st.tuples(st.just("unregister"), st.integers(0, 3)),
        st.tuples(st.just("blob"), st.integers(0, 4), st.binary(max_size=40)),
        st.tuples(st.just("receive"), st.integers(0, 4), st.sampled_from(["bundle", "statement"])),
        st.tuples(st.just("finish"), st.integers(0, 4), st.booleans(), st.integers(0, 9)),
        st.tuples(st.just("append"), text),
        st.tuples(st.just("resolve"), st.integers(0, 2), st.integers(0, 9), text),
        st.tuples(st.just("setting"), st.sampled_from(["targets", "timezone", "evening_date"]), text),
    ),
    max_size=25,
)


def apply(store, op):
    """One step; returns what the store answered."""
    kind = op[0]
    if kind == "register":
        store.add_registration(registration(op[1], op[2], op[3]))
        return None
    if kind == "unregister":
        return store.remove_registration(FINGERPRINTS[op[1]])
    if kind == "blob":
        store.put_blob(SHAS[op[1]], op[2])
        return store.get_blob(SHAS[op[1]])
    if kind == "receive":
        sub = Submission(
            id=0,
            sha256=SHAS[op[1]],
            kind=op[2],
            source="upload",
            filename=f"f{op[1]}.zip",
            received_at="2025-11-16T09:00:00Z",
            received_by="budi",
            status="queued",
        )
        return store.new_submission(sub)
    if kind == "finish":
        sub = store.submission_by_hash(SHAS[op[1]])
        if sub is None:
            return None
        if op[2]:
            done = replace(
                sub,
                status="accepted",
                election_id=ELECTIONS[op[3] % 3],
                fingerprint=FINGERPRINTS[0],
                result=result(op[3]),
                finished_at="2025-11-16T09:01:00Z",
            )
            entry = f"booth recap receipt v1\nsubmission {sub.sha256}\ntotal {op[3]}\n".encode()
            return store.finish_submission(done, entry, KEY.sign_checkpoint)
        done = replace(
            sub,
            status="refused",
            reason_code="invalid",
            reason_id="Verifikasi gagal",
            reason_en="Verification failed",
            finished_at="2025-11-16T09:01:00Z",
        )
        return store.finish_submission(done)
    if kind == "append":
        return store.append_leaf(f"booth recap note\n{op[1]}\n".encode(), KEY.sign_checkpoint)
    if kind == "resolve":
        store.add_resolution(Resolution(ELECTIONS[op[1]], f"{op[2]:064x}", "Hj. Siti", op[3], "2025-11-16T10:00:00Z"))
        return None
    store.set_setting(op[1], op[2])
    return store.setting(op[1])


def state(store) -> tuple:
    return (
        store.registrations(),
        store.submissions(),
        store.leaf_entries(),
        store.latest_checkpoint(),
        store.resolutions(),
        [store.setting(k) for k in ("targets", "timezone", "evening_date", "schema")],
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_any_evening_of_store_calls_gets_the_same_answers_from_both_stores(database, steps):  # noqa: F811
    from booth.recap.pg_store import PgStore

    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS booth_recap CASCADE")
    folder = Path(tempfile.mkdtemp(prefix="booth-recap-diff-"))
    lite, pg = SqliteStore(folder / "recap.sqlite"), PgStore(database)
    try:
        for step in steps:
            assert apply(pg, step) == apply(lite, step), step
            assert state(pg) == state(lite), step
    finally:
        lite.close()
        pg.close()


def test_a_nul_in_free_text_is_kept_as_a_replacement_character_not_an_error(database):  # noqa: F811
    from booth.recap.pg_store import PgStore

    pg = PgStore(database)
    try:
        sub, created = pg.new_submission(
            Submission(
                id=0,
                sha256=SHAS[0],
                kind="bundle",
                source="upload",
                filename="hasil\x00.zip",
                received_at="2025-11-16T09:00:00Z",
                received_by="bu\x00di",
                status="queued",
            )
        )
        assert created and (sub.filename, sub.received_by) == ("hasil\ufffd.zip", "bu\ufffddi")
        pg.add_resolution(Resolution(ELECTIONS[0], SHAS[1], "Hj.\x00Siti", "alasan\x00", "2025-11-16T10:00:00Z"))
        assert pg.resolutions()[0].reason == "alasan\ufffd"
        pg.set_setting("timezone", "Asia/\x00Jakarta")
        assert pg.setting("timezone") == "Asia/\ufffdJakarta"
    finally:
        pg.close()
