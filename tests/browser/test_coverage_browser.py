"""Inspection coverage in a real browser, with screenshots (in this run's pytest temporary folder): the demo
inspector opens their group's plan of this week from the home page on a phone and adds two villages; an inspection
of one of them is recorded through the field app's API; the office's coverage view shows that one visited and the
other planned but not visited."""

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
YITIAOSHAN = "620423100000"


def test_a_group_plans_its_week_and_the_office_sees_planned_against_visited(signed_in, server_db, tmp_path):
    from dudao.inspections.models import Inspection
    from dudao.org.models import RANKED_LEVELS, GroupKind, Unit, WorkingGroup
    from dudao.plan.models import VisitPlan

    group = WorkingGroup.objects.using(server_db).get(kind=GroupKind.INSPECTION, towns__code=YITIAOSHAN)
    inspector = signed_in("demo_inspector", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    inspector.locator("#home-visit-plan").click()
    week = inspector.locator("#plan-week").inner_text()
    planned = set(VisitPlan.objects.using(server_db).get(group=group, week=week)
                  .villages.values_list("code", flat=True))
    visited = set(Inspection.objects.using(server_db).filter(week=week, village__parent__code=YITIAOSHAN,
                                                             inspector__username="demo_inspector")
                  .values_list("village__code", flat=True))
    free = [code for code in Unit.objects.using(server_db).filter(parent__code=YITIAOSHAN, level__in=RANKED_LEVELS,
                                                                  active=True)
            .order_by("path").values_list("code", flat=True) if code not in planned | visited]
    seen, missed = free[0], free[1]
    for code in (seen, missed):
        inspector.locator(f'label[data-village="{code}"] input').check()
    assert inspector.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    inspector.screenshot(path=str(tmp_path / "coverage-plan-phone.png"), full_page=True)
    inspector.locator("#plan-save").click()
    expect(inspector.locator(f'label[data-village="{seen}"] input')).to_be_checked()
    expect(inspector.locator("#plan-summary")).to_contain_text(f"本周计划走访 {len(planned) + 2} 个村")
    assert set(VisitPlan.objects.using(server_db).get(group=group, week=week)
               .villages.values_list("code", flat=True)) == planned | {seen, missed}

    # The inspection, as the field app sends it.
    bootstrap = inspector.request.get("/api/v1/field/bootstrap").json()
    checklist = next(c for c in bootstrap["checklists"] if c["town"] is None)
    token = next(c["value"] for c in inspector.context.cookies() if c["name"] == "csrftoken")
    answer = inspector.request.post("/api/v1/inspections", headers={
        "X-CSRFToken": token, "Content-Type": "application/json"}, data=json.dumps({
            "client_key": "coverage-browser", "village": seen, "checklist": checklist["id"],
            "marks": [{"item": item["id"], "points": item["max_points"]} for item in checklist["items"]]}))
    assert answer.status == 201
    inspector.reload()
    expect(inspector.locator(f'label[data-village="{seen}"] .visited')).to_have_count(1)
    expect(inspector.locator(f'label[data-village="{missed}"] .visited')).to_have_count(0)

    office = signed_in("demo_office")
    office.goto("/plan/coverage/")
    row = office.locator(f'#coverage tr[data-group="{group.pk}"]')
    expect(row.locator(".planned")).to_have_text(str(len(planned) + 2))
    expect(row.locator(".visited")).to_have_text(str(len(visited) + 1))
    expect(row.locator(f'.planned-not-visited [data-village="{missed}"]')).to_have_count(1)
    expect(row.locator(f'.planned-not-visited [data-village="{seen}"]')).to_have_count(0)
    expect(row.locator(f'.visited-unplanned [data-village="{seen}"]')).to_have_count(0)
    expect(office.locator(f'#unvisited tr[data-village="{seen}"]')).to_have_count(0)
    office.screenshot(path=str(tmp_path / "coverage-office.png"), full_page=True)
