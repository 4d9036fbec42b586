"""The polling station's screens: the desk releases a voter to a booth; a booth waits for the desk.

At the desk, after a voter's check-in (:func:`release_to_booth`):

* :class:`BoothChoiceScreen` — the station's booths, each free / busy / offline and since when
  (from the desk's :class:`~booth.kiosk.booth_board.BoothBoard`, i.e. the station link), a free
  booth preselected; "Lepas ke bilik 2" issues the release (``issue_release``) and hands its
  token to the link;
* :class:`GoToBoothScreen` — "Silakan ke bilik 2 / Please go to booth 2", big, for the voter;
* a busy booth whose release is past its timeout offers "cancel the release" with a reason
  (``cancel_station_release``): the voter may then go to another booth.

On both devices, :class:`PairingScreen` shows the six-digit code and the other device's
fingerprint: the companion pairs only when both screens show the same code.

At a booth, the voter's waiting screen says "Menunggu izin dari meja / Waiting for the desk"
(``booth.ui.voter_screens.WaitingScreen``), and a release token the booth refused is shown to
the companion with its reason (:func:`show_refused_release`).
"""

from __future__ import annotations

from booth.ui import layout as L
from booth.ui.common_screens import ChoiceScreen, CompanionScreen, ErrorScreen, local_hhmm, paint_problem
from booth.ui.i18n import N_, _, data, error_words, gettext_in
from booth.ui.widgets import Button

BOOTH_WORDS = {
    "free": (N_("free"), "ok"),
    "busy": (N_("busy"), "warn"),
    "offline": (N_("offline"), "bad"),
}

CANCEL_REASONS = (
    N_("The booth is offline"),
    N_("The voter left the booth without voting"),
    N_("The booth does not show the ballot"),
)


def booth_rows(app) -> list[dict]:
    """Each booth of the station: number, status (link), since, and the release out to it (ledger)."""
    ok, status = app.call(app.api.status, on_error=lambda exc: True)
    paired = status.get("booths", {}) if ok else {}
    board = app.booth_board.booths() if app.booth_board is not None else {}
    rows = []
    for key in sorted(paired, key=int):
        n = int(key)
        seen = board.get(n)
        link = seen.status if seen is not None else "offline"
        out = paired[key].get("state") == "busy"
        rows.append(
            {
                "number": n,
                # a release out makes a booth busy whatever its link says (it may not have heard yet)
                "status": "busy" if out and link == "free" else link,
                "since": seen.since if seen is not None else None,
                "release": paired[key].get("release") if out else None,
                "expires": paired[key].get("release_expires") if out else None,
            }
        )
    return rows


def release_to_booth(app, voter: dict) -> None:
    """At a desk, after the check-in: choose the booth (the voter is not released yet)."""
    app.push(BoothChoiceScreen(app, voter))


class BoothChoiceScreen(CompanionScreen):
    """The station's booths for one checked-in voter; a free one preselected."""

    name = "release_booth"
    title = N_("Release to a booth")
    REFRESH_S = 2.0

    def __init__(self, app, voter: dict) -> None:
        super().__init__(app)
        self.person = voter
        self.rows = booth_rows(app)
        self.chosen = next((r["number"] for r in self.rows if r["status"] == "free"), None)
        self._looked = app.now()

    def state_key(self):
        return (tuple((r["number"], r["status"], r["since"], r["release"]) for r in self.rows), self.chosen)

    def build_body(self, area):
        t = self.theme
        body, (back, go) = self.footer(area, 2)
        self.add(Button(_("Back"), self.back, back, bold=False))
        words = _("Release to booth {number}").format(number=self.chosen) if self.chosen else _("No booth is free")
        self.add(Button(words, self.release, go, kind="primary", enabled=self.chosen is not None))
        prompt, grid = L.split_top(body, t.target, t.gap)
        self.prompt_rect = prompt
        cols = 2 if t.portrait or len(self.rows) <= 4 else 3
        rows_n = max(1, -(-len(self.rows) // cols))
        cells = [c for row in L.rows(grid, rows_n, t.gap) for c in L.columns(row, cols, t.gap * 2)]
        for r, cell in zip(self.rows, cells, strict=False):
            words_, _color = BOOTH_WORDS[r["status"]]
            since = local_hhmm(self.app, r["since"]) if r["since"] else ""
            sub = _("{status} since {time}").format(status=_(words_), time=since) if since else _(words_)
            if self.overdue(r):
                sub = _("timed out: cancel")
            kind = "primary" if r["number"] == self.chosen else ("danger" if r["status"] == "offline" else "normal")
            self.add(
                Button(
                    _("Booth {number}").format(number=r["number"]),
                    lambda r=r: self.tap_booth(r),
                    cell,
                    kind=kind,
                    sublabel=sub,
                    enabled=r["status"] == "free" or self.overdue(r),
                )
            )

    def overdue(self, row: dict) -> bool:
        from booth.ledger.clock import parse_utc_text

        if not row["release"] or not row["expires"]:
            return False
        ok, status = self.app.call(self.app.api.status, on_error=lambda exc: True)
        return ok and parse_utc_text(status["time"]) >= parse_utc_text(row["expires"])

    def paint_body(self, p):
        p.text(
            _("{name}: choose a free booth").format(name=data(self.person["name"])),
            self.prompt_rect,
            p.theme.body,
            bold=True,
            align="left",
        )

    def update(self, now: float) -> None:
        if now - self._looked >= self.REFRESH_S:
            self._looked = now
            self.rows = booth_rows(self.app)
            if self.chosen not in [r["number"] for r in self.rows if r["status"] == "free"]:
                self.chosen = next((r["number"] for r in self.rows if r["status"] == "free"), None)

    def wake_at(self, now: float) -> float | None:
        return self._looked + self.REFRESH_S

    def tap_booth(self, row: dict) -> None:
        if self.overdue(row):
            self.app.push(cancel_station_release_screen(self.app, row, self))
        else:
            self.chosen = row["number"]

    def release(self) -> None:
        if self.chosen is None:
            return
        ok, rel = self.app.call(self.app.api.issue_release, self.app.token, self.person["ref"], self.chosen)
        if not ok:
            self.rows = booth_rows(self.app)
            return
        if self.app.on_release is not None:  # the simulator's link; on the appliance the relay carries it
            self.app.on_release(rel["booth"], rel["token"])
        self.app.replace(GoToBoothScreen(self.app, rel["booth"]))


def cancel_station_release_screen(app, row: dict, then: BoothChoiceScreen) -> ChoiceScreen:
    """After a release's timeout: the companion cancels it with a reason (the notice goes to the booth)."""

    def pick(reason):
        ok, res = app.call(app.api.cancel_station_release, app.token, row["release"], str(reason))
        app.pop()
        if ok:
            if app.on_cancel is not None:
                app.on_cancel(res["booth"], res["notice"])
            then.rows = booth_rows(app)
            then.chosen = next((r["number"] for r in then.rows if r["status"] == "free"), None)

    return ChoiceScreen(
        app,
        _("Cancel the release to booth {number}").format(number=row["number"]),
        _("The release timed out. Why is it cancelled? The voter may then go to another booth."),
        [(_(r), str(_(r))) for r in CANCEL_REASONS],
        pick,
    )


class GoToBoothScreen(CompanionScreen):
    """For the voter at the desk: which booth to go to, in both languages, the Indonesian biggest."""

    name = "go_to_booth"
    title = N_("Released")
    has_back = False

    def __init__(self, app, booth: int) -> None:
        super().__init__(app)
        self.booth = booth

    def build_body(self, area):
        body, (ok,) = self.footer(area, 1)
        self.body = body
        self.add(Button(_("Next voter"), self.app.go_home, ok, kind="primary"))

    def paint_body(self, p):
        top, low = L.split_top(self.body, int(self.body.height * 0.6), p.theme.gap)
        words = N_("Please go to booth {number}")
        p.text(gettext_in("id", words).format(number=self.booth), top, int(p.theme.title * 1.6), bold=True)
        p.text(gettext_in("en", words).format(number=self.booth), low, p.theme.title, color=p.colors.muted)

    def back(self):
        self.app.go_home()


class PairingScreen(CompanionScreen):
    """The six-digit code of a desk and a booth, and the other's fingerprint: pair only when the other
    screen shows the same code.  ``number`` is the booth's number at the station."""

    name = "pairing"
    title = N_("Pair the station")

    def __init__(self, app, peer_key: str, number: int, *, on_paired=None) -> None:
        super().__init__(app)
        self.peer_key = peer_key
        self.number = number
        self.on_paired = on_paired
        self.role = app.device_role()
        ok, shown = app.call(app.api.pairing_code, peer_key)
        self.code = shown["code"] if ok else "—"
        self.peer = shown["peer"] if ok else "—"

    def screen_title(self):
        if self.role == "desk":
            return _("Pair booth {number}").format(number=self.number)
        return _("Pair with the desk (booth {number})").format(number=self.number)

    def build_body(self, area):
        body, (back, yes) = self.footer(area, 2)
        self.body = body
        self.add(Button(_("Back"), self.back, back, bold=False))
        self.add(Button(_("The codes are the same — pair"), self.pair, yes, kind="primary"))

    def paint_body(self, p):
        t = p.theme
        lead, rest = L.split_top(self.body, t.target, t.gap)
        code, rest = L.split_top(rest, int(rest.height * 0.5), t.gap)
        p.text(_("The other screen must show this code:"), lead, t.body, align="left")
        p.text(data(self.code), code, int(t.title * 2.2), bold=True)
        other = _("Booth's device") if self.role == "desk" else _("Desk's device")
        mine = self.app.call(self.app.api.status, on_error=lambda exc: True)
        own = mine[1]["device"] if mine[0] else "—"
        p.column(
            rest,
            [
                (_("{device}: {fingerprint}").format(device=other, fingerprint=data(self.peer)), t.body, True, None),
                (_("This device: {fingerprint}").format(fingerprint=data(own)), t.body, False, p.colors.muted),
            ],
            gap=t.gap,
        )

    def pair(self):
        if self.role == "desk":
            ok, res = self.app.call(self.app.api.pair_booth, self.app.token, self.number, self.peer_key, self.code)
        else:
            ok, res = self.app.call(self.app.api.pair_desk, self.app.token, self.peer_key, self.number, self.code)
        if ok:
            self.app.pop()
            if self.on_paired is not None:
                self.on_paired(res)


class ReleaseRefusedScreen(ErrorScreen):
    """At a booth: the desk's release token was refused (stale, replayed, forged, another booth's)."""

    name = "release_refused"

    def paint_body(self, p):
        paint_problem(
            p,
            self.body,
            error_words(self.exc),
            [(_("Send the voter back to the desk: the desk releases them again."), p.theme.body, False, None)],
        )


def show_refused_release(app, exc) -> None:
    """The booth refused a release: its reason for the companion (the voter goes back to the desk).

    A companion signed in sees the refusal screen; otherwise the voter's screen says it across the
    bottom for a while ("go back to the desk"), and the booth stays waiting.
    """
    if app.mode == "companion" and app.companion_stack:
        app.push(ReleaseRefusedScreen(app, exc, title=_("The booth refused the release")))
        return
    words = _("{why}. Back to the desk, please.").format(why=error_words(exc))
    app.voter.error = (words, app.now() + 15.0)


# ------------------------------------------------------------ the photo as the voter leaves
class LeavingPhotoScreen(CompanionScreen):
    """At the desk: the voters back from their booths, by booth; a touch takes that voter's photo
    instead of ink (``station_photo``); a camera that fails offers "skip the photo" with a reason."""

    name = "station_photo"
    title = N_("Photo as the voter leaves")

    REFRESH_S = 2.0

    def __init__(self, app) -> None:
        super().__init__(app)
        self.due = photos_due(app)
        self._looked = app.now()

    def state_key(self):
        return tuple(d["release"] for d in self.due)

    def build_body(self, area):
        t = self.theme
        body, (back,) = self.footer(area, 1)
        self.add(Button(_("Back"), self.back, back, kind="primary" if not self.due else "normal", bold=False))
        prompt, grid = L.split_top(body, t.target, t.gap)
        self.prompt_rect = prompt
        if not self.due:
            return
        # up to six voters at once (a station has six booths), each a button of a third of the grid
        cells = [c for row in L.rows(grid, 3, t.gap) for c in L.columns(row, 2, t.gap * 2)]
        for d, cell in zip(self.due, cells, strict=False):
            self.add(
                Button(
                    _("Voter from booth {number}").format(number=d["booth"]),
                    lambda d=d: self.take(d),
                    cell,
                    kind="primary",
                    icon="camera",
                )
            )

    def paint_body(self, p):
        words = _("Touch the booth the voter came from.") if self.due else _("No voter is back from a booth.")
        p.text(words, self.prompt_rect, p.theme.body, align="left")

    def take(self, due: dict) -> None:
        from booth.hardware.camera import CameraError

        try:
            jpeg = self.app.devices.camera.capture_jpeg()
        except CameraError:
            self.app.push(skip_station_photo_screen(self.app, due, self))
            return
        ok, _r = self.app.call(self.app.api.station_photo, due["release"], jpeg)
        self.due = photos_due(self.app)

    def update(self, now: float) -> None:
        if now - self._looked >= self.REFRESH_S:
            self._looked = now
            self.due = photos_due(self.app)

    def wake_at(self, now: float) -> float | None:
        return self._looked + self.REFRESH_S


def photos_due(app) -> list[dict]:
    ok, status = app.call(app.api.status, on_error=lambda exc: True)
    return list(status.get("photos_due", [])) if ok else []


def skip_station_photo_screen(app, due: dict, then: LeavingPhotoScreen) -> ChoiceScreen:
    from booth.ui.photo_reasons import SKIP_PHOTO_REASONS

    def pick(reason):
        ok, _r = app.call(app.api.station_skip_photo, app.token, due["release"], str(reason))
        app.pop()
        then.due = photos_due(app)

    return ChoiceScreen(
        app,
        _("Skip the photo"),
        _("The camera took no photo. Why is the photo skipped?"),
        [(_(r), str(_(r))) for r in SKIP_PHOTO_REASONS],
        pick,
    )
