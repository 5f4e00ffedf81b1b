"""The map page (/map/) and the map data every map draws (/map/data.json).

The page is the week's tiers for the user's area: the county for the office and the leaders, a township or a
village for their staff. The data is GeoJSON with the layer's state in each village's properties and the legend
in ``meta``; the component (templates/maps/_map.html + static/dudao/maps/map.js) draws it with Leaflet.
"""

import gzip

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from dudao.accounts.access import effective_role
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.maps import selectors

GZIP_FROM_BYTES = 64 * 1024


def _require_role(user) -> None:
    if effective_role(user) is None:
        raise PermissionDenied


def _week(text: str) -> str:
    """A week given as 2026-W14, or "" (then the layer's default); Http404 for anything else."""
    text = text.strip()
    if not text:
        return ""
    try:
        weeks.parse_week(text)
    except ValueError:
        raise Http404 from None
    return text


def base_layer() -> dict[str, str]:
    """The base layer the settings choose (DUDAO_MAP_*): none, a PMTiles archive or a tile server."""
    if settings.MAP_BASE == "pmtiles" and settings.MAP_PMTILES:
        return {"base": "pmtiles", "url": settings.MAP_PMTILES, "flavor": settings.MAP_PMTILES_FLAVOR,
                "attribution": settings.MAP_ATTRIBUTION}
    if settings.MAP_BASE == "tiles" and settings.MAP_TILES_URL:
        return {"base": "tiles", "url": settings.MAP_TILES_URL, "attribution": settings.MAP_ATTRIBUTION}
    return {"base": "none", "url": "", "flavor": "", "attribution": ""}


def shown_datum() -> str:
    """The datum shapes are drawn in: the base layer's (GCJ-02 tiles need GCJ-02 shapes); WGS-84 without one."""
    return settings.MAP_TILES_DATUM if base_layer()["base"] != "none" else "wgs84"


@login_required
@require_GET
def map_page(request):
    """The week's tiers on the map of the user's area, with a week picker (drafts for the office only)."""
    user = request.user
    _require_role(user)
    campaign = campaign_get()
    week = _week(request.GET.get("week", ""))
    round_ = selectors.map_round(user, campaign, week)
    if week and round_ is None:
        raise Http404
    shown = round_.week if round_ is not None else ""
    data_url = reverse("map_data") + ("?" + urlencode({"week": shown}) if shown else "")
    return render(request, "maps/map.html", {"weeks": selectors.map_weeks(user, campaign), "week": shown,
                                             "round": round_, "data_url": data_url})


@login_required
@require_GET
def map_data(request):
    """GeoJSON of the user's area with one layer: ?layer=tier (default; ?week=, else the latest published week),
    coverage, inspections (?week=, else this week) or problems."""
    user = request.user
    _require_role(user)
    campaign = campaign_get()
    layer_name = request.GET.get("layer", "tier")
    if layer_name not in selectors.LAYERS:
        raise Http404
    week = _week(request.GET.get("week", ""))
    areas = selectors.map_areas(user, campaign, shown_datum())
    if layer_name == "tier":
        round_ = selectors.map_round(user, campaign, week)
        if week and round_ is None:
            raise Http404
        layer = selectors.tier_layer(round_, areas)
        meta = {"layer": "tier", "week": round_.week if round_ else "", "status": round_.status if round_ else ""}
    elif layer_name == "problems":
        layer = selectors.problems_layer(user, campaign, areas)
        meta = {"layer": "problems"}
    else:
        week = week or weeks.week_of(timezone.localdate())
        layer = (selectors.coverage_layer(campaign, week, areas) if layer_name == "coverage"
                 else selectors.inspections_layer(user, week, areas))
        meta = {"layer": layer_name, "week": week}
    body = selectors.feature_collection(areas, layer, {**meta, "datum": shown_datum()}).encode()
    response = HttpResponse(content_type="application/geo+json; charset=utf-8")
    if len(body) > GZIP_FROM_BYTES and "gzip" in request.headers.get("Accept-Encoding", ""):
        # A province's map is megabytes of digits: gzip's fastest level takes a fifth of it in a few ms per MB.
        body = gzip.compress(body, compresslevel=1, mtime=0)
        response["Content-Encoding"] = "gzip"
    response.content = body
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "private, no-cache"
    return response

