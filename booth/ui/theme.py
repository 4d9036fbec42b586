"""How the kiosk looks: colours, text sizes and touch-target sizes for one screen.

Sizes are physical: a touch target is at least 12 mm (tremor, older hands),
computed from the panel's DPI, so the same layout code gives usable buttons
on a 7" 800x480 panel and on the 720x1280 Raspberry Pi Touch Display 2.

>>> t = Theme((720, 1280))
>>> t.target >= 80, t.body > 0
(True, True)
>>> Theme((720, 1280), high_contrast=True).colors.bg
(0, 0, 0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from booth.fonts import BOLD, REGULAR, font_path

# Common panels and their diagonal in inches (for the DPI when none is configured).
PANEL_INCHES = {
    (720, 1280): 7.0,  # Raspberry Pi Touch Display 2 (portrait)
    (1280, 720): 7.0,
    (800, 480): 7.0,  # Raspberry Pi Touch Display 1, common 7" HDMI panels
    (1024, 600): 7.0,  # common 7" HDMI panels
    (1280, 800): 10.1,  # 10.1" panels
}
MIN_TARGET_MM = 12.0
MIN_TARGET_PX = 60  # never smaller, whatever the DPI says
# The smallest text a person must read: 3.0 mm capital-letter height on the actual panel, the
# smallest of VVSG 2.0's standard text sizes (7.1-B); the ballot's names and numbers larger.
MIN_CAP_MM = 3.0
BALLOT_MIN_CAP_MM = 4.0


@dataclass(frozen=True)
class Colors:
    bg: tuple
    fg: tuple
    muted: tuple
    header_bg: tuple
    header_fg: tuple
    card_bg: tuple
    border: tuple
    button_bg: tuple
    button_fg: tuple
    primary_bg: tuple
    primary_fg: tuple
    danger_bg: tuple
    danger_fg: tuple
    pressed_bg: tuple
    pressed_fg: tuple
    focus: tuple
    ok: tuple
    warn: tuple
    bad: tuple
    disabled_bg: tuple
    disabled_fg: tuple
    border_width: int = 2


NORMAL = Colors(
    bg=(244, 241, 234),
    fg=(26, 26, 26),
    muted=(88, 88, 88),
    header_bg=(14, 77, 100),
    header_fg=(255, 255, 255),
    card_bg=(255, 255, 255),
    border=(150, 150, 150),
    button_bg=(255, 255, 255),
    button_fg=(26, 26, 26),
    primary_bg=(27, 110, 58),
    primary_fg=(255, 255, 255),
    danger_bg=(179, 38, 30),
    danger_fg=(255, 255, 255),
    pressed_bg=(255, 214, 0),
    pressed_fg=(0, 0, 0),
    focus=(230, 120, 0),
    ok=(27, 110, 58),
    warn=(176, 110, 0),
    bad=(179, 38, 30),
    disabled_bg=(222, 222, 222),
    disabled_fg=(120, 120, 120),
)

HIGH_CONTRAST = Colors(
    bg=(0, 0, 0),
    fg=(255, 255, 255),
    muted=(230, 230, 230),
    header_bg=(0, 0, 0),
    header_fg=(255, 230, 0),
    card_bg=(0, 0, 0),
    border=(255, 255, 255),
    button_bg=(0, 0, 0),
    button_fg=(255, 255, 255),
    primary_bg=(255, 230, 0),
    primary_fg=(0, 0, 0),
    danger_bg=(255, 255, 255),
    danger_fg=(0, 0, 0),
    pressed_bg=(0, 200, 255),
    pressed_fg=(0, 0, 0),
    focus=(0, 200, 255),
    ok=(120, 255, 120),
    warn=(255, 230, 0),
    bad=(255, 120, 120),
    disabled_bg=(40, 40, 40),
    disabled_fg=(170, 170, 170),
    border_width=4,
)


def guess_dpi(size: tuple[int, int]) -> float:
    """Pixels per inch of a panel of ``size`` (a 7" panel unless it is a known 10.1" one)."""
    inches = PANEL_INCHES.get((int(size[0]), int(size[1])))
    if inches is None:
        inches = 10.1 if max(size) >= 1280 and min(size) >= 800 else 7.0
    return math.hypot(*size) / inches


class Theme:
    """Colours, text sizes and target sizes for a screen of ``size`` pixels."""

    TEXT_SCALE_LARGE = 1.3

    def __init__(
        self, size: tuple[int, int], *, dpi: float | None = None, large_text: bool = False, high_contrast: bool = False
    ) -> None:
        self.size = (int(size[0]), int(size[1]))
        self.dpi = float(dpi or guess_dpi(self.size))
        self.large_text = large_text
        self.high_contrast = high_contrast
        self.colors = HIGH_CONTRAST if high_contrast else NORMAL
        w, h = self.size
        short = min(w, h)
        scale = self.TEXT_SCALE_LARGE if large_text else 1.0
        base = max(self.mm(4.0), short * 0.045)
        # No size is ever below the legible minimum: "small" text is only as small as that.
        self.min_px = px_for_cap_mm(MIN_CAP_MM, self.dpi)
        self.ballot_min_px = px_for_cap_mm(BALLOT_MIN_CAP_MM, self.dpi)
        self.body = max(self.min_px, round(base * scale))
        self.small = max(self.min_px, round(base * 0.75 * scale))
        self.title = max(self.min_px, round(base * 1.3 * scale))
        self.button = max(self.min_px, round(base * 1.1 * scale))
        self.target = max(MIN_TARGET_PX, round(self.mm(MIN_TARGET_MM)))
        self.gap = max(6, round(self.mm(2.0)))
        self.margin = max(8, round(self.mm(3.0)))
        self.radius = max(6, round(self.mm(1.5)))
        self.portrait = h > w

    def mm(self, millimetres: float) -> float:
        """Pixels for a length in millimetres on this panel."""
        return millimetres * self.dpi / 25.4

    def px_to_mm(self, px: float) -> float:
        return px * 25.4 / self.dpi

    def cap_mm(self, px: int, bold: bool = False) -> float:
        """The capital-letter height, in millimetres on this panel, of text drawn at ``px``."""
        return self.px_to_mm(cap_height(px, bold))

    def variant(self, *, large_text: bool | None = None, high_contrast: bool | None = None) -> Theme:
        """The same screen with large text and/or high contrast switched."""
        return Theme(
            self.size,
            dpi=self.dpi,
            large_text=self.large_text if large_text is None else large_text,
            high_contrast=self.high_contrast if high_contrast is None else high_contrast,
        )


_fonts: dict[tuple[bool, int], pygame.font.Font] = {}


def _forget_fonts() -> None:
    """pygame.quit() kills every Font made before; make new ones after the next init.

    (``booth.ui.drawing`` forgets its renderings of them with its own quit hook.)
    """
    _fonts.clear()


pygame.register_quit(_forget_fonts)


def font(px: int, bold: bool = False) -> pygame.font.Font:
    """DejaVu Sans at ``px`` pixels (cached)."""
    if not pygame.font.get_init():
        pygame.font.init()
    key = (bold, int(px))
    f = _fonts.get(key)
    if f is None:
        f = pygame.font.Font(str(font_path(BOLD if bold else REGULAR)), max(6, int(px)))
        _fonts[key] = f
    return f


_caps: dict[tuple[int, bool], int] = {}


def cap_height(px: int, bold: bool = False) -> int:
    """The height in pixels of a rendered capital "H" at ``px`` (its ink, as it lands on the glass).

    >>> cap_height(40) > cap_height(20) > 0
    True
    """
    key = (int(px), bool(bold))
    if key not in _caps:
        _caps[key] = font(px, bold).render("H", True, (0, 0, 0)).get_bounding_rect().height
    return _caps[key]


def px_for_cap_mm(millimetres: float, dpi: float) -> int:
    """The smallest font size whose rendered capitals are at least ``millimetres`` tall at ``dpi``."""
    need = millimetres * dpi / 25.4
    px = max(6, int(need))
    while cap_height(px) < need or cap_height(px, True) < need:
        px += 1
    return px
