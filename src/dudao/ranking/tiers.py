"""The tiers as a round's settings show them: each tier's label and colour (the campaign's own, e.g. 红/黄/绿),
with the ink (black or white) that reads on the colour. Pages, extracts and maps use these.

Pages mark a tier's badge with ``data-tier-colour="#rrggbb"`` and the stylesheet below (served at
``/ranking/tiers.css``) gives every colour in use its CSS custom properties ``--tier`` and ``--tier-ink``: no
style attribute, which the Content-Security-Policy forbids (docs/decisions/0018-csp.md), and no JavaScript."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dudao.ranking.models import RankingSettings, Tier

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
FALLBACK_COLOURS = {Tier.GREEN: "#1b7f3b", Tier.YELLOW: "#b58900", Tier.RED: "#c0392b"}


@dataclass(frozen=True)
class TierStyle:
    code: str
    label: str
    colour: str
    ink: str  # black or white, whichever reads better on the colour


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ink(colour: str) -> str:
    """Black or white, whichever contrasts more with ``colour`` (#rrggbb)."""
    light = _luminance(colour)
    return "#000000" if (light + 0.05) / 0.05 > 1.05 / (light + 0.05) else "#ffffff"


def tier_styles(settings: RankingSettings) -> dict[str, TierStyle]:
    styles = {}
    for tier in Tier.values:
        colour = getattr(settings, f"{tier}_colour")
        if not HEX_COLOUR.match(colour or ""):
            colour = FALLBACK_COLOURS[Tier(tier)]
        styles[tier] = TierStyle(tier, getattr(settings, f"{tier}_label") or str(Tier(tier).label), colour,
                                 ink(colour))
    return styles


def stylesheet(colours: Iterable[str]) -> str:
    """CSS that gives each element marked ``data-tier-colour`` with one of ``colours`` that colour and its ink as
    ``--tier`` and ``--tier-ink`` (the page's CSS paints with them). Anything but #rrggbb is left out."""
    found = sorted({c.lower() for c in colours if HEX_COLOUR.fullmatch(c or "")})
    return "".join(f'[data-tier-colour="{c}" i]{{--tier:{c};--tier-ink:{ink(c)}}}\n' for c in found)


def colours_in_use() -> set[str]:
    """Every tier colour of every version of the ranking settings, and the fallbacks: what pages may show."""
    rows = RankingSettings.objects.values_list("green_colour", "yellow_colour", "red_colour").distinct()
    return {colour for row in rows for colour in row} | set(FALLBACK_COLOURS.values())


