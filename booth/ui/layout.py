"""Cutting a screen into boxes: the few rectangle operations every screen layout uses.

>>> import pygame
>>> top, rest = split_top(pygame.Rect(0, 0, 800, 480), 80)
>>> top.height, rest.top
(80, 80)
>>> [r.width for r in columns(pygame.Rect(0, 0, 300, 50), 3, gap=0)]
[100, 100, 100]
"""

from __future__ import annotations

import pygame


def inset(rect: pygame.Rect, dx: int, dy: int | None = None) -> pygame.Rect:
    """``rect`` shrunk by ``dx`` on the left and right and ``dy`` on top and bottom."""
    dy = dx if dy is None else dy
    return pygame.Rect(rect.left + dx, rect.top + dy, max(0, rect.width - 2 * dx), max(0, rect.height - 2 * dy))


def split_top(rect: pygame.Rect, height: int, gap: int = 0) -> tuple[pygame.Rect, pygame.Rect]:
    height = min(int(height), rect.height)
    return (
        pygame.Rect(rect.left, rect.top, rect.width, height),
        pygame.Rect(rect.left, rect.top + height + gap, rect.width, max(0, rect.height - height - gap)),
    )


def split_bottom(rect: pygame.Rect, height: int, gap: int = 0) -> tuple[pygame.Rect, pygame.Rect]:
    """(the rest above, the bottom strip of ``height``)."""
    height = min(int(height), rect.height)
    return (
        pygame.Rect(rect.left, rect.top, rect.width, max(0, rect.height - height - gap)),
        pygame.Rect(rect.left, rect.bottom - height, rect.width, height),
    )


def split_left(rect: pygame.Rect, width: int, gap: int = 0) -> tuple[pygame.Rect, pygame.Rect]:
    width = min(int(width), rect.width)
    return (
        pygame.Rect(rect.left, rect.top, width, rect.height),
        pygame.Rect(rect.left + width + gap, rect.top, max(0, rect.width - width - gap), rect.height),
    )


def split_right(rect: pygame.Rect, width: int, gap: int = 0) -> tuple[pygame.Rect, pygame.Rect]:
    """(the rest on the left, the right strip of ``width``)."""
    width = min(int(width), rect.width)
    return (
        pygame.Rect(rect.left, rect.top, max(0, rect.width - width - gap), rect.height),
        pygame.Rect(rect.right - width, rect.top, width, rect.height),
    )


def rows(rect: pygame.Rect, n: int, gap: int = 0) -> list[pygame.Rect]:
    """``n`` equal rows filling ``rect``."""
    if n <= 0:
        return []
    h = (rect.height - gap * (n - 1)) / n
    return [pygame.Rect(rect.left, round(rect.top + i * (h + gap)), rect.width, round(h)) for i in range(n)]


def columns(rect: pygame.Rect, n: int, gap: int = 0) -> list[pygame.Rect]:
    """``n`` equal columns filling ``rect``."""
    if n <= 0:
        return []
    w = (rect.width - gap * (n - 1)) / n
    return [pygame.Rect(round(rect.left + i * (w + gap)), rect.top, round(w), rect.height) for i in range(n)]


def grid(rect: pygame.Rect, n: int, cols: int, gap: int = 0) -> list[pygame.Rect]:
    """``n`` cells in ``cols`` columns, row by row; the last row is centred if short."""
    nrows = -(-n // cols)
    out = []
    row_rects = rows(rect, nrows, gap)
    cell_w = (rect.width - gap * (cols - 1)) / cols
    for r, row in enumerate(row_rects):
        in_row = min(cols, n - r * cols)
        used = in_row * cell_w + gap * (in_row - 1)
        left = row.left + (row.width - used) / 2
        for c in range(in_row):
            out.append(pygame.Rect(round(left + c * (cell_w + gap)), row.top, round(cell_w), row.height))
    return out


def centered(rect: pygame.Rect, width: int, height: int) -> pygame.Rect:
    r = pygame.Rect(0, 0, min(width, rect.width), min(height, rect.height))
    r.center = rect.center
    return r
