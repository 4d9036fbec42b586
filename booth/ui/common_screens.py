"""Screens every companion task reuses: the header, errors, questions, typing, choosing, waiting.

* :class:`CompanionScreen` — the base of every companion screen: a title
  band with a back button, the companion's name and the time;
* :class:`ErrorScreen` — leads with the cause and what to do (the core's
  words, then a hint for the kind of refusal);
* :class:`QuestionScreen` — "are you sure?" with the consequence spelled out;
* :class:`TextEntryScreen` — the on-screen keyboard (names, NIK, notes, reasons);
* :class:`ChoiceScreen` — pick one of a few reasons, or type another;
* :class:`WorkingScreen` — "please wait" on the glass, then the slow job
  (printing, verifying, exporting) runs after the frame is shown.
"""

from __future__ import annotations

import datetime as dt

import pygame

from booth.ui import layout as L
from booth.ui.i18n import N_, _, core_words, data, error_words
from booth.ui.screen import Screen
from booth.ui.theme import font
from booth.ui.widgets import Button, Keyboard, Keypad, Label, ListRow, ListView, ProgressBar, TextField

# What to do next, by the kind of refusal (BoothError.code); the core's words say the cause.
NEXT_STEP = {
    "wrong_pin": N_("Check the PIN and try again."),
    "locked_out": N_("Wait, or ask the committee to unlock the PIN."),
    "not_allowed": N_("Go back and do the step that is asked for first."),
    "not_signed_in": N_("Sign in again with your PIN."),
    "permission_denied": N_("Ask the coordinator (ketua) to do this step."),
    "bad_input": N_("Check what was typed and try again."),
    "unknown_voter": N_("Search again by NIK, or add the voter to the DPTb."),
    "already_voted": N_("Refuse the voter and note it in the official report."),
    "too_soon": N_("Wait a moment and try again."),
    "package_refused": N_("Ask the committee to check the election package."),
}


#: A companion's role in the words of the screens (the package names them ketua, teknisi, anggota).
ROLE_WORDS = {
    "ketua": N_("Coordinator (Ketua KPPS)"),
    "teknisi": N_("Technical companion"),
    "anggota": N_("Polling officer (KPPS)"),
}


def role_words(role: str):
    """The role's words on screen; a role the table does not know is shown as the package has it."""
    return _(ROLE_WORDS[role]) if role in ROLE_WORDS else data(role)


def local_time(app) -> dt.datetime:
    """The wall clock in the election's time zone (WIB in Lampung), else UTC."""
    now = app.wall_time()
    election = app.voter.election
    if election and election.get("opens_at"):
        try:
            return now.astimezone(dt.datetime.fromisoformat(election["opens_at"]).tzinfo)
        except (ValueError, TypeError):
            pass
    return now


def local_hhmm(app, utc_text: str | None) -> str:
    """ "07:42" for a time the core gave in UTC (ISO text), in the election's time zone."""
    if not utc_text:
        return ""
    try:
        when = dt.datetime.fromisoformat(utc_text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    election = app.voter.election
    if election and election.get("opens_at"):
        when = when.astimezone(dt.datetime.fromisoformat(election["opens_at"]).tzinfo)
    return when.strftime("%H:%M")


class CompanionScreen(Screen):
    """A companion screen: title band (back button, title, who and when), then :meth:`build_body`."""

    title = N_("Companion")
    has_back = True
    compact = False  # a keyboard screen: the title band only as high as a target, small margins

    def build(self, area):
        t = self.theme
        # room for a title of two lines at its size (a long title wraps, it is not shrunk)
        head_h = t.target if self.compact else max(t.target, 2 * font(t.title, True).get_linesize() + 4)
        if t.portrait and not self.compact:  # a narrow band beside the back button: three short lines
            head_h = max(head_h, 3 * font(t.min_px, True).get_linesize() + 4)
        head, body = L.split_top(area, head_h)
        self.head_rect = head
        self.title_rect = L.inset(head, t.margin, 0)
        if self.has_back:
            # as wide as its icon and word need at the button size (never shrunk to fit)
            words = font(t.button).size(str(_("Back")))[0]
            icon = min(t.target - 2 * max(4, t.gap // 2), max(t.button, t.target // 2))
            back = pygame.Rect(
                head.left + t.gap // 2,
                head.top + (head_h - t.target) // 2,
                max(t.target, words + icon + 2 * max(6, t.gap) + t.gap + 4),
                t.target,
            )
            self.add(Button(_("Back"), self.back, back, icon="back", bold=False))
            self.title_rect = pygame.Rect(
                back.right + t.gap, head.top, head.right - back.right - t.gap * 2, head.height
            )
        if self.compact:
            self.build_body(L.inset(body, max(4, t.gap // 2), max(3, t.gap // 2)))
        else:
            self.build_body(L.inset(body, t.margin, t.gap))

    def build_body(self, area: pygame.Rect) -> None:
        """Create the widgets under the title band (override)."""

    def screen_title(self):
        return _(self.title)

    def paint(self, p):
        p.box(self.head_rect, p.colors.header_bg, radius=0)
        who = self.app.whoami
        when = local_time(self.app).strftime("%H:%M")
        sub = data(f"{who['name']}\n{when}" if who and not p.theme.portrait else when)
        # (a portrait band is too narrow for the name beside a title: the home screen shows it)
        # the companion's name and the time as wide as they are (the title wraps beside them)
        f = font(p.theme.small)
        need = max(f.size(line)[0] for line in str(sub).split("\n")) + 4
        left, right = L.split_right(self.title_rect, min(int(self.title_rect.width * 0.45), need), p.theme.gap)
        lines = 3 if p.theme.portrait else 2
        p.text(
            self.screen_title(), left, p.theme.title, color=p.colors.header_fg, bold=True, align="left", max_lines=lines
        )
        p.text(sub, right, p.theme.small, color=p.colors.header_fg, align="right", max_lines=2)
        self.paint_body(p)

    def paint_body(self, p) -> None:
        """Per-frame drawing of the body (override)."""

    def paint_key(self):
        # the title band: its words, the companion's name and the minute (a screen that paints its
        # body itself says what that depends on in its own paint_key, or gets none)
        title, who = self.screen_title(), self.app.whoami
        when = local_time(self.app).strftime("%H:%M")
        return ("companion", type(title), str(title), who and who.get("name"), when)

    def back(self):
        self.app.pop()

    def footer(self, area: pygame.Rect, n: int = 1) -> tuple[pygame.Rect, list[pygame.Rect]]:
        """Split ``area`` into (body, ``n`` footer buttons' boxes)."""
        t = self.theme
        # two lines of button words at the legible minimum, and never less than a 12 mm target
        lines = 3 if t.portrait else 2  # (a narrow portrait button wraps to three)
        high = max(t.target, lines * font(t.min_px, True).get_linesize() + 2 * max(6, t.gap // 2) + 2)
        body, foot = L.split_bottom(area, high, t.gap * 2)
        return body, L.columns(foot, n, t.gap * 2)


class ErrorScreen(CompanionScreen):
    """A refusal or a fault: the cause first (big), then what to do; "Back" or a retry."""

    name = "error"
    title = N_("Problem")

    def __init__(self, app, exc, *, title=None, retry=None) -> None:
        super().__init__(app)
        self.exc = exc
        self.custom_title = title
        self.retry = retry  # (label, callable) e.g. ("Continue", reprint)

    def screen_title(self):
        return self.custom_title or _(self.title)

    def build_body(self, area):
        body, cells = self.footer(area, 2 if self.retry else 1)
        self.body = body
        if self.retry:
            self.add(Button(_("Back"), self.back, cells[0], bold=False))
            self.add(Button(self.retry[0], self.retry[1], cells[1], kind="primary"))
        else:
            self.add(Button(_("Back"), self.back, cells[0], kind="primary"))

    def paint_body(self, p):
        code = getattr(self.exc, "code", None)
        details = getattr(self.exc, "details", None) or {}
        parts = [(_(NEXT_STEP[code]), p.theme.body, False, None)] if code in NEXT_STEP else []
        if details.get("problems"):
            parts.append((data("\n".join(details["problems"][:4])), p.theme.small, False, p.colors.muted))
        paint_problem(p, self.body, error_words(self.exc), parts)


def paint_problem(p, box: pygame.Rect, cause, more=()) -> None:
    """A warning sign, the cause in big words, then what to do — from the top, nothing far apart."""
    t = p.theme
    size = min(t.target, box.height // 4)
    icon = pygame.Rect(box.left, box.top, size, size)
    p.icon("warning", icon, p.colors.bad)
    words = pygame.Rect(icon.right + t.gap * 2, box.top, box.right - icon.right - t.gap * 2, box.height)
    p.column(words, [(cause, int(t.title * 1.2), True, None)] + list(more), gap=t.gap * 2)


class QuestionScreen(CompanionScreen):
    """A question with its consequence, and two answers."""

    name = "question"

    def __init__(
        self, app, title, question, yes_label, on_yes, *, details=None, danger: bool = False, no_label=None
    ) -> None:
        super().__init__(app)
        self.custom_title = title
        self.question = question
        self.details = details
        self.yes_label, self.on_yes = yes_label, on_yes
        self.no_label = no_label
        self.danger = danger

    def screen_title(self):
        return self.custom_title

    def build_body(self, area):
        body, (no, yes) = self.footer(area, 2)
        self.body = body
        self.add(Button(self.no_label or _("Cancel"), self.back, no, bold=False))
        self.add(Button(self.yes_label, self.on_yes, yes, kind="danger" if self.danger else "primary"))

    def paint_body(self, p):
        if self.details is None:
            p.text(self.question, self.body, p.theme.title, bold=True)
            return
        q, d = L.split_top(self.body, int(self.body.height * 0.4), p.theme.gap)
        p.text(self.question, q, p.theme.title, bold=True)
        p.text(self.details, d, p.theme.body, valign="top")


class TextEntryScreen(CompanionScreen):
    """Typing with the on-screen keyboard; ``on_done(text)`` gets the result."""

    name = "text_entry"
    compact = True

    def __init__(
        self,
        app,
        title,
        on_done,
        *,
        initial: str = "",
        mode: str = "text",
        max_len: int = 100,
        hint=None,
        done_label=None,
        required: bool = False,
        extra: str = "-./,",
    ) -> None:
        super().__init__(app)
        self.extra = extra  # punctuation keys on the last row (none for searching)
        self.custom_title = title
        self.value = initial
        self.on_done = on_done
        self.mode = mode  # "text", "digits" (NIK, RT), "date" (YYYY-MM-DD)
        self.max_len = max_len
        self.hint = hint
        self.done_label = done_label
        self.required = required

    def screen_title(self):
        return self.custom_title

    def build_body(self, area):
        t = self.theme
        gap = max(3, t.gap // 2)
        high = t.target
        if self.hint is not None:  # the hint, wrapped at its size, fits the field
            high = max(high, Label.height_for(t, self.hint, area.width - 2 * t.gap) + 2 * t.gap)
        field, rest = L.split_top(area, high, gap)
        self.add(TextField(lambda: self.value, field, placeholder=self.hint))  # the hint shows until typing
        done = self.done_label or _("Done")
        if self.mode == "text":
            self.add(Keyboard(self.key, done, rest, extra=self.extra, min_key=t.target, gap=gap))
        elif self.mode == "date":
            self.add(Keyboard(self.key, done, rest, digits_only=True, extra="-", min_key=t.target, gap=gap))
        else:
            pad = L.centered(rest, min(rest.width, int(rest.height * 1.2)), rest.height)
            self.add(Keypad(self.key, done, pad))

    def key(self, k: str) -> None:
        if k == "del":
            self.value = self.value[:-1]
        elif k in ("done", "go"):
            if self.required and not self.value.strip():
                return
            self.on_done(self.value.strip())
        elif len(self.value) < self.max_len:
            if k == " " and (not self.value or self.value.endswith(" ")):
                return
            self.value += k


class ChoiceScreen(CompanionScreen):
    """Pick one of a few answers (e.g. the reason to cancel a ballot), or type another."""

    name = "choice"

    def __init__(self, app, title, prompt, choices, on_pick, *, other: bool = True) -> None:
        super().__init__(app)
        self.custom_title = title
        self.prompt = prompt
        self.choices = choices  # [(label, value)]
        self.on_pick = on_pick
        self.other = other

    def screen_title(self):
        return self.custom_title

    def build_body(self, area):
        t = self.theme
        high = Label.height_for(t, self.prompt, area.width, bold=True, least=int(t.body * 2.2))
        prompt, rest = L.split_top(area, high, t.gap)
        self.add(Label(self.prompt, prompt, align="left", bold=True))
        rows = [ListRow(label, on_tap=(lambda v=value: self.on_pick(v))) for label, value in self.choices]
        if self.other:
            rows.append(ListRow(_("Other reason (type it)"), on_tap=self.type_other))
        self.add(ListView(rows, rest, row_height=t.target))

    def type_other(self):
        self.app.push(TextEntryScreen(self.app, self.custom_title, self._typed, required=True, hint=self.prompt))

    def _typed(self, text):
        self.app.pop()
        self.on_pick(text)


class WorkingScreen(CompanionScreen):
    """ "Please wait" with a busy bar; ``job()`` runs after this frame is shown, then ``then(result)``."""

    name = "working"
    has_back = False

    def __init__(self, app, title, words, job, then) -> None:
        super().__init__(app)
        self.custom_title = title
        self.words = words
        self.job = job
        self.then = then
        self.started = False

    def screen_title(self):
        return self.custom_title

    def build_body(self, area):
        t = self.theme
        words, bar = L.split_top(area, int(area.height * 0.6), t.gap)
        self.words_box = words
        self.add(ProgressBar(lambda: None, L.centered(bar, int(bar.width * 0.8), t.target // 2)))

    def paint_body(self, p):
        p.text(self.words, self.words_box, p.theme.title, bold=True)

    def update(self, now):
        if not self.started:
            self.started = True
            self.app.later(self._run)

    def _run(self):
        result = self.job()
        stack = self.app.companion_stack
        if self in stack:  # gone from the stack even if an error screen went on top of it
            if stack[-1] is self:
                self.app.pop()
            else:
                stack.remove(self)
        self.then(result)


class NoticeScreen(CompanionScreen):
    """Something done or to know, and one "OK"."""

    name = "notice"
    has_back = False

    def __init__(self, app, title, words, then=None) -> None:
        super().__init__(app)
        self.custom_title = title
        self.words = words
        self.then = then

    def screen_title(self):
        return self.custom_title

    def build_body(self, area):
        body, (ok,) = self.footer(area, 1)
        self.body = body
        self.add(Button(_("OK"), self.ok, ok, kind="primary"))

    def paint_body(self, p):
        p.text(self.words, self.body, p.theme.title, bold=True)

    def ok(self):
        self.app.pop()
        if self.then is not None:
            self.then()

    def back(self):
        self.ok()


def show_message(app, title, words, *, then=None) -> None:
    """A plain notice with one "OK" button; ``then()`` runs after it is closed."""
    app.push(NoticeScreen(app, title, words, then))


__all__ = [
    "CompanionScreen",
    "ErrorScreen",
    "QuestionScreen",
    "NoticeScreen",
    "TextEntryScreen",
    "ChoiceScreen",
    "WorkingScreen",
    "show_message",
    "core_words",
]
