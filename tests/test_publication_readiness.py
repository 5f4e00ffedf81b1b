"""A Friday publish that cannot go wrong quietly (issue 13, item 7): what a round misses, shown next to the office's
buttons (ranking.selectors.readiness); the approval's confirmation; the reason required to publish while townships
have not submitted, kept on the round, audit-logged and printed in the bulletin; the agreement threshold.

Each test works on a week of its own, far from the demo's weeks. Messages are compared in English."""

import html
import io
import re

import pytest
from django.core.management import call_command
from django.utils import translation
from openpyxl import load_workbook

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.bulletins import annex, document
from dudao.bulletins.content import build, canonical_json
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.tables import write_csv
from dudao.org.models import Unit
from dudao.publication import services as publication
from dudao.ranking import checks, selectors, services
from dudao.ranking.models import RankingSettings, Round

WEEK = "2025-W20"
HONGSHUI = "620423105000"  # 红水镇, the demo's careless township
XIQUAN = "620423103000"  # 喜泉镇
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def villages_by_town() -> dict[str, list[str]]:
    by_town: dict[str, list[str]] = {}
    for code, town in (Unit.objects.filter(level__in=["village", "community"], active=True).order_by("code")
                       .values_list("code", "parent__code")):
        by_town.setdefault(town, []).append(code)
    return by_town


def load_week(missing: tuple[str, ...] = (), inspected: int = 40, week: str = WEEK, backwards: str = "") -> Round:
    """The township source of every township but ``missing`` (by code), ``backwards`` ranking its villages in
    the reverse order of the others; and an inspection score for every third village up to ``inspected``
    villages (by code, as the townships rank them)."""
    campaign = campaign_get()
    by_town = villages_by_town()
    town_rows = [[c, str(n)] for town, codes in by_town.items() if town not in missing
                 for n, c in enumerate(codes[::-1] if town == backwards else codes, start=1)]
    everyone = sorted(c for codes in by_town.values() for c in codes)
    inspection = [[c, str(100 - n)] for n, c in enumerate(everyone[::3][:inspected])]
    for source, header, rows in (("town", ["code", "rank"], town_rows), ("inspection", ["code", "score"], inspection)):
        if rows:
            report = services.ranking_import(actor=SYSTEM, campaign=campaign, week=week, source=source,
                                             data=write_csv(header, rows), filename=f"{source}.csv")
            assert report.ok, report.problems
    return selectors.round_live(campaign, week)


def names_of(codes) -> list[str]:
    return list(Unit.objects.filter(code__in=codes).order_by("code").values_list("name", flat=True))


def body(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def client_of(users, client_for):
    return lambda role: client_for(users[role])


# The readiness of a round --------------------------------------------------------------------------------------


def test_readiness_names_missing_townships_and_thin_villages(db):
    campaign = campaign_get()
    round_ = load_week(missing=(HONGSHUI, XIQUAN))
    by_town = villages_by_town()
    ready = selectors.readiness(campaign, round_)
    assert [t.code for t in ready.towns_missing] == [XIQUAN, HONGSHUI]
    inspected = set(sorted(c for codes in by_town.values() for c in codes)[::3][:40])
    unsubmitted = set(by_town[HONGSHUI]) | set(by_town[XIQUAN])
    assert {g.unit.code for g in ready.no_source} == unsubmitted - inspected
    assert {g.unit.code for g in ready.one_source} == (set().union(*by_town.values()) - unsubmitted - inspected) | (
        unsubmitted & inspected)
    assert {g.unit.code for g in ready.town_only} == set().union(*by_town.values()) - unsubmitted - inspected
    assert {g.sources for g in ready.town_only} == {("town",)}
    assert {g.sources for g in ready.one_source if g.unit.code in unsubmitted} == {("inspection",)}
    # Before computing: no results, no checks, nothing counted.
    assert (ready.ranked, ready.tiers, ready.flagged_towns, ready.flips) == (
        0, {"green": 0, "yellow": 0, "red": 0}, [], 0)
    assert {g.result for g in ready.no_source + ready.one_source} == {None}

    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    ready = selectors.readiness(campaign, selectors.round_live(campaign, WEEK))
    listed = Round.objects.get(week=WEEK).results
    assert ready.ranked == listed.filter(position__isnull=False).count() == 151 - len(unsubmitted - inspected)
    assert ready.tiers == {t: listed.filter(tier=t).count() for t in ("green", "yellow", "red")}
    assert {g.unit.code: g.result.tier for g in ready.town_only} == dict(
        listed.filter(unit__code__in=[g.unit.code for g in ready.town_only]).values_list("unit__code", "tier"))
    flips = {u.pk for flip in checks.sensitivity(Round.objects.get(week=WEEK)) for u in flip.units}
    assert ready.flips == len(flips)
    assert ready.has_gaps is True


def test_readiness_of_a_week_without_a_round_lists_every_township(db):
    ready = selectors.readiness(campaign_get(), None)
    assert [t.code for t in ready.towns_missing] == list(
        Unit.objects.filter(level="town", active=True).order_by("code").values_list("code", flat=True))
    assert (ready.round, ready.no_source, ready.one_source, ready.ranked) == (None, [], [], 0)


# The reason for publishing with townships missing ------------------------------------------------------------


def test_request_without_a_reason_is_refused_while_a_township_is_missing(users):
    campaign = campaign_get()
    load_week(missing=(HONGSHUI,))
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    before = AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.ranking_request_publication(actor=users["office"], campaign=campaign, week=WEEK, reason="  ")
    assert (refused.value.code, refused.value.message) == (
        "missing_towns_reason", "1 township has not submitted its ranking (红水镇): state the reason for publishing "
                                "week 2025-W20 without it.")
    round_ = Round.objects.get(week=WEEK)
    assert (round_.status, round_.publish_reason, AuditEvent.objects.count()) == ("computed", "", before)

    services.ranking_request_publication(actor=users["office"], campaign=campaign, week=WEEK,
                                         reason=" 红水镇停电，无法报送 ")
    round_.refresh_from_db()
    assert (round_.status, round_.publish_reason) == ("pending", "红水镇停电，无法报送")
    event = AuditEvent.objects.filter(action="ranking.request_publication").latest("seq")
    assert (event.after["missing_towns"], event.after["reason"]) == ([HONGSHUI], "红水镇停电，无法报送")


def test_approval_needs_the_confirmation_then_keeps_the_request_s_reason(users):
    campaign = campaign_get()
    load_week(missing=(HONGSHUI, XIQUAN))
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    services.ranking_request_publication(actor=users["office"], campaign=campaign, week=WEEK, reason="两镇未报")
    with translation.override("en"), pytest.raises(Refused) as refused:
        publication.round_approve(actor=users["county_admin"], campaign=campaign, week=WEEK)
    assert (refused.value.code, refused.value.message) == (
        "confirmation_required", "Confirm the week and its counts before publishing week 2025-W20.")
    assert (Round.objects.get(week=WEEK).status, Round.objects.get(week=WEEK).interviews.count()) == ("pending", 0)

    published = publication.round_approve(actor=users["county_admin"], campaign=campaign, week=WEEK, confirmed=True)
    assert (published.status, published.publish_reason) == ("published", "两镇未报")
    event = AuditEvent.objects.filter(action="ranking.publish").latest("seq")
    assert (event.after["missing_towns"], event.after["reason"]) == ([XIQUAN, HONGSHUI], "两镇未报")


def test_the_approver_may_restate_the_reason_but_not_remove_it(users):
    campaign = campaign_get()
    load_week(missing=(HONGSHUI,))
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    services.ranking_request_publication(actor=users["office"], campaign=campaign, week=WEEK, reason="first")
    published = publication.round_approve(actor=users["county_admin"], campaign=campaign, week=WEEK,
                                          confirmed=True, reason="second")
    assert published.publish_reason == "second"


def test_direct_publish_needs_a_reason_while_a_township_is_missing(db):
    campaign = campaign_get()
    load_week(missing=(HONGSHUI,))
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    with pytest.raises(Refused) as refused:
        publication.round_publish(actor=SYSTEM, campaign=campaign, week=WEEK)
    assert refused.value.code == "missing_towns_reason"
    assert Round.objects.get(week=WEEK).status == "computed"
    assert publication.round_publish(actor=SYSTEM, campaign=campaign, week=WEEK, reason="停电").publish_reason == "停电"


def test_no_reason_is_kept_when_every_township_submitted(db):
    campaign = campaign_get()
    load_week()
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    published = publication.round_publish(actor=SYSTEM, campaign=campaign, week=WEEK, reason="not needed")
    assert published.publish_reason == ""
    event = AuditEvent.objects.filter(action="ranking.publish").latest("seq")
    assert (event.after["missing_towns"], event.after["reason"]) == ([], "")
    content = build(published, chart=False)
    assert (content.missing_towns, content.publish_reason, document.basis_text(content)) == ((), "", "")
    # A week every township submitted keeps the bulletin digest it had before the reason existed.
    assert '"publish_reason"' not in canonical_json(content) and '"missing_towns"' not in canonical_json(content)


def test_command_line_publish_takes_the_reason(db):
    campaign = campaign_get()
    load_week(missing=(HONGSHUI,))
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    with pytest.raises(Exception, match="红水镇"):
        call_command("ranking", "publish", "--week", WEEK, stderr=io.StringIO())
    call_command("ranking", "publish", "--week", WEEK, "--reason", "红水镇停电", stderr=io.StringIO())
    assert (Round.objects.get(week=WEEK).status, Round.objects.get(week=WEEK).publish_reason) == (
        "published", "红水镇停电")


def test_the_bulletin_prints_the_missing_townships_and_the_reason(db):
    campaign = campaign_get()
    load_week(missing=(HONGSHUI, XIQUAN))
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    round_ = publication.round_publish(actor=SYSTEM, campaign=campaign, week=WEEK, reason="两镇停电，无法报送")
    content = build(round_, chart=False)
    assert (content.missing_towns, content.publish_reason) == (("喜泉镇", "红水镇"), "两镇停电，无法报送")
    with translation.override("en"):
        sentence = ("The townships 喜泉镇、红水镇 had not submitted their own ranking when the week was published; "
                    "their villages are ranked without it. Reason for publishing: 两镇停电，无法报送")
        assert document.basis_text(content) == sentence
        values = document.context(content)
        assert (values["basis"], values["summary"].endswith(f" {sentence}")) == (sentence, True)
        book = load_workbook(io.BytesIO(annex.render(content)))
    assert [[c.value for c in row] for row in book["Basis"].iter_rows()] == [
        ["townships missing", "reason for publishing"], ["喜泉镇、红水镇", "两镇停电，无法报送"]]
    assert '"publish_reason":"两镇停电，无法报送"' in canonical_json(content)


# The round page --------------------------------------------------------------------------------------------------


def test_round_page_shows_what_is_missing_above_the_buttons(client_of):
    load_week(missing=(HONGSHUI,))
    office = client_of("office")
    office.post(f"/ranking/{WEEK}/action/", {"action": "compute"})
    page = body(office.get(f"/ranking/?week={WEEK}", **EN))
    ready = selectors.readiness(campaign_get(), Round.objects.get(week=WEEK))
    assert page.index('id="readiness"') < page.index('value="request"') < page.index('id="submissions"')
    towns = re.search(r'<li id="readiness-towns">(.*?)</li>', page, re.S).group(1)
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", towns)).strip() == (
        "1 township has not submitted its own ranking: 红水镇")
    town_only = re.findall(r'<a href="/ranking/village/(\d+)/" data-code="\d+">',
                           re.search(r'<span id="readiness-town-only">(.*?)</span>\s*\n', page, re.S).group(1))
    assert town_only == [g.unit.code for g in ready.town_only]
    assert '<textarea name="publish_reason" rows="2" maxlength="2000" required>' in page
    assert 'name="confirm"' not in page  # requesting is not publishing: no confirmation yet


def test_request_and_approve_on_the_page(client_of):
    load_week(missing=(HONGSHUI,))
    office, admin = client_of("office"), client_of("county_admin")
    office.post(f"/ranking/{WEEK}/action/", {"action": "compute"})
    refused = office.post(f"/ranking/{WEEK}/action/", {"action": "request"}, follow=True, **EN)
    assert ("1 township has not submitted its ranking (红水镇): state the reason for publishing week 2025-W20 "
            "without it.") in body(refused)
    assert Round.objects.get(week=WEEK).status == "computed"
    office.post(f"/ranking/{WEEK}/action/", {"action": "request", "publish_reason": "红水镇停电"})
    assert Round.objects.get(week=WEEK).status == "pending"

    page = body(admin.get(f"/ranking/?week={WEEK}", **EN))
    ready = selectors.readiness(campaign_get(), Round.objects.get(week=WEEK))
    label = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", re.search(
        r'<label id="confirm-label">(.*?)</label>', page, re.S).group(1))).strip()
    assert label == (f"I confirm publishing week {WEEK}: {ready.ranked} villages ranked, {ready.tiers['green']} "
                     f"green, {ready.tiers['yellow']} yellow and {ready.tiers['red']} red; 1 townships missing.")
    assert f'<input type="checkbox" name="confirm" value="{WEEK}" required>' in page
    assert '<dd id="round-publish-reason">红水镇停电</dd>' in page

    refused = admin.post(f"/ranking/{WEEK}/action/", {"action": "approve"}, follow=True, **EN)
    assert "Confirm the week and its counts before publishing week 2025-W20." in body(refused)
    wrong_week = admin.post(f"/ranking/{WEEK}/action/", {"action": "approve", "confirm": "2025-W21"}, follow=True,
                            **EN)
    assert "Confirm the week and its counts before publishing week 2025-W20." in body(wrong_week)
    assert Round.objects.get(week=WEEK).status == "pending"
    admin.post(f"/ranking/{WEEK}/action/", {"action": "approve", "confirm": WEEK})
    round_ = Round.objects.get(week=WEEK)
    assert (round_.status, round_.publish_reason) == ("published", "红水镇停电")
    assert '<dd id="round-publish-reason">红水镇停电</dd>' in body(admin.get(f"/ranking/?week={WEEK}", **EN))


# The agreement threshold ------------------------------------------------------------------------------------------


def test_a_township_below_the_agreement_threshold_is_flagged(users):
    """红水镇 ranks its villages backwards (tau-b -1), every other township as the inspections do (tau-b 1): the
    spread of the others is nil, so only the threshold can flag it."""
    campaign = campaign_get()
    load_week(inspected=151, backwards=HONGSHUI)
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    rows = checks.agreement(Round.objects.get(week=WEEK))
    assert {a.town.code: a.tau_b for a in rows if a.tau_b != 1.0} == {HONGSHUI: -1.0}
    assert [(a.town.code, a.flagged, a.below_threshold) for a in rows if a.flagged] == [(HONGSHUI, True, True)]
    ready = selectors.readiness(campaign, Round.objects.get(week=WEEK))
    assert [a.town.code for a in ready.flagged_towns] == [HONGSHUI]

    services.settings_update(actor=users["office"], campaign=campaign, agreement_threshold=-1.0)
    services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    rows = checks.agreement(Round.objects.get(week=WEEK))
    assert [(a.flagged, a.below_threshold) for a in rows] == [(False, False)] * len(rows)


def test_the_threshold_defaults_to_0_7_and_is_validated_and_audited(users, client_of):
    campaign = campaign_get()
    assert RankingSettings(campaign=campaign).agreement_threshold == 0.7
    with pytest.raises(ValueError, match="agreement_threshold must lie between -1 and 1"):
        services.settings_update(actor=users["office"], campaign=campaign, agreement_threshold=1.5)
    office = client_of("office")
    current = services.settings_current(campaign)
    form = {name: getattr(current, name) for name in services.SETTING_FIELDS}
    form["deadline_time"] = current.deadline_time.strftime("%H:%M")
    form = {k: v for k, v in form.items() if v is not False}
    response = office.post("/ranking/settings/", form | {"agreement_threshold": "1.5"}, **EN)
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 1." in body(response)
    assert services.settings_current(campaign).version == current.version
    office.post("/ranking/settings/", form | {"agreement_threshold": "0.65"})
    new = services.settings_current(campaign)
    assert (new.version, new.agreement_threshold) == (current.version + 1, 0.65)
    event = AuditEvent.objects.filter(action="ranking.settings").latest("seq")
    assert (event.before["agreement_threshold"], event.after["agreement_threshold"]) == (
        current.agreement_threshold, 0.65)
