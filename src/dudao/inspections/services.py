"""Checklists and on-site inspections. An inspection's score feeds the week's inspection ranking at once
(capture once: nobody types the scores again), and the items that lost points may raise problems."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Avg, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts import access
from dudao.accounts.actors import recorded_by
from dudao.audit.services import audit_record
from dudao.core import geo, weeks
from dudao.core.errors import Refused
from dudao.env import env_int
from dudao.inspections import scoring
from dudao.inspections.access import can_manage_checklist, inspection_counts_in_ranking
from dudao.inspections.models import Checklist, ChecklistItem, Inspection, ItemScore
from dudao.org.access import can_inspect_at, town_of
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos.services import check_position, key_reused, photos_for
from dudao.problems import services as problem_services
from dudao.problems.models import Category, Source
from dudao.ranking import services as ranking_services
from dudao.ranking.models import SourceName

POOR_ACCURACY_M = 100
FAR_FROM_VILLAGE_M = env_int("DUDAO_FIELD_FAR_METRES", 2000)
FUTURE_TOLERANCE = dt.timedelta(minutes=10)
# A phone may hold an inspection offline for days, not for weeks: an older time from a phone is a wrong clock
# (the API refuses it; the demo's synthetic history goes through the service directly).
MAX_AGE = dt.timedelta(days=14)
DEFAULT_KEY = "rural-living"

# section, item, points, critical, may be not applicable, problem category
DEFAULT_ITEMS = [
    ("垃圾治理", "村内主干道、巷道无垃圾积存", 10, False, False, "garbage"),
    ("垃圾治理", "垃圾收集点（箱）配置到位、定时清运、无满溢", 10, False, False, "garbage"),
    ("垃圾治理", "无垃圾焚烧、随意倾倒", 10, True, False, "garbage"),
    ("污水治理", "无生活污水横流、直排", 10, True, False, "sewage"),
    ("污水治理", "污水收集处理设施运行正常", 5, False, True, "sewage"),
    ("厕所革命", "户厕、公厕干净卫生、无异味", 10, False, False, "toilet"),
    ("厕所革命", "公厕设施完好、有专人管护", 5, False, True, "toilet"),
    ("村容村貌", "无乱堆乱放（柴草、粪堆、建材）", 10, False, False, "stacking"),
    ("村容村貌", "无乱搭乱建", 10, False, False, "building"),
    ("村容村貌", "无乱贴乱画、乱拉乱挂", 5, False, False, "posting"),
    ("村容村貌", "河渠、沟道、坑塘无漂浮物和垃圾", 5, False, True, "garbage"),
    ("长效管护", "保洁员在岗、责任区域明确", 5, False, False, "upkeep"),
    ("长效管护", "门前三包落实、村规民约公示", 5, False, False, "upkeep"),
]


@dataclass(frozen=True)
class ItemInput:
    section: str
    text: str
    max_points: float
    weight: float = 1.0
    critical: bool = False
    allow_na: bool = False
    category: str = ""


@dataclass(frozen=True)
class MarkInput:
    item_id: int
    points: float | None
    note: str = ""


@dataclass(frozen=True)
class ProblemInput:
    item_id: int | None
    description: str
    category: str = ""
    photo_ids: tuple[int, ...] = ()
    client_key: str | None = None


@dataclass
class Submitted:
    inspection: Inspection
    created: bool
    warnings: list[str] = field(default_factory=list)


# Checklists --------------------------------------------------------------------------------------------


def checklist_default(campaign) -> Checklist:
    """The county's checklist, with the default rural-living-environment items if it does not exist yet."""
    current = checklist_current(campaign, DEFAULT_KEY)
    if current is not None:
        return current
    problem_services.categories_ensure(campaign)
    return checklist_save(actor=access.SYSTEM, campaign=campaign, key=DEFAULT_KEY, name="农村人居环境整治评分细则",
                          town=None, critical_cap=60.0,
                          items=[ItemInput(s, t, p, 1.0, c, na, cat) for s, t, p, c, na, cat in DEFAULT_ITEMS])


def checklist_current(campaign, key: str) -> Checklist | None:
    return Checklist.objects.filter(campaign=campaign, key=key).order_by("-version").first()


def checklists_current(campaign) -> list[Checklist]:
    latest = (Checklist.objects.filter(campaign=campaign).values("key").annotate(v=Max("version")))
    wanted = {(row["key"], row["v"]) for row in latest}
    return [c for c in Checklist.objects.filter(campaign=campaign).select_related("town").order_by("key", "-version")
            if (c.key, c.version) in wanted]


def checklists_for_village(campaign, village: Unit) -> list[Checklist]:
    """The checklists in use for a village: the county's and its township's own."""
    town = town_of(village)
    return [c for c in checklists_current(campaign)
            if c.active and (c.town_id is None or (town is not None and c.town_id == town.pk))]


def checklist_save(*, actor, campaign, key: str, name: str, town: Unit | None, critical_cap: float,
                   items: list[ItemInput], active: bool = True) -> Checklist:
    """A new version of a checklist (or its first). Inspections already made keep their version."""
    if not can_manage_checklist(actor, town):
        raise PermissionDenied
    name = name.strip()
    if not name:
        raise Refused("name_required", _("The checklist needs a name."))
    if not items:
        raise Refused("items_required", _("The checklist needs at least one item."))
    if not 0 <= critical_cap <= 100:
        raise Refused("bad_cap", _("The score cap must lie between 0 and 100."))
    categories = {c.code: c for c in Category.objects.filter(campaign=campaign)}
    for number, item in enumerate(items, start=1):
        if not item.text.strip() or not item.section.strip():
            raise Refused("item_text_required", _("Item %(n)s needs a section and a text.") % {"n": number})
        if not item.max_points > 0 or not item.weight > 0:
            raise Refused("item_points", _("Item %(n)s needs points and a weight above zero.") % {"n": number})
        if item.category and item.category not in categories:
            raise Refused("item_category", _("Item %(n)s names an unknown problem category “%(c)s”.")
                          % {"n": number, "c": item.category})
    with transaction.atomic():
        previous = (Checklist.objects.select_for_update().filter(campaign=campaign, key=key)
                    .order_by("-version").first())
        if previous is not None and previous.town_id != (town.pk if town else None):
            raise PermissionDenied
        checklist = Checklist.objects.create(
            campaign=campaign, key=key, version=(previous.version + 1) if previous else 1, name=name, town=town,
            critical_cap=critical_cap, active=active, created_at=timezone.now(),
            **recorded_by("created_by", actor))
        ChecklistItem.objects.bulk_create([
            ChecklistItem(checklist=checklist, position=n, section=i.section.strip(), text=i.text.strip(),
                          max_points=i.max_points, weight=i.weight, critical=i.critical, allow_na=i.allow_na,
                          category=categories.get(i.category))
            for n, i in enumerate(items, start=1)])
        audit_record(actor=actor, action="checklist.save", object_type="checklist", object_id=f"{campaign.slug}/{key}",
                     before={"version": previous.version} if previous else None,
                     after={"version": checklist.version, "name": name, "town": town.code if town else None,
                            "critical_cap": critical_cap, "active": active,
                            "items": [[i.section, i.text, i.max_points, i.weight, i.critical, i.allow_na, i.category]
                                      for i in items]})
    return checklist


# Inspections -------------------------------------------------------------------------------------------


def _describe(problem: scoring.Problem, items: dict[int, ChecklistItem]) -> str:
    item = items.get(problem.item_id) if problem.item_id is not None else None
    label = item.text if item else str(problem.item_id)
    if problem.code == "out_of_range":
        return _("“%(item)s”: %(points)s is outside 0–%(max)s points.") % {
            "item": label, "points": problem.params["points"], "max": problem.params["max"]}
    if problem.code == "missing_item":
        return _("“%(item)s” is not scored.") % {"item": label}
    if problem.code == "na_not_allowed":
        return _("“%(item)s” cannot be marked not applicable.") % {"item": label}
    if problem.code == "duplicate_item":
        return _("“%(item)s” is scored twice.") % {"item": label}
    if problem.code == "all_na":
        return _("Every item is marked not applicable: there is nothing to score.")
    return _("Item %(item)s is not on this checklist.") % {"item": label}


def inspection_submit(*, actor, campaign, village: Unit, checklist: Checklist, marks: list[MarkInput],
                      inspected_at: dt.datetime | None = None, lat: float | None = None, lon: float | None = None,
                      accuracy_m: float | None = None, note: str = "", photo_ids: list[int] | tuple = (),
                      problems: list[ProblemInput] | tuple = (), client_key: str | None = None) -> Submitted:
    """Store one inspection with its item scores, photos and the problems raised from it, all or nothing.
    The same ``client_key`` sent again (a phone retrying) returns the stored inspection unchanged."""
    if not can_inspect_at(actor, village):
        raise PermissionDenied
    client_key = (client_key or "").strip() or None
    if client_key is not None:
        existing = Inspection.objects.filter(inspector_id=actor.pk, client_key=client_key).first()
        if existing is not None:
            if existing.village_id != village.pk or existing.checklist_id != checklist.pk:
                raise key_reused(client_key)
            return Submitted(existing, False, list(existing.warnings))
    if checklist.campaign_id != campaign.pk or checklist not in checklists_for_village_any_version(campaign, village):
        raise Refused("checklist_not_for_village", _("This checklist is not used in %(village)s.")
                      % {"village": village.name})
    items = {item.pk: item for item in checklist.items.all()}
    pure_items = [scoring.Item(i.pk, i.max_points, i.weight, i.critical, i.allow_na) for i in items.values()]
    pure_marks = [scoring.Mark(m.item_id, m.points) for m in marks]
    found = scoring.check(pure_items, pure_marks)
    if found:
        raise Refused("bad_scores", " ".join(_describe(p, items) for p in found))
    scored = scoring.score(pure_items, pure_marks, checklist.critical_cap)
    now = timezone.now()
    inspected_at = inspected_at or now
    if timezone.is_naive(inspected_at):  # a phone that sent no UTC offset: the county's local time
        inspected_at = timezone.make_aware(inspected_at)
    if inspected_at > now + FUTURE_TOLERANCE:
        raise Refused("future_time", _("The inspection time lies in the future; check the phone's clock."))
    check_position(campaign, lat, lon)
    warnings = _warnings(village, lat, lon, accuracy_m)
    photos = photos_for(actor=actor, ids=list(photo_ids), village=village)
    week = weeks.week_of(timezone.localtime(inspected_at).date())
    town = town_of(village)
    try:
        with transaction.atomic():
            inspection = Inspection.objects.create(
                campaign=campaign, checklist=checklist, village=village, town=town or village, inspector_id=actor.pk,
                inspected_at=inspected_at, received_at=now, week=week, lat=lat, lon=lon, accuracy_m=accuracy_m,
                distance_m=_distance(village, lat, lon), warnings=warnings, score=scored.score,
                critical_failed=bool(scored.critical_failed), capped=scored.capped, note=note.strip(),
                counts=checklist.town_id is None and inspection_counts_in_ranking(actor),
                client_key=client_key)
            ItemScore.objects.bulk_create([ItemScore(inspection=inspection, item_id=m.item_id, points=m.points,
                                                     note=m.note.strip()[:500]) for m in marks])
            inspection.photos.set(photos)
            raised = [_raise(actor, campaign, village, inspection, items, request, lat, lon, accuracy_m)
                      for request in problems]
            if checklist.town_id is None and not inspection.counts:
                inspection.warnings = [*inspection.warnings, "own_staff"]
                inspection.save(update_fields=["warnings"])
            if inspection.counts:
                outcome = ranking_services.source_feed(actor=actor, campaign=campaign, week=week,
                                                       source=SourceName.INSPECTION,
                                                       scores=lambda: week_scores(campaign, week))
                if outcome != ranking_services.FED:
                    inspection.counts = False
                    inspection.warnings = [*warnings, "week_closed" if outcome == ranking_services.CLOSED
                                           else "week_uploaded"]
                    inspection.save(update_fields=["counts", "warnings"])
            audit_record(actor=actor, action="inspection.submit", object_type="inspection",
                         object_id=str(inspection.pk),
                         after={"village": village.code, "checklist": f"{checklist.key} v{checklist.version}",
                                "week": week, "score": scored.score, "critical_failed": list(scored.critical_failed),
                                "marks": [[m.item_id, m.points] for m in marks], "lat": lat, "lon": lon,
                                "accuracy_m": accuracy_m, "photos": [p.pk for p in photos],
                                "problems": [p.pk for p in raised], "counts": inspection.counts,
                                "warnings": inspection.warnings})
    except IntegrityError:
        existing = Inspection.objects.filter(inspector_id=actor.pk, client_key=client_key).first()
        if client_key is None or existing is None:
            raise
        return Submitted(existing, False, list(existing.warnings))
    return Submitted(inspection, True, list(inspection.warnings))


def checklists_for_village_any_version(campaign, village: Unit) -> list[Checklist]:
    """Every version of the checklists in use for the village: a phone offline for days may still hold an
    older version, and its inspection is scored against the version it was made with."""
    keys = {c.key for c in checklists_for_village(campaign, village)}
    return list(Checklist.objects.filter(campaign=campaign, key__in=keys))


def _raise(actor, campaign, village, inspection, items, request: ProblemInput, lat, lon, accuracy_m):
    item = items.get(request.item_id) if request.item_id is not None else None
    if request.item_id is not None and item is None:
        raise Refused("bad_scores", _("Item %(item)s is not on this checklist.") % {"item": request.item_id})
    code = request.category or (item.category.code if item and item.category else "other")
    category = Category.objects.filter(campaign=campaign, code=code, active=True).first()
    if category is None:
        raise Refused("bad_category", _("The category is not in use in this campaign."))
    description = request.description.strip() or (item.text if item else "")
    return problem_services.problem_report(
        actor=actor, campaign=campaign, village=village, category=category, description=description,
        source=Source.INSPECTION, lat=lat, lon=lon, accuracy_m=accuracy_m,
        # Without photos of its own, a problem takes the inspection's as its before-photos.
        photo_ids=list(request.photo_ids) or list(inspection.photos.values_list("pk", flat=True)),
        inspection=inspection, item=item, client_key=request.client_key)


def _distance(village: Unit, lat, lon) -> float | None:
    point = unit_point_wgs84(village)
    if point is None or lat is None or lon is None:
        return None
    return round(geo.distance_m(lon, lat, point[0], point[1]), 1)


def _warnings(village: Unit, lat, lon, accuracy_m) -> list[str]:
    if lat is None or lon is None:
        return ["no_position"]
    warnings = []
    if accuracy_m is not None and accuracy_m > POOR_ACCURACY_M:
        warnings.append("poor_accuracy")
    distance = _distance(village, lat, lon)
    if distance is not None and distance > FAR_FROM_VILLAGE_M:
        warnings.append("far_from_village")
    return warnings


def warning_text(code: str) -> str:
    return {
        "no_position": _("No position was recorded."),
        "poor_accuracy": _("The position is accurate to worse than %(m)s m.") % {"m": POOR_ACCURACY_M},
        "far_from_village": _("The position is more than %(m)s m from the village.") % {"m": FAR_FROM_VILLAGE_M},
        "week_closed": _("The week's ranking is published or awaits approval: this score does not count in it."),
        "week_uploaded": _("The week's inspection ranking was uploaded as a sheet: this score does not count in it."),
        "own_staff": _("An inspection by the township's or village's own staff does not count in the inspection "
                       "ranking."),
    }.get(code, code)


def week_scores(campaign, week: str) -> dict[int, float]:
    """Each village's inspection score for the week: the mean of its counted inspections."""
    rows = (Inspection.objects.filter(campaign=campaign, week=week, counts=True).values("village_id")
            .annotate(mean=Avg("score")))
    return {row["village_id"]: round(row["mean"], 2) for row in rows}
