"""Tools that make the project's documentation from the simulator: not part of the appliance.

* ``gallery.py`` — ``booth screens``: every kiosk screen, per resolution and
  language, with the gallery page (``docs/screens``);
* ``guidebook.py`` — ``booth guidebook``: the companions' guidebook (Markdown
  with screens and printouts from a simulated day, and PDF);
* ``paper_examples.py`` — example data for every printed item, and
  ``python -m booth_dev.paper_examples OUT_DIR`` that renders them to PNG.

They drive the real kiosk (``booth.ui``) over the simulated day
(``booth_sim.day``); nothing that runs on the appliance imports them (a layer
test holds that).
"""
