"""The whole simulated day: what a tester, a trainer or CI runs on a laptop.

* ``scenario.py`` — the scenario file (``booth-sim-scenario v1``): the
  election, the clock, the steps, faults and what the day should come to; and
  the checker that reads the day's rules from the core (``polls.TRANSITIONS``,
  ``polls.ACTS``, custody, ``companions.PERMISSIONS``) before anything runs.
* ``runner.py`` — :class:`~booth_sim.day.runner.SimDay` plays a scenario
  against the real core (``BoothService``) and the kiosk's hands
  (``booth.kiosk.station.Station``) over the simulated devices.
* ``demo_scenario.py`` — the built-in demo day (``booth demo``).

The simulated devices themselves are the modules beside this package
(``booth_sim.gpio``, ``printer``, ``camera``, ``power``); the day uses them
through ``booth.hardware.devices``, as the appliance uses its real ones.
"""
