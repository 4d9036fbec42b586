"""The real camera: a Raspberry Pi camera module through picamera2.

picamera2 comes from Raspberry Pi OS (``apt install python3-picamera2``), not
from PyPI, so it is imported only inside :class:`Picamera2Camera`'s
constructor: everything else in booth imports on any machine.

>>> camera = Picamera2Camera(480, 640)                  # doctest: +SKIP
>>> jpeg = camera.capture_jpeg()                        # doctest: +SKIP

The sensor's frames are landscape; for a portrait photo the driver asks for a
frame as tall as the photo and cuts the middle out, so faces are not squeezed.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from PIL import Image

from booth.hardware.camera import CameraError

_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,  # Pillow rotates counter-clockwise; config says clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


class Picamera2Camera:
    """Still JPEGs of ``width`` x ``height`` and small preview frames, from picamera2.

    ``rotation`` (0, 90, 180, 270, clockwise) corrects how the module is
    mounted.  Every failure, from "no camera connected" to a capture that
    times out, raises :class:`CameraError`.
    """

    def __init__(
        self,
        width: int = 480,
        height: int = 640,
        *,
        rotation: int = 0,
        jpeg_quality: int = 85,
        preview_width: int = 240,
    ) -> None:
        if rotation not in (0, 90, 180, 270):
            raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation}")
        self.size = (width, height)
        self.rotation = rotation
        self.jpeg_quality = jpeg_quality
        self.preview_width = preview_width
        self._lock = threading.Lock()
        try:
            from picamera2 import Picamera2  # only here: Raspberry Pi OS package
        except ImportError as exc:
            raise CameraError(f"picamera2 is not installed ({exc}); apt install python3-picamera2") from exc
        try:
            self._camera: Any = Picamera2()
            sensor = self._sensor_frame()
            config = self._camera.create_still_configuration(main={"size": sensor, "format": "RGB888"})
            self._camera.configure(config)
            self._camera.start()
        except Exception as exc:
            self._camera = None
            raise CameraError(f"camera did not start: {exc}") from exc

    def _sensor_frame(self) -> tuple[int, int]:
        """The landscape frame size to ask for, covering the photo after rotation."""
        w, h = self.size
        if self.rotation in (90, 270):
            w, h = h, w
        # 4:3 is the sensors' native shape; both sides even for the ISP.
        if w * 3 < h * 4:
            w = (h * 4 // 3 + 1) & ~1
        else:
            h = (w * 3 // 4 + 1) & ~1
        return w, h

    def _frame(self) -> Image.Image:
        if self._camera is None:
            raise CameraError("camera is closed")
        try:
            with self._lock:
                frame = self._camera.capture_image("main")
        except Exception as exc:
            raise CameraError(f"capture failed: {exc}") from exc
        frame = frame.convert("RGB")
        if self.rotation:
            frame = frame.transpose(_TRANSPOSE[self.rotation])
        return _cover(frame, self.size)

    def preview(self) -> Image.Image:
        """What the voter sees while posing: ``preview_width`` pixels wide, RGB."""
        frame = self._frame()
        w, h = self.size
        return frame.resize((self.preview_width, max(1, round(h * self.preview_width / w))))

    def capture_jpeg(self) -> bytes:
        """A JPEG of exactly the configured size; CameraError if it cannot be taken."""
        frame = self._frame()
        out = io.BytesIO()
        frame.save(out, "JPEG", quality=self.jpeg_quality)
        return out.getvalue()

    def close(self) -> None:
        camera, self._camera = self._camera, None
        if camera is not None:
            try:
                camera.stop()
            finally:
                camera.close()


def _cover(frame: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale ``frame`` to cover ``size`` and cut out the middle (no squeezing)."""
    w, h = size
    scale = max(w / frame.width, h / frame.height)
    scaled = frame.resize((max(w, round(frame.width * scale)), max(h, round(frame.height * scale))))
    left = (scaled.width - w) // 2
    top = (scaled.height - h) // 2
    return scaled.crop((left, top, left + w, top + h))
