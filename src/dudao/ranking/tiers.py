"""The tiers as a round's settings show them: each tier's label and colour (the campaign's own, e.g. 红/黄/绿),
with the ink (black or white) that reads on the colour. Pages, extracts and maps use these."""

import re
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


def tier_styles(settings: RankingSettings) -> dict[str, TierStyle]:
    styles = {}
    for tier in Tier.values:
        colour = getattr(settings, f"{tier}_colour")
        if not HEX_COLOUR.match(colour or ""):
            colour = FALLBACK_COLOURS[Tier(tier)]
        light = _luminance(colour)
        ink = "#000000" if (light + 0.05) / 0.05 > 1.05 / (light + 0.05) else "#ffffff"
        styles[tier] = TierStyle(tier, getattr(settings, f"{tier}_label") or str(Tier(tier).label), colour, ink)
    return styles


