"""Companions sign in with their PIN — and see clearly when they must wait or are locked out.

The companion button (or a long press on the hidden top-left corner) opens
:class:`SignInScreen`: the list of companions of the election package.  A
companion with a PIN signs in on :class:`PinScreen`; wrong PINs lock out with
growing waits (the rule is the core's, ``booth.companions.lockout``): the
screen counts the wait down from ``LockedOut.details["wait_seconds"]``, and
after too many misses says "PIN terkunci. Hubungi panitia".  At handover each
companion makes their PIN on :class:`MakePinScreen`.

Before a package is loaded there is nobody to sign in: the screen offers
loading the package (the committee's act at the warehouse).
"""

from __future__ import annotations

import pygame

from booth.errors import LockedOut, WrongPin
from booth.ui import layout as L
from booth.ui.common_screens import CompanionScreen, role_words, show_message
from booth.ui.drawing import fit
from booth.ui.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _, core_words, data, error_words
from booth.ui.theme import font
from booth.ui.widgets import Button, Keypad, Label, ListRow, ListView, TextField, list_row_height

MIN_PIN = 6
MAX_PIN = 12


class SignInScreen(CompanionScreen):
    """Who is signing in? (and, before handover: load the package, custody, make PINs)."""

    name = "sign_in"
    title = N_("Companion sign-in")

    def __init__(self, app, *, message=None) -> None:
        super().__init__(app)
        self.message = message
        self.status: dict = {}
        self.companions: list[dict] = []

    def on_show(self):
        ok, st = self.app.call(self.app.api.status, on_error=lambda exc: True)
        self.status = st if ok else {}
        self.companions = []
        if self.status.get("election_id"):
            ok, info = self.app.call(self.app.api.election_info, on_error=lambda exc: True)
            if ok:
                self.companions = info["companions"]
                if self.app.voter.election is None:
                    self.app.voter.load_election()
        self.relayout()

    def back(self):
        self.app.close_companion()

    def build_body(self, area):
        from booth.ui.companion_setup import CustodyScreen, PackageLoadScreen

        t = self.theme
        body, cells = self.footer(area, 1)
        other = [lang for lang in LANGUAGES if lang != self.app.companion_language][0]
        self.add(
            Button(
                data(LANGUAGE_NAMES[other]),
                lambda: self.app.set_companion_language(other),
                cells[0],
                icon="globe",
                bold=False,
            )
        )
        if self.message is not None:
            words = error_words(self.message)
            high = Label.height_for(t, words, body.width, bold=True, least=int(t.body * 2.6))
            msg, body = L.split_top(body, high, t.gap)
            self.add(Label(words, msg, color="bad", bold=True, align="left"))
        if not self.status.get("election_id"):
            words, rest = L.split_top(body, int(body.height * 0.5), t.gap)
            self.add(Label(_("No election package is loaded yet."), words, size="title", bold=True))
            self.add(
                Button(
                    _("Load the election package"),
                    lambda: self.app.push(PackageLoadScreen(self.app)),
                    L.centered(rest, int(rest.width * 0.8), t.target),
                    kind="primary",
                )
            )
            return
        extra = []
        if self.status.get("custody_next") in ("received", "distributed"):
            extra.append(
                Button(
                    _("Record custody (before handover)"),
                    lambda: self.app.push(CustodyScreen(self.app)),
                    kind="primary",
                )
            )
        if not any(c["has_pin"] for c in self.companions) and self.status.get("polls") == "configured":
            extra.append(Button(_("Load another package"), lambda: self.app.push(PackageLoadScreen(self.app))))
        if extra:
            # as high as the longest label needs at the legible size, wrapped in its cell
            cell_w = (body.width - t.gap * 2 * (len(extra) - 1)) // len(extra) - 2 * max(6, t.gap)
            room = pygame.Rect(0, 0, max(1, cell_w), 10**4)
            lines = max(len(fit(str(b.text), t.min_px, True, room, min_px=t.min_px)[1]) for b in extra)
            high = max(t.target, lines * font(t.min_px, True).get_linesize() + 2 * max(4, t.gap // 2) + 2)
            body, strip = L.split_bottom(body, high, t.gap * 2)
            for b, cell in zip(extra, L.columns(strip, len(extra), t.gap * 2), strict=True):
                b.rect = cell
                self.add(b)
        prompt, rest = L.split_top(body, int(t.body * 1.8))
        self.add(Label(_("Touch your name"), prompt, align="left", bold=True))
        rows = []
        for c in self.companions:
            if c["locked"]:
                badge, color = _("Locked"), "bad"
            elif not c["has_pin"]:
                badge, color = _("No PIN yet"), "warn"
            else:
                badge, color = None, "muted"
            rows.append(
                ListRow(
                    data(c["name"]), role_words(c["role"]), (lambda c=c: self.pick(c)), badge=badge, badge_color=color
                )
            )
        self.add(ListView(rows, rest, row_height=list_row_height(t)))

    def pick(self, companion: dict) -> None:
        if companion["has_pin"]:
            self.app.push(PinScreen(self.app, companion))
        else:
            self.app.push(MakePinScreen(self.app, companion))


def pin_layout(screen: PinScreen | MakePinScreen, area: pygame.Rect, go_label, go_enabled) -> pygame.Rect:
    """The keypad beside (landscape) or under (portrait) the words; returns the words' box."""
    t = screen.theme
    if t.portrait:
        words, pad = L.split_bottom(area, int(area.height * 0.62), t.gap * 2)
        pad = L.centered(pad, min(pad.width, int(pad.height * 1.0)), pad.height)
    else:
        words, pad = L.split_right(area, min(int(area.width * 0.5), int(area.height * 0.95)), t.gap * 3)
    field_h = max(t.target, int(t.title * 1.8))
    field_box = pygame.Rect(words.left, words.top + int(t.body * 2.4), words.width, field_h)
    screen.add(TextField(lambda: screen.pin, field_box, secret=True))
    screen.add(Keypad(screen.key, go_label, pad, go_enabled=go_enabled))
    return words


class PinScreen(CompanionScreen):
    """The PIN keypad for one companion, with wrong-PIN messages and the lockout wait."""

    name = "pin"
    title = N_("Enter your PIN")

    def __init__(self, app, companion: dict) -> None:
        super().__init__(app)
        self.companion = companion
        self.pin = ""
        self.message: str | None = None
        self.wait_until: float | None = None
        self.locked = bool(companion.get("locked"))

    def build_body(self, area):
        self.words = pin_layout(self, area, _("Sign in"), self.can_try)

    def waiting(self) -> int:
        if self.wait_until is None:
            return 0
        left = self.wait_until - self.app.now()
        return max(0, int(-(-left // 1)))

    def can_try(self) -> bool:
        return len(self.pin) >= MIN_PIN and not self.locked and not self.waiting()

    def paint_body(self, p):
        t = p.theme
        name_box = pygame.Rect(self.words.left, self.words.top, self.words.width, int(t.body * 2.2))
        p.text(data(self.companion["name"]), name_box, t.title, bold=True, align="left")
        below = pygame.Rect(
            self.words.left,
            self.words.top + int(t.body * 2.4) + max(t.target, int(t.title * 1.8)) + t.gap * 2,
            self.words.width,
            0,
        )
        below.height = max(0, self.words.bottom - below.top)
        if self.locked:
            p.text(
                _("PIN locked. Contact the committee (panitia)."),
                below,
                t.title,
                bold=True,
                color=p.colors.bad,
                align="left",
                valign="top",
            )
        elif self.waiting():
            p.text(
                _("Too many wrong PINs. Wait {seconds} seconds, then try again.").format(seconds=self.waiting()),
                below,
                t.title,
                bold=True,
                color=p.colors.bad,
                align="left",
                valign="top",
            )
        elif self.message is not None:
            p.text(self.message, below, t.body, bold=True, color=p.colors.bad, align="left", valign="top")
        else:
            p.text(_("At least 6 digits."), below, t.body, color=p.colors.muted, align="left", valign="top")

    def key(self, k: str) -> None:
        if self.locked or self.waiting():
            return
        if k == "del":
            self.pin = self.pin[:-1]
        elif k == "go":
            if self.can_try():
                self.sign_in()
        elif len(self.pin) < MAX_PIN:
            self.pin += k

    def sign_in(self) -> None:
        pin, self.pin = self.pin, ""
        ok, token = self.app.call(self.app.api.sign_in, self.companion["id"], pin, on_error=self.refused)
        if ok:
            self.app.signed_in(token, self.companion["id"])

    def refused(self, exc) -> bool:
        if isinstance(exc, LockedOut):
            if exc.details.get("locked"):
                self.locked = True
            else:  # the countdown says it all, and goes away when the wait is over
                self.wait_until = self.app.now() + float(exc.details.get("wait_seconds", 0))
            self.message = None
            return True
        if isinstance(exc, WrongPin):
            self.message = error_words(exc)
            return True
        return False


class MakePinScreen(CompanionScreen):
    """At handover: a companion makes a PIN (typed twice)."""

    name = "make_pin"
    title = N_("Make your PIN")

    def __init__(self, app, companion: dict) -> None:
        super().__init__(app)
        self.companion = companion
        self.pin = ""
        self.first: str | None = None
        self.message: str | None = None

    def state_key(self):
        return self.first is None

    def build_body(self, area):
        label = _("Next") if self.first is None else _("Save PIN")
        self.words = pin_layout(self, area, label, lambda: len(self.pin) >= MIN_PIN)

    def paint_body(self, p):
        t = p.theme
        name_box = pygame.Rect(self.words.left, self.words.top, self.words.width, int(t.body * 2.2))
        p.text(data(self.companion["name"]), name_box, t.title, bold=True, align="left")
        below = pygame.Rect(
            self.words.left,
            self.words.top + int(t.body * 2.4) + max(t.target, int(t.title * 1.8)) + t.gap * 2,
            self.words.width,
            0,
        )
        below.height = max(0, self.words.bottom - below.top)
        if self.message is not None:
            p.text(self.message, below, t.body, bold=True, color=p.colors.bad, align="left", valign="top")
        elif self.first is None:
            p.text(_("Type a new PIN of 6 to 12 digits. Keep it secret."), below, t.body, align="left", valign="top")
        else:
            p.text(_("Type the same PIN again."), below, t.body, align="left", valign="top")

    def key(self, k: str) -> None:
        if k == "del":
            self.pin = self.pin[:-1]
        elif k == "go":
            if len(self.pin) < MIN_PIN:
                return
            if self.first is None:
                self.first, self.pin, self.message = self.pin, "", None
            elif self.pin != self.first:
                self.first, self.pin = None, ""
                self.message = _("The two PINs were not the same. Start again.")
            else:
                self.save()
        elif len(self.pin) < MAX_PIN:
            self.pin += k

    def save(self) -> None:
        pin, self.pin, self.first = self.pin, "", None

        def refused(exc):
            self.message = error_words(exc)
            return True

        ok, _r = self.app.call(self.app.api.set_first_pin, self.companion["id"], pin, on_error=refused)
        if ok:
            self.app.pop()
            show_message(self.app, _("Make your PIN"), _("PIN saved for {name}.").format(name=self.companion["name"]))


__all__ = ["SignInScreen", "PinScreen", "MakePinScreen", "role_words", "core_words"]
