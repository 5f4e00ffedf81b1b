"""Numbers as the dashboard and the screen print them."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.857 → "85.7%"; None (nothing to divide) → "—"."""
    if value is None:
        return "—"
    return f"{number_format(value * 100, 1)}%"


@register.filter
def signed(value: float | int | None, digits: int = 0) -> str:
    """A change with its sign and ``digits`` decimals (+1.25, −3, ±0); None (no earlier week) → "—"."""
    if value is None:
        return "—"
    # Rounded as the large screen's Number.toFixed rounds the same double, so both show the same digits.
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0:
        return f"±{text}"
    return f"+{text}" if value > 0 else f"−{text}"


@register.filter
def get(mapping: dict, key: str):
    return mapping.get(key)
