"""The relay: what a device's link delivers goes into its ledger, what its ledger signs goes onto its link.

On each device of a station two processes hold the two halves, and neither can do the other's
job: the ledger service owns the device key and is never on the network; the link process is on
the network and holds no device key.  The relay is a client of both Unix sockets (the ledger's
``BoothClient`` and the link's ``LinkClient``) and holds nothing of its own: every message it
carries was signed by one ledger and is checked by the other.  It runs as a thread of the kiosk
(or any process allowed on both sockets)::

    relay = Relay(BoothClient("/run/booth/api.sock"), LinkClient("/run/booth-link/control.sock"), "desk")
    release = ledger.issue_release(token, "DPT-0007", 2)
    relay.send_release(release)              # onto booth 2's outbox, on disk before this returns
    relay.pump(wait=1)                       # booth 2's outcome -> release_returned at the desk

What arrives, by kind of message (``take`` hands each out until the next ``take`` confirms it):

* at the desk, ``outcome`` from a booth -> ``release_returned`` (the voter has voted, or not);
  ``closing`` (the booth's signed results statement, sent once it has counted) -> ``closing_received``;
* on any device, ``watch.ask`` -> ``checkpoint_offer`` sent back as ``watch.offer``, and
  ``watch.offer`` -> ``watch_peer``: cosigned and recorded, or a rolled-back or replaced peer's
  alarm logged and refused with its finding (booth.station.watch);
* booth <-> booth through the desk: a booth's ``via.watch.ask`` / ``via.watch.offer`` (payload
  ``"bilik-M\n"`` + the ask or offer) is forwarded by the desk's relay to booth M with the sender's
  label in its place, never into the desk's ledger; the booth answers it as above.  The desk
  cannot forge what it carries: an offer is a checkpoint signed by the booth's key, judged against
  the key in the desk's signed roster (``roster`` -> ``roster_accept``, booth.station.roster);
* at a booth, ``release`` -> ``accept_release`` (the booth says ``busy`` on its link), then the
  kiosk's ballot; ``cancel`` -> ``release_revoked``; a cancel of a release this booth already
  used is answered with that release's outcome, so the desk hears the cast after all.

**Killed at any instant** (kill -9 of the relay, the ledger or the link): a message the ledger
has not answered is not confirmed, so it is handed out again; the ledger's acts are each
idempotent or refuse a second time with a reason (a release is accepted once, an outcome
returned twice changes nothing, a revoke twice is one revoke).  So nothing is lost and nothing
is done twice.  A refusal (a forged, stale or replayed token, a release for another booth) is a
final answer: it is confirmed, counted in :attr:`Relay.refused` with its words, and logged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from booth.errors import BoothError

log = logging.getLogger("booth.station.relay")

DESK_LABEL = "meja"
VIA = ("via.watch.ask", "via.watch.offer")  # booth <-> booth, carried by the desk
_BOOTH_LABEL = re.compile(r"bilik-[1-6]")
OUTBOX_BATCH = 50  # booth.service.station.OUTBOX_LIMIT: a full answer means ask again


def booth_label(number: int) -> str:
    """The link's name of booth ``number`` (its ``[peers.bilik-N]`` in the desk's link.toml)."""
    return f"bilik-{number}"


@dataclass
class Relay:
    """Carries one device's station messages between its ledger client and its link client."""

    ledger: Any  # booth.api.client.BoothClient (or a BoothService in-process)
    link: Any  # booth.station.link.LinkClient
    role: str  # "desk" or "booth"
    refused: list[dict] = field(default_factory=list)  # what the ledger refused, with its reason
    done: list[dict] = field(default_factory=list)  # what the ledger accepted
    # A roster that came before this booth's own pairing was logged (the desk pairs first and
    # sends it at once): kept, the latest only, and offered again on every sync_outbox until the
    # booth is paired, since the desk sends a roster only when a pairing changes it.
    early_roster: bytes | None = None

    # --- what the kiosk hands over
    def send_release(self, release: dict) -> int:
        """At the desk: queue ``issue_release``'s token for its booth (on disk when this returns)."""
        return int(self.link.send(booth_label(release["booth"]), "release", release["token"]))

    def send_cancel(self, cancelled: dict) -> int:
        """At the desk: queue ``cancel_station_release``'s notice for its booth."""
        return int(self.link.send(booth_label(cancelled["booth"]), "cancel", cancelled["notice"]))

    def send_outcome(self, release_id: str) -> int:
        """At a booth, the voter done (cast and slip checked, or cancelled): the signed outcome for the desk."""
        message = self.link.send(DESK_LABEL, "outcome", self.ledger.release_outcome(release_id))
        self.link.set_state("free")
        return int(message)

    def ask_checkpoint(self, peer: str) -> int:
        """Ask ``peer`` (``meja``, ``bilik-2``) for its checkpoint since the size this device saw last.

        Its offer comes back as ``watch.offer`` and :meth:`pump` has it judged, cosigned and
        recorded by this device's ledger (``watch_peer``), or the alarm logged.
        """
        since = int(self.ledger.peers_seen().get(peer, {}).get("size", 0))
        if self.role == "booth" and peer != DESK_LABEL:  # a sibling booth: through the desk
            return int(self.link.send(DESK_LABEL, "via.watch.ask", f"{peer}\n{since}".encode()))
        return int(self.link.send(peer, "watch.ask", str(since).encode()))

    def sync_outbox(self, after: int = 0) -> int:
        """Put on the link what this device's ledger says must go out after log index ``after``.

        Each item goes with ``ref = "<kind>:<log index>"``, so a send the link already queued is a
        no-op: after a restart (kill -9 between two sends) the relay simply starts again from 0.
        Returns the last log index sent (the caller may keep it in memory as its cursor).
        """
        if self.early_roster is not None:
            self._retry_early_roster()
        while True:
            items = self.ledger.station_outbox(after)
            for item in items:
                self.link.send(item["to"], item["kind"], item["payload"], ref=item["ref"])
                after = int(item["index"])
            if len(items) < OUTBOX_BATCH:
                if items and items[-1]["kind"] == "outcome" and self.role == "booth":
                    self.link.set_state("free")  # the voter is done: the desk may release the next
                return after

    def _retry_early_roster(self) -> None:
        try:
            result = self.ledger.roster_accept(self.early_roster)
        except BoothError as exc:
            if _unavailable(exc) or _not_paired_yet(exc):
                return  # later: the ledger is back, or the booth is paired
            log.warning("ledger refused the roster kept from before pairing: %s", exc.message_en)
            self.refused.append({"kind": "roster", "from": DESK_LABEL, "refused": exc.message_en, "id": exc.message_id})
        else:
            self.done.append({"kind": "roster", "from": DESK_LABEL, "result": result})
        self.early_roster = None

    # --- what the link delivers
    def pump(self, wait: int = 0) -> dict | None:
        """Take one message from the link and give it to the ledger; what happened, or None if none came.

        A ledger that does not answer (restarting) leaves the message unconfirmed: the next pump
        takes it again.
        """
        message = self.link.take(wait=wait)
        if message is None:
            return None
        try:
            result = self._deliver(message)
        except BoothError as exc:
            if _unavailable(exc):
                self.link.unconfirmed = None  # not dealt with: handed out again on the next take
                raise
            outcome = {
                "kind": message["kind"],
                "from": message["from"],
                "refused": exc.message_en,
                "id": exc.message_id,
            }
            log.warning("ledger refused %s from %s: %s", message["kind"], message["from"], exc.message_en)
            if message["kind"] == "roster" and _not_paired_yet(exc):
                self.early_roster = message["payload"]
            self.refused.append(outcome)
            return outcome
        outcome = {"kind": message["kind"], "from": message["from"], "result": result}
        self.done.append(outcome)
        return outcome

    def _deliver(self, message: dict) -> Any:
        kind, payload = message["kind"], message["payload"]
        if kind in VIA:
            return self._via(message)
        if self.role == "booth" and kind == "roster":
            return self.ledger.roster_accept(payload)
        if kind == "watch.ask":  # a peer asks for this device's checkpoint
            since = int(payload) if payload.isdigit() and len(payload) <= 10 else 0
            offer = self.ledger.checkpoint_offer(since)
            return {"offered": int(self.link.send(message["from"], "watch.offer", offer))}
        if kind == "watch.offer":  # the peer's checkpoint: judged and cosigned by this device's ledger
            return self.ledger.watch_peer(message["from"], payload)
        if self.role == "desk" and kind == "outcome":
            return self.ledger.release_returned(payload)
        if self.role == "desk" and kind == "closing":  # a booth's signed results statement, after its count
            return self.ledger.closing_received(payload)
        if self.role == "booth" and kind == "release":
            accepted = self.ledger.accept_release(payload)
            self.link.set_state("busy")
            return accepted
        if self.role == "booth" and kind == "cancel":
            try:
                return self.ledger.release_revoked(payload)
            except BoothError as exc:
                release = _release_of(payload)
                if release is None or _unavailable(exc):
                    raise
                try:  # already used here: the desk hears what became of it instead
                    outcome = self.ledger.release_outcome(release)
                except BoothError:
                    raise exc from None
                self.link.send(DESK_LABEL, "outcome", outcome)
                return {"release": release, "revoked": False, "outcome_sent": True}
        raise _Unexpected(kind, self.role)

    def _via(self, message: dict) -> Any:
        """A booth's ask or offer for another booth: forwarded at the desk, answered or judged at a booth."""
        kind, payload = message["kind"], message["payload"]
        label, _, inner = payload.partition(b"\n")
        other = label.decode("ascii", "replace")
        if not _BOOTH_LABEL.fullmatch(other):
            raise _Unexpected(kind, self.role)
        if self.role == "desk":  # carry it on; the desk's ledger is not asked anything
            if other == message["from"]:
                raise _Unexpected(kind, self.role)
            forwarded = message["from"].encode() + b"\n" + inner
            return {"forwarded": int(self.link.send(other, kind, forwarded)), "to": other}
        if kind == "via.watch.ask":  # a sibling asks for this booth's checkpoint
            since = int(inner) if inner.isdigit() and len(inner) <= 10 else 0
            offer = self.ledger.checkpoint_offer(since)
            return {"offered": int(self.link.send(DESK_LABEL, "via.watch.offer", label + b"\n" + offer)), "to": other}
        return self.ledger.watch_peer(other, inner)  # a sibling's offer: judged against the roster's key

    def watched(self) -> list[str]:
        """The labels this device watches (its ledger's ``station_peers``: for a booth, its siblings too)."""
        return list(self.ledger.station_peers())


class _Unexpected(BoothError):
    code = "station_message_unexpected"  # its own code: a client rebuilding "bad_input" must not get this class

    def __init__(self, kind: str, role: str) -> None:
        super().__init__(
            f"Pesan {kind!r} tidak untuk perangkat {role}", f"A {kind!r} message is not for a {role} device"
        )


def _not_paired_yet(exc: BoothError) -> bool:
    """The booth's ledger refused because this booth is not paired with its desk yet."""
    from booth.refusals import REFUSALS

    return exc.message_en == REFUSALS["station_not_paired"].en_text


def _unavailable(exc: BoothError) -> bool:
    """The ledger did not deal with it (restarting, or gone): try again, never a final refusal."""
    from booth.api.wire import InternalError, LedgerUnavailable

    return isinstance(exc, (LedgerUnavailable, InternalError))


def _release_of(payload: bytes) -> str | None:
    from booth.station import release as msg

    try:
        return str(msg.peek("cancel", payload)["release"])
    except (msg.MessageRefused, KeyError, TypeError, ValueError):
        return None


def run(relay: Relay, *, watch_every: float = 60.0, stop=None, board=None) -> None:
    """``booth station relay``: pump until ``stop()`` says so, and every ``watch_every`` seconds ask
    each peer of the link for its checkpoint.  A ledger or link that does not answer (restarting)
    is waited for; what it had not dealt with comes again.  At the desk, ``board`` (a path): the
    link's view of the booths written there every second for the kiosk
    (``booth.kiosk.booth_board.FileBoard``; the kiosk has no way onto the link itself)."""
    import time

    next_watch = time.monotonic() + watch_every
    next_board = 0.0
    cursor = 0  # in memory only: a restarted relay sends from 0 again, and the link's refs make that a no-op
    while stop is None or not stop():
        try:
            cursor = relay.sync_outbox(cursor)
            if board is not None and relay.role == "desk" and time.monotonic() >= next_board:
                from booth.station.board import write_board

                next_board = time.monotonic() + 1.0
                write_board(board, relay.link.status())
            if relay.pump(wait=0) is None:
                time.sleep(0.5)
            if watch_every > 0 and time.monotonic() >= next_watch:
                next_watch = time.monotonic() + watch_every
                for peer in relay.watched():
                    relay.ask_checkpoint(peer)
        except (ConnectionError, OSError) as exc:
            log.warning("link not answering (%s); trying again", exc)
            time.sleep(0.5)
        except BoothError as exc:
            if not _unavailable(exc):
                raise
            log.warning("ledger not answering (%s); trying again", exc.message_en)
            time.sleep(0.5)
