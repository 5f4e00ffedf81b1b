"""Scoped reads of organisation data shared by the pages and the API."""

from django.db.models import Count, Max, Q, QuerySet

from dudao.core import geo
from dudao.org.access import units_visible_to
from dudao.org.models import GroupMember, Unit, UnitQuerySet


def search_units(user, query: str) -> QuerySet[Unit]:
    """Units in the user's area matching a name, code, full pinyin or pinyin initials (``dsz`` finds 大水䃎村)."""
    query = query.strip()
    units = units_visible_to(user).select_related("parent")
    if not query:
        return units.none()
    lowered = query.lower()
    q = Q(name__contains=query) | Q(official_name__contains=query) | Q(code__startswith=query)
    if lowered.isascii() and lowered.isalpha():
        q |= Q(initials__startswith=lowered) | Q(pinyin__startswith=lowered) | Q(initials__contains=lowered)
    return units.filter(q).order_by("path")


def memberships_of(person, groups) -> QuerySet[GroupMember]:
    """The person's places in the given working groups, with their groups."""
    return GroupMember.objects.filter(person=person, group__in=groups).select_related("group")


def names_of(codes) -> dict[str, str]:
    """Units' names by their codes."""
    return dict(Unit.objects.filter(code__in=list(codes)).values_list("code", "name"))


_area_boxes: dict[tuple, tuple[float, float, float, float] | None] = {}


def campaign_area_box(campaign, margin_m: float = 5000) -> tuple[float, float, float, float] | None:
    """The WGS-84 box that a position in the campaign's county must fall in: the county boundary if it was
    imported, otherwise the county's unit points, widened by a margin; None when the county has no geometry.
    Every photo, inspection and report asks, so the box is kept until a unit changes."""
    units = Unit.objects.all()
    if campaign.county_id:
        units = units.filter(path__startswith=campaign.county.path)
    state = units.aggregate(n=Count("pk"), changed=Max("updated_at"))
    key = (campaign.pk, campaign.county_id, state["n"], state["changed"], margin_m)
    if key not in _area_boxes:
        _area_boxes.clear()
        _area_boxes[key] = _area_box(campaign, units, margin_m)
    return _area_boxes[key]


def _area_box(campaign, units, margin_m: float) -> tuple[float, float, float, float] | None:
    points: list[tuple[float, float]] = []
    county = campaign.county if campaign.county_id else None
    if county is not None and county.boundary:
        for lon, lat in _boundary_points(county.boundary):
            points.append(geo.to_wgs84(lon, lat, county.boundary_datum or "wgs84"))
    else:
        for lon, lat, datum in units.filter(lon__isnull=False).values_list("lon", "lat", "point_datum"):
            if lon is not None and lat is not None:
                points.append(geo.to_wgs84(lon, lat, datum))
    return geo.box_around(points, margin_m)


def _boundary_points(geometry: dict):
    coordinates = geometry.get("coordinates") or []
    polygons = coordinates if geometry.get("type") == "MultiPolygon" else [coordinates]
    for polygon in polygons:
        for ring in polygon:
            for lon, lat, *_rest in ring:
                yield lon, lat


def unit_point_wgs84(unit: Unit) -> tuple[float, float] | None:
    if unit.lon is None or unit.lat is None:
        return None
    return geo.to_wgs84(unit.lon, unit.lat, unit.point_datum)


def villages_by_town(units: UnitQuerySet) -> dict[int, int]:
    """Township id (the parent) → how many active villages and communities of the given units it holds. One
    aggregate query."""
    return dict(units.ranked().filter(active=True).order_by().values_list("parent_id").annotate(n=Count("pk")))
