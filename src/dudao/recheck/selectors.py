"""Reads for the re-inspections: the week's candidates, the township groups' scores, the discrepancy report."""

from dataclasses import dataclass

from django.db.models import Avg
from django.utils.translation import gettext as _

from dudao.accounts.models import Role
from dudao.inspections.models import Inspection
from dudao.org.access import town_of
from dudao.org.models import GroupKind, Unit, WorkingGroup
from dudao.recheck import sampling
from dudao.recheck.models import DEFAULT_THRESHOLD, Draw, Recheck, RecheckSettings

# The township groups' inspections: the county checklist, by the inspection groups and the office (the roles whose
# inspections make the ranking), not a township's or village's own staff.
GROUP_ROLES = (Role.COUNTY_ADMIN, Role.OFFICE, Role.INSPECTOR)


def group_inspections(campaign, week: str):
    return Inspection.objects.filter(campaign=campaign, week=week, checklist__town__isnull=True,
                                     inspector__role__in=GROUP_ROLES)


def candidates(campaign, week: str) -> list[str]:
    """The codes of the villages the township groups inspected in the week, sorted."""
    return sorted(set(group_inspections(campaign, week).values_list("village__code", flat=True)))


def group_scores(campaign, week: str) -> dict[str, float]:
    """Village code → the mean score of the township groups' inspections of the week."""
    rows = group_inspections(campaign, week).values("village__code").annotate(mean=Avg("score"))
    return {row["village__code"]: round(row["mean"], 2) for row in rows}


def threshold(campaign) -> float:
    found = RecheckSettings.objects.filter(campaign=campaign).values_list("threshold", flat=True).first()
    return DEFAULT_THRESHOLD if found is None else found


def current_draw(campaign, week: str) -> Draw | None:
    return Draw.objects.filter(campaign=campaign, week=week, current=True).select_related("group").first()


def township_groups(campaign, villages: list[Unit]) -> dict[str, str]:
    """Village code → its township group's name: the active inspection groups assigned to its township."""
    names: dict[int, list[str]] = {}
    for group in WorkingGroup.objects.filter(campaign=campaign, kind=GroupKind.INSPECTION, active=True) \
            .prefetch_related("towns"):
        for town in group.towns.all():
            names.setdefault(town.pk, []).append(group.name)
    result = {}
    for village in villages:
        town = town_of(village)
        found = sorted(names.get(town.pk, [])) if town else []
        result[village.code] = "、".join(found) if found else (
            _("%(town)s (no inspection group)") % {"town": town.name if town else village.name})
    return result


@dataclass(frozen=True)
class Check:
    verified: sampling.Verified
    candidates_unchanged: bool  # the villages inspected that week are still those the draw was made among


def draw_check(draw: Draw) -> Check:
    """Redo the draw from its record (verify), and compare its candidates with the week's inspections now."""
    return Check(sampling.verify(draw.seed, list(draw.candidates), draw.size, list(draw.sample)),
                 candidates(draw.campaign, draw.week) == sorted(draw.candidates))


@dataclass(frozen=True)
class SampleRow:
    village: Unit
    group: str
    recheck: Recheck | None


def sample_rows(draw: Draw) -> list[SampleRow]:
    villages = list(Unit.objects.filter(code__in=draw.sample).order_by("path"))
    groups = township_groups(draw.campaign, villages)
    rechecks = {r.village_id: r for r in draw.rechecks.all()}
    return [SampleRow(v, groups[v.code], rechecks.get(v.pk)) for v in villages]


@dataclass(frozen=True)
class Report:
    week: str
    draw: Draw | None
    threshold: float
    rows: list[sampling.GroupDrift]
    pairs: list[sampling.Pair]

    @property
    def flagged(self) -> int:
        return sum(row.flagged for row in self.rows)


def discrepancy_report(campaign, week: str) -> Report:
    draw = current_draw(campaign, week)
    limit = threshold(campaign)
    if draw is None:
        return Report(week, None, limit, [], [])
    rechecks = list(draw.rechecks.select_related("village"))
    groups = township_groups(campaign, [r.village for r in rechecks])
    scores = group_scores(campaign, week)
    pairs = [sampling.Pair(groups[r.village.code], r.village.code, scores[r.village.code], r.score)
             for r in rechecks if r.village.code in scores]
    return Report(week, draw, limit, sampling.discrepancy(pairs, limit), pairs)


def latest_report_week(campaign) -> str | None:
    """The latest week with a current draw that has re-inspections (the dashboard's link)."""
    return (Draw.objects.filter(campaign=campaign, current=True, rechecks__isnull=False)
            .order_by("-week").values_list("week", flat=True).first())
