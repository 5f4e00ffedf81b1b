"""Points on the ground: distances and the GCJ-02 / WGS-84 datums. Pure (no Django).

Phones and drones record WGS-84; points copied from Chinese web maps are GCJ-02, offset from WGS-84 by up to a
few hundred metres by the published obfuscation formula. Everything that compares a recorded position with a
stored point converts the stored point to WGS-84 first (``to_wgs84``).
"""

import math

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
