"""The committee's web pages over the PostgreSQL store: the same pages, the same answers.

The web tests that go through the store (upload, a polling place's receipt, a conflict resolved,
the missing places, the public pages) run here again with the recap on PostgreSQL (a fresh
database per test, verification inline); pytest collects the imported functions in this module,
where ``recap`` is the PostgreSQL one.  Skipped, saying so, without PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest

from booth.recap.start import open_recap
from booth.recap.web.users import UserBook
from test_recap_pg import database, pg_server  # noqa: F401  (fixtures)
from test_recap_web_pages import (  # noqa: F401  (fixtures and tests collected again here)
    PASSWORD,
    Clock,
    client,
    evening,
    test_a_conflict_is_shown_not_summed_and_resolved_with_a_name_and_a_reason,
    test_a_kecamatan_uploads_its_bundles_at_once_and_sees_each_outcome,
    test_a_polling_place_shows_its_submissions_and_a_receipt_the_cli_accepts,
    test_missing_polling_places_and_refused_submissions_are_listed_with_reasons,
    test_results_by_area_down_to_the_pekon_show_verified_and_provisional_apart,
    test_the_public_pages_show_counts_and_roots_to_anyone_and_never_a_ballot,
)

pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")


@pytest.fixture()
def recap(evening, database, tmp_path):  # noqa: F811  (the web tests' `recap`, on PostgreSQL)
    r = open_recap(
        tmp_path / "recap", database=database, workers=0, clock=Clock(dt.datetime(2025, 11, 16, 9, 30, tzinfo=dt.UTC))
    )
    r.import_registry(evening["registry"], by="ketua")
    UserBook(tmp_path / "recap").add("ani", PASSWORD)
    yield r
    r.close()
