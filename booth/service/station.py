"""The polling station: a desk pairs booths and releases voters to them; a booth votes only on a release.

The desk's side::

    pair_booth(token, 2, booth_key, code)        the booth's key pinned as booth 2 (both screens: one code)
    issue_release(token, "DPT-0007", 2)          a signed single-use token for booth 2 (no voter in it)
    release_returned(outcome_bytes)              booth 2 says: cast (or cancelled); the voter has voted
    station_photo(release, jpeg)                 the photo instead of ink, as the voter leaves
    cancel_station_release(token, release, why)  after its timeout; the notice for the booth comes back

The booth's side::

    pair_desk(token, desk_key, 2, code)          the desk's key pinned; this booth is number 2
    accept_release(token_bytes)                  only from that desk, only for itself, unexpired, once
    ... cast, slip, check: booth.service.voter_session as on a single device ...
    release_outcome(release)                     the signed outcome for the desk
    release_revoked(notice_bytes)                the desk cancelled a release this booth never used

Every message is bytes (``booth.station.release``), so a transport can carry them later.  Every
refusal has its words in ``booth.refusals`` and changes nothing.  The one rule of the station:
a booth casts only under a release it accepted, each release once; the desk counts a voter as
voted only on the booth's signed word.
"""

from __future__ import annotations

import datetime as dt

from booth import polls
from booth.ledger import keys
from booth.ledger.clock import parse_utc_text, utc_text
from booth.refusals import refuse
from booth.service.checks import check_text
from booth.service.device import Device
from booth.station import release as msg
from booth.station import roster as station_roster

#: A station has at most this many booths (issue #12: a desk and up to 6 booths).
MAX_BOOTHS = 6
#: the largest log size a watcher may say it saw (the socket's bound on checkpoint_offer's ``since``)
MAX_LOG_SIZE = 10**9
#: At most this many items in one ``station_outbox`` answer (the relay asks again after the last).
OUTBOX_LIMIT = 50


def _peer_key(verifier_key: object):
    """(fingerprint, public key) of a peer's C2SP verifier key text, or the refusal."""
    if not isinstance(verifier_key, str) or len(verifier_key) > 200:
        raise refuse("peer_key_unreadable")
    try:
        _, public_key = keys.load_verifier_key(verifier_key)
    except (ValueError, TypeError):
        raise refuse("peer_key_unreadable") from None
    return keys.fingerprint(public_key), public_key


class Station(Device):
    """The acts of a desk and of a booth of one polling station (``booth.station.roles``)."""

    # ------------------------------------------------------------ pairing
    def pairing_code(self, peer_verifier_key: str) -> dict:
        """The code this device shows for pairing with ``peer_verifier_key`` (the other screen shows its own)."""
        self._check_role("pairing_code")
        peer_fp, _ = _peer_key(peer_verifier_key)
        own = self.ledger.key.fingerprint
        desk, booth = (own, peer_fp) if self.day.role == "desk" else (peer_fp, own)
        return {"code": msg.pairing_code(desk, booth), "peer": keys.short_fingerprint(peer_fp)}

    def _check_code(self, code: object, desk_fp: str, booth_fp: str) -> str:
        if not isinstance(code, str) or len(code) > 20:
            raise refuse("pairing_code_wrong")
        wanted = msg.pairing_code(desk_fp, booth_fp)
        if code.replace(" ", "").replace("-", "") != wanted.replace(" ", ""):
            raise refuse("pairing_code_wrong")
        return wanted

    def pair_booth(self, token: str, number: int, booth_verifier_key: str, code: str) -> dict:
        """At the desk: pin a booth's key as booth ``number``; ``code`` is what the booth's screen shows.

        A number paired before may be paired again with a new booth (a replacement, logged) when no
        release is out to it.
        """
        self._check_role("pair_booth")
        s = self._require("pair_station", token)
        self._check_device()
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= MAX_BOOTHS:
            raise refuse("booth_number", words={"max": MAX_BOOTHS})
        fp, _ = _peer_key(booth_verifier_key)
        if fp == self.ledger.key.fingerprint or any(
            b["fingerprint"] == fp for n, b in self.day.booths.items() if n != number
        ):
            raise refuse("pairing_key_in_use")
        if any(r.booth == number and r.state == "out" for r in self.day.issued.values()):
            raise refuse("booth_busy", words={"booth": number})
        wanted = self._check_code(code, self.ledger.key.fingerprint, fp)
        replaces = self.day.booths.get(number, {}).get("fingerprint")
        payload = {"booth": number, "fingerprint": fp, "verifier_key": booth_verifier_key, "code": wanted}
        if replaces and replaces != fp:
            payload["replaces"] = replaces
        self._append("station.booth_paired", s.companion, payload)
        return {"booth": number, "device": keys.short_fingerprint(fp), "code": wanted}

    def pair_desk(self, token: str, desk_verifier_key: str, number: int, code: str) -> dict:
        """At a booth: pin the station's desk key (once); ``code`` is what the desk's screen shows."""
        self._check_role("pair_desk")
        s = self._require("pair_station", token)
        self._check_device()
        if self.day.desk is not None:
            raise refuse("desk_already_paired")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= MAX_BOOTHS:
            raise refuse("booth_number", words={"max": MAX_BOOTHS})
        fp, _ = _peer_key(desk_verifier_key)
        if fp == self.ledger.key.fingerprint:
            raise refuse("pairing_key_in_use")
        wanted = self._check_code(code, fp, self.ledger.key.fingerprint)
        self._append(
            "station.desk_paired",
            s.companion,
            {"desk": fp, "verifier_key": desk_verifier_key, "booth": number, "code": wanted},
        )
        return {"booth": number, "desk": keys.short_fingerprint(fp), "code": wanted}

    # ------------------------------------------------------------ the desk
    def issue_release(self, token: str, voter_ref: str, booth: int) -> dict:
        """At the desk: release one checked-in voter to booth ``booth``; returns the token for that booth.

        The token names the booth's key, the election, a random release ID and an expiry
        (``Settings.release_timeout``) — never the voter.  The desk's log keeps which voter it was.
        """
        self._check_role("issue_release")
        s = self._require("release", token, states=polls.ACTS["release_ballot"])
        v = self._voter(voter_ref)
        if v.ref in self.day.voted:
            raise refuse("already_voted", voter=v.ref)
        if v.ref not in self.day.checked_in:
            raise refuse("verify_first")
        if any(r.voter == v.ref and r.state == "out" for r in self.day.issued.values()):
            raise refuse("voter_has_release")
        paired = self.day.booths.get(booth) if isinstance(booth, int) and not isinstance(booth, bool) else None
        if paired is None:
            raise refuse("booth_not_paired", words={"booth": str(booth)[:4]})
        if any(r.booth == booth and r.state == "out" for r in self.day.issued.values()):
            raise refuse("booth_busy", words={"booth": booth})
        now = self._now()
        expires = now + dt.timedelta(seconds=min(self.settings.release_timeout, msg.MAX_LIFETIME_SECONDS))
        release_id = msg.new_release_id()
        body = msg.release_body(
            release_id,
            self.package.election_id,
            self.ledger.key.fingerprint,
            paired["fingerprint"],
            issued=utc_text(now),
            expires=utc_text(expires),
        )
        signed = msg.sign("release", body, self.ledger.key)
        self._append(
            "station.release_issued",
            s.companion,
            {
                "release": release_id,
                "voter": v.ref,
                "booth": booth,
                "expires": body["expires"],
                "token": signed.decode(),
            },
        )
        return {"release": release_id, "booth": booth, "expires": body["expires"], "token": signed}

    def release_returned(self, outcome: bytes) -> dict:
        """At the desk: a booth's signed outcome of a release (cast or cancelled) arrives.

        Sent twice (a retry after a dropped link), it changes nothing the second time.  A cast
        under a release the desk had already cancelled is recorded with ``after_cancel`` for the
        committee: the voter may have voted twice, and the station's report says so.
        """
        self._check_role("release_returned")
        self._check_device()
        body = self._station_message("outcome", outcome)
        issued = self.day.issued.get(body["release"])
        if issued is None:
            raise refuse("release_unknown")
        if self.day.booths[issued.booth]["fingerprint"] != body["booth"]:
            raise refuse("release_other_booth")
        if issued.returned:
            return self._returned(issued)
        self._append(
            "station.release_returned",
            "system",
            {"release": issued.id, "booth": issued.booth, "outcome": body["outcome"], "spoils": body["spoils"]},
        )
        return self._returned(self.day.issued[issued.id])

    def _returned(self, issued) -> dict:
        return {
            "release": issued.id,
            "booth": issued.booth,
            "outcome": issued.state,
            "photo": issued.state == "cast" and not issued.photo_done,
            "after_cancel": issued.after_cancel,
        }

    def cancel_station_release(self, token: str, release_id: str, reason: str) -> dict:
        """At the desk, after a release's timeout: cancel it; returns the notice for its booth.

        The voter may then be released again, to another booth.  Before the timeout the booth may
        still be using it, so the desk waits (refused with the time left).
        """
        self._check_role("cancel_station_release")
        s = self._require("cancel_release", token)
        check_text(reason, "alasan", "reason", 200, required=True)
        issued = self.day.issued.get(release_id) if isinstance(release_id, str) else None
        if issued is None:
            raise refuse("release_unknown")
        if issued.state != "out":
            raise refuse("release_not_out")
        left = (parse_utc_text(issued.expires) - self._now()).total_seconds()
        if left > 0:
            raise refuse("not_timed_out", wait_seconds=left)
        booth_fp = self.day.booths[issued.booth]["fingerprint"]
        body = {
            "booth": booth_fp,
            "desk": self.ledger.key.fingerprint,
            "election": self.package.election_id,
            "release": issued.id,
            "reason": reason.strip(),
        }
        notice = msg.sign("cancel", body, self.ledger.key)
        self._append(
            "station.release_cancelled",
            s.companion,
            {"release": issued.id, "booth": issued.booth, "reason": reason, "notice": notice.decode()},
        )
        return {"release": issued.id, "booth": issued.booth, "notice": notice}

    def station_photo(self, release_id: str, jpeg: bytes) -> None:
        """At the desk: the photo instead of ink of the voter whose booth said "cast" (sealed in the vault)."""
        from booth.ledger.vault import VaultError

        self._check_role("station_photo")
        self._check_device()
        issued = self.day.issued.get(release_id) if isinstance(release_id, str) else None
        if issued is None or issued.state != "cast":
            raise refuse("no_release")
        if issued.photo_done:
            raise refuse("out_of_order", stage="done")
        if self._vault is None:
            raise refuse("vault_not_ready")
        if not isinstance(jpeg, (bytes, bytearray)):
            raise refuse("not_a_photo")
        if not self._vault.has_photo(issued.voter):
            try:
                self._vault.store_photo(issued.voter, bytes(jpeg))
            except VaultError as exc:
                raise refuse("photo_not_stored", words={"why": exc}) from None
        self._append("voter.photo_taken", "system", {"voter": issued.voter, "release": issued.id})

    def station_results(self, token: str, closings: dict) -> dict:
        """At the desk, after closing: each paired booth's signed results statement -> the station's results.

        ``closings`` maps booth number -> the statement text (``results()["statement"]`` of that
        booth, after its count); for a booth replaced mid-day, the list of its devices' statements
        in the order they were paired (the replaced ones first, each checked against its own key,
        their tallies added under the one number; their digests logged as ``"2-r1"`` ...).
        Each is checked against the booth key the desk paired; beside it
        the desk puts its own releases to that booth (``booth.station.summary``).  Logged as
        ``station.results`` with each statement's SHA-256 and the total (never a small booth's tally).
        """
        import hashlib

        from booth.results import StatementError, open_statement
        from booth.station.summary import station_summary

        self._check_role("station_results")
        s = self._require("count", token, states=(polls.CLOSED, polls.COUNTED))
        if not isinstance(closings, dict):
            raise refuse("booth_closing_missing", words={"booth": "?"})
        rows: dict[int, dict] = {}
        digests: dict[str, str] = {}
        for number, paired in sorted(self.day.booths.items()):
            # a booth replaced mid-day: its earlier devices' closings first (oldest first), then its own
            devices = [*paired.get("replaced", []), paired]
            given = closings.get(number)
            if given is None:  # not handed in: the closings its devices sent over the link (closing_received)
                sent = [self.day.closings.get(d["fingerprint"], {}).get("statement") for d in devices]
                given = sent if all(sent) else None
            texts = [given] if isinstance(given, str) else given
            if not isinstance(texts, list) or len(texts) != len(devices):
                raise refuse("booth_closing_missing", words={"booth": number})
            tally: dict[str, int] = {}
            for k, (text, device) in enumerate(zip(texts, devices, strict=True)):
                if not isinstance(text, str) or len(text) > 8192:
                    raise refuse("booth_closing_missing", words={"booth": number})
                try:
                    statement = open_statement(text, device["verifier_key"])
                except StatementError:
                    raise refuse("booth_closing_forged", words={"booth": number}) from None
                if statement.election_id != self.package.election_id:
                    raise refuse("booth_closing_other_election", words={"booth": number})
                for candidate, votes in statement.tally.items():
                    tally[candidate] = tally.get(candidate, 0) + votes
                key = str(number) if k == len(devices) - 1 else f"{number}-r{k + 1}"
                digests[key] = hashlib.sha256(text.encode()).hexdigest()
            mine = [r for r in self.day.issued.values() if r.booth == number]
            states = {state: sum(1 for r in mine if r.state == state) for state in ("out", "cast", "cancelled")}
            rows[number] = {
                "tally": tally,
                "issued": len(mine),
                **states,
                "spoils": sum(r.spoils for r in mine),
                "after_cancel": sum(r.after_cancel for r in mine),
            }
        summary = station_summary(rows)
        self._append(
            "station.results",
            s.companion,
            {"statements": digests, "tally": summary["tally"], "balanced": summary["balanced"]},
        )
        summary["document"] = self._signed_station_results(summary, digests)
        return summary

    def _signed_station_results(self, summary: dict, digests: dict[str, str]) -> str:
        """The station's results signed by the desk's key, for the station bundle (docs/station.md):
        the total, each booth's releases and statement digest, never a merged booth's tally."""
        import base64

        from booth.ledger.canonical import canonical
        from booth.ledger.station_log import station_message

        body = {
            "balanced": summary["balanced"],
            "booths": {
                str(n): {
                    "fingerprint": self.day.booths[n]["fingerprint"],
                    "releases": row["releases"],
                    "statement": digests[str(n)],
                    "tally": row["tally"],
                    **(
                        {
                            "replaced": [
                                {"fingerprint": old["fingerprint"], "statement": digests[f"{n}-r{k}"]}
                                for k, old in enumerate(self.day.booths[n]["replaced"], start=1)
                            ]
                        }
                        if self.day.booths[n].get("replaced")
                        else {}
                    ),
                }
                for n, row in summary["booths"].items()
            },
            "desk": self.ledger.key.fingerprint,
            "election": self.package.election_id,
            "merged": summary["merged"],
            "tally": summary["tally"],
            "votes": summary["votes"],
        }
        sig = base64.b64encode(self.ledger.key.sign(station_message("results", body))).decode()
        return canonical({"body": body, "sig": sig}).decode()

    def export_station(self, token: str, folder: str) -> str:
        """At the desk, after the station's results are printed: the station bundle onto the USB stick.

        ``folder`` is the stick, holding the bundle every booth exported there (``hasil-...zip``).
        Each is identified by its ``device.pub`` against the booth keys this desk paired (a
        replaced device's too) and verified in full; the closings are the statements in them
        (``station_results``, logged again), the desk's own bundle is its ledger now, and the
        station bundle (``booth.station.bundle``) is verified by the station check ``booth verify``
        makes before it is moved into ``folder`` as ``TPSnn-<election>.zip``.  Logged as
        ``station.exported``.  A booth's bundle missing, foreign or damaged is refused naming that
        booth, and nothing is written.
        """
        import tempfile
        from pathlib import Path

        from booth.ledger.bundle import write_bundle
        from booth.station import bundle as station_bundle

        self._check_role("export_station")
        s = self._require("export", token, states=polls.ACTS["export"], needs=("results_printed",))
        if not isinstance(folder, str) or not folder or len(folder) > 4096 or not Path(folder).is_dir():
            raise refuse("station_export_folder")
        chosen = self._booth_bundles(Path(folder))
        closings = {n: [self._checked_booth_bundle(n, path) for path in files] for n, files in chosen.items()}
        summary = self.station_results(token, closings)
        info = self.election_info()
        name = f"TPS{info['tps']:02d}-{info['short_id']}.zip"
        with tempfile.TemporaryDirectory(prefix="booth-station-export-") as tmp:
            desk = write_bundle(self.ledger, Path(tmp) / "desk.zip", getattr(self, "_bundle_extras")())  # noqa: B009
            written = station_bundle.write_station_bundle(
                Path(tmp) / name,
                desk=desk.read_bytes(),
                booths={n: files[-1].read_bytes() for n, files in chosen.items()},
                replaced={n: [f.read_bytes() for f in files[:-1]] for n, files in chosen.items() if len(files) > 1},
                results=summary["document"],
            )
            try:
                report = station_bundle.verify_station(written, workers=0)
            except Exception as exc:  # noqa: BLE001  (Unreadable: what it says is the reason)
                raise refuse("station_export_failed", words={"why": str(exc)[:200]}) from None
            if not report.ok:
                raise refuse("station_export_failed", words={"why": "; ".join(report.problems)[:200]})
            target = _write_verified(written.read_bytes(), Path(folder) / name)
        self._append("station.exported", s.companion, {"file": name, "booths": sorted(chosen)})
        return str(target)

    def _booth_bundles(self, folder) -> dict[int, list]:
        """Per paired booth, its devices' bundle files on the stick (replaced devices first), or the refusal."""
        from booth.station import export as stick

        found = stick.scan(folder)
        also_id = f"; berkas rusak: {', '.join(found.unreadable)}" if found.unreadable else ""
        also_en = f"; damaged files: {', '.join(found.unreadable)}" if found.unreadable else ""
        chosen: dict[int, list] = {}
        for number, paired in sorted(self.day.booths.items()):
            chosen[number] = []
            for device in [*paired.get("replaced", []), paired]:
                files = found.by_device.get(device["fingerprint"])
                if not files:
                    raise refuse(
                        "booth_bundle_missing", words={"booth": number, "also_id": also_id, "also_en": also_en}
                    )
                chosen[number].append(files[0])
        return chosen

    def _checked_booth_bundle(self, number: int, path) -> str:
        """The results statement of booth ``number``'s bundle at ``path`` once it verifies in full."""
        from booth.ledger.verify import BundleSource, Unreadable, verify
        from booth.station.bundle import booth_statement

        try:
            source = BundleSource(path)
            try:
                good = verify(source, workers=0).ok
            finally:
                source.close()
            statement = booth_statement(path)
        except (Unreadable, OSError, ValueError, KeyError):
            good, statement = False, None
        if not good or statement is None:
            raise refuse("booth_bundle_damaged", words={"booth": number, "file": path.name[:80]})
        return statement

    def station_skip_photo(self, token: str, release_id: str, reason: str) -> None:
        """At the desk: no photo for this voter (refused, or the camera is out), with the companion's reason."""
        self._check_role("station_skip_photo")
        s = self._require("skip_photo", token)
        check_text(reason, "alasan", "reason", 200, required=True)
        issued = self.day.issued.get(release_id) if isinstance(release_id, str) else None
        if issued is None or issued.state != "cast":
            raise refuse("no_release")
        if issued.photo_done:
            raise refuse("out_of_order", stage="done")
        self._append(
            "voter.photo_skipped", s.companion, {"voter": issued.voter, "release": issued.id, "reason": reason}
        )

    # ------------------------------------------------------------ a booth
    def accept_release(self, token: bytes) -> dict:
        """At a booth: open the ballot for the release ``token`` from the desk, or refuse it with the reason.

        In this order: it reads; this booth is paired; it is signed by the paired desk; it is for
        this booth and this election; it was never used here and never revoked; it has not
        expired; the polls are open and nobody is voting.  Then ``station.release_accepted``
        (the release ID, never a voter) and the voter sees the ballot.
        """
        self._check_role("accept_release")
        self._check_device()
        desk = self.day.desk
        body = self._station_message("release", token)
        if body["booth"] != self.ledger.key.fingerprint:
            raise refuse("release_other_booth")
        if body["election"] != (self.package.election_id if self.package else None):
            raise refuse("release_other_election")
        if body["release"] in self.day.accepted:
            raise refuse("release_used")
        if body["release"] in self.day.revoked:
            raise refuse("release_revoked")
        expires, issued = parse_utc_text(body["expires"]), parse_utc_text(body["issued"])
        if (expires - issued).total_seconds() > msg.MAX_LIFETIME_SECONDS or expires <= issued:
            raise refuse("release_unreadable")
        if self._now() >= expires:
            raise refuse("release_expired", words={"expires": body["expires"][11:16]})
        if self.day.polls not in polls.ACTS["cast"]:
            raise refuse("voting_not_open")
        if self.day.current is not None:
            raise refuse("voter_in_booth")
        if self.ledger.empty_slots < 5:
            self.ledger.add_ballot_slots(self.settings.min_slots, actor="system")
            self._fold_latest()
        assert desk is not None  # _station_message refused an unpaired booth
        self._append(
            "station.release_accepted",
            "system",
            {
                "release": body["release"],
                "desk": desk["fingerprint"],
                "expires": body["expires"],
                "token": token.decode(),
            },
        )
        return {"release": body["release"], "expires": body["expires"]}

    def closing_received(self, statement: bytes) -> dict:
        """At the desk: a booth's signed results statement, sent over the link once that booth counted.

        Checked against every booth key the desk paired (a replaced device's too), so it is known
        whose it is; logged as ``station.closing_received`` (booth, device, statement, SHA-256) and
        kept for :meth:`station_results`.  The same statement again changes nothing.
        """
        import hashlib

        from booth.results import StatementError, open_statement

        self._check_role("closing_received")
        self._check_device()
        if not isinstance(statement, (bytes, bytearray)) or len(statement) > 8192:
            raise refuse("closing_unreadable")
        try:
            text = bytes(statement).decode("utf-8")
        except UnicodeDecodeError:
            raise refuse("closing_unreadable") from None
        for number, paired in sorted(self.day.booths.items()):
            for device in [*paired.get("replaced", []), paired]:
                try:
                    opened = open_statement(text, device["verifier_key"])
                except (StatementError, ValueError):
                    continue
                if opened.election_id != self.package.election_id:
                    raise refuse("booth_closing_other_election", words={"booth": number})
                fingerprint = device["fingerprint"]
                if self.day.closings.get(fingerprint, {}).get("statement") != text:
                    self._append(
                        "station.closing_received",
                        "system",
                        {
                            "booth": number,
                            "device": fingerprint,
                            "statement": text,
                            "sha256": hashlib.sha256(text.encode()).hexdigest(),
                        },
                    )
                return {"booth": number, "device": keys.short_fingerprint(fingerprint), "received": True}
        raise refuse("closing_not_paired")

    def release_outcome(self, release_id: str) -> bytes:
        """At a booth: the signed outcome of a finished release (cast or cancelled) for the desk; the same each time."""
        self._check_role("release_outcome")
        outcome = self.day.outcomes.get(release_id) if isinstance(release_id, str) else None
        if outcome is None or self.day.desk is None:
            raise refuse("release_not_done")
        body = {
            "booth": self.ledger.key.fingerprint,
            "desk": self.day.desk["fingerprint"],
            "election": self.package.election_id,
            "release": release_id,
            "outcome": outcome["outcome"],
            "spoils": outcome["spoils"],
        }
        return msg.sign("outcome", body, self.ledger.key)

    def station_outbox(self, after: int) -> list[dict]:
        """What this device's log says must go out on the link after log index ``after``, in log order.

        Each: ``index`` (the event's position), ``to`` (``bilik-2``, ``meja``), ``kind`` (``release``,
        ``cancel``, ``outcome``, ``roster``: the desk's latest after each pairing, ``closing``),
        ``ref`` (``"release:17"``: the link queues one ref once) and the
        signed ``payload``; at most :data:`OUTBOX_LIMIT` at a time.  Read from the log's own events,
        so a relay that restarts (or a device that rebooted) asks again and misses nothing.
        """
        self._check_role("station_outbox")
        if type(after) is not int or not 0 <= after <= MAX_LOG_SIZE:  # noqa: E721  (a bool is not an index)
            raise refuse("outbox_after", words={"max": MAX_LOG_SIZE})
        items: list[dict] = []
        for item in self.day.outbox:
            if item["index"] <= after:
                continue
            if len(items) == OUTBOX_LIMIT:
                break
            if item["kind"] == "outcome":
                to, payload = "meja", self.release_outcome(item["release"])
            elif item["kind"] == "roster":  # always the latest roster: a booth keeps the highest version
                to = f"bilik-{item['booth']}"
                payload = station_roster.sign(
                    self.ledger.key, self.ledger.key.fingerprint, self.day.booths, self.day.roster_version
                )
            elif item["kind"] == "closing":  # the booth's signed results statement, the same each time
                results = getattr(self, "results")()  # noqa: B009  (booth.service.counting's, in the one BoothService)
                to, payload = "meja", results["statement"].encode()
            else:
                to, payload = f"bilik-{item['booth']}", item["payload"].encode()
            ref = f"{item['kind']}:{item['index']}"
            items.append({"index": item["index"], "to": to, "kind": item["kind"], "ref": ref, "payload": payload})
        return items

    def roster_accept(self, roster: bytes) -> dict:
        """At a booth: the desk's signed roster (booth.station.roster): the sibling booths it may watch.

        Logged once per version (an older or the same version changes nothing); a sibling whose
        key changed since the last roster is logged as replaced, so its old device is an alarm.
        """
        from booth.station import watch

        self._check_role("roster_accept")
        self._check_device()
        if self.day.desk is None:
            raise refuse("station_not_paired")
        _, desk_key = keys.load_verifier_key(self.day.desk["verifier_key"])
        try:
            body = station_roster.read(roster, desk_key)
        except station_roster.RosterRefused as exc:
            if str(exc) == "forged":
                raise refuse("roster_forged") from None
            raise refuse("roster_unreadable") from None
        if body["desk"] != self.day.desk["fingerprint"]:
            raise refuse("roster_forged")
        mine = body["booths"].get(str(self.day.desk["booth"]))
        if mine is None or mine["fingerprint"] != self.ledger.key.fingerprint:
            raise refuse("roster_not_me")
        if body["version"] <= self.day.roster_version:
            return {"version": self.day.roster_version, "booths": sorted(self.day.roster), "logged": False}
        before = dict(self.day.roster)
        self._append("station.roster", "system", {"version": body["version"], "booths": body["booths"]})
        for number, entry in sorted(body["booths"].items()):
            old = before.get(int(number))
            if old is not None and old["verifier_key"] != entry["verifier_key"]:
                watch.replace_device(
                    self.ledger,
                    f"bilik-{number}",
                    entry["verifier_key"],
                    actor="system",
                    reason=f"daftar bilik dari meja, versi {body['version']}",
                )
                self._fold_latest()
        return {"version": body["version"], "booths": sorted(int(n) for n in body["booths"]), "logged": True}

    def station_peers(self) -> dict:
        """The devices this one watches, by the link's label, with the short fingerprint expected of each:
        a desk its paired booths; a booth its desk and its sibling booths from the desk's roster."""
        self._check_role("station_peers")
        if self.day.role == "desk":
            expected = {f"bilik-{n}": b["fingerprint"] for n, b in sorted(self.day.booths.items())}
        else:
            expected = {"meja": self.day.desk["fingerprint"]} if self.day.desk is not None else {}
            own = self.day.desk["booth"] if self.day.desk is not None else None
            expected.update({f"bilik-{n}": b["fingerprint"] for n, b in sorted(self.day.roster.items()) if n != own})
        return {label: keys.short_fingerprint(fp) for label, fp in expected.items()}

    def release_revoked(self, notice: bytes) -> dict:
        """At a booth: the desk's notice that it cancelled a release; this booth will refuse its token.

        A release this booth already used is not revoked: its outcome stands and goes to the desk.
        """
        self._check_role("release_revoked")
        self._check_device()
        body = self._station_message("cancel", notice)
        if body["booth"] != self.ledger.key.fingerprint:
            raise refuse("release_other_booth")
        if body["release"] in self.day.accepted:
            raise refuse("release_used")
        if body["release"] not in self.day.revoked:
            self._append("station.release_revoked", "system", {"release": body["release"], "reason": body["reason"]})
        return {"release": body["release"], "revoked": True}

    # ------------------------------------------------------------ watching each other (booth.station.watch)
    def checkpoint_offer(self, since: int) -> bytes:
        """This device's latest checkpoint, with the proof that it extends the tree of size ``since``."""
        from booth.station import watch

        self._check_role("checkpoint_offer")
        if type(since) is not int or not 0 <= since <= MAX_LOG_SIZE:  # noqa: E721  (a bool is not a size)
            raise refuse("checkpoint_size", words={"max": MAX_LOG_SIZE})
        return watch.offer(self.ledger, since)

    def peers_seen(self) -> dict:
        """What this device last saw of each other device: ``{label: {"size", "device", "time"}}``."""
        from booth.station import watch

        self._check_role("peers_seen")
        return {
            label: {"size": s.size, "device": keys.short_fingerprint(watch._fp(s.key)), "time": s.time}
            for label, s in watch.seen_by(self.ledger).items()
        }

    def watch_peer(self, label: str, offer: bytes) -> dict:
        """Judge ``label``'s offer against what was seen of it, then cosign and record it (or log the alarm).

        ``label`` is the link's name of the device: ``meja`` for a booth's desk, ``bilik-N`` for the
        desk's booth N; its key from pairing is the one expected.  A rolled-back, rewritten or
        replaced device is refused with the finding's words, and ``station.peer_alarm`` is logged.
        """
        from booth.station import watch

        self._check_role("watch_peer")
        self._check_device()
        expected = self._paired_key(label)
        size = self.ledger.size
        try:
            line = watch.watch(self.ledger, label, offer, expected_key=expected)
        except watch.PeerAlarm as alarm:
            self._fold_latest()
            raise refuse("peer_alarm", words={"label": label, "why_id": alarm.id, "why_en": alarm.en}) from None
        except watch.BadOffer as bad:
            raise refuse("offer_unreadable", words={"label": label, "why_id": bad.id, "why_en": bad.en}) from None
        if self.ledger.size > size:
            self._fold_latest()
        seen = watch.seen_by(self.ledger)[label]
        return {"label": label, "size": seen.size, "checkpoint": seen.checkpoint, "cosignature": line}

    def _paired_key(self, label: str) -> str:
        if self.day.role == "booth" and label == "meja" and self.day.desk is not None:
            return self.day.desk["verifier_key"]
        if isinstance(label, str) and label.startswith("bilik-") and label[6:].isdigit() and len(label) <= 8:
            number = int(label[6:])
            if self.day.role == "desk":
                paired = self.day.booths.get(number)
            else:  # a sibling booth: its key from the desk's roster, never this booth itself
                own = self.day.desk["booth"] if self.day.desk is not None else None
                paired = self.day.roster.get(number) if number != own else None
            if paired is not None:
                return paired["verifier_key"]
        raise refuse("station_not_paired")

    # ------------------------------------------------------------ both
    def _station_message(self, kind: str, data: object) -> dict:
        """A message from the paired peer: read, and signed by the key pinned for its sender."""
        try:
            if kind == "outcome":  # to the desk, from one of its booths
                body = msg.peek(kind, data)
                if body["desk"] != self.ledger.key.fingerprint:
                    raise refuse("release_other_desk")
                sender = next((b for b in self.day.booths.values() if b["fingerprint"] == body["booth"]), None)
                if sender is None:
                    raise refuse("booth_not_paired", words={"booth": keys.short_fingerprint(body["booth"])})
            else:  # to a booth, from its desk
                if self.day.desk is None:
                    raise refuse("station_not_paired")
                sender = self.day.desk
            _, public_key = keys.load_verifier_key(sender["verifier_key"])
            body = msg.read(kind, data, public_key)
        except msg.MessageRefused as exc:
            raise refuse(exc.reason) from None
        if kind != "outcome" and body["desk"] != sender["fingerprint"]:
            raise refuse("release_forged")  # signed by our desk's key, yet naming another desk
        return body


def _write_verified(data: bytes, target):
    """``data`` at ``target`` atomically (a hidden part file, synced, then renamed), read back to check."""
    import hashlib
    import os
    import tempfile

    try:
        fd, part = tempfile.mkstemp(dir=target.parent, prefix=".station-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)  # the very bytes that verified
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, target)
        finally:
            if os.path.exists(part):
                os.unlink(part)
        if hashlib.sha256(target.read_bytes()).digest() != hashlib.sha256(data).digest():
            raise OSError(5, "the stick gave back other bytes")
    except OSError as exc:
        raise refuse("station_export_failed", words={"why": exc.strerror or str(exc)}) from None
    return target
