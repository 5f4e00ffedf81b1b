"""The leaders are told: a round awaiting approval, a round published (its movers and escalations in two lines) and
once a week a digest - in the app and through the outbox, by the rules per kind and unit. The movers are
ranking.selectors.movers, checked here against the rule worked out from the stored results."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.tables import write_csv
from dudao.interviews.models import Commitment, Interview
from dudao.notifications import kinds
from dudao.notifications import services as notification_services
from dudao.notifications.models import Delivery, Notification
from dudao.org.models import Unit
from dudao.problems.models import Problem
from dudao.publication import services as publication
from dudao.publication.notices import AWAITING, DIGEST, LEADERS_PUBLISHED, leader_digest, round_published_to_leaders
from dudao.ranking import selectors, services
from dudao.ranking.models import Result, Round
from dudao.worker.jobs import periodic_checks

STAFF_TOWN = "620423103000"  # 喜泉镇


def rendered(notification: Notification, language: str) -> tuple[str, str]:
    with translation.override(language):
        return notification_services.render(notification)


def published_rounds() -> list[Round]:
    return list(Round.objects.filter(status="published").select_related("settings").order_by("week_start"))


def town_file(week: str) -> None:
    """Every township ranks its villages by code, for a week."""
    rows = []
    for town in Unit.objects.filter(level="town"):
        codes = list(Unit.objects.filter(parent=town).order_by("code").values_list("code", flat=True))
        rows += [[c, str(n)] for n, c in enumerate(codes, start=1)]
    assert services.ranking_import(actor=SYSTEM, campaign=campaign_get(), week=week, source="town",
                                   data=write_csv(["code", "rank"], rows)).ok


def draft_week() -> str:
    week = weeks.add_weeks(published_rounds()[-1].week, 1)
    town_file(week)
    services.ranking_compute(actor=SYSTEM, campaign=campaign_get(), week=week)
    return week


def tiers_of(round_) -> dict[str, str]:
    return dict(Result.objects.filter(round=round_, position__isnull=False).values_list("unit__code", "tier"))


def counts_of(round_) -> dict[str, int]:
    tiers = list(tiers_of(round_).values())
    return {"ranked": len(tiers), "green": tiers.count("green"), "yellow": tiers.count("yellow"),
            "red": tiers.count("red")}


def leaders() -> list[User]:
    return list(User.objects.filter(role=Role.LEADER, is_active=True).order_by("pk"))


# The movers ---------------------------------------------------------------------------------------------------


def expected_movers(round_, previous) -> dict[str, list[str]]:
    """Worked out from the stored tiers: red → green and green → red against the previous published week, red
    now and not red then (all reds in the first week), red in both (escalated, with the threshold of 2)."""
    now, before = tiers_of(round_), tiers_of(previous) if previous is not None else {}
    order = list(Result.objects.filter(round=round_, position__isnull=False).order_by("position", "unit__code")
                 .values_list("unit__code", flat=True))
    return {
        "red_to_green": [c for c in order if now[c] == "green" and before.get(c) == "red"],
        "green_to_red": [c for c in order if now[c] == "red" and before.get(c) == "green"],
        "new_red": [c for c in order if now[c] == "red" and before.get(c) != "red"],
        "escalated": [c for c in order if now[c] == "red" and before.get(c) == "red"],
    }


def test_movers_of_every_published_week_follow_the_rule(db):
    rounds = published_rounds()
    assert len(rounds) == 7
    seen = {"red_to_green": 0, "green_to_red": 0, "new_red": 0, "escalated": 0}
    for previous, round_ in zip([None, *rounds], rounds, strict=False):
        found = selectors.movers(round_)
        expected = expected_movers(round_, previous)
        assert (found.previous, found.threshold) == (previous, 2)
        assert {name: [r.unit.code for r in getattr(found, name)] for name in expected} == expected, round_.week
        assert found.counts() == {name: len(codes) for name, codes in expected.items()}
        for name, codes in expected.items():
            seen[name] += len(codes)
    # The demo's reds stay red or go yellow, its greens never turn red at once: see the draft week below.
    assert (seen["new_red"] > 0, seen["escalated"] > 0) == (True, True)


def test_movers_of_a_week_ranked_otherwise(db):
    """Every township ranks its villages by code: greens turn red and reds green against the demo's last week."""
    previous = published_rounds()[-1]
    round_ = Round.objects.get(week=draft_week())
    found, expected = selectors.movers(round_), expected_movers(round_, previous)
    assert {name: [r.unit.code for r in getattr(found, name)] for name in expected} == expected
    assert found.previous == previous
    assert min(len(codes) for codes in expected.values()) > 0


def test_movers_of_a_township_are_the_county_s_movers_there(db):
    round_ = published_rounds()[-1]
    county = selectors.movers(round_)
    town = selectors.movers(round_, Result.objects.filter(town__code=STAFF_TOWN))
    for name in ("red_to_green", "green_to_red", "new_red", "escalated"):
        assert [r.unit.code for r in getattr(town, name)] == [
            r.unit.code for r in getattr(county, name) if r.town.code == STAFF_TOWN], name


# A round awaiting approval -----------------------------------------------------------------------------------


def test_a_request_for_publication_tells_the_leaders_and_the_other_office_users(users):
    week = draft_week()
    office = users["office"]
    other = User.objects.create_user(username="office2", role=Role.OFFICE, first_name="二", last_name="王")
    round_ = publication.round_request(actor=office, campaign=campaign_get(), week=week)
    assert round_.status == "pending"
    told = {n.recipient: n for n in Notification.objects.filter(kind=AWAITING)}
    assert set(told) == {*leaders(), other}
    assert office not in told
    c = counts_of(round_)
    assert rendered(told[users["leader"]], "zh-hans") == (
        f"{week} 周排名待审核",
        f"演示办公室 申请发布第 1 版：参排 {c['ranked']} 个，绿 {c['green']} 个、黄 {c['yellow']} 个、红 {c['red']} 个。")
    assert rendered(told[users["leader"]], "en") == (
        f"The ranking of week {week} awaits approval",
        f"演示办公室 asks to publish revision 1: {c['green']} green, {c['yellow']} yellow and {c['red']} red of "
        f"{c['ranked']} ranked.")
    assert c["ranked"] == 151
    assert told[users["leader"]].link == f"/ranking/{week}/"
    assert told[other].link == f"/ranking/?week={week}"
    # The outbox: by default in the app and by e-mail (skipped here: the accounts have no address).
    assert sorted(Delivery.objects.filter(event=AWAITING).values_list("recipient__username", "medium", "status")) == \
        sorted([(u.username, "email", "skipped") for u in [*leaders(), other]])
    # Withdrawn and requested again: a new event, told again.
    services.ranking_withdraw(actor=office, campaign=campaign_get(), week=week)
    publication.round_request(actor=office, campaign=campaign_get(), week=week)
    assert Notification.objects.filter(kind=AWAITING, recipient=users["leader"]).count() == 2


def test_the_round_page_s_request_button_tells_the_leaders(users, client_for):
    week = draft_week()
    response = client_for(users["office"]).post(f"/ranking/{week}/action/", {"action": "request"})
    assert response.status_code == 302
    assert Round.objects.get(week=week).status == "pending"
    assert [n.recipient for n in Notification.objects.filter(kind=AWAITING)] == leaders()


def test_a_refused_request_tells_nobody(users):
    week = draft_week()
    with pytest.raises(PermissionDenied):
        publication.round_request(actor=users["leader"], campaign=campaign_get(), week=week)
    assert (Round.objects.get(week=week).status, Notification.objects.filter(kind=AWAITING).count()) == ("computed", 0)


def test_rules_choose_the_leaders_channels(users):
    notification_services.rule_save(actor=users["office"], event=AWAITING, unit=None, role=Role.LEADER,
                                     in_app=False, email=False, sms=True)
    publication.round_request(actor=users["office"], campaign=campaign_get(), week=draft_week())
    assert Notification.objects.filter(kind=AWAITING).count() == 0
    assert list(Delivery.objects.filter(event=AWAITING).values_list("recipient__username", "medium", "status")) == [
        (u.username, "sms", "skipped") for u in leaders()]


# A round published -------------------------------------------------------------------------------------------


def test_publishing_tells_the_leaders_the_movers_and_escalations_in_two_lines(users):
    week = draft_week()
    county = campaign_get().county
    robot = notification_services.channel_save(
        actor=users["office"], kind="wecom", unit=county, name="县指挥部", secret="", events=[LEADERS_PUBLISHED],
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test")
    previous = published_rounds()[-1]
    round_ = publication.round_publish(actor=SYSTEM, campaign=campaign_get(), week=week)
    m = {name: len(codes) for name, codes in expected_movers(round_, previous).items()}
    assert m["new_red"] >= m["green_to_red"] > 0
    told = Notification.objects.get(kind=LEADERS_PUBLISHED, recipient=users["leader"], params__week=week)
    assert rendered(told, "zh-hans") == (
        f"{week} 周排名已发布",
        f"与 {previous.week} 周相比：红→绿 {m['red_to_green']} 个，绿→红 {m['green_to_red']} 个，新红 {m['new_red']} 个。\n"
        f"连续 2 次及以上红 {m['escalated']} 个，升级约谈乡镇领导。")
    assert rendered(told, "en") == (
        f"The ranking of week {week} is published",
        f"Against week {previous.week}: red → green {m['red_to_green']}, green → red {m['green_to_red']}, new reds "
        f"{m['new_red']}.\nRed 2 rounds in a row or more: {m['escalated']}, escalated to interviews of their "
        f"township's leaders.")
    assert told.link == f"/ranking/{week}/"
    assert [n.recipient for n in Notification.objects.filter(kind=LEADERS_PUBLISHED, params__week=week)] == leaders()
    delivery = Delivery.objects.get(event=LEADERS_PUBLISHED, robot=robot)
    assert delivery.body.startswith(f"**{week} 周排名已发布**\n与 {previous.week} 周相比：红→绿 ")
    round_published_to_leaders(round_)  # again: nothing new
    assert Notification.objects.filter(kind=LEADERS_PUBLISHED, params__week=week).count() == len(leaders())
    assert Delivery.objects.filter(event=LEADERS_PUBLISHED, robot=robot).count() == 1


def test_the_first_published_week_has_no_movers_to_compare(db):
    params = kinds.Params(week="2026-W10", previous_week="", new_red=30, escalated=0, threshold=2, red_to_green=0,
                          green_to_red=0)
    with translation.override("zh-hans"):
        assert kinds.render(LEADERS_PUBLISHED, params) == (
            "2026-W10 周排名已发布", "首个发布周：红 30 个。\n连续 2 次及以上红 0 个，升级约谈乡镇领导。")
    with translation.override("en"):
        assert kinds.render(LEADERS_PUBLISHED, params) == (
            "The ranking of week 2026-W10 is published",
            "The first published week: 30 red.\nRed 2 rounds in a row or more: 0, escalated to interviews of their "
            "township's leaders.")


# The weekly digest ---------------------------------------------------------------------------------------------


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def digest_figures(now: dt.datetime) -> dict:
    today = timezone.localdate(now)
    latest = published_rounds()[-1]
    return {
        "round_week": latest.week, **counts_of(latest),
        "escalated": Result.objects.filter(round=latest, escalated=True).count(),
        "problems_overdue": Problem.objects.filter(status__in=["dispatched", "returned"], deadline__lt=now).count(),
        "interviews_open": Interview.objects.filter(status__in=["pending", "scheduled"]).count(),
        "interviews_late": Interview.objects.filter(status__in=["pending", "scheduled"], hold_by__lt=today).count(),
        "commitments_open": Commitment.objects.filter(status="open").count(),
        "commitments_late": Commitment.objects.filter(status="open", due_date__lt=today).count(),
    }


def test_the_weekly_digest_goes_once_a_week_from_monday_eight_o_clock(users):
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
    week = weeks.week_of(monday)
    assert leader_digest(now=local(monday, 7, 59)) == 0
    assert Notification.objects.filter(kind=DIGEST).count() == 0
    now = local(monday, 9)
    assert leader_digest(now=now) == len(leaders()) == 1
    f = digest_figures(now)
    assert f["interviews_open"] >= f["interviews_late"] > 0 and f["commitments_open"] > 0 and f["escalated"] > 0
    told = Notification.objects.get(kind=DIGEST, recipient=users["leader"])
    assert rendered(told, "zh-hans") == (
        f"每周简报（{week} 周）",
        f"{f['round_week']} 周：参排 {f['ranked']} 个，绿 {f['green']} 个、黄 {f['yellow']} 个、红 {f['red']} 个；"
        f"升级约谈 {f['escalated']} 个。\n逾期问题 {f['problems_overdue']} 个。未开展约谈 {f['interviews_open']} 次"
        f"（逾期 {f['interviews_late']} 次）。未完成承诺 {f['commitments_open']} 项（逾期 {f['commitments_late']} 项）。")
    assert rendered(told, "en") == (
        f"Weekly digest, week {week}",
        f"Week {f['round_week']}: {f['green']} green, {f['yellow']} yellow and {f['red']} red of {f['ranked']} "
        f"ranked; {f['escalated']} escalated.\nProblems overdue: {f['problems_overdue']}. Interviews not held: "
        f"{f['interviews_open']} ({f['interviews_late']} late). Commitments not done: {f['commitments_open']} "
        f"({f['commitments_late']} late).")
    assert told.link == f"/ranking/{f['round_week']}/"
    assert list(Delivery.objects.filter(event=DIGEST).values_list("recipient__username", "medium")) == [
        ("demo_leader", "email")]
    # The same week again (the check runs hourly): nothing new; the next week: a new digest.
    assert leader_digest(now=local(monday, 10)) == 0
    assert leader_digest(now=local(monday + dt.timedelta(days=6), 23, 0)) == 0
    assert leader_digest(now=local(monday + dt.timedelta(days=7), 8)) == 1
    assert Notification.objects.filter(kind=DIGEST, recipient=users["leader"]).count() == 2


def test_the_digest_before_any_published_week(users):
    Round.objects.filter(status="published").update(status="superseded")
    today = timezone.localdate()
    leader_digest(now=local(today - dt.timedelta(days=today.weekday()), 8))
    told = Notification.objects.get(kind=DIGEST, recipient=users["leader"])
    assert rendered(told, "en")[1].split("\n")[0] == "No week has been published yet."
    assert rendered(told, "zh-hans")[1].split("\n")[0] == "尚无已发布的周排名。"
    assert told.link == "/"


def test_the_digest_is_a_periodic_check_of_the_worker(db):
    checks = {c.name: c for c in periodic_checks()}
    assert checks["leader_digest"].every == dt.timedelta(hours=1)
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    assert checks["leader_digest"].run(local(monday, 8)) == "1 leader(s) sent the weekly digest"
    assert checks["leader_digest"].run(local(monday, 9)) == "0 leader(s) sent the weekly digest"
