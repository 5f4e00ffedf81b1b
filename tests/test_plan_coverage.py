"""Inspection coverage (issue 15, item 6; decision 0025): an inspection group's weekly visit plan (only its
townships' villages, not a past week, only its inspectors and the office), planned against visited, and the villages
nobody has visited for N weeks (N the campaign's setting, 2 by default)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.inspections import services as inspections
from dudao.org.models import GroupKind, Unit, WorkingGroup
from dudao.plan import coverage
from dudao.plan.models import CoverageSettings, VisitPlan

YITIAOSHAN, XIQUAN = "620423100000", "620423103000"


@pytest.fixture
def campaign(db):
    return campaign_get()


def group_of(code: str) -> WorkingGroup:
    return WorkingGroup.objects.get(kind=GroupKind.INSPECTION, towns__code=code)


def villages_of(code: str) -> list[Unit]:
    return list(Unit.objects.ranked().filter(active=True, parent__code=code).order_by("path"))


def inspect(actor, village: Unit, at: dt.datetime | None = None):
    campaign = campaign_get()
    checklist = inspections.checklist_default(campaign)
    marks = [inspections.MarkInput(item.pk, item.max_points) for item in checklist.items.all()]
    at = at or timezone.now()
    return inspections.inspection_submit(actor=actor, campaign=campaign, village=village, checklist=checklist,
                                         marks=marks, inspected_at=at,
                                         client_key=f"test-{village.code}-{at:%Y%m%d%H%M%S%f}").inspection


def this_week() -> str:
    return weeks.week_of(timezone.localdate())


# The plan --------------------------------------------------------------------------------------------------------


def test_the_groups_inspector_plans_next_week_and_it_is_audit_logged(campaign, users):
    group, week = group_of(YITIAOSHAN), weeks.add_weeks(this_week(), 1)
    a, b = villages_of(YITIAOSHAN)[:2]
    events = AuditEvent.objects.count()
    plan = coverage.visit_plan_save(actor=users["inspector"], campaign=campaign, group=group, week=week,
                                    village_codes=[b.code, a.code, a.code, " "])
    assert sorted(plan.villages.values_list("code", flat=True)) == [a.code, b.code]
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-pk").first()
    assert (event.action, event.object_id) == ("visit_plan.save", f"{group.pk}/{week}")
    assert event.after == {"group": group.name, "week": week, "villages": [a.code, b.code]}
    # Changed: the event keeps the villages before; saved unchanged: nothing is logged.
    coverage.visit_plan_save(actor=users["office"], campaign=campaign, group=group, week=week,
                             village_codes=[a.code])
    event = AuditEvent.objects.order_by("-pk").first()
    assert (event.before, event.after["villages"]) == ({"villages": [a.code, b.code]}, [a.code])
    coverage.visit_plan_save(actor=users["office"], campaign=campaign, group=group, week=week,
                             village_codes=[a.code])
    assert AuditEvent.objects.count() == events + 2
    assert coverage.planned_codes(group, week) == {a.code}


def test_a_village_of_another_township_is_refused_by_its_code(campaign, users):
    group, week = group_of(YITIAOSHAN), this_week()
    own, foreign = villages_of(YITIAOSHAN)[0], villages_of(XIQUAN)[0]
    before = coverage.planned_codes(group, week)
    events = AuditEvent.objects.count()
    with pytest.raises(Refused) as refused:
        coverage.visit_plan_save(actor=users["inspector"], campaign=campaign, group=group, week=week,
                                 village_codes=[own.code, foreign.code])
    assert refused.value.code == "village_foreign"
    assert refused.value.message == f"村 {foreign.code} 不是本组所包抓乡镇的村。"
    assert coverage.planned_codes(group, week) == before
    assert AuditEvent.objects.count() == events


def test_an_unknown_code_and_a_township_are_refused_too(campaign, users):
    group = group_of(YITIAOSHAN)
    for code in ("999999999999", YITIAOSHAN):
        with pytest.raises(Refused) as refused:
            coverage.visit_plan_save(actor=users["office"], campaign=campaign, group=group, week=this_week(),
                                     village_codes=[code])
        assert (refused.value.code, refused.value.params["codes"]) == ("village_foreign", [code])


def test_a_past_week_is_refused(campaign, users):
    group, week = group_of(YITIAOSHAN), weeks.add_weeks(this_week(), -1)
    with pytest.raises(Refused) as refused:
        coverage.visit_plan_save(actor=users["office"], campaign=campaign, group=group, week=week,
                                 village_codes=[villages_of(YITIAOSHAN)[0].code])
    assert refused.value.code == "week_past"
    assert refused.value.message == f"{week} 已经过去，其计划不能再修改。"
    assert not VisitPlan.objects.filter(group=group, week=week).exists()


def test_a_week_that_is_no_week_is_refused(campaign, users):
    with pytest.raises(Refused) as refused:
        coverage.visit_plan_save(actor=users["office"], campaign=campaign, group=group_of(YITIAOSHAN),
                                 week="2026-W60", village_codes=[])
    assert refused.value.code == "week_invalid"


@pytest.mark.parametrize("role", ["leader", "town_staff", "village_staff"])
def test_other_roles_may_not_plan(campaign, users, role):
    with pytest.raises(PermissionDenied):
        coverage.visit_plan_save(actor=users[role], campaign=campaign, group=group_of(XIQUAN), week=this_week(),
                                 village_codes=[])


def test_an_inspector_may_not_plan_another_group(campaign, users):
    with pytest.raises(PermissionDenied):
        coverage.visit_plan_save(actor=users["inspector"], campaign=campaign, group=group_of(XIQUAN),
                                 week=this_week(), village_codes=[villages_of(XIQUAN)[0].code])


# Planned against visited ---------------------------------------------------------------------------------------


def test_planned_visited_and_both_differences(campaign, users):
    group, week = group_of(YITIAOSHAN), this_week()
    already = coverage.visited_codes(group, week)  # the demo's inspections of this week
    fresh = [v for v in villages_of(YITIAOSHAN) if v.code not in already]
    a, b, c, d = fresh[:4]
    coverage.visit_plan_save(actor=users["inspector"], campaign=campaign, group=group, week=week,
                             village_codes=[a.code, b.code])
    inspect(users["inspector"], a)
    inspect(users["inspector"], c)
    inspect(users["office"], d)  # the office is not one of the group's inspectors
    inspect(users["inspector"], b, timezone.now() - dt.timedelta(days=7))  # last week's visit is not this week's
    result = coverage.group_coverage(group, week)
    codes = {name: [v.code for v in getattr(result, name)]
             for name in ("planned", "visited", "planned_not_visited", "visited_unplanned")}
    in_order = [v.code for v in villages_of(YITIAOSHAN)]
    assert codes == {
        "planned": [a.code, b.code],
        "visited": [code for code in in_order if code in already | {a.code, c.code}],
        "planned_not_visited": [b.code],
        "visited_unplanned": [code for code in in_order if code in already | {c.code}],
    }
    assert result.planned_visited == 1


def test_a_group_without_a_plan_has_only_visits(campaign, users):
    group, week = group_of(YITIAOSHAN), weeks.add_weeks(this_week(), 1)
    result = coverage.group_coverage(group, week)
    assert (result.planned, result.visited, result.planned_not_visited, result.visited_unplanned) == ([], [], [], [])


def test_township_staff_see_their_townships_part(campaign, users):
    rows = coverage.coverage(users["town_staff"], campaign, this_week())
    assert [row.group for row in rows] == [group_of(XIQUAN)]
    assert {v.parent.code for v in rows[0].planned} == {XIQUAN}
    assert {row.group.pk for row in coverage.coverage(users["leader"], campaign, this_week())} == set(
        WorkingGroup.objects.filter(kind=GroupKind.INSPECTION).values_list("pk", flat=True))
    assert [row.group for row in coverage.coverage(users["inspector"], campaign, this_week())] == [
        group_of(YITIAOSHAN)]
    assert coverage.coverage(users["village_staff"], campaign, this_week()) == []


# The villages nobody has visited for N weeks --------------------------------------------------------------------


def unvisited_codes(user, count: int, week: str | None = None) -> list[str]:
    return [row.village.code for row in coverage.unvisited(user, campaign_get(), week or this_week(), count)]


def test_the_setting_defaults_to_two_weeks_and_the_office_changes_it(campaign, users):
    assert not CoverageSettings.objects.exists()
    assert coverage.unvisited_weeks(campaign) == 2
    events = AuditEvent.objects.count()
    coverage.coverage_settings_update(actor=users["office"], campaign=campaign, unvisited_weeks=3)
    assert coverage.unvisited_weeks(campaign) == 3
    event = AuditEvent.objects.order_by("-pk").first()
    assert (event.action, event.before, event.after) == ("coverage.settings", {"unvisited_weeks": 2},
                                                         {"unvisited_weeks": 3})
    for bad in (0, 53):
        with pytest.raises(Refused) as refused:
            coverage.coverage_settings_update(actor=users["office"], campaign=campaign, unvisited_weeks=bad)
        assert refused.value.code == "unvisited_weeks_range"
    with pytest.raises(PermissionDenied):
        coverage.coverage_settings_update(actor=users["leader"], campaign=campaign, unvisited_weeks=4)
    assert coverage.unvisited_weeks(campaign) == 3
    assert AuditEvent.objects.count() == events + 1


def test_a_visit_takes_a_village_off_the_list_for_n_weeks(campaign, users):
    listed = set(unvisited_codes(users["office"], 2))
    village = next(v for v in villages_of(YITIAOSHAN) if v.code in listed)
    inspect(users["inspector"], village, timezone.now() - dt.timedelta(days=7))  # last week
    assert village.code not in unvisited_codes(users["office"], 2)
    assert village.code in unvisited_codes(users["office"], 1)  # not this week
    row = next(r for r in coverage.unvisited(users["office"], campaign, this_week(), 1)
               if r.village.code == village.code)
    assert row.last_week == weeks.add_weeks(this_week(), -1)
    # Looking back from the week before, that visit lies in the window.
    assert village.code not in unvisited_codes(users["office"], 1, weeks.add_weeks(this_week(), -1))


def test_a_townships_own_inspection_is_not_a_visit(campaign, users):
    listed = set(unvisited_codes(users["office"], 2))
    village = next(v for v in villages_of(XIQUAN) if v.code in listed)
    inspect(users["town_staff"], village)
    assert village.code in unvisited_codes(users["office"], 2)
    inspect(users["office"], village)
    assert village.code not in unvisited_codes(users["office"], 2)


def test_the_list_is_every_village_without_a_visit_in_the_window(campaign, users):
    from dudao.inspections.models import Inspection

    week = this_week()
    window = {weeks.add_weeks(week, -1), week}
    visited = set(Inspection.objects.filter(week__in=window, inspector__role__in=coverage.INDEPENDENT_ROLES)
                  .values_list("village__code", flat=True))
    everything = Unit.objects.ranked().filter(active=True).order_by("path").values_list("code", flat=True)
    assert unvisited_codes(users["office"], 2) == [code for code in everything if code not in visited]
    assert unvisited_codes(users["town_staff"], 2) == [
        v.code for v in villages_of(XIQUAN) if v.code not in visited]
    village = users["village_staff"].scope_unit.code
    assert unvisited_codes(users["village_staff"], 2) == ([] if village in visited else [village])
