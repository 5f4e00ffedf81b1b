"""Whether a position lies in the county (issue 17, decision 0017): the county's boundary when it has one, else
the union of its townships' (or villages') boundaries, else the box around the units' points; holes respected,
the datum converted; the prepared area kept until a unit changes; and every caller asking it."""

import pytest
from django.test import Client
from django.utils import timezone, translation

from dudao.accounts.access import SYSTEM
from dudao.campaigns.services import campaign_get
from dudao.core import geo
from dudao.core.errors import Refused
from dudao.drone import services as drone_services
from dudao.drone.models import DronePhoto
from dudao.inspections import services as inspection_services
from dudao.inspections.models import Inspection
from dudao.org import selectors
from dudao.org.models import Level, Unit
from dudao.org.services import unit_boundaries_import
from dudao.reports import services as report_services
from dudao.reports.models import Report

from .test_boundaries import collection, feature
from .test_drone import WEEK, aerial_jpeg, batch, in_week, office  # noqa: F401 (fixtures)
from .test_inspections import marks
from .test_reports import jpeg, upload

SHUIYUAN = "620423100200"  # 水源村, 一条山镇

# A "U" 10 × 10 with a notch 4 wide from the top down to y = 4: (5, 8) is inside its box but not inside it.
U_SHAPE = [[(0, 0), (10, 0), (10, 10), (7, 10), (7, 4), (3, 4), (3, 10), (0, 10), (0, 0)]]
SQUARE_WITH_HOLE = [[(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)], [(4, 4), (6, 4), (6, 6), (4, 6), (4, 4)]]


def area_of(rings, datum="wgs84", kind="Polygon") -> geo.Area:
    coordinates = [[list(p) for p in ring] for ring in rings]
    geometry = {"type": kind, "coordinates": [coordinates] if kind == "MultiPolygon" else coordinates}
    area = geo.area_of_boundaries([(geometry, datum)], "county")
    assert area is not None
    return area


# The pure check -------------------------------------------------------------------------------------------


def test_a_concave_shape_refuses_a_point_inside_its_box_but_outside_it():
    area = area_of(U_SHAPE)
    assert area.box == (0, 0, 10, 10)
    assert geo.in_box(5, 8, area.box)  # what the old check asked: it let this point in
    assert (area.contains(5, 8), area.contains(1, 8), area.contains(9, 8), area.contains(5, 2)) == (
        False, True, True, True)
    assert area.contains(11, 5) is False


def test_a_point_in_a_hole_is_outside():
    area = area_of(SQUARE_WITH_HOLE)
    assert (area.contains(5, 5), area.contains(2, 2), area.contains(5, 7)) == (False, True, True)


def test_a_multipolygon_is_the_union_of_its_parts():
    area = area_of([[(0, 0), (2, 0), (2, 2), (0, 2), (0, 0)]], kind="MultiPolygon")
    two = geo.area_of_boundaries([({"type": "MultiPolygon", "coordinates": [
        [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]], [[[5, 5], [7, 5], [7, 7], [5, 7], [5, 5]]]]}, "wgs84")], "towns")
    assert two is not None
    assert (area.contains(1, 1), two.contains(1, 1), two.contains(6, 6), two.contains(3.5, 3.5)) == (
        True, True, True, False)
    assert (two.box, two.source) == ((0, 0, 7, 7), "towns")


def test_a_gcj02_boundary_is_compared_in_wgs84():
    # a square of 0.002° (about 200 m) drawn in GCJ-02 at Jingtai: the WGS-84 position under its middle is inside,
    # the GCJ-02 reading of that same place (a few hundred metres off) is not.
    lon, lat = 104.05, 37.10
    ring = [(lon, lat), (lon + 0.002, lat), (lon + 0.002, lat + 0.002), (lon, lat + 0.002), (lon, lat)]
    area = area_of([ring], datum="gcj02")
    middle = geo.gcj02_to_wgs84(lon + 0.001, lat + 0.001)
    assert area.contains(*middle) is True
    assert area.contains(lon + 0.001, lat + 0.001) is False


def test_no_polygon_means_no_area_and_points_give_a_box():
    assert geo.area_of_boundaries([({"type": "Polygon", "coordinates": []}, "wgs84")], "county") is None
    assert geo.area_of_points([], 5000) is None
    area = geo.area_of_points([(104.0, 37.0), (104.2, 37.1)], 0)
    assert (area.source, area.box, area.contains(104.1, 37.05), area.contains(104.3, 37.05)) == (
        "points", (104.0, 37.0, 104.2, 37.1), True, False)


# The county's area ----------------------------------------------------------------------------------------


def county() -> Unit:
    return Unit.objects.get(level=Level.COUNTY)


def county_frame() -> tuple[float, float, float, float]:
    """The county's WGS-84 box as the demo leaves it, shrunk by a tenth on each side."""
    area = selectors.campaign_area(campaign_get())
    assert area is not None and area.source == "county"
    west, south, east, north = area.box
    dx, dy = (east - west) / 10, (north - south) / 10
    return west + dx, south + dy, east - dx, north - dy


def scaled(rings, frame) -> list:
    """Rings drawn on 0..10 placed on the frame."""
    west, south, east, north = frame
    return [[[west + x * (east - west) / 10, south + y * (north - south) / 10] for x, y in ring] for ring in rings]


def at(frame, x: float, y: float) -> tuple[float, float]:
    """(lat, lon) of the point (x, y) on the frame."""
    west, south, east, north = frame
    return south + y * (north - south) / 10, west + x * (east - west) / 10


@pytest.fixture
def u_county(db):
    """The county's boundary replaced by a U across its middle (imported as the command does)."""
    frame = county_frame()
    report = unit_boundaries_import(actor=SYSTEM, datum="wgs84", data=collection(
        feature(county().code, {"type": "Polygon", "coordinates": scaled(U_SHAPE, frame)})))
    assert report.ok
    return frame


def clear_boundaries(**filters) -> None:
    Unit.objects.filter(**filters).update(boundary=None, boundary_datum="", updated_at=timezone.now())


def test_the_county_boundary_decides_and_a_new_one_is_used_at_once(u_county):
    area = selectors.campaign_area(campaign_get())
    assert area is not None
    assert (area.source, area.contains(*reversed(at(u_county, 5, 8))), area.contains(*reversed(at(u_county, 1, 8)))) \
        == ("county", False, True)
    assert selectors.campaign_area(campaign_get()) is area  # kept while nothing changes
    unit_boundaries_import(actor=SYSTEM, datum="wgs84", data=collection(
        feature(county().code, {"type": "Polygon", "coordinates": scaled(SQUARE_WITH_HOLE, u_county)})))
    again = selectors.campaign_area(campaign_get())
    assert again is not area
    assert (again.contains(*reversed(at(u_county, 5, 8))), again.contains(*reversed(at(u_county, 5, 5)))) == (
        True, False)


def test_without_a_county_boundary_the_townships_union_decides(db):
    clear_boundaries(level=Level.COUNTY)
    towns = list(Unit.objects.filter(level=Level.TOWN, active=True))
    assert towns and all(t.boundary for t in towns)
    area = selectors.campaign_area(campaign_get())
    assert area is not None and area.source == "towns"
    parts = [geo.area_of_boundaries([(t.boundary, t.boundary_datum)], "towns") for t in towns]
    assert area.polygons == tuple(p for part in parts if part is not None for p in part.polygons)
    first = towns[0]
    lat, lon = selectors.unit_point_wgs84(Unit.objects.ranked().filter(parent=first).exclude(lon=None).first())[::-1]
    assert area.contains(lon, lat) is True
    assert area.contains(area.box[0] - 0.01, lat) is False


def test_a_township_without_boundary_falls_to_the_villages_then_to_the_points(db):
    clear_boundaries(level=Level.COUNTY)
    clear_boundaries(code="620423100000")  # 一条山镇
    ranked = Unit.objects.ranked().filter(active=True)
    area = selectors.campaign_area(campaign_get())
    assert area is not None
    assert all(u.boundary for u in ranked)
    assert area.source == "villages"
    assert len(area.polygons) >= ranked.count()
    clear_boundaries()
    points = selectors.campaign_area(campaign_get())
    assert points is not None
    expected = geo.box_around([selectors.unit_point_wgs84(u) for u in Unit.objects.exclude(lon=None)], 5000)
    assert (points.source, points.polygons, points.box) == ("points", (), expected)


# Every caller asks the same area ------------------------------------------------------------------------------


def inspect(user, lat: float, lon: float):
    checklist = inspection_services.checklist_default(campaign_get())
    return inspection_services.inspection_submit(
        actor=user, campaign=campaign_get(), village=Unit.objects.get(code=SHUIYUAN), checklist=checklist,
        marks=marks(checklist, 1.0), lat=lat, lon=lon, accuracy_m=8.0)


def test_a_field_inspection_in_the_notch_is_refused(users, u_county):
    before = Inspection.objects.count()
    lat, lon = at(u_county, 5, 8)
    with pytest.raises(Refused) as refused, translation.override("en"):
        inspect(users["inspector"], lat, lon)
    assert (refused.value.code, refused.value.message) == (
        "outside_county", f"The position {lat:.5f}, {lon:.5f} lies outside the county.")
    assert Inspection.objects.count() == before
    inside = inspect(users["inspector"], *at(u_county, 1, 8))
    assert inside.inspection.pk is not None


def test_a_drone_photo_taken_in_the_notch_is_refused(batch, office, u_county):  # noqa: F811 (fixtures)
    lat, lon = at(u_county, 5, 8)
    with pytest.raises(Refused) as refused:
        drone_services.ingest(actor=office, batch=batch, data=aerial_jpeg(gps=(lat, lon), at=in_week(WEEK)),
                              filename="DJI_0100.JPG")
    assert refused.value.code == "outside_county"
    assert not DronePhoto.objects.filter(batch=batch).exists()
    photo, duplicate = drone_services.ingest(actor=office, batch=batch, filename="DJI_0101.JPG",
                                             data=aerial_jpeg(gps=at(u_county, 9, 8), at=in_week(WEEK), seed=1))
    assert (duplicate, DronePhoto.objects.filter(batch=batch).count()) == (False, 1)
    assert photo.lat == pytest.approx(at(u_county, 9, 8)[0], abs=1e-5)


def test_a_report_placed_in_the_notch_is_refused_on_the_form(u_county):
    lat, lon = at(u_county, 5, 8)
    public = Client(HTTP_ACCEPT_LANGUAGE="en")
    data = {"photo": upload(jpeg()), "text": "Rubbish by the road", "village": "", "lat": f"{lat:.6f}",
            "lon": f"{lon:.6f}", "contact": ""}
    response = public.post("/public/report/", data, REMOTE_ADDR="203.0.113.9")
    body = response.content.decode()
    assert response.status_code == 400
    assert f"The position {float(f'{lat:.6f}'):.5f}, {float(f'{lon:.6f}'):.5f} lies outside the county." in body
    assert 'id="error-place"' in body
    assert not Report.objects.exists()
    inside_lat, inside_lon = at(u_county, 5, 2)
    report = report_services.report_submit(campaign=campaign_get(), address="203.0.113.9", data=jpeg(), size=800,
                                           text="Rubbish by the road", lat=inside_lat, lon=inside_lon)
    assert (report.lat, report.lon) == (inside_lat, inside_lon)


def test_the_report_forms_map_draws_the_area_the_server_checks(u_county):
    response = Client().get("/public/report/area.json")
    data = response.json()
    area = selectors.campaign_area(campaign_get())
    assert (response.status_code, response["Cache-Control"]) == (200, "public, max-age=300")
    shapes = [f for f in data["features"] if f["properties"]["kind"] == "area"]
    assert shapes == [{"type": "Feature", "properties": {"kind": "area", "source": "county"},
                       "geometry": area.geojson()}]
    drawn = geo.area_of_boundaries([(shapes[0]["geometry"], "wgs84")], "county")
    assert (drawn.contains(*reversed(at(u_county, 5, 8))), drawn.contains(*reversed(at(u_county, 1, 8)))) == (
        False, True)
    villages = report_services.villages_of(campaign_get()).exclude(lon=None)
    assert sorted(f["properties"]["code"] for f in data["features"] if f["properties"]["kind"] == "village") == \
        sorted(villages.values_list("code", flat=True))
    form = Client().get("/public/report/").content.decode()
    assert '<div class="report-map" id="report-map" hidden data-url="/public/report/area.json"' in form
