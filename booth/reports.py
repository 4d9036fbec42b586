"""The API-to-paper mapping, at its old name: it lives in :mod:`booth.kiosk.printouts`.

Kept so that code written against ``booth.reports`` keeps working; new code
imports ``booth.kiosk.printouts`` (which no longer shares its name with
``booth.paper.reports``, the layouts themselves).
"""

from booth.kiosk.printouts import (
    DEVICE_WORDS,
    custody_slip_image,
    header,
    paper_of,
    results_report_image,
    self_test_image,
    slip_image,
    zero_report_image,
)

__all__ = [
    "DEVICE_WORDS",
    "custody_slip_image",
    "header",
    "paper_of",
    "results_report_image",
    "self_test_image",
    "slip_image",
    "zero_report_image",
]
