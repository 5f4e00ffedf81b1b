"""Validating unit boundaries given as GeoJSON (pure: shapely, stdlib and dudao.core; no Django imports).

A FeatureCollection whose features carry the unit's 12-digit code in ``properties.code`` (or ``代码``) and a
Polygon or MultiPolygon geometry, in the datum the caller states (GCJ-02 as copied from Chinese web maps, or
WGS-84 as GeoJSON defines it). Every vertex is converted to WGS-84 (``core.geo.to_wgs84``) and rounded to 7
decimals (about 1 cm): what is stored and drawn is WGS-84. Problems are numbered by feature (1 = the first
feature): an unknown code, a geometry that is not a polygon, a ring that is not closed or has fewer than four
positions, a polygon that crosses itself (shapely's validity test), a boundary outside the county's extent
(``extent``: a WGS-84 box the caller derives from the county) and a code given twice.
"""

import json
import math
from dataclasses import dataclass
from typing import Any

import shapely
import shapely.geometry
from shapely.errors import GEOSException

from dudao.core.geo import to_wgs84
from dudao.core.tables import Problem
from dudao.org.unitfile import CODE_RE

FEATURE = "feature"  # Problem.where: problems are numbered by feature, not by row
DECIMALS = 7


@dataclass(frozen=True)
class Boundary:
    feature: int
    code: str
    geometry: dict[str, Any]  # WGS-84


def _ring_ok(ring: Any) -> bool:
    if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
        return False
    for point in ring:
        if not (isinstance(point, list) and len(point) in (2, 3)
                and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in point)):
            return False
        if not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
            return False
    return True


def _polygon_ok(rings: Any) -> bool:
    return isinstance(rings, list) and len(rings) >= 1 and all(_ring_ok(r) for r in rings)


def _convert(coordinates: list, kind: str, datum: str) -> list:
    def ring(vertices: list) -> list:
        return [[round(v, DECIMALS) for v in to_wgs84(float(p[0]), float(p[1]), datum)] for p in vertices]

    if kind == "Polygon":
        return [ring(r) for r in coordinates]
    return [[ring(r) for r in polygon] for polygon in coordinates]


def _crossing(geometry: dict[str, Any]) -> tuple[float, float] | None:
    """Where the polygon is not valid (crosses itself, holes outside, overlapping parts), or None if it is."""
    try:
        shape = shapely.geometry.shape(geometry)
        if shapely.is_valid(shape):
            return None
        reason = shapely.is_valid_reason(shape)
    except (GEOSException, ValueError, TypeError):
        return (math.nan, math.nan)
    # "Self-intersection[104.1 37.2]": GEOS names the place in brackets
    if "[" in reason and reason.endswith("]"):
        try:
            lon, lat = (float(v) for v in reason[reason.index("[") + 1:-1].split()[:2])
            return (lon, lat)
        except ValueError:
            pass
    return (math.nan, math.nan)


def _bounds(coordinates: list, kind: str) -> tuple[float, float, float, float]:
    polygons = coordinates if kind == "MultiPolygon" else [coordinates]
    lons = [p[0] for polygon in polygons for ring in polygon for p in ring]
    lats = [p[1] for polygon in polygons for ring in polygon for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


def parse_boundaries(data: bytes, known_codes: set[str], datum: str = "wgs84",
                     extent: tuple[float, float, float, float] | None = None
                     ) -> tuple[list[Boundary], list[Problem]]:
    """The file's boundaries in WGS-84, or every problem found (then no boundary)."""
    if datum not in ("wgs84", "gcj02"):
        raise ValueError(f"unknown datum {datum!r}")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [], [Problem("geojson_invalid")]
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        return [], [Problem("geojson_invalid")]
    if not document["features"]:
        return [], [Problem("empty")]
    boundaries: list[Boundary] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}

    def refuse(message: str, number: int, **params: Any) -> None:
        problems.append(Problem(message, number, params, FEATURE))

    for number, feature in enumerate(document["features"], start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        code = str(properties.get("code", properties.get("代码", ""))).strip()
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not CODE_RE.match(code):
            refuse("bad_code", number, column="code", value=code)
            continue
        if code not in known_codes:
            refuse("unknown_unit", number, code=code)
            continue
        if code in seen:
            refuse("duplicate_feature", number, code=code, first=seen[code])
            continue
        seen[code] = number
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind not in ("Polygon", "MultiPolygon"):
            refuse("not_polygon", number, code=code, kind=str(kind or "—"))
            continue
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        valid = (kind == "Polygon" and _polygon_ok(coordinates)) or (
            kind == "MultiPolygon" and isinstance(coordinates, list) and len(coordinates) >= 1
            and all(_polygon_ok(p) for p in coordinates))
        if not valid or coordinates is None:
            refuse("geometry_invalid", number, code=code)
            continue
        converted = {"type": kind, "coordinates": _convert(coordinates, kind, datum)}
        crossing = _crossing(converted)
        if crossing is not None:
            if math.isnan(crossing[0]):
                refuse("geometry_crosses", number, code=code)
            else:
                refuse("geometry_crosses_at", number, code=code, lon=f"{crossing[0]:.5f}", lat=f"{crossing[1]:.5f}")
            continue
        if extent is not None:
            west, south, east, north = _bounds(converted["coordinates"], kind)
            if west < extent[0] or south < extent[1] or east > extent[2] or north > extent[3]:
                refuse("outside_county", number, code=code)
                continue
        boundaries.append(Boundary(number, code, converted))
    return ([], problems) if problems else (boundaries, [])
