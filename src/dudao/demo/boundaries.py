"""Synthetic boundaries for the demo, derived from its village points (the real ones are not public).

Each village or community gets the Voronoi cell of its point among all the county's village points, clipped to
the points' convex hull widened by BUFFER_DEG; a township's boundary is the union of its villages' cells and
the county's the union of all. They are drawn in the points' datum (GCJ-02, as the unit list gives them) and
imported through ``org.services.unit_boundaries_import`` with ``synthetic=True``: the map says they are
schematic, not the real administrative divisions.
"""

import json
from collections import defaultdict

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from dudao.org.models import Level, Unit

# About 6-8 km at Jingtai's latitude: wider than the 5 km the campaign's area box adds around the points, so the
# county's (synthetic) boundary never shrinks what the field app and the drones accept.
BUFFER_DEG = 0.07
SIMPLIFY_DEG = 0.0005  # about 50 m: keeps the unions' outlines small


def _geometry(shape: BaseGeometry) -> dict:
    def plain(value):
        if isinstance(value[0], float):
            return [round(value[0], 6), round(value[1], 6)]
        return [plain(v) for v in value]

    mapping = shapely.geometry.mapping(shape)
    return {"type": mapping["type"], "coordinates": plain(mapping["coordinates"])}


def synthetic_boundaries_geojson(units: list[Unit]) -> bytes:
    """A FeatureCollection (GCJ-02) of every village's, township's and county's synthetic boundary."""
    villages = [u for u in units if u.is_ranked and u.lon is not None and u.lat is not None]
    if len(villages) < 3:
        return json.dumps({"type": "FeatureCollection", "features": []}).encode()
    points = shapely.MultiPoint([(u.lon, u.lat) for u in villages])
    frame = points.convex_hull.buffer(BUFFER_DEG)
    # one cell per input point, in the points' order (two villages at one point would share it: none do)
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame, ordered=True))
    by_point = {(u.lon, u.lat): cell.intersection(frame) for u, cell in zip(villages, cells, strict=True)}
    features = []
    town_cells: dict[int, list[BaseGeometry]] = defaultdict(list)
    for village in villages:
        cell = by_point.get((village.lon, village.lat))
        if cell is None or cell.is_empty:
            continue
        features.append((village.code, cell))
        if village.parent_id:
            town_cells[village.parent_id].append(cell)
    for unit in units:
        if unit.level == Level.TOWN and town_cells.get(unit.pk):
            features.append((unit.code, shapely.union_all(town_cells[unit.pk]).simplify(SIMPLIFY_DEG)))
        elif unit.level == Level.COUNTY:
            features.append((unit.code, frame.simplify(SIMPLIFY_DEG)))
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code, "synthetic": True}, "geometry": _geometry(shape)}
        for code, shape in features if shape.geom_type in ("Polygon", "MultiPolygon")
    ]}, ensure_ascii=False).encode()
