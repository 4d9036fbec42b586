"""The public results pages, read-only and without a sign-in: ``/publik/...``.

Counts, roots and checkpoints only — never a ballot, a cast vote record, a
file name or a committee member's name.  Each page's JSON twin is built from
the same plain dictionaries (``public_area`` / ``public_place_row``), and a
witness's app reads ``GET /publik/pemilihan/{election_id}.json`` (CORS ``*``):
the facade's ``public_place`` view, as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from booth.recap.api import Area, Place
from booth.recap.web.pages import (
    MAX_CHARTS_PER_PAGE,
    candidate_rows,
    contest_chart,
    find_area,
    places_in,
    strip_json,
)
from booth.recap.web.rendering import Page

CORS = {"access-control-allow-origin": "*", "cache-control": "no-cache"}


def public_area(a: Area) -> dict[str, Any]:
    return {
        "level": a.level,
        "name": a.name,
        "path": list(a.path),
        "places": a.places,
        "states": dict(a.states),
        "counted": a.counted,
        "dpt": a.dpt,
        "dptb": a.dptb,
        "voters": a.voted,
        "valid": a.valid,
        "verified_valid": a.verified_valid,
        "turnout": a.turnout,
        "tally": dict(a.tally) if a.tally is not None else None,
        "verified_tally": dict(a.verified_tally) if a.verified_tally is not None else None,
        "candidates": [{"number": c.number, "name": c.name} for c in a.candidates],
        "children": [public_area(c) for c in a.children],
    }


def public_place_row(p: Place) -> dict[str, Any]:
    r, reg = p.result, p.registration
    return {
        "election_id": p.election_id,
        "kabupaten": reg.kabupaten,
        "kecamatan": reg.kecamatan,
        "pekon": reg.pekon,
        "tps": reg.tps,
        "label": reg.place_label,
        "state": p.state,
        "dpt": reg.dpt,
        "dptb": p.dptb,
        "voters": r.voted if r else None,
        "valid": r.total if r else None,
        "tally": dict(r.tally) if r else None,
        "balanced": r.balanced if r else None,
        "log_size": r.log_size if r else None,
        "log_root": r.log_root if r else None,
        "received_at": p.first_counted_at,
        "results_in_conflict": len(p.results) if p.state == "conflict" else 0,
    }


def routes(web: Any, *, public_view: Callable[..., Any]) -> list[Route]:
    recap = web.recap

    def overview(request: Request) -> Page:
        totals = recap.totals()
        pekons = [a for kab in totals.areas for kec in kab.children for a in kec.children]
        charts = {a.path: contest_chart(a) for a in pekons} if len(pekons) <= MAX_CHARTS_PER_PAGE else {}
        return Page(
            "public.html",
            {
                "areas": [public_area(a) for a in totals.areas],
                "generated_at": totals.generated_at,
                "recap_key": recap.verifier_key(),
                "checkpoint": recap.checkpoint(),
            },
            extra={"charts": {"/".join(k): v for k, v in charts.items()}},
            title="Hasil publik",
            nav="/publik/",
            headers=dict(CORS),
        )

    def pekon(request: Request) -> Page:
        params = request.path_params
        path = (params["kabupaten"], params["kecamatan"], strip_json(params["pekon"]))
        totals = recap.totals()
        area = find_area(totals, path)
        if area is None:
            return Page(
                "message.html",
                {"error": "Wilayah tidak dikenal / unknown area: " + " / ".join(path)},
                title="Tidak ditemukan",
                status=404,
            )
        places = [public_place_row(p) for p in places_in(totals, path)]
        return Page(
            "public_pekon.html",
            {"area": public_area(area), "places": places},
            extra={
                "chart": contest_chart(area),
                "rows": list(
                    zip(candidate_rows(area, area.tally), candidate_rows(area, area.verified_tally), strict=False)
                ),
            },
            title=area.name,
            nav="/publik/",
            headers=dict(CORS),
        )

    def place(request: Request) -> Page:
        view = recap.public_place(strip_json(request.path_params["election_id"]))
        if view is None:
            return Page(
                "message.html",
                {"error": "TPS tidak dikenal / unknown polling place"},
                title="Tidak ditemukan",
                status=404,
            )
        return Page(
            "public_place.html",
            view,
            title=f"TPS {view['tps']:02d} {view['pekon']}",
            nav="/publik/",
            headers=dict(CORS),
        )

    async def place_json(request: Request) -> Response:
        election_id = request.path_params["election_id"]
        view = None
        if len(election_id) == 64 and all(c in "0123456789abcdef" for c in election_id):
            view = await run_in_threadpool(recap.public_place, election_id)
        if view is None:
            return JSONResponse(
                {"error": "TPS tidak dikenal / unknown polling place", "election_id": election_id[:80]},
                status_code=404,
                headers=CORS,
            )
        return JSONResponse(view, headers=CORS)

    async def preflight(request: Request) -> Response:
        return Response(
            status_code=204, headers={**CORS, "access-control-allow-methods": "GET", "access-control-max-age": "86400"}
        )

    v = public_view
    return [
        Route("/publik", v(overview), methods=["GET"]),
        Route("/publik/", v(overview), methods=["GET"]),
        Route("/publik/index.json", v(overview), methods=["GET"]),
        Route("/publik.json", v(overview), methods=["GET"]),
        Route("/publik/pemilihan/{election_id}.json", place_json, methods=["GET"]),
        Route("/publik/pemilihan/{election_id}.json", preflight, methods=["OPTIONS"]),
        Route("/publik/tps/{election_id}", v(place), methods=["GET"]),
        Route("/publik/wilayah/{kabupaten}/{kecamatan}/{pekon}", v(pekon), methods=["GET"]),
    ]
