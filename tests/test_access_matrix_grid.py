"""The grid role (issue 16) in the access matrix: a grid person against a foreign grid of their own village, a
foreign village of their township and a foreign township. Their area is their grid: every page, export and API
answer about another grid's problems, people, units or photos is 404 or leaves the rows out, by session and by
bearer token alike; and every write outside it is refused with nothing written.

The expectations are computed here from the rule: the grid user (an account for 大水䃎村's 第一网格, 620491032001)
sees the units, posts, people and problems of that grid only.
"""

import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from PIL import Image

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.accounts.services import token_create, user_save
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.grids.models import Patrol
from dudao.org.models import Person, Post, Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos.models import Photo
from dudao.photos.services import photo_upload
from dudao.problems import services as problem_services
from dudao.problems.models import Category, Problem

MY_GRID = "620491032001"  # 大水䃎村 第一网格 (喜泉镇)
PLACES = {
    "own": MY_GRID,
    "foreign_grid": "620491032002",  # 大水䃎村 第二网格: the same village
    "foreign_village": "620491032011",  # 喜泉镇's 620423103201: the same township
    "foreign_town": "620491002001",  # 一条山镇's 620423100200
}


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 150), (40 + seed * 20 % 200, 120, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def grid_user(db):
    grid = Unit.objects.get(code=MY_GRID)
    leader = Post.objects.get(unit=grid, role="grid_leader").person
    return user_save(actor=SYSTEM, username=leader.phone, role=Role.GRID, scope_unit=grid, person=leader,
                     password="grid-demo-2026-x")


@pytest.fixture
def rows(db):
    """One problem in each place, reported by the office with a photo, in the grid (and one in the user's
    village without a grid)."""
    office_user = User.objects.get(username="demo_office")
    campaign = campaign_get()
    category = Category.objects.filter(campaign=campaign, active=True).first()
    made = {}
    for n, (place, code) in enumerate([*PLACES.items(), ("no_grid", None)]):
        grid = Unit.objects.get(code=code) if code else None
        village = Unit.objects.get(code=grid.village_code() if grid else "620423103200")
        lon, lat = unit_point_wgs84(village)
        photo = photo_upload(actor=office_user, campaign=campaign, village=village, data=png(n), lat=lat, lon=lon,
                             grid=grid)
        made[place] = problem_services.problem_report(
            actor=office_user, campaign=campaign, village=village, category=category, grid=grid,
            description=f"{place} 垃圾堆放", photo_ids=[photo.pk], lat=lat, lon=lon)
    return made


def clients(user) -> dict[str, Client]:
    session = Client()
    session.force_login(user)
    return {"session": session,
            "bearer": Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=SYSTEM, user=user)}")}


def test_the_problems_of_the_api_are_those_of_the_grid_only(grid_user, rows):
    for how, client in clients(grid_user).items():
        listed = client.get("/api/v1/problems?limit=1000").json()
        expected = set(Problem.objects.filter(grid__code=MY_GRID).values_list("pk", flat=True))
        assert {p["id"] for p in listed["items"]} == expected, how
        assert rows["own"].pk in expected
        for place in ("foreign_grid", "foreign_village", "foreign_town", "no_grid"):
            pk = rows[place].pk
            assert client.get(f"/api/v1/problems/{pk}").status_code == 404, (how, place)
            answer = client.post(f"/api/v1/problems/{pk}/rectify", {"photos": [], "note": ""},
                                 content_type="application/json")
            assert answer.status_code == 404, (how, place)
        assert client.get(f"/api/v1/problems/{rows['own'].pk}").json()["grid"] == MY_GRID


def test_pages_of_other_grids_villages_and_townships_are_404(grid_user, rows):
    client = clients(grid_user)["session"]
    for place in ("foreign_grid", "foreign_village", "foreign_town", "no_grid"):
        assert client.get(f"/problems/{rows[place].pk}/").status_code == 404, place
    assert client.get(f"/problems/{rows['own'].pk}/").status_code == 200
    for code in ("620491032002", "620423103200", "620423103000", "620423100000", "620491002001"):
        assert client.get(f"/units/{code}/").status_code == 404, code
    assert client.get(f"/units/{MY_GRID}/").status_code == 200
    home = client.get("/grid/").content.decode()
    assert rows["own"].number in home
    for place in ("foreign_grid", "foreign_village", "foreign_town", "no_grid"):
        assert rows[place].number not in home, place


def test_units_and_people_read_by_a_grid_person_are_their_grids(grid_user):
    for how, client in clients(grid_user).items():
        codes = {u["code"] for u in client.get("/api/v1/units").json()}
        assert codes == {MY_GRID}, how
    session = clients(grid_user)["session"]
    mine = set(Person.objects.filter(posts__unit__code=MY_GRID).values_list("pk", flat=True))
    for person in Person.objects.filter(posts__unit__code__in=[PLACES["foreign_grid"], "620423103200"])[:6]:
        assert session.get(f"/people/{person.pk}/").status_code == (200 if person.pk in mine else 404)
    page = session.get("/people/").content.decode()
    listed = {person.pk for person in Person.objects.all() if f'href="/people/{person.pk}/"' in page}
    assert listed == mine
    export = session.get("/units/export.csv")
    lines = export.content.decode("utf-8-sig").strip().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [MY_GRID]


def test_a_grid_person_cannot_report_or_upload_outside_their_grid(grid_user, rows):
    campaign = campaign_get()
    api = clients(grid_user)["bearer"]
    before = (Problem.objects.count(), Photo.objects.count(), AuditEvent.objects.count())
    for place in ("foreign_grid", "foreign_village", "foreign_town"):
        answer = api.post("/api/v1/problems", json.dumps({"grid": PLACES[place], "category": "garbage",
                                                          "description": "外面"}),
                          content_type="application/json")
        assert answer.status_code == 404, place
        upload = api.post("/api/v1/photos", {"grid": PLACES[place], "file": io.BytesIO(png(9)), "lat": 37.1,
                                             "lon": 104.1})
        assert upload.status_code == 404, place
    # Without a grid, at the village: the village is not theirs to report at.
    answer = api.post("/api/v1/problems", json.dumps({"village": "620423103200", "category": "garbage",
                                                      "description": "村里"}), content_type="application/json")
    assert answer.status_code == 404
    village = Unit.objects.get(code="620423103200")
    with pytest.raises(PermissionDenied):
        photo_upload(actor=grid_user, campaign=campaign, village=village, data=png(3), lat=37.1, lon=104.1)
    assert (Problem.objects.count(), Photo.objects.count(), AuditEvent.objects.count()) == before


def test_a_grid_person_rounds_only_in_their_grid(grid_user):
    session = clients(grid_user)["session"]
    village = Unit.objects.get(code="620423103200")
    lon, lat = unit_point_wgs84(village)
    for place in ("foreign_grid", "foreign_village", "foreign_town"):
        answer = session.post("/grid/patrol/", {"grid": PLACES[place], "lat": lat, "lon": lon})
        assert answer.status_code == 404, place
    assert not Patrol.objects.exists()


@pytest.mark.parametrize("role", ["village_staff", "town_staff", "office"])
def test_the_grid_rounds_and_pages_are_for_grid_people(users, client_for, role):
    assert client_for(users[role]).get("/grid/").status_code == 404
    assert client_for(users[role]).get("/grid/report/").status_code == 404


def test_the_village_extract_shows_a_grid_person_only_their_grids_problems(grid_user, rows):
    from dudao.ranking.models import Round, RoundStatus

    week = Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("-week_start").first().week
    session = clients(grid_user)["session"]
    own = session.get(f"/bulletins/{week}/village/620423103200/")
    assert own.status_code == 200
    for code in ("620423103201", "620423100200"):
        assert session.get(f"/bulletins/{week}/village/{code}/").status_code == 404, code
        assert session.get(f"/bulletins/{week}/village/{code}.pdf").status_code == 404, code
    assert session.get(f"/bulletins/{week}/").status_code == 403
