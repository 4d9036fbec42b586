"""The booth's one client API: every rule of the election day, behind one guard.

The kiosk and the simulator talk to the core only through :class:`BoothService`
(in-process here; on the appliance the ``booth-ledger`` service serves the same
methods over a Unix socket).  Arguments and results are plain JSON-friendly
values, so the socket layer is a thin mapping.  The ledger service never
touches the screen, the printer or the camera: the kiosk prints what
``cast`` and the report methods return, and tells the core what happened.

Who may call what:

* the voter's side of the kiosk (no PIN): ``voter_screen``, ``cast``,
  ``slip_printed``, ``slip_failed``, ``store_photo``, ``photo_failed``,
  ``expire_release`` — each only within a release a companion made;
* companions, after ``sign_in`` with their PIN: everything else, as the role
  table in ``booth.companions.PERMISSIONS`` allows, each logged with their ID;
* the committee: ``load_election`` (the package carries its signature) and
  ``committee_reset`` (a reset file signed with the committee key);
* at a polling station of a desk and booths (``booth.station``, ``docs/station.md``), the other
  device, through bytes signed with its pinned key: ``accept_release``, ``release_revoked`` at a
  booth, ``release_returned`` at the desk.  What each role refuses is one table,
  ``booth.station.roles.NOT_FOR_ROLE``.

Every refusal is a ``booth.errors.BoothError`` with Indonesian and English
words from one table (``booth.refusals.REFUSALS``), and changes nothing.

The acts live in rooms named from the day, each a module of this package:

=====================  ===========================================================
``device``             the state directory, the log, the clock, the one guard
``setup``              the committee's package and key (at the warehouse)
``signin``             companions' PINs, signing in and out, the lockout reset
``custody``            received, distributed, handed over, installed; the trail
``polling``            zero report, opening, pauses, power, closing (``booth.polls`` is the table)
``checkin``            finding and verifying voters, the DPTb, the earlier photo
``voter_session``      release -> cast -> slip -> photo instead of ink
``counting``           count, results report, export bundle, packing, verify
``station``            a polling station's desk and booths: pairing, releases, outcomes
=====================  ===========================================================
"""

from __future__ import annotations

from pathlib import Path

from booth import polls
from booth.ledger.clock import SystemClock, utc_text
from booth.ledger.keys import short_fingerprint
from booth.ledger.ledger import Ledger
from booth.service.checkin import CheckIn
from booth.service.counting import Counting
from booth.service.device import ELECTION_DIR, PRECONDITIONS, VAULT_NAME, Session, Settings
from booth.service.polling import Polling
from booth.service.setup import Setup
from booth.service.signin import SignIn
from booth.service.station import Station
from booth.service.voter_session import VoterSession
from booth.station import roles

__all__ = ["ELECTION_DIR", "PRECONDITIONS", "VAULT_NAME", "BoothService", "Session", "Settings"]


class BoothService(Setup, SignIn, Polling, CheckIn, VoterSession, Counting, Station):
    """The ledger service's API for one device (one state directory)."""

    @classmethod
    def provision(
        cls,
        state_dir: Path,
        *,
        clock=None,
        settings: Settings | None = None,
        rng=None,
        device_key=None,
        role: str = roles.SINGLE,
    ) -> BoothService:
        """A new device: key, empty ledger (``rng``, ``device_key``: see ``Ledger.create``).

        ``role``: ``"single"`` (the all-in-one device, the default), or the ``"desk"`` or a
        ``"booth"`` of a polling station (``booth.station.roles``), recorded in the first event.
        """
        if role not in roles.ROLES:
            raise ValueError(f"role must be one of {', '.join(roles.ROLES)}, not {role!r}")
        return cls(
            Ledger.create(
                Path(state_dir),
                clock=clock or SystemClock(),
                rng=rng,
                device_key=device_key,
                role=None if role == roles.SINGLE else role,
            ),
            settings=settings,
        )

    @classmethod
    def open(cls, state_dir: Path, *, clock=None, settings: Settings | None = None) -> BoothService:
        """Start on an existing device: replay the log and resume where the day was."""
        return cls(Ledger.open(Path(state_dir), clock=clock or SystemClock()), settings=settings)

    def status(self) -> dict:
        """What the companion's home screen shows."""
        d = self.day
        pkg = self.package
        return {
            "polls": d.polls,
            "polls_words": polls.STATE_WORDS[d.polls],
            "device": short_fingerprint(self.ledger.key.fingerprint),
            "role": d.role,
            "role_words": roles.role_words(d.role),
            "election_id": d.election_id,
            "election_short_id": pkg.short_id if pkg else None,
            "election_title": pkg.election.title if pkg else None,
            "custody_done": d.custody_done,
            "custody_next": polls.next_custody_stage(d.custody_done),
            "zero_report_printed": d.zero_report_printed,
            "counts": self.counts(),
            "voter_screen": self.voter_screen(),
            "empty_slots": self.ledger.empty_slots,
            "sealed": self.ledger.sealed,
            "log_size": self.ledger.size,
            "time": utc_text(self._now()),
            **({"booths": self._booths_status(), "photos_due": self._photos_due()} if d.role == roles.DESK else {}),
        }

    def _photos_due(self) -> list[dict]:
        """At a desk: the releases whose booth said "cast" and whose voter has no photo yet (no names:
        the companion sees the person coming back from booth N)."""
        due = [r for r in self.day.issued.values() if r.state == "cast" and not r.photo_done]
        return [{"release": r.id, "booth": r.booth} for r in due]

    def _booths_status(self) -> dict:
        """At a desk: each paired booth, free or busy (a release out to it, until when), its closing received or not."""
        out = {}
        for number, paired in sorted(self.day.booths.items()):
            busy = next((r for r in self.day.issued.values() if r.booth == number and r.state == "out"), None)
            out[str(number)] = {
                "device": short_fingerprint(paired["fingerprint"]),
                "state": "busy" if busy else "free",
                "release": busy.id if busy else None,
                "release_expires": busy.expires if busy else None,
                # its closing over the link (closing_received): every device paired as this booth
                "closing": "received"
                if all(d["fingerprint"] in self.day.closings for d in [*paired.get("replaced", []), paired])
                else "waiting",
            }
        return out
