"""Validating unit boundaries given as GeoJSON (pure: no Django imports).

A FeatureCollection whose features carry the unit's 12-digit code in ``properties.code`` (or ``代码``) and a
Polygon or MultiPolygon geometry. Problems are numbered by feature (1 = the first feature).
"""

import json
import math
from dataclasses import dataclass
from typing import Any

from dudao.core.tables import Problem
from dudao.org.unitfile import CODE_RE


@dataclass(frozen=True)
class Boundary:
    feature: int
    code: str
    geometry: dict[str, Any]


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


def parse_boundaries(data: bytes, known_codes: set[str]) -> tuple[list[Boundary], list[Problem]]:
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
    for number, feature in enumerate(document["features"], start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        code = str(properties.get("code", properties.get("代码", ""))).strip()
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not CODE_RE.match(code):
            problems.append(Problem("bad_code", number, {"column": "code", "value": code}))
            continue
        if code not in known_codes:
            problems.append(Problem("unknown_unit", number, {"code": code}))
            continue
        if code in seen:
            problems.append(Problem("duplicate_code", number, {"code": code, "first": seen[code]}))
            continue
        seen[code] = number
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        valid = (kind == "Polygon" and _polygon_ok(coordinates)) or (
            kind == "MultiPolygon" and isinstance(coordinates, list) and len(coordinates) >= 1
            and all(_polygon_ok(p) for p in coordinates))
        if not valid or geometry is None:
            problems.append(Problem("geometry_invalid", number, {"code": code}))
            continue
        boundaries.append(Boundary(number, code, {"type": kind, "coordinates": coordinates}))
    return ([], problems) if problems else (boundaries, [])
