"""The kiosk's hands, at their old name: the station lives in :mod:`booth.kiosk.station`.

Kept so that code written against ``booth.station`` keeps working; new code
imports ``booth.kiosk.station``.
"""

from booth.kiosk.station import Outcome, Printout, Station

__all__ = ["Outcome", "Printout", "Station"]
