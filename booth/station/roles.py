"""What a device is at its polling station: ``single``, ``desk`` or ``booth``, chosen once at provisioning.

* ``single`` — today's all-in-one device of a village with one booth: check-in, ballot, slip and
  photo on one device.  The default; nothing about it changes.
* ``desk`` — the companions' check-in desk (meja pendaftaran): the DPT and the DPTb, verification
  with the earlier photo, releases to the booths, the photo instead of ink as the voter leaves.
  It holds **no ballot**: no ballot slots, no cast, no slip.
* ``booth`` — the voter's booth (bilik suara): ballot, confirmation, slip.  It holds **no voter
  roll and no photo**: its copy of the election package leaves out ``dpt.csv``, it has no photo
  vault, and it opens a ballot only for a release token signed by its own station's desk.

The role is the ledger's ``device.role`` event, appended right after ``ledger.created`` by
``BoothService.provision(role=...)``; a ``single`` device writes none (its log is exactly as
before).  ``booth.day.Day.role`` replays it.  :data:`NOT_FOR_ROLE` is the one table the service's
guard reads (``Device._check_role``): the acts each role refuses, and the refusal it gives.

>>> role_words("booth")
('Bilik suara', 'Voting booth')
>>> NOT_FOR_ROLE["booth"]["check_in"]
'role_booth_no_voters'
"""

from __future__ import annotations

SINGLE = "single"
DESK = "desk"
BOOTH = "booth"

#: role -> (Bahasa Indonesia, English), as screens and paper name it.
ROLES: dict[str, tuple[str, str]] = {
    SINGLE: ("Perangkat tunggal (daftar dan bilik)", "Single device (check-in and booth)"),
    DESK: ("Meja pendaftaran", "Check-in desk"),
    BOOTH: ("Bilik suara", "Voting booth"),
}

_VOTERS = "role_booth_no_voters"
_BALLOTS = "role_desk_no_ballots"
_STATION = "role_not_in_station"
_DESK_ONLY = "role_desk_only"
_BOOTH_ONLY = "role_booth_only"

#: The station's own acts (booth.service.station), each for one role only.
DESK_ACTS = (
    "pair_booth",
    "issue_release",
    "release_returned",
    "cancel_station_release",
    "station_photo",
    "station_skip_photo",
    "station_results",
    "closing_received",
    "export_station",
)
BOOTH_ACTS = ("pair_desk", "accept_release", "release_outcome", "release_revoked", "roster_accept")

#: Acts of both a desk and a booth.
STATION_ACTS = ("pairing_code", "checkpoint_offer", "watch_peer", "peers_seen", "station_outbox", "station_peers")

#: role -> {act (a BoothService method) -> refusal reason (booth.refusals.REFUSALS)}.
NOT_FOR_ROLE: dict[str, dict[str, str]] = {
    SINGLE: {act: _STATION for act in DESK_ACTS + BOOTH_ACTS + STATION_ACTS},
    DESK: {
        **{act: _BALLOTS for act in ("release_ballot", "cast", "reprint_slip", "spoil_ballot", "escalate_dispute")},
        **{act: _BALLOTS for act in ("slip_printed", "slip_failed", "slip_confirmed", "slip_disputed")},
        **{act: _BALLOTS for act in ("store_photo", "photo_failed", "skip_photo", "cancel_release", "expire_release")},
        **{act: _BOOTH_ONLY for act in BOOTH_ACTS},
    },
    BOOTH: {
        **{act: _VOTERS for act in ("search_voters", "check_in", "add_dptb", "view_photo", "release_ballot")},
        **{act: _VOTERS for act in ("store_photo", "photo_failed", "skip_photo")},
        **{act: _DESK_ONLY for act in DESK_ACTS},
    },
}


def role_words(role: str) -> tuple[str, str]:
    """The role's name on screen and paper, Indonesian first."""
    return ROLES[role]


def refusal_for(role: str, act: str) -> str | None:
    """The refusal reason when a device of ``role`` is asked to do ``act``; None when it may."""
    return NOT_FOR_ROLE[role].get(act)
