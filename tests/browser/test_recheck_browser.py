"""The audit groups' re-inspection in a real browser, with screenshots: the office draws a week's sample for
第一督察组, the group's inspector (demo_audit) re-inspects one sampled village with the same checklist, and the
discrepancy report shows the township group's difference; the leaders' dashboard links to the latest report."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_draw_re_inspect_and_report(signed_in, server_db, tmp_path):
    from dudao.inspections.models import Inspection
    from dudao.recheck import selectors
    from dudao.recheck.models import Draw, Recheck

    week = sorted(set(Inspection.objects.using(server_db).values_list("week", flat=True)))[-2]

    office = signed_in("demo_office")
    office.goto("/recheck/")
    form = office.locator("#draw-form")
    form.locator("input[name=week]").fill(week)
    form.locator("input[name=size]").fill("41")
    form.locator("select[name=group]").select_option(label="第一督察组")
    form.locator("button").click()
    expect(office.locator("#draw-error")).to_have_text(f"抽查数量 41 大于 {week} 周已检查的 40 个村。")
    assert not Draw.objects.using(server_db).filter(week=week).exists()
    office.locator("#draw-form input[name=size]").fill("3")
    office.locator("#draw-form button").click()
    expect(office.locator("#sample tbody tr")).to_have_count(3)
    expect(office.locator("#draw-verified")).to_have_attribute("data-ok", "yes")
    office.screenshot(path=str(tmp_path / "recheck-drawn.png"), full_page=True)
    draw = Draw.objects.using(server_db).get(week=week, current=True)
    code = draw.sample[0]

    audit = signed_in("demo_audit")
    audit.goto(f"/recheck/{draw.pk}/")
    audit.locator(f'#sample tr[data-village="{code}"] a.recheck-link').click()
    for field in audit.locator("#recheck-form input[type=number]").all():
        field.fill(field.get_attribute("max"))
    audit.locator("#recheck-form textarea[name=note]").fill("复查：情况良好")
    audit.screenshot(path=str(tmp_path / "recheck-form.png"), full_page=True)
    audit.locator("#recheck-form button").click()
    expect(audit.locator(f'#sample tr[data-village="{code}"] td.score')).to_have_text("100.00")
    recheck = Recheck.objects.using(server_db).get(draw=draw)
    assert (recheck.village.code, recheck.score) == (code, 100.0)

    group_score = selectors.group_inspections(draw.campaign, week).using(server_db).get(village__code=code).score
    leader = signed_in("demo_leader")
    leader.goto(f"/recheck/weeks/{week}/")
    rows = leader.locator("#discrepancy tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td.villages")).to_have_text("1")
    expect(rows.locator("td.mean-diff")).to_have_text(f"{group_score - 100:.2f}")
    expect(rows).to_have_attribute("data-flagged", "yes" if abs(round(group_score - 100, 2)) > 10 else "no")
    leader.screenshot(path=str(tmp_path / "recheck-report.png"), full_page=True)
    leader.goto("/dashboard/")
    expect(leader.locator("#recheck-link")).to_be_visible()
