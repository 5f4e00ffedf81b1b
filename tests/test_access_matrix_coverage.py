"""The inspection coverage pages for every role against every township's inspection group (decision 0025): a
group's visit plan is seen and changed by the office and the group's own inspector (一条山镇's group) only, 404 for
everyone else; the coverage view is read by the county's readers (every group), the inspector (their group) and
township staff (喜泉镇's group, 喜泉镇's villages), not by village staff; only the office changes N. A refused write
leaves no trace, and the refusals name what was wrong."""

import re

import pytest
from django.utils import timezone

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.org.models import GroupKind, Unit, WorkingGroup
from dudao.plan import coverage
from dudao.plan.models import CoverageSettings

ROLES = ["county_admin", "office", "leader", "inspector", "town_staff", "village_staff"]
READ_ALL = {"county_admin", "office", "leader"}
OFFICE = {"county_admin", "office"}
AREA = {"inspector": "620423100000", "town_staff": "620423103000"}
TOWNS = ["620423100000", "620423101000", "620423102000", "620423103000", "620423104000", "620423105000",
         "620423106000", "620423107000", "620423203000", "620423205000", "620423207000"]
# The coverage view per role: the groups shown (by their township), the townships of the villages listed as not
# visited for N weeks (the demo's inspections leave some in every township), and (settings form, plans link).
GROUPS_SHOWN = {"county_admin": set(TOWNS), "office": set(TOWNS), "leader": set(TOWNS),
                "inspector": {"620423100000"}, "town_staff": {"620423103000"}}
UNVISITED_TOWNS = {**GROUPS_SHOWN}
COVERAGE_LINKS = {"county_admin": (True, True), "office": (True, True), "leader": (False, False),
                  "inspector": (False, True), "town_staff": (False, False)}
MATRIX = [pytest.param(role, code, id=f"{role}-{code}") for role in ROLES for code in TOWNS]


def this_week() -> str:
    return weeks.week_of(timezone.localdate())


def group_of(code: str) -> WorkingGroup:
    return WorkingGroup.objects.get(kind=GroupKind.INSPECTION, towns__code=code)


def first_village(code: str) -> Unit:
    return Unit.objects.ranked().filter(active=True, parent__code=code).order_by("path").first()


def plans(role: str, code: str) -> bool:
    return role in OFFICE or (role == "inspector" and AREA["inspector"] == code)


@pytest.mark.parametrize(("role", "code"), MATRIX)
def test_a_groups_plan_page(client_for, users, role, code):
    response = client_for(users[role]).get(f"/plan/visits/{group_of(code).pk}/{this_week()}/")
    assert response.status_code == (200 if plans(role, code) else 404)


@pytest.mark.parametrize(("role", "code"), MATRIX)
def test_planning_a_groups_week(client_for, users, role, code):
    group, week = group_of(code), weeks.add_weeks(this_week(), 1)
    village = first_village(code)
    events = AuditEvent.objects.count()
    response = client_for(users[role]).post(f"/plan/visits/{group.pk}/{week}/", {"village": [village.code]})
    allowed = plans(role, code)
    assert response.status_code == (303 if allowed else 404)
    assert coverage.planned_codes(group, week) == ({village.code} if allowed else set())
    assert AuditEvent.objects.count() == events + (1 if allowed else 0)


@pytest.mark.parametrize("role", ROLES)
def test_the_plans_index(client_for, users, role):
    response = client_for(users[role]).get("/plan/visits/")
    if role in OFFICE:
        assert response.status_code == 200
        assert response.content.decode().count('<tr data-group="') == len(TOWNS)
    elif role == "inspector":
        assert response.status_code == 302
        assert response["Location"] == f"/plan/visits/{group_of(AREA['inspector']).pk}/{this_week()}/"
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_coverage_view_shows_the_groups_of_the_area(client_for, users, role):
    response = client_for(users[role]).get("/plan/coverage/")
    if role == "village_staff":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    page = response.content.decode()
    shown = {code for code in TOWNS if f'<tr data-group="{group_of(code).pk}">' in page}
    assert shown == GROUPS_SHOWN[role]
    listed = re.findall(r'<tr data-village="(\d+)">', page)
    campaign = campaign_get()
    expected = coverage.unvisited(users[role], campaign, this_week(), coverage.unvisited_weeks(campaign))
    assert listed == [row.village.code for row in expected]
    towns = set(Unit.objects.filter(code__in=listed).values_list("parent__code", flat=True))
    assert towns == UNVISITED_TOWNS[role]
    assert ('id="coverage-settings"' in page) == COVERAGE_LINKS[role][0]
    assert ('id="nav-visit-plans"' in page) == COVERAGE_LINKS[role][1]


@pytest.mark.parametrize("role", ROLES)
def test_only_the_office_changes_the_weeks(client_for, users, role):
    events = AuditEvent.objects.count()
    response = client_for(users[role]).post("/plan/coverage/settings/", {"unvisited_weeks": "4"})
    assert response.status_code == (303 if role in OFFICE else 403)
    assert CoverageSettings.objects.filter(unvisited_weeks=4).exists() == (role in OFFICE)
    assert AuditEvent.objects.count() == events + (1 if role in OFFICE else 0)


def test_the_pages_refuse_a_foreign_village_and_a_past_week(client_for, users):
    client = client_for(users["inspector"])
    group = group_of(AREA["inspector"])
    foreign = first_village(AREA["town_staff"])
    before = coverage.planned_codes(group, this_week())
    events = AuditEvent.objects.count()
    response = client.post(f"/plan/visits/{group.pk}/{this_week()}/", {"village": [foreign.code]})
    assert response.status_code == 400
    assert f"村 {foreign.code} 不是本组所包抓乡镇的村。" in response.content.decode()
    past = weeks.add_weeks(this_week(), -1)
    response = client.post(f"/plan/visits/{group.pk}/{past}/", {"village": [first_village(AREA['inspector']).code]})
    assert response.status_code == 400
    assert f"{past} 已经过去，其计划不能再修改。" in response.content.decode()
    assert 'id="plan-save"' not in response.content.decode()
    assert coverage.planned_codes(group, this_week()) == before
    assert AuditEvent.objects.count() == events
    assert client.get(f"/plan/visits/{group.pk}/2026-W99/").status_code == 404
    assert client.get("/plan/coverage/?week=nonsense").status_code == 404


def test_the_settings_page_refuses_bad_numbers(client_for, users):
    client = client_for(users["office"])
    for value, message in (("x", "周数须为整数。"), ("0", "周数须在 1 到 52 之间；填写的是 0。")):
        response = client.post("/plan/coverage/settings/", {"unvisited_weeks": value}, follow=True)
        assert message in response.content.decode()
    assert not CoverageSettings.objects.exists()


def test_the_inspectors_home_links_their_plan(client_for, users):
    assert 'id="home-visit-plan"' in client_for(users["inspector"]).get("/").content.decode()
    assert 'id="home-visit-plan"' not in client_for(users["town_staff"]).get("/").content.decode()


def test_an_inspector_of_no_inspection_group_plans_nothing(client_for, users):
    from dudao.accounts.models import User
    from dudao.org.models import GroupMember, Person

    audit = WorkingGroup.objects.filter(kind=GroupKind.AUDIT).first()
    person = Person.objects.create(name="督察员", phone="13900000025")
    GroupMember.objects.create(group=audit, person=person)
    user = User.objects.create(username="audit_only", role="inspector", person=person)
    client = client_for(user)
    assert client.get("/plan/visits/").status_code == 404
    assert client.get(f"/plan/visits/{group_of(AREA['inspector']).pk}/{this_week()}/").status_code == 404
    assert 'id="home-visit-plan"' not in client.get("/").content.decode()
    page = client.get("/plan/coverage/").content.decode()
    assert ('id="nav-visit-plans"' in page, '<tr data-group="' in page) == (False, False)
