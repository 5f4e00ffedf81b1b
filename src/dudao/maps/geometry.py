"""Shapes as the browser draws them (pure: stdlib and dudao.core.geo).

A boundary is stored in WGS-84 (``org.geojson``); the map wants it in the base layer's datum (WGS-84, or GCJ-02
for Chinese web-map tiles), rounded to DECIMALS (about 1 m: far finer than a screen pixel at county scale) and
without the repeated positions rounding leaves, serialised once as compact JSON.
"""

import json
from functools import lru_cache
from typing import Any

from dudao.core.geo import to_wgs84, wgs84_to_gcj02

DECIMALS = 5


def _convert(lon: float, lat: float, stored: str, shown: str) -> tuple[float, float]:
    lon, lat = to_wgs84(lon, lat, stored or "wgs84")
    return wgs84_to_gcj02(lon, lat) if shown == "gcj02" else (lon, lat)


def _ring(ring: list, stored: str, shown: str) -> list[list[float]]:
    out: list[list[float]] = []
    for point in ring:
        lon, lat = _convert(float(point[0]), float(point[1]), stored, shown)
        vertex = [round(lon, DECIMALS), round(lat, DECIMALS)]
        if not out or out[-1] != vertex:
            out.append(vertex)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def compact_geometry(geometry: dict[str, Any] | None, stored: str, shown: str) -> dict[str, Any] | None:
    """The Polygon or MultiPolygon in the shown datum, rounded; None for anything else (or nothing left)."""
    if not isinstance(geometry, dict):
        return None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if not isinstance(coordinates, list):
        return None
    try:
        if kind == "Polygon":
            rings = [r for r in (_ring(r, stored, shown) for r in coordinates) if len(r) >= 4]
            return {"type": kind, "coordinates": rings} if rings else None
        if kind == "MultiPolygon":
            polygons = [[r for r in (_ring(r, stored, shown) for r in polygon) if len(r) >= 4]
                        for polygon in coordinates]
            polygons = [p for p in polygons if p]
            return {"type": kind, "coordinates": polygons} if polygons else None
    except (TypeError, ValueError, IndexError):
        return None
    return None


def compact_point(lon: float | None, lat: float | None, stored: str, shown: str) -> dict[str, Any] | None:
    if lon is None or lat is None:
        return None
    lon, lat = _convert(lon, lat, stored, shown)
    return {"type": "Point", "coordinates": [round(lon, DECIMALS), round(lat, DECIMALS)]}


@lru_cache(maxsize=1 << 16)
def point_json(lon: float | None, lat: float | None, stored: str, shown: str) -> str:
    """compact_point serialised ("" for none), kept for the inputs last asked: a province's map has 16,000 village
    points, and turning GCJ-02 back into WGS-84 is iterative (most of the map's time when done on every request)."""
    point = compact_point(lon, lat, stored, shown)
    return dumps(point) if point else ""


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # json.dumps would make one per call


def dumps(value: Any) -> str:
    """Compact JSON, Chinese kept as it is (大水䃎村 stays one character, not an escape)."""
    return _ENCODER.encode(value)
