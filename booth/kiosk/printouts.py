"""From what the core says to what the printer prints.

The client API returns plain JSON values (they cross the Unix socket); this
module turns them into the ``booth.paper`` layouts.  It runs in the kiosk,
next to the printer, and adds nothing the core did not say.
"""

from __future__ import annotations

import datetime as dt

from booth.companions import ROLES
from booth.ledger.clock import parse_utc_text
from booth.paper import (
    PAPER_58,
    CandidateVotes,
    CustodySlipData,
    CustodyStep,
    DeviceCheck,
    ElectionHeader,
    Persons,
    Reconciliation,
    ResultsReportData,
    SelfTestData,
    Signer,
    SlipData,
    StationBooth,
    StationReportData,
    ZeroReportData,
    render_custody_slip,
    render_results_report,
    render_self_test,
    render_slip,
    render_station_report,
    render_zero_report,
    slip_qr_payload,
    void_slip,
)
from booth.paper.layout import Paper, paper_for_dots

# what the self-test checks, in the order the page lists them
DEVICE_WORDS = {
    "printer": ("Printer", "Printer"),
    "camera": ("Kamera", "Camera"),
    "buttons": ("Tombol", "Buttons"),
    "lights": ("Lampu", "Lights"),
    "buzzer": ("Bunyi", "Buzzer"),
    "clock": ("Jam", "Clock"),
    "power": ("Daya listrik", "Power"),
    "screen": ("Layar sentuh", "Touch screen"),
}


def zone_of(info: dict) -> dt.tzinfo | None:
    """The election's time zone (WIB/WITA/WIT), from its opening time in the election package."""
    return dt.datetime.fromisoformat(info["opens_at"]).tzinfo


def _local(info: dict, utc_text: str) -> dt.datetime:
    """A UTC time from the log, in the election's local time (WIB/WITA/WIT)."""
    return parse_utc_text(utc_text).astimezone(zone_of(info))


def header(info: dict) -> ElectionHeader:
    return ElectionHeader(
        title=info["title"],
        pekon=info["pekon"],
        kecamatan=info["kecamatan"],
        kabupaten=info["kabupaten"],
        tps=info["tps"],
        date=dt.date.fromisoformat(info["date"]),
        opens_at=dt.datetime.fromisoformat(info["opens_at"]),
        closes_at=dt.datetime.fromisoformat(info["closes_at"]),
        election_id=info["election_id"],
        election_short_id=info["short_id"],
        provinsi=info.get("provinsi", ""),
        station_device=tuple(info["station_device"]) if info.get("station_device") else None,
    )


def _ketua(info: dict) -> str:
    return next((c["name"] for c in info["companions"] if c["role"] == "ketua"), "")


def _members(info: dict) -> tuple[Signer, ...]:
    """Every other companion signs too, under the role the form gives them."""
    return tuple(
        Signer(ROLES.get(c["role"], (c["role"],))[0], c["name"]) for c in info["companions"] if c["role"] != "ketua"
    )


def _persons(data: dict, key: str, total: int) -> Persons:
    """L/P from the core's ``by_sex`` (absent from older cores: the total alone)."""
    split = (data.get("by_sex") or {}).get(key)
    return Persons.split(split) if split else Persons(total)


def slip_image(slip: dict):
    """The paper slip of one ballot, from ``BoothService.cast`` / ``reprint_slip``."""
    return render_slip(
        SlipData(
            election_title=slip["election_title"],
            pekon=slip["pekon"],
            tps=slip["tps"],
            election_short_id=slip["election_short_id"],
            ballot_id=slip["ballot_id"],
            candidate_number=slip["candidate_number"],
            candidate_name=slip["candidate_name"] or "",
            qr_payload=slip_qr_payload(slip["election_short_id"], slip["ballot_id"]),
            # how many times this ballot's slip was printed before (0 on the first print): the
            # core says so on a reprint, so the paper reads "CETAK ULANG ke-N"
            reprint=int(slip.get("reprint") or 0),
        )
    )


def void_slip_image(slip: dict):
    """The VOID print for a disputed ballot, from the same slip dict (its choice is not printed)."""
    return void_slip(
        election_short_id=slip["election_short_id"],
        ballot_id=slip["ballot_id"],
        pekon=slip["pekon"],
        tps=slip["tps"],
        election_title=slip.get("election_title") or "",
    )


def zero_report_image(data: dict, copy: int = 1, paper: Paper = PAPER_58):
    """The zero report, from ``BoothService.zero_report``, for ``paper`` (58 or 80 mm)."""
    return render_zero_report(
        ZeroReportData(
            election=header(data),
            device_fingerprint=data["device"],
            candidates=tuple(CandidateVotes(c["number"], c["name"], 0) for c in data["candidates"]),
            ballots_in_store=data["counts"]["ballots_stored"],
            checkpoint=data["checkpoint"],
            qr_payload=data.get("opening"),
            printed_at=_local(data, data["printed_at"]),
            blank_votes=0 if data["allow_blank"] else None,
            ketua_name=_ketua(data),
            copy_number=copy,
            dpt=_persons(data, "dpt", data["counts"]["dpt"]),
            members=_members(data),
        ),
        paper,
    )


def results_report_image(data: dict, copy: int = 1, paper: Paper = PAPER_58):
    """The results report (berita acara), from ``BoothService.results``, for ``paper``."""
    c = data["counts"]
    tally = data["tally"]
    return render_results_report(
        ResultsReportData(
            election=header(data),
            device_fingerprint=data["device"],
            results=tuple(
                CandidateVotes(k["number"], k["name"], tally.get(str(k["number"]), 0)) for k in data["candidates"]
            ),
            reconciliation=Reconciliation(
                dpt=c["dpt"],
                dptb=c["dptb"],
                checked_in=c["checked_in"],
                voted=c["voted"],
                ballots_cast=c["ballots_cast"],
                slips_printed=c["slips_printed"],
                reprints=c["reprints"],
                cancelled_releases=c["cancelled"],
                refused_repeat_voters=c["refused"],
                ballots_stored=c["ballots_stored"],
                releases=c["releases"],
                spoiled=c.get("spoiled", 0),
            ),
            checkpoint=data["checkpoint"],
            qr_payload=data["statement"],
            printed_at=_local(data, data["printed_at"]),
            blank_votes=tally.get("blank") if data["allow_blank"] else None,
            ketua_name=_ketua(data),
            copy_number=copy,
            dpt=_persons(data, "dpt", c["dpt"]),
            dptb=_persons(data, "dptb", c["dptb"]),
            voted=_persons(data, "voted", c["voted"]),
            members=_members(data),
        ),
        paper,
    )


def station_report_image(data: dict, station: dict, copy: int = 1, paper: Paper = PAPER_58):
    """The desk's station results report, from the desk's ``BoothService.results`` (the election,
    its fingerprint and checkpoint) and its ``station_results`` (the station's and each booth's
    figures, and the signed ``document``, printed as its QR text: ``booth.station.results_qr``).

    A booth merged into the total (``station["booths"][n]["tally"]`` is None) prints no tally."""
    from booth.station.results_qr import qr_text

    def votes(tally: dict) -> tuple[CandidateVotes, ...]:
        return tuple(CandidateVotes(k["number"], k["name"], tally.get(str(k["number"]), 0)) for k in data["candidates"])

    signed = _signed_body(station["document"])
    booths = tuple(
        StationBooth(
            number=int(n),
            fingerprint=signed["booths"][str(n)]["fingerprint"],
            issued=row["releases"]["issued"],
            cast=row["releases"]["cast"],
            cancelled=row["releases"]["cancelled"],
            spoils=row["releases"]["spoils"],
            out=row["releases"]["out"],
            after_cancel=row["releases"]["after_cancel"],
            results=None if row["tally"] is None else votes(row["tally"]),
            balanced=row["balanced"],
            replaced=tuple(old["fingerprint"] for old in signed["booths"][str(n)].get("replaced", [])),
        )
        for n, row in sorted(station["booths"].items(), key=lambda item: int(item[0]))
    )
    return render_station_report(
        StationReportData(
            election=header(data),
            desk_fingerprint=data["device"],
            results=votes(station["tally"]),
            booths=booths,
            balanced=station["balanced"],
            qr_payload=qr_text(station["document"]),
            checkpoint=data["checkpoint"],
            printed_at=_local(data, data["printed_at"]),
            ketua_name=_ketua(data),
            copy_number=copy,
            members=_members(data),
        ),
        paper,
    )


def _signed_body(document: str) -> dict:
    from booth.ledger.canonical import parse_canonical

    return parse_canonical(document.encode())["body"]


def paper_of(printer) -> Paper:
    """The paper a printer is loaded with, from the dots it prints across (58 mm if unknown)."""
    return paper_for_dots(getattr(printer, "width_dots", PAPER_58.width))


def custody_slip_image(info: dict, trail: list[dict], checkpoint: str, device: str, printed_at: str):
    names = {c["id"]: c["name"] for c in info["companions"]}
    steps = tuple(
        CustodyStep(
            stage=s["words"][0],
            stage_en=s["words"][1],
            at=_local(info, s["time"]),
            companion_name=names.get(s["actor"], s["actor"]),
            companion_id=s["actor"],
            place=s["place"],
            note=s["note"],
        )
        for s in trail
    )
    return render_custody_slip(
        CustodySlipData(
            device_fingerprint=device,
            steps=steps,
            checkpoint=checkpoint,
            printed_at=_local(info, printed_at),
            election=header(info),
        )
    )


def self_test_image(
    results: dict[str, str],
    device: str,
    printed_at: dt.datetime,
    companion: str = "",
    zone: dt.tzinfo | None = None,
):
    """The self-test page; ``results`` maps a device to "ok" or what failed.

    ``zone`` is the election's time zone (:func:`zone_of`): the page then says
    "07:12 WIB" like every other item.  Before an election package is loaded
    there is none, and the time prints with its UTC offset, never unmarked.
    """
    if zone is not None:
        printed_at = printed_at.astimezone(zone)
    checks = tuple(
        DeviceCheck(DEVICE_WORDS.get(k, (k, k))[0], DEVICE_WORDS.get(k, (k, k))[1], v == "ok", "" if v == "ok" else v)
        for k, v in results.items()
    )
    from booth import __version__

    return render_self_test(
        SelfTestData(
            device_fingerprint=device,
            checks=checks,
            printed_at=printed_at,
            software_version=__version__,
            companion_name=companion,
        )
    )
