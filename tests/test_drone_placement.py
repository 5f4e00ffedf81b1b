"""dudao.drone.placement: drone photos placed in villages by boundary, else by the nearest village point
(pure: no database)."""

import math

import numpy as np
import pytest

from dudao.core import geo
from dudao.drone.placement import NOWHERE, Index, Placed, Village, boundary_to_wgs84

# A village square in Jingtai county: 0.01° of longitude (~888 m) by 0.01° of latitude (~1112 m)
WEST, SOUTH, EAST, NORTH = 104.00, 37.00, 104.01, 37.01
CENTRE = ((WEST + EAST) / 2, (SOUTH + NORTH) / 2)
M_PER_DEG_LON = math.radians(1) * geo.EARTH_RADIUS_M * math.cos(math.radians(CENTRE[1]))


def square(west: float, south: float, east: float, north: float) -> dict:
    return {"type": "Polygon",
            "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]}


def village(id_: int = 1, point=CENTRE, boundary=None) -> Village:
    return Village(id_, point, square(WEST, SOUTH, EAST, NORTH) if boundary is None else boundary)


def west_of(metres: float) -> float:
    """The longitude `metres` west of the square's west edge, at the centre's latitude."""
    return WEST - metres / M_PER_DEG_LON


def test_inside_the_boundary():
    index = Index([village()])
    assert index.place(*CENTRE) == Placed(1, "boundary", 0.0)
    lon, lat = 104.002, 37.008
    placed = index.place(lon, lat)
    assert (placed.village_id, placed.method) == (1, "boundary")
    assert placed.distance_m == pytest.approx(geo.distance_m(lon, lat, *CENTRE), rel=1e-12)


@pytest.mark.parametrize(("lon", "lat"), [
    (WEST, 37.005), (EAST, 37.005), (104.005, SOUTH), (104.005, NORTH),  # on each edge
    (WEST, SOUTH), (EAST, NORTH), (WEST, NORTH),  # on vertices
])
def test_on_the_edge_or_a_vertex_counts_as_inside(lon, lat):
    placed = Index([village()]).place(lon, lat)
    assert (placed.village_id, placed.method) == (1, "boundary")
    assert placed.distance_m == pytest.approx(geo.distance_m(lon, lat, *CENTRE), rel=1e-12)


def test_outside_near_a_point_within_the_distance():
    index = Index([village()], nearest_within_m=1000.0)
    lon = west_of(500.0)  # 500 m outside, ~944 m from the centre point
    placed = index.place(lon, CENTRE[1])
    assert (placed.village_id, placed.method) == (1, "nearest")
    assert placed.distance_m == pytest.approx(geo.distance_m(lon, CENTRE[1], *CENTRE), rel=1e-12)
    assert placed.distance_m == pytest.approx(500.0 + (CENTRE[0] - WEST) * M_PER_DEG_LON, abs=0.01)
    assert Index([village()], nearest_within_m=900.0).place(lon, CENTRE[1]) == NOWHERE  # configurable


def test_outside_beyond_the_distance_is_placed_by_hand():
    index = Index([village()], nearest_within_m=1000.0)
    assert index.place(west_of(700.0), CENTRE[1]) == Placed(None, "none", None)  # ~1144 m from the point
    assert index.place(120.0, 30.0) == NOWHERE  # far outside the county


def test_the_limit_is_the_great_circle_distance():
    index = Index([Village(1, CENTRE, None)], nearest_within_m=1000.0)
    inside = CENTRE[0] - 999.0 / M_PER_DEG_LON
    outside = CENTRE[0] - 1001.0 / M_PER_DEG_LON
    assert index.place(inside, CENTRE[1]).distance_m == pytest.approx(999.0, abs=1e-6)
    assert index.place(outside, CENTRE[1]) == NOWHERE


def test_village_without_a_point_or_without_a_boundary():
    no_point = Index([Village(3, None, square(WEST, SOUTH, EAST, NORTH))])
    assert no_point.place(*CENTRE) == Placed(3, "boundary", None)
    assert no_point.place(west_of(10.0), CENTRE[1]) == NOWHERE  # nearest goes by points only
    no_boundary = Index([Village(4, CENTRE, None)])
    placed = no_boundary.place(CENTRE[0], CENTRE[1] + 0.001)
    assert (placed.village_id, placed.method) == (4, "nearest")
    assert placed.distance_m == pytest.approx(geo.distance_m(CENTRE[0], CENTRE[1] + 0.001, *CENTRE), rel=1e-12)


def test_overlapping_boundaries_smallest_wins_whatever_the_order():
    big = Village(1, CENTRE, square(WEST, SOUTH, EAST, NORTH))
    small = Village(2, (104.003, 37.003), square(104.002, 37.002, 104.004, 37.004))
    for villages in ([big, small], [small, big]):
        index = Index(villages)
        assert index.place(104.003, 37.003) == Placed(2, "boundary", 0.0)
        assert index.place(104.002, 37.003).village_id == 2  # on the small one's edge, inside the big one
        assert index.place(104.008, 37.008).village_id == 1


def test_shared_edge_equal_areas_smaller_id_wins():
    left = Village(9, None, square(WEST, SOUTH, 104.005, NORTH))
    right = Village(5, None, square(104.005, SOUTH, EAST, NORTH))
    for villages in ([left, right], [right, left]):
        index = Index(villages)
        assert index.place(104.005, 37.005) == Placed(5, "boundary", None)
        assert index.place(104.002, 37.005) == Placed(9, "boundary", None)


def test_equidistant_points_smaller_id_wins():
    # 37 ± 2^-7 degrees: exactly representable, so both are exactly as far in the plane, not just nearly
    north, south = Village(8, (104.0, 37.0 + 2**-7), None), Village(3, (104.0, 37.0 - 2**-7), None)
    for villages in ([north, south], [south, north]):
        index = Index(villages)
        placed = index.place(104.0, 37.0)
        assert (placed.village_id, placed.method) == (3, "nearest")
        assert index.place_many(np.array([104.0]), np.array([37.0])) == [placed]


def test_hole_and_multipolygon():
    outer = [[WEST, SOUTH], [EAST, SOUTH], [EAST, NORTH], [WEST, NORTH], [WEST, SOUTH]]
    hole = [[104.004, 37.004], [104.006, 37.004], [104.006, 37.006], [104.004, 37.006], [104.004, 37.004]]
    far_part = [[104.05, 37.05], [104.06, 37.05], [104.06, 37.06], [104.05, 37.06], [104.05, 37.05]]
    multi = {"type": "MultiPolygon", "coordinates": [[outer, hole], [far_part]]}
    index = Index([Village(1, None, multi), Village(2, (104.005, 37.005), None)])
    assert index.place(104.002, 37.002) == Placed(1, "boundary", None)
    assert index.place(104.055, 37.055) == Placed(1, "boundary", None)  # in the second part
    assert index.place(104.004, 37.005) == Placed(1, "boundary", None)  # on the hole's edge
    in_hole = index.place(104.0055, 37.005)
    assert (in_hole.village_id, in_hole.method) == (2, "nearest")  # the hole is not village 1
    assert index.place(104.03, 37.03) == NOWHERE  # between the parts


def test_self_intersecting_boundary_is_repaired():
    bow_tie = {"type": "Polygon", "coordinates": [[[104.0, 37.0], [104.01, 37.01], [104.01, 37.0],
                                                   [104.0, 37.01], [104.0, 37.0]]]}
    index = Index([Village(1, None, bow_tie)])
    assert index.place(104.001, 37.005) == Placed(1, "boundary", None)  # in the western lobe
    assert index.place(104.005, 37.009) == NOWHERE  # above the crossing, outside both lobes


def test_gcj02_village_point_converted():
    """A village point copied from a Chinese web map is GCJ-02; the drone records WGS-84 at the same spot."""
    real = (104.05, 37.15)  # the village's true (WGS-84) position in Jingtai
    from_web_map = geo.wgs84_to_gcj02(*real)
    converted = Index([Village(7, geo.to_wgs84(*from_web_map, "gcj02"), None)], nearest_within_m=100.0)
    placed = converted.place(*real)
    assert (placed.village_id, placed.method) == (7, "nearest") and placed.distance_m < 5.0
    # taken as WGS-84 unconverted, the same point is ~250 m off here (and 300-600 m in eastern China)
    offset = geo.distance_m(*real, *from_web_map)
    assert 200.0 < offset < 300.0
    assert 300.0 < geo.distance_m(116.397, 39.909, *geo.wgs84_to_gcj02(116.397, 39.909)) < 600.0  # Beijing
    unconverted = Index([Village(7, from_web_map, None)], nearest_within_m=100.0)
    assert unconverted.place(*real) == NOWHERE
    assert Index([Village(7, from_web_map, None)]).place(*real).distance_m == pytest.approx(offset, rel=1e-9)


def test_gcj02_boundary_converted():
    """A 200 m square drawn on a web map (GCJ-02) around a spot; the photo is taken there (WGS-84)."""
    lon, lat = 104.05, 37.15
    d = 0.001
    wgs_ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]
    drawn = {"type": "Polygon", "coordinates": [[list(geo.wgs84_to_gcj02(*v)) for v in wgs_ring]]}
    assert Index([Village(1, None, boundary_to_wgs84(drawn, "gcj02"))]).place(lon, lat) == Placed(1, "boundary", None)
    assert Index([Village(1, None, drawn)]).place(lon, lat) == NOWHERE  # unconverted: ~250 m away


def test_boundary_to_wgs84():
    ring = [[104.0, 37.0, 1650.0], [104.01, 37.0, 1651.0], [104.01, 37.01, 1652.0], [104.0, 37.0, 1650.0]]
    polygon = {"type": "Polygon", "coordinates": [ring], "bbox": [104.0, 37.0, 104.01, 37.01]}
    converted = boundary_to_wgs84(polygon, "gcj02")
    assert converted["type"] == "Polygon" and set(converted) == {"type", "coordinates"}
    for got, vertex in zip(converted["coordinates"][0], ring, strict=True):
        assert got == [*geo.gcj02_to_wgs84(vertex[0], vertex[1]), vertex[2]]  # altitude kept
    assert converted["coordinates"][0][0] == converted["coordinates"][0][-1]  # still closed
    assert boundary_to_wgs84(polygon, "wgs84") == {"type": "Polygon", "coordinates": [ring]}
    multi = boundary_to_wgs84({"type": "MultiPolygon", "coordinates": [[ring], [ring]]}, "gcj02")
    assert multi["coordinates"] == [converted["coordinates"], converted["coordinates"]]
    with pytest.raises(ValueError):
        boundary_to_wgs84({"type": "Point", "coordinates": [104.0, 37.0]}, "gcj02")
    with pytest.raises(ValueError):
        boundary_to_wgs84(polygon, "bd09")
    with pytest.raises(ValueError):
        boundary_to_wgs84({"type": "Polygon", "coordinates": 5}, "wgs84")


def test_nearest_found_far_from_the_mean_latitude():
    """The local plane is scaled at the villages' mean latitude (37.5 here): at 45°N it stretches east-west
    distances by ~12%, so 990 m would look like ~1110 m. The search is widened and the true distance decides."""
    villages = [Village(1, (100.0, 30.0), None), Village(2, (100.0, 45.0), None)]
    index = Index(villages, nearest_within_m=1000.0)
    lon = 100.0 + 990.0 / (math.radians(1) * geo.EARTH_RADIUS_M * math.cos(math.radians(45.0)))
    placed = index.place(lon, 45.0)
    assert (placed.village_id, placed.method) == (2, "nearest")
    assert placed.distance_m == pytest.approx(990.0, abs=0.01)
    assert index.place_many(np.array([lon]), np.array([45.0])) == [placed]


def test_place_many_equals_place():
    rng = np.random.default_rng(20260509)
    villages = []
    for k in range(60):  # a 10 x 6 grid of squares of random size, some overlapping, some with no point
        i, j = divmod(k, 6)
        lon, lat = 104.0 + i * 0.01, 37.0 + j * 0.01
        half = rng.uniform(0.002, 0.007)
        point = (lon + rng.uniform(-0.001, 0.001), lat) if k % 7 else None
        boundary = square(lon - half, lat - half, lon + half, lat + half) if k % 5 else None
        villages.append(Village(100 + k, point, boundary))
    index = Index(villages, nearest_within_m=400.0)
    lons = rng.uniform(103.98, 104.12, 1000)
    lats = rng.uniform(36.98, 37.08, 1000)
    lons[:3], lats[:3] = (104.0, np.nan, 200.0), (37.0, 37.0, 37.0)  # a vertex-ish point, NaN, out of range
    many = index.place_many(lons, lats)
    assert len(many) == 1000
    methods = set()
    for lon, lat, got in zip(lons, lats, many, strict=True):
        one = index.place(float(lon), float(lat))
        assert (got.village_id, got.method) == (one.village_id, one.method)
        if one.distance_m is None:
            assert got.distance_m is None
        else:  # computed over arrays rather than one at a time: equal to rounding
            assert got.distance_m == pytest.approx(one.distance_m, rel=1e-12, abs=1e-9)
        methods.add(got.method)
    assert methods == {"boundary", "nearest", "none"}
    assert many[1] == many[2] == NOWHERE
    assert index.place_many(np.array([]), np.array([])) == []
    with pytest.raises(ValueError):
        index.place_many(np.array([104.0, 104.1]), np.array([37.0]))


def test_positions_that_are_not_positions():
    index = Index([village()])
    for lon, lat in ((math.nan, 37.0), (104.0, math.inf), (181.0, 37.0), (104.0, -91.0)):
        assert index.place(lon, lat) == NOWHERE
    assert index.place_many(np.array([math.nan, 104.005]), np.array([37.005, math.nan])) == [NOWHERE, NOWHERE]


def test_empty_index():
    index = Index([])
    assert index.place(*CENTRE) == NOWHERE
    assert index.place_many(np.array([104.0, 104.1]), np.array([37.0, 37.1])) == [NOWHERE, NOWHERE]


@pytest.mark.parametrize("bad", [
    Village(1, None, {"type": "Point", "coordinates": [104.0, 37.0]}),
    Village(1, None, {"type": "Polygon", "coordinates": "nonsense"}),
    Village(1, None, {"type": "Polygon", "coordinates": []}),
    Village(1, (math.nan, 37.0), None),
    Village(1, (104.0, 95.0), None),
], ids=["point-boundary", "bad-coordinates", "empty", "nan-point", "latitude-95"])
def test_bad_villages_are_refused_by_id(bad):
    with pytest.raises(ValueError, match="village 1"):
        Index([bad])


def test_bad_distance():
    with pytest.raises(ValueError):
        Index([village()], nearest_within_m=-1.0)
    with pytest.raises(ValueError):
        Index([village()], nearest_within_m=math.nan)
    zero = Index([Village(1, CENTRE, None)], nearest_within_m=0.0)
    assert zero.place(CENTRE[0] + 1e-5, CENTRE[1]) == NOWHERE
    assert zero.place(*CENTRE) == Placed(1, "nearest", 0.0)
