"""The pygame-ce kiosk: voter and companion screens.

Where things are:

* ``app.py`` — :class:`~booth.ui.app.KioskApp`: one frame per ``step()``
  (input, the core's state, draw what changed, present, slow jobs after the frame),
  asleep between frames (``wait()``); companion mode, the screen stack, timings
  (:class:`~booth.ui.app.KioskSettings`);
* ``frames.py`` — the dry run of a screen and the regions that changed (only those are
  drawn), regions drawn before shown again by one blit; ``wakeup.py`` — sleeping on the
  touch screen's device and a wake pipe until there is something to draw;
* ``screen.py`` — the :class:`~booth.ui.screen.Screen` base class and the
  touch rule (down and up on the same target) and button focus;
* ``widgets.py`` — buttons, candidate cards, keypad, keyboard, lists,
  progress bar, bar chart, panels; ``layout.py`` cuts rectangles;
  ``drawing.py`` draws text that fits and records what was drawn;
  ``theme.py`` — colours, 12 mm targets from the DPI, large text, high contrast;
* ``voter_screens.py`` — waiting → ballot → confirm → printing → slip → photo →
  thanks, and :class:`~booth.ui.voter_screens.VoterFlow` which picks them;
* ``signin.py`` (PIN, lockout, making PINs), ``companion_home.py`` (state,
  counts, devices, next actions), ``companion_setup.py`` (package, custody,
  self-test, zero report, opening), ``checkin_screens.py`` (search, verify,
  release, refusal with photo, DPTb, reprint, cancel, skip photo),
  ``closing_screens.py`` (pause, close, count, results, export, pack, verify),
  ``common_screens.py`` (errors, questions, keyboard entry, choices, "please wait");
* ``i18n.py`` + ``locale/*/LC_MESSAGES/booth.po`` — every word on screen;
  ``voice.py`` — spoken prompts (espeak-ng clips, pygame.mixer);
* ``events.py`` — touches and button presses; ``driver.py`` — run the kiosk
  headless frame by frame (tests, scenarios, screenshots); ``kiosk_cli.py`` — ``booth kiosk``.

The UI talks to the core only through the client API (``BoothService`` in
process, ``BoothClient`` over the socket) and to the devices through
:class:`booth.kiosk.station.Station`; it never opens the ledger.
"""
