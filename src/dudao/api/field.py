"""The field app's endpoints (CONTRACTS §4): checklists, villages, photos, inspections, problems and
notifications. Every read goes through accounts.access, every write through the owning app's services."""

import datetime as dt
from urllib.parse import unquote

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError

from dudao.accounts import access
from dudao.api.errors import answers
from dudao.api.ids import Id
from dudao.api.paging import offset_query
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.inspections import services as inspection_services
from dudao.inspections.access import checklists_visible_to, inspections_visible_to
from dudao.inspections.models import Checklist
from dudao.inspections.selectors import inspections_filtered
from dudao.notifications import services as notification_services
from dudao.notifications.models import Notification
from dudao.org.access import UNSET, area_roots, in_area, unit_visible_or_404, units_visible_to
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos import imaging
from dudao.photos import services as photo_services
from dudao.photos.access import photos_visible_to
from dudao.photos.models import Photo
from dudao.problems import selectors as problem_selectors
from dudao.problems import services as problem_services
from dudao.problems.access import problems_visible_to
from dudao.problems.models import Category, Problem

router = Router(tags=["field"])


class ItemOut(Schema):
    id: int
    position: int
    section: str
    text: str
    max_points: float
    weight: float
    critical: bool
    allow_na: bool
    category: str


class ChecklistOut(Schema):
    id: int
    key: str
    version: int
    name: str
    town: str | None
    critical_cap: float
    items: list[ItemOut]


class VillageOut(Schema):
    code: str
    name: str
    town: str
    town_name: str
    lon: float | None
    lat: float | None
    pinyin_initials: str


class CategoryOut(Schema):
    code: str
    name: str
    working_days: int


class Bootstrap(Schema):
    username: str
    role: str | None
    checklists: list[ChecklistOut]
    villages: list[VillageOut]
    categories: list[CategoryOut]
    server_time: dt.datetime


class PhotoOut(Schema):
    id: int
    width: int
    height: int
    lat: float | None
    lon: float | None
    location_source: str
    taken_at: dt.datetime | None
    url: str
    thumb_url: str


class MarkIn(Schema):
    item: Id
    points: float | None = None
    not_applicable: bool = False
    note: str = ""


class ProblemIn(Schema):
    item: Id | None = None
    category: str = ""
    description: str = ""
    photos: list[Id] = []
    client_key: str | None = Field(None, max_length=64)  # the models' column


class InspectionIn(Schema):
    client_key: str = Field(max_length=64)
    village: str
    checklist: Id
    marks: list[MarkIn]
    inspected_at: dt.datetime | None = None
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    note: str = ""
    photos: list[Id] = []
    problems: list[ProblemIn] = []


class ProblemRef(Schema):
    id: int
    number: str
    category_name: str
    url: str


class InspectionOut(Schema):
    id: int
    created: bool
    village: str
    village_name: str
    checklist: int
    week: str
    score: float
    critical_failed: bool
    counts: bool
    warnings: list[str]
    warning_texts: list[str]
    inspected_at: dt.datetime
    received_at: dt.datetime
    problems: list[int]
    # The problems the inspection reported, as the field app names them to the inspector.
    problems_reported: list[ProblemRef]
    photos: list[int]


class ProblemReportIn(Schema):
    village: str = ""  # or grid: grid staff name their grid, the village follows from it
    grid: str = ""
    category: str
    description: str
    source: str = ""
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    photos: list[Id] = []
    client_key: str | None = Field(None, max_length=64)  # the models' column


class EventOut(Schema):
    transition: str
    from_status: str
    to_status: str
    actor: str
    at: dt.datetime
    note: str
    photos: list[int]


class ProblemOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    category: str
    category_name: str
    village: str
    village_name: str
    town: str
    grid: str = ""
    source: str
    description: str
    lat: float | None
    lon: float | None
    reported_at: dt.datetime
    deadline: dt.datetime | None
    overdue: bool
    rework_count: int
    possible_duplicate_of: int | None
    allowed: list[str]


class ProblemDetailOut(ProblemOut):
    before_photos: list[int]
    after_photos: list[int]
    events: list[EventOut]


class ProblemPage(Schema):
    count: int
    counts: dict[str, dict[str, int]]
    items: list[ProblemOut]


class TransitionIn(Schema):
    note: str = ""
    photos: list[Id] = []


class StatsOut(Schema):
    code: str
    name: str
    found: int
    rectified_on_time: int
    overdue: int
    rework: int
    open: int


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: dt.datetime
    read: bool


def _refused(error: Refused, status: int = 422) -> HttpError:
    return HttpError(409 if error.code == "key_reused" else status, error.message)


def _same_user(request) -> None:
    """The field app names whose queued item it sends (X-Dudao-User): on a shared phone, an item queued by one
    person must never be stored under another's account."""
    # Browsers cannot put Chinese in a header: the app percent-encodes non-ASCII user names.
    owner = unquote(request.headers.get("X-Dudao-User", ""))
    if owner and owner != request.user.get_username():
        raise HttpError(409, _("This was recorded by %(owner)s: sign in as %(owner)s to send it.")
                        % {"owner": owner})


def _village(user, code: str):
    unit = unit_visible_or_404(user, code)
    if not unit.is_ranked:
        raise HttpError(422, _("%(name)s is not a village or community.") % {"name": unit.name})
    return unit


def _place(user, village: str, grid: str):
    """The village and grid a report or a photo is for: a grid (one the caller sees) names its village; else the
    village itself."""
    if not grid:
        return _village(user, village), None
    unit = unit_visible_or_404(user, grid)
    if not unit.is_grid:
        raise HttpError(422, _("%(name)s is not a grid.") % {"name": unit.name})
    if village and village != unit.village_code():
        raise HttpError(422, _("The grid %(grid)s does not lie in %(village)s.") % {"grid": unit.name,
                                                                                    "village": village})
    return Unit.objects.get(code=unit.village_code()), unit


def _photo_out(photo: Photo) -> PhotoOut:
    return PhotoOut(id=photo.pk, width=photo.width, height=photo.height, lat=photo.lat, lon=photo.lon,
                    location_source=photo.location_source, taken_at=photo.taken_at,
                    url=reverse("photo_display", args=[photo.pk]), thumb_url=reverse("photo_thumb", args=[photo.pk]))


def _checklist_out(checklist: Checklist) -> ChecklistOut:
    return ChecklistOut(
        id=checklist.pk, key=checklist.key, version=checklist.version, name=checklist.name,
        town=checklist.town.code if checklist.town else None, critical_cap=checklist.critical_cap,
        items=[ItemOut(id=i.pk, position=i.position, section=i.section, text=i.text, max_points=i.max_points,
                       weight=i.weight, critical=i.critical, allow_na=i.allow_na,
                       category=i.category.code if i.category else "")
               for i in checklist.items.select_related("category")])


@router.get("/field/bootstrap", response=answers(Bootstrap),
            summary="Everything the field app keeps offline: checklists, villages (WGS-84 points), categories")
def bootstrap(request):
    campaign = campaign_get()
    user = request.user
    villages = (units_visible_to(user).ranked().filter(active=True)
                .select_related("parent").order_by("path"))
    town_codes = {v.parent.code for v in villages if v.parent_id}
    checklists = [c for c in inspection_services.checklists_current(campaign)
                  if c.active and (c.town_id is None or c.town.code in town_codes)]
    village_rows = []
    for village in villages:
        point = unit_point_wgs84(village)
        village_rows.append(VillageOut(
            code=village.code, name=village.name, town=village.parent.code if village.parent else "",
            town_name=village.parent.name if village.parent else "", lon=point[0] if point else None,
            lat=point[1] if point else None, pinyin_initials=village.initials))
    return Bootstrap(
        username=user.username, role=access.effective_role(user),
        checklists=[_checklist_out(c) for c in checklists] if access.effective_role(user) in
        access.INSPECTING_ROLES else [],
        villages=village_rows,
        categories=[CategoryOut(code=c.code, name=c.name, working_days=c.working_days)
                    for c in Category.objects.filter(campaign=campaign, active=True)],
        server_time=timezone.now())


@router.get("/checklists/{checklist_id}", response=answers(ChecklistOut, 404, 422), summary="One checklist version")
def checklist(request, checklist_id: int):
    return _checklist_out(get_object_or_404(checklists_visible_to(request.user), pk=checklist_id))


@router.post("/photos", response=answers({200: PhotoOut, 201: PhotoOut}, 403, 404, 409, 413, 422),
             summary="Upload one photo (multipart)",
             description="Checked by content; stored re-encoded without EXIF. The same client_key again returns "
                         "the stored photo (200) instead of storing it twice.")
def photo_upload(request, file: File[UploadedFile], village: str = Form(""), grid: str = Form(""),
                 client_key: str = Form("", max_length=64),
                 lat: Form[float | None] = None, lon: Form[float | None] = None,
                 accuracy_m: Form[float | None] = None, taken_at: Form[dt.datetime | None] = None):
    _same_user(request)
    target, grid_unit = _place(request.user, village, grid)
    if file.size is not None and file.size > imaging.MAX_BYTES:
        raise HttpError(413, photo_services.refusal_message(imaging.ImageRefused(
            "too_large", size_mb=round(file.size / 1024 / 1024, 1), max_mb=imaging.MAX_BYTES // 1024 // 1024)))
    before = Photo.objects.filter(uploaded_by=request.user, client_key=client_key).first() if client_key else None
    try:
        photo = photo_services.photo_upload(
            actor=request.user, campaign=campaign_get(), village=target, data=file.read(), client_key=client_key,
            lat=lat, lon=lon, accuracy_m=accuracy_m, taken_at=taken_at, grid=grid_unit)
    except Refused as error:
        raise _refused(error) from None
    return Status(200 if before else 201, _photo_out(photo))


@router.get("/photos/{photo_id}", response=answers(PhotoOut, 404, 422), summary="One photo's data and its image links")
def photo(request, photo_id: int):
    return _photo_out(get_object_or_404(photos_visible_to(request.user), pk=photo_id))


def _inspection_out(inspection, created: bool) -> InspectionOut:
    return InspectionOut(
        id=inspection.pk, created=created, village=inspection.village.code, village_name=inspection.village.name,
        checklist=inspection.checklist_id, week=inspection.week, score=inspection.score,
        critical_failed=inspection.critical_failed, counts=inspection.counts, warnings=inspection.warnings,
        warning_texts=[inspection_services.warning_text(w) for w in inspection.warnings],
        inspected_at=inspection.inspected_at, received_at=inspection.received_at,
        problems=sorted(p.pk for p in inspection.problems.all()),
        problems_reported=[ProblemRef(id=p.pk, number=p.number, category_name=p.category.name,
                                      url=reverse("problem_detail", args=[p.pk]))
                           for p in sorted(inspection.problems.all(), key=lambda p: p.pk)],
        photos=sorted(p.pk for p in inspection.photos.all()))


@router.post("/inspections", response=answers({200: InspectionOut, 201: InspectionOut}, 403, 404, 409, 422),
             summary="Submit one inspection with its scores, photos and problems",
             description="All or nothing. client_key is the phone's idempotency key: sending the same inspection "
                         "again returns the stored one (200, created false) and stores nothing new.")
def inspection_submit(request, payload: InspectionIn):
    _same_user(request)
    campaign = campaign_get()
    village = _village(request.user, payload.village)
    checklist = Checklist.objects.filter(pk=payload.checklist, campaign=campaign).first()
    # Another township's checklist is answered like a missing one: its existence is not the caller's to learn.
    if checklist is None or (checklist.town is not None and not in_area(request.user, checklist.town)):
        raise HttpError(422, _("The checklist %(id)s does not exist.") % {"id": payload.checklist})
    if payload.inspected_at is not None and payload.inspected_at.tzinfo is not None and \
            payload.inspected_at < timezone.now() - inspection_services.MAX_AGE:
        raise HttpError(422, _("The inspection is dated more than %(days)s days ago; check the phone's clock.")
                        % {"days": inspection_services.MAX_AGE.days})
    marks = [inspection_services.MarkInput(m.item, None if m.not_applicable else m.points, m.note)
             for m in payload.marks]
    for mark, given in zip(marks, payload.marks, strict=True):
        if mark.points is None and not given.not_applicable:
            raise HttpError(422, _("Item %(item)s needs points or “not applicable”.") % {"item": given.item})
    try:
        result = inspection_services.inspection_submit(
            actor=request.user, campaign=campaign, village=village, checklist=checklist, marks=marks,
            inspected_at=payload.inspected_at, lat=payload.lat, lon=payload.lon, accuracy_m=payload.accuracy_m,
            note=payload.note, photo_ids=payload.photos, client_key=payload.client_key,
            problems=[inspection_services.ProblemInput(p.item, p.description, p.category, tuple(p.photos),
                                                       p.client_key) for p in payload.problems])
    except Refused as error:
        raise _refused(error) from None
    return Status(201 if result.created else 200, _inspection_out(result.inspection, result.created))


@router.get("/inspections", response=answers(list[InspectionOut], 422), summary="Inspections in the caller's area")
def inspections(request, week: str = "", village: str = "", town: str = "",
                limit: int = Query(100, ge=1, le=1000), offset: int = offset_query()):
    rows = (inspections_filtered(request.user, week=week, town=town, village=village).select_related("village")
            .prefetch_related("problems", "problems__category", "photos"))
    return [_inspection_out(i, False) for i in rows[offset: offset + limit]]


@router.get("/inspections/{inspection_id}", response=answers(InspectionOut, 404, 422), summary="One inspection")
def inspection(request, inspection_id: int):
    found = get_object_or_404(inspections_visible_to(request.user).select_related("village"),
                              pk=inspection_id)
    return _inspection_out(found, False)


def _problem_out(problem: Problem, user, now, roots=UNSET) -> dict:
    return dict(
        id=problem.pk, number=problem.number, status=problem.status, status_label=problem.get_status_display(),
        category=problem.category.code, category_name=problem.category.name, village=problem.village.code,
        village_name=problem.village.name, town=problem.town.code,
        grid=problem.grid.code if problem.grid is not None else "", source=problem.source,
        description=problem.description, lat=problem.lat, lon=problem.lon, reported_at=problem.reported_at,
        deadline=problem.deadline, overdue=problem.status in ("dispatched", "returned") and problem.deadline
        is not None and now > problem.deadline, rework_count=problem.rework_count,
        possible_duplicate_of=problem.possible_duplicate_of_id,
        allowed=problem_services.allowed_for(user, problem, roots))


def _problem_detail(problem: Problem, user) -> ProblemDetailOut:
    photos = list(problem.problem_photos.all())
    events = list(problem.events.prefetch_related("photos"))
    return ProblemDetailOut(
        **_problem_out(problem, user, timezone.now()),
        before_photos=[p.photo_id for p in photos if p.kind == "before"],
        after_photos=[p.photo_id for p in photos if p.kind == "after"],
        events=[EventOut(transition=e.transition, from_status=e.from_status, to_status=e.to_status,
                         actor=e.actor_label, at=e.at, note=e.note, photos=[p.photo_id for p in e.photos.all()])
                for e in events])


@router.post("/problems", response=answers({200: ProblemDetailOut, 201: ProblemDetailOut}, 403, 404, 409, 422),
             summary="Report a problem")
def problem_report(request, payload: ProblemReportIn):
    campaign = campaign_get()
    village, grid = _place(request.user, payload.village, payload.grid)
    category = Category.objects.filter(campaign=campaign, code=payload.category).first()
    if category is None:
        raise HttpError(422, _("The category is not in use in this campaign."))
    existing = (Problem.objects.filter(reported_by_id=request.user.pk, client_key=payload.client_key).exists()
                if payload.client_key else False)
    try:
        problem = problem_services.problem_report(
            actor=request.user, campaign=campaign, village=village, category=category,
            description=payload.description, source=payload.source, lat=payload.lat, lon=payload.lon,
            accuracy_m=payload.accuracy_m, photo_ids=payload.photos, client_key=payload.client_key, grid=grid)
    except Refused as error:
        raise _refused(error) from None
    return Status(200 if existing else 201, _problem_detail(problem, request.user))


@router.get("/problems", response=answers(ProblemPage, 422),
            summary="Problems in the caller's area, filtered, with counts")
def problems(request, status: str = "", town: str = "", village: str = "", category: str = "",
             overdue: bool = False, mine: bool = False, limit: int = Query(100, ge=1, le=1000),
             offset: int = offset_query()):
    rows = problem_selectors.problems_filtered(request.user, problem_selectors.Filters(
        status=status, town=town, village=village, category=category, overdue=overdue, mine=mine))
    now = timezone.now()
    roots = area_roots(request.user)  # once, not per problem and transition
    return ProblemPage(count=rows.count(), counts=problem_selectors.counts(rows),
                       items=[ProblemOut(**_problem_out(p, request.user, now, roots))
                              for p in rows[offset: offset + limit]])


@router.get("/problems/stats", response=answers(list[StatsOut], 422),
            summary="Problem statistics per village or township for the problems reported in a week")
def problem_stats(request, week: str, by: str = "village"):
    from dudao.core import weeks

    try:
        start_day = weeks.week_start(week)
    except ValueError:
        raise HttpError(422, _("The week must look like 2026-W10.")) from None
    start = timezone.make_aware(dt.datetime.combine(start_day, dt.time()))
    stats = problem_selectors.problem_stats(campaign_get(), start, start + dt.timedelta(days=7),
                                            by="town" if by == "town" else "village")
    units = {u.pk: u for u in units_visible_to(request.user).filter(pk__in=stats)}
    return [StatsOut(code=units[pk].code, name=units[pk].name, **vars(s))
            for pk, s in sorted(stats.items(), key=lambda kv: units[kv[0]].code if kv[0] in units else "")
            if pk in units]


@router.get("/problems/{problem_id}", response=answers(ProblemDetailOut, 404, 422),
            summary="One problem with its timeline")
def problem(request, problem_id: int):
    found = get_object_or_404(problems_visible_to(request.user).select_related("category", "village", "town", "grid"),
                              pk=problem_id)
    return _problem_detail(found, request.user)


@router.post("/problems/{problem_id}/{transition}", response=answers(ProblemDetailOut, 403, 404, 409, 422),
             summary="Move a problem along its loop: register, dispatch, rectify, verify, return, close, cancel",
             description="rectify needs photos (after-photos uploaded first); return and cancel need a note. "
                         "A transition the problem's state does not allow answers 409.")
def problem_transition(request, problem_id: int, transition: str, payload: TransitionIn):
    found = get_object_or_404(problems_visible_to(request.user), pk=problem_id)
    if transition not in problem_services.TRANSITION_FUNCTIONS:
        raise Http404
    function = problem_services.TRANSITION_FUNCTIONS[transition]
    kwargs: dict = {"actor": request.user, "problem": found, "note": payload.note}
    if transition == "rectify":
        kwargs["photo_ids"] = payload.photos
    try:
        changed = function(**kwargs)
    except Refused as error:
        raise _refused(error, 409 if error.code == "transition_refused" else 422) from None
    return _problem_detail(Problem.objects.select_related("category", "village", "town", "grid").get(pk=changed.pk),
                           request.user)


@router.get("/notifications", response=answers(list[NotificationOut], 422), summary="The caller's notifications")
def notifications(request, unread: bool = False, limit: int = Query(50, ge=1, le=500)):
    rows = Notification.objects.filter(recipient=request.user)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    out = []
    for n in rows[:limit]:
        title, body = notification_services.render(n)
        out.append(NotificationOut(id=n.pk, kind=n.kind, title=title, body=body, link=n.link, created_at=n.created_at,
                                   read=n.read_at is not None))
    return out


class ReadIn(Schema):
    ids: list[Id] | None = None


@router.post("/notifications/read", response=answers(dict, 403, 422),
             summary="Mark notifications read (all when ids is omitted)")
def notifications_read(request, payload: ReadIn):
    return {"marked": notification_services.mark_read(user=request.user, ids=payload.ids)}
