"""Unit boundaries from GeoJSON, with their datum."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.core.messages import describe_with_row
from dudao.org.models import Unit
from dudao.org.services import unit_boundaries_import

SQUARE = [[[104.0, 37.0], [104.01, 37.0], [104.01, 37.01], [104.0, 37.01], [104.0, 37.0]]]


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def feature(code, geometry):
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def test_boundaries_are_stored_with_their_datum_and_audited(db):
    data = collection(feature("620423103200", {"type": "Polygon", "coordinates": SQUARE}),
                      feature("620423103000", {"type": "MultiPolygon", "coordinates": [SQUARE]}))
    report = unit_boundaries_import(actor=SYSTEM, data=data, datum="gcj02")
    assert (report.ok, report.updated, report.unchanged) == (True, 2, 0)
    unit = Unit.objects.get(code="620423103200")
    assert (unit.boundary, unit.boundary_datum) == ({"type": "Polygon", "coordinates": SQUARE}, "gcj02")
    assert AuditEvent.objects.filter(action="unit.boundary").count() == 2
    again = unit_boundaries_import(actor=SYSTEM, data=data, datum="gcj02")
    assert (again.updated, again.unchanged) == (0, 2)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"not json", ["The file is not a GeoJSON FeatureCollection."]),
        (b'{"type": "Feature"}', ["The file is not a GeoJSON FeatureCollection."]),
        (collection(), ["The file is empty."]),
        (collection(feature("620423999999", {"type": "Polygon", "coordinates": SQUARE})),
         ["Row 1: The unit 620423999999 does not exist or is outside your area."]),
        (collection(feature("620423103200", {"type": "Polygon", "coordinates": [[[104, 37], [105, 37], [105, 38]]]})),
         ["Row 1: The boundary of 620423103200 is not a valid Polygon or MultiPolygon (closed rings of longitude, "
          "latitude)."]),
        (collection(feature("620423103200", {"type": "Point", "coordinates": [104, 37]})),
         ["Row 1: The boundary of 620423103200 is not a valid Polygon or MultiPolygon (closed rings of longitude, "
          "latitude)."]),
        (collection(feature("620423103200", {"type": "Polygon", "coordinates": SQUARE}),
                    feature("620423103200", {"type": "Polygon", "coordinates": SQUARE})),
         ["Row 2: The code 620423103200 appears again (first in row 1)."]),
    ],
    ids=["not-json", "not-collection", "empty", "unknown-unit", "open-ring", "point", "duplicate"],
)
def test_bad_geojson_is_refused_and_nothing_written(db, data, expected):
    report = unit_boundaries_import(actor=SYSTEM, data=data, datum="wgs84")
    with translation.override("en"):
        assert [describe_with_row(p) for p in report.problems] == expected
    assert not Unit.objects.filter(boundary__isnull=False).exists()


def test_boundaries_command(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    path = tmp_path / "b.geojson"
    path.write_bytes(collection(feature("620423103200", {"type": "Polygon", "coordinates": SQUARE})))
    err = io.StringIO()
    call_command("units", "boundaries", str(path), stderr=err)
    assert err.getvalue() == "Boundaries set: 1 changed, 0 unchanged.\n"
    assert Unit.objects.get(code="620423103200").boundary_datum == "wgs84"
    path.write_bytes(b"[]")
    with pytest.raises(CommandError):
        call_command("units", "boundaries", str(path), stderr=io.StringIO())
