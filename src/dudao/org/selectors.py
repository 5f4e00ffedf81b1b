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


_areas: dict[tuple, geo.Area | None] = {}


def campaign_area(campaign, margin_m: float = 5000) -> geo.Area | None:
    """Where a position in the campaign's county must lie (WGS-84; decision 0017): inside the county's boundary
    if it was imported; else inside the union of its townships' boundaries if every active township has one; else
    of its villages' if every active village and community has one; else inside the box of the units' points
    widened by ``margin_m``. None when the county has no geometry at all (nothing is refused).
    Every photo, inspection, drone photo and report asks, so the prepared area is kept per campaign until a unit
    under the county changes (a boundary import moves ``updated_at``; one aggregate query tells)."""
    units = Unit.objects.all()
    if campaign.county_id:
        units = units.filter(path__startswith=campaign.county.path)
    state = units.aggregate(n=Count("pk"), changed=Max("updated_at"))
    key = (campaign.pk, campaign.county_id, state["n"], state["changed"], margin_m)
    if key not in _areas:
        for old in [k for k in _areas if k[0] == campaign.pk]:
            del _areas[old]
        _areas[key] = _area(campaign, units, margin_m)
    return _areas[key]


def _area(campaign, units, margin_m: float) -> geo.Area | None:
    county = campaign.county if campaign.county_id else None
    if county is not None and county.boundary:
        area = geo.area_of_boundaries([(county.boundary, county.boundary_datum)], "county")
        if area is not None:
            return area
    for source, level_units in (("towns", units.towns()), ("villages", units.ranked())):
        rows = list(level_units.filter(active=True).values_list("boundary", "boundary_datum"))
        if rows and all(boundary for boundary, _datum in rows):
            area = geo.area_of_boundaries(rows, source)
            if area is not None:
                return area
    points = [geo.to_wgs84(lon, lat, datum) for lon, lat, datum in
              units.filter(lon__isnull=False, lat__isnull=False).values_list("lon", "lat", "point_datum")]
    return geo.area_of_points(points, margin_m)


def unit_point_wgs84(unit: Unit) -> tuple[float, float] | None:
    if unit.lon is None or unit.lat is None:
        return None
    return geo.to_wgs84(unit.lon, unit.lat, unit.point_datum)


def villages_by_town(units: UnitQuerySet) -> dict[int, int]:
    """Township id (the parent) → how many active villages and communities of the given units it holds. One
    aggregate query."""
    return dict(units.ranked().filter(active=True).order_by().values_list("parent_id").annotate(n=Count("pk")))
