"""Reads of the plan: the actions, each task's standing with its evidence, the battle map's matrix and timeline.

Evidence, not re-entry (decision 0019): an action's mapped problem categories bring the problems found in a
township between the action's start and deadline, and those rectified (verified or closed); its mapped checklist
items bring the inspection scores of that township's villages in the same time. Where the action counts things
(its unit is one of EVIDENCE_UNITS) and categories are mapped, the rectified problems count toward each county
task's target, added to what the township reported."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone

from dudao.inspections.models import ItemScore
from dudao.plan import standing
from dudao.plan.models import Action, Department, Document, Task
from dudao.problems import lifecycle as problem_lifecycle
from dudao.problems.models import Problem

EVIDENCE_UNITS = frozenset({"处", "个", "件", "起", "宗", "户", "项"})
RECTIFIED = (problem_lifecycle.VERIFIED, problem_lifecycle.CLOSED)


def actions(campaign, archived: bool | None = False) -> QuerySet[Action]:
    rows = Action.objects.filter(campaign=campaign).select_related("lead").prefetch_related(
        "support", "towns", "milestones", "categories", "checklist_items")
    return rows if archived is None else rows.filter(archived=archived)


def departments(campaign) -> QuerySet[Department]:
    return Department.objects.filter(campaign=campaign).prefetch_related("posts__person", "led", "supported")


def applies_to(action: Action, town) -> bool:
    return Task.objects.filter(action=action, town=town, own=False).exists()


def _window(action: Action) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(action.start, dt.time(), zone)
    return first, dt.datetime.combine(action.deadline + dt.timedelta(days=1), dt.time(), zone)


def counts_evidence(action: Action) -> bool:
    return action.target_unit in EVIDENCE_UNITS and bool(action.categories.all())


def action_problems(action: Action) -> QuerySet[Problem]:
    """The problems of the action's mapped categories found in its time (none without a mapping)."""
    first, after = _window(action)
    return Problem.objects.filter(campaign_id=action.campaign_id, category__in=action.categories.all(),
                                  reported_at__gte=first, reported_at__lt=after)


def action_scores(action: Action) -> QuerySet[ItemScore]:
    first, after = _window(action)
    return ItemScore.objects.filter(item__in=action.checklist_items.all(), points__isnull=False,
                                    inspection__campaign_id=action.campaign_id,
                                    inspection__inspected_at__gte=first, inspection__inspected_at__lt=after)


@dataclass(frozen=True)
class Evidence:
    found: int = 0
    rectified: int = 0
    scores: int = 0
    score_percent: float | None = None  # the mean share of the mapped items' points, as a percentage


def evidence_by_town(action: Action) -> dict[int, Evidence]:
    problems = {row["town"]: row for row in action_problems(action).values("town").annotate(
        found=Count("pk"), rectified=Count("pk", filter=Q(status__in=RECTIFIED)))}
    scores = {row["inspection__town"]: row for row in action_scores(action).values("inspection__town").annotate(
        count=Count("pk"), mean=Avg(F("points") * 100.0 / F("item__max_points")))}
    result = {}
    for town in set(problems) | set(scores):
        p, s = problems.get(town, {}), scores.get(town, {})
        result[town] = Evidence(p.get("found", 0), p.get("rectified", 0), s.get("count", 0),
                                round(s["mean"], 1) if s.get("mean") is not None else None)
    return result


def evidence_exists(action: Action) -> bool:
    return action_problems(action).exists() or action_scores(action).exists()


@dataclass(frozen=True)
class TaskState:
    task: Task
    evidence: Evidence
    progress: Decimal  # reported + rectified problems where they count
    share: float | None
    standing: str


def _state(task: Task, evidence: Evidence, today: dt.date) -> TaskState:
    counted = evidence.rectified if (not task.own and counts_evidence(task.action)) else 0
    progress = task.reported + counted
    done = task.done or (task.target_value is not None and task.target_value > 0 and progress >= task.target_value)
    return TaskState(task, evidence, progress, standing.progress_share(progress, task.target_value),
                     standing.standing(today=today, start=task.start, deadline=task.deadline, done=done,
                                       progress=progress, target=task.target_value))


def task_states(tasks: list[Task], today: dt.date | None = None) -> list[TaskState]:
    """Each task's standing, the evidence of its action fetched once per action."""
    today = today or timezone.localdate()
    by_action: dict[int, dict[int, Evidence]] = {}
    states = []
    for task in tasks:
        if task.action_id not in by_action:
            by_action[task.action_id] = evidence_by_town(task.action)
        evidence = Evidence() if task.own else by_action[task.action_id].get(task.town_id, Evidence())
        states.append(_state(task, evidence, today))
    return states


def task_state(task: Task, today: dt.date | None = None) -> TaskState:
    return task_states([task], today)[0]


def task_reached_target(task: Task) -> bool:
    state = task_state(task)
    return task.target_value is not None and task.target_value > 0 and state.progress >= task.target_value


def task_done(task: Task) -> bool:
    return task.done or task_reached_target(task)


def progress_text(task: Task) -> str:
    state = task_state(task)
    if task.target_value is None:
        return str(len(task.reports.all()))
    return f"{state.progress.normalize():f} / {task.target_value.normalize():f} {task.target_unit}"


def tasks(campaign) -> QuerySet[Task]:
    return Task.objects.filter(action__campaign=campaign).select_related("action", "town").prefetch_related(
        "action__categories")


@dataclass(frozen=True)
class Row:
    action: Action
    cells: list[tuple[object, TaskState | None]]  # (township, state) per column; None: the action does not apply


def matrix(campaign, visible: QuerySet[Task], towns: list) -> list[Row]:
    """The battle map: the actions (not archived) × the townships, each cell the county task's standing."""
    states = {(s.task.action_id, s.task.town_id): s
              for s in task_states(list(visible.filter(own=False, action__archived=False)))}
    return [Row(action, [(town, states.get((action.pk, town.pk))) for town in towns])
            for action in actions(campaign)]


@dataclass(frozen=True)
class Bar:
    action: Action
    left: float  # percent of the timeline's span
    width: float
    milestones: list[tuple[float, object]]  # (percent, milestone)
    today: float | None


def timeline(campaign) -> tuple[list[Bar], dt.date | None, dt.date | None]:
    """Each action as a bar from its start to its deadline, with its time nodes, on one span."""
    rows = list(actions(campaign))
    if not rows:
        return [], None, None
    first = min(a.start for a in rows)
    last = max(a.deadline for a in rows)
    days = (last - first).days + 1

    def at(day: dt.date) -> float:
        return round(100 * (day - first).days / days, 2)

    today = timezone.localdate()
    mark = at(today) if first <= today <= last else None
    bars = [Bar(a, at(a.start), round(100 * ((a.deadline - a.start).days + 1) / days, 2),
                [(at(m.date), m) for m in a.milestones.all()], mark) for a in rows]
    return bars, first, last


def documents(campaign) -> QuerySet[Document]:
    return Document.objects.filter(campaign=campaign).prefetch_related("versions")
