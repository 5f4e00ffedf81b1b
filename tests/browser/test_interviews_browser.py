"""An interview (约谈) in a real browser: the office filters the list to the interviews still to be scheduled, opens
one, schedules it a few days ahead, then records it as held with minutes and one commitment.

Each step is checked on the page and in the live server's own database (read with the ORM through an extra
connection alias). Independent of the other browser tests: the interview is the first pending one the list shows,
recognised by its id.
"""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}


def test_schedule_then_hold_a_pending_interview(signed_in, server_db):
    from django.utils import timezone

    from dudao.interviews.models import Commitment, Interview

    page = signed_in("demo_office", **DESKTOP)
    page.goto("/interviews/")
    page.locator("#interview-filter select[name=status]").select_option("pending")
    with page.expect_navigation():
        page.locator("#interview-filter button[type=submit]").click()
    assert urlsplit(page.url).query.startswith("status=pending")
    rows = page.locator("#interviews tbody tr[data-pk]")
    expect(rows.first).to_be_visible()
    statuses = set(rows.evaluate_all("rows => rows.map(r => r.dataset.status)"))
    assert statuses == {"pending"}
    pending = Interview.objects.using(server_db).filter(status="pending").count()
    expect(page.locator("#interview-total")).to_have_text(f"{pending} interviews.")

    row = rows.filter(has=page.locator("td.person a")).first  # a person to interview, not a vacant post
    pk = int(row.get_attribute("data-pk"))
    assert Interview.objects.using(server_db).get(pk=pk).status == "pending"
    with page.expect_navigation():
        row.locator("td.week a").click()
    assert urlsplit(page.url).path == f"/interviews/{pk}/"
    expect(page.locator("#interview-status .badge")).to_have_text("to be scheduled")

    # Schedule it three days ahead, at 09:30 the server's local time.
    when = timezone.localtime().replace(hour=9, minute=30, second=0, microsecond=0) + dt.timedelta(days=3)
    place, interviewer = "县委三楼会议室", "县委副书记 王强"
    form = page.locator("#action-schedule")
    form.locator("#id_schedule-scheduled_for").fill(when.strftime("%Y-%m-%dT%H:%M"))
    form.locator("#id_schedule-place").fill(place)
    form.locator("#id_schedule-interviewer").fill(interviewer)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert urlsplit(page.url).path == f"/interviews/{pk}/"
    expect(page.locator(".flash.success")).to_have_text(f"Interview {pk}: scheduled.")
    expect(page.locator("#interview-status .badge")).to_have_text("scheduled")
    expect(page.locator("#interview-schedule")).to_have_text(f"{when:%Y-%m-%d %H:%M} · {place}")
    scheduled = Interview.objects.using(server_db).get(pk=pk)
    assert (scheduled.status, timezone.localtime(scheduled.scheduled_for), scheduled.place,
            scheduled.interviewer) == ("scheduled", when, place, interviewer)

    # Record it as held today, with minutes and one commitment due in two weeks.
    today = timezone.localdate()
    due = today + dt.timedelta(days=14)
    minutes = "通报大水村环境整治排名落后的原因，当事人作出说明。"
    promise = "两周内清理村口垃圾堆并建立日常保洁制度"
    form = page.locator("#action-hold")
    expect(form.locator("#id_hold-held_on")).to_have_value(today.isoformat())
    expect(form.locator("#id_hold-interviewer")).to_have_value(interviewer)
    form.locator("#id_hold-minutes").fill(minutes)
    form.locator("#id_c-0-text").fill(promise)
    form.locator("#id_c-0-due_date").fill(due.isoformat())
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert urlsplit(page.url).path == f"/interviews/{pk}/"
    expect(page.locator(".flash.success")).to_have_text(f"Interview {pk}: held, commitments open.")
    expect(page.locator("#interview-status .badge")).to_have_text("held, commitments open")
    expect(page.locator("#minutes p")).to_have_text(minutes)
    listed = page.locator("#commitments li[data-pk]")
    expect(listed).to_have_count(1)
    expect(listed).to_have_attribute("data-status", "open")
    expect(listed.locator("strong")).to_have_text(promise)

    held = Interview.objects.using(server_db).get(pk=pk)
    assert (held.status, held.held_on, held.minutes) == ("held", today, minutes)
    commitments = list(Commitment.objects.using(server_db).filter(interview_id=pk)
                       .values_list("position", "text", "due_date", "status"))
    assert commitments == [(1, promise, due, "open")]
