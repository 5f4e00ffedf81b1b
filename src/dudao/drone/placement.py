"""Placing drone photos in villages (pure: numpy, shapely, stdlib and dudao.core.geo).

A photo's WGS-84 position is assigned to the village whose boundary covers it — inside or exactly on the
boundary line: a photo on the line between two villages, or on a vertex, belongs to a village rather than to
none (shapely's "intersects", which for a point is the same as "covered by"). Where boundaries overlap
(imperfect data) the village with the smallest area wins, then the smaller id, so the answer never depends on
the order the villages came in. A photo covered by no boundary goes to the nearest village point within
`nearest_within_m` metres, and otherwise to nobody ("none": the photo is placed by hand).

Everything here is WGS-84, as drones record it. Village points and boundaries copied from Chinese web maps are
GCJ-02, a few hundred metres off: the caller converts points with `dudao.core.geo.to_wgs84` and boundaries with
`boundary_to_wgs84` before building the index.

Containment is tested in longitude/latitude, exactly as the boundary was drawn. The nearest village point is
found in a local equirectangular plane (x = lon * cos(lat0) * 111320, y = lat * 110574, lat0 the villages' mean
latitude), where distances are metres to within about 1% across a county (a few % at the edges of a province);
the distance reported, and the one compared with `nearest_within_m`, is the great-circle distance to the point
chosen (the haversine of `core.geo.distance_m`, computed over numpy arrays). The search in the plane is widened
by the plane's worst stretch, so no point truly within the limit is missed; between two points at nearly the
same distance the plane's choice stands. Exactly equidistant points go to the smaller village id.
"""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from shapely.errors import GEOSException

from dudao.core.geo import EARTH_RADIUS_M, to_wgs84

M_PER_DEG_LON = 111_320.0  # at the equator, scaled by cos(lat0) in the local plane
M_PER_DEG_LAT = 110_574.0
# The great circle has 111 195 m per degree (EARTH_RADIUS_M): the plane's y runs 0.6% short of it
SPHERE_M_PER_DEG = math.radians(1) * EARTH_RADIUS_M
MAX_PLANE_LAT = 85.0  # the plane's east-west scale is cos(lat): meaningless at the poles


@dataclass(frozen=True)
class Village:
    id: int  # any int key (the caller uses the Unit pk)
    point: tuple[float, float] | None  # (lon, lat) WGS-84
    boundary: dict[str, Any] | None  # GeoJSON Polygon or MultiPolygon geometry, WGS-84


@dataclass(frozen=True)
class Placed:
    village_id: int | None
    method: str  # "boundary", "nearest" or "none"
    distance_m: float | None  # to the village point: for "nearest", and for "boundary" when the village has one


NOWHERE = Placed(None, "none", None)
BOUNDARY, NEAREST = "boundary", "nearest"
METHODS = ("none", BOUNDARY, NEAREST)


class Index:
    """Village boundaries and points, indexed (shapely STRtrees) for placing many photos."""

    def __init__(self, villages: list[Village], nearest_within_m: float = 1000.0):
        """Raises ValueError for a boundary that is not a GeoJSON Polygon/MultiPolygon, a point that is not a
        finite (lon, lat), or a negative distance. Invalid polygons (self-intersecting rings) are repaired."""
        if not (math.isfinite(nearest_within_m) and nearest_within_m >= 0):
            raise ValueError(f"nearest_within_m must be a finite distance >= 0, not {nearest_within_m!r}")
        self.nearest_within_m = float(nearest_within_m)
        polygons, polygon_ids, polygon_points = [], [], []
        point_lonlat, point_ids = [], []
        for village in villages:
            point = _point(village)
            if village.boundary is not None:
                polygons.append(_polygon(village))
                polygon_ids.append(village.id)
                polygon_points.append(point)
            if point is not None:
                point_lonlat.append(point)
                point_ids.append(village.id)

        self._polygon_ids = np.array(polygon_ids, dtype=np.int64)
        # each polygon's village point, NaN where the village has none (its distance is then None)
        points = np.array([p if p is not None else (np.nan, np.nan) for p in polygon_points]).reshape(-1, 2)
        self._polygon_lon, self._polygon_lat = points[:, 0].copy(), points[:, 1].copy()
        geometries = np.array(polygons, dtype=object)
        self._polygon_tree = shapely.STRtree(geometries)
        # smallest area first, then the smaller id: rank 0 wins. Areas in m² at each polygon's own latitude,
        # rounded to whole square metres so that equal areas (up to float rounding) tie and the id decides.
        if polygons:
            lat = shapely.get_y(shapely.centroid(geometries))
            area = np.round(shapely.area(geometries) * np.cos(np.radians(lat)) * M_PER_DEG_LON * M_PER_DEG_LAT)
        else:
            area = np.empty(0)
        self._polygon_rank = np.empty(len(polygons), dtype=np.int64)
        self._polygon_rank[np.lexsort((self._polygon_ids, area))] = np.arange(len(polygons))

        points = np.array(point_lonlat, dtype=np.float64).reshape(-1, 2)
        self._point_lon, self._point_lat = points[:, 0].copy(), points[:, 1].copy()
        self._point_ids = np.array(point_ids, dtype=np.int64)
        lat0 = float(np.clip(self._point_lat.mean(), -MAX_PLANE_LAT, MAX_PLANE_LAT)) if len(points) else 0.0
        self._kx = math.cos(math.radians(lat0)) * M_PER_DEG_LON
        self._point_tree = shapely.STRtree(shapely.points(*self._plane(self._point_lon, self._point_lat)))
        # STRtree wants a positive max_distance: with a limit of 0 only a photo exactly on a point is "nearest"
        self._search_m = max(self.nearest_within_m * self._stretch(self._point_lat), 1e-6)

    def place(self, lon: float, lat: float) -> Placed:
        """The village for one WGS-84 position (see the module's rules); "none" for a position that is not a
        finite longitude and latitude."""
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            return NOWHERE
        here_lon, here_lat = np.array([lon], dtype=np.float64), np.array([lat], dtype=np.float64)
        covering = self._polygon_tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(covering):
            best = covering[np.argmin(self._polygon_rank[covering])]
            distance = _haversine_m(here_lon, here_lat, self._polygon_lon[[best]], self._polygon_lat[[best]])[0]
            return Placed(int(self._polygon_ids[best]), BOUNDARY, None if np.isnan(distance) else float(distance))
        if not len(self._point_ids):
            return NOWHERE
        x, y = self._plane(here_lon, here_lat)
        nearest = self._point_tree.query_nearest(shapely.Point(x[0], y[0]), max_distance=self._search_m,
                                                 all_matches=True)
        if not len(nearest):
            return NOWHERE
        nearest = np.sort(nearest)  # equal ids (duplicates): the first village given, as in place_many
        best = nearest[np.argmin(self._point_ids[nearest])]
        distance = _haversine_m(here_lon, here_lat, self._point_lon[[best]], self._point_lat[[best]])[0]
        if not distance <= self.nearest_within_m:
            return NOWHERE
        return Placed(int(self._point_ids[best]), NEAREST, float(distance))

    def place_many(self, lons: np.ndarray, lats: np.ndarray) -> list[Placed]:
        """`place` for each (lon, lat) pair, vectorised: one STRtree query for all the boundaries, one nearest
        query for the positions no boundary covers. The same answers as `place`, in the same order (distances
        equal to within rounding: computed over arrays rather than one at a time)."""
        lons = np.asarray(lons, dtype=np.float64).ravel()
        lats = np.asarray(lats, dtype=np.float64).ravel()
        if lons.shape != lats.shape:
            raise ValueError(f"{len(lons)} longitudes but {len(lats)} latitudes")
        village = np.full(len(lons), -1, dtype=np.int64)
        method = np.zeros(len(lons), dtype=np.int8)  # index into METHODS
        distance = np.full(len(lons), np.nan)

        valid = np.isfinite(lons) & np.isfinite(lats) & (np.abs(lons) <= 180) & (np.abs(lats) <= 90)
        candidates = np.flatnonzero(valid)
        asked, hit = self._polygon_tree.query(shapely.points(lons[candidates], lats[candidates]),
                                              predicate="intersects")
        if len(asked):
            # per position, the covering polygon of lowest rank: sort by (position, rank), keep each first
            asked, hit = _first_per_position(asked, hit, self._polygon_rank[hit])
            where = candidates[asked]
            village[where], method[where] = self._polygon_ids[hit], 1
            distance[where] = _haversine_m(lons[where], lats[where], self._polygon_lon[hit], self._polygon_lat[hit])

        rest = candidates[method[candidates] == 0]
        if len(rest) and len(self._point_ids):
            x, y = self._plane(lons[rest], lats[rest])
            asked, hit = self._point_tree.query_nearest(shapely.points(x, y), max_distance=self._search_m,
                                                        all_matches=True)
            if len(asked):
                # equidistant points all come back: the smaller village id wins, as in `place`
                asked, hit = _first_per_position(asked, hit, self._point_ids[hit])
                where = rest[asked]
                far = _haversine_m(lons[where], lats[where], self._point_lon[hit], self._point_lat[hit])
                near = far <= self.nearest_within_m
                where, hit = where[near], hit[near]
                village[where], method[where], distance[where] = self._point_ids[hit], 2, far[near]

        return [NOWHERE if m == 0 else Placed(v, METHODS[m], None if d != d else d)  # d != d: NaN, no point
                for v, m, d in zip(village.tolist(), method.tolist(), distance.tolist(), strict=True)]

    def _plane(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return lons * self._kx, lats * M_PER_DEG_LAT

    def _stretch(self, lats: np.ndarray) -> float:
        """How much longer than the true distance the plane can make the way to a village point: the search
        radius is widened by this, and the true (great-circle) distance then decides. East-west the plane
        overstates distances polewards of lat0 (cos(lat0) against cos(lat)); north-south it understates them."""
        if not len(lats):
            return 1.0
        margin = self.nearest_within_m / M_PER_DEG_LAT + 0.01  # photos up to the limit beyond the villages
        polewards = min(max(abs(float(lats.min())), abs(float(lats.max()))) + margin, MAX_PLANE_LAT)
        east_west = self._kx / (SPHERE_M_PER_DEG * math.cos(math.radians(polewards)))
        return max(1.0, east_west) * 1.001


def boundary_to_wgs84(geometry: dict[str, Any], datum: str) -> dict[str, Any]:
    """A GeoJSON Polygon/MultiPolygon with every vertex converted to WGS-84 from `datum` ("gcj02" or "wgs84",
    as `core.geo.to_wgs84`); a third coordinate (altitude) is kept. Raises ValueError for another geometry."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if datum not in ("gcj02", "wgs84"):
        raise ValueError(f"unknown datum {datum!r}")

    def ring(vertices: list[list[float]]) -> list[list[float]]:
        return [[*to_wgs84(float(v[0]), float(v[1]), datum), *v[2:]] for v in vertices]

    try:
        if kind == "Polygon":
            return {"type": kind, "coordinates": [ring(r) for r in geometry["coordinates"]]}
        if kind == "MultiPolygon":
            return {"type": kind, "coordinates": [[ring(r) for r in polygon] for polygon in geometry["coordinates"]]}
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError("the boundary's coordinates are not a GeoJSON Polygon/MultiPolygon") from exc
    raise ValueError(f"a boundary must be a GeoJSON Polygon or MultiPolygon, not {kind!r}")


def _haversine_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """`core.geo.distance_m` over arrays: the same formula and Earth radius, so the same metres (to rounding)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    result: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return result


def _first_per_position(asked: np.ndarray, hit: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From STRtree (position, tree item) pairs, the pair of lowest `key` for each position (ties: lower item)."""
    order = np.lexsort((hit, key, asked))
    asked, hit = asked[order], hit[order]
    first = np.r_[True, asked[1:] != asked[:-1]]
    return asked[first], hit[first]


def _point(village: Village) -> tuple[float, float] | None:
    if village.point is None:
        return None
    try:
        lon, lat = (float(v) for v in village.point)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"village {village.id}: the point is not (lon, lat)") from exc
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"village {village.id}: the point ({lon}, {lat}) is not a longitude and latitude")
    return lon, lat


def _polygon(village: Village) -> Any:
    """The boundary as a 2-D shapely (Multi)Polygon, repaired if its rings cross themselves."""
    boundary = village.boundary
    if not isinstance(boundary, dict) or boundary.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"village {village.id}: the boundary is not a GeoJSON Polygon or MultiPolygon")
    try:
        geometry = shapely.force_2d(shapely.geometry.shape(boundary))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, GEOSException) as exc:
        raise ValueError(f"village {village.id}: the boundary's coordinates are not valid GeoJSON") from exc
    if geometry.is_empty:
        raise ValueError(f"village {village.id}: the boundary is empty")
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    return geometry
