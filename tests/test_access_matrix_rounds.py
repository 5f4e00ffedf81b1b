"""Every role against every township through the rounds and interviews API: a round's results, its tier counts and
the interviews leak nothing outside a role's area, and a township outside it answers 404, never its data.

The expectations are computed here from the rule, not from dudao.ranking.access or dudao.interviews.access:
county_admin, office and leader read everything; the inspector reads the subtree of 一条山镇 (the township of
their inspection group); township staff the subtree of 喜泉镇; village staff 大水䃎村 only. Results: the rows of
`dudao ranking export` whose village lies in the area. Interviews: those whose interviewed unit (the village, or
the township for an escalated interview) lies in the area; inspectors take no part (403). The ?town= and ?unit=
filters name a unit: outside the area it is 404, as an unknown one; a village as ?town= is 422 (no township).
"""

import io
import json

import pytest
from django.core.management import call_command

from dudao.interviews.models import Interview
from dudao.org.models import Unit
from dudao.ranking.models import Round

# The roles, their areas and the township matrix are the page matrix's (test_access_matrix): one definition.
from .test_access_matrix import AREA_ROOT, INSPECTOR_TOWN, MATRIX, ROLES, STAFF_TOWN, STAFF_VILLAGE

NOT_FOUND = {"detail": "未找到，或不在您的管辖范围内。"}


def segments(path: str) -> list[str]:
    return path.strip("/").split("/")


def in_area(role: str, path: str) -> bool:
    root = AREA_ROOT[role]
    return root is None or root in segments(path)


# What the demo holds, read once per session (tests roll back their writes) -----------------------------------

_EXPORT: dict[str, list[dict]] = {}


def latest_week() -> str:
    return Round.objects.filter(status="published").order_by("-week_start").values_list("week", flat=True).first()


def export(week: str, tmp_path) -> list[dict]:
    """`dudao ranking export --week W --format json`, parsed (once per week)."""
    if week not in _EXPORT:
        target = tmp_path / "export.json"
        call_command("ranking", "export", "--week", week, "--format", "json", "-o", str(target),
                     stderr=io.StringIO())
        _EXPORT[week] = json.loads(target.read_bytes())
    return _EXPORT[week]


def paths() -> dict[str, str]:
    return dict(Unit.objects.values_list("code", "path"))


def visible_rows(role: str, rows: list[dict]) -> list[dict]:
    unit_paths = paths()
    return [row for row in rows if in_area(role, unit_paths[row["code"]])]


def tiers(rows: list[dict]) -> dict[str, int]:
    return {tier: sum(1 for r in rows if r["tier"] == tier) for tier in ("green", "yellow", "red")}


# Results and counts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "town_code"), MATRIX)
def test_results_of_a_township(role, town_code, users, client_for, tmp_path):
    week = latest_week()
    client = client_for(users[role])
    rows = export(week, tmp_path)
    town_path = paths()[town_code]
    response = client.get(f"/api/v1/rounds/{week}/results", {"town": town_code})
    if in_area(role, town_path):
        expected = [r for r in rows if r["town_code"] == town_code]
        assert response.status_code == 200
        assert response.json()["results"] == expected
        assert len(expected) == Unit.objects.filter(parent__code=town_code, level__in=("village", "community"),
                                                    active=True).count()
    else:
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    everything = client.get(f"/api/v1/rounds/{week}/results").json()["results"]
    mine = [r for r in everything if r["town_code"] == town_code]
    assert mine == [r for r in visible_rows(role, rows) if r["town_code"] == town_code]
    villages = Unit.objects.filter(parent__code=town_code, level__in=("village", "community"), active=True).count()
    expected_count = {"county_admin": villages, "office": villages, "leader": villages,
                      "inspector": villages if town_code == INSPECTOR_TOWN else 0,
                      "town_staff": villages if town_code == STAFF_TOWN else 0,
                      "village_staff": 1 if town_code == STAFF_TOWN else 0}[role]
    assert len(mine) == expected_count


@pytest.mark.parametrize("role", ROLES)
def test_results_and_tier_counts_of_the_whole_area(role, users, client_for, tmp_path):
    week = latest_week()
    client = client_for(users[role])
    expected = visible_rows(role, export(week, tmp_path))
    assert client.get(f"/api/v1/rounds/{week}/results").json()["results"] == expected
    assert len(expected) == {"county_admin": 151, "office": 151, "leader": 151, "inspector": 15, "town_staff": 18,
                             "village_staff": 1}[role]
    listed = next(r for r in client.get("/api/v1/rounds").json()["items"] if r["week"] == week)
    assert listed["counts"] == tiers(expected)
    assert client.get(f"/api/v1/rounds/{week}").json()["counts"] == tiers(expected)


@pytest.mark.parametrize("role", ROLES)
def test_a_village_is_no_township_filter_where_it_is_seen(role, users, client_for):
    week = latest_week()
    response = client_for(users[role]).get(f"/api/v1/rounds/{week}/results", {"town": STAFF_VILLAGE})
    if in_area(role, paths()[STAFF_VILLAGE]):
        assert (response.status_code, response.json()) == (422, {"detail": "大水䃎村（620423103200）不是乡镇。"})
    else:
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize("role", ROLES)
def test_checks_only_for_the_county_s_readers(role, users, client_for):
    body = client_for(users[role]).get(f"/api/v1/rounds/{latest_week()}").json()
    assert (body["checks"] is not None) is (AREA_ROOT[role] is None)


# Interviews -------------------------------------------------------------------------------------------------


_INTERVIEWS: list[tuple[int, str, str]] = []


def interviews() -> list[tuple[int, str, tuple[str, ...]]]:
    """Every interview of the demo: id, the interviewed unit's path, the paths of the red villages it covers."""
    if not _INTERVIEWS:
        covered: dict[int, list[str]] = {}
        for pk, path in Interview.villages.through.objects.values_list("interview_id", "unit__path"):
            covered.setdefault(pk, []).append(path)
        _INTERVIEWS.extend((pk, unit_path, tuple(covered[pk]))
                           for pk, unit_path in Interview.objects.order_by("pk").values_list("pk", "unit__path"))
    return _INTERVIEWS


def covers(code: str, village_paths: tuple[str, ...]) -> bool:
    return any(code in segments(path) for path in village_paths)


@pytest.mark.parametrize(("role", "town_code"), MATRIX)
def test_interviews_of_a_township(role, town_code, users, client_for):
    client = client_for(users[role])
    response = client.get("/api/v1/interviews", {"unit": town_code, "limit": 1000})
    if role == "inspector":
        assert (response.status_code, response.json()) == (403, {"detail": "您无权查看或修改此内容。"})
        return
    if not in_area(role, paths()[town_code]):
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
        return
    expected = {pk for pk, unit_path, village_paths in interviews()
                if covers(town_code, village_paths) and in_area(role, unit_path)}
    body = response.json()
    assert body["count"] == len(expected) > 0
    assert {i["id"] for i in body["items"]} == expected


@pytest.mark.parametrize("role", ROLES)
def test_interviews_of_the_whole_area(role, users, client_for):
    response = client_for(users[role]).get("/api/v1/interviews", {"limit": 1000})
    if role == "inspector":
        assert response.status_code == 403
        return
    expected = {pk for pk, unit_path, _village in interviews() if in_area(role, unit_path)}
    body = response.json()
    assert body["count"] == len(expected) > 0
    assert {i["id"] for i in body["items"]} == expected
    village = client_for(users[role]).get("/api/v1/interviews", {"unit": STAFF_VILLAGE, "limit": 1000})
    if role == "village_staff" or AREA_ROOT[role] in (None, STAFF_TOWN):
        assert {i["id"] for i in village.json()["items"]} == {
            pk for pk, unit_path, village_paths in interviews()
            if covers(STAFF_VILLAGE, village_paths) and in_area(role, unit_path)}
    else:
        assert (village.status_code, village.json()) == (404, NOT_FOUND)
