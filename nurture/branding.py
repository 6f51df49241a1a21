"""The sender's brand colour, checked once: it colours buttons with white text on them.

Pure: a hex colour in, the same colour (lower-case, six digits) out, or `BrandError` when
it is malformed (it is written into CSS, so nothing but a hex colour may pass) or too pale
for white text to be readable (WCAG 2.2 AA asks for a contrast of 4.5:1).
"""

from __future__ import annotations

import re

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
MIN_CONTRAST = 4.5


class BrandError(ValueError):
    pass


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def contrast_with_white(color: str) -> float:
    """WCAG contrast ratio of a ``#rrggbb`` colour against white."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)
    return 1.05 / (luminance + 0.05)


def check_brand_color(value: str) -> str:
    if not _HEX.match(value):
        raise BrandError(f"{value!r} is not a hex colour like #1d4ed8")
    if len(value) == 4:
        value = "#" + "".join(ch * 2 for ch in value[1:])
    value = value.lower()
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise BrandError(
            f"{value} against white text has a contrast of {ratio:.1f}:1, below the "
            f"{MIN_CONTRAST}:1 that WCAG AA asks for: choose a darker colour"
        )
    return value
