"""The camera that takes the voter's photo instead of the finger ink.

One protocol; the real driver uses picamera2 (imported only inside it, on
the Pi); the simulated one (``booth_sim.camera``) draws portrait frames.
"""

from __future__ import annotations

from typing import Protocol

from PIL import Image


class CameraError(Exception):
    """The photo could not be taken."""

    message_id = "Kamera bermasalah — periksa kabel kamera, lalu coba lagi"
    message_en = "Camera problem — check the camera cable, then try again"


class Camera(Protocol):
    def preview(self) -> Image.Image:
        """A small RGB frame for the screen (what the voter sees while posing)."""

    def capture_jpeg(self) -> bytes:
        """A still photo as JPEG bytes at the configured size; raise CameraError on failure."""

    def close(self) -> None:
        """Release the camera."""
