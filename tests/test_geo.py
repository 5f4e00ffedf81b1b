"""Points on the ground (dudao.core.geo): great-circle distances, the GCJ-02 / WGS-84 datums and the boxes that
keep positions inside the county."""

import math

import pytest

from dudao.core import geo

JINGTAI = (104.05, 37.15)  # WGS-84, the county seat's neighbourhood
BEIJING = (116.4074, 39.9042)
SHANGHAI = (121.4737, 31.2304)
PARIS = (2.3522, 48.8566)


# Distances -----------------------------------------------------------------------------------------------------


def test_one_degree_of_latitude():
    # 2πR / 360 with R = 6,371,008.8 m (the mean Earth radius) is 111,194.93 m.
    assert abs(geo.distance_m(0.0, 0.0, 0.0, 1.0) - 111_195) <= 5
    assert geo.distance_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(math.pi * 6_371_008.8 / 180, abs=1e-6)
    assert geo.distance_m(104.0, 37.0, 104.0, 38.0) == pytest.approx(math.pi * 6_371_008.8 / 180, abs=1e-6)


def test_one_degree_of_longitude_shrinks_with_the_latitude():
    at_equator = geo.distance_m(0.0, 0.0, 1.0, 0.0)
    assert at_equator == pytest.approx(math.pi * 6_371_008.8 / 180, abs=1e-6)
    # Along a parallel the great circle is a little shorter than the parallel itself (R·cos φ·Δλ).
    at_jingtai = geo.distance_m(104.0, 37.15, 105.0, 37.15)
    along_parallel = math.pi * 6_371_008.8 / 180 * math.cos(math.radians(37.15))
    assert along_parallel - 5 < at_jingtai < along_parallel


def test_beijing_to_shanghai():
    assert abs(geo.distance_m(*BEIJING, *SHANGHAI) - 1_067_000) <= 2_000


def test_distance_is_symmetric_and_zero_for_the_same_point():
    assert geo.distance_m(*BEIJING, *SHANGHAI) == pytest.approx(geo.distance_m(*SHANGHAI, *BEIJING), abs=1e-6)
    assert geo.distance_m(*JINGTAI, *JINGTAI) == 0.0


def test_antipodes_are_half_the_circumference():
    assert geo.distance_m(0.0, 0.0, 180.0, 0.0) == pytest.approx(math.pi * 6_371_008.8, abs=1e-3)
    assert geo.distance_m(10.0, 45.0, -170.0, -45.0) == pytest.approx(math.pi * 6_371_008.8, abs=1e-3)


def test_a_few_metres():
    # 0.0001° of latitude is 11.12 m.
    assert geo.distance_m(104.05, 37.15, 104.05, 37.1501) == pytest.approx(11.1195, abs=1e-3)


# Datums ---------------------------------------------------------------------------------------------------------


def test_the_published_gcj02_reference_point():
    # wandergis/coordtransform's README: wgs84togcj02(116.404, 39.915) → [116.41024449916938, 39.91640428150164].
    lon, lat = geo.wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-9)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)


def test_the_offset_at_jingtai_is_a_few_hundred_metres():
    g_lon, g_lat = geo.wgs84_to_gcj02(*JINGTAI)
    offset = geo.distance_m(*JINGTAI, g_lon, g_lat)
    assert 100 <= offset <= 700
    # GCJ-02 moves points east and north here.
    assert g_lon > JINGTAI[0]
    assert g_lat > JINGTAI[1]


GRID = [(lon, lat) for lon in (74.0, 80.5, 90.0, 98.3, 104.05, 110.0, 116.4, 121.47, 126.0, 134.9)
        for lat in (18.3, 22.5, 26.0, 30.7, 35.0, 37.15, 40.0, 44.1, 48.5, 53.2)]


@pytest.mark.parametrize(("lon", "lat"), GRID)
def test_round_trip_is_better_than_a_centimetre(lon, lat):
    g_lon, g_lat = geo.wgs84_to_gcj02(lon, lat)
    assert (g_lon, g_lat) != (lon, lat)
    back = geo.gcj02_to_wgs84(g_lon, g_lat)
    assert geo.distance_m(lon, lat, *back) < 0.01


@pytest.mark.parametrize(("lon", "lat"), [PARIS, (-74.006, 40.7128), (151.2093, -33.8688), (139.9, 35.68),
                                          (72.0, 30.0), (138.0, 40.0), (105.0, 0.5), (105.0, 56.0)])
def test_outside_china_nothing_moves(lon, lat):
    assert not geo.in_china(lon, lat)
    assert geo.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert geo.gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert geo.to_wgs84(lon, lat, "gcj02") == (lon, lat)


def test_in_china_box_edges_are_inclusive():
    assert geo.in_china(72.004, 0.8293)
    assert geo.in_china(137.8347, 55.8271)
    assert not geo.in_china(72.003, 30.0)
    assert not geo.in_china(137.8348, 30.0)
    assert not geo.in_china(100.0, 0.8292)
    assert not geo.in_china(100.0, 55.8272)


def test_to_wgs84():
    g = geo.wgs84_to_gcj02(*JINGTAI)
    assert geo.to_wgs84(*JINGTAI, "wgs84") == JINGTAI
    assert geo.to_wgs84(*g, "gcj02") == geo.gcj02_to_wgs84(*g)
    assert geo.distance_m(*JINGTAI, *geo.to_wgs84(*g, "gcj02")) < 0.01


@pytest.mark.parametrize("datum", ["bd09", "", "WGS84", "GCJ02", "wgs-84"])
def test_to_wgs84_refuses_an_unknown_datum(datum):
    with pytest.raises(ValueError, match=f"^unknown datum {datum!r}$"):
        geo.to_wgs84(*JINGTAI, datum)


# Boxes ----------------------------------------------------------------------------------------------------------


def test_box_around_nothing_is_none():
    assert geo.box_around([], 5000) is None


def test_box_around_points_without_margin_is_their_extent():
    points = [(104.0, 37.2), (104.3, 36.9), (103.8, 37.5)]
    assert geo.box_around(points, 0) == (103.8, 36.9, 104.3, 37.5)


def test_box_margin_is_about_the_margin_in_every_direction():
    margin = 5000.0
    box = geo.box_around([JINGTAI], margin)
    assert box is not None
    lon, lat = JINGTAI
    one_m_lat = 1 / (math.pi * 6_371_008.8 / 180)
    one_m_lon = one_m_lat / math.cos(math.radians(lat))
    for d_lon, d_lat in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        inside = (lon + d_lon * 0.99 * margin * one_m_lon, lat + d_lat * 0.99 * margin * one_m_lat)
        outside = (lon + d_lon * 1.01 * margin * one_m_lon, lat + d_lat * 1.01 * margin * one_m_lat)
        assert geo.in_box(*inside, box)
        assert not geo.in_box(*outside, box)
        assert geo.distance_m(lon, lat, *inside) == pytest.approx(4950, abs=1)
        assert geo.distance_m(lon, lat, *outside) == pytest.approx(5050, abs=1)
    # The margin is added around the extent of all the points.
    two = geo.box_around([(104.0, 37.0), (104.2, 37.3)], margin)
    assert two is not None
    assert two[0] < 104.0 < 104.2 < two[2]
    assert two[1] < 37.0 < 37.3 < two[3]
    assert two[3] - 37.3 == pytest.approx(37.0 - two[1])
    assert two[2] - 104.2 == pytest.approx(104.0 - two[0])


def test_box_near_the_pole_stays_finite():
    box = geo.box_around([(0.0, 90.0)], 1000)
    assert box is not None
    assert all(math.isfinite(v) for v in box)


def test_in_box_edges_are_inclusive():
    box = (104.0, 37.0, 104.5, 37.5)
    assert geo.in_box(104.0, 37.0, box)
    assert geo.in_box(104.5, 37.5, box)
    assert geo.in_box(104.25, 37.25, box)
    assert not geo.in_box(103.9999, 37.25, box)
    assert not geo.in_box(104.5001, 37.25, box)
    assert not geo.in_box(104.25, 36.9999, box)
    assert not geo.in_box(104.25, 37.5001, box)
