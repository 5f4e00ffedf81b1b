"""Cleaners as supervisors (issue 16 item 3, decision 0027): the households of a grid, the cleaner's courtyard
checks on their phone (clean, or needs work with a photo), the village's counts per grid (checked, reminded,
improved), its beautiful courtyards; every refusal writes nothing, a foreign household is 404."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone, translation
from PIL import Image

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.accounts.services import user_save
from dudao.audit.models import AuditEvent
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.grids import courtyards, selectors, services
from dudao.grids.courtyards import CLEAN, NEEDS_WORK, Mark
from dudao.grids.models import CourtyardCheck, Household
from dudao.org.models import Post, Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos.models import Photo

DASHUI = "620423103200"  # 大水䃎村 (喜泉镇): demo_village's village
GRID = "620491032001"  # its 第一网格: the cleaner's
OTHER_GRID = "620491032002"  # its 第二网格
OTHER_VILLAGE = "620423103201"  # another village of 喜泉镇


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


def position() -> dict:
    lon, lat = unit_point_wgs84(Unit.objects.get(code=DASHUI))
    return {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "accuracy_m": "8"}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def cleaner(db) -> User:
    grid = Unit.objects.get(code=GRID)
    person = Post.objects.get(unit=grid, role="cleaner").person
    return user_save(actor=SYSTEM, username=person.phone, role=Role.GRID, scope_unit=grid, person=person)


@pytest.fixture
def houses(db, users) -> dict[str, Household]:
    """Two households of the cleaner's grid and one of the other grid of the village (the demo's are left aside)."""
    village = users["village_staff"]
    grid, other = Unit.objects.get(code=GRID), Unit.objects.get(code=OTHER_GRID)
    return {"a": services.household_add(actor=village, grid=grid, label="测试1号", head_name="王测试"),
            "b": services.household_add(actor=village, grid=grid, label="测试2号"),
            "other": services.household_add(actor=village, grid=other, label="测试9号")}


def written() -> tuple[int, int, int, int]:
    return (CourtyardCheck.objects.count(), Household.objects.count(), Photo.objects.count(),
            AuditEvent.objects.count())


# The rule, pure -------------------------------------------------------------------------------------------------

T0 = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)  # a Monday


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def test_checked_reminded_and_improved_in_a_period():
    marks = [
        Mark(1, at(-3), NEEDS_WORK), Mark(1, at(2), CLEAN),  # needed work last week, clean now: improved
        Mark(2, at(1), CLEAN), Mark(2, at(3), NEEDS_WORK),  # reminded
        Mark(3, at(1), NEEDS_WORK), Mark(3, at(4), CLEAN),  # reminded and improved in the week
        Mark(4, at(-8), CLEAN),  # not checked this week
        Mark(5, at(8), NEEDS_WORK),  # after the week only: left out
        Mark(6, at(-1), CLEAN), Mark(6, at(1), CLEAN),  # clean after clean: not improved
    ]
    found = courtyards.standings(reversed(marks), at(0), at(7))
    summary = {h: (s.checked, s.reminded, s.improved, s.latest) for h, s in found.items()}
    assert summary == {
        1: (True, False, True, CLEAN),
        2: (True, True, False, NEEDS_WORK),
        3: (True, True, True, CLEAN),
        4: (False, False, False, CLEAN),
        6: (True, False, False, CLEAN),
    }


def test_a_beautiful_courtyard_is_clean_at_each_of_its_last_four_checks():
    marks = [Mark(1, at(d), CLEAN) for d in range(4)]
    marks += [Mark(2, at(0), NEEDS_WORK)] + [Mark(2, at(d), CLEAN) for d in range(1, 5)]
    marks += [Mark(3, at(d), CLEAN) for d in range(3)]  # only three checks
    marks += [Mark(4, at(d), CLEAN) for d in range(4)] + [Mark(4, at(5), NEEDS_WORK)]
    assert courtyards.beautiful(marks) == {1, 2}


# Households -----------------------------------------------------------------------------------------------------


def test_households_are_added_by_the_village_or_a_grid_person_in_their_grid(users, cleaner):
    grid, other = Unit.objects.get(code=GRID), Unit.objects.get(code=OTHER_GRID)
    before = AuditEvent.objects.count()
    added = services.household_add(actor=cleaner, grid=grid, label=" 东巷5号 ", head_name="")
    assert (added.label, added.head_name, added.created_by, added.grid) == ("东巷5号", "", cleaner, grid)
    event = AuditEvent.objects.get(action="household.create", object_id=str(added.pk))
    assert event.after == {"grid": GRID, "label": "东巷5号", "head_name": ""}
    assert AuditEvent.objects.count() == before + 1
    for actor in (cleaner, users["inspector"], users["leader"]):  # another grid; roles that keep no households
        with pytest.raises(PermissionDenied):
            services.household_add(actor=actor, grid=other, label="东巷6号")
    with pytest.raises(PermissionDenied):  # another village's grid
        services.household_add(actor=users["village_staff"], grid=Unit.objects.get(code="620491032011"),
                               label="东巷6号")
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.household_add(actor=users["village_staff"], grid=grid, label="东巷5号")
    assert refused.value.message == "第一网格 already has a household 东巷5号."
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.household_add(actor=users["village_staff"], grid=grid, label="  ")
    assert refused.value.message == "Give the household's house number."
    assert AuditEvent.objects.count() == before + 1


def test_the_village_pastes_its_households_all_or_nothing(users):
    village = Unit.objects.get(code=DASHUI)
    client = signed_in(users["village_staff"])
    before = written()
    bad = ("第一网格,测试1号,王甲\n"
           "\n"
           "620491032011,测试2号\n"  # a grid of another village
           "第二网格\n"
           "第一网格，测试1号\n"  # again (a Chinese comma)
           f"第二网格\t{'号' * 41}\n"
           "第一网格,演示东街1号\n")  # the demo's
    with translation.override("en"):
        answer = client.post(f"/grid/courtyards/village/{DASHUI}/", {"households": bad},
                             HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 422
    assert [str(e) for e in answer.context["errors"]] == [
        "Line 3: 620491032011 is not a grid of 大水䃎村.",
        "Line 4: give the grid, the house number and, if you like, the head's name.",
        "Line 5: the household 测试1号 of 第一网格 appears again (first on line 1).",
        "Line 6: The house number is 41 characters long; at most 40 are accepted.",
        "Line 7: 第一网格 already has a household 演示东街1号.",
    ]
    assert written() == before
    answer = client.post(f"/grid/courtyards/village/{DASHUI}/",
                         {"households": "第一网格,测试1号,王甲\r\n620491032002\t测试2号\n"})
    assert answer.status_code == 302
    made = list(Household.objects.filter(label__startswith="测试").order_by("label")
                .values_list("grid__code", "label", "head_name"))
    assert made == [(GRID, "测试1号", "王甲"), (OTHER_GRID, "测试2号", "")]
    assert [e.action for e in AuditEvent.objects.filter(seq__gt=AuditEvent.objects.order_by("-seq")[2].seq)] == [
        "household.create", "household.create"]
    assert written()[1:] == (before[1] + 2, before[2], before[3] + 2)
    with pytest.raises(Refused) as refused:
        services.households_import(actor=users["village_staff"], village=village, text="\n \n")
    assert refused.value.code == "households_empty"
    with pytest.raises(PermissionDenied):
        services.households_import(actor=users["leader"], village=village, text="第一网格,测试3号")


# The cleaner's checks -------------------------------------------------------------------------------------------


def test_the_cleaner_marks_a_courtyard_clean(cleaner, houses, media):
    client = signed_in(cleaner)
    page = client.get("/grid/courtyards/")
    assert page.status_code == 200
    listed = [row.household for group in page.context["grids"] for row in group.households]
    assert {houses["a"], houses["b"]} <= set(listed)
    assert houses["other"] not in listed and {h.grid.code for h in listed} == {GRID}
    before = written()
    answer = client.post(f"/grid/courtyards/{houses['a'].pk}/check/", {"result": "clean", **position()})
    assert answer.status_code == 302
    check = CourtyardCheck.objects.get(household=houses["a"])
    assert (check.result, check.by, check.by_label, check.photo, check.note) == (
        "clean", cleaner, cleaner.username, None, "")
    event = AuditEvent.objects.get(action="household.courtyard_check", object_id=str(houses["a"].pk))
    assert (event.object_type, event.object_id, event.actor) == ("household", str(houses["a"].pk), cleaner)
    assert event.after == {"grid": GRID, "label": "测试1号", "result": "clean", "note": "", "photo": None,
                           "at": check.at.isoformat()}
    assert written() == (before[0] + 1, before[1], before[2], before[3] + 1)


def test_needs_work_is_recorded_with_its_photo(cleaner, houses, media):
    client = signed_in(cleaner)
    before = written()
    answer = client.post(f"/grid/courtyards/{houses['b'].pk}/check/", {
        "result": "needs_work", "note": "柴草乱堆", "photo": io.BytesIO(jpeg()), **position()})
    assert answer.status_code == 302
    check = CourtyardCheck.objects.get(household=houses["b"])
    assert (check.result, check.note, check.photo.uploaded_by, check.photo.village.code) == (
        "needs_work", "柴草乱堆", cleaner, DASHUI)
    assert [e.action for e in AuditEvent.objects.order_by("-seq")[:2]] == ["household.courtyard_check",
                                                                          "photo.upload"]
    assert written() == (before[0] + 1, before[1], before[2] + 1, before[3] + 2)
    assert len(media.names("photos/")) == 2  # the display copy and its thumbnail


@pytest.mark.parametrize(("data", "message"), [
    ({"result": "needs_work"}, "测试1号: A courtyard that needs work needs a photo of what needs work."),
    ({"result": "needs_work", "photo": "not"},
     "测试1号: The file is not a photo (JPEG, PNG or WebP), whatever its name says."),
    ({"result": "dirty"}, "测试1号: Mark the courtyard clean or needs work."),
    ({"result": "clean", "note": "长" * 201}, "测试1号: The note is 201 characters long; at most 200 are accepted."),
], ids=["needs-work-without-photo", "not-an-image", "unknown-result", "note-too-long"])
def test_a_refused_check_writes_nothing(cleaner, houses, media, data, message):
    client = signed_in(cleaner)
    if data.get("photo") == "not":
        data = {**data, "photo": io.BytesIO(b"%PDF-1.4 not a photo at all")}
        data["photo"].name = "courtyard.jpg"
    before = written()
    answer = client.post(f"/grid/courtyards/{houses['a'].pk}/check/", {**data, **position()},
                         HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 422
    assert answer.context["error"] == message
    assert written() == before
    assert media.names() == []


def test_a_check_is_refused_when_its_photo_is_of_another_village_or_person(cleaner, houses, users, media):
    campaign_photo = Photo.objects.exclude(village__code=DASHUI).first()
    own_village_not_mine = Photo.objects.filter(village__code=DASHUI).exclude(uploaded_by=cleaner).first()
    for photo in (campaign_photo, own_village_not_mine):
        with translation.override("en"), pytest.raises(Refused) as refused:
            services.courtyard_check(actor=cleaner, household=houses["a"], result="needs_work", photo=photo)
        assert refused.value.message == "The photo was not taken by you for this household's village."
    assert not CourtyardCheck.objects.filter(household=houses["a"]).exists()


def test_another_grids_household_is_404_and_nothing_written(cleaner, houses, media):
    client = signed_in(cleaner)
    before = written()
    demo_other = Household.objects.filter(grid__code=OTHER_GRID).exclude(pk=houses["other"].pk).first()
    for household in (houses["other"], demo_other):
        answer = client.post(f"/grid/courtyards/{household.pk}/check/",
                             {"result": "needs_work", "photo": io.BytesIO(jpeg()), **position()})
        assert answer.status_code == 404
    assert client.post("/grid/courtyards/households/", {"grid": OTHER_GRID, "label": "外面1号"}).status_code == 404
    assert client.get(f"/grid/courtyards/village/{DASHUI}/").status_code == 404
    assert written() == before
    assert media.names() == []
    with pytest.raises(PermissionDenied):
        services.courtyard_check(actor=cleaner, household=houses["other"], result="clean")


@pytest.mark.parametrize("role", ["county_admin", "office", "leader", "inspector", "town_staff", "village_staff"])
def test_only_grid_people_mark_courtyards(users, houses, role):
    before = written()
    client = signed_in(users[role])
    assert client.post(f"/grid/courtyards/{houses['a'].pk}/check/", {"result": "clean"}).status_code == 404
    assert client.get("/grid/courtyards/").status_code == 404
    assert client.post("/grid/courtyards/households/", {"grid": GRID, "label": "新1号"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.courtyard_check(actor=users[role], household=houses["a"], result="clean")
    assert written() == before


def test_a_grid_person_adds_a_household_on_the_spot(cleaner):
    client = signed_in(cleaner)
    answer = client.post("/grid/courtyards/households/", {"grid": GRID, "label": "新1号", "head_name": "李某"})
    assert answer.status_code == 302
    assert Household.objects.filter(grid__code=GRID, label="新1号", head_name="李某", created_by=cleaner).exists()
    answer = client.post("/grid/courtyards/households/", {"grid": GRID, "label": "新1号"},
                         HTTP_ACCEPT_LANGUAGE="en")
    assert (answer.status_code, answer.context["error"]) == (422, "第一网格 already has a household 新1号.")


# The village's counts -------------------------------------------------------------------------------------------


def _mark(household, result, days_ago: float):
    """A mark ``days_ago`` (recorded as the command line, which may attach any photo of the village)."""
    photo = Photo.objects.filter(village__code=DASHUI).first() if result == NEEDS_WORK else None
    check = services.courtyard_check(actor=SYSTEM, household=household, result=result, photo=photo)
    CourtyardCheck.objects.filter(pk=check.pk).update(at=timezone.now() - dt.timedelta(days=days_ago))


@pytest.fixture
def week_marks(houses):
    """Only the test's households: the demo's are removed. a: needed work last week, clean now (improved);
    b: needs work now (reminded); other: clean at its last four checks (beautiful), checked this week."""
    CourtyardCheck.objects.exclude(household__in=houses.values()).delete()
    Household.objects.exclude(pk__in=[h.pk for h in houses.values()]).delete()
    _mark(houses["a"], NEEDS_WORK, 7)
    _mark(houses["a"], CLEAN, 0.001)
    _mark(houses["b"], NEEDS_WORK, 0.001)
    for weeks_ago in (3, 2, 1, 0):
        _mark(houses["other"], CLEAN, 7 * weeks_ago + 0.001)
    return houses


def test_the_village_counts_checked_reminded_and_improved_per_grid(week_marks):
    data = selectors.village_courtyards(Unit.objects.get(code=DASHUI))
    assert data.week == weeks.week_of(timezone.localdate())
    rows = {row.grid.code: (row.households, row.checked, row.reminded, row.improved) for row in data.grids}
    assert rows[GRID] == (2, 2, [week_marks["b"]], [week_marks["a"]])
    assert rows[OTHER_GRID] == (1, 1, [], [])
    assert all(counts == (0, 0, [], []) for code, counts in rows.items() if code not in (GRID, OTHER_GRID))
    assert (data.total.households, data.total.checked) == (3, 3)
    assert data.beautiful == [week_marks["other"]]
    last_week = selectors.village_courtyards(Unit.objects.get(code=DASHUI),
                                             weeks.add_weeks(data.week, -1))
    rows = {row.grid.code: (row.checked, row.reminded, row.improved) for row in last_week.grids}
    assert rows[GRID] == (1, [week_marks["a"]], [])


def test_the_village_sees_the_counts_on_its_home_page_and_the_households_on_its_page(users, week_marks):
    client = signed_in(users["village_staff"])
    home = client.get("/").content.decode()
    assert 'id="courtyard-counts"' in home
    assert (f'<tr data-grid="{GRID}"><td>第一网格</td><td class="num households">2</td>'
            '<td class="num checked">2</td><td class="num reminded">1</td><td class="num improved">1</td></tr>') in home
    assert f'href="/grid/courtyards/village/{DASHUI}/"' in home
    page = client.get(f"/grid/courtyards/village/{DASHUI}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "测试2号" in text and "测试1号 (王测试)" in text
    assert page.context["may_add"] is True
    # Another role's home page has no such table.
    assert 'id="courtyard-counts"' not in signed_in(users["town_staff"]).get("/").content.decode()


def test_a_bad_week_is_404(users):
    client = signed_in(users["village_staff"])
    assert client.get(f"/grid/courtyards/village/{DASHUI}/?week=2026-W99").status_code == 404
    assert client.get(f"/grid/courtyards/village/{DASHUI}/?week=2026-W10").status_code == 200


# The access matrix of the new pages -----------------------------------------------------------------------------

VILLAGE_PAGE = f"/grid/courtyards/village/{DASHUI}/"
OTHER_VILLAGE_PAGE = f"/grid/courtyards/village/{OTHER_VILLAGE}/"
OTHER_TOWN_PAGE = "/grid/courtyards/village/620423100200/"  # 一条山镇
GRID_PAGE = f"/grid/courtyards/village/{GRID}/"  # a grid is not a village

MATRIX = {
    # role: (this village, another village of 喜泉镇, a village of 一条山镇, a grid, the cleaner's page, may paste)
    "county_admin": (200, 200, 200, 404, 404, True),
    "office": (200, 200, 200, 404, 404, True),
    "leader": (200, 200, 200, 404, 404, False),
    "inspector": (404, 404, 404, 404, 404, False),
    "town_staff": (200, 200, 404, 404, 404, True),
    "village_staff": (200, 404, 404, 404, 404, True),
    "grid": (404, 404, 404, 404, 200, False),
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_access_matrix_of_the_courtyard_pages(users, cleaner, role):
    user = cleaner if role == "grid" else users[role]
    client = signed_in(user)
    *statuses, may_paste = MATRIX[role]
    got = [client.get(url).status_code for url in (VILLAGE_PAGE, OTHER_VILLAGE_PAGE, OTHER_TOWN_PAGE, GRID_PAGE,
                                                   "/grid/courtyards/")]
    assert got == statuses
    before = written()
    answer = client.post(VILLAGE_PAGE, {"households": "第一网格,矩阵1号"})
    assert answer.status_code == (302 if may_paste else {200: 403, 404: 404}[statuses[0]])
    assert written()[1] == before[1] + (1 if may_paste else 0)
    assert Client().get(VILLAGE_PAGE).status_code == 302  # anonymous: to the sign-in page


# The demo -------------------------------------------------------------------------------------------------------


def test_the_demo_has_synthetic_households_and_checks_in_one_village(db):
    households = list(Household.objects.select_related("grid"))
    assert len(households) == 12
    assert {h.grid.code for h in households} == {GRID, OTHER_GRID}
    assert all(h.label.startswith("演示") and h.head_name == "" for h in households)
    checks = CourtyardCheck.objects.all()
    assert checks.count() == 2 * (4 + 4 + 3 + 3 + 3)
    assert all(c.note == "演示（合成数据）" for c in checks)
    assert all(c.photo is not None for c in checks.filter(result="needs_work"))
    data = selectors.village_courtyards(Unit.objects.get(code=DASHUI),
                                        weeks.week_of(timezone.localtime(checks.order_by("-at")[0].at).date()))
    assert len(data.beautiful) == 4
