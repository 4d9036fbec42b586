"""Simulated booth hardware: the devices testers and CI use instead of the Pi's."""
