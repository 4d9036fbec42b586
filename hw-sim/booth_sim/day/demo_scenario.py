"""The built-in demo day: the demo election (Pekon Sukamaju) with everything that goes wrong in the field.

>>> day = demo_scenario()                    # a scenario dict, format booth-scenario-v1
>>> sum(1 for s in day["steps"] if s["step"] == "voter") > 280
True

About 94 % of the DPT come to vote, plus a few people added to the DPTb; on
the way a companion mistypes a PIN, a voter walks away and comes back later,
another leaves the ballot idle until it expires, one comes back after voting
and is refused (the companion sees the earlier photo), the paper runs out in
the middle of a slip and is reprinted, the printer jams, the camera fails
(once: retaken; three times: skipped), the power goes off for a quarter of an
hour (the booth pauses and resumes), and the booth crashes between recording
a vote and printing its slip (after the restart the slip is reprinted, never
a second vote).  Then close, count, two copies of the results, export, pack.

The choices come from a ``random.Random(seed)``: fictional voters, fictional
choices; nothing secret is drawn from it.  ``booth demo --write-scenario
FILE`` writes this scenario to a file to edit and run with ``booth sim``.
"""

from __future__ import annotations

import datetime as dt
import random

from booth_sim.day.scenario import FORMAT

# PINs the demo companions make at the handover (PT-01 ketua, PT-02 and PT-03 teknisi)
DEMO_PINS = {"PT-01": "250101", "PT-02": "250202", "PT-03": "250303"}
PLACE = "Balai Pekon Sukamaju, Kecamatan Pagelaran"
MIN_VOTERS, MAX_VOTERS = 30, 2000

# DPTb voters: people missing from the DPT who show their e-KTP (NIKs fit their birth date and sex)
DPTB = [
    {
        "nik": "1810052203010007",
        "name": "RIKI ARDIANSYAH",
        "sex": "L",
        "birth_date": "2001-03-22",
        "address": "Dusun Sidodadi",
        "rt": "002",
        "rw": "001",
        "reason": "pindah domisili, belum masuk DPT / moved here, not yet on the DPT",
    },
    {
        "nik": "1810055111080002",
        "name": "NADIA PUSPITASARI",
        "sex": "P",
        "birth_date": "2008-11-11",
        "address": "Dusun Sukamaju I",
        "rt": "001",
        "rw": "001",
        "reason": "genap 17 tahun, belum terdaftar / just turned 17, not listed",
    },
    {
        "nik": "1810011506800011",
        "name": "SUMARNO",
        "sex": "L",
        "birth_date": "1980-06-15",
        "address": "Dusun Karang Anyar",
        "rt": "004",
        "rw": "002",
        "reason": "tidak ditemukan di DPT, KTP sah / missing from the DPT, valid KTP",
    },
    {
        "nik": "1810054902650004",
        "name": "PAINAH",
        "sex": "P",
        "birth_date": "1965-02-09",
        "address": "Dusun Sukamaju II",
        "rt": "003",
        "rw": "002",
        "reason": "nama salah ketik di DPT / name mistyped in the DPT",
    },
]


def demo_scenario(voters: int = 300, seed: int = 2025) -> dict:
    """The demo day for a demo election of ``voters`` DPT entries (30 to 2000)."""
    if not MIN_VOTERS <= voters <= MAX_VOTERS:
        raise ValueError(f"the demo day needs {MIN_VOTERS} to {MAX_VOTERS} voters on the DPT")
    rng = random.Random(seed)
    day = dt.date(2025, 11, 16)  # booth.demo_election.DEMO_DATE
    # Who comes, in arrival order: most of the DPT, shuffled, plus the DPTb people.
    come = [f"DPT-{n:04d}" for n in range(1, voters + 1) if rng.random() < 0.94]
    rng.shuffle(come)
    weights = (0.41, 0.34, 0.25)  # how the fictional pekon leans, for a readable chart

    def choice() -> int:
        return rng.choices((1, 2, 3), weights)[0]

    def at(fraction: float) -> int:
        return int(len(come) * fraction)

    # Events by arrival position; each fires just before or with that voter.
    before: dict[int, list[dict]] = {
        at(0.06): [{"step": "camera_failure", "times": 1}],
        at(0.30): [{"step": "wrong_pin", "companion": "PT-02", "times": 1}],
        at(0.45): [{"step": "paper_out", "after_mm": 40}],
        at(0.55): [{"step": "power_cut", "minutes": 15}],
        at(0.70): [{"step": "crash", "at": "after_cast"}],
        at(0.85): [{"step": "paper_jam"}],
    }
    dptb_at = {at(f): p for f, p in zip((0.12, 0.38, 0.62, 0.9), DPTB, strict=False)}
    walker, idler, returner, by_name, skipper = come[at(0.10)], come[at(0.20)], come[at(0.35)], come[4], come[at(0.5)]
    disputer = come[at(0.25)]
    steps: list[dict] = [
        {
            "step": "custody",
            "stage": "received",
            "by": "PT-02",
            "place": "Kantor Kecamatan Pagelaran",
            "note": "segel utuh, 1 printer, 2 gulungan kertas / seal intact, 1 printer, 2 paper rolls",
        },
        {
            "step": "custody",
            "stage": "distributed",
            "by": "PT-02",
            "place": "Kantor Kecamatan Pagelaran",
            "note": "dibawa ke Pekon Sukamaju / taken to Pekon Sukamaju",
        },
        {
            "step": "custody",
            "stage": "handed_over",
            "by": "PT-01",
            "place": PLACE,
            "note": "diterima ketua KPPS / received by the coordinator",
        },
        {"step": "wrong_pin", "companion": "PT-03", "times": 2},
        {"step": "self_test", "by": "PT-02"},
        {"step": "custody", "stage": "installed", "by": "PT-02", "place": PLACE, "note": "bilik suara 1"},
        {"step": "zero_report", "by": "PT-01"},
        {"step": "time", "at": f"{day.isoformat()}T07:00:00+07:00"},
        {"step": "open", "by": "PT-01"},
    ]
    walked_back = False
    for position, ref in enumerate(come):
        steps.extend(before.get(position, []))
        if position in dptb_at:
            steps.append({"step": "voter", "dptb": dptb_at[position], "choice": choice()})
        voter: dict = {"step": "voter", "ref": ref}
        if ref == walker:
            voter["walks_away"] = True
        elif ref == idler:
            voter["idle"] = True
        else:
            voter["choice"] = choice()
        if ref == by_name:
            voter["find"] = "name"
        if ref == returner:
            voter["repeat_visit"] = True
        if ref == skipper:
            voter["photo_fails"] = 3
        if (
            ref == disputer and "choice" in voter
        ):  # the slip shows another candidate than the voter meant: disputed, spoiled
            voter["disputed"] = [str(voter["choice"] % 3 + 1)]
        steps.append(voter)
        if position == at(0.16) and not walked_back:  # the voter who walked away comes back to vote
            steps.append({"step": "voter", "ref": walker, "find": "name", "choice": choice()})
            walked_back = True
    # the polls are open 07:00-13:00; leave half an hour for the power cut and the rest
    per_voter = max(10, min(60, (6 * 3600 - 1800) // (len(come) + len(DPTB) + 2)))
    steps += [
        {"step": "time", "at": f"{day.isoformat()}T13:00:00+07:00"},
        {"step": "close", "by": "PT-01"},
        {"step": "count", "by": "PT-01"},
        {"step": "results", "copies": 2, "by": "PT-01"},
        {"step": "export", "by": "PT-02"},
        {"step": "pack", "by": "PT-01"},
    ]
    tally = {"1": 0, "2": 0, "3": 0}
    for s in steps:
        if s["step"] == "voter" and "choice" in s:
            tally[str(s["choice"])] += 1
    return {
        "format": FORMAT,
        "title": "Demo: Pilkakon Pekon Sukamaju (fiktif / fictional)",
        "election": {"demo": {"voters": voters, "seed": seed}},
        "clock": {
            "start": f"{(day - dt.timedelta(days=2)).isoformat()}T08:00:00+07:00",
            "seconds_per_voter": per_voter,
        },
        "pins": dict(DEMO_PINS),
        "desk": "PT-01",
        "technician": "PT-02",
        "steps": steps,
        "expect": {
            "tally": tally,
            "refusals": 1,
            "dptb": len(DPTB),
            "cancelled": 2,
            "photos_skipped": 1,
            "spoiled": 1,
            "reconciliation_balanced": True,
            "polls": "packed",
            "verify": True,
            # paper_out is left out: how often a roll runs out also depends on the slip's length
            "faults": {
                "paper_jam": 1,
                "crash": 1,
                "power_cut": 1,
                "walks_away": 1,
                "idle": 1,
                "repeat_visit": 1,
                "dispute": 1,
                "wrong_pin": 3,
                "camera_failure": 4,
            },
        },
    }
