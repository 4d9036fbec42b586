"""A camera in software: drawn portraits, a different person each capture.

>>> camera = SimCamera(480, 640, seed=7)
>>> jpeg = camera.capture_jpeg()
>>> jpeg[:2] == b"\\xff\\xd8"              # a JPEG
True
>>> camera.fail_next()                     # the next capture fails once
>>> camera.capture_jpeg()
Traceback (most recent call last):
...
booth.hardware.camera.CameraError: simulated camera failure

The pictures are drawn from a seeded ``random.Random`` (a test and training
prop, never used for anything secret): the same seed gives the same people in
the same order.  :meth:`preview` shows the person the next capture will take;
each capture moves on to the next person.
"""

from __future__ import annotations

import io
import random
import threading

from PIL import Image, ImageDraw

from booth.hardware.camera import CameraError

_SKIN = [(241, 194, 160), (224, 172, 125), (198, 134, 90), (161, 102, 60), (120, 78, 45)]
_HAIR = [(20, 16, 14), (45, 30, 20), (70, 50, 35), (110, 110, 110), (200, 200, 200)]
_CLOTHES = [(30, 60, 140), (140, 30, 40), (30, 110, 60), (200, 160, 40), (90, 60, 120), (230, 230, 230)]
_WALLS = [(205, 215, 225), (225, 220, 200), (190, 205, 195), (215, 200, 210)]


class SimCamera:
    """Portrait frames of ``width`` x ``height``; failures on demand."""

    def __init__(
        self,
        width: int = 480,
        height: int = 640,
        *,
        seed: int = 0,
        jpeg_quality: int = 85,
        preview_width: int = 240,
    ) -> None:
        self.size = (width, height)
        self.jpeg_quality = jpeg_quality
        self.preview_width = preview_width
        self._seed = seed
        self._person = 0  # who stands in front of the camera
        self._frame_no = 0  # small movements between frames of the same person
        self._fail_next = False
        self._fail_always = False
        self._closed = False
        self._lock = threading.Lock()
        self.captures = 0  # successful captures so far

    # --- faults ----------------------------------------------------------------

    def fail_next(self) -> None:
        """The next :meth:`capture_jpeg` raises CameraError, once."""
        with self._lock:
            self._fail_next = True

    def fail_always(self, failing: bool = True) -> None:
        """Every capture and preview fails until ``fail_always(False)`` (a pulled cable)."""
        with self._lock:
            self._fail_always = failing

    # --- the Camera protocol ------------------------------------------------------

    def preview(self) -> Image.Image:
        with self._lock:
            self._check(capture=False)
            self._frame_no += 1
            frame = draw_portrait(self.size, self._seed, self._person, self._frame_no)
        w, h = self.size
        return frame.resize((self.preview_width, max(1, round(h * self.preview_width / w))))

    def capture_jpeg(self) -> bytes:
        with self._lock:
            self._check(capture=True)
            self._frame_no += 1
            frame = draw_portrait(self.size, self._seed, self._person, self._frame_no)
            self._person += 1
            self.captures += 1
        out = io.BytesIO()
        frame.save(out, "JPEG", quality=self.jpeg_quality)
        return out.getvalue()

    def close(self) -> None:
        self._closed = True

    def _check(self, *, capture: bool) -> None:
        if self._closed:
            raise CameraError("camera is closed")
        if self._fail_always:
            raise CameraError("simulated camera failure (camera disconnected)")
        if capture and self._fail_next:
            self._fail_next = False
            raise CameraError("simulated camera failure")


def draw_portrait(size: tuple[int, int], seed: int, person: int, frame: int = 0) -> Image.Image:
    """Person ``person`` of ``seed``'s crowd, head and shoulders, as an RGB image.

    ``frame`` moves the person slightly, as a live picture does.
    """
    look = random.Random(f"{seed}/{person}")
    jitter = random.Random(f"{seed}/{person}/{frame}")
    w, h = size
    image = Image.new("RGB", size, look.choice(_WALLS))
    d = ImageDraw.Draw(image)
    u = min(w, h * 3 / 4) / 100  # one "unit": the drawing scales with the frame

    cx = w / 2 + look.uniform(-6, 6) * u + jitter.uniform(-1.5, 1.5) * u
    head_w = look.uniform(30, 38) * u
    head_h = head_w * look.uniform(1.2, 1.35)
    head_top = h * 0.2 + look.uniform(-4, 4) * u + jitter.uniform(-1, 1) * u
    skin = look.choice(_SKIN)
    hair = look.choice(_HAIR)

    # Shoulders and clothes, then neck, hair behind, face, hair on top.
    shoulders_top = head_top + head_h * 1.05
    d.ellipse((cx - 48 * u, shoulders_top, cx + 48 * u, shoulders_top + 90 * u), fill=look.choice(_CLOTHES))
    d.rectangle((cx - head_w * 0.2, head_top + head_h * 0.8, cx + head_w * 0.2, shoulders_top + 6 * u), fill=skin)
    covered = look.random() < 0.35  # a headscarf (kerudung) on some
    if covered:
        scarf = look.choice(_CLOTHES)
        d.ellipse(
            (cx - head_w * 0.68, head_top - head_h * 0.12, cx + head_w * 0.68, head_top + head_h * 1.2), fill=scarf
        )
        d.polygon(
            [(cx - head_w * 0.66, head_top + head_h * 0.6), (cx + head_w * 0.66, head_top + head_h * 0.6),
             (cx + head_w * 0.9, shoulders_top + 20 * u), (cx - head_w * 0.9, shoulders_top + 20 * u)],
            fill=scarf,
        )  # fmt: skip
    else:
        d.ellipse(
            (cx - head_w * 0.56, head_top - head_h * 0.08, cx + head_w * 0.56, head_top + head_h * 0.75), fill=hair
        )
    d.ellipse((cx - head_w / 2, head_top, cx + head_w / 2, head_top + head_h), fill=skin)
    if not covered:
        d.chord(
            (cx - head_w * 0.52, head_top - head_h * 0.06, cx + head_w * 0.52, head_top + head_h * 0.5),
            180,
            360,
            fill=hair,
        )

    # Eyes (a blink now and then), brows, nose, mouth; glasses on some.
    eye_y = head_top + head_h * 0.48
    eye_dx = head_w * 0.2
    eye_r = max(1.0, head_w * 0.05)
    blink = jitter.random() < 0.1
    for side in (-1, 1):
        ex = cx + side * eye_dx
        if blink:
            d.line((ex - eye_r, eye_y, ex + eye_r, eye_y), fill=(40, 30, 30), width=max(1, round(u / 2)))
        else:
            d.ellipse((ex - eye_r * 1.6, eye_y - eye_r, ex + eye_r * 1.6, eye_y + eye_r), fill=(250, 250, 250))
            d.ellipse((ex - eye_r * 0.8, eye_y - eye_r * 0.8, ex + eye_r * 0.8, eye_y + eye_r * 0.8), fill=(50, 35, 25))
        d.line(
            (ex - eye_r * 2, eye_y - eye_r * 2.6, ex + eye_r * 2, eye_y - eye_r * 2.8),
            fill=hair,
            width=max(1, round(u)),
        )
    if look.random() < 0.3:
        for side in (-1, 1):
            ex = cx + side * eye_dx
            d.ellipse(
                (ex - eye_r * 3, eye_y - eye_r * 2.4, ex + eye_r * 3, eye_y + eye_r * 2.4),
                outline=(30, 30, 30),
                width=max(1, round(u / 2)),
            )
        d.line(
            (cx - eye_dx + eye_r * 3, eye_y, cx + eye_dx - eye_r * 3, eye_y),
            fill=(30, 30, 30),
            width=max(1, round(u / 2)),
        )
    nose = tuple(max(0, c - 35) for c in skin)
    d.line((cx, eye_y + eye_r, cx - eye_r, head_top + head_h * 0.68), fill=nose, width=max(1, round(u / 2)))
    mouth_y = head_top + head_h * 0.8
    smile = look.uniform(0, 1)
    d.arc((cx - head_w * 0.16, mouth_y - head_h * 0.06 * smile, cx + head_w * 0.16, mouth_y + head_h * 0.06),
          0, 180, fill=(150, 60, 60), width=max(1, round(u * 0.8)))  # fmt: skip
    return image
