"""Thermal prints as a witness's phone sees them at the end of the day: a degradation model.

A printed QR code is a 1-bit image at the printer's dot pitch (8 dots per mm
on 58 and 80 mm paper).  Between the print head and the witness's phone it
goes through what thermal paper goes through; each effect is modelled in
printer dots, at four levels (1 light .. 4 severe), from a seed so every
figure can be reproduced:

* ``blur``   — ink spread and a soft focus: a Gaussian of sigma 0.6 / 1.0 / 1.4 / 1.8 dots.
  A sharp print on a good printer is below 0.5 dot; a hot head on cheap paper bleeds
  about one dot.
* ``fade``   — a worn head on old paper: each black dot drops out with probability
  3 / 7 / 12 / 18 %, black prints as grey (contrast 80 / 65 / 50 / 40 % of white),
  and 0 / 1 / 2 / 4 heating elements are dead (a white line one dot wide down the paper).
  A dead element through a finder pattern breaks the code on every print, whatever
  the error correction; the self-test page's 1-dot lines show one at installation,
  so level 1 (what the documented tests hold) has none.
* ``skew``   — paper fed crooked or held rotated: 3 / 7 / 12 / 20 degrees.
* ``crease`` — the report folded into a pocket: a band 4 / 8 / 12 / 16 dots wide across
  the code at up to 30 degrees, the ink in it 60 / 75 / 85 / 92 % whitened (cracked), the
  paper beyond the fold shifted 1 / 2 / 3 / 4 dots (it no longer lies flat).
* ``photo``  — a phone photo at an angle: the paper tilted 10 / 20 / 30 / 40 degrees
  (a perspective warp), the camera seeing 1.4 / 1.1 / 0.9 / 0.75 pixels per printer dot
  (a 640x480 to 1280x720 preview at arm's length), a shadow across it (10 / 20 / 30 / 40 %
  darker at one end), sensor noise (sigma 3 / 6 / 9 / 12 grey levels) and JPEG at quality
  80 / 60 / 45 / 30.
* every print is then photographed: square on and close for the paper's own damage
  (:data:`STEADY`: 1.6 camera pixels per dot, light noise, JPEG 90), as the ``photo``
  level says for ``photo`` and ``worn``.
* ``worn``   — all of it at once, as a report that spent the evening in a shirt pocket is
  photographed: blur, fade, crease and photo at the same level, skew at level 1.

:func:`degrade` applies one kind at one level; :func:`decode` reads every QR code in an
image with zxing-cpp (the decoder the saksi app's zxing-wasm is built from) and returns
their payloads as text.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from booth import qr_parts

KINDS = ("blur", "fade", "skew", "crease", "photo", "worn")
LEVELS = (1, 2, 3, 4)

BLUR_SIGMA = {1: 0.6, 2: 1.0, 3: 1.4, 4: 1.8}
FADE = {1: (0.03, 0.80, 0), 2: (0.07, 0.65, 1), 3: (0.12, 0.50, 2), 4: (0.18, 0.40, 4)}
SKEW_DEGREES = {1: 3.0, 2: 7.0, 3: 12.0, 4: 20.0}
CREASE = {1: (4, 0.60, 1), 2: (8, 0.75, 2), 3: (12, 0.85, 3), 4: (16, 0.92, 4)}
#: The photo every print is read through: square on, close (1.6 camera pixels per dot), good light.
STEADY = (0.0, 1.6, 0.0, 2.0, 90)
PHOTO = {
    1: (10.0, 1.40, 0.10, 3.0, 80),
    2: (20.0, 1.10, 0.20, 6.0, 60),
    3: (30.0, 0.90, 0.30, 9.0, 45),
    4: (40.0, 0.75, 0.40, 12.0, 30),
}


@dataclass(frozen=True)
class Degradation:
    """One kind of damage at one level, e.g. ``Degradation("crease", 3)``."""

    kind: str
    level: int

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.level not in (0, *LEVELS):
            raise ValueError(f"no degradation {self.kind!r} at level {self.level!r}")

    def __str__(self) -> str:
        return f"{self.kind}-{self.level}"

    def apply(self, image: Image.Image, seed: int) -> Image.Image:
        return degrade(image, self.kind, self.level, seed)


def degrade(image: Image.Image, kind: str, level: int, seed: int) -> Image.Image:
    """``image`` (a printed item, mode "1" or "L") after ``kind`` at ``level``, as a phone sees it.

    The paper is damaged first (blur, fade, skew, crease); then it is always
    photographed: straight on and close (:data:`STEADY`) for the paper's own
    damage, at the ``photo`` level's angle and distance for ``photo`` and ``worn``.
    A witness only ever reads the paper through a camera, which also means a
    camera's optics smooth what the head printed dot by dot.
    """
    rng = random.Random(f"{kind}-{level}-{seed}")
    return capture(damage(image, kind, level, rng), kind, level, rng)


def damage(image: Image.Image, kind: str, level: int, rng: random.Random) -> Image.Image:
    """What happens to the paper itself (same size: blur, fade, crease; nothing for the others)."""
    if kind not in KINDS or level not in (0, *LEVELS):
        raise ValueError(f"no degradation {kind!r} at level {level!r}")
    paper = image.convert("L")
    if level == 0 or kind in ("skew", "photo"):
        return paper
    if kind == "blur":
        return blur(paper, BLUR_SIGMA[level])
    if kind == "fade":
        return fade(paper, *FADE[level], rng=rng)
    if kind == "crease":
        return crease(paper, *CREASE[level], rng=rng)
    paper = fade(paper, *FADE[level], rng=rng)  # worn: everything at once
    paper = blur(paper, BLUR_SIGMA[level])
    return crease(paper, *CREASE[level], rng=rng)


def capture(paper: Image.Image, kind: str, level: int, rng: random.Random) -> Image.Image:
    """The damaged paper held crooked (``skew``) and photographed (:data:`STEADY` or ``photo``)."""
    paper = _paper(paper)
    camera = STEADY
    if level and kind == "skew":
        paper = skew(paper, SKEW_DEGREES[level] * rng.choice((-1, 1)))
    elif level and kind in ("photo", "worn"):
        camera = PHOTO[level]
        if kind == "worn":
            paper = skew(paper, SKEW_DEGREES[1] * rng.choice((-1, 1)))
    return photo(paper, *camera, rng=rng)


def _paper(image: Image.Image, border: int = 24) -> Image.Image:
    """The print with the white paper around it (the rest of the report, the margins)."""
    out = Image.new("L", (image.width + 2 * border, image.height + 2 * border), 255)
    out.paste(image, (border, border))
    return out


def blur(image: Image.Image, sigma: float) -> Image.Image:
    """Ink spread / soft focus: a Gaussian of ``sigma`` dots (Pillow's radius is the sigma)."""
    return image.filter(ImageFilter.GaussianBlur(sigma))


def _random_mask(size: tuple[int, int], share: float, rng: random.Random) -> Image.Image:
    """A mode-"L" image, 255 at a random ``share`` of its pixels, 0 elsewhere."""
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    cut = round(share * 256)
    return noise.point(lambda v: 255 if v < cut else 0)


def fade(image: Image.Image, dropout: float, contrast: float, dead: int, *, rng: random.Random) -> Image.Image:
    """A worn head on old paper: dots dropped, black printed grey, dead heating elements."""
    dark = image.point(lambda v: 255 if v < 128 else 0)  # where the head meant to print
    dropped = ImageChops.multiply(dark, _random_mask(image.size, dropout, rng))
    kept = ImageChops.subtract(dark, dropped)
    draw = ImageDraw.Draw(kept)
    for _ in range(dead):  # a dead element leaves a white line along the paper feed
        x = rng.randrange(image.width)
        draw.line((x, 0, x, image.height), fill=0)
    paper = 238  # old paper is not white
    ink = round(paper * (1 - contrast))
    return kept.point(lambda v: ink if v else paper)


def skew(image: Image.Image, degrees: float) -> Image.Image:
    """The print rotated by ``degrees`` (bilinear, white paper around it)."""
    return image.rotate(degrees, resample=Image.BILINEAR, expand=True, fillcolor=255)


def crease(image: Image.Image, width: int, whiten: float, shift: int, *, rng: random.Random) -> Image.Image:
    """A fold across the print: a whitened band, the far side shifted by ``shift`` dots."""
    w, h = image.size
    angle = math.radians(rng.uniform(-30, 30))
    # The fold crosses the print somewhere in its middle (across the codes, not their edges).
    cx, cy = rng.uniform(w / 3, 2 * w / 3), rng.uniform(0.2 * h, 0.8 * h)
    dx, dy = math.cos(angle), math.sin(angle)  # along the fold
    nx, ny = -dy, dx  # across it
    far = Image.new("L", image.size, 0)  # the side of the fold that moved
    reach = 2 * (w + h)
    ImageDraw.Draw(far).polygon(
        [
            (cx - dx * reach, cy - dy * reach),
            (cx + dx * reach, cy + dy * reach),
            (cx + dx * reach + nx * reach, cy + dy * reach + ny * reach),
            (cx - dx * reach + nx * reach, cy - dy * reach + ny * reach),
        ],
        fill=255,
    )
    moved = ImageChops.offset(image, round(nx * shift), round(ny * shift))
    out = Image.composite(moved, image, far)
    band = Image.new("L", image.size, 0)
    half = width / 2
    ImageDraw.Draw(band).polygon(
        [
            (cx - dx * reach - nx * half, cy - dy * reach - ny * half),
            (cx + dx * reach - nx * half, cy + dy * reach - ny * half),
            (cx + dx * reach + nx * half, cy + dy * reach + ny * half),
            (cx - dx * reach + nx * half, cy - dy * reach + ny * half),
        ],
        fill=255,
    )
    # In the band the ink cracks off: each dot keeps only part of its darkness,
    # some dots all of it (the crack pattern is random).
    cracked = out.point(lambda v: round(255 - (255 - v) * (1 - whiten)))
    cracks = _random_mask(image.size, 0.15, rng)
    cracked = Image.composite(out, cracked, cracks)
    return Image.composite(cracked, out, band)


def photo(
    image: Image.Image, tilt: float, scale: float, shadow: float, noise: float, quality: int, *, rng: random.Random
) -> Image.Image:
    """A phone photo of the print on a table, tilted ``tilt`` degrees, ``scale`` pixels per dot."""
    w, h = image.size
    table = 90  # a darker surface around the paper
    pad = round(0.25 * max(w, h))
    canvas = Image.new("L", (w + 2 * pad, h + 2 * pad), table)
    canvas.paste(image, (pad, pad))
    # Tilting the paper away makes its far edge shorter: the far corners move in.
    squeeze = 0.5 * (1 - math.cos(math.radians(tilt))) + 0.35 * math.sin(math.radians(tilt)) * 0.5
    cw, ch = canvas.size
    out_w, out_h = max(8, round(cw * scale)), max(8, round(ch * scale * math.cos(math.radians(tilt))))
    inset = squeeze * out_w

    def jitter() -> float:  # the phone is not held square
        return rng.uniform(-0.02, 0.02) * out_w

    far_first = rng.random() < 0.5
    top = [(inset + jitter(), jitter()), (out_w - inset + jitter(), jitter())]
    bottom = [(jitter(), out_h + jitter()), (out_w + jitter(), out_h + jitter())]
    if not far_first:  # the near edge at the top instead
        top = [(jitter(), jitter()), (out_w + jitter(), jitter())]
        bottom = [(inset + jitter(), out_h + jitter()), (out_w - inset + jitter(), out_h + jitter())]
    corners_out = [top[0], top[1], bottom[1], bottom[0]]
    corners_in = [(0, 0), (cw, 0), (cw, ch), (0, ch)]
    coefficients = _perspective(corners_out, corners_in)
    # Each camera pixel sees a patch of paper about 1/scale dots across, through a lens that
    # is never perfectly focused (about 0.7 pixel): blur on the paper, then sample.
    canvas = canvas.filter(ImageFilter.GaussianBlur(0.7 / scale))
    shot = canvas.transform((out_w, out_h), Image.PERSPECTIVE, coefficients, Image.BILINEAR, fillcolor=table)
    # A shadow of the phone or the hand: darker towards one side.
    gradient = Image.linear_gradient("L").resize(shot.size)
    if rng.random() < 0.5:
        gradient = gradient.transpose(Image.ROTATE_90).resize(shot.size)
    light = gradient.point(lambda v: round(255 * (1 - shadow * v / 255)))
    shot = ImageChops.multiply(shot, light)
    # Sensor noise: the sum of two uniform draws, centred, scaled to about ``noise`` sigma.
    a = Image.frombytes("L", shot.size, rng.randbytes(shot.width * shot.height))
    b = Image.frombytes("L", shot.size, rng.randbytes(shot.width * shot.height))
    k = noise / 104.0  # sigma of (a + b) is about 104 grey levels
    shot = ImageChops.add(shot, ImageChops.add(a, b, scale=2.0).point(lambda v: round(v * k)))
    shot = ImageChops.subtract(shot, Image.new("L", shot.size, round(127 * k)))
    buffer = io.BytesIO()
    shot.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def _perspective(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> tuple:
    """Pillow's 8 PERSPECTIVE coefficients mapping output points ``src`` to input points ``dst``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=False):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rhs.append(u)
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.append(v)
    return tuple(_solve(rows, rhs))


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (8 unknowns: no need for numpy)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[r][col]:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=False)]
    return [m[i][n] / m[i][i] for i in range(n)]


def read_back(page: Image.Image, regions: list[str], kind: str, level: int, seed: int, frames: int = 1) -> str | None:
    """The text a witness gets by photographing each code of ``page`` (its ``regions``) and joining.

    The paper is damaged once, across every code (one crease, one worn head); then
    each region (one printed code with its quiet zone) is photographed on its own, as
    a witness points the phone at one part at a time, and the payloads are joined
    with ``booth.qr_parts.join``.  None if any part does not read or they do not join.

    ``frames`` is how many photos of each part the phone may take: the saksi app
    reads the camera's preview, 10 or more frames a second, each from a slightly
    different hand position, so a part that fails in one frame is read in the next;
    the paper's damage is the same in every frame (a crease through a finder pattern
    fails them all).
    """
    rng = random.Random(f"{kind}-{level}-{seed}")
    spans = [page.info["regions"][name] for name in regions]
    top, bottom = min(t for t, _ in spans), max(b for _, b in spans)
    paper = damage(page.crop((0, top, page.width, bottom)), kind, level, rng)
    payloads = []
    for start, end in spans:
        part = paper.crop((0, start - top, page.width, end - top))
        found: list[str] = []
        for _ in range(frames):
            found = decode(capture(part, kind, level, rng))
            if found:
                break
        if not found:
            return None
        payloads.append(found[0])
    try:
        return qr_parts.join(payloads)
    except qr_parts.QRPartsError:
        return None


def decode(image: Image.Image) -> list[str]:
    """The payloads of every QR code zxing-cpp finds in ``image``, as UTF-8 text."""
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.bytes.decode("utf-8", errors="replace") for r in found if r.valid]


#: The levels the printed statements must survive every time (tests/test_qr_print.py checks
#: them; booth.paper.qr's layout was chosen to): a print damaged this much reads back, at the
#: chosen layout, in every print measured.  The figures are in docs/printed-qr.md.
DOCUMENTED = {"blur": 3, "fade": 1, "skew": 4, "photo": 3}
#: Frames of the camera preview the tests give each part (0.3 s of a phone's preview).
FRAMES = 3
#: Paper damage that breaks a code when it crosses a finder pattern, whatever the layout:
#: (kind, level) -> how many of :data:`PRINTS` prints must still read (measured: crease 1
#: 90-100 %, worn 1 80-100 % on 58 mm, 100 % on 80 mm; see docs/printed-qr.md §3).
AT_LEAST = {("crease", 1): 6, ("worn", 1): 4}
PRINTS = 8
