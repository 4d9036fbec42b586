"""Where booth finds its typeface, for paper (Pillow) and screens (pygame).

booth uses DejaVu Sans: it covers Indonesian and Javanese-in-Latin text, has a
bold weight for numbers, and is a Debian / Raspberry Pi OS package
(``fonts-dejavu-core``) that the appliance image and ``.ci/run`` install.
We do not ship font files in the package.
"""

from __future__ import annotations

from pathlib import Path

_SEARCH = [
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
]

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
MONO = "DejaVuSansMono.ttf"


class FontMissing(RuntimeError):
    """DejaVu Sans is not installed (apt-get install fonts-dejavu-core)."""


def font_path(name: str = REGULAR) -> Path:
    """Absolute path of a DejaVu font file.

    >>> font_path(BOLD).name
    'DejaVuSans-Bold.ttf'
    """
    for folder in _SEARCH:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise FontMissing(f"{name} not found; install the Debian package fonts-dejavu-core")
