"""The people mobilised and the publicity (issue 16 items 4 and 5) for every role against every township: the
county's readers see every township and village, the inspector those of 一条山镇, township staff 喜泉镇's, village
staff 大水䃎村 only; outside one's area a page is 404. Only the office and the village itself register people and
schedules (a reader in whose area the village lies gets 403); a refused write leaves no trace. A grid person sees
and records only their grids' people."""

import pytest

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role
from dudao.accounts.services import user_save
from dudao.audit.models import AuditEvent
from dudao.mobilise.models import Activity, Volunteer
from dudao.org.models import Post, Unit

ROLES = ["county_admin", "office", "leader", "inspector", "town_staff", "village_staff"]
READ_ALL = {"county_admin", "office", "leader"}
OFFICE = {"county_admin", "office"}
AREA = {"inspector": "620423100000", "town_staff": "620423103000"}
DASHUI = "620423103200"  # demo_village's
TOWNS = ["620423100000", "620423101000", "620423102000", "620423103000", "620423104000", "620423105000",
         "620423106000", "620423107000", "620423203000", "620423205000", "620423207000"]
MATRIX = [pytest.param(role, code, id=f"{role}-{code}") for role in ROLES for code in TOWNS]


def first_village(town: str) -> Unit:
    return Unit.objects.filter(parent__code=town, level__in=("village", "community")).order_by("code").first()


def sees_town(role: str, town: str) -> bool:
    return role in READ_ALL or AREA.get(role) == town


def sees_village(role: str, village: Unit) -> bool:
    if role == "village_staff":
        return village.code == DASHUI
    return sees_town(role, village.parent.code)


@pytest.mark.parametrize(("role", "town"), MATRIX)
def test_a_townships_page(client_for, users, role, town):
    answer = client_for(users[role]).get(f"/mobilise/town/{town}/")
    assert answer.status_code == (200 if sees_town(role, town) else 404)
    if answer.status_code == 200:
        assert f'data-village="{first_village(town).code}"' in answer.content.decode()


@pytest.mark.parametrize(("role", "town"), MATRIX)
def test_a_villages_page_and_registering_there(client_for, users, role, town):
    village = first_village(town)
    client = client_for(users[role])
    url = f"/mobilise/village/{village.code}/"
    assert client.get(url).status_code == (200 if sees_village(role, village) else 404)
    events = AuditEvent.objects.count()
    answer = client.post(url, {"form": "volunteer", "name": "王党员", "phone": "13912345678", "kind": "party_member",
                               "grid": "", "since": "2026-01-05"})
    allowed = role in OFFICE or (role == "village_staff" and village.code == DASHUI)
    assert answer.status_code == (303 if allowed else 403 if sees_village(role, village) else 404)
    assert Volunteer.objects.filter(person__phone="13912345678").count() == (1 if allowed else 0)
    assert AuditEvent.objects.count() == events + (2 if allowed else 0)


@pytest.mark.parametrize("role", ROLES)
def test_the_overview_lists_the_townships_of_the_area(client_for, users, role):
    answer = client_for(users[role]).get("/mobilise/")
    if role == "village_staff":
        assert (answer.status_code, answer["Location"]) == (302, f"/mobilise/village/{DASHUI}/")
        return
    if role == "town_staff":
        assert (answer.status_code, answer["Location"]) == (302, "/mobilise/town/620423103000/")
        return
    assert answer.status_code == 200
    shown = {code for code in TOWNS if f'data-town="{code}"' in answer.content.decode()}
    assert shown == {code for code in TOWNS if sees_town(role, code)}


@pytest.mark.parametrize("role", ROLES)
def test_an_activity_of_dashuis_people(client_for, users, role):
    volunteer = Volunteer.objects.filter(village__code=DASHUI).order_by("pk").first()
    events = AuditEvent.objects.count()
    answer = client_for(users[role]).post(f"/mobilise/village/{DASHUI}/", {
        "form": "activity", "volunteer": volunteer.pk, "kind": "problem_report", "date": volunteer.since.isoformat()})
    visible = sees_village(role, volunteer.village)
    allowed = role in OFFICE or role == "village_staff"
    assert answer.status_code == (303 if allowed else 403 if visible else 404)
    assert Activity.objects.filter(volunteer=volunteer, date=volunteer.since).count() == (1 if allowed else 0)
    assert AuditEvent.objects.count() == events + (1 if allowed else 0)


@pytest.fixture
def grid_user(db):
    volunteer = Volunteer.objects.filter(village__code=DASHUI, grid__isnull=False).order_by("pk").first()
    leader = Post.objects.get(unit=volunteer.grid, role="grid_leader").person
    return user_save(actor=SYSTEM, username=leader.phone, role=Role.GRID, scope_unit=volunteer.grid, person=leader,
                     password="grid-demo-2026-x")


def test_a_grid_person_sees_and_records_only_their_grids_people(client_for, grid_user):
    client = client_for(grid_user)
    mine = Volunteer.objects.filter(grid=grid_user.scope_unit)
    others = Volunteer.objects.exclude(grid=grid_user.scope_unit)
    assert client.get(f"/mobilise/village/{DASHUI}/").status_code == 404
    assert client.get("/mobilise/town/620423103000/").status_code == 404
    assert client.get("/mobilise/")["Location"] == "/mobilise/grid/"
    html = client.get("/mobilise/grid/").content.decode()
    assert {v.pk for v in Volunteer.objects.all() if f'<option value="{v.pk}"' in html} == {v.pk for v in mine}
    events = AuditEvent.objects.count()
    for other in others:
        answer = client.post("/mobilise/grid/", {"volunteer": other.pk, "kind": "cleanup",
                                                 "date": other.since.isoformat()})
        assert answer.status_code == 404
    assert AuditEvent.objects.count() == events
    target = mine.first()
    answer = client.post("/mobilise/grid/", {"volunteer": target.pk, "kind": "cleanup",
                                             "date": target.since.isoformat()})
    assert (answer.status_code, AuditEvent.objects.count()) == (303, events + 1)


@pytest.mark.parametrize("role", ["leader", "inspector", "village_staff"])
def test_the_grid_page_is_for_grid_people(client_for, users, role):
    assert client_for(users[role]).get("/mobilise/grid/").status_code == 404
