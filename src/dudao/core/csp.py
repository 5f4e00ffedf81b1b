"""The Content-Security-Policy every answer carries (docs/decisions/0018-csp.md): scripts, styles, fonts and
fetches from Dudao's own origin only, nothing inline, no eval, no plugins, never framed. Pure: settings.py builds
the header once from the map settings, dudao.core.middleware.ContentSecurityPolicyMiddleware sends it."""

import re
from urllib.parse import urlsplit

# The policy without a base layer from another origin. Images also from data: (the CSS's small SVG icons) and
# blob: (the field app shows the photos it keeps on the phone before they are sent).
DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:", "blob:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
}

_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def origin(url: str) -> str | None:
    """The origin a browser fetches ``url`` from as a CSP source (``https://t0.tianditu.gov.cn``), None for an
    address on Dudao's own origin (a path such as ``/media/maps/county.pmtiles``). A tile template's placeholder in
    the host name (``https://{s}.tile.example.org``) becomes a wildcard label."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{_PLACEHOLDER.sub('*', host)}"


def policy(*, img: tuple[str, ...] = (), connect: tuple[str, ...] = ()) -> str:
    """The header's value: DIRECTIVES with other origins' images (a tile server) and fetches (a PMTiles archive on
    the county's web server) added where the map settings name them."""
    extra = {"img-src": img, "connect-src": connect}
    return "; ".join(" ".join((name, *sources, *(s for s in extra.get(name, ()) if s not in sources)))
                     for name, sources in DIRECTIVES.items())


def map_policy(base: str, tiles_url: str, pmtiles: str) -> str:
    """The policy for the maps' base layer the settings configure (DUDAO_MAP_BASE and its address)."""
    tiles = origin(tiles_url) if base == "tiles" else None
    archive = origin(pmtiles) if base == "pmtiles" else None
    return policy(img=(tiles,) if tiles else (), connect=(archive,) if archive else ())
