"""Unit boundaries from GeoJSON (`dudao units boundaries`): stored in WGS-84, refusals numbered by feature, all or
nothing, and the demo's synthetic boundaries."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.core import geo
from dudao.core.messages import describe_with_row
from dudao.org import geojson
from dudao.org.models import RANKED_LEVELS, Unit
from dudao.org.services import unit_boundaries_import

DASHUI = "620423103200"  # 大水䃎村 (U+40CE)
XIQUAN = "620423103000"  # 喜泉镇, its township
# 大水䃎村's demo point (GCJ-02) is 104.048345, 37.107838: squares around it lie inside the county.
LON, LAT = 104.04, 37.10


def square(lon: float = LON, lat: float = LAT, size: float = 0.01) -> list:
    return [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def feature(code, geometry, **properties):
    return {"type": "Feature", "properties": {"code": code, **properties}, "geometry": geometry}


def polygon(coordinates=None) -> dict:
    return {"type": "Polygon", "coordinates": coordinates or square()}


def boundaries() -> dict[str, tuple]:
    return {code: (boundary, datum, synthetic) for code, boundary, datum, synthetic in
            Unit.objects.values_list("code", "boundary", "boundary_datum", "boundary_synthetic")}


def test_a_gcj02_file_is_converted_to_wgs84_stored_and_audited(db):
    AuditEvent.objects.filter(action="unit.boundary").delete()
    data = collection(feature(DASHUI, polygon(), name="大水䃎村"),
                      feature(XIQUAN, {"type": "MultiPolygon", "coordinates": [square(LON - 0.02, LAT - 0.02, 0.05)]}))
    report = unit_boundaries_import(actor=SYSTEM, data=data, datum="gcj02")
    assert (report.ok, report.updated, report.unchanged) == (True, 2, 0)
    unit = Unit.objects.get(code=DASHUI)
    expected = [[[round(v, 7) for v in geo.gcj02_to_wgs84(lon, lat)] for lon, lat in square()[0]]]
    assert unit.boundary == {"type": "Polygon", "coordinates": expected}
    assert (unit.boundary_datum, unit.boundary_synthetic, unit.name) == ("wgs84", False, "大水䃎村")
    # GCJ-02 lies a few hundred metres north-east of WGS-84 here: the stored square moved back south-west
    assert -0.004 < expected[0][0][0] - LON < -0.001
    assert -0.002 < expected[0][0][1] - LAT < 0.0
    events = AuditEvent.objects.filter(action="unit.boundary").order_by("pk")
    assert [(e.object_id, e.after["file_datum"], e.after["boundary_datum"]) for e in events] == [
        (DASHUI, "gcj02", "wgs84"), (XIQUAN, "gcj02", "wgs84")]
    again = unit_boundaries_import(actor=SYSTEM, data=data, datum="gcj02")
    assert (again.updated, again.unchanged) == (0, 2)
    assert events.count() == 2


def test_a_wgs84_file_is_stored_as_given(db):
    report = unit_boundaries_import(actor=SYSTEM, data=collection(feature(DASHUI, polygon())), datum="wgs84")
    assert (report.ok, report.updated) == (True, 1)
    expected = [[[round(v, 7) for v in point] for point in square()[0]]]  # stored to 7 decimals (about 1 cm)
    assert Unit.objects.get(code=DASHUI).boundary == {"type": "Polygon", "coordinates": expected}


BOWTIE = [[[LON, LAT], [LON + 0.01, LAT + 0.01], [LON + 0.01, LAT], [LON, LAT + 0.01], [LON, LAT]]]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"not json", ["The file is not a GeoJSON FeatureCollection."]),
        (b'{"type": "Feature"}', ["The file is not a GeoJSON FeatureCollection."]),
        (collection(), ["The file is empty."]),
        (collection(feature("6204", polygon())), ["Feature 1: code “6204” is not a code of 12 digits."]),
        (collection(feature(DASHUI, polygon()), feature("620423999999", polygon())),
         ["Feature 2: The unit 620423999999 does not exist or is outside your area."]),
        (collection(feature(DASHUI, {"type": "Point", "coordinates": [LON, LAT]})),
         [f"Feature 1: The boundary of {DASHUI} is a Point, not a Polygon or MultiPolygon."]),
        (collection(feature(DASHUI, polygon([[[LON, LAT], [LON + 0.01, LAT], [LON, LAT + 0.01]]]))),
         [f"Feature 1: The boundary of {DASHUI} is not a valid Polygon or MultiPolygon (closed rings of "
          "longitude, latitude)."]),
        (collection(feature(DASHUI, polygon([[[LON, LAT], [LON + 0.01, LAT], [LON, LAT + 0.01], [LON, LAT + 0.02]]]))),
         [f"Feature 1: The boundary of {DASHUI} is not a valid Polygon or MultiPolygon (closed rings of "
          "longitude, latitude)."]),
        (collection(feature(DASHUI, polygon(BOWTIE))),
         [f"Feature 1: The boundary of {DASHUI} crosses itself near {LON + 0.005:.5f}, {LAT + 0.005:.5f}."]),
        (collection(feature(DASHUI, polygon(square(110.0, 30.0)))),
         [f"Feature 1: The boundary of {DASHUI} lies outside the county."]),
        (collection(feature(DASHUI, polygon()), feature(XIQUAN, polygon()), feature(DASHUI, polygon())),
         [f"Feature 3: The code {DASHUI} appears again (first in feature 1)."]),
    ],
    ids=["not-json", "not-collection", "empty", "bad-code", "unknown-unit", "point", "open-ring", "ring-not-closed",
         "self-intersection", "outside-county", "duplicate"],
)
def test_bad_geojson_is_refused_by_feature_and_nothing_written(db, data, expected):
    before = boundaries()
    report = unit_boundaries_import(actor=SYSTEM, data=data, datum="wgs84")
    with translation.override("en"):
        assert [describe_with_row(p) for p in report.problems] == expected
    assert boundaries() == before


def test_every_refusal_is_listed_and_a_good_feature_is_not_written_either(db):
    before = boundaries()
    data = collection(feature(DASHUI, polygon()), feature("620423999999", polygon()),
                      feature(XIQUAN, polygon(BOWTIE)))
    report = unit_boundaries_import(actor=SYSTEM, data=data, datum="gcj02")
    assert [(p.code, p.row, p.where) for p in report.problems] == [
        ("unknown_unit", 2, "feature"), ("geometry_crosses_at", 3, "feature")]
    assert (report.updated, boundaries()) == (0, before)


def test_refusals_are_translated():
    _boundaries, problems = geojson.parse_boundaries(collection(feature("620423999999", polygon())), {DASHUI})
    with translation.override("zh-hans"):
        text = describe_with_row(problems[0])
    assert text == "第 1 个要素：单位 620423999999 不存在或不在您的管辖范围内。"


def test_the_county_extent_comes_from_the_points_when_no_county_boundary_is_stored(db):
    Unit.objects.update(boundary=None, boundary_datum="", boundary_synthetic=False)
    far = collection(feature(DASHUI, polygon(square(LON + 0.5, LAT))))  # about 45 km east of the county's points
    near = collection(feature(DASHUI, polygon(square(LON, LAT))))
    assert [p.code for p in unit_boundaries_import(actor=SYSTEM, data=far, datum="wgs84").problems] == [
        "outside_county"]
    assert unit_boundaries_import(actor=SYSTEM, data=near, datum="wgs84").updated == 1


def test_only_the_office_sets_boundaries(users):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        unit_boundaries_import(actor=users["leader"], data=collection(feature(DASHUI, polygon())), datum="wgs84")


def test_boundaries_command(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    path = tmp_path / "b.geojson"
    path.write_bytes(collection(feature(DASHUI, polygon())))
    err = io.StringIO()
    call_command("units", "boundaries", str(path), "--datum", "gcj02", "--synthetic", stderr=err)
    assert err.getvalue() == "Boundaries set: 1 changed, 0 unchanged.\n"
    unit = Unit.objects.get(code=DASHUI)
    assert (unit.boundary_datum, unit.boundary_synthetic) == ("wgs84", True)
    assert unit.boundary["coordinates"][0][0] == [round(v, 7) for v in geo.gcj02_to_wgs84(LON, LAT)]
    path.write_bytes(collection(feature(DASHUI, polygon()), feature(DASHUI, polygon())))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Refused: 1 problem"):
        call_command("units", "boundaries", str(path), stderr=err)
    assert err.getvalue() == f"Feature 2: The code {DASHUI} appears again (first in feature 1).\n"


def test_the_demo_ships_synthetic_boundaries_for_every_village_township_and_the_county(db):
    shapes = Unit.objects.filter(active=True, level__in=(*RANKED_LEVELS, "town", "county"))
    assert shapes.filter(boundary__isnull=True).count() == 0
    assert set(shapes.values_list("boundary_datum", "boundary_synthetic").distinct()) == {("wgs84", True)}
    # a village's cell holds its own point (converted to WGS-84 as its boundary was)
    import shapely.geometry

    unit = Unit.objects.get(code=DASHUI)
    assert shapely.geometry.shape(unit.boundary).contains(
        shapely.geometry.Point(geo.to_wgs84(unit.lon, unit.lat, unit.point_datum)))
