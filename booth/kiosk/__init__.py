"""The kiosk's hands and its printouts: what the kiosk does besides its screens.

Runs in the kiosk process (``booth-kiosk``) next to the devices, and in the
simulator; it needs no display (no pygame), so the simulator's whole day and
the tests use it headless.

* ``station.py`` — :class:`~booth.kiosk.station.Station`: print what the core
  says, take the photo, show the lights, report back (``slip_printed`` /
  ``slip_failed``); the devices' self-test.
* ``printouts.py`` — from the client API's plain JSON answers to the
  ``booth.paper`` layouts (the slip, the zero and results reports, the custody
  slip, the self-test); adds nothing the core did not say.

The screens are in ``booth/ui/``; both talk to the core only through the
client API (``booth.api.protocol.BoothAPI``).
"""
