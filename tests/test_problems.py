"""The problem's closed loop through its services (dudao.problems.services) and the field API: every status ×
transition, who may move a problem, the refusals (with nothing stored), duplicates, deadlines, overdue problems
and the statistics.

The demo (loaded once for the session) already holds problems in 大水䃎村 reported minutes ago. So that each test
starts from a known state, the ``world`` fixture closes every category's duplicate window (a test that checks
duplicates makes its own category) and tests that count across all problems use periods the demo does not touch.
"""

import datetime as dt
import io
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone, translation
from PIL import Image

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.accounts.services import user_save
from dudao.audit.models import AuditEvent
from dudao.campaigns.models import Campaign
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.notifications.models import Notification
from dudao.org.access import can_report_at
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos.models import Photo
from dudao.photos.services import photo_upload
from dudao.problems import selectors, services
from dudao.problems.models import CalendarDay, Category, PhotoKind, Problem, ProblemEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
VILLAGE = "620423103200"  # 大水䃎村 (demo_village), in 喜泉镇
NEIGHBOUR = "620423103201"  # 喜集水村, also in 喜泉镇
TOWN = "620423103000"  # 喜泉镇 (demo_town)
INSPECTED_TOWN = "620423100000"  # 一条山镇: demo_inspector's area
INSPECTED_VILLAGE = "620423100002"  # 人民路社区, in 一条山镇
TRANSITIONS = ("register", "dispatch", "rectify", "verify", "return", "close", "cancel")
STATUSES = ("reported", "registered", "dispatched", "rectified", "verified", "closed", "returned", "cancelled")
# The diagram of dudao.problems.lifecycle, written out: (from, transition) → to.
ALLOWED = {
    ("reported", "register"): "registered", ("registered", "dispatch"): "dispatched",
    ("dispatched", "rectify"): "rectified", ("returned", "rectify"): "rectified",
    ("rectified", "verify"): "verified", ("rectified", "return"): "returned", ("verified", "close"): "closed",
    ("reported", "cancel"): "cancelled", ("registered", "cancel"): "cancelled",
    ("dispatched", "cancel"): "cancelled", ("returned", "cancel"): "cancelled",
}
# How the services reach each status (office moves, the village's staff rectify).
STEPS = {
    "reported": [],
    "registered": ["register"],
    "dispatched": ["register", "dispatch"],
    "rectified": ["register", "dispatch", "rectify"],
    "verified": ["register", "dispatch", "rectify", "verify"],
    "closed": ["register", "dispatch", "rectify", "verify", "close"],
    "returned": ["register", "dispatch", "rectify", "return"],
    "cancelled": ["cancel"],
}
STATUS_LABELS = {
    "reported": "reported", "registered": "registered", "dispatched": "dispatched", "rectified": "rectified",
    "verified": "verified", "closed": "closed", "returned": "returned for rework", "cancelled": "cancelled",
}
TRANSITION_LABELS = {
    "register": "registered", "dispatch": "dispatched", "rectify": "rectified", "verify": "verified",
    "return": "returned for rework", "close": "closed", "cancel": "cancelled",
}
RECTIFIER_VERIFIES = "You rectified this problem: someone else must verify it."
NOT_FOUND = "Not found, or outside your area."
FORBIDDEN = "You may not see or change this."
METRES_PER_DEGREE_LAT = 111_195.0


@dataclass
class World:
    campaign: Campaign
    categories: dict[str, Category]
    village: Unit
    neighbour: Unit
    town: Unit
    inspected_village: Unit
    users: dict[str, User]


@pytest.fixture(autouse=True)
def english():
    # Messages are checked exactly in English (the source language).
    with translation.override("en"):
        yield


@pytest.fixture
def world(users, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = str(tmp_path)
    campaign = campaign_get()
    services.categories_ensure(campaign)
    Category.objects.filter(campaign=campaign).update(duplicate_hours=0)
    categories = {c.code: c for c in Category.objects.filter(campaign=campaign)}
    units = {u.code: u for u in Unit.objects.filter(code__in=[VILLAGE, NEIGHBOUR, TOWN, INSPECTED_TOWN,
                                                               INSPECTED_VILLAGE])}
    extra = {
        "village_staff_2": (Role.VILLAGE_STAFF, units[VILLAGE]),
        "neighbour_staff": (Role.VILLAGE_STAFF, units[NEIGHBOUR]),
        "other_town": (Role.TOWN_STAFF, units[INSPECTED_TOWN]),
        "inspected_village_staff": (Role.VILLAGE_STAFF, units[INSPECTED_VILLAGE]),
    }
    everyone = dict(users)
    for key, (role, unit) in extra.items():
        everyone[key] = user_save(actor=SYSTEM, username=f"t_{key}", role=role, scope_unit=unit)
    return World(campaign=campaign, categories=categories, village=units[VILLAGE], neighbour=units[NEIGHBOUR],
                 town=units[TOWN], inspected_village=units[INSPECTED_VILLAGE], users=everyone)


def jpeg(colour=(120, 90, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def point(village: Unit, north_m: float = 0.0) -> tuple[float, float]:
    """(lat, lon) of the village's point, moved ``north_m`` metres north."""
    located = unit_point_wgs84(village)
    assert located is not None
    lon, lat = located
    return lat + north_m / METRES_PER_DEGREE_LAT, lon


def photo(w: World, actor: User, village: Unit) -> Photo:
    lat, lon = point(village)
    return photo_upload(actor=actor, campaign=w.campaign, village=village, data=jpeg(), lat=lat, lon=lon)


def report(w: World, actor: User, village: Unit | None = None, category: str = "garbage", **kwargs) -> Problem:
    return services.problem_report(actor=actor, campaign=w.campaign, village=village or w.village,
                                   category=w.categories[category], description="村口垃圾堆放", **kwargs)


def move(w: World, actor: User, problem: Problem, transition: str, note: str | None = None) -> Problem:
    kwargs = {"actor": actor, "problem": problem, "note": f"{transition}: 说明" if note is None else note}
    if transition == "rectify":
        kwargs["photo_ids"] = [photo(w, actor, problem.village).pk]
    return services.TRANSITION_FUNCTIONS[transition](**kwargs)


def drive(w: World, status: str, *, village: Unit | None = None, rectifier: User | None = None,
          category: str = "garbage") -> Problem:
    """A fresh problem in ``status``: reported by the rectifier (village staff: it waits to be registered),
    moved by the office, rectified by the rectifier."""
    village = village or w.village
    rectifier = rectifier or w.users["village_staff"]
    problem = report(w, rectifier, village, category)
    for step in STEPS[status]:
        problem = move(w, rectifier if step == "rectify" else w.users["office"], problem, step)
    assert problem.status == status
    return problem


def state(problem: Problem) -> tuple:
    p = Problem.objects.get(pk=problem.pk)
    return (p.status, p.deadline, p.dispatched_at, p.rectified_at, p.rectified_by_id, p.first_rectified_at,
            p.verified_at, p.closed_at, p.rework_count, p.events.count(), p.problem_photos.count())


@contextmanager
def nothing_changes(problem: Problem):
    before = (state(problem), Problem.objects.count(), AuditEvent.objects.count(), Notification.objects.count())
    yield
    assert (state(problem), Problem.objects.count(), AuditEvent.objects.count(),
            Notification.objects.count()) == before


def refusal(problem: Problem, transition: str) -> str:
    return (f"Problem {problem.number} is {STATUS_LABELS[problem.status]}: "
            f"it cannot be {TRANSITION_LABELS[transition]}.")


def timeline(problem: Problem) -> list[str]:
    return list(ProblemEvent.objects.filter(problem=problem).order_by("at", "pk").values_list("transition", flat=True))


def audit_actions(problem: Problem) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="problem", object_id=str(problem.pk)).order_by("seq")
                .values_list("action", flat=True))


# Every status × every transition ----------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "transition"), [(s, t) for s in STATUSES for t in TRANSITIONS])
def test_every_transition_from_every_status(world, status, transition):
    office = world.users["office"]
    problem = drive(world, status)
    photo_ids = [photo(world, office, problem.village).pk] if transition == "rectify" else []
    kwargs: dict = {"actor": office, "problem": problem, "note": "说明理由"}
    if transition == "rectify":
        kwargs["photo_ids"] = photo_ids
    function = services.TRANSITION_FUNCTIONS[transition]
    if (status, transition) in ALLOWED:
        events, audits = ProblemEvent.objects.count(), AuditEvent.objects.count()
        changed = function(**kwargs)
        target = ALLOWED[(status, transition)]
        assert changed.status == target
        assert Problem.objects.get(pk=problem.pk).status == target
        assert ProblemEvent.objects.count() == events + 1
        event = ProblemEvent.objects.filter(problem=problem).latest("pk")
        assert (event.transition, event.from_status, event.to_status, event.actor_id, event.actor_label,
                event.note) == (transition, status, target, office.pk, "demo_office", "说明理由")
        assert AuditEvent.objects.count() == audits + 1
        audit = AuditEvent.objects.latest("seq")
        assert (audit.action, audit.object_type, audit.object_id, audit.actor_id) == (
            f"problem.{transition}", "problem", str(problem.pk), office.pk)
        assert audit.before["status"] == status
        assert audit.after["status"] == target
        assert audit.after["photos"] == photo_ids
    else:
        with nothing_changes(problem), pytest.raises(Refused) as refused:
            function(**kwargs)
        assert refused.value.code == "transition_refused"
        assert refused.value.message == refusal(problem, transition)
        assert problem.number in refused.value.message


def test_the_whole_loop_is_on_the_timeline_and_in_the_audit_log(world):
    office, village_staff = world.users["office"], world.users["village_staff"]
    problem = drive(world, "returned")
    problem = move(world, village_staff, problem, "rectify")
    problem = move(world, office, problem, "verify")
    problem = move(world, office, problem, "close")
    loop = ["report", "register", "dispatch", "rectify", "return", "rectify", "verify", "close"]
    assert timeline(problem) == loop
    assert audit_actions(problem) == [f"problem.{t}" for t in loop]
    events = list(ProblemEvent.objects.filter(problem=problem).order_by("at", "pk"))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", "reported"), ("reported", "registered"), ("registered", "dispatched"), ("dispatched", "rectified"),
        ("rectified", "returned"), ("returned", "rectified"), ("rectified", "verified"), ("verified", "closed")]
    assert [e.actor_label for e in events] == ["demo_village", "demo_office", "demo_office", "demo_village",
                                               "demo_office", "demo_village", "demo_office", "demo_office"]
    # Each rectification carries its after-photo, attached to its own event.
    rectifications = [e for e in events if e.transition == "rectify"]
    assert [list(e.photos.values_list("kind", flat=True)) for e in rectifications] == [["after"], ["after"]]
    problem.refresh_from_db()
    assert problem.status == "closed"
    assert problem.rework_count == 1
    assert problem.closed_at == events[-1].at
    assert problem.verified_at == events[-2].at
    assert problem.rectified_at == events[5].at
    assert problem.first_rectified_at == events[3].at
    assert problem.rectified_by_id == village_staff.pk


# Who may move a problem ----------------------------------------------------------------------------------------
# The transition is tried from a status that allows it, so only the actor's rights decide.
START = {"register": "reported", "dispatch": "registered", "rectify": "dispatched", "verify": "rectified",
         "return": "rectified", "close": "verified", "cancel": "dispatched"}
MAY = {
    "office": set(TRANSITIONS),
    "county_admin": set(TRANSITIONS),
    "town_staff": set(TRANSITIONS),
    "village_staff": {"rectify"},
    "inspector": {"verify", "return"},  # on a problem in the inspector's township
    "inspector_elsewhere": set(),  # demo_inspector on a problem in 喜泉镇
    "leader": set(),
    "other_town": set(),  # township staff of 一条山镇 on a problem in 喜泉镇
    "neighbour_staff": set(),  # village staff of 喜集水村 on a problem in 大水䃎村
}


@pytest.mark.parametrize(("who", "transition"), [(w, t) for w in MAY for t in TRANSITIONS])
def test_who_may_move_a_problem(world, who, transition):
    if who == "inspector":
        actor, village, rectifier = (world.users["inspector"], world.inspected_village,
                                     world.users["inspected_village_staff"])
    else:
        # Rectified by a second village account, so that demo_village is never the rectifier here.
        actor = world.users["inspector" if who == "inspector_elsewhere" else who]
        village, rectifier = world.village, world.users["village_staff_2"]
    problem = drive(world, START[transition], village=village, rectifier=rectifier)
    kwargs: dict = {"actor": actor, "problem": problem, "note": "说明理由"}
    if transition == "rectify":
        can_upload = can_report_at(actor, village)
        kwargs["photo_ids"] = [photo(world, actor, village).pk] if can_upload else []
    allowed = transition in MAY[who]
    assert (transition in services.allowed_for(actor, problem)) is allowed
    function = services.TRANSITION_FUNCTIONS[transition]
    if allowed:
        changed = function(**kwargs)
        assert changed.status == ALLOWED[(START[transition], transition)]
        assert ProblemEvent.objects.filter(problem=problem).latest("pk").actor_id == actor.pk
    else:
        with nothing_changes(problem), pytest.raises(PermissionDenied):
            function(**kwargs)


def allowed_from(status: str) -> list[str]:
    return [t for (s, t) in ALLOWED if s == status]


def test_leader_may_move_nothing_from_any_status(world):
    leader = world.users["leader"]
    for status in STATUSES:
        problem = drive(world, status)
        assert services.allowed_for(leader, problem) == []
        for transition in allowed_from(status):
            kwargs: dict = {"actor": leader, "problem": problem, "note": "说明理由"}
            if transition == "rectify":
                kwargs["photo_ids"] = []
            with nothing_changes(problem), pytest.raises(PermissionDenied):
                services.TRANSITION_FUNCTIONS[transition](**kwargs)


# Refusals ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("photo_ids", [[], ()])
def test_rectify_without_an_after_photo_is_refused(world, photo_ids):
    problem = drive(world, "dispatched")
    with nothing_changes(problem), pytest.raises(Refused) as refused:
        services.problem_rectify(actor=world.users["village_staff"], problem=problem, photo_ids=photo_ids)
    assert refused.value.code == "after_photo_required"
    assert refused.value.message == "Rectification needs at least one photo of the result."


def test_rectify_with_someone_elses_photo_is_refused(world):
    problem = drive(world, "dispatched")
    others = photo(world, world.users["village_staff_2"], world.village)
    own = photo(world, world.users["village_staff"], world.village)
    with nothing_changes(problem), pytest.raises(Refused) as refused:
        services.problem_rectify(actor=world.users["village_staff"], problem=problem, photo_ids=[own.pk, others.pk])
    assert refused.value.code == "unknown_photo"
    assert refused.value.message == f"The photos {others.pk} were not uploaded by you."
    missing = Photo.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    with nothing_changes(problem), pytest.raises(Refused) as refused:
        services.problem_rectify(actor=world.users["village_staff"], problem=problem, photo_ids=[missing])
    assert refused.value.code == "unknown_photo"
    assert refused.value.message == f"The photos {missing} were not uploaded by you."


@pytest.mark.parametrize("rectifier", ["office", "town_staff"])
@pytest.mark.parametrize("transition", ["verify", "return"])
def test_the_rectifier_may_not_verify_or_return(world, rectifier, transition):
    actor = world.users[rectifier]
    problem = drive(world, "dispatched")
    problem = move(world, actor, problem, "rectify")
    assert problem.rectified_by_id == actor.pk
    assert services.allowed_for(actor, problem) == []
    with nothing_changes(problem), pytest.raises(Refused) as refused:
        services.TRANSITION_FUNCTIONS[transition](actor=actor, problem=problem, note="仍未整改")
    assert refused.value.code == "rectifier_verifies"
    assert refused.value.message == RECTIFIER_VERIFIES
    # Anyone else with the right may.
    other = world.users["county_admin"]
    assert services.allowed_for(other, problem) == ["verify", "return"]
    assert services.TRANSITION_FUNCTIONS[transition](actor=other, problem=problem, note="仍未整改").status == \
        ALLOWED[("rectified", transition)]


@pytest.mark.parametrize(("status", "transition"), [("rectified", "return"), ("reported", "cancel"),
                                                    ("registered", "cancel"), ("dispatched", "cancel"),
                                                    ("returned", "cancel")])
@pytest.mark.parametrize("note", ["", "   \n "])
def test_return_and_cancel_need_a_reason(world, status, transition, note):
    problem = drive(world, status)
    with nothing_changes(problem), pytest.raises(Refused) as refused:
        services.TRANSITION_FUNCTIONS[transition](actor=world.users["office"], problem=problem, note=note)
    assert refused.value.code == "reason_required"
    assert refused.value.message == "Give the reason."


def test_rework_is_counted_and_the_deadline_stands(world):
    office, village_staff = world.users["office"], world.users["village_staff"]
    problem = drive(world, "rectified")
    deadline, first = problem.deadline, problem.first_rectified_at
    assert deadline is not None
    assert first == problem.rectified_at
    for n in (1, 2, 3):
        problem = services.problem_return(actor=office, problem=problem, note=f"第{n}次：仍有垃圾")
        assert (problem.status, problem.rework_count, problem.deadline) == ("returned", n, deadline)
        problem = move(world, village_staff, problem, "rectify")
        assert (problem.status, problem.rework_count, problem.deadline) == ("rectified", n, deadline)
        assert problem.first_rectified_at == first
        assert problem.rectified_at > first
    problem = move(world, office, problem, "verify")
    problem.refresh_from_db()
    assert (problem.status, problem.rework_count, problem.deadline, problem.first_rectified_at) == (
        "verified", 3, deadline, first)
    notes = list(ProblemEvent.objects.filter(problem=problem, transition="return").order_by("pk")
                 .values_list("note", flat=True))
    assert notes == ["第1次：仍有垃圾", "第2次：仍有垃圾", "第3次：仍有垃圾"]
    returns = AuditEvent.objects.filter(object_type="problem", object_id=str(problem.pk), action="problem.return")
    assert [(a.before["rework"], a.after["rework"]) for a in returns.order_by("seq")] == [(0, 1), (1, 2), (2, 3)]


# Reporting -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["office", "county_admin", "inspector"])
def test_the_campaigns_own_reports_are_dispatched_at_once(world, who):
    actor = world.users[who]
    village = world.inspected_village if who == "inspector" else world.village
    problem = report(world, actor, village, "building", source="inspection")
    assert problem.status == "dispatched"
    assert problem.possible_duplicate_of_id is None
    assert timeline(problem) == ["report", "register", "dispatch"]
    assert audit_actions(problem) == ["problem.report", "problem.register", "problem.dispatch"]
    assert list(ProblemEvent.objects.filter(problem=problem).values_list("actor_id", flat=True)) == [actor.pk] * 3
    stored = Problem.objects.get(pk=problem.pk)
    assert stored.reported_by_id == actor.pk
    assert stored.dispatched_at is not None
    assert stored.dispatched_at >= stored.reported_at
    assert stored.deadline == services.deadline_for(world.categories["building"], stored.dispatched_at)
    assert timezone.localtime(stored.deadline).time() == dt.time(23, 59, 59)
    assert stored.town.code == (INSPECTED_TOWN if who == "inspector" else TOWN)


@pytest.mark.parametrize("who", ["village_staff", "town_staff"])
def test_village_and_township_reports_wait_to_be_registered(world, who):
    problem = report(world, world.users[who], source="grid")
    stored = Problem.objects.get(pk=problem.pk)
    assert (stored.status, stored.dispatched_at, stored.deadline) == ("reported", None, None)
    assert timeline(problem) == ["report"]
    assert audit_actions(problem) == ["problem.report"]
    assert Notification.objects.filter(params__number=problem.number).count() == 0


def test_a_report_keeps_its_before_photos_and_takes_their_position(world):
    village_staff = world.users["village_staff"]
    first, second = photo(world, village_staff, world.village), photo(world, village_staff, world.village)
    problem = report(world, village_staff, photo_ids=[first.pk, second.pk])
    assert (problem.lat, problem.lon) == (first.lat, first.lon)
    rows = sorted(problem.problem_photos.values_list("photo_id", "kind", "event__transition"))
    assert rows == [(first.pk, PhotoKind.BEFORE, "report"), (second.pk, PhotoKind.BEFORE, "report")]


@pytest.mark.parametrize(("who", "village"), [("village_staff", NEIGHBOUR), ("town_staff", INSPECTED_VILLAGE),
                                              ("inspector", VILLAGE), ("leader", VILLAGE),
                                              ("other_town", VILLAGE)])
def test_reporting_outside_ones_area_is_refused(world, who, village):
    before = (Problem.objects.count(), AuditEvent.objects.count(), ProblemEvent.objects.count())
    with pytest.raises(PermissionDenied):
        report(world, world.users[who], Unit.objects.get(code=village))
    assert (Problem.objects.count(), AuditEvent.objects.count(), ProblemEvent.objects.count()) == before


@pytest.mark.parametrize(("kwargs", "code", "message"), [
    ({"description": "  "}, "description_required", "Describe the problem."),
    ({"source": "rumour"}, "bad_source", "The source “rumour” is unknown."),
    ({"lat": 39.9042, "lon": 116.4074}, "outside_county", "The position 39.90420, 116.40740 lies outside the county."),
    ({"lat": 95.0, "lon": 104.0}, "bad_position", "The position 95.0, 104.0 is not a latitude and longitude."),
])
def test_bad_reports_are_refused(world, kwargs, code, message):
    before = (Problem.objects.count(), AuditEvent.objects.count())
    arguments = {"actor": world.users["office"], "campaign": world.campaign, "village": world.village,
                 "category": world.categories["garbage"], "description": "村口垃圾"} | kwargs
    with pytest.raises(Refused) as refused:
        services.problem_report(**arguments)
    assert (refused.value.code, refused.value.message) == (code, message)
    assert (Problem.objects.count(), AuditEvent.objects.count()) == before


def test_a_category_out_of_use_is_refused(world):
    category = world.categories["other"]
    category.active = False
    category.save()
    with pytest.raises(Refused) as refused:
        report(world, world.users["office"], category="other")
    assert refused.value.code == "bad_category"


def test_the_same_client_key_returns_the_same_problem(world):
    office = world.users["office"]
    first = report(world, office, client_key="phone-1")
    count, audits = Problem.objects.count(), AuditEvent.objects.count()
    again = report(world, office, client_key=" phone-1 ")
    assert again.pk == first.pk
    assert (Problem.objects.count(), AuditEvent.objects.count()) == (count, audits)
    # The key is the reporter's: another user's identical key is another problem.
    other = report(world, world.users["county_admin"], category="sewage", client_key="phone-1")
    assert other.pk != first.pk


# Duplicates ----------------------------------------------------------------------------------------------------


@pytest.fixture
def dup_category(world) -> Category:
    # A category of its own, so that the demo's problems are never candidates.
    return Category.objects.create(campaign=world.campaign, code="t-dup", name="测试重复", duplicate_radius_m=100,
                                   duplicate_hours=24)


def report_at(w: World, category: Category, north_m: float, actor: User | None = None,
              village: Unit | None = None, positioned: bool = True) -> Problem:
    lat, lon = point(village or w.village, north_m)
    return services.problem_report(actor=actor or w.users["office"], campaign=w.campaign,
                                   village=village or w.village, category=category, description="垃圾",
                                   lat=lat if positioned else None, lon=lon if positioned else None)


@pytest.mark.parametrize("north_m", [0, 50, 99])
def test_a_report_within_the_radius_and_window_is_a_possible_duplicate(world, dup_category, north_m):
    first = report_at(world, dup_category, 0)
    assert first.status == "dispatched"
    second = report_at(world, dup_category, north_m)
    assert second.possible_duplicate_of_id == first.pk
    # Not dispatched at once: someone decides whether it is new.
    assert second.status == "reported"
    assert timeline(second) == ["report"]
    assert AuditEvent.objects.get(object_type="problem", object_id=str(second.pk)).after["duplicate_of"] == first.pk


@pytest.mark.parametrize("north_m", [101, 150, 1000])
def test_a_report_outside_the_radius_is_new(world, dup_category, north_m):
    report_at(world, dup_category, 0)
    second = report_at(world, dup_category, north_m)
    assert second.possible_duplicate_of_id is None
    assert second.status == "dispatched"


def test_the_radius_is_the_categorys(world, dup_category):
    report_at(world, dup_category, 0)
    Category.objects.filter(pk=dup_category.pk).update(duplicate_radius_m=300)
    dup_category.refresh_from_db()
    assert report_at(world, dup_category, 250).possible_duplicate_of_id is not None
    assert report_at(world, dup_category, 600).possible_duplicate_of_id is None


def test_another_category_is_not_a_duplicate(world, dup_category):
    report_at(world, dup_category, 0)
    other = Category.objects.create(campaign=world.campaign, code="t-dup2", name="测试重复二",
                                    duplicate_radius_m=100, duplicate_hours=24)
    second = report_at(world, other, 0)
    assert second.possible_duplicate_of_id is None
    assert second.status == "dispatched"


@pytest.mark.parametrize(("hours_ago", "duplicate"), [(23, True), (23.9, True), (24.1, False), (25, False)])
def test_the_window_is_the_categorys(world, dup_category, hours_ago, duplicate):
    first = report_at(world, dup_category, 0)
    Problem.objects.filter(pk=first.pk).update(reported_at=F("reported_at") - dt.timedelta(hours=hours_ago))
    second = report_at(world, dup_category, 10)
    assert second.possible_duplicate_of_id == (first.pk if duplicate else None)
    assert second.status == ("reported" if duplicate else "dispatched")


@pytest.mark.parametrize("finished", ["cancelled", "closed"])
def test_a_finished_problem_is_not_a_duplicate(world, dup_category, finished):
    """find_duplicate promises "an earlier open problem": a heap that comes back after the last one was cleared
    and closed is a new problem and goes to the village at once."""
    first = report_at(world, dup_category, 0)
    if finished == "cancelled":
        services.problem_cancel(actor=world.users["office"], problem=first, note="误报")
    else:
        first = move(world, world.users["village_staff"], first, "rectify")
        first = move(world, world.users["office"], first, "verify")
        move(world, world.users["office"], first, "close")
    second = report_at(world, dup_category, 10)
    assert second.possible_duplicate_of_id is None
    assert second.status == "dispatched"


def test_position_decides_not_the_village(world, dup_category):
    first = report_at(world, dup_category, 0)
    # Reported for the neighbouring village, 20 m from the first.
    lat, lon = point(world.village, 20)
    second = services.problem_report(actor=world.users["office"], campaign=world.campaign, village=world.neighbour,
                                     category=dup_category, description="垃圾", lat=lat, lon=lon)
    assert second.possible_duplicate_of_id == first.pk


def test_without_positions_the_same_village_decides(world, dup_category):
    first = report_at(world, dup_category, 0, positioned=False)
    assert report_at(world, dup_category, 0, positioned=False).possible_duplicate_of_id == first.pk
    assert report_at(world, dup_category, 0, village=world.neighbour,
                     positioned=False).possible_duplicate_of_id is None


def test_a_village_staff_report_is_marked_too(world, dup_category):
    first = report_at(world, dup_category, 0)
    second = report_at(world, dup_category, 30, actor=world.users["village_staff"])
    assert (second.status, second.possible_duplicate_of_id) == ("reported", first.pk)


# Deadlines -----------------------------------------------------------------------------------------------------
# March 2026: Wed 4, Thu 5, Fri 6, Sat 7, Sun 8, Mon 9.


def local(day: int, hour: int = 10, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


def end_of(day: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, 23, 59, 59, tzinfo=SHANGHAI)


def category(days: int) -> Category:
    return Category(code="x", name="x", working_days=days)


@pytest.mark.parametrize(("start", "days", "expected"), [
    (local(4), 0, end_of(4)),
    (local(4, 23), 0, end_of(4)),
    (local(6), 0, end_of(6)),
    (local(7), 0, end_of(9)),
    (local(8, 1), 0, end_of(9)),
    (local(4), 1, end_of(5)),
    (local(6), 1, end_of(9)),
    (local(4), 3, end_of(9)),
])
def test_deadline_for_uses_the_categorys_working_days(db, start, days, expected):
    due = services.deadline_for(category(days), start)
    assert due == expected
    assert due.utcoffset() == dt.timedelta(hours=8)


def test_deadline_for_counts_in_local_time(db):
    # 17:00 UTC on Wednesday is 01:00 on Thursday in Jingtai: the same day is Thursday.
    start = dt.datetime(2026, 3, 4, 17, 0, tzinfo=dt.UTC)
    assert services.deadline_for(category(0), start) == end_of(5)
    assert services.deadline_for(category(0), dt.datetime(2026, 3, 4, 15, 59, tzinfo=dt.UTC)) == end_of(4)


def test_deadline_for_follows_the_calendar(db):
    CalendarDay.objects.create(date=dt.date(2026, 3, 5), working=False, note="假日")
    CalendarDay.objects.create(date=dt.date(2026, 3, 6), working=False, note="假日")
    CalendarDay.objects.create(date=dt.date(2026, 3, 7), working=True, note="调休上班")
    assert services.deadline_for(category(0), local(4)) == end_of(4)
    assert services.deadline_for(category(1), local(4)) == end_of(7)  # Thu, Fri off; the worked Saturday
    assert services.deadline_for(category(2), local(4)) == end_of(9)
    assert services.deadline_for(category(0), local(5)) == end_of(7)  # reported on the holiday
    assert services.deadline_for(category(0), local(7)) == end_of(7)  # the worked Saturday itself
    assert services.deadline_for(category(0), local(8)) == end_of(9)


def test_a_working_day_exception_far_ahead_counts(db):
    CalendarDay.objects.create(date=dt.date(2026, 3, 16), working=False, note="假日")
    # Monday 9 March + 5 working days: Tue–Fri, then Monday 16 is off, so Tuesday 17.
    assert services.deadline_for(category(5), local(9)) == end_of(17)


def test_dispatch_sets_the_deadline_from_the_category(world):
    building = world.categories["building"]
    assert building.working_days == 3
    registered = drive(world, "registered", category="building")
    problem = services.problem_dispatch(actor=world.users["office"], problem=registered)
    stored = Problem.objects.get(pk=problem.pk)
    assert stored.deadline == services.deadline_for(building, stored.dispatched_at)
    assert stored.deadline > services.deadline_for(category(0), stored.dispatched_at)
    # The configured days, not the default: a category changed to 0 days gives the same-day deadline.
    Category.objects.filter(pk=building.pk).update(working_days=0)
    building.refresh_from_db()
    again = services.problem_dispatch(actor=world.users["office"], problem=drive(world, "registered",
                                                                                 category="building"))
    stored = Problem.objects.get(pk=again.pk)
    assert stored.deadline == services.deadline_for(category(0), stored.dispatched_at)


def test_default_categories(world):
    rows = list(Category.objects.filter(campaign=world.campaign).exclude(code__startswith="t-").order_by("position")
                .values_list("code", "name", "working_days"))
    assert rows == [("garbage", "垃圾治理", 0), ("sewage", "污水治理", 0), ("toilet", "厕所革命", 1),
                    ("stacking", "乱堆乱放", 0), ("building", "乱搭乱建", 3), ("posting", "乱贴乱画", 0),
                    ("upkeep", "长效管护", 1), ("other", "其他", 0)]


# Overdue -------------------------------------------------------------------------------------------------------


@pytest.fixture
def overdue_set(world):
    """Four problems in 大水䃎村: dispatched and returned past their deadline, dispatched in time, rectified late."""
    now = timezone.now()
    # The demo's problems have been told already (their deadlines may pass while the tests run).
    Problem.objects.update(overdue_notified_at=now - dt.timedelta(days=1))
    late = drive(world, "dispatched")
    returned = drive(world, "returned")
    in_time = drive(world, "dispatched")
    rectified = drive(world, "rectified")
    past = now - dt.timedelta(hours=1)
    Problem.objects.filter(pk__in=[late.pk, returned.pk, rectified.pk]).update(deadline=past)
    Problem.objects.filter(pk=in_time.pk).update(deadline=now + dt.timedelta(hours=1))
    return {"late": late, "returned": returned, "in_time": in_time, "rectified": rectified, "now": now}


def test_overdue_problems_are_listed(world, overdue_set):
    mine = [overdue_set[k].pk for k in ("late", "returned", "in_time", "rectified")]
    listed = set(Problem.objects.filter(selectors.overdue_q(overdue_set["now"]), pk__in=mine)
                 .values_list("pk", flat=True))
    assert listed == {overdue_set["late"].pk, overdue_set["returned"].pk}
    filtered = selectors.problems_filtered(world.users["town_staff"], selectors.Filters(overdue=True))
    assert set(filtered.filter(pk__in=mine).values_list("pk", flat=True)) == listed
    # Before the deadline nothing is overdue.
    early = overdue_set["now"] - dt.timedelta(hours=2)
    assert not Problem.objects.filter(selectors.overdue_q(early), pk__in=mine).exists()


def test_overdue_problems_are_told_once(world, overdue_set):
    now = overdue_set["now"]
    late, returned = overdue_set["late"], overdue_set["returned"]
    notifications = Notification.objects.count()
    told = services.problems_overdue_notify(now=now)
    assert sorted(p.pk for p in told) == sorted([late.pk, returned.pk])
    rows = Notification.objects.filter(kind="problem_overdue", created_at__gte=now)
    by_problem = {}
    for n in rows:
        by_problem.setdefault(n.params["number"], []).append(n.recipient.username)
    staff = sorted(["demo_town", "demo_village", "t_village_staff_2"])
    assert {k: sorted(v) for k, v in by_problem.items()} == {late.number: staff, returned.number: staff}
    assert Notification.objects.count() == notifications + 6
    assert set(Problem.objects.filter(pk__in=[late.pk, returned.pk]).values_list("overdue_notified_at",
                                                                               flat=True)) == {now}
    assert Problem.objects.get(pk=overdue_set["in_time"].pk).overdue_notified_at is None
    audit = AuditEvent.objects.filter(action="problem.overdue").latest("seq")
    assert sorted(audit.after["problems"]) == sorted([late.pk, returned.pk])
    assert audit.actor_label == "system:cli"
    # The second round tells nobody.
    audits = AuditEvent.objects.count()
    assert services.problems_overdue_notify(now=now + dt.timedelta(minutes=5)) == []
    assert Notification.objects.count() == notifications + 6
    assert AuditEvent.objects.count() == audits


# Statistics ----------------------------------------------------------------------------------------------------


def test_problem_stats_for_a_constructed_week(world, client_for):
    office, village_staff = world.users["office"], world.users["village_staff"]
    week = dt.datetime(2024, 1, 8, tzinfo=SHANGHAI)  # Monday of 2024-W02, long before the demo's history
    now = timezone.now()

    def place(problem: Problem, day: int, due: dt.datetime | None = None, fixed: dt.datetime | None = None):
        fields: dict = {"reported_at": week + dt.timedelta(days=day, hours=9)}
        if due is not None:
            fields["deadline"] = due
        if fixed is not None:
            fields["first_rectified_at"] = fixed
        Problem.objects.filter(pk=problem.pk).update(**fields)

    due = week + dt.timedelta(days=1, hours=23, minutes=59, seconds=59)
    on_time = drive(world, "closed")
    place(on_time, 1, due, due - dt.timedelta(hours=3))
    late_fix = drive(world, "verified")
    place(late_fix, 1, due, due + dt.timedelta(hours=20))
    overdue = drive(world, "dispatched")
    place(overdue, 2, week + dt.timedelta(days=2, hours=23))
    waiting = drive(world, "dispatched")
    place(waiting, 3, now + dt.timedelta(days=1))
    cancelled = drive(world, "cancelled")
    place(cancelled, 3)
    reworked = drive(world, "rectified")
    for _ in range(2):
        reworked = services.problem_return(actor=office, problem=reworked, note="返工")
        reworked = move(world, village_staff, reworked, "rectify")
    place(reworked, 4, due + dt.timedelta(days=3), due + dt.timedelta(days=2))
    reported = drive(world, "reported")
    place(reported, 6)
    before_week = drive(world, "closed")
    place(before_week, -1, due, due - dt.timedelta(hours=3))
    after_week = drive(world, "dispatched")
    place(after_week, 7, week)
    neighbour = drive(world, "closed", village=world.neighbour, rectifier=world.users["neighbour_staff"])
    place(neighbour, 5, due + dt.timedelta(days=4), due + dt.timedelta(days=3))

    stats = selectors.problem_stats(world.campaign, week, week + dt.timedelta(days=7), now=now)
    assert stats == {
        world.village.pk: selectors.Stats(found=6, rectified_on_time=1, overdue=2, rework=2, open=5),
        world.neighbour.pk: selectors.Stats(found=1, rectified_on_time=1, overdue=0, rework=0, open=0),
    }
    by_town = selectors.problem_stats(world.campaign, week, week + dt.timedelta(days=7), now=now, by="town")
    assert by_town == {world.town.pk: selectors.Stats(found=7, rectified_on_time=2, overdue=2, rework=2, open=5)}
    # Later, the waiting problem is overdue too.
    later = selectors.problem_stats(world.campaign, week, week + dt.timedelta(days=7),
                                    now=now + dt.timedelta(days=2))
    assert later[world.village.pk] == selectors.Stats(found=6, rectified_on_time=1, overdue=3, rework=2, open=5)

    # The API gives the same numbers for the week, within the caller's area.
    rows = client_for(office).get("/api/v1/problems/stats?week=2024-W02").json()
    assert rows == [
        {"code": VILLAGE, "name": "大水䃎村", "found": 6, "rectified_on_time": 1, "overdue": 2, "rework": 2,
         "open": 5},
        {"code": NEIGHBOUR, "name": "喜集水村", "found": 1, "rectified_on_time": 1, "overdue": 0, "rework": 0,
         "open": 0},
    ]
    village_rows = client_for(village_staff).get("/api/v1/problems/stats?week=2024-W02").json()
    assert [r["code"] for r in village_rows] == [VILLAGE]


# The API: refusals answer in JSON and change nothing ------------------------------------------------------------


def api_post(client, path: str, payload: dict):
    return client.post(path, payload, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def test_api_refuses_a_transition_the_status_does_not_allow(world, client_for):
    problem = drive(world, "dispatched")
    client = client_for(world.users["office"])
    with nothing_changes(problem):
        response = api_post(client, f"/api/v1/problems/{problem.pk}/close", {})
    assert response.status_code == 409
    assert response.json() == {"detail": f"Problem {problem.number} is dispatched: it cannot be closed."}


def test_api_refuses_verification_by_the_rectifier(world, client_for):
    town = world.users["town_staff"]
    problem = move(world, town, drive(world, "dispatched"), "rectify")
    client = client_for(town)
    with nothing_changes(problem):
        response = api_post(client, f"/api/v1/problems/{problem.pk}/verify", {"note": "好"})
    assert response.status_code == 422
    assert response.json() == {"detail": RECTIFIER_VERIFIES}


def test_api_hides_a_problem_outside_the_area(world, client_for):
    problem = drive(world, "reported")
    for who in ("other_town", "neighbour_staff", "inspector"):
        client = client_for(world.users[who])
        with nothing_changes(problem):
            response = api_post(client, f"/api/v1/problems/{problem.pk}/register", {})
        assert response.status_code == 404
        assert response.json() == {"detail": NOT_FOUND}
        assert client.get(f"/api/v1/problems/{problem.pk}").status_code == 404


def test_api_forbids_the_leader(world, client_for):
    problem = drive(world, "reported")
    client = client_for(world.users["leader"])
    with nothing_changes(problem):
        response = api_post(client, f"/api/v1/problems/{problem.pk}/register", {})
    assert response.status_code == 403
    assert response.json() == {"detail": FORBIDDEN}


def test_api_unknown_transition_and_missing_reason(world, client_for):
    problem = drive(world, "rectified")
    client = client_for(world.users["office"])
    with nothing_changes(problem):
        unknown = api_post(client, f"/api/v1/problems/{problem.pk}/reopen", {})
        no_reason = api_post(client, f"/api/v1/problems/{problem.pk}/return", {"note": " "})
    assert unknown.status_code == 404
    assert (no_reason.status_code, no_reason.json()) == (422, {"detail": "Give the reason."})


def test_api_rectify_and_verify(world, client_for):
    village_staff, town = world.users["village_staff"], world.users["town_staff"]
    problem = drive(world, "dispatched")
    after = photo(world, village_staff, world.village)
    client = client_for(village_staff)
    with nothing_changes(problem):
        missing = api_post(client, f"/api/v1/problems/{problem.pk}/rectify", {"photos": []})
    assert (missing.status_code, missing.json()) == (
        422, {"detail": "Rectification needs at least one photo of the result."})
    response = api_post(client, f"/api/v1/problems/{problem.pk}/rectify", {"photos": [after.pk], "note": "已清理"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["after_photos"], body["allowed"]) == ("rectified", [after.pk], [])
    assert [e["transition"] for e in body["events"]] == ["report", "register", "dispatch", "rectify"]
    assert body["events"][-1]["photos"] == [after.pk]
    assert body["events"][-1]["note"] == "已清理"
    verified = api_post(client_for(town), f"/api/v1/problems/{problem.pk}/verify", {})
    assert (verified.status_code, verified.json()["status"]) == (200, "verified")


def test_api_report_is_idempotent(world, client_for):
    client = client_for(world.users["village_staff"])
    payload = {"village": VILLAGE, "category": "garbage", "description": "村口垃圾", "source": "grid",
               "client_key": "t-phone-42"}
    count, audits = Problem.objects.count(), AuditEvent.objects.count()
    first = api_post(client, "/api/v1/problems", payload)
    assert first.status_code == 201
    assert (Problem.objects.count(), AuditEvent.objects.count()) == (count + 1, audits + 1)
    again = api_post(client, "/api/v1/problems", payload)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["status"] == "reported"
    assert (Problem.objects.count(), AuditEvent.objects.count()) == (count + 1, audits + 1)


def test_api_report_outside_the_area(world, client_for):
    client = client_for(world.users["village_staff"])
    count, audits = Problem.objects.count(), AuditEvent.objects.count()
    response = api_post(client, "/api/v1/problems", {"village": NEIGHBOUR, "category": "garbage",
                                                     "description": "垃圾"})
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})
    assert (Problem.objects.count(), AuditEvent.objects.count()) == (count, audits)


@pytest.mark.threads
@pytest.mark.django_db(transaction=True)
def test_two_reports_of_one_heap_at_once_are_one_problem_and_a_possible_duplicate(demo_data, monkeypatch):
    """The duplicate check and the insert act as one: the second report waits for the first to commit, finds it
    and is marked, instead of both finding nothing and both being dispatched."""
    import threading
    import time

    from django.db import connection

    campaign = campaign_get()
    category = Category.objects.create(campaign=campaign, code="t-race", name="测试并发", duplicate_radius_m=100,
                                       duplicate_hours=24)
    village = Unit.objects.get(code=VILLAGE)
    lat, lon = point(village)
    find = services.find_duplicate

    def slow_find(*args, **kwargs):
        found = find(*args, **kwargs)
        time.sleep(0.5)  # the other report's check comes now, before this one's insert commits
        return found

    monkeypatch.setattr(services, "find_duplicate", slow_find)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def report_it(name: str) -> None:
        try:
            barrier.wait()
            services.problem_report(actor=User.objects.get(username=name), campaign=campaign, village=village,
                                    category=category, description="村口垃圾堆放", lat=lat, lon=lon)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=report_it, args=(name,)) for name in ("demo_office", "demo_office")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    first, second = Problem.objects.filter(category=category).order_by("reported_at", "pk")
    assert (first.status, first.possible_duplicate_of_id) == ("dispatched", None)
    assert (second.status, second.possible_duplicate_of_id) == ("reported", first.pk)
