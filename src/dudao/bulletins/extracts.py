"""Per-village extracts of a published round (直接通报村组社区一级): each village's and community's own page of the
week's result - its position, tier and streak, each source's view of it, its interviews, its open and overdue
problems - for its staff.

Everything is read back from what the round stored (Result, Entry, Interview) and from the problem records; nothing
is recomputed. ``extracts_for`` builds all of a round's extracts (or one township's) with a fixed number of queries,
however many villages there are; ``village_extract`` builds one with the same code.

Problems are shown as they stood at the end of the round's week, or now while that week is still running, so that an
extract read later still says what it said then: a problem's status at that moment is the last step of its timeline
(ProblemEvent) taken before it.
"""

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.core import weeks
from dudao.drone.models import DronePhoto
from dudao.inspections.models import Inspection
from dudao.interviews.models import ROLE_ORDER, Interview, InterviewReason
from dudao.org.models import PostRole, Unit
from dudao.problems import lifecycle
from dudao.problems.models import Problem, ProblemEvent, Status
from dudao.ranking.models import SOURCES, Entry, Result, Round, RoundStatus, SourceName, Tier
from dudao.ranking.tiers import tier_styles


class NotInRound(LookupError):
    """The village has no result in the round (it was not a ranked unit of the campaign that week)."""


@dataclass(frozen=True)
class SourceView:
    """One source's view of the village: what was submitted (a rank given by the township, or a score), the rank r
    among the n villages of the source's scope, the percentile p = (n − r + 0.5) / n and its points (100 × p, the
    composite's scale), and how many inspections or drone photos the score is the mean of."""

    source: str
    label: str
    scope: str
    covered: bool
    submitted: float | None = None
    submitted_kind: str = ""  # "rank" or "score"
    rank: float | None = None
    scope_size: int = 0
    percentile: float | None = None
    weight: float = 0.0
    # Inspections or drone photos behind the score; None when the source was uploaded as a sheet (or is the township's).
    basis: int | None = None

    @property
    def points(self) -> float | None:
        return None if self.percentile is None else 100.0 * self.percentile

    @property
    def rank_text(self) -> str:
        return "" if self.rank is None else f"{self.rank:g}"

    @property
    def submitted_text(self) -> str:
        return "" if self.submitted is None else f"{self.submitted:g}"


@dataclass(frozen=True)
class InterviewLine:
    role: str
    role_label: str
    reason: str
    reason_label: str
    unit_name: str
    person_name: str | None
    vacant: bool


@dataclass(frozen=True)
class ProblemLine:
    pk: int
    number: str
    category: str
    description: str
    status: str  # as of the extract's moment
    status_label: str
    deadline: dt.datetime | None  # None while not yet dispatched at that moment
    overdue: bool
    reported_at: dt.datetime
    grid_code: str = ""  # the grid it lies in, when known
    grid_name: str = ""


@dataclass(frozen=True)
class Extract:
    round_id: int
    week: str
    revision: int
    week_start: dt.date
    week_end: dt.date
    published_at: dt.datetime | None
    village_id: int
    code: str
    name: str
    official_name: str
    level: str
    level_label: str
    town_code: str
    town_name: str
    # Standing
    position: int | None
    ranked: int  # N: villages ranked in the round
    composite: float | None
    tier: str  # green / yellow / red, "" when not ranked
    tier_label: str
    tier_colour: str
    tier_ink: str
    capped: bool
    higher: int
    lower: int
    tied: int
    green_count: int
    red_count: int
    red_streak: int
    escalated: bool
    escalation_threshold: int
    explanation: str
    # The last published round before this one (the one the red streak continues)
    previous_week: str | None
    previous_tier: str
    previous_tier_label: str
    previous_position: int | None
    previous_ranked: int | None  # villages ranked in the previous round (the "among N" of its position)
    sources: tuple[SourceView, ...]
    interviews: tuple[InterviewLine, ...]
    problems_as_of: dt.datetime
    open_problems: tuple[ProblemLine, ...]
    # The village's grids whose problems were still open (names, in the order of the tree): the extract names them.
    open_grids: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        return self.official_name or self.name

    @property
    def position_change(self) -> int | None:
        """Places moved up since the previous round (negative: down); None when either week is unranked."""
        if self.position is None or self.previous_position is None:
            return None
        return self.previous_position - self.position

    @property
    def same_field(self) -> bool:
        """Whether both weeks ranked as many villages (else places moved are not the whole story)."""
        return self.previous_ranked is None or self.previous_ranked == self.ranked

    @property
    def position_change_abs(self) -> int | None:
        change = self.position_change
        return None if change is None else abs(change)

    @property
    def problems_at_week_end(self) -> bool:
        """Whether the problems are shown as the week ended (rather than as they were while it still ran)."""
        return timezone.localtime(self.problems_as_of).date() > self.week_end

    @property
    def overdue_problems(self) -> tuple[ProblemLine, ...]:
        return tuple(p for p in self.open_problems if p.overdue)

    @property
    def tier_changed(self) -> bool:
        return bool(self.previous_week) and self.previous_tier != self.tier


# Building ------------------------------------------------------------------------------------------------------


def problems_moment(round_: Round, now: dt.datetime | None = None) -> dt.datetime:
    """The moment an extract shows problems at: the end of the round's week (Sunday 24:00 local time), or now while
    the week is still running."""
    end = timezone.make_aware(dt.datetime.combine(weeks.week_end(round_.week) + dt.timedelta(days=1), dt.time()))
    now = now or timezone.now()
    return min(end, now)


def previous_round(round_: Round) -> Round | None:
    """The last published round before this one: the one the ranking continued the red streak from."""
    return (Round.objects.filter(campaign_id=round_.campaign_id, status=RoundStatus.PUBLISHED,
                                 week_start__lt=round_.week_start).select_related("settings")
            .order_by("-week_start").first())


def _role_label(role: str) -> str:
    return str(PostRole(role).label) if role in PostRole.values else role


def _reason_label(reason: str) -> str:
    return str(InterviewReason(reason).label) if reason in InterviewReason.values else reason


def _status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def _explanation(result: Result, tier_label: str, total: int, green: int, red: int) -> str:
    if result.position is None:
        return _("No source covered this village this week, so it is not ranked.")
    values = {"position": result.position, "total": total, "green": green, "red": red, "tier": tier_label}
    if result.tier == Tier.GREEN:
        return _("Position %(position)s of %(total)s: in the top %(green)s, so %(tier)s.") % values
    if result.tier == Tier.RED:
        return _("Position %(position)s of %(total)s: in the bottom %(red)s, so %(tier)s.") % values
    if result.capped:
        return _("Position %(position)s of %(total)s: in the bottom %(red)s, but only the township ranked it and a "
                 "village cannot be red on township data alone, so %(tier)s.") % values
    return _("Position %(position)s of %(total)s: neither in the top %(green)s nor in the bottom %(red)s, "
             "so %(tier)s.") % values


def _build(round_: Round, results: list[Result], unit_ids: list[int] | QuerySet,
           now: dt.datetime | None = None) -> list[Extract]:
    """Extracts for the given results of one round, with a fixed number of queries. ``unit_ids`` are the results'
    villages: a list for a few, a subquery for many (no long lists of parameters)."""
    settings = round_.settings
    styles = tier_styles(settings)
    weights = settings.weights()
    scope = Q(unit_id__in=unit_ids)

    # The whole round in one light query: its composites, for "position of N" and the villages above, below and level
    # with each one; and each source's scope sizes (the county for the inspection and drone rankings, the township
    # for its own ranking): every village a source ranked has a percentile from it.
    composites: list[float] = []
    sizes: Counter = Counter()
    for town_id, composite, *percentiles in (Result.objects.filter(round=round_).order_by()
                                             .values_list("town_id", "composite", *(f"p_{s}" for s in SOURCES))):
        if composite is not None:
            composites.append(composite)
        for source, p in zip(SOURCES, percentiles, strict=True):
            if p is not None:
                sizes[(source, town_id if source == SourceName.TOWN else None)] += 1
    composites.sort()
    ranked = len(composites)
    submitted = {(unit, source): (rank, score) for unit, source, rank, score in
                 Entry.objects.filter(Q(round=round_) & scope).values_list("unit_id", "source", "rank", "score")}

    inspections: dict[int, int] = {}
    if round_.inspection_from_field:
        inspections = dict(Inspection.objects.filter(campaign_id=round_.campaign_id, week=round_.week, counts=True,
                                                     village_id__in=unit_ids)
                           .values_list("village_id").annotate(n=Count("pk")).order_by())
    photos: dict[int, int] = {}
    if round_.drone_from_photos:
        drone = DronePhoto.objects.filter(campaign_id=round_.campaign_id, batch__week=round_.week, outside_week=False,
                                          score__isnull=False, village_id__in=unit_ids)
        if round_.computed_at is not None:
            drone = drone.filter(scored_at__lte=round_.computed_at)
        photos = dict(drone.values_list("village_id").annotate(n=Count("pk")).order_by())
    basis: dict[str, dict[int, int]] = {}
    if round_.inspection_from_field:
        basis[SourceName.INSPECTION] = inspections
    if round_.drone_from_photos:
        basis[SourceName.DRONE] = photos

    previous = previous_round(round_)
    before = ({unit: (tier, position) for unit, tier, position in
               Result.objects.filter(Q(round=previous) & scope).values_list("unit_id", "tier", "position")}
              if previous else {})
    previous_styles = tier_styles(previous.settings) if previous else {}
    previous_ranked = (Result.objects.filter(round=previous, position__isnull=False).count()
                       if previous else None)

    interviews: dict[int, list[InterviewLine]] = {}
    covering: dict[int, list[int]] = {}  # interview → the villages of the extract it covers
    for interview_id, unit_id in (Interview.villages.through.objects
                                  .filter(interview__round=round_, unit_id__in=unit_ids)
                                  .order_by("interview_id", "unit_id").values_list("interview_id", "unit_id")):
        covering.setdefault(interview_id, []).append(unit_id)
    for interview in (Interview.objects.filter(pk__in=list(covering))
                      .select_related("unit", "person").order_by("pk")):
        for village_id in covering[interview.pk]:
            interviews.setdefault(village_id, []).append(InterviewLine(
                role=interview.role, role_label=_role_label(interview.role), reason=interview.reason,
                reason_label=_reason_label(interview.reason), unit_name=interview.unit.name,
                person_name=interview.person.name if interview.person else None, vacant=interview.vacant))

    for lines in interviews.values():  # the village's own posts first, then its township's
        lines.sort(key=lambda line: (line.reason != InterviewReason.RED, ROLE_ORDER.get(line.role, 99)))

    moment = problems_moment(round_, now)
    problems: dict[int, list[ProblemLine]] = {}
    status_then = Subquery(ProblemEvent.objects.filter(problem=OuterRef("pk"), at__lt=moment)
                           .order_by("-at", "-pk").values("to_status")[:1])
    rows = (Problem.objects.filter(campaign_id=round_.campaign_id, village_id__in=unit_ids, reported_at__lt=moment)
            .exclude(closed_at__lt=moment)
            .annotate(status_then=Coalesce(status_then, Value(lifecycle.REPORTED)))
            .filter(status_then__in=lifecycle.OPEN)
            .select_related("category", "grid").order_by("deadline", "reported_at", "pk"))
    for problem in rows:
        status: str = problem.status_then  # type: ignore[attr-defined]
        dispatched = problem.dispatched_at is not None and problem.dispatched_at < moment
        deadline = problem.deadline if dispatched else None
        problems.setdefault(problem.village_id, []).append(ProblemLine(
            pk=problem.pk, number=problem.number, category=problem.category.name, description=problem.description,
            status=status, status_label=_status_label(status), deadline=deadline,
            overdue=deadline is not None and lifecycle.is_overdue(status, deadline, moment),
            reported_at=problem.reported_at, grid_code=problem.grid.code if problem.grid is not None else "",
            grid_name=problem.grid.name if problem.grid is not None else ""))

    extracts = []
    for result in results:
        unit, town = result.unit, result.town
        style = styles.get(result.tier)
        c = result.composite
        higher = ranked - bisect_right(composites, c) if c is not None else 0
        lower = bisect_left(composites, c) if c is not None else 0
        tied = ranked - higher - lower if c is not None else 0
        views = []
        for source in SOURCES:
            p = getattr(result, f"p_{source}")
            town_scope = source == SourceName.TOWN
            rank, score = submitted.get((unit.pk, source), (None, None))
            views.append(SourceView(
                source=source, label=str(SourceName(source).label),
                scope=town.name if town_scope else _("the county"), covered=p is not None,
                submitted=rank if rank is not None else score,
                submitted_kind="rank" if rank is not None else ("score" if score is not None else ""),
                rank=getattr(result, f"r_{source}"),
                scope_size=sizes[(source, town.pk if town_scope else None)],
                percentile=p, weight=weights[source],
                basis=basis[source].get(unit.pk, 0) if source in basis else None,
            ))
        previous_tier, previous_position = before.get(unit.pk, ("", None))
        previous_style = previous_styles.get(previous_tier)
        village_problems = problems.get(unit.pk, [])
        village_problems.sort(key=lambda p: (not p.overdue, p.deadline is None, p.deadline or p.reported_at,
                                             p.reported_at, p.pk))
        extracts.append(Extract(
            round_id=round_.pk, week=round_.week, revision=round_.revision, week_start=weeks.week_start(round_.week),
            week_end=weeks.week_end(round_.week), published_at=round_.published_at,
            village_id=unit.pk, code=unit.code, name=unit.name, official_name=unit.official_name, level=unit.level,
            level_label=unit.get_level_display(), town_code=town.code, town_name=town.name,
            position=result.position, ranked=ranked, composite=c, tier=result.tier,
            tier_label=style.label if style else "", tier_colour=style.colour if style else "",
            tier_ink=style.ink if style else "", capped=result.capped,
            higher=higher, lower=lower, tied=tied, green_count=settings.green_count, red_count=settings.red_count,
            red_streak=result.red_streak, escalated=result.escalated,
            escalation_threshold=settings.escalation_threshold,
            explanation=_explanation(result, style.label if style else "", ranked, settings.green_count,
                                     settings.red_count),
            previous_week=previous.week if previous else None, previous_tier=previous_tier or "",
            previous_tier_label=previous_style.label if previous_style else "", previous_position=previous_position,
            previous_ranked=previous_ranked, sources=tuple(views), interviews=tuple(interviews.get(unit.pk, [])),
            problems_as_of=moment, open_problems=tuple(village_problems),
            open_grids=tuple(name for _code, name in sorted({(p.grid_code, p.grid_name) for p in village_problems
                                                              if p.grid_code})),
        ))
    return extracts


def _round_results(round_: Round) -> QuerySet[Result]:
    return (Result.objects.filter(round=round_).select_related("unit", "town")
            .order_by(F("position").asc(nulls_last=True), "unit__code"))


def extracts_for(round_: Round, town: Unit | None = None, now: dt.datetime | None = None) -> list[Extract]:
    """All of a round's extracts (or those of one township's villages), in position order, unranked last."""
    results = _round_results(round_)
    if town is not None:
        results = results.filter(town=town)
    return _build(round_, list(results), results.order_by().values("unit_id"), now)


def village_extract(round_: Round, village: Unit, now: dt.datetime | None = None) -> Extract:
    """One village's extract; NotInRound when the round has no result for it."""
    result = _round_results(round_).filter(unit=village).first()
    if result is None:
        raise NotInRound(village.code)
    return _build(round_, [result], [village.pk], now)[0]
