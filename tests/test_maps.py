"""The map (/map/) and its data (/map/data.json): per role and area, drafts for the office only, the layers, and
queries constant in the number of villages."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dudao.maps import selectors
from dudao.org.models import Level, Unit
from dudao.ranking.models import Result, Round

DASHUI = "620423103200"  # 大水䃎村
XIQUAN = "620423103000"  # 喜泉镇
LATEST = "2026-W49"  # the demo's latest published week
BEFORE = "2026-W48"


def data(client, query: str = "") -> dict:
    response = client.get(f"/map/data.json{query}")
    assert (response.status_code, response["Content-Type"]) == (200, "application/geo+json; charset=utf-8")
    return json.loads(response.content)


def villages(collection: dict) -> dict[str, dict]:
    return {f["properties"]["code"]: f for f in collection["features"] if f["properties"].get("kind") != "town"}


def towns(collection: dict) -> set[str]:
    return {f["properties"]["code"] for f in collection["features"] if f["properties"].get("kind") == "town"}


def ranked_codes(root: str | None = None) -> set[str]:
    units = Unit.objects.filter(level__in=(Level.VILLAGE, Level.COMMUNITY), active=True)
    if root:
        units = units.filter(path__contains=f"{root}/")
    return set(units.values_list("code", flat=True))


def test_the_office_and_the_leader_see_the_county_in_the_latest_published_week(users, client_for):
    for role in ("office", "leader"):
        found = data(client_for(users[role]))
        assert (found["meta"]["week"], found["meta"]["status"], found["meta"]["layer"]) == (LATEST, "published", "tier")
        assert set(villages(found)) == ranked_codes()
        assert towns(found) == set(Unit.objects.filter(level=Level.TOWN, active=True).values_list("code", flat=True))
    results = {code: (tier, position) for code, tier, position in Result.objects.filter(
        round__week=LATEST, round__status="published").values_list("unit__code", "tier", "position")}
    shown = {code: (f["properties"]["state"], f["properties"]["position"]) for code, f in villages(found).items()}
    assert shown == results
    legend = {e["state"]: e["count"] for e in found["meta"]["legend"]}
    assert legend == {"green": 30, "yellow": 91, "red": 30, "none": 0}
    assert found["meta"]["synthetic"] == "示意边界，非真实行政区划"  # the demo says its boundaries are schematic


def test_a_township_sees_its_villages_and_its_border_a_village_itself(users, client_for):
    town = data(client_for(users["town_staff"]))
    assert (set(villages(town)), towns(town)) == (ranked_codes(XIQUAN), {XIQUAN})
    village = data(client_for(users["village_staff"]))
    assert (set(villages(village)), towns(village)) == ({DASHUI}, set())
    dashui = villages(village)[DASHUI]
    assert dashui["properties"]["name"] == "大水䃎村"
    assert "大水䃎村".encode() in client_for(users["village_staff"]).get("/map/data.json").content  # not \\u escaped
    assert dashui["properties"]["town"] == "喜泉镇"


def test_coordinates_are_wgs84_rounded_to_five_decimals(users, client_for):
    found = data(client_for(users["village_staff"]))
    ring = villages(found)[DASHUI]["geometry"]["coordinates"][0]
    stored = Unit.objects.get(code=DASHUI).boundary["coordinates"][0]
    assert ring[0] == [round(stored[0][0], 5), round(stored[0][1], 5)]
    assert all(len(f"{v}".split(".")[1]) <= 5 for point in ring for v in point)


@pytest.fixture
def draft_week(db):
    """The latest published week turned into a draft awaiting approval (rolled back after the test)."""
    Round.objects.filter(week=LATEST).update(status="pending")
    return LATEST


def test_drafts_are_shown_to_the_office_only(users, client_for, draft_week):
    office = data(client_for(users["office"]), f"?week={draft_week}")
    assert (office["meta"]["week"], office["meta"]["status"], office["meta"]["note"]) == (
        draft_week, "pending", "草稿：尚未发布")
    assert {f["properties"]["state"] for f in villages(office).values()} == {"green", "yellow", "red"}
    for role in ("leader", "town_staff", "village_staff", "inspector"):
        client = client_for(users[role])
        assert client.get(f"/map/data.json?week={draft_week}").status_code == 404
        assert client.get(f"/map/?week={draft_week}").status_code == 404
        assert data(client)["meta"]["week"] == BEFORE  # the latest published week
    page = client_for(users["office"]).get(f"/map/?week={draft_week}").content.decode()
    assert 'id="map-draft"' in page
    assert f'<option value="{draft_week}" selected>' in page
    assert f'<option value="{draft_week}"' not in client_for(users["leader"]).get("/map/").content.decode()


def test_the_map_page_embeds_the_component_with_its_data_url(users, client_for):
    page = client_for(users["leader"]).get("/map/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-url="/map/data.json?week={LATEST}"' in html
    assert 'data-base="none"' in html
    assert "<style" not in html and "<script>" not in html  # nothing inline (CSP)


def test_bad_week_or_layer_is_not_found(users, client_for):
    client = client_for(users["office"])
    assert client.get("/map/data.json?week=2026-53x").status_code == 404
    assert client.get("/map/data.json?layer=secret").status_code == 404
    assert client.get("/map/data.json?week=2020-W01").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/map/data.json")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/map/data.json")


def test_layers_for_coverage_problems_and_inspections(users, client_for):
    client = client_for(users["office"])
    coverage = data(client, "?layer=coverage&week=2026-W49")
    flown = {c for c, f in villages(coverage).items() if f["properties"]["state"] == "yes"}
    from dudao.drone.models import DronePhoto

    assert flown == set(DronePhoto.objects.filter(batch__week="2026-W49", outside_week=False, village__isnull=False)
                        .values_list("village__code", flat=True))
    problems = data(client, "?layer=problems")
    assert [e["state"] for e in problems["meta"]["legend"]] == ["waiting", "working", "closed", "none"]
    assert problems["meta"]["link"] == "/problems/?tab=all&village={code}"
    from dudao.inspections.models import Inspection

    week = Inspection.objects.order_by("-week").values_list("week", flat=True).first()
    inspections = data(client, f"?layer=inspections&week={week}")
    visited = {c for c, f in villages(inspections).items() if f["properties"]["state"] == "yes"}
    assert visited == set(Inspection.objects.filter(week=week).values_list("village__code", flat=True))


def test_a_village_sees_only_its_own_problems_on_the_map(users, client_for):
    found = data(client_for(users["village_staff"]), "?layer=problems")
    assert set(villages(found)) == {DASHUI}


def _add_villages(count: int) -> None:
    """More villages under 喜泉镇, each with a boundary and a result in the latest week."""
    town = Unit.objects.get(code=XIQUAN)
    round_ = Round.objects.get(week=LATEST, status="published")
    units = Unit.objects.bulk_create([
        Unit(code=f"6204231039{i:02d}", name=f"新村{i}", level=Level.VILLAGE, parent=town,
             path=f"{town.path}6204231039{i:02d}/", boundary={"type": "Polygon", "coordinates": [
                 [[104.0 + i / 1000, 37.0], [104.001 + i / 1000, 37.0], [104.001 + i / 1000, 37.001],
                  [104.0 + i / 1000, 37.0]]]}, boundary_datum="wgs84")
        for i in range(count)])
    Result.objects.bulk_create([Result(round=round_, unit=u, town=town, tier="red", position=200 + n)
                                for n, u in enumerate(units)])


@pytest.mark.parametrize("layer", ["tier", "coverage", "problems", "inspections"])
@pytest.mark.usefixtures("rendered_each_time")
def test_queries_are_constant_in_the_number_of_villages(users, client_for, layer):
    client = client_for(users["office"])

    def queries() -> int:
        selectors._shapes.clear()  # both counted cold: the boundaries are read once
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/map/data.json?layer={layer}&week={LATEST}")
        assert response.status_code == 200
        return len(captured)

    before = queries()
    _add_villages(40)
    after = queries()
    assert (after, len(villages(data(client, f"?layer={layer}&week={LATEST}")))) == (before, len(ranked_codes()))


def test_the_problem_and_inspection_lists_and_the_drone_coverage_embed_the_same_map(users, client_for):
    client = client_for(users["office"])
    problems = client.get("/problems/").content.decode()
    assert 'id="problem-map" data-url="/map/data.json?layer=problems"' in problems
    inspections = client.get("/inspections/?week=2026-W49").content.decode()
    assert 'id="inspection-map" data-url="/map/data.json?layer=inspections&amp;week=2026-W49"' in inspections
    coverage = client.get("/drone/coverage/?week=2026-W49").content.decode()
    assert 'id="coverage-map" data-url="/map/data.json?layer=coverage&amp;week=2026-W49"' in coverage
    for html in (problems, inspections, coverage):
        assert html.count('<script type="module" src="/static/dudao/maps/map.js">') == 1
    assert '<a href="/map/">' in problems  # the navigation


def test_a_gcj02_tile_server_gets_gcj02_shapes_and_the_component_its_url(users, client_for, settings):
    from dudao.core.geo import wgs84_to_gcj02

    settings.MAP_BASE, settings.MAP_TILES_DATUM = "tiles", "gcj02"
    settings.MAP_TILES_URL, settings.MAP_ATTRIBUTION = "https://tiles.example.cn/{z}/{x}/{y}.png?key=K", "© 地图"
    client = client_for(users["village_staff"])
    found = data(client)
    stored = Unit.objects.get(code=DASHUI).boundary["coordinates"][0][0]
    assert found["meta"]["datum"] == "gcj02"
    assert villages(found)[DASHUI]["geometry"]["coordinates"][0][0] == [
        round(v, 5) for v in wgs84_to_gcj02(stored[0], stored[1])]
    html = client.get("/map/").content.decode()
    assert 'data-base="tiles" data-base-url="https://tiles.example.cn/{z}/{x}/{y}.png?key=K"' in html
    assert 'data-attribution="© 地图"' in html
    settings.MAP_BASE = "none"  # without a base layer the shapes stay WGS-84
    assert data(client)["meta"]["datum"] == "wgs84"


def test_a_large_map_is_sent_gzipped_to_a_browser_that_accepts_it(users, client_for, monkeypatch):
    import gzip

    from dudao.maps import views

    monkeypatch.setattr(views, "GZIP_FROM_BYTES", 1000)  # the demo county's map is about 60 kB
    client = client_for(users["office"])
    plain = client.get("/map/data.json")
    packed = client.get("/map/data.json", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert (plain.get("Content-Encoding"), packed["Content-Encoding"]) == (None, "gzip")
    assert packed["Vary"].split(", ")[0] == "Accept-Encoding"  # then the language and the session
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 3


def test_a_changed_boundary_and_a_moved_point_are_drawn_at_once(users, client_for):
    """Each process keeps the shapes it serialised (boundaries by the unit's change stamp, points by their
    coordinates): a unit's new boundary or a village's new point is what the next answer draws."""
    from dudao.org import services as org

    office = client_for(users["office"])
    dashui = Unit.objects.get(code=DASHUI)
    before = villages(data(office))
    ring = [[104.1, 37.1], [104.2, 37.1], [104.2, 37.2], [104.1, 37.1]]
    org.unit_update(actor=users["office"], unit=dashui, boundary={"type": "Polygon", "coordinates": [ring]},
                    boundary_datum="wgs84")
    pointed = Unit.objects.filter(level=Level.VILLAGE).exclude(pk=dashui.pk).order_by("code")[0]
    org.unit_update(actor=users["office"], unit=pointed, boundary=None, lon=104.3, lat=37.3, point_datum="wgs84")
    after = villages(data(office))
    assert after[DASHUI]["geometry"] == {"type": "Polygon", "coordinates": [ring]}
    assert before[DASHUI]["geometry"] != after[DASHUI]["geometry"]
    assert after[pointed.code]["geometry"] == {"type": "Point", "coordinates": [104.3, 37.3]}
    org.unit_update(actor=users["office"], unit=pointed, lon=104.31, lat=37.31)
    assert villages(data(office))[pointed.code]["geometry"] == {"type": "Point", "coordinates": [104.31, 37.31]}
