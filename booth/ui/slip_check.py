"""The slip check and the disputed slip: the voter's two answers, and the companion who spoils the ballot.

After the slip prints, the voter compares it with the choice they made and
answers on the screen (issue #11, Pemalang 2018: "pressing 1 shows another
candidate" — a paper trail the voter cannot act on protects no one)::

    slip_check --"Struk sesuai"--------> photo (the slip goes into the audit box)
               --"Struk tidak sesuai"--> disputed: "Panggil petugas"
    disputed   --companion, PIN: "Batalkan surat suara"--> VOID print --> ballot (the same release)
               --after two spoils: "Teruskan ke panitia" (logged) --> photo; the ballot stands

The core keeps the answer (``slip_confirmed`` / ``slip_disputed``) and the
spoil (``spoil_ballot``) in its log; these screens only ask.  Nothing here
shows the ballot's ID or repeats the choice to the companion: the VOID print
carries the ID, the disputed slip the choice, and both go into the audit box.
"""

from __future__ import annotations

import pygame

from booth.ui import layout as L
from booth.ui.common_screens import ChoiceScreen, CompanionScreen, WorkingScreen, paint_problem, show_message
from booth.ui.i18n import N_, _
from booth.ui.voter_screens import OTHER_SCREENS, VoterScreen
from booth.ui.widgets import Button


def _foot_height(theme) -> int:
    return max(int(theme.target * 1.3), int(theme.button * 2.6))


class SlipCheckScreen(VoterScreen):
    """ "Periksa struk Anda": the voter answers "Struk sesuai" or "Struk tidak sesuai"."""

    name = "slip_check"
    speech = "slip_check"

    def build(self, area):
        t = self.theme
        area = L.inset(area, t.margin)
        _body, foot = L.split_bottom(area, _foot_height(t) * 2 + t.gap * 3, t.gap)
        ok, dispute = L.split_top(foot, _foot_height(t), t.gap * 3)
        # "Struk sesuai" first: the buttons' DOWN order and the gallery's voter rely on it
        self.matches = Button(_("The slip is correct"), self.correct, ok, kind="primary", icon="check")
        self.add(self.matches)
        self.disputes = Button(_("The slip is NOT correct"), self.wrong, dispute, kind="danger", icon="warning")
        self.add(self.disputes)

    def paint(self, p):
        t = p.theme
        area = L.inset(pygame.Rect(0, 0, *self.size), t.margin * 2)
        area, _foot = L.split_bottom(area, _foot_height(t) * 2 + t.gap * 5)
        top, bottom = L.split_top(area, area.height // 2, t.gap)
        p.text(_("Check your slip. Does it show your choice?"), top, int(t.title * 1.3), bold=True, valign="bottom")
        lead, rest = L.split_top(bottom, int(t.title * 1.8), t.gap // 2)
        p.text(_("If it is correct:"), lead, t.title, valign="bottom")
        p.text(_("Put the slip in the Audit Box"), rest, int(t.title * 1.2), bold=True, valign="top")

    def correct(self):
        release = self.flow.release
        if release is not None:
            self.app.call(self.app.station.answer_slip, release, True)
        self.app.after_action()

    def wrong(self):
        release = self.flow.release
        if release is not None:
            self.app.call(self.app.station.answer_slip, release, False)
        self.app.after_action()

    def back(self):
        pass


class DisputedScreen(VoterScreen):
    """The voter said the slip is wrong: call a companion; keep the slip out of the audit box."""

    name = "disputed"
    speech = "call_companion"

    def paint(self, p):
        can_spoil = self.flow.core.get("can_spoil", True)
        body = (
            _(
                "You said the slip is not correct. Do not put it in the Audit Box: give it to the companion. "
                "The companion cancels this ballot and you vote again."
            )
            if can_spoil
            else _("You said the slip is not correct again. The companion records your objection for the committee.")
        )
        self.message_screen(p, _("Call a companion"), body, icon="warning", color=p.colors.bad)

    def back(self):
        pass


OTHER_SCREENS.update(slip_check=SlipCheckScreen, disputed=DisputedScreen)


# ------------------------------------------------------------------ the companion
def _booth_state(app) -> dict:
    ok, vs = app.call(app.api.voter_screen, on_error=lambda exc: True)
    return vs if ok else {}


class SpoilScreen(CompanionScreen):
    """The voter disputed the slip: spoil that ballot (the VOID mark prints) so the voter votes again."""

    name = "spoil"
    title = N_("Slip disputed")

    def build_body(self, area):
        self.booth = _booth_state(self.app)
        body, (back, go) = self.footer(area, 2)
        self.body = body
        self.add(Button(_("Back"), self.back, back, bold=False))
        if self.booth.get("can_spoil", True):
            self.add(Button(_("Spoil this ballot"), self.ask, go, kind="danger"))
        else:
            self.add(Button(_("Escalate to the committee"), self.escalate, go, kind="danger"))

    def paint_body(self, p):
        t = p.theme
        spoils = int(self.booth.get("spoils", 0))
        if self.booth.get("can_spoil", True):
            more = [
                (
                    _(
                        "The ballot is cancelled: it is kept in the records but not counted, and the voter votes "
                        "again. The printer prints a BATAL / VOID mark: staple it to the disputed slip and put "
                        "both in the Audit Box."
                    ),
                    t.body,
                    False,
                    None,
                ),
                (
                    _("Spoiled for this voter so far: {spoils} of 2.").format(spoils=spoils),
                    t.body,
                    True,
                    None,
                ),
            ]
        else:
            more = [
                (
                    _(
                        "This voter's ballot was already spoiled twice: it cannot be spoiled again. Record the "
                        "dispute for the committee; the ballot stands and the voter goes on to the photo."
                    ),
                    t.body,
                    False,
                    None,
                )
            ]
        paint_problem(p, self.body, _("The voter says the slip does not show their choice."), more)

    def ask(self):
        from booth.ui.common_screens import QuestionScreen

        self.app.push(
            QuestionScreen(
                self.app,
                _("Spoil this ballot"),
                _("Spoil the disputed ballot?"),
                _("Spoil this ballot"),
                self.spoil,
                details=_("This cannot be undone. The voter then votes again with the same release."),
                danger=True,
                # not "Batal": beside "Batalkan surat suara ini" a tired companion could take it for it
                no_label=_("Keep the ballot"),
            )
        )

    def spoil(self):
        release = self.booth.get("release")

        def job():
            return self.app.call(self.app.station.spoil, self.app.token, release)

        def then(result):
            ok, outcome = result
            if not ok:
                return
            self.app.voter.error = None
            if outcome.ok:
                self.app.close_companion()  # the voter votes again
                return
            self.app.go_home()
            show_message(
                self.app,
                _("Spoil this ballot"),
                _(
                    "The ballot is spoiled, but the BATAL / VOID mark did not print. Write BATAL on the disputed "
                    "slip by hand and put it in the Audit Box; the voter can vote again."
                ),
            )

        self.app.pop()  # the question
        self.app.push(WorkingScreen(self.app, _("Spoil this ballot"), _("Printing the BATAL / VOID mark…"), job, then))

    def escalate(self):
        self.app.push(escalate_screen(self.app, self.booth.get("release")))


ESCALATION_NOTES = [
    N_("The voter disputes the slip a third time"),
    N_("The voter says the screen records another candidate"),
]


def escalate_screen(app, release) -> ChoiceScreen:
    """Why the dispute goes to the committee (logged with the release, never with the ballot)."""

    def pick(note):
        ok, _r = app.call(app.api.escalate_dispute, app.token, release, str(note))
        if ok:
            app.close_companion()  # the voter goes on to the photo

    return ChoiceScreen(
        app,
        _("Escalate to the committee"),
        _("What does the committee need to know?"),
        [(_(n), str(_(n))) for n in ESCALATION_NOTES],
        pick,
    )
