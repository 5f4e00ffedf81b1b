"""Inspection coverage (issue 15, item 6; decision 0025): each inspection group plans the villages of its townships
it will visit in a week; the office sees planned against visited, and the villages nobody has visited for N weeks
(N the campaign's coverage setting).

Visited, for a group, means an inspection in that week of a village of the group's townships by an inspector whose
person is a member of the group. "Nobody has visited" counts the independent inspections only - the inspectors',
the office's and the administrators' - not a township's own (the rule of the inspection ranking,
inspections.access.inspection_counts_in_ranking): a township inspecting its own villages is not a visit.

The writes (a plan saved, the setting changed) check the actor's rights, run in one transaction and are
audit-logged; the reads take the groups and the area the caller may see (plan.access)."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.access import is_office
from dudao.accounts.models import Role
from dudao.audit.services import audit_record
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.inspections.models import Inspection
from dudao.org.access import subtree_q
from dudao.org.models import Unit, WorkingGroup
from dudao.plan import access
from dudao.plan.models import CoverageSettings, VisitPlan

# Whose inspections are visits in the N-weeks list: the inspection groups' and the office's (not a township's own).
INDEPENDENT_ROLES = (Role.COUNTY_ADMIN, Role.OFFICE, Role.INSPECTOR)
MAX_UNVISITED_WEEKS = 52


def this_week() -> str:
    return weeks.week_of(timezone.localdate())


def group_villages(group: WorkingGroup):
    """The villages and communities of the group's townships (active ones), in the tree's order."""
    towns = list(group.towns.all())
    return Unit.objects.ranked().filter(subtree_q(towns), active=True).select_related("parent").order_by("path")


# The setting ---------------------------------------------------------------------------------------------------


def unvisited_weeks(campaign) -> int:
    found = CoverageSettings.objects.filter(campaign=campaign).first()
    return found.unvisited_weeks if found else CoverageSettings._meta.get_field("unvisited_weeks").default


def coverage_settings_update(*, actor, campaign, unvisited_weeks: int) -> CoverageSettings:
    """The office sets after how many weeks without a visit a village is listed (1 to 52)."""
    if not is_office(actor):
        raise PermissionDenied
    if not 1 <= unvisited_weeks <= MAX_UNVISITED_WEEKS:
        raise Refused("unvisited_weeks_range", _("The number of weeks must lie between 1 and %(max)s; %(value)s was "
                                                 "given.") % {"max": MAX_UNVISITED_WEEKS, "value": unvisited_weeks})
    with transaction.atomic():
        current, _created = CoverageSettings.objects.select_for_update().get_or_create(campaign=campaign)
        before = current.unvisited_weeks
        if before != unvisited_weeks:
            current.unvisited_weeks = unvisited_weeks
            current.save(update_fields=["unvisited_weeks"])
            audit_record(actor=actor, action="coverage.settings", object_type="campaign", object_id=campaign.slug,
                         before={"unvisited_weeks": before}, after={"unvisited_weeks": unvisited_weeks})
    return current


# A group's plan ----------------------------------------------------------------------------------------------------


def plan_of(group: WorkingGroup, week: str) -> VisitPlan | None:
    return VisitPlan.objects.filter(group=group, week=week).first()


def planned_codes(group: WorkingGroup, week: str) -> set[str]:
    return set(VisitPlan.villages.through.objects.filter(visitplan__group=group, visitplan__week=week)
               .values_list("unit__code", flat=True))


def visit_plan_save(*, actor, campaign, group: WorkingGroup, week: str, village_codes: list[str],
                    synthetic: bool = False) -> VisitPlan:
    """The group's plan for the week becomes exactly these villages. Only the office and the group's own
    inspectors plan; only villages of the group's townships; not a week already past."""
    if not access.plan_groups_of(actor, campaign).filter(pk=group.pk).exists():
        raise PermissionDenied
    try:
        weeks.parse_week(week)
    except ValueError:
        raise Refused("week_invalid", _("%(week)s is not a week (write it like 2026-W10).") % {"week": week}) from None
    if week < this_week():
        raise Refused("week_past", _("Week %(week)s is already past: its plan can no longer be changed.")
                      % {"week": week})
    codes = sorted({code.strip() for code in village_codes if code.strip()})
    allowed = {unit.code: unit for unit in group_villages(group)}
    foreign = [code for code in codes if code not in allowed]
    if foreign:
        raise Refused("village_foreign", _("Village %(code)s is not a village of the group's townships.")
                      % {"code": foreign[0]}, codes=foreign)
    with transaction.atomic():
        plan, created = VisitPlan.objects.select_for_update().get_or_create(
            group=group, week=week, defaults={"campaign": campaign, "synthetic": synthetic})
        before = sorted(plan.villages.values_list("code", flat=True))
        if created or before != codes:
            plan.villages.set([allowed[code] for code in codes])
            plan.save(update_fields=["updated_at"])
            audit_record(actor=actor, action="visit_plan.save", object_type="visit_plan",
                         object_id=f"{group.pk}/{week}", before=None if created else {"villages": before},
                         after={"group": group.name, "week": week, "villages": codes})
    return plan


# Planned against visited -------------------------------------------------------------------------------------------


@dataclass
class GroupCoverage:
    group: WorkingGroup
    planned: list[Unit] = field(default_factory=list)
    visited: list[Unit] = field(default_factory=list)
    planned_not_visited: list[Unit] = field(default_factory=list)
    visited_unplanned: list[Unit] = field(default_factory=list)

    @property
    def planned_visited(self) -> int:
        return len(self.planned) - len(self.planned_not_visited)


def visited_codes(group: WorkingGroup, week: str) -> set[str]:
    """Villages of the group's townships inspected in the week by the group's inspectors."""
    towns = list(group.towns.all())
    members = group.members.values("person_id")
    return set(Inspection.objects.filter(subtree_q(towns, "village__"), week=week,
                                         inspector__person_id__in=members)
               .values_list("village__code", flat=True))


def group_coverage(group: WorkingGroup, week: str, town_id: int | None = None) -> GroupCoverage:
    """Planned, visited, planned-not-visited and visited-unplanned of one group in one week (only the villages of
    the township ``town_id`` when given: a township's staff see their part)."""
    villages = group_villages(group)
    if town_id is not None:
        villages = villages.filter(parent_id=town_id)
    planned, visited = planned_codes(group, week), visited_codes(group, week)
    result = GroupCoverage(group)
    for village in villages:
        if village.code in planned:
            result.planned.append(village)
            if village.code not in visited:
                result.planned_not_visited.append(village)
        if village.code in visited:
            result.visited.append(village)
            if village.code not in planned:
                result.visited_unplanned.append(village)
    return result


def coverage(user, campaign, week: str) -> list[GroupCoverage]:
    """Each group the user may see, restricted to a township's staff's own township."""
    town_id = user.scope_unit_id if access.is_town_staff(user) else None
    groups = access.coverage_groups_of(user, campaign).prefetch_related("towns").order_by("name")
    return [group_coverage(group, week, town_id) for group in groups]


@dataclass
class Unvisited:
    village: Unit
    last_week: str | None


def unvisited(user, campaign, week: str, count: int) -> list[Unvisited]:
    """The villages of the user's area with no independent inspection in the ``count`` weeks ending with
    ``week``, each with the last week one was visited (None: never)."""
    first = weeks.add_weeks(week, -(count - 1))
    villages = Unit.objects.ranked().filter(active=True).of_campaign(campaign).select_related("parent")
    q = access.area_q(user, "")
    if q is not None:
        villages = villages.filter(q)
    independent = Inspection.objects.filter(campaign=campaign, inspector__role__in=INDEPENDENT_ROLES,
                                            week__lte=week)
    recent = set(independent.filter(week__gte=first).values_list("village_id", flat=True))
    last = dict(independent.filter(week__lt=first).values("village_id").annotate(last=Max("week"))
                .values_list("village_id", "last"))
    return [Unvisited(village, last.get(village.pk)) for village in villages.order_by("path")
            if village.pk not in recent]
