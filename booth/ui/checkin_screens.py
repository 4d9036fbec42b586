"""One voter at a time: find them, verify them, release their ballot — and help when it goes wrong.

* :class:`VoterSearchScreen` — type a NIK or a name on the on-screen
  keyboard (the core's search forgives spelling, old spellings and typos);
* :class:`VoterResultsScreen` — the matches with their status; nobody found:
  "Nama tidak terdaftar dalam DPT", with "add to DPTb";
* :class:`VoterScreen` — the person's details; "this is the person — release
  the ballot" checks them in and releases exactly one ballot, then the screen
  goes back to the voter;
* :class:`RefusalScreen` — a voter who already voted is refused and their
  earlier photo is shown (viewing it is logged by the core);
* :class:`DptbFormScreen` — add someone missing from the DPT, with the reason;
* :class:`ReprintScreen` — the slip did not print: the cause and what to do
  ("Kertas printer habis — ganti gulungan, lalu tekan Lanjut"), then reprint;
* cancelling the ballot in the booth and skipping the photo, each with a reason.
"""

from __future__ import annotations

import io

import pygame

from booth.errors import AlreadyVoted
from booth.hardware.printer import CoverOpen, PaperJam, PaperOut, PrinterError, PrinterOffline
from booth.ui import layout as L
from booth.ui.common_screens import (
    ChoiceScreen,
    CompanionScreen,
    TextEntryScreen,
    WorkingScreen,
    paint_problem,
    show_message,
)
from booth.ui.i18n import N_, _, data, error_words
from booth.ui.photo_reasons import SKIP_PHOTO_REASONS
from booth.ui.widgets import (
    Button,
    Label,
    ListRow,
    ListView,
    Panel,
    Picture,
    detail_lines,
    list_row_height,
    rows_height,
)

STATUS_WORDS = {
    "not_voted": (N_("Not voted"), "ok"),
    "checked_in": (N_("Checked in"), "warn"),
    "in_booth": (N_("In the booth"), "warn"),
    "voted": (N_("Already voted"), "bad"),
}
LIST_WORDS = {"DPT": N_("DPT"), "DPTb": N_("DPTb")}


def masked_nik(nik: str) -> str:
    """The NIK as the check-in screens show it: the region's first four digits and the last four.

    The next voter in the queue can read the companion's screen; the digits that are shown are
    the ones a companion compares with the KTP at a glance, the birth date and the rest stay hidden.

    >>> masked_nik("1810045206540012")
    '1810********0012'
    >>> masked_nik("12345")
    '*2345'
    """
    nik = str(nik)
    if len(nik) == 16:
        return nik[:4] + "*" * 8 + nik[-4:]
    return "*" * max(0, len(nik) - 4) + nik[-4:]


def birth_year(v: dict) -> str:
    """The year of birth only ("1954") from the voter's birth date ("1954-06-12")."""
    return str(v.get("birth_date") or "")[:4]


def voter_detail(v: dict):
    """ "NIK 1810********0012 · lahir 1954" for a result row: only what tells two namesakes apart."""
    return _("NIK {nik} · born {year}").format(nik=masked_nik(v["nik"]), year=birth_year(v))


class VoterSearchScreen(TextEntryScreen):
    """Type the NIK or the name, then "Search"."""

    name = "voter_search"

    def __init__(self, app, initial: str = "") -> None:
        super().__init__(
            app,
            _("Voter check-in"),
            self.search,
            initial=initial,
            max_len=60,
            hint=_("Type the NIK (16 digits) or the name as on the ID card"),
            done_label=_("Search"),
            required=True,
            extra="",
        )

    def search(self, query: str) -> None:
        ok, rows = self.app.call(self.app.api.search_voters, self.app.token, query)
        if ok:
            self.app.push(VoterResultsScreen(self.app, query, rows))


class VoterResultsScreen(CompanionScreen):
    """The voters that match, best first, with their status."""

    name = "voter_results"
    title = N_("Search results")

    def __init__(self, app, query: str, rows: list[dict]) -> None:
        super().__init__(app)
        self.query = query
        self.rows = rows

    def build_body(self, area):
        t = self.theme
        body, (again, dptb) = self.footer(area, 2)
        self.add(Button(_("Search again"), self.back, again, bold=False))
        self.add(Button(_("Add to the DPTb"), self.add_dptb, dptb))
        heading = _("Results for “{query}”").format(query=self.query) if self.rows else _("Not on the voter list (DPT)")
        head, rest = L.split_top(
            body, Label.height_for(t, heading, body.width, bold=True, least=int(t.body * 1.9)), t.gap
        )
        if self.rows:
            # a typed NIK stays on screen while the companion picks: masked like the rows
            query = masked_nik(self.query) if self.query.strip().isdigit() else self.query
            self.add(Label(_("Results for “{query}”").format(query=query), head, align="left", bold=True))
        else:
            self.add(Label(_("Not on the voter list (DPT)"), head, align="left", bold=True, color="bad"))
        # No status badges: "sudah memilih" next to every namesake is nobody else's business; the
        # picked voter's screen says it, and releasing a ballot to a voter who voted is refused.
        rows = [ListRow(data(v["name"]), voter_detail(v), (lambda v=v: self.pick(v))) for v in self.rows]
        self.add(
            ListView(
                rows,
                rest,
                row_height=list_row_height(t),
                empty=_(
                    "Search by NIK, or check the spelling with the voter's ID card. "
                    "If they are entitled to vote, add them to the DPTb."
                ),
            )
        )

    def update(self, now: float) -> None:
        if now - self.app.last_activity > VoterScreen.CLEAR_AFTER_S:  # names left in sight of the queue
            self.app.go_home()

    def pick(self, voter):
        self.app.push(VoterScreen(self.app, voter))

    def add_dptb(self):
        self.app.push(DptbFormScreen(self.app, self.query))


def release_for(app, voter: dict) -> None:
    """Check the voter in and release exactly one ballot; then the screen is the voter's."""

    def refused(exc):
        if isinstance(exc, AlreadyVoted):
            app.push(RefusalScreen(app, voter, has_photo=bool(exc.details.get("has_photo"))))
            return True
        return False

    ok, _row = app.call(app.api.check_in, app.token, voter["ref"], on_error=refused)
    if not ok:
        return
    if app.device_role() == "desk":  # the voter goes to one of the station's booths
        from booth.ui.station_screens import release_to_booth

        release_to_booth(app, voter)
        return
    ok, _rel = app.call(app.api.release_ballot, app.token, voter["ref"])
    if ok:
        app.close_companion()


class VoterScreen(CompanionScreen):
    """Is this the person?  Name, masked NIK and year of birth; the rest only behind "Show details".

    The screen is the booth's own: the next voter may be standing behind the companion.  It shows
    what a companion compares with the KTP (name, the NIK's first and last digits, the year of
    birth); the full NIK, the date of birth and the address appear only after "Show details",
    hide again on a second touch, and the screen goes back to the companion's home after
    :attr:`CLEAR_AFTER_S` untouched (the ballot's release clears it at once).
    """

    name = "voter"
    title = N_("Verify the voter")
    CLEAR_AFTER_S = 60.0

    def __init__(self, app, voter: dict) -> None:
        super().__init__(app)
        self.person = voter  # (Screen.voter says whether a screen is the voter's own)
        self.details = False

    def state_key(self):
        return self.details

    def build_body(self, area):
        t = self.theme
        body, (no, yes) = self.footer(area, 2)
        # the release button has the longer words: it gets the wider share of the footer
        no = pygame.Rect(no.left, no.top, int((yes.right - no.left) * 0.38), no.height)
        yes = pygame.Rect(no.right + t.gap * 2, yes.top, yes.right - no.right - t.gap * 2, yes.height)
        self.add(Button(_("Not this person"), self.back, no, bold=False))
        if self.person["status"] == "voted":
            self.add(Button(_("Check: already voted"), lambda: release_for(self.app, self.person), yes, kind="danger"))
        else:
            self.add(
                Button(
                    _("This is the person — release the ballot"),
                    lambda: release_for(self.app, self.person),
                    yes,
                    kind="primary",
                )
            )
        toggle_w = max(t.target * 4, t.button * 9)
        if t.portrait:
            panel, toggle = L.split_bottom(body, t.target, t.gap * 2)
            toggle = L.split_right(toggle, min(toggle.width, toggle_w))[1]
        else:  # (beside the panel: a low landscape panel keeps its height for the details)
            panel, side = L.split_right(body, min(body.width // 3, toggle_w), t.gap * 2)
            toggle = L.split_bottom(side, t.target)[1]
        words = _("Hide details") if self.details else _("Show details")
        self.add(Button(words, self.toggle_details, toggle, bold=False))
        self.add(Panel(self.lines, panel, title=_("Compare with the ID card (KTP)"), pages=True))

    def toggle_details(self) -> None:
        self.details = not self.details

    def update(self, now: float) -> None:
        if now - self.app.last_activity > self.CLEAR_AFTER_S:
            self.app.go_home()

    def lines(self):
        v = self.person
        words, color = STATUS_WORDS.get(v["status"], (N_("Not voted"), "ok"))
        status = (_("Status"), _(words), color)
        if not self.details:
            return [
                (_("Name"), data(v["name"]), None),
                (_("NIK"), data(masked_nik(v["nik"])), None),
                (_("Year of birth"), data(birth_year(v)), None),
                status,
            ]
        sex = _("Male") if v["sex"] == "L" else _("Female")
        return [
            (_("Name"), data(v["name"]), None),
            (_("NIK"), data(v["nik"]), None),
            (_("Sex"), sex, None),
            (_("Date of birth"), data(v["birth_date"]), None),
            (_("Address"), data(f"{v['address']} RT {v['rt']}/RW {v['rw']}"), None),
            (_("List"), _(LIST_WORDS.get(v["list"], "DPT")), None),
            status,
        ]


class RefusalScreen(CompanionScreen):
    """ "Pemilih ini sudah memilih", with the photo taken when they voted."""

    name = "refusal"
    title = N_("Already voted")

    def __init__(self, app, voter: dict, *, has_photo: bool) -> None:
        super().__init__(app)
        self.person = voter  # (Screen.voter says whether a screen is the voter's own)
        self.photo: pygame.Surface | None = None
        self.photo_problem = None
        if has_photo:

            def no_photo(exc):
                self.photo_problem = error_words(exc)
                return True

            ok, jpeg = app.call(app.api.view_photo, app.token, voter["ref"], on_error=no_photo)
            if ok:
                self.photo = pygame.image.load(io.BytesIO(jpeg), "photo.jpg")

    def build_body(self, area):
        t = self.theme
        body, cells = self.footer(area, 1)
        self.add(Button(_("Refuse and go back"), self.done, cells[0], kind="primary"))
        if t.portrait:
            words, pic = L.split_top(body, int(body.height * 0.35), t.gap * 2)
        else:
            words, pic = L.split_left(body, int(body.width * 0.5), t.gap * 2)
        self.words = words
        self.add(Picture(lambda: self.photo, pic, missing=self.photo_problem or _("No photo was taken")))

    def paint_body(self, p):
        t = p.theme
        top, bottom = L.split_top(self.words, int(self.words.height * 0.45), t.gap)
        p.text(_("This voter has already voted"), top, int(t.title * 1.2), bold=True, color=p.colors.bad, align="left")
        p.text(
            _("{name}: compare the person with the photo taken when they voted. Do not release a ballot.").format(
                name=self.person["name"]
            ),
            bottom,
            t.body,
            align="left",
            valign="top",
        )

    def done(self):
        self.app.go_home()


DPTB_REASONS = [
    N_("Lives here but is not on the DPT"),
    N_("Moved here (surat pindah)"),
    N_("Turned 17 after the DPT was made"),
]


class DptbFormScreen(CompanionScreen):
    """Add a voter to the DPTb: NIK, name, sex, date of birth, address, and why (all logged)."""

    name = "dptb_form"
    title = N_("Add to the DPTb")

    def __init__(self, app, query: str = "") -> None:
        super().__init__(app)
        q = query.strip()
        self.values = {
            "nik": q if q.isdigit() else "",
            "name": "" if q.isdigit() else q.upper(),
            "sex": "",
            "birth_date": "",
            "address": "",
            "rt": "",
            "rw": "",
            "reason": "",
        }

    def state_key(self):
        return tuple(sorted(self.values.items()))

    FIELDS = [
        ("nik", N_("NIK"), "digits", 16),
        ("name", N_("Name"), "text", 100),
        ("sex", N_("Sex"), "choice", 1),
        ("birth_date", N_("Date of birth (YYYY-MM-DD)"), "date", 10),
        ("address", N_("Address"), "text", 200),
        ("rt", N_("RT"), "digits", 3),
        ("rw", N_("RW"), "digits", 3),
        ("reason", N_("Reason"), "reason", 200),
    ]

    # The form's rows, in reading order: RT and RW side by side (three digits each); each row as
    # high as its words need (a long reason wraps, never shrinks), so every field is on one page.
    PORTRAIT_ROWS = (("nik",), ("name",), ("sex",), ("birth_date",), ("address",), ("rt", "rw"), ("reason",))
    LANDSCAPE_COLUMNS = ((("nik",), ("name",), ("sex",), ("birth_date",)), (("address",), ("rt", "rw"), ("reason",)))
    ROW_LABELS = {"birth_date": N_("Date of birth")}  # (the entry screen shows the format too)

    def build_body(self, area):
        t = self.theme
        body, cells = self.footer(area, 1)
        rows = {}
        for key, label, kind, limit in self.FIELDS:
            value = self.values[key]
            shown = (
                (_("Male") if value == "L" else _("Female") if value == "P" else data(value))
                if value
                else _("Touch to fill in")
            )
            rows[key] = ListRow(
                _(self.ROW_LABELS.get(key, label)),
                shown,
                (lambda k=key, lb=label, kd=kind, lim=limit: self.edit(k, lb, kd, lim)),
                badge=None if value or key in ("address", "rt", "rw") else _("Needed"),
                badge_color="warn",
            )
        gap = max(4, t.gap // 2)
        columns = (self.PORTRAIT_ROWS,) if t.portrait else self.LANDSCAPE_COLUMNS
        placed = []
        for column, box in zip(columns, L.columns(body, len(columns), t.gap * 2), strict=True):
            y = box.top
            for keys in column:
                cell_w = (box.width - gap * (len(keys) - 1)) // len(keys)
                lines = max(detail_lines(t, rows[k], cell_w) for k in keys)
                row = pygame.Rect(box.left, y, box.width, list_row_height(t, detail_lines=max(1, lines)))
                for k, cell in zip(keys, L.columns(row, len(keys), gap), strict=True):
                    rows[k].rect = cell
                    placed.append(rows[k])
                y = row.bottom + gap
        if all(body.contains(r.rect) for r in placed):
            for r in placed:
                self.add(r)
        else:  # (long values on a small panel: a page at a time rather than words cut off)
            in_order = [rows[key] for key, *_rest in self.FIELDS]
            width = body.width if t.portrait else (body.width - t.gap * 2) // 2
            height = rows_height(t, in_order, width)
            self.add(ListView(in_order, body, row_height=height, columns=1 if t.portrait else 2))
        ready = all(self.values[k] for k in ("nik", "name", "sex", "birth_date", "reason"))
        self.add(Button(_("Save to the DPTb"), self.save, cells[0], kind="primary", enabled=ready))

    def edit(self, key, label, kind, limit):
        def set_value(value):
            self.app.pop()
            self.values[key] = value
            self.relayout()

        if kind == "choice":
            self.app.push(
                ChoiceScreen(
                    self.app,
                    _(label),
                    _("Sex as on the ID card"),
                    [(_("Male"), "L"), (_("Female"), "P")],
                    set_value,
                    other=False,
                )
            )
        elif kind == "reason":
            self.app.push(
                ChoiceScreen(
                    self.app,
                    _(label),
                    _("Why is this voter not on the DPT?"),
                    [(_(r), str(_(r))) for r in DPTB_REASONS],
                    set_value,
                )
            )
        else:
            self.app.push(
                TextEntryScreen(self.app, _(label), set_value, initial=self.values[key], mode=kind, max_len=limit)
            )

    def save(self):
        v = self.values
        ok, row = self.app.call(
            self.app.api.add_dptb,
            self.app.token,
            nik=v["nik"],
            name=v["name"],
            sex=v["sex"],
            birth_date=v["birth_date"],
            address=v["address"],
            rt=v["rt"],
            rw=v["rw"],
            reason=v["reason"],
        )
        if ok:
            self.app.replace(VoterScreen(self.app, row))


# ----------------------------------------------------- the voter in the booth
def printer_problem(app):
    """The printer's fault as an exception with words (from the last print, else from its status)."""
    outcome = app.voter.last_print
    if outcome is not None and not outcome.ok and outcome.error is not None:
        return outcome.error
    try:
        st = app.devices.printer.status()
    except Exception:  # noqa: BLE001
        return PrinterOffline()
    if st.cover_open:
        return CoverOpen()
    if st.jammed:
        return PaperJam()
    if st.paper == "out":
        return PaperOut()
    if not st.online:
        return PrinterOffline()
    return PrinterError()


class ReprintScreen(CompanionScreen):
    """The slip did not print: what is wrong and what to do, then "Continue" reprints it."""

    name = "reprint"
    title = N_("Print the slip again")

    def build_body(self, area):
        body, (back, go) = self.footer(area, 2)
        self.body = body
        self.add(Button(_("Back"), self.back, back, bold=False))
        self.add(Button(_("Continue"), self.reprint, go, kind="primary"))

    def paint_body(self, p):
        paint_problem(
            p,
            self.body,
            error_words(printer_problem(self.app)),
            [
                (
                    _("The vote is already recorded: the same slip is printed again, no new ballot."),
                    p.theme.body,
                    False,
                    None,
                )
            ],
        )

    def reprint(self):
        def job():
            return self.app.call(self.app.station.reprint, self.app.token)

        def then(result):
            ok, outcome = result
            if not ok:
                return
            self.app.voter.last_print = outcome
            if outcome.ok:
                self.app.close_companion()  # the voter goes on: check the slip, photo

        self.app.push(WorkingScreen(self.app, _("Print the slip again"), _("Printing the slip…"), job, then))


def _booth_release(app) -> str | None:
    ok, vs = app.call(app.api.voter_screen, on_error=lambda exc: True)
    return vs.get("release") if ok else None


CANCEL_REASONS = [
    N_("The voter left the booth without voting"),
    N_("The ballot was released for the wrong voter"),
    N_("The voter needs help and will come back"),
]


def cancel_release_screen(app) -> ChoiceScreen:
    def pick(reason):
        release = _booth_release(app)
        ok, _r = app.call(app.api.cancel_release, app.token, release, str(reason))
        if ok:
            app.go_home()
            show_message(
                app,
                _("Cancel the ballot in the booth"),
                _("The ballot was cancelled. The voter may be checked in again."),
            )

    return ChoiceScreen(
        app,
        _("Cancel the ballot in the booth"),
        _("Why is the ballot cancelled?"),
        [(_(r), str(_(r))) for r in CANCEL_REASONS],
        pick,
    )


def skip_photo_screen(app) -> ChoiceScreen:
    def pick(reason):
        release = _booth_release(app)
        ok, _r = app.call(app.api.skip_photo, app.token, release, str(reason))
        if ok:
            app.close_companion()

    return ChoiceScreen(
        app, _("Skip the photo"), _("Why is the photo skipped?"), [(_(r), str(_(r))) for r in SKIP_PHOTO_REASONS], pick
    )
