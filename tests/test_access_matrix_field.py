"""Every role against every township's field work: photos, inspections and problems leak through no page, export
or API, and every write outside a role's rights is refused without a trace.

The expectations are computed here from the rule, not from dudao.accounts.access:
county_admin, office and leader read everything; the inspector reads the subtree of 一条山镇 (the township of
their inspection group); township staff the subtree of 喜泉镇; village staff 大水䃎村 only. Outside one's area
the answer is 404, never 403 with data.

Who moves a problem along its loop, inside the area: the office (and county_admin) everything; the leader
nothing; the staff of the problem's township register, dispatch, cancel, close, rectify, verify and return; the
staff of its village rectify; the inspector of its township verify and return. Nobody verifies or returns what
they rectified themselves, and what the county found itself (its inspectors, the office, drones) only the county
cancels. A transition the problem's state does not allow answers 409 before any right is looked at (the caller
can read the problem, so its state is no secret to them).

Each test builds its rows once, with a fixture (rolled back afterwards), as the office and through the services:
in one village of every township one photo, one inspection scored with the county's checklist and one problem
(the transitions need no inspection, the posts only the villages). The demo holds problems and inspections of its
own: the exact comparisons below take every row in the database and apply the rule to it; the pages, which are
paged, are checked for our rows (present inside, absent outside).
"""

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from PIL import Image, ImageDraw

from dudao.accounts.access import SYSTEM
from dudao.accounts.services import token_create
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.inspections import services as inspection_services
from dudao.inspections.models import Checklist, Inspection, ItemScore
from dudao.notifications.models import Notification
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos.models import Photo
from dudao.photos.services import photo_upload
from dudao.problems import services as problem_services
from dudao.problems.models import Category, Problem, ProblemEvent, ProblemPhoto

ROLES = ["county_admin", "office", "leader", "inspector", "town_staff", "village_staff"]
READ_ALL = {"county_admin", "office", "leader"}
MANAGE_ALL = {"county_admin", "office"}
INSPECTING = {"county_admin", "office", "inspector", "town_staff"}  # leaders and village staff inspect nothing

INSPECTOR_TOWN = "620423100000"  # 一条山镇: the township of demo_inspector's inspection group
STAFF_TOWN = "620423103000"  # 喜泉镇: demo_town's township
STAFF_VILLAGE = "620423103200"  # 大水䃎村: demo_village's village
ZHONGQUAN = "620423106000"  # 中泉镇
AREA_ROOT = {
    "county_admin": None, "office": None, "leader": None,
    "inspector": INSPECTOR_TOWN, "town_staff": STAFF_TOWN, "village_staff": STAFF_VILLAGE,
}
# code -> (name, ASCII id), as in test_access_matrix
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
RANKED = ("village", "community")
COUNTY_SOURCES = {"inspection", "office", "drone"}  # what the county found, only the county calls off
TRANSITIONS = ("register", "dispatch", "rectify", "verify", "return", "close", "cancel")
# The transitions each state allows (the loop of dudao.problems.lifecycle, written out).
STATE_ALLOWS = {
    "reported": {"register", "cancel"}, "registered": {"dispatch", "cancel"}, "dispatched": {"rectify", "cancel"},
    "returned": {"rectify", "cancel"}, "rectified": {"verify", "return"}, "verified": {"close"},
    "closed": set(), "cancelled": set(),
}
PROBLEM_LINK = re.compile(r'href="/problems/(\d+)/"')
INSPECTION_LINK = re.compile(r'href="/inspections/(\d+)/"')
CHECKLIST_LINK = re.compile(r'href="/checklists/(\d+)/"')
PROBLEM_LINK_PATH = re.compile(r"^/problems/(\d+)/$")


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def in_area(role: str, path: str) -> bool:
    root = AREA_ROOT[role]
    return root is None or root in path.strip("/").split("/")


def may(role: str, transition: str, town: str, village: str, source: str) -> bool:
    """The written rights, inside the area (the rectifier rule aside)."""
    if role in MANAGE_ALL:
        return True
    if transition == "cancel" and source in COUNTY_SOURCES:
        return False
    if role == "town_staff":
        return town == STAFF_TOWN
    if role == "village_staff":
        return village == STAFF_VILLAGE and transition == "rectify"
    if role == "inspector":
        return town == INSPECTOR_TOWN and transition in ("verify", "return")
    return False


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def jpeg(seed: int) -> bytes:
    """A small field 'photo' without EXIF (the position comes from the phone)."""
    image = Image.new("RGB", (320, 240), (150, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 120, 320, 240), fill=(176, 160, 130))
    x = 20 + (seed * 37) % 240
    draw.ellipse((x, 160, x + 60, 200), fill=(90, 70, 50))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def media_files() -> int:
    root = Path(settings.MEDIA_ROOT)
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def stored() -> tuple[int, ...]:
    """Everything a refused field write could leave behind."""
    return (Photo.objects.count(), Inspection.objects.count(), ItemScore.objects.count(), Problem.objects.count(),
            ProblemEvent.objects.count(), ProblemPhoto.objects.count(), Notification.objects.count(),
            AuditEvent.objects.count(), media_files())


def problem_trace(pk: int) -> tuple:
    """A problem's state, its timeline and the audit log: a refused transition changes none of them."""
    row = Problem.objects.filter(pk=pk).values_list("status", "rework_count", "rectified_by_id", "deadline",
                                                    "closed_at").get()
    return (row, ProblemEvent.objects.filter(problem_id=pk).count(),
            ProblemPhoto.objects.filter(problem_id=pk).count(), AuditEvent.objects.count(),
            Notification.objects.count())


# The rows each test looks at ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    town: str
    village: str
    village_name: str
    path: str
    lat: float
    lon: float
    photo: int = 0
    inspection: int = 0
    week: str = ""
    problem: int = 0
    number: str = ""
    description: str = ""


@dataclass(frozen=True)
class Field:
    campaign: object
    checklist: Checklist
    category: Category
    sites: dict[str, Site]  # township code -> our rows in its village


_VILLAGES: dict[str, str] = {}


def village_of(town_code: str) -> Unit:
    """One ranked, active village with a point per township (大水䃎村 in 喜泉镇); chosen once per session."""
    if town_code not in _VILLAGES:
        if town_code == STAFF_TOWN:
            _VILLAGES[town_code] = STAFF_VILLAGE
        else:
            _VILLAGES[town_code] = next(
                u.code for u in Unit.objects.filter(parent__code=town_code, level__in=RANKED, active=True)
                .order_by("code") if unit_point_wgs84(u) is not None)
    return Unit.objects.select_related("parent").get(code=_VILLAGES[town_code])


def build_field(office, *, rows: bool = True, inspections: bool = True) -> Field:
    """Our rows, as the office: in one village of every township a photo, an inspection (unless ``inspections`` is
    false) and a problem; with ``rows`` false only the villages and their points."""
    campaign = campaign_get()
    checklist = inspection_services.checklist_default(campaign)
    category = Category.objects.get(campaign=campaign, code="other")  # the demo reports none: no duplicates
    items = list(checklist.items.all())
    sites = {}
    for n, town_code in enumerate(TOWNS):
        village = village_of(town_code)
        assert village.parent.code == town_code
        lon, lat = unit_point_wgs84(village)
        if not rows:
            sites[town_code] = Site(town_code, village.code, village.name, village.path, lat, lon)
            continue
        photo = photo_upload(actor=office, campaign=campaign, village=village, data=jpeg(n), lat=lat, lon=lon,
                             accuracy_m=5.0)
        inspection = inspection_services.inspection_submit(
            actor=office, campaign=campaign, village=village, checklist=checklist,
            marks=[inspection_services.MarkInput(i.pk, i.max_points) for i in items], lat=lat, lon=lon,
            accuracy_m=5.0, photo_ids=[photo.pk], client_key=f"matrix-{town_code}").inspection if inspections else None
        description = f"矩阵测试问题 {village.name} {n}"
        problem = problem_services.problem_report(
            actor=office, campaign=campaign, village=village, category=category, description=description,
            source="office", lat=lat, lon=lon, accuracy_m=5.0, photo_ids=[photo.pk])
        assert problem.status == "dispatched" and problem.possible_duplicate_of_id is None, town_code
        sites[town_code] = Site(town_code, village.code, village.name, village.path, lat, lon, photo.pk,
                                inspection.pk if inspection else 0, inspection.week if inspection else "",
                                problem.pk, problem.number, description)
    return Field(campaign, checklist, category, sites)


@pytest.fixture
def field(users) -> Field:
    return build_field(users["office"])


@pytest.fixture
def field_problems(users) -> Field:
    """Photos and problems only: what the transitions need."""
    return build_field(users["office"], inspections=False)


@pytest.fixture
def places(users) -> Field:
    """Only the villages and their points: what the photo and inspection posts need."""
    return build_field(users["office"], rows=False)


# Reads -----------------------------------------------------------------------------------------------------


def visible_problem_ids(role: str) -> set[int]:
    return {pk for pk, path in Problem.objects.values_list("pk", "village__path") if in_area(role, path)}


def visible_inspection_ids(role: str, week: str) -> set[int]:
    return {pk for pk, path in Inspection.objects.filter(week=week).values_list("pk", "village__path")
            if in_area(role, path)}


def test_the_demo_matches_the_matrix_assumptions(users):
    assert dict(Unit.objects.filter(level="town").values_list("code", "name")) == {
        code: name for code, (name, _slug) in TOWNS.items()}
    assert users["inspector"].role == "inspector"
    assert users["town_staff"].scope_unit.code == STAFF_TOWN
    assert users["village_staff"].scope_unit.code == STAFF_VILLAGE
    villages = {code: village_of(code) for code in TOWNS}
    assert villages[STAFF_TOWN].code == STAFF_VILLAGE
    assert all(v.parent.code == code and v.level in RANKED for code, v in villages.items())
    assert not Problem.objects.filter(category__code="other").exists()  # ours are never a demo row's duplicate


@pytest.mark.parametrize("role", ROLES)
def test_reads(role, field, users, client_for):
    """Pages, exports and the API, through the session and a bearer token."""
    assert len({s.week for s in field.sites.values()}) == 1
    client = client_for(users[role])
    page_reads(role, client, field)
    api_reads(role, client, field)
    api_reads(role, bearer(token_create(actor=SYSTEM, user=users[role])), field)
    photo_reads(role, bearer(token_create(actor=SYSTEM, user=users[role])), field)


def photo_reads(role: str, client: Client, field: Field) -> None:
    """The photos' files, to a client with a token and no session (an API client, an app)."""
    for site in field.sites.values():
        sees = in_area(role, site.path)
        for url in (f"/photos/{site.photo}.jpg", f"/photos/{site.photo}-thumb.jpg"):
            response = client.get(url)
            assert response.status_code == (200 if sees else 404), (url, site.town)
            if sees:
                assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_a_photo_with_a_bad_or_revoked_token_answers_401_and_without_one_the_sign_in_page(users, field):
    from dudao.accounts.models import ApiToken

    url = f"/photos/{next(iter(field.sites.values())).photo}.jpg"
    token = token_create(actor=SYSTEM, user=users["office"])
    assert bearer(token).get(url).status_code == 200
    response = bearer("not-a-token").get(url)
    assert (response.status_code, response["WWW-Authenticate"]) == (401, 'Bearer realm="dudao"')
    response = Client(HTTP_AUTHORIZATION="Bearer ").get(url)  # no token at all: as a browser without a session
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")
    ApiToken.objects.update(revoked_at=timezone.now())
    assert bearer(token).get(url).status_code == 401
    response = Client().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")


def page_reads(role: str, client: Client, field: Field) -> None:
    for site in field.sites.values():
        sees = in_area(role, site.path)
        for url in (f"/problems/{site.problem}/", f"/inspections/{site.inspection}/"):
            response = client.get(url)
            assert response.status_code == (200 if sees else 404), (url, site.town)
            page = response.content.decode()
            if url.startswith("/problems/"):
                assert (site.description in page) is sees, (url, site.town)
            if not sees:
                assert site.village_name not in page and site.number not in page, (url, site.town)
        for url in (f"/photos/{site.photo}.jpg", f"/photos/{site.photo}-thumb.jpg"):
            response = client.get(url)
            assert response.status_code == (200 if sees else 404), (url, site.town)
            if sees:
                assert response["Content-Type"] == "image/jpeg"
                assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
            else:
                assert response["Content-Type"].startswith("text/html")

    # The problem list (all tab), its CSV export and the week's inspections.
    mine_visible = {s.problem for s in field.sites.values() if in_area(role, s.path)}
    mine_hidden = {s.problem for s in field.sites.values()} - mine_visible
    everything = visible_problem_ids(role)
    response = client.get("/problems/", {"tab": "all"})
    assert response.status_code == 200
    page = response.content.decode()
    listed = {int(pk) for pk in PROBLEM_LINK.findall(page)}
    assert mine_visible <= listed and not (mine_hidden & listed)
    assert listed <= everything
    for site in field.sites.values():
        assert (f">{site.number}</a>" in page) is in_area(role, site.path), site.town
    export = client.get("/problems/export.csv", {"tab": "all"})
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    numbers = [r[0] for r in rows[1:]]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == {p.number for p in Problem.objects.filter(pk__in=everything)}
    hidden_numbers = {s.number for s in field.sites.values() if s.problem in mine_hidden}
    assert not hidden_numbers & set(numbers)
    week = next(iter(field.sites.values())).week
    response = client.get("/inspections/", {"week": week})
    assert response.status_code == 200
    listed = {int(pk) for pk in INSPECTION_LINK.findall(response.content.decode())}
    mine = {s.inspection: in_area(role, s.path) for s in field.sites.values()}
    assert {pk for pk, sees in mine.items() if sees} <= listed
    assert not {pk for pk, sees in mine.items() if not sees} & listed
    assert listed <= visible_inspection_ids(role, week)


def api_reads(role: str, client: Client, field: Field) -> None:
    not_found = {"detail": zh("Not found, or outside your area.")}
    for site in field.sites.values():
        sees = in_area(role, site.path)
        bodies = []
        for url in (f"/api/v1/problems/{site.problem}", f"/api/v1/inspections/{site.inspection}",
                    f"/api/v1/photos/{site.photo}"):
            response = client.get(url)
            assert response.status_code == (200 if sees else 404), (url, site.town)
            assert response["Content-Type"].startswith("application/json")
            if not sees:
                assert response.json() == not_found, (url, site.town)
            bodies.append(response.json())
        if sees:
            problem, inspection, photo = bodies
            assert (problem["id"], problem["number"], problem["village"], problem["status"]) == (
                site.problem, site.number, site.village, "dispatched")
            assert set(problem["allowed"]) == {t for t in STATE_ALLOWS["dispatched"]
                                               if may(role, t, site.town, site.village, "office")}, site.town
            assert problem["before_photos"] == [site.photo]
            assert (inspection["village"], inspection["photos"]) == (site.village, [site.photo])
            assert photo["url"] == f"/photos/{site.photo}.jpg"

    # Lists: exactly the rows of the area, ours and the demo's.
    response = client.get("/api/v1/problems", {"limit": 1000})
    assert response.status_code == 200
    expected = visible_problem_ids(role)
    assert response.json()["count"] == len(expected)
    assert {p["id"] for p in response.json()["items"]} == expected
    week = next(iter(field.sites.values())).week
    response = client.get("/api/v1/inspections", {"week": week, "limit": 1000})
    assert response.status_code == 200
    assert {i["id"] for i in response.json()} == visible_inspection_ids(role, week)
    for site in field.sites.values():  # filtered by a township: nothing outside
        response = client.get("/api/v1/problems", {"town": site.town, "limit": 1000})
        assert (site.problem in {p["id"] for p in response.json()["items"]}) is in_area(role, site.path)
        response = client.get("/api/v1/inspections", {"week": week, "village": site.village})
        assert (site.inspection in {i["id"] for i in response.json()}) is in_area(role, site.path)

    # The field app's offline bootstrap: the villages of the area, the checklists only to those who inspect.
    response = client.get("/api/v1/field/bootstrap")
    assert response.status_code == 200
    boot = response.json()
    villages = {v["code"] for v in boot["villages"]}
    assert len(villages) == len(boot["villages"])
    assert villages == {code for code, path in Unit.objects.filter(level__in=RANKED, active=True)
                        .values_list("code", "path") if in_area(role, path)}
    if role in INSPECTING:
        latest: dict[str, Checklist] = {}
        for c in Checklist.objects.filter(campaign=field.campaign).select_related("town").order_by("key", "-version"):
            latest.setdefault(c.key, c)
        assert {c["id"] for c in boot["checklists"]} == {
            c.pk for c in latest.values() if c.active and (c.town is None or in_area(role, c.town.path))}
        assert field.checklist.pk in {c["id"] for c in boot["checklists"]}
    else:
        assert boot["checklists"] == []

    # Statistics and notifications name nothing outside the area.
    response = client.get("/api/v1/problems/stats", {"week": week})
    assert response.status_code == 200
    codes = {row["code"] for row in response.json()}
    assert {s.village for s in field.sites.values() if in_area(role, s.path)} <= codes
    assert codes <= {code for code, path in Unit.objects.values_list("code", "path") if in_area(role, path)}
    response = client.get("/api/v1/problems/stats", {"week": week, "by": "town"})
    assert {row["code"] for row in response.json()} == {code for code in TOWNS if in_area(role, f"/{code}/")}
    response = client.get("/api/v1/notifications", {"limit": 500})
    assert response.status_code == 200
    linked = {int(pk) for n in response.json() for pk in PROBLEM_LINK_PATH.findall(n["link"])}
    assert linked <= visible_problem_ids(role)


# Writes: moving problems along the loop ---------------------------------------------------------------------


def transition(client: Client, pk: int, name: str, note: str = "", photos: list[int] | None = None):
    body = {"note": note, "photos": photos or []}
    return client.post(f"/api/v1/problems/{pk}/{name}", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
def test_transitions(role, field_problems, users, client_for):
    transitions_outside(role, field_problems, users, client_for)
    transitions_inside(role, field_problems, users)


def transitions_outside(role: str, field: Field, users, client_for) -> None:
    """Every transition (and an unknown one) on every problem outside the area: 404, through the API with a token
    or the session and through the page's form, and the problem, its timeline and the audit log stay as they were."""
    user = users[role]
    clients = {"bearer": bearer(token_create(actor=SYSTEM, user=user)), "session": client_for(user)}
    not_found = {"detail": zh("Not found, or outside your area.")}
    outside = [s for s in field.sites.values() if not in_area(role, s.path)]
    assert len(outside) == (0 if role in READ_ALL else len(TOWNS) - 1)
    for site in outside:
        before = problem_trace(site.problem)
        for how, client in clients.items():
            for name in (*TRANSITIONS, "nonsense"):
                if how == "bearer" or name == "cancel":  # (the session reaches the same view: one sample)
                    response = transition(client, site.problem, name, note="越权操作", photos=[site.photo])
                    assert response.status_code == 404, (how, name, site.town)
                    assert response.json() == not_found
                if how == "session":  # the page's own form
                    response = client.post(f"/problems/{site.problem}/{name}/", {"note": "越权操作"})
                    assert response.status_code == 404, (name, site.town, "page")
        assert problem_trace(site.problem) == before, site.town


def transitions_inside(role: str, field: Field, users) -> None:
    """Every transition from a state that allows it, by the role on every township's problem inside its area:
    refused with 403 and no trace without the right; with it, taken (or, where taking it would end the walk early,
    shown to pass the right and fail on the missing reason or photo, 422, no trace). The other transitions of the
    dispatched state answer 409, for the leader too."""
    api = bearer(token_create(actor=SYSTEM, user=users[role]))
    inside = [s for s in field.sites.values() if in_area(role, s.path)]
    assert len(inside) == {"inspector": 1, "town_staff": 1, "village_staff": 1}.get(role, len(TOWNS))
    for site in inside:
        walk(role, site, field, users, api)


def walk(role: str, site: Site, field: Field, users, api: Client) -> None:
    """One township's problems walked through the loop, each step tried by the role first."""
    user = users[role]
    office, admin = users["office"], users["county_admin"]
    helper = admin if role == "office" else office  # moves the problem on where the role may not (or must not)
    second = office if helper == admin else admin  # verifies what the helper rectified
    forbidden = {"detail": zh("You may not see or change this.")}
    campaign = field.campaign
    village = Unit.objects.get(code=site.village)
    p1 = Problem.objects.get(pk=site.problem)
    # A second report of the same thing while the first is open, passed on from a grid worker: a possible
    # duplicate, left reported.
    p2 = problem_services.problem_report(
        actor=office, campaign=campaign, village=village, category=field.category,
        description=site.description + "（重复）", source="grid", lat=site.lat, lon=site.lon,
        photo_ids=[photo_upload(actor=office, campaign=campaign, village=village, data=jpeg(99), lat=site.lat,
                                lon=site.lon).pk])
    assert (p2.status, p2.possible_duplicate_of_id) == ("reported", p1.pk)

    def refused(pk: int, name: str, status: int, **kwargs) -> None:
        before = problem_trace(pk)
        response = transition(api, pk, name, **kwargs)
        assert response.status_code == status, (name, site.town, response.content)
        if status == 403:
            assert response.json() == forbidden
        assert problem_trace(pk) == before, (name, site.town)

    def taken(pk: int, name: str, to: str, **kwargs) -> None:
        events, audit = ProblemEvent.objects.filter(problem_id=pk).count(), AuditEvent.objects.count()
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
        response = transition(api, pk, name, **kwargs)
        assert response.status_code == 200, (name, site.town, response.content)
        assert response.json()["status"] == to
        assert Problem.objects.get(pk=pk).status == to
        assert ProblemEvent.objects.filter(problem_id=pk).count() == events + 1
        assert list(AuditEvent.objects.filter(pk__gt=last).values_list("action", "object_id")) \
            == [(f"problem.{name}", str(pk))]
        assert AuditEvent.objects.count() == audit + 1

    def rights(name: str, source: str = "office") -> bool:
        return may(role, name, site.town, site.village, source)

    # 1. Dispatched: rectify and cancel are open; the other five are refused by the state (409).
    for name in TRANSITIONS:
        if name not in STATE_ALLOWS["dispatched"]:
            refused(p1.pk, name, 409, note="说明")
        elif not rights(name):
            refused(p1.pk, name, 403, note="说明", photos=[site.photo])
        else:
            refused(p1.pk, name, 422)  # the right holds; the reason (cancel) or after-photo (rectify) is missing

    # 2. Rectified by someone else: verify and return.
    after = photo_upload(actor=helper, campaign=campaign, village=village, data=jpeg(7), lat=site.lat,
                         lon=site.lon)
    problem_services.problem_rectify(actor=helper, problem=p1, photo_ids=[after.pk], note="已整改")
    if rights("return"):
        refused(p1.pk, "return", 422)  # the right holds; the reason is missing
    else:
        refused(p1.pk, "return", 403, note="未整改到位")
    if rights("verify"):
        taken(p1.pk, "verify", "verified")
    else:
        refused(p1.pk, "verify", 403)
        problem_services.problem_verify(actor=second, problem=Problem.objects.get(pk=p1.pk))

    # 3. Verified: close.
    if rights("close"):
        taken(p1.pk, "close", "closed")
    else:
        refused(p1.pk, "close", 403)

    # 4. The duplicate, reported: cancel (a grid worker's report: the township's to call off too), register, then
    # dispatch.
    if rights("cancel", "grid"):
        refused(p2.pk, "cancel", 422)  # the right holds; the reason is missing
    else:
        refused(p2.pk, "cancel", 403, note="重复")
    for name, to in (("register", "registered"), ("dispatch", "dispatched")):
        if rights(name):
            taken(p2.pk, name, to)
        else:
            refused(p2.pk, name, 403)
            getattr(problem_services, f"problem_{name}")(actor=helper, problem=Problem.objects.get(pk=p2.pk))

    # 5. Rectified by the role itself, where it may: then it may neither verify nor return it.
    if rights("rectify"):
        own = photo_upload(actor=user, campaign=campaign, village=village, data=jpeg(8), lat=site.lat,
                           lon=site.lon)
        taken(p2.pk, "rectify", "rectified", note="已整改", photos=[own.pk])
        assert Problem.objects.get(pk=p2.pk).rectified_by_id == user.pk
        assert not {"verify", "return"} & set(api.get(f"/api/v1/problems/{p2.pk}").json()["allowed"])
        refused(p2.pk, "verify", 422)
        refused(p2.pk, "return", 422, note="未整改到位")
    else:
        assert not rights("cancel", "grid")
        refused(p2.pk, "rectify", 403, note="已整改", photos=[site.photo])
        refused(p2.pk, "cancel", 403, note="重复")


# Writes: photos and inspections -------------------------------------------------------------------------------


def inspection_body(field: Field, site: Site, key: str) -> dict:
    items = list(field.checklist.items.all())
    return {"client_key": key, "village": site.village, "checklist": field.checklist.pk,
            "marks": [{"item": i.pk, "points": i.max_points} for i in items], "lat": site.lat, "lon": site.lon,
            "accuracy_m": 5.0, "note": "矩阵", "problems": [{"item": items[0].pk, "description": "垃圾未清运"}]}


def post_photo(client: Client, site: Site, key: str):
    return client.post("/api/v1/photos", {"file": io.BytesIO(jpeg(3)), "village": site.village, "client_key": key,
                                          "lat": site.lat, "lon": site.lon, "accuracy_m": 5.0})


def post_inspection(client: Client, body: dict):
    return client.post("/api/v1/inspections", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
def test_photo_and_inspection_posts(role, places, users, client_for):
    """Outside the area: 404 and nothing stored (no row, no file, no audit event). Inside: the leader is refused
    both with 403 (consistently in every township: the village is visible to them) and stores nothing; village
    staff store their photo but are refused the inspection with 403 (elsewhere 404), nothing stored; the others
    store both (checked with the token only)."""
    user = users[role]
    clients = {"bearer": bearer(token_create(actor=SYSTEM, user=user)), "session": client_for(user)}
    not_found = {"detail": zh("Not found, or outside your area.")}
    forbidden = {"detail": zh("You may not see or change this.")}
    for site in places.sites.values():
        sees = in_area(role, site.path)
        for how, client in clients.items():
            if sees and role not in ("leader", "village_staff") and how == "session":
                continue  # a stored photo and inspection through the token are enough
            key = f"w-{role}-{how}-{site.town}"
            before = stored()
            photo = post_photo(client, site, key)
            between = stored()
            inspection = post_inspection(client, inspection_body(places, site, key))
            if not sees:
                assert (photo.status_code, inspection.status_code) == (404, 404), (how, site.town)
                assert photo.json() == not_found and inspection.json() == not_found
                assert stored() == before, (how, site.town)
                continue
            # Inside the area: the leader writes nothing (403, consistently for every township: the village is
            # visible to them); village staff report but do not inspect (403); the others may.
            if role == "leader":
                assert (photo.status_code, inspection.status_code) == (403, 403), (how, site.town)
                assert photo.json() == forbidden and inspection.json() == forbidden
                assert stored() == before, (how, site.town)
                continue
            assert photo.status_code == 201, (how, site.town, photo.content)
            assert Photo.objects.get(pk=photo.json()["id"]).village.code == site.village
            if role == "village_staff":
                assert inspection.status_code == 403, (how, site.town)
                assert inspection.json() == forbidden
                assert stored() == between, (how, site.town)
                continue
            assert inspection.status_code == 201, (how, site.town, inspection.content)
            assert inspection.json()["village"] == site.village and len(inspection.json()["problems"]) == 1


# Checklists ------------------------------------------------------------------------------------------------


def zhongquan_checklist(office, campaign) -> Checklist:
    return inspection_services.checklist_save(
        actor=office, campaign=campaign, key="zhongquan-matrix", name="中泉镇矩阵检查表",
        town=Unit.objects.get(code=ZHONGQUAN), critical_cap=60.0,
        items=[inspection_services.ItemInput("环境", "巷道整洁", 10)])


@pytest.mark.parametrize("role", ROLES)
def test_township_checklists_are_seen_only_inside_the_area(role, users, client_for):
    campaign = campaign_get()
    county = inspection_services.checklist_default(campaign)
    own = zhongquan_checklist(users["office"], campaign)
    client = client_for(users[role])
    api = bearer(token_create(actor=SYSTEM, user=users[role]))
    town_checklists = list(Checklist.objects.filter(campaign=campaign, town__isnull=False).select_related("town"))
    assert own.pk in {c.pk for c in town_checklists} and len({c.town_id for c in town_checklists}) >= 2

    response = client.get("/checklists/")
    if role == "village_staff":  # no checklist page at all
        assert response.status_code == 403
        assert "中泉镇" not in response.content.decode()
    else:
        assert response.status_code == 200
        listed = {int(pk) for pk in CHECKLIST_LINK.findall(response.content.decode())}
        assert county.pk in listed
        for c in town_checklists:
            assert (c.pk in listed) is in_area(role, c.town.path), (c.key, c.version)
        assert ("中泉镇矩阵检查表" in response.content.decode()) is (role in READ_ALL)
    for c in town_checklists:
        sees = role != "village_staff" and in_area(role, c.town.path)
        response = api.get(f"/api/v1/checklists/{c.pk}")
        assert response.status_code == (200 if sees else 404), (c.key, c.version)
        if sees:
            assert response.json()["town"] == c.town.code
        else:
            assert response.json() == {"detail": zh("Not found, or outside your area.")}
        # The edit page is the office's, and a township's staff's for their own township's checklists; an older
        # version's edit page sends the editor on to the latest one.
        manages = role in MANAGE_ALL or (role == "town_staff" and c.town.code == STAFF_TOWN)
        latest = not Checklist.objects.filter(campaign=campaign, key=c.key, version__gt=c.version).exists()
        edit = (200 if latest else 302) if manages else 403
        for url, expected in ((f"/checklists/{c.pk}/", 200), (f"/checklists/{c.pk}/edit/", edit)):
            response = client.get(url)
            if sees:
                assert response.status_code == expected, (url, c.key, c.version)
            else:
                assert response.status_code == 404, (url, c.key)
                assert c.name not in response.content.decode()
    assert api.get(f"/api/v1/checklists/{own.pk}").status_code == (200 if role in READ_ALL else 404)


@pytest.mark.parametrize("role", ["inspector", "town_staff"])
def test_an_inspection_naming_another_township_s_checklist_is_answered_as_if_it_did_not_exist(role, users):
    """Submitting with the id of a checklist one cannot see must not tell it apart from an id that does not exist
    (otherwise the answer confirms that another township keeps a checklist under that id)."""
    campaign = campaign_get()
    county = inspection_services.checklist_default(campaign)
    hidden = zhongquan_checklist(users["office"], campaign)
    village = village_of(AREA_ROOT[role])
    lon, lat = unit_point_wgs84(village)
    api = bearer(token_create(actor=SYSTEM, user=users[role]))
    missing = Checklist.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    answers = []
    for checklist in (hidden.pk, missing):
        body = {"client_key": f"probe-{checklist}", "village": village.code, "checklist": checklist,
                "marks": [{"item": i.pk, "points": i.max_points} for i in county.items.all()], "lat": lat, "lon": lon}
        before = stored()
        response = post_inspection(api, body)
        assert stored() == before
        answers.append((response.status_code, response.json()["detail"].replace(str(checklist), "N")))
    assert answers[0] == answers[1]
    assert answers[0] == (422, zh("The checklist %(id)s does not exist.") % {"id": "N"})
