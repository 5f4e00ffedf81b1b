"""Every role against every township's data: nothing leaks through the pages, the exports or the API, and
every write outside a role's rights is refused without a trace.

The expectations are computed here from the rule, not from dudao.accounts.access:
county_admin, office and leader read everything; the inspector reads the subtree of 一条山镇 (the township
of their inspection group) plus their own groups; township staff read the subtree of 喜泉镇; village staff
read 大水䃎村 only. Working groups: township and village staff see the inspection group assigned to their
township (喜泉镇). People are visible through a post in the area or a membership of a visible group.
Phones are shown in full to county_admin, office and town_staff and masked (first 3 + **** + last 4) to
everyone else.
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from dudao.accounts.access import SYSTEM
from dudao.accounts.services import token_create
from dudao.audit.models import AuditEvent
from dudao.core.messages import describe
from dudao.core.tables import Problem, write_csv
from dudao.org import services as org_services
from dudao.org.models import GroupKind, Person, Post, Unit, WorkingGroup

ROLES = ["county_admin", "office", "leader", "inspector", "town_staff", "village_staff"]
READ_ALL = {"county_admin", "office", "leader"}
MANAGE_ALL = {"county_admin", "office"}
FULL_PHONE = {"county_admin", "office", "town_staff"}

COUNTY = "620423000000"
INSPECTOR_TOWN = "620423100000"  # 一条山镇: the township of demo_inspector's inspection group
STAFF_TOWN = "620423103000"  # 喜泉镇: demo_town's township
STAFF_VILLAGE = "620423103200"  # 大水䃎村: demo_village's village
OUTSIDE_VILLAGE_FOR_STAFF = "620423100200"  # 水源村 in 一条山镇
AREA_ROOT = {
    "county_admin": None, "office": None, "leader": None,
    "inspector": INSPECTOR_TOWN, "town_staff": STAFF_TOWN, "village_staff": STAFF_VILLAGE,
}
# code -> (name, ASCII id for test names)
TOWNS = {
    "620423100000": ("一条山镇", "yitiaoshan"),
    "620423101000": ("芦阳镇", "luyang"),
    "620423102000": ("上沙沃镇", "shangshawo"),
    "620423103000": ("喜泉镇", "xiquan"),
    "620423104000": ("草窝滩镇", "caowotan"),
    "620423105000": ("红水镇", "hongshui"),
    "620423106000": ("中泉镇", "zhongquan"),
    "620423107000": ("正路镇", "zhenglu"),
    "620423203000": ("寺滩乡", "sitan"),
    "620423205000": ("五佛乡", "wufo"),
    "620423207000": ("漫水滩乡", "manshuitan"),
}
MATRIX = [pytest.param(role, code, id=f"{role}-{code}-{slug}") for role in ROLES
          for code, (_name, slug) in TOWNS.items()]
UNIT_LINK = re.compile(r'href="/units/(\d{12})/"')
PERSON_LINK = re.compile(r'href="/people/(\d+)/"')
PEOPLE_HEADER = ["姓名", "手机号", "单位代码", "单位名称", "岗位", "职务", "开始日期", "结束日期"]
MASKED = re.compile(r"^\d{3}\*{4}\d{4}$")
FULL = re.compile(r"^1\d{10}$")


def masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def segments(path: str) -> list[str]:
    return path.strip("/").split("/")


def in_area(role: str, path: str) -> bool:
    root = AREA_ROOT[role]
    return root is None or root in segments(path)


def in_town(town: str, path: str) -> bool:
    return town in segments(path)


# The data each test looks at -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Township:
    code: str
    name: str
    village: str  # a village whose name is unique in the county
    village_name: str
    sibling: str  # another village of the same township
    sibling_name: str
    person_pk: int  # a village_head of the village who holds posts there only
    person_name: str
    person_phone: str
    group_pk: int  # the township's inspection group
    member_pk: int  # the leader of that group (holds no post anywhere)
    member_phone: str


# The caches below hold what the demo looks like as loaded once per session (tests roll back their writes);
# they are filled on first use, which is always before a test writes anything.
_TOWNSHIPS: dict[str, Township] = {}


def township(code: str) -> Township:
    if code in _TOWNSHIPS:
        return _TOWNSHIPS[code]
    town = Unit.objects.get(code=code, level="town")
    names = {}
    for name in Unit.objects.values_list("name", flat=True):
        names[name] = names.get(name, 0) + 1
    if code == STAFF_TOWN:
        village = Unit.objects.get(code=STAFF_VILLAGE)
    else:
        village = next(u for u in Unit.objects.filter(parent=town, level="village").order_by("code")
                       if names[u.name] == 1)
    sibling = next(u for u in Unit.objects.filter(parent=town, level="village").exclude(pk=village.pk)
                   .order_by("code") if names[u.name] == 1)
    post = Post.objects.filter(unit=village, role="village_head", end_date__isnull=True).order_by("pk").first()
    person = post.person
    assert set(Post.objects.filter(person=person).values_list("unit__code", flat=True)) == {village.code}
    group = WorkingGroup.objects.get(kind=GroupKind.INSPECTION, towns=town)
    member = group.members.get(role="leader").person
    assert not Post.objects.filter(person=member).exists()
    result = Township(code, town.name, village.code, village.name, sibling.code, sibling.name, person.pk,
                      person.name, person.phone, group.pk, member.pk, member.phone)
    _TOWNSHIPS[code] = result
    return result


def visible_group_pks(role: str, users) -> set[int]:
    if role in READ_ALL:
        return set(WorkingGroup.objects.values_list("pk", flat=True))
    if role == "inspector":
        return set(WorkingGroup.objects.filter(members__person=users["inspector"].person_id)
                   .values_list("pk", flat=True))
    return set(WorkingGroup.objects.filter(kind=GroupKind.INSPECTION, towns__code=STAFF_TOWN)
               .values_list("pk", flat=True))


_PEOPLE: dict[str, set[int]] = {}


def visible_person_pks(role: str, users) -> set[int]:
    if role not in _PEOPLE:
        _PEOPLE[role] = _visible_person_pks(role, users)
    return _PEOPLE[role]


def _visible_person_pks(role: str, users) -> set[int]:
    if role in READ_ALL:
        return set(Person.objects.values_list("pk", flat=True))
    by_post = {pk for pk, path in Post.objects.values_list("person_id", "unit__path") if in_area(role, path)}
    by_group = set(Person.objects.filter(memberships__group__in=visible_group_pks(role, users))
                   .values_list("pk", flat=True))
    return by_post | by_group


def visible_unit_codes(role: str) -> set[str]:
    return {code for code, path in Unit.objects.values_list("code", "path") if in_area(role, path)}


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def audit_mark() -> tuple[int, int]:
    """The number of audit events and the last sequence number: a denied write must change neither."""
    return AuditEvent.objects.count(), AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def new_events(mark: tuple[int, int]) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=mark[1]).order_by("seq"))


# What a role sees on its whole-area pages, fetched once per role ----------------------------------------


@dataclass(frozen=True)
class RoleView:
    tree_codes: set[str]
    csv_codes: set[str]
    xlsx_unit_codes: set[str]
    xlsx_phones: list[str]
    api_unit_codes: set[str]
    api_group_pks: set[int]
    person_list_pks: list[int]
    home_ok: bool


_ROLE_VIEWS: dict[str, RoleView] = {}


def role_view(role: str, users, client_for) -> RoleView:
    if role in _ROLE_VIEWS:
        return _ROLE_VIEWS[role]
    client = client_for(users[role])
    tree = client.get("/units/")
    assert tree.status_code == 200
    export = client.get("/units/export.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][0] == "code"
    people = client.get("/people/export.xlsx")
    assert people.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(people.content), read_only=True).worksheets[0]
    xlsx = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert xlsx[0][:3] == ["姓名", "手机号", "单位代码"]
    api = bearer(token_create(actor=SYSTEM, user=users[role]))
    units = api.get("/api/v1/units", {"limit": 5000})
    assert units.status_code == 200
    groups = api.get("/api/v1/groups")
    assert groups.status_code == 200
    person_list = client.get("/people/")
    assert person_list.status_code == 200
    view = RoleView(
        tree_codes=set(UNIT_LINK.findall(tree.content.decode())),
        csv_codes={r[0] for r in rows[1:]},
        xlsx_unit_codes={str(r[2]) for r in xlsx[1:]},
        xlsx_phones=[str(r[1]) for r in xlsx[1:]],
        api_unit_codes={u["code"] for u in units.json()},
        api_group_pks={g["id"] for g in groups.json()},
        person_list_pks=[int(pk) for pk in PERSON_LINK.findall(person_list.content.decode())],
        home_ok=client.get("/", follow=True).status_code == 200,  # the leader's home is the dashboard
    )
    _ROLE_VIEWS[role] = view
    return view


# Sanity: the demo is what the matrix assumes -------------------------------------------------------------


def test_demo_matches_the_matrix_assumptions(users):
    towns = dict(Unit.objects.filter(level="town").values_list("code", "name"))
    assert towns == {code: name for code, (name, _slug) in TOWNS.items()}
    assert users["inspector"].role == "inspector"
    inspector_groups = list(WorkingGroup.objects.filter(members__person=users["inspector"].person_id))
    assert [(g.kind, [t.code for t in g.towns.all()]) for g in inspector_groups] == [("inspection", [INSPECTOR_TOWN])]
    assert users["town_staff"].scope_unit.code == STAFF_TOWN
    assert users["village_staff"].scope_unit.code == STAFF_VILLAGE
    assert Unit.objects.get(code=OUTSIDE_VILLAGE_FOR_STAFF).parent.code == INSPECTOR_TOWN
    assert WorkingGroup.objects.filter(kind=GroupKind.INSPECTION).count() == 11


# Reads: role x township -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "town_code"), MATRIX)
def test_reads(role, town_code, users, client_for):
    t = township(town_code)
    view = role_view(role, users, client_for)
    client = client_for(users[role])
    api = bearer(token_create(actor=SYSTEM, user=users[role]))
    paths = dict(Unit.objects.filter(path__contains=f"{town_code}/").values_list("code", "path"))
    town_sees = in_area(role, paths[town_code])
    village_sees = in_area(role, paths[t.village])
    sibling_sees = in_area(role, paths[t.sibling])
    person_sees = village_sees
    group_sees = t.group_pk in visible_group_pks(role, users)
    member_sees = t.member_pk in visible_person_pks(role, users)
    not_found = zh("Not found, or outside your area.")

    # Unit, person and group pages: 200 inside, 404 outside, and the 404 names nothing.
    for code, name, sees in ((town_code, t.name, town_sees), (t.village, t.village_name, village_sees),
                             (t.sibling, t.sibling_name, sibling_sees)):
        response = client.get(f"/units/{code}/")
        assert response.status_code == (200 if sees else 404), code
        assert (f"<h1>{name} " in response.content.decode()) is sees, code
        if not sees:  # (the code itself is echoed in the language form's "next" field: that is the request)
            assert name not in response.content.decode(), code
    response = client.get(f"/people/{t.person_pk}/")
    assert response.status_code == (200 if person_sees else 404)
    page = response.content.decode()
    assert (t.person_name in page) is person_sees
    if person_sees:
        shown = t.person_phone if role in FULL_PHONE else masked(t.person_phone)
        assert f"{shown}</p>" in page
        assert (t.person_phone in page) is (role in FULL_PHONE)
    else:
        assert masked(t.person_phone) not in page
    response = client.get(f"/people/{t.member_pk}/")
    assert response.status_code == (200 if member_sees else 404)
    response = client.get(f"/groups/{t.group_pk}/")
    assert response.status_code == (200 if group_sees else 404)
    page = response.content.decode()
    if group_sees:
        shown = t.member_phone if role in FULL_PHONE else masked(t.member_phone)
        assert f"<td>{shown}</td>" in page
        assert (t.member_phone in page) is (role in FULL_PHONE)
    else:
        assert t.member_phone not in page and masked(t.member_phone) not in page

    # Search: the village's result link appears only inside the area.
    response = client.get("/units/search/", {"q": t.village_name})
    assert response.status_code == 200
    assert (f'<a href="/units/{t.village}/">{t.village_name}</a>' in response.content.decode()) is village_sees

    # Whole-area pages, restricted to this township: exactly the units of the area, nothing more.
    expected_units = {code for code, path in paths.items() if in_area(role, path)}
    assert {c for c in view.tree_codes if c in paths} == expected_units
    assert {c for c in view.csv_codes if c in paths} == expected_units
    assert {c for c in view.api_unit_codes if c in paths} == expected_units
    units_with_posts = set(Post.objects.filter(unit__code__in=paths).values_list("unit__code", flat=True))
    assert {c for c in view.xlsx_unit_codes if c in paths} == expected_units & units_with_posts
    assert (t.group_pk in view.api_group_pks) is group_sees

    # API: the unit, a search, the posts.
    response = api.get(f"/api/v1/units/{t.village}")
    assert response.status_code == (200 if village_sees else 404)
    if village_sees:
        assert response.json()["code"] == t.village and response.json()["parent_code"] == town_code
    else:
        assert response.json() == {"detail": not_found}
    response = api.get(f"/api/v1/units/{town_code}")
    assert response.status_code == (200 if town_sees else 404)
    response = api.get("/api/v1/units", {"q": t.village_name})
    assert response.status_code == 200
    assert (t.village in [u["code"] for u in response.json()]) is village_sees
    response = api.get(f"/api/v1/units/{t.village}/posts")
    assert response.status_code == (200 if village_sees else 404)
    if village_sees:
        mine = [p for p in response.json() if p["person_id"] == t.person_pk]
        assert [p["phone"] for p in mine] == [t.person_phone if role in FULL_PHONE else masked(t.person_phone)]
        assert {p["unit_code"] for p in response.json()} == {t.village}
    else:
        assert response.json() == {"detail": not_found}


@pytest.mark.parametrize("role", ROLES)
def test_whole_area_pages_show_exactly_the_area(role, users, client_for):
    view = role_view(role, users, client_for)
    expected = visible_unit_codes(role)
    assert view.home_ok
    assert view.tree_codes == expected
    assert view.csv_codes == expected
    assert view.api_unit_codes == expected
    assert view.xlsx_unit_codes == expected & set(Post.objects.values_list("unit__code", flat=True))
    assert view.api_group_pks == visible_group_pks(role, users)
    pattern = FULL if role in FULL_PHONE else MASKED
    assert view.xlsx_phones and all(pattern.match(p) for p in view.xlsx_phones)


@pytest.mark.parametrize("role", ROLES)
def test_person_list_shows_exactly_the_visible_people(role, users, client_for):
    view = role_view(role, users, client_for)
    people = visible_person_pks(role, users)
    assert len(view.person_list_pks) == len(set(view.person_list_pks)) == min(len(people), 100)  # one page of 100
    assert set(view.person_list_pks) <= people
    if len(people) <= 100:  # with their grid people, a township's staff and the inspector see more than a page
        assert set(view.person_list_pks) == people


@pytest.mark.parametrize("role", ROLES)
def test_phone_masking_on_the_person_page(role, users, client_for):
    village = OUTSIDE_VILLAGE_FOR_STAFF if role == "inspector" else STAFF_VILLAGE
    post = Post.objects.filter(unit__code=village, role="village_head", end_date__isnull=True).order_by("pk")[0]
    phone = post.person.phone
    response = client_for(users[role]).get(f"/people/{post.person_id}/")
    assert response.status_code == 200
    page = response.content.decode()
    if role in FULL_PHONE:
        assert f": {phone}</p>" in page
        assert masked(phone) not in page
    else:
        assert masked(phone) == f"{phone[:3]}****{phone[-4:]}"
        assert f": {masked(phone)}</p>" in page
        assert phone not in page


# Writes: role x township ----------------------------------------------------------------------------------


def _expected_write_status(allowed: bool, visible: bool) -> int:
    if allowed:
        return 302
    return 403 if visible else 404


@pytest.mark.parametrize(("role", "town_code"), MATRIX)
def test_unit_edit(role, town_code, users, client_for):
    t = township(town_code)
    unit = Unit.objects.get(code=t.village)
    visible = in_area(role, unit.path)
    allowed = role in MANAGE_ALL
    before = audit_mark()
    new_name = unit.name + "改"
    response = client_for(users[role]).post(f"/units/{unit.code}/edit/", {
        "name": new_name, "official_name": unit.official_name, "active": "on", "lon": repr(unit.lon),
        "lat": repr(unit.lat), "point_datum": unit.point_datum,
    })
    assert response.status_code == _expected_write_status(allowed, visible)
    unit.refresh_from_db()
    if allowed:
        assert response["Location"] == f"/units/{t.village}/"
        assert unit.name == new_name
        assert [(e.action, e.object_id, e.before, e.after, e.actor_label) for e in new_events(before)] == [
            ("unit.update", t.village, {"name": t.village_name}, {"name": new_name},
             f"user:{users[role].username}")]
    else:
        assert unit.name == t.village_name
        assert audit_mark() == before


@pytest.mark.parametrize(("role", "town_code"), MATRIX)
def test_person_edit(role, town_code, users, client_for):
    t = township(town_code)
    visible = t.person_pk in visible_person_pks(role, users)
    allowed = role in MANAGE_ALL or (role == "town_staff" and town_code == STAFF_TOWN)
    before = audit_mark()
    response = client_for(users[role]).post(f"/people/{t.person_pk}/edit/",
                                            {"name": "改名测试", "phone": t.person_phone})
    assert response.status_code == _expected_write_status(allowed, visible)
    person = Person.objects.get(pk=t.person_pk)
    if allowed:
        assert response["Location"] == f"/people/{t.person_pk}/"
        assert person.name == "改名测试"
        assert [(e.action, e.object_id, e.after) for e in new_events(before)] == [
            ("person.update", str(t.person_pk), {"name": "改名测试", "phone": t.person_phone, "synthetic": True})]
    else:
        assert person.name == t.person_name
        assert audit_mark() == before


@pytest.mark.parametrize(("role", "town_code"), MATRIX)
def test_new_post_at_a_unit_outside_the_area(role, town_code, users, client_for):
    """A post at 水源村 (一条山镇): outside township staff's area; only county_admin and office may place it."""
    t = township(town_code)
    visible = t.person_pk in visible_person_pks(role, users)
    posts, events = Post.objects.count(), audit_mark()
    response = client_for(users[role]).post(f"/people/{t.person_pk}/posts/new/", {
        "unit": OUTSIDE_VILLAGE_FOR_STAFF, "role": "other", "title": "测试", "start_date": "2026-01-05",
        "end_date": "",
    })
    if role in MANAGE_ALL:
        assert response.status_code == 302
        assert response["Location"] == f"/people/{t.person_pk}/"
        assert list(Post.objects.filter(person_id=t.person_pk, unit__code=OUTSIDE_VILLAGE_FOR_STAFF, role="other")
                    .values_list("title", "start_date")) == [("测试", dt.date(2026, 1, 5))]
        assert [e.action for e in new_events(events)] == ["post.create"]
        return
    if role == "town_staff" and visible:
        assert response.status_code == 200
        message = zh("The unit %(code)s does not exist or is outside your area.") % {
            "code": OUTSIDE_VILLAGE_FOR_STAFF}
        assert message in response.content.decode()
    else:
        assert response.status_code == (403 if visible else 404)
    assert Post.objects.count() == posts
    assert audit_mark() == events


def test_town_staff_may_place_a_post_inside_the_township(users, client_for):
    t = township(STAFF_TOWN)
    before = audit_mark()
    response = client_for(users["town_staff"]).post(f"/people/{t.person_pk}/posts/new/", {
        "unit": t.sibling, "role": "cleaner", "title": "保洁员", "start_date": "2026-01-05", "end_date": ""})
    assert response.status_code == 302
    assert list(Post.objects.filter(person_id=t.person_pk, unit__code=t.sibling).values_list("role", "title")) == [
        ("cleaner", "保洁员")]
    assert [(e.action, e.actor_label) for e in new_events(before)] == [
        ("post.create", "user:demo_town")]


@pytest.fixture
def straddler(db):
    """A person with posts in 喜泉镇 (大水䃎村) and in 一条山镇 (水源村)."""
    person = org_services.person_save(actor=SYSTEM, person=None, name="两地人", phone="13900000009")
    for code in (STAFF_VILLAGE, OUTSIDE_VILLAGE_FOR_STAFF):
        org_services.post_create(actor=SYSTEM, person=person, unit=Unit.objects.get(code=code), role="cleaner",
                                 title="保洁员", start_date=dt.date(2026, 1, 5))
    return person


def test_town_staff_see_only_their_part_of_a_person_with_posts_elsewhere(straddler, users, client_for):
    client = client_for(users["town_staff"])
    page = client.get(f"/people/{straddler.pk}/").content.decode()
    assert f'href="/units/{STAFF_VILLAGE}/"' in page
    assert f'href="/units/{OUTSIDE_VILLAGE_FOR_STAFF}/"' not in page and "水源村" not in page
    api = bearer(token_create(actor=SYSTEM, user=users["town_staff"]))
    assert straddler.pk in [p["person_id"] for p in api.get(f"/api/v1/units/{STAFF_VILLAGE}/posts").json()]
    assert api.get(f"/api/v1/units/{OUTSIDE_VILLAGE_FOR_STAFF}/posts").status_code == 404


def test_town_staff_cannot_edit_a_person_with_posts_outside_the_township(straddler, users, client_for):
    before = audit_mark()
    client = client_for(users["town_staff"])
    response = client.post(f"/people/{straddler.pk}/edit/", {"name": "改名测试", "phone": straddler.phone})
    assert response.status_code == 403
    data = write_csv(PEOPLE_HEADER, [
        ["改名测试", straddler.phone, STAFF_VILLAGE, "大水䃎村", "其他", "", "2026-02-01", ""]])
    response = client.post("/people/import/", {"file": SimpleUploadedFile("p.csv", data, "text/csv")})
    assert response.status_code == 400
    with translation.override("zh-hans"):
        message = describe(Problem("bad_phone_scope", 2, {"phone": straddler.phone}))
    assert f"<tr><td>2</td><td>{message}</td></tr>" in response.content.decode()
    assert Person.objects.get(pk=straddler.pk).name == "两地人"
    assert Post.objects.filter(person=straddler).count() == 2
    assert audit_mark() == before
    # The office may.
    response = client_for(users["office"]).post(f"/people/{straddler.pk}/edit/",
                                                {"name": "改名测试", "phone": straddler.phone})
    assert response.status_code == 302
    assert Person.objects.get(pk=straddler.pk).name == "改名测试"


# Imports -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_units_import_only_for_the_office(role, users, client_for):
    data = write_csv(["code", "name", "level", "parent_code"],
                     [[STAFF_VILLAGE, "大水䃎村新", "village", STAFF_TOWN]])
    units = dict(Unit.objects.values_list("code", "name"))
    before = audit_mark()
    response = client_for(users[role]).post("/units/import/", {"file": SimpleUploadedFile("u.csv", data, "text/csv")})
    if role in MANAGE_ALL:
        assert response.status_code == 302
        assert response["Location"] == "/units/import/"
        assert Unit.objects.get(code=STAFF_VILLAGE).name == "大水䃎村新"
        assert [(e.action, e.object_id) for e in new_events(before)] == [
            ("unit.update", STAFF_VILLAGE)]
        return
    assert response.status_code == 403
    assert dict(Unit.objects.values_list("code", "name")) == units
    assert audit_mark() == before
    assert client_for(users[role]).get("/units/import/").status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_people_import_with_a_row_outside_the_township(role, users, client_for):
    data = write_csv(PEOPLE_HEADER, [
        ["新人甲", "13900000001", STAFF_VILLAGE, "大水䃎村", "保洁员", "保洁员", "2026-01-05", ""],
        ["新人乙", "13900000002", OUTSIDE_VILLAGE_FOR_STAFF, "水源村", "保洁员", "保洁员", "2026-01-05", ""],
    ])
    people, posts, events = Person.objects.count(), Post.objects.count(), audit_mark()
    response = client_for(users[role]).post("/people/import/",
                                            {"file": SimpleUploadedFile("p.csv", data, "text/csv")})
    if role in MANAGE_ALL:
        assert response.status_code == 302
        assert sorted(Post.objects.filter(person__phone__in=["13900000001", "13900000002"])
                      .values_list("person__name", "unit__code")) == [
            ("新人乙", OUTSIDE_VILLAGE_FOR_STAFF), ("新人甲", STAFF_VILLAGE)]
        assert sorted(e.action for e in new_events(events)) == ["person.create"] * 2 + ["post.create"] * 2
        return
    if role == "town_staff":
        assert response.status_code == 400
        with translation.override("zh-hans"):
            message = describe(Problem("unknown_unit", 3, {"code": OUTSIDE_VILLAGE_FOR_STAFF}))
        page = response.content.decode()
        assert f"<tr><td>3</td><td>{message}</td></tr>" in page
        assert "<tr><td>2</td>" not in page
    else:
        assert response.status_code == 403
    assert Person.objects.count() == people
    assert Post.objects.count() == posts
    assert not Person.objects.filter(phone__in=["13900000001", "13900000002"]).exists()
    assert audit_mark() == events


def test_town_staff_import_inside_the_township_is_written(users, client_for):
    data = write_csv(PEOPLE_HEADER, [
        ["新人甲", "13900000001", STAFF_VILLAGE, "大水䃎村", "保洁员", "保洁员", "2026-01-05", ""]])
    before = audit_mark()
    response = client_for(users["town_staff"]).post("/people/import/",
                                                    {"file": SimpleUploadedFile("p.csv", data, "text/csv")})
    assert response.status_code == 302
    assert list(Post.objects.filter(person__phone="13900000001").values_list("person__name", "unit__code", "role")) \
        == [("新人甲", STAFF_VILLAGE, "cleaner")]
    assert [e.action for e in new_events(before)] == [
        "person.create", "post.create"]


# Anonymous -----------------------------------------------------------------------------------------------

PAGES = [
    "/", "/units/", "/units/search/?q=dsz", "/units/{village}/", "/units/{village}/edit/", "/units/import/",
    "/units/template.xlsx", "/units/export.csv", "/units/export.xlsx", "/people/", "/people/new/",
    "/people/import/", "/people/template.xlsx", "/people/export.xlsx", "/people/{person}/",
    "/people/{person}/edit/", "/people/{person}/posts/new/", "/posts/{post}/end/", "/groups/", "/groups/new/",
    "/groups/{group}/", "/groups/{group}/edit/", "/groups/{group}/members/", "/groups/members/{member}/remove/",
]


def _fill(template: str) -> str:
    t = township(STAFF_TOWN)
    group = WorkingGroup.objects.get(pk=t.group_pk)
    return template.format(village=t.village, person=t.person_pk, group=t.group_pk,
                           post=Post.objects.filter(person_id=t.person_pk).order_by("pk")[0].pk,
                           member=group.members.order_by("pk")[0].pk)


@pytest.mark.parametrize("template", PAGES)
def test_anonymous_pages_redirect_to_sign_in(template, db):
    url = _fill(template)
    for method in ("get", "post"):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, method
        assert response["Location"] == "/accounts/login/?" + urlencode({"next": url}, safe="/", quote_via=quote)


def test_anonymous_post_changes_nothing(db):
    t = township(STAFF_TOWN)
    before = audit_mark()
    response = Client().post(f"/units/{t.village}/edit/", {"name": "匿名", "active": "on"})
    assert response.status_code == 302
    assert Unit.objects.get(code=t.village).name == t.village_name
    assert audit_mark() == before


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/units", "/api/v1/units/{village}",
                                  "/api/v1/units/{village}/posts", "/api/v1/groups"])
def test_anonymous_api_is_401_json(path, db):
    response = Client().get(_fill(path))
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": zh("Sign in or send a valid bearer token.")}


# Holes found by this matrix, now closed ------------------------------------------------------------------


def test_town_staff_cannot_edit_a_county_inspection_group_member(users, client_for):
    t = township(STAFF_TOWN)
    member = Person.objects.get(pk=t.member_pk)
    before = audit_mark()
    response = client_for(users["town_staff"]).post(f"/people/{member.pk}/edit/",
                                                    {"name": "改名测试", "phone": member.phone})
    assert response.status_code == 403
    assert Person.objects.get(pk=member.pk).name == member.name
    assert audit_mark() == before


def test_town_staff_import_cannot_rename_an_invisible_person(users, client_for):
    leader_person = users["leader"].person
    assert leader_person.pk not in visible_person_pks("town_staff", users)
    data = write_csv(PEOPLE_HEADER, [
        ["改名了", leader_person.phone, STAFF_VILLAGE, "大水䃎村", "其他", "x", "2026-01-05", ""]])
    before = audit_mark()
    response = client_for(users["town_staff"]).post("/people/import/",
                                                    {"file": SimpleUploadedFile("p.csv", data, "text/csv")})
    assert response.status_code == 400
    assert Person.objects.get(pk=leader_person.pk).name == leader_person.name
    assert not Post.objects.filter(person=leader_person).exists()
    assert audit_mark() == before


def test_inspector_sees_the_other_members_of_their_group(users, client_for):
    client = client_for(users["inspector"])
    group = WorkingGroup.objects.get(kind=GroupKind.INSPECTION, towns__code=INSPECTOR_TOWN)
    members = list(group.members.exclude(person_id=users["inspector"].person_id).values_list("person_id", flat=True))
    assert len(members) == 2
    page = client.get(f"/groups/{group.pk}/").content.decode()
    assert all(f'href="/people/{pk}/"' in page for pk in members)  # the group page links to them...
    assert [client.get(f"/people/{pk}/").status_code for pk in members] == [200, 200]  # ...and they open


ROW = re.compile(r'<tr><td><a href="/people/\d+/">[^<]*</a>.*?</td><td>[^<]*</td>\s*<td>(.*?)</td></tr>', re.S)


@pytest.mark.parametrize("role", ROLES)
def test_person_list_names_only_units_in_the_area(role, users, client_for):
    response = client_for(users[role]).get("/people/")
    cells = ROW.findall(response.content.decode())
    assert cells
    visible_names = set(Unit.objects.filter(code__in=visible_unit_codes(role)).values_list("name", flat=True))
    shown = {part.strip().split(" ", 1)[0] for cell in cells for part in cell.split("；")
             if part.strip()}
    assert shown <= visible_names


@pytest.mark.parametrize("role", ["leader", "inspector", "village_staff"])
def test_masked_digits_are_not_searchable(role, users, client_for):
    village = OUTSIDE_VILLAGE_FOR_STAFF if role == "inspector" else STAFF_VILLAGE
    person = Post.objects.filter(unit__code=village, role="village_head").order_by("pk")[0].person
    hidden_and_tail = person.phone[3:]
    response = client_for(users[role]).get("/people/", {"q": hidden_and_tail})
    assert f'href="/people/{person.pk}/"' not in response.content.decode()
