"""The grid role (issue 16): accounts for the grids' people opened in bulk (command and page), a grid person's
problem report with a photo, rectification with an after-photo, daily round, and the village's weekly extract that
names the grids with open problems and reaches the grid leaders."""

import datetime as dt
import io

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.accounts.services import user_save
from dudao.audit.models import AuditEvent
from dudao.bulletins.extracts import village_extract
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.grids import services
from dudao.grids.access import patrols_visible_to
from dudao.grids.models import Patrol
from dudao.notifications.models import Notification
from dudao.org.models import Post, Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.problems import services as problem_services
from dudao.problems.access import problems_visible_to
from dudao.problems.models import Category, Problem, ProblemEvent
from dudao.publication.notices import PUBLISHED, round_published
from dudao.ranking.models import Round, RoundStatus

DASHUI = "620423103200"  # 大水䃎村 (喜泉镇): demo_village's village
GRID = "620491032001"  # its 第一网格
OTHER_GRID = "620491032002"


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 120), (30 + seed * 30 % 200, 90, 140)).save(out, "PNG")
    return out.getvalue()


def grid_people_of(code: str) -> set[str]:
    today = timezone.localdate()
    return set(Post.objects.held_between(today).filter(unit__level="grid", unit__path__contains=f"/{code}/")
               .values_list("person__phone", flat=True))


def position(code: str = DASHUI, north_m: float = 0) -> dict:
    """The village's point, moved north (beyond the demo's problems there, which would be taken for duplicates)."""
    lon, lat = unit_point_wgs84(Unit.objects.get(code=code))
    return {"lat": lat + north_m / 111_000, "lon": lon}


@pytest.fixture
def grid_user(db) -> User:
    grid = Unit.objects.get(code=GRID)
    leader = Post.objects.get(unit=grid, role="grid_leader").person
    return user_save(actor=SYSTEM, username=leader.phone, role=Role.GRID, scope_unit=grid, person=leader)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Accounts ---------------------------------------------------------------------------------------------------------


def test_a_village_opens_an_account_for_each_of_its_grid_people_once(users):
    village = Unit.objects.get(code=DASHUI)
    opened = services.grid_accounts_open(actor=users["village_staff"], unit=village)
    assert {a.username for a in opened} == grid_people_of(DASHUI)
    accounts = User.objects.filter(username__in=[a.username for a in opened])
    assert {(u.role, u.scope_unit.level, u.person.phone == u.username) for u in accounts} == {(Role.GRID, "grid", True)}
    first = opened[0]
    assert authenticate(username=first.username, password=first.password).username == first.username
    assert AuditEvent.objects.filter(action="user.create", object_id__in=[a.username for a in opened]).count() == \
        len(opened)
    assert services.grid_accounts_open(actor=users["village_staff"], unit=village) == []


def test_a_handed_out_password_is_hashed_lightly_until_its_first_sign_in(users):
    """A township's few hundred accounts must open in one request: each handed-out password is stored at a fortieth
    of PBKDF2's iterations, and the first sign-in stores it again at the full count (still the same password)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    opened = services.grid_accounts_open(actor=users["village_staff"], unit=Unit.objects.get(code=DASHUI))
    full = PBKDF2PasswordHasher.iterations

    def iterations(username: str) -> tuple[str, int]:
        algorithm, count, _salt, _hash = User.objects.get(username=username).password.split("$")
        return algorithm, int(count)

    assert {iterations(a.username) for a in opened} == {("pbkdf2_sha256", full // 40)}
    first = opened[0]
    assert authenticate(username=first.username, password=first.password).username == first.username
    assert iterations(first.username) == ("pbkdf2_sha256", full)
    assert iterations(opened[1].username) == ("pbkdf2_sha256", full // 40)
    assert authenticate(username=first.username, password=first.password).username == first.username
    assert authenticate(username=first.username, password=first.password + "x") is None


def test_a_phone_number_already_used_by_another_account_refuses_the_batch(users):
    phone = sorted(grid_people_of(DASHUI))[0]
    user_save(actor=SYSTEM, username=phone, role=Role.VILLAGE_STAFF, scope_unit=Unit.objects.get(code=DASHUI))
    before = (User.objects.count(), AuditEvent.objects.count())
    with pytest.raises(Refused) as refused:
        services.grid_accounts_open(actor=users["office"], unit=Unit.objects.get(code=DASHUI))
    assert refused.value.code == "phone_taken"
    assert phone in refused.value.message
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_one_person_gets_one_account(grid_user):
    with pytest.raises(Refused) as refused:
        user_save(actor=SYSTEM, username="another_name", role=Role.GRID, scope_unit=grid_user.scope_unit,
                  person=grid_user.person)
    assert refused.value.code == "phone_taken"


def test_village_and_township_staff_open_accounts_in_their_area_only(users):
    foreign = Unit.objects.get(code="620423100200")  # 一条山镇
    for role in ("village_staff", "town_staff"):
        with pytest.raises(PermissionDenied):
            services.grid_accounts_open(actor=users[role], unit=foreign)
    with pytest.raises(PermissionDenied):
        services.grid_accounts_open(actor=users["leader"], unit=Unit.objects.get(code=DASHUI))
    assert not User.objects.filter(role=Role.GRID).exists()


def test_the_accounts_page_opens_them_and_shows_each_password_once(users, client_for):
    client = client_for(users["village_staff"])
    assert client.post("/grid/accounts/", {"unit": "620423100200"}).status_code == 404
    page = client.post("/grid/accounts/", {"unit": DASHUI})
    body = page.content.decode()
    assert page.status_code == 200
    for phone in grid_people_of(DASHUI):
        assert phone in body
    assert User.objects.filter(role=Role.GRID).count() == len(grid_people_of(DASHUI))
    assert client_for(users["leader"]).get("/grid/accounts/").status_code == 403


def test_the_command_opens_accounts_and_prints_them_as_csv(db):
    out = io.StringIO()
    call_command("users", "grid-accounts", "--village", DASHUI, stdout=out, stderr=io.StringIO())
    lines = out.getvalue().strip().splitlines()
    assert lines[0] == "phone,name,grid,password"
    assert {line.split(",")[0] for line in lines[1:]} == grid_people_of(DASHUI)
    with pytest.raises(CommandError):
        call_command("users", "grid-accounts", "--village", "620423103000", stderr=io.StringIO())  # a township


def test_users_set_with_the_grid_role_needs_a_grid(db):
    call_command("users", "set", "grid_one", "--role", "grid", "--unit", GRID, stderr=io.StringIO())
    assert User.objects.get(username="grid_one").scope_unit.code == GRID
    with pytest.raises(CommandError) as refused:
        call_command("users", "set", "grid_two", "--role", "grid", "--unit", DASHUI, stderr=io.StringIO())
    assert str(refused.value) == "网格人员须以一个网格为其区域。"
    assert not User.objects.filter(username="grid_two").exists()


# The grid person's work ---------------------------------------------------------------------------------------------


def test_a_grid_person_reports_a_problem_with_a_photo_and_the_village_sees_it(grid_user, users):
    client = signed_in(grid_user)
    assert client.get("/").url == "/grid/"
    answer = client.post("/grid/report/", {"grid": GRID, "category": "garbage", "description": "路边垃圾未清运",
                                           "photo": io.BytesIO(png(1)), **position()})
    assert (answer.status_code, answer.url) == (302, "/grid/")
    problem = Problem.objects.get(description="路边垃圾未清运")
    assert (problem.grid.code, problem.village.code, problem.source, problem.status) == \
           (GRID, DASHUI, "grid", "reported")
    assert problem.problem_photos.get().kind == "before"
    assert problems_visible_to(users["village_staff"]).filter(pk=problem.pk).exists()
    assert signed_in(users["village_staff"]).get(f"/problems/{problem.pk}/").status_code == 200
    assert not problems_visible_to(users["inspector"]).filter(pk=problem.pk).exists()  # 一条山镇's


def test_a_report_that_is_not_an_image_is_refused_and_writes_nothing(grid_user):
    before = (Problem.objects.count(), AuditEvent.objects.count())
    answer = signed_in(grid_user).post("/grid/report/", {
        "grid": GRID, "category": "garbage", "description": "坏照片", "photo": io.BytesIO(b"not an image"),
        **position()})
    assert answer.status_code == 422
    assert (Problem.objects.count(), AuditEvent.objects.count()) == before


def test_a_grid_outside_its_village_is_refused_by_the_service(users):
    campaign = campaign_get()
    with pytest.raises(Refused) as refused:
        problem_services.problem_report(
            actor=users["office"], campaign=campaign, village=Unit.objects.get(code="620423103201"),
            category=Category.objects.get(campaign=campaign, code="garbage"), description="错网格",
            grid=Unit.objects.get(code=GRID))
    assert refused.value.code == "grid_outside_village"


def test_a_grid_person_rectifies_their_grids_problem_with_an_after_photo(grid_user, users):
    campaign = campaign_get()
    village = Unit.objects.get(code=DASHUI)
    category = Category.objects.get(campaign=campaign, code="garbage")
    problem = problem_services.problem_report(actor=users["office"], campaign=campaign, village=village,
                                              category=category, description="柴草乱堆",
                                              grid=Unit.objects.get(code=GRID), **position(north_m=700))
    assert problem.status == "dispatched"
    home = signed_in(grid_user).get("/grid/").content.decode()
    assert problem.number in home
    assert f"/grid/problems/{problem.pk}/rectify/" in home
    answer = signed_in(grid_user).post(f"/grid/problems/{problem.pk}/rectify/",
                                       {"photo": io.BytesIO(png(2)), "note": "已清理", **position()})
    assert answer.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.rectified_by_id) == ("rectified", grid_user.pk)
    assert problem.problem_photos.filter(kind="after").count() == 1
    # The loop goes on: nothing else is the grid person's to do.
    assert problem_services.allowed_for(grid_user, problem) == []


def test_a_grid_person_cannot_rectify_another_grids_problem(grid_user, users):
    campaign = campaign_get()
    problem = problem_services.problem_report(
        actor=users["office"], campaign=campaign, village=Unit.objects.get(code=DASHUI),
        category=Category.objects.get(campaign=campaign, code="garbage"), description="别的网格",
        grid=Unit.objects.get(code=OTHER_GRID), **position(north_m=900))
    answer = signed_in(grid_user).post(f"/grid/problems/{problem.pk}/rectify/", {"photo": io.BytesIO(png(4)),
                                                                                  **position()})
    assert answer.status_code == 404
    problem.refresh_from_db()
    assert problem.status == "dispatched"


def test_the_daily_round_is_a_check_in_with_time_and_place(grid_user, users):
    client = signed_in(grid_user)
    refused = client.post("/grid/patrol/", {"grid": GRID}, follow=True)
    assert "巡查需要手机的位置：请打开定位（GPS）。" in refused.content.decode()
    assert not Patrol.objects.exists()
    client.post("/grid/patrol/", {"grid": GRID, "note": "巡查一遍", **position()})
    patrol = Patrol.objects.get()
    assert (patrol.grid.code, patrol.by_id, patrol.note) == (GRID, grid_user.pk, "巡查一遍")
    assert AuditEvent.objects.filter(action="grid.patrol", object_id=GRID).count() == 1
    assert list(patrols_visible_to(users["village_staff"])) == [patrol]
    assert list(patrols_visible_to(users["inspector"])) == []
    assert "巡查一遍" in client.get("/grid/").content.decode()


@pytest.mark.parametrize("path", ["/grid/", "/grid/courtyards/"])
def test_the_home_screens_are_kept_until_something_is_written(grid_user, path):
    """dudao.core.kept: read again, a screen is the kept answer (the session and the generation read, nothing
    rendered); after the grid person's round it is rendered anew and shows it."""
    client = signed_in(grid_user)
    first = client.get(path)
    with CaptureQueriesContext(connection) as again:
        assert client.get(path).content == first.content
    assert [q["sql"] for q in again.captured_queries][1:] == ["SELECT value FROM core_generation WHERE id = 1"]
    client.post("/grid/patrol/", {"grid": GRID, "note": "又巡查一遍", **position()})
    with CaptureQueriesContext(connection) as after:
        client.get(path)
    assert len(after.captured_queries) > 2


# Everybody hears the result ------------------------------------------------------------------------------------------


def _backdated_problem(users, grid_code: str, week_start: dt.date, text: str) -> Problem:
    campaign = campaign_get()
    problem = problem_services.problem_report(
        actor=users["office"], campaign=campaign, village=Unit.objects.get(code=DASHUI),
        category=Category.objects.get(campaign=campaign, code="garbage"), description=text,
        grid=Unit.objects.get(code=grid_code), **position())
    then = timezone.make_aware(dt.datetime.combine(week_start, dt.time(10)))
    Problem.objects.filter(pk=problem.pk).update(reported_at=then, dispatched_at=then,
                                                 deadline=then + dt.timedelta(days=1))
    ProblemEvent.objects.filter(problem=problem).update(at=then)
    return Problem.objects.get(pk=problem.pk)


def test_the_village_extract_names_the_grids_with_open_problems(grid_user, users):
    round_ = Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("-week_start").first()
    own = _backdated_problem(users, GRID, round_.week_start, "本网格问题")
    other = _backdated_problem(users, OTHER_GRID, round_.week_start, "他网格问题")
    extract = village_extract(round_, Unit.objects.get(code=DASHUI))
    assert extract.open_grids == ("第一网格", "第二网格")
    village_page = signed_in(users["village_staff"]).get(f"/bulletins/{round_.week}/village/{DASHUI}/")
    assert "第一网格、第二网格" in village_page.content.decode()
    # The grid leader reads the page with the grids named and only their own grid's problems listed.
    page = signed_in(grid_user).get(f"/bulletins/{round_.week}/village/{DASHUI}/").content.decode()
    assert "第一网格、第二网格" in page
    assert own.number in page
    assert other.number not in page


def test_grid_leaders_hear_their_villages_standing_when_the_round_is_published(grid_user, users):
    worker = Post.objects.get(unit__code=OTHER_GRID, role="cleaner").person
    cleaner_account = user_save(actor=SYSTEM, username=worker.phone, role=Role.GRID,
                                scope_unit=Unit.objects.get(code=OTHER_GRID), person=worker)
    round_ = Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("-week_start").first()
    round_published(round_)
    told = Notification.objects.get(recipient=grid_user, kind=PUBLISHED)
    assert told.link == f"/bulletins/{round_.week}/village/{DASHUI}/"
    assert told.params["unit"] == "大水䃎村"
    assert not Notification.objects.filter(recipient=cleaner_account, kind=PUBLISHED).exists()
