"""booth — the software of a voting-booth appliance for Pilkades / Pilkakon.

Layers (dependencies point downward only)::

    booth.ui        pygame kiosk            (talks to the core through booth.client)
    booth (core)    election day rules      (no pygame, gpiozero, picamera2)
    booth.ledger    signed event log, ballot store, photo vault, verify
    booth.hardware  one protocol per device, real and simulated drivers
"""

__version__ = "0.1.0"
