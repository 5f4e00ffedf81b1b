"""The round's life beyond the happy path: revisions, settings versions, the township-only rule, four eyes and
concurrent publishing."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.tables import write_csv
from dudao.interviews.models import Interview
from dudao.org.models import Unit
from dudao.publication import services as publication
from dudao.ranking import selectors, services
from dudao.ranking.models import Result, Round

WEEK = "2026-W12"


def expected_reds(round_, red: int, green: int, eligible=None) -> set[str]:
    """CONTRACTS §3 step 6 from the stored composites."""
    rows = list(round_.results.filter(position__isnull=False).values_list("unit__code", "composite"))
    out = set()
    for code, c in rows:
        higher = sum(1 for _o, x in rows if x > c)
        lower_tied = sum(1 for _o, x in rows if x <= c)
        if higher >= green and lower_tied <= red and (eligible is None or code in eligible):
            out.add(code)
    return out


def town_file(week: str = WEEK) -> None:
    rows = []
    for town in Unit.objects.filter(level="town"):
        codes = list(Unit.objects.filter(parent=town).order_by("code").values_list("code", flat=True))
        rows += [[c, str(n)] for n, c in enumerate(codes, start=1)]
    report = services.ranking_import(actor=SYSTEM, campaign=campaign_get(), week=week, source="town",
                                     data=write_csv(["code", "rank"], rows))
    assert report.ok


def test_revision_keeps_the_published_round_and_needs_a_reason(db):
    campaign = campaign_get()
    town_file()
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    first = publication.round_publish(actor=SYSTEM, campaign=campaign, week=WEEK)
    with pytest.raises(Refused) as refused:
        services.ranking_revise(actor=SYSTEM, campaign=campaign, week=WEEK, reason="  ")
    assert (refused.value.code, refused.value.message) == ("reason_required", "修订须说明理由。")
    second = services.ranking_revise(actor=SYSTEM, campaign=campaign, week=WEEK, reason="喜泉镇报送有误")
    first.refresh_from_db()
    assert (first.status, first.revision, second.status, second.revision) == ("superseded", 1, "collecting", 2)
    assert first.results.count() == 151 and first.interviews.count() > 0
    assert second.entries.count() == first.entries.count() == 151
    assert selectors.round_live(campaign, WEEK) == second
    event = AuditEvent.objects.filter(action="ranking.revise").latest("seq")
    assert event.after == {"revision": 2, "reason": "喜泉镇报送有误"}


def test_each_round_keeps_the_settings_it_was_computed_with(db):
    campaign = campaign_get()
    town_file()
    computed = services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    old_version = computed.settings.version
    publication.round_publish(actor=SYSTEM, campaign=campaign, week=WEEK)
    new = services.settings_update(actor=SYSTEM, campaign=campaign, green_count=10, red_count=5)
    assert new.version == old_version + 1
    assert Round.objects.get(week=WEEK).settings.version == old_version
    town_file("2026-W13")
    later = services.ranking_compute(actor=SYSTEM, campaign=campaign, week="2026-W13")
    assert later.settings.version == new.version
    reds = set(later.results.filter(tier="red").values_list("unit__code", flat=True))
    assert 0 < len(reds) <= 5
    assert reds == expected_reds(later, red=5, green=10)
    with pytest.raises(ValueError):
        services.settings_update(actor=SYSTEM, campaign=campaign, red_colour="red")


def test_a_village_is_not_red_on_township_data_alone_when_the_rule_is_on(db):
    campaign = campaign_get()
    services.settings_update(actor=SYSTEM, campaign=campaign, red_needs_independent=True)
    town_file()
    xiquan = list(Unit.objects.filter(parent__code="620423103000").order_by("code").values_list("code", flat=True))
    # Inspected villages of 喜泉镇 are scored in the same order as the township ranked them (by code).
    services.ranking_import(actor=SYSTEM, campaign=campaign, week=WEEK, source="inspection",
                            data=write_csv(["code", "score"], [[c, str(100 - n)] for n, c in enumerate(xiquan)]))
    round_ = services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    reds = set(round_.results.filter(tier="red").values_list("unit__code", flat=True))
    assert reds and reds == expected_reds(round_, red=30, green=30, eligible=set(xiquan))
    capped = set(round_.results.filter(capped=True).values_list("unit__code", flat=True))
    assert capped == expected_reds(round_, red=30, green=30) - reds
    assert set(round_.results.filter(capped=True).values_list("tier", flat=True)) == {"yellow"}


def test_four_eyes_needs_a_second_office_user(users):
    campaign = campaign_get()
    town_file()
    office, admin = users["office"], users["county_admin"]
    services.ranking_compute(actor=office, campaign=campaign, week=WEEK)
    with pytest.raises(Refused) as refused:
        publication.round_publish(actor=office, campaign=campaign, week=WEEK)
    assert refused.value.code == "four_eyes"
    services.ranking_request_publication(actor=office, campaign=campaign, week=WEEK)
    with pytest.raises(Refused) as refused:
        publication.round_approve(actor=office, campaign=campaign, week=WEEK, confirmed=True)
    assert refused.value.code == "same_user"
    assert selectors.round_live(campaign, WEEK).status == "pending"
    with pytest.raises(Refused) as refused:
        services.ranking_compute(actor=admin, campaign=campaign, week=WEEK)
    assert refused.value.code == "transition_refused"
    published = publication.round_approve(actor=admin, campaign=campaign, week=WEEK, confirmed=True)
    assert (published.status, published.published_by_label, published.approved_by_label) == (
        "published", "demo_office", "demo_admin")
    assert (published.published_by, published.approved_by) == (office, admin)


def test_entries_after_a_computation_make_the_draft_stale(db):
    campaign = campaign_get()
    town_file()
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    services.ranking_import(actor=SYSTEM, campaign=campaign, week=WEEK, source="drone",
                            data=write_csv(["code", "score"], [["620423103200", "3"]]))
    round_ = selectors.round_live(campaign, WEEK)
    assert (round_.status, round_.computed_at, Result.objects.filter(round=round_).count()) == ("collecting", None, 0)
    with pytest.raises(Refused) as refused:
        publication.round_publish(actor=SYSTEM, campaign=campaign, week=WEEK)
    assert refused.value.code == "transition_refused"


@pytest.mark.threads
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_publish_once(demo_data, users):
    campaign = campaign_get()
    town_file()
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    services.ranking_request_publication(actor=users["office"], campaign=campaign, week=WEEK)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def approve():
        barrier.wait()
        try:
            publication.round_approve(actor=users["county_admin"], campaign=campaign, week=WEEK, confirmed=True)
            outcomes.append("published")
        except Refused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["published", "refused"]
    round_ = selectors.round_live(campaign, WEEK)
    assert AuditEvent.objects.filter(action="ranking.publish", object_id=f"{campaign.slug}/{WEEK}").count() == 1
    assert Interview.objects.filter(round=round_).count() == len(set(
        Interview.objects.filter(round=round_).values_list("village_id", "role", "post_id")))


def test_office_reminds_the_townships_that_have_not_submitted(users, client_for):
    campaign = campaign_get()
    xiquan = Unit.objects.get(code="620423103000")
    codes = list(Unit.objects.filter(parent=xiquan).order_by("code").values_list("code", flat=True))
    services.ranking_submit_order(actor=users["town_staff"], campaign=campaign, week=WEEK, town=xiquan, codes=codes)
    office = client_for(users["office"])
    response = office.post(f"/ranking/{WEEK}/action/", {"action": "remind"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Reminded 10 township(s)" in response.content.decode()
    from dudao.ranking.models import Reminder

    assert sorted(Reminder.objects.filter(round__week=WEEK).values_list("town__code", flat=True)) == sorted(
        Unit.objects.filter(level="town").exclude(code="620423103000").values_list("code", flat=True))
    assert AuditEvent.objects.latest("seq").action == "ranking.remind"
    with pytest.raises(PermissionDenied):
        publication.towns_remind(actor=users["town_staff"], campaign=campaign, week=WEEK)


def test_the_reminded_township_sees_the_reminder(users, client_for):
    from django.utils import timezone

    from dudao.core import weeks

    this_week = weeks.week_of(timezone.localdate())
    reminded = publication.towns_remind(actor=users["office"], campaign=campaign_get(), week=this_week)
    assert "620423105000" in {t.code for t in reminded}  # 红水镇 has not submitted in the demo
    page = client_for(users["office"]).get("/ranking/submit/", {"town": "620423105000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="reminder"' in page.content.decode()
    assert "The campaign office reminded this township at" in page.content.decode()


def test_settings_page_saves_a_new_version(users, client_for):
    from dudao.ranking.models import RankingSettings

    office = client_for(users["office"])
    current = services.settings_current(campaign_get())
    page = office.get("/ranking/settings/")
    assert page.status_code == 200
    data = {name: getattr(current, name) for name in services.SETTING_FIELDS}
    data.update({"red_count": 20, "deadline_time": "12:00", "red_needs_independent": "", "four_eyes": "on"})
    data = {k: v for k, v in data.items() if v is not False}
    response = office.post("/ranking/settings/", data)
    assert response.status_code == 302
    new = RankingSettings.objects.filter(campaign=campaign_get()).latest("version")
    assert (new.version, new.red_count, new.green_count) == (current.version + 1, 20, current.green_count)
    bad = office.post("/ranking/settings/", {**data, "red_colour": "red", "weight_town": "-1"})
    assert bad.status_code == 200
    assert RankingSettings.objects.filter(campaign=campaign_get()).latest("version").version == new.version
    assert client_for(users["town_staff"]).get("/ranking/settings/").status_code == 403


def test_inspectors_submit_the_inspection_part_of_their_townships(users, client_for):
    from django.utils import timezone

    from dudao.core import weeks
    from dudao.ranking.models import Entry

    this_week = weeks.week_of(timezone.localdate())
    campaign = campaign_get()
    # The demo's current week gets its inspection scores from field inspections; the page says so and offers no
    # form. Without field inspections (a county still on paper) the inspectors type or upload their scores.
    page = client_for(users["inspector"]).get("/ranking/inspection/")
    assert 'id="from-field"' in page.content.decode() and 'id="inspection-scores"' not in page.content.decode()
    # It does not also tell them to type scores that nothing would take.
    assert 'id="inspection-help"' not in page.content.decode()
    assert "leave the others empty" not in client_for(users["inspector"]).get(
        "/ranking/inspection/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    from dudao.inspections.models import Inspection
    from dudao.ranking.models import Round

    Inspection.objects.filter(week=this_week).update(counts=False)
    Round.objects.filter(week=this_week).update(inspection_from_field=False)
    # The office's whole-source import first: one village in 一条山镇 (the inspector's) and one in 喜泉镇.
    services.ranking_import(actor=SYSTEM, campaign=campaign, week=this_week, source="inspection",
                            data=write_csv(["code", "score"], [["620423100200", "50"], ["620423103200", "60"]]))
    inspector = client_for(users["inspector"])
    page = inspector.get("/ranking/inspection/")
    assert page.status_code == 200 and 'name="score_620423100200" value="50"' in page.content.decode()
    assert 'id="inspection-help"' in page.content.decode() and 'id="from-field"' not in page.content.decode()
    assert 'name="score_620423103200"' not in page.content.decode()
    response = inspector.post("/ranking/inspection/", {"action": "scores", "score_620423100201": "88",
                                                       "score_620423100200": "71.5"})
    assert response.status_code == 302
    entries = dict(Entry.objects.filter(round__week=this_week, source="inspection")
                   .values_list("unit__code", "score"))
    # Their townships' part is replaced; 喜泉镇's entry from the office stays.
    assert entries == {"620423100201": 88.0, "620423100200": 71.5, "620423103200": 60.0}
    outside = services.ranking_import(actor=users["inspector"], campaign=campaign, week=this_week,
                                      source="inspection", data=write_csv(["code", "score"], [["620423103201", "9"]]))
    assert [p.code for p in outside.problems] == ["unknown_code"]
    with pytest.raises(PermissionDenied):
        services.ranking_import(actor=users["inspector"], campaign=campaign, week=this_week, source="drone",
                                data=write_csv(["code", "score"], [["620423100200", "3"]]))
    assert client_for(users["town_staff"]).get("/ranking/inspection/").status_code == 403
