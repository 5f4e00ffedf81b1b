"""Accountability (问责追究) in a real browser: the office opens a held demo interview without an outcome, records
accountability with the decision's reference and date, and the outcome shows on the interview and in the person's
history (the interviews' history page and the organisation's person page). Checked on the page and in the live
server's own database; screenshots under the test's tmp path."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}


def test_the_office_records_an_outcome_and_it_shows_in_the_history(signed_in, server_db, tmp_path):
    from django.utils import timezone

    from dudao.interviews.models import Interview, Outcome

    interview = (Interview.objects.using(server_db).filter(status="held", outcomes__isnull=True, post__isnull=False)
                 .order_by("-round__week_start", "pk").first())
    assert interview is not None
    today = timezone.localdate()
    page = signed_in("demo_office", **DESKTOP)
    page.goto(f"/interviews/{interview.pk}/")
    expect(page.locator("#outcome-none")).to_have_text("No outcome recorded yet.")
    with page.expect_navigation():
        page.locator("#outcome-link").click()
    assert urlsplit(page.url).path == f"/interviews/{interview.pk}/outcome/"

    form = page.locator("#outcome-form")
    form.locator("input[name=kind][value=accountability]").check()
    form.locator("#id_decided_on").fill(today.isoformat())
    with page.expect_navigation():  # refused: accountability needs its reference
        form.locator("button[type=submit]").click()
    expect(page.locator("#outcome-errors")).to_contain_text("Give the decision's reference (文号)")
    assert not Outcome.objects.using(server_db).filter(interview_id=interview.pk).exists()

    form = page.locator("#outcome-form")
    form.locator("#id_reference").fill("景纪发〔2026〕9号")
    form.locator("#id_note").fill("给予党内警告处分")
    page.screenshot(path=str(tmp_path / "outcome-form.png"), full_page=True)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert urlsplit(page.url).path == f"/interviews/{interview.pk}/"
    expect(page.locator(".flash.success")).to_have_text(f"Interview {interview.pk}: outcome recorded.")
    outcome = Outcome.objects.using(server_db).get(interview_id=interview.pk)
    assert (outcome.kind, outcome.reference, outcome.decided_on, outcome.note, outcome.person_id) == (
        "accountability", "景纪发〔2026〕9号", today, "给予党内警告处分", interview.person_id)
    row = page.locator(f"#outcomes tr[data-pk='{outcome.pk}']")
    expect(row.locator(".outcome-kind")).to_have_text("accountability")
    expect(row.locator(".decision")).to_have_text(f"景纪发〔2026〕9号 · {today:%Y-%m-%d}")

    page.goto(f"/interviews/person/{interview.person_id}/")
    row = page.locator(f"#person-outcomes tr[data-pk='{outcome.pk}']")
    expect(row).to_have_attribute("data-kind", "accountability")
    expect(row.locator(".decision")).to_have_text(f"景纪发〔2026〕9号 · {today:%Y-%m-%d}")
    page.screenshot(path=str(tmp_path / "outcome-person-history.png"), full_page=True)

    page.goto(f"/people/{interview.person_id}/")
    expect(page.locator(f"#accountability tr[data-pk='{outcome.pk}']")).to_have_attribute("data-kind",
                                                                                          "accountability")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outcome-form.png", "outcome-person-history.png"]
