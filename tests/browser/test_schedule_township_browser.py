"""A township's interviews scheduled at once in a real browser, on a desk and on a phone: the office opens the
interview list's "schedule a township" form, picks the week and the township, gives one time, place and
interviewer, and every pending interview of that township is scheduled (checked in the live server's database).
On the phone the list is a stack of cards. Screenshots are saved under the test's tmp path.

The publish side of the Friday (refused without a reason while a township is missing, then done with one) is in
test_ranking.py, the one browser test that publishes the current week."""

import datetime as dt
from collections import Counter

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}
PHONE = {"viewport": {"width": 360, "height": 800}, "locale": "en-US", "is_mobile": True, "has_touch": True}


def _schedule(page, week: str, town, when: dt.datetime, place: str) -> None:
    page.goto(f"/interviews/?week={week}")
    box = page.locator("#schedule-many-box")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    form = page.locator("#schedule-many")
    form.locator("#id_many-week").select_option(week)
    form.locator("#id_many-town").select_option(town.code)
    form.locator("#id_many-scheduled_for").fill(when.strftime("%Y-%m-%dT%H:%M"))
    form.locator("#id_many-place").fill(place)
    form.locator("#id_many-interviewer").fill("县委副书记 王强")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_office_schedules_a_whole_township_on_desk_and_phone(signed_in, server_db, tmp_path):
    from django.utils import timezone

    from dudao.interviews.models import Interview
    from dudao.org.models import Unit
    from dudao.ranking.models import Round

    round_ = Round.objects.using(server_db).filter(status="published").order_by("-week_start").first()
    pending = Interview.objects.using(server_db).filter(round=round_, status="pending", vacant=False)
    towns = [code for code, _n in Counter(pending.values_list("village__parent__code", flat=True)).most_common(2)]
    assert len(towns) == 2
    when = timezone.localtime().replace(hour=15, minute=0, second=0, microsecond=0) + dt.timedelta(days=2)

    for (options, label), code in zip(((DESKTOP, "desk"), (PHONE, "phone")), towns, strict=True):
        town = Unit.objects.using(server_db).get(code=code)
        ids = sorted(pending.filter(village__parent__code=code).values_list("pk", flat=True))
        page = signed_in("demo_office", **options)
        _schedule(page, round_.week, town, when, f"{town.name}会议室")
        expect(page.locator(".flash.success")).to_have_text(
            f"Scheduled {len(ids)} interviews of {town.name} for week {round_.week}: "
            f"{when:%Y-%m-%d %H:%M}, {town.name}会议室.")
        rows = Interview.objects.using(server_db).filter(pk__in=ids)
        assert set(rows.values_list("status", "place")) == {("scheduled", f"{town.name}会议室")}
        assert {timezone.localtime(t) for t in rows.values_list("scheduled_for", flat=True)} == {when}
        # The list, filtered to the week and the township, shows them scheduled.
        shown = page.locator("#interviews tbody tr[data-pk][data-status=scheduled]")
        expect(shown.first).to_be_visible()
        assert set(map(int, shown.evaluate_all("rows => rows.map(r => r.dataset.pk)"))) >= set(ids)
        page.screenshot(path=str(tmp_path / f"schedule-township-{label}.png"), full_page=True)
        if label == "phone":
            # A stack of cards: no sideways scrolling, each cell named by its column.
            first = page.locator("#interviews tbody tr[data-pk]").first
            assert first.evaluate("r => getComputedStyle(r).display") == "block"
            assert first.locator("td.status").evaluate(
                "td => getComputedStyle(td, '::before').content") == '"status"'
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 360
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schedule-township-desk.png", "schedule-township-phone.png"]
