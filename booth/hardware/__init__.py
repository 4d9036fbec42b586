"""Hardware protocols and drivers (one protocol per device)."""
