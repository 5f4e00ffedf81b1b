"""The plan's pages for every role against every township (the access matrix of issue 15): the county's readers
see every township's tasks, the inspector those of 一条山镇 (their group's), township staff those of 喜泉镇 only,
village staff nothing; only the office imports, exports, archives and maps; only a township's own staff report on
its tasks. Outside one's area a task is 404, and a refused write leaves no trace."""

import pytest

from dudao.audit.models import AuditEvent
from dudao.plan.models import Progress, Task

ROLES = ["county_admin", "office", "leader", "inspector", "town_staff", "village_staff"]
READ_ALL = {"county_admin", "office", "leader"}
OFFICE = {"county_admin", "office"}
AREA = {"inspector": "620423100000", "town_staff": "620423103000"}
TOWNS = ["620423100000", "620423101000", "620423102000", "620423103000", "620423104000", "620423105000",
         "620423106000", "620423107000", "620423203000", "620423205000", "620423207000"]
MATRIX = [pytest.param(role, code, id=f"{role}-{code}") for role in ROLES for code in TOWNS]


def sees(role: str, code: str) -> bool:
    return role in READ_ALL or AREA.get(role) == code


@pytest.mark.parametrize(("role", "code"), MATRIX)
def test_a_townships_task_page(client_for, users, role, code):
    task = Task.objects.filter(town__code=code, own=False, action__no=1).get()
    response = client_for(users[role]).get(f"/plan/tasks/{task.pk}/")
    assert response.status_code == (200 if sees(role, code) else 403 if role == "village_staff" else 404)


@pytest.mark.parametrize(("role", "code"), MATRIX)
def test_reporting_on_a_townships_task(client_for, users, role, code):
    task = Task.objects.filter(town__code=code, own=False, action__no=1).get()
    events = AuditEvent.objects.count()
    response = client_for(users[role]).post(f"/plan/tasks/{task.pk}/", {"value": "1", "note": "x"})
    allowed = role == "town_staff" and code == AREA["town_staff"]
    expected = 303 if allowed else 404 if not sees(role, code) and role != "village_staff" else 403
    assert response.status_code == expected
    assert Progress.objects.filter(task=task, note="x").count() == (1 if allowed else 0)
    assert AuditEvent.objects.count() == events + (1 if allowed else 0)


@pytest.mark.parametrize("role", ROLES)
def test_the_battle_map_shows_the_townships_of_the_area(client_for, users, role):
    response = client_for(users[role]).get("/plan/")
    if role == "village_staff":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    shown = {code for code in TOWNS if f'data-town="{code}"' in response.content.decode()}
    assert shown == {code for code in TOWNS if sees(role, code)}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/plan/actions/import/", "/plan/actions/export/", "/plan/actions/export/?format=xlsx"])
def test_only_the_office_imports_and_exports(client_for, users, role, path):
    assert client_for(users[role]).get(path).status_code == (200 if role in OFFICE else 403)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_office_archives_and_maps(client_for, users, role):
    client = client_for(users[role])
    events = AuditEvent.objects.count()
    archive = client.post("/plan/actions/5/act/", {"act": "archive"})
    evidence = client.post("/plan/actions/5/evidence/", {"category": []})
    assert (archive.status_code, evidence.status_code) == ((303, 303) if role in OFFICE else (403, 403))
    assert Task.objects.filter(action__no=5, action__archived=True).exists() == (role in OFFICE)
    assert AuditEvent.objects.count() == events + (1 if role in OFFICE else 0)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/plan/timeline/", "/plan/actions/", "/plan/actions/1/", "/plan/organisation/"])
def test_the_read_pages(client_for, users, role, path):
    assert client_for(users[role]).get(path).status_code == (403 if role == "village_staff" else 200)


def test_an_action_of_no_township_in_the_area_is_not_found(client_for, users):
    # Action 2 applies to 一条山镇 and 芦阳镇: the inspector (一条山镇) sees it, 喜泉镇's staff do not.
    assert client_for(users["town_staff"]).get("/plan/actions/2/").status_code == 404
    assert client_for(users["inspector"]).get("/plan/actions/2/").status_code == 200
