"""Everything booth prints, laid out once as a 1-bit image 384 dots wide.

The printer prints these images as raster; the simulator shows the same
images on its virtual tape, so what witnesses see on screen is what prints.

* :mod:`booth.paper.layout`  — the toolkit: text, rules, tables, bars, QR codes
* :mod:`booth.paper.slip`    — the paper slip (struk audit), one per ballot
* :mod:`booth.paper.reports` — zero report, results report, custody slip, self-test page
* :mod:`booth_dev.paper_examples` — example data; ``python3 -m booth_dev.paper_examples OUT_DIR``

>>> from booth.paper import render_slip, SlipData
>>> image = render_slip(SlipData(
...     election_title="Pemilihan Kepala Pekon Sukamaju 2025", pekon="Sukamaju", tps=1,
...     election_short_id="7F3A-91C2-0B4E", ballot_id="9f2c41d07be3a5586c0e1f2a3b4c5d6e",
...     candidate_number=1, candidate_name="SUPRIYADI"))
>>> image.size[0], image.mode
(384, '1')
"""

from booth.paper.layout import PAPER_58, PAPER_80, PAPERS, WIDTH, Paper, QrTooLong, paper, to_png
from booth.paper.reports import (
    CandidateVotes,
    Check,
    CustodySlipData,
    CustodyStep,
    DeviceCheck,
    ElectionHeader,
    Persons,
    Reconciliation,
    ResultsReportData,
    SelfTestData,
    Signer,
    StationBooth,
    StationReportData,
    ZeroReportData,
    checkpoint_fields,
    reconcile,
    render_custody_slip,
    render_results_report,
    render_self_test,
    render_station_report,
    render_zero_report,
)
from booth.paper.slip import (
    SlipData,
    render_slip,
    short_ballot_id,
    slip_qr_payload,
    void_qr_payload,
    void_slip,
    voters_per_roll,
)

__all__ = [
    "WIDTH",
    "QrTooLong",
    "to_png",
    "Paper",
    "PAPER_58",
    "PAPER_80",
    "PAPERS",
    "paper",
    "SlipData",
    "render_slip",
    "short_ballot_id",
    "slip_qr_payload",
    "void_slip",
    "void_qr_payload",
    "voters_per_roll",
    "ElectionHeader",
    "Persons",
    "Signer",
    "CandidateVotes",
    "ZeroReportData",
    "render_zero_report",
    "Reconciliation",
    "Check",
    "reconcile",
    "ResultsReportData",
    "render_results_report",
    "StationBooth",
    "StationReportData",
    "render_station_report",
    "CustodyStep",
    "CustodySlipData",
    "render_custody_slip",
    "DeviceCheck",
    "SelfTestData",
    "render_self_test",
    "checkpoint_fields",
]
