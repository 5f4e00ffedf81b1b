"""Points on the ground: distances and the GCJ-02 / WGS-84 datums. Pure (no Django).

Phones and drones record WGS-84; points copied from Chinese web maps are GCJ-02, offset from WGS-84 by up to a
few hundred metres by the published obfuscation formula. Everything that compares a recorded position with a
stored point converts the stored point to WGS-84 first (``to_wgs84``).

Whether a position lies in the county is an ``Area``: the union of polygons (the county's boundary, else its
townships', else its villages') checked by ray casting, holes respected, each polygon's box first; or, with no
boundary at all, a box around the units' points (decision 0017).
"""

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8
_A = 6_378_245.0  # the Krasovsky ellipsoid the GCJ-02 formula is defined on
_EE = 0.006_693_421_622_965_943


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def in_china(lon: float, lat: float) -> bool:
    """The rough box outside which GCJ-02 equals WGS-84 by definition."""
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271


def _offset(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = math.radians(lat)
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if not in_china(lon, lat):
        return lon, lat
    d_lon, d_lat = _offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The inverse by fixed-point iteration: better than 1 cm after a few steps."""
    if not in_china(lon, lat):
        return lon, lat
    w_lon, w_lat = lon, lat
    for _step in range(10):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = g_lon - lon, g_lat - lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        if abs(e_lon) < 1e-9 and abs(e_lat) < 1e-9:
            break
    return w_lon, w_lat


def to_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """A stored point in WGS-84; ``datum`` is "gcj02" or "wgs84" (the unit data says which)."""
    if datum == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if datum == "wgs84":
        return lon, lat
    raise ValueError(f"unknown datum {datum!r}")


def box_around(points: list[tuple[float, float]], margin_m: float) -> tuple[float, float, float, float] | None:
    """The bounding box (min lon, min lat, max lon, max lat) of the points widened by a margin, or None."""
    if not points:
        return None
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    d_lat = margin_m / 110_574.0
    mid = math.radians((min(lats) + max(lats)) / 2)
    d_lon = margin_m / (111_320.0 * max(0.01, math.cos(mid)))
    return min(lons) - d_lon, min(lats) - d_lat, max(lons) + d_lon, max(lats) + d_lat


def in_box(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


# An area that positions are checked against (issue 17): polygons when boundaries are known, else a box.
Ring = tuple[tuple[float, float], ...]
Box = tuple[float, float, float, float]


def _ring_contains(ring: Ring, lon: float, lat: float) -> bool:
    """Ray casting (even-odd) on a closed ring; a point on an edge may fall either way."""
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
        x1, y1 = x2, y2
    return inside


def _box_of(points) -> Box:
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


@dataclass(frozen=True)
class Polygon:
    """One polygon in WGS-84: its outer ring, its holes and the outer ring's box (checked first)."""

    outer: Ring
    holes: tuple[Ring, ...]
    box: Box

    def contains(self, lon: float, lat: float) -> bool:
        return (in_box(lon, lat, self.box) and _ring_contains(self.outer, lon, lat)
                and not any(_ring_contains(hole, lon, lat) for hole in self.holes))


@dataclass(frozen=True)
class Area:
    """Where a position may lie: inside any of ``polygons`` (the union of boundaries), or, when there are none,
    inside ``box``. ``box`` always bounds the area, so most positions far away are refused on four comparisons.
    ``source`` says what the area was made of ("county", "towns", "villages" or "points")."""

    box: Box
    polygons: tuple[Polygon, ...]
    source: str

    def contains(self, lon: float, lat: float) -> bool:
        if not in_box(lon, lat, self.box):
            return False
        if not self.polygons:
            return True
        return any(polygon.contains(lon, lat) for polygon in self.polygons)

    def geojson(self, decimals: int = 5) -> dict:
        """The area as a GeoJSON MultiPolygon (the box when there is no polygon), rounded for drawing."""
        def ring(points) -> list:
            return [[round(lon, decimals), round(lat, decimals)] for lon, lat in points]

        if not self.polygons:
            west, south, east, north = self.box
            return {"type": "MultiPolygon", "coordinates": [[ring(
                [(west, south), (east, south), (east, north), (west, north), (west, south)])]]}
        return {"type": "MultiPolygon", "coordinates": [[ring(p.outer), *(ring(h) for h in p.holes)]
                                                        for p in self.polygons]}


def area_of_boundaries(boundaries: list[tuple[dict, str]], source: str) -> Area | None:
    """The union of GeoJSON Polygons/MultiPolygons, each given with its datum ("wgs84" or "gcj02": converted to
    WGS-84 here, once); None when they hold no polygon."""
    polygons: list[Polygon] = []
    for geometry, datum in boundaries:
        coordinates = geometry.get("coordinates") or []
        parts = coordinates if geometry.get("type") == "MultiPolygon" else [coordinates]
        for part in parts:
            rings = [tuple(to_wgs84(float(p[0]), float(p[1]), datum or "wgs84") for p in ring)
                     for ring in part if len(ring) >= 4]
            if rings:
                polygons.append(Polygon(rings[0], tuple(rings[1:]), _box_of(rings[0])))
    if not polygons:
        return None
    corners = [(p.box[0], p.box[1]) for p in polygons] + [(p.box[2], p.box[3]) for p in polygons]
    return Area(_box_of(corners), tuple(polygons), source)


def area_of_points(points: list[tuple[float, float]], margin_m: float) -> Area | None:
    """The fallback when no boundary is known: the points' box widened by a margin; None without points."""
    box = box_around(points, margin_m)
    return None if box is None else Area(box, (), "points")
