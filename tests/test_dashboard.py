"""The dashboard (/dashboard/) and the large screen's figures (/screen/data.json) on the demo: every figure
recomputed here from the stored rows (results, problems, interviews, inspections, drone photos) in plain Python,
for the county and for each scoped role; drafts for the office only; the links behind the figures lead to lists
that count the same; the number of queries does not grow with the number of villages."""

import datetime as dt
import json
import re
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dudao.core import weeks
from dudao.drone.models import DronePhoto
from dudao.inspections.models import Inspection
from dudao.interviews.models import Commitment, Interview
from dudao.org.models import Unit
from dudao.problems.models import Problem
from dudao.ranking.models import Result, Round, RoundStatus

XIQUAN = "620423103000"  # 喜泉镇: demo_town's township
YITIAOSHAN = "620423100000"  # 一条山镇: the township of demo_inspector's inspection group
DASHUI = "620423103200"  # 大水䃎村: demo_village's village


def _latest_published() -> Round:
    return Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("-week_start").first()


def _previous(round_: Round) -> Round:
    return Round.objects.filter(status=RoundStatus.PUBLISHED, week_start__lt=round_.week_start).order_by(
        "-week_start").first()


def _data(client, week: str = "") -> dict:
    response = client.get("/screen/data.json", {"week": week} if week else {})
    assert response.status_code == 200
    return response.json()["data"]


def _in(prefix: str | None, path: str) -> bool:
    return prefix is None or path.startswith(prefix)


def _prefix(code: str | None) -> str | None:
    return None if code is None else Unit.objects.get(code=code).path


# What the figures must be, from the rows ------------------------------------------------------------------


def expected_league(round_: Round, area: str | None) -> list[dict]:
    def per_town(r: Round) -> dict[str, dict]:
        towns: dict[str, dict] = {}
        for res in Result.objects.filter(round=r).select_related("unit", "town"):
            if not _in(area, res.unit.path):
                continue
            t = towns.setdefault(res.town.code, {"name": res.town.name, "green": 0, "yellow": 0, "red": 0,
                                                 "unranked": 0, "composites": []})
            if res.tier:
                t[res.tier] += 1
            if res.position is None:
                t["unranked"] += 1
            if res.composite is not None:
                t["composites"].append(res.composite)
        return towns

    now, before = per_town(round_), per_town(_previous(round_))
    rows = []
    for code, t in now.items():
        mean = sum(t["composites"]) / len(t["composites"])
        last = before[code]
        rows.append({"code": code, "name": t["name"], "green": t["green"], "yellow": t["yellow"], "red": t["red"],
                     "unranked": t["unranked"], "mean": pytest.approx(mean, rel=1e-12),
                     "mean_change": pytest.approx(mean - sum(last["composites"]) / len(last["composites"]),
                                                  rel=1e-9),
                     "red_change": t["red"] - last["red"],
                     "url": f"/ranking/{round_.week}/?town={code}", "trend_url": f"/trends/town/{code}/"})
    return sorted(rows, key=lambda r: -r["mean"].expected)


def expected_movers(round_: Round, area: str | None) -> dict[str, list[str]]:
    before = dict(Result.objects.filter(round=_previous(round_)).values_list("unit__code", "tier"))
    kinds: dict[str, list[str]] = {"red_to_green": [], "green_to_red": [], "new_reds": [], "escalated": []}
    for res in Result.objects.filter(round=round_).select_related("unit").order_by("position", "unit__code"):
        if not _in(area, res.unit.path):
            continue
        code, last = res.unit.code, before.get(res.unit.code)
        if res.tier == "green" and last == "red":
            kinds["red_to_green"].append(code)
        if res.tier == "red" and last != "red":
            kinds["new_reds"].append(code)
        if res.tier == "red" and last == "green":
            kinds["green_to_red"].append(code)
        if res.tier == "red" and res.escalated:
            kinds["escalated"].append(code)
    return kinds


def expected_problems(week: str, area: str | None) -> dict[str, dict]:
    start = timezone.make_aware(dt.datetime.combine(weeks.week_start(week), dt.time()))
    now = timezone.now()
    towns: dict[str, Counter] = defaultdict(Counter)
    for p in Problem.objects.select_related("village", "town", "category"):
        if not _in(area, p.village.path):
            continue
        t = towns[p.town.code]
        if p.status in ("dispatched", "returned") and p.deadline is not None and p.deadline < now:
            t["overdue"] += 1
        if not start <= p.reported_at < start + dt.timedelta(days=7) or p.status == "cancelled":
            continue
        t["found"] += 1
        t["dispatched"] += p.dispatched_at is not None
        t["rectified"] += p.first_rectified_at is not None
        t["verified"] += p.verified_at is not None
        t["closed"] += p.closed_at is not None
        if p.category.working_days == 0 and p.deadline is not None:
            t["same_day_due"] += 1
            t["same_day"] += p.first_rectified_at is not None and p.first_rectified_at <= p.deadline
    keys = ("found", "dispatched", "rectified", "verified", "closed", "same_day_due", "same_day", "overdue")
    return {code: {k: c[k] for k in keys} for code, c in towns.items() if c["found"] or c["overdue"]}


def expected_interviews(week: str, area: str | None) -> dict[str, int]:
    today = timezone.localdate()
    rows = [i for i in Interview.objects.select_related("unit", "round") if _in(area, i.unit.path)]
    commitments = list(Commitment.objects.filter(interview__in=[i.pk for i in rows]))
    return {
        "week_called": sum(1 for i in rows if i.round.week == week),
        "pending": sum(1 for i in rows if i.status == "pending"),
        "scheduled": sum(1 for i in rows if i.status == "scheduled"),
        "overdue": sum(1 for i in rows if i.status in ("pending", "scheduled") and i.hold_by < today),
        "commitments_open": sum(1 for c in commitments if c.status == "open"),
        "commitments_overdue": sum(1 for c in commitments if c.status == "open" and c.due_date < today),
        "commitments_done": sum(1 for c in commitments if c.status == "done"),
    }


def expected_coverage(week: str, area: str | None) -> dict[str, tuple[int, int, int]]:
    villages: Counter = Counter()
    for unit in Unit.objects.filter(level__in=("village", "community"), active=True).select_related("parent"):
        if _in(area, unit.path):
            villages[unit.parent.code] += 1
    inspected: dict[str, set] = defaultdict(set)
    for i in Inspection.objects.filter(week=week, counts=True).select_related("village", "town"):
        if _in(area, i.village.path):
            inspected[i.town.code].add(i.village_id)
    flown: dict[str, set] = defaultdict(set)
    for photo in DronePhoto.objects.filter(batch__week=week, outside_week=False, village__isnull=False,
                                           village__active=True).select_related("village__parent"):
        if _in(area, photo.village.path) and photo.village.level in ("village", "community"):
            flown[photo.village.parent.code].add(photo.village_id)
    return {code: (n, len(inspected[code]), len(flown[code])) for code, n in villages.items()}


def _check_all(data: dict, round_: Round, area: str | None, interviews: bool = True) -> None:
    week = round_.week
    assert data["week"] == week
    assert data["round"]["status"] == "published"
    assert data["round"]["revision"] == round_.revision
    assert data["league"] == expected_league(round_, area)
    tiers = Counter(t for code, t in Result.objects.filter(round=round_).values_list("unit__path", "tier")
                    if _in(area, code))
    assert [(t["tier"], t["count"]) for t in data["tiers"]] == [("green", tiers["green"]), ("yellow", tiers["yellow"]),
                                                                ("red", tiers["red"])]
    movers = expected_movers(round_, area)
    assert {kind: [u["code"] for u in data["movers"][kind]] for kind in movers} == movers
    assert data["movers"]["counts"] == {kind: len(codes) for kind, codes in movers.items()}
    assert data["movers"]["previous_week"] == _previous(round_).week
    problems = expected_problems(week, area)
    assert {row["code"]: {k: row[k] for k in problems[row["code"]]} for row in data["problems"]["towns"]} == problems
    for row in data["problems"]["towns"]:
        due, done = problems[row["code"]]["same_day_due"], problems[row["code"]]["same_day"]
        assert row["same_day_rate"] == (done / due if due else None)
    totals = Counter()
    for counts in problems.values():
        totals.update(counts)
    assert {k: data["problems"]["total"][k] for k in totals} == dict(totals)
    if interviews:
        assert {k: data["interviews"][k] for k in expected_interviews(week, area)} == expected_interviews(week, area)
    else:
        assert data["interviews"] is None
    coverage = expected_coverage(week, area)
    assert {r["code"]: (r["villages"], r["inspected"], r["flown"]) for r in data["coverage"]["towns"]} == coverage
    assert data["coverage"]["total"]["villages"] == sum(v[0] for v in coverage.values())


# The county -------------------------------------------------------------------------------------------------


def test_the_leaders_home_page_is_the_dashboard(users, client_for):
    response = client_for(users["leader"]).get("/")
    assert (response.status_code, response["Location"]) == (302, "/dashboard/")
    assert client_for(users["office"]).get("/").status_code == 200
    assert client_for(users["town_staff"]).get("/").status_code == 200


def test_the_leader_sees_the_county_of_the_latest_published_week(users, client_for):
    round_ = _latest_published()
    data = _data(client_for(users["leader"]))
    _check_all(data, round_, None)
    assert len(data["league"]) == 11
    assert sum(t["count"] for t in data["tiers"]) == Result.objects.filter(round=round_).count()
    # The agreement check's flags (its own tests say which township is flagged and why).
    from dudao.ranking import checks
    assert data["round"]["checks_flagged"] == sum(1 for a in checks.agreement(round_) if a.flagged)
    assert data["round"]["url"] == ""  # the round page is the office's


def test_the_office_sees_the_same_published_week_by_default(users, client_for):
    round_ = _latest_published()
    data = _data(client_for(users["office"]))
    _check_all(data, round_, None)
    assert data["round"]["url"] == f"/ranking/?week={round_.week}"


def test_the_dashboard_page_shows_the_figures_with_their_links(users, client_for):
    round_ = _latest_published()
    week = round_.week
    client = client_for(users["leader"])
    response = client.get("/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    data = response.context["data"]
    assert data["week"] == week
    for row in data["league"]:
        assert f'<a href="/ranking/{week}/?town={row["code"]}">{row["name"]}</a>' in page
    for unit in data["movers"]["new_reds"]:
        assert f'<a href="/ranking/village/{unit["code"]}/?week={week}">{unit["name"]}</a>' in page
    for row in data["league"]:
        assert f'<a href="/trends/town/{row["code"]}/" class="trend-link">' in page
    for unit in data["movers"]["new_reds"]:
        assert f'<a href="/trends/village/{unit["code"]}/" class="trend-link small">' in page
    # The week's tier map is embedded (the map's data endpoint scopes it by user) and links to the map page.
    assert '<section id="dashboard-map">' in page
    section = page.split('<section id="dashboard-map">')[1].split("</section>")[0]
    assert f'id="dashboard-tier-map" data-url="/map/data.json?layer=tier&amp;week={week}" data-mode="tier"' in section
    assert 'data-height="480px"' in section
    assert f'<a href="/map/?week={week}" id="dashboard-map-link">' in section
    assert re.findall(r"<script([^>]*)>", section) == [' src="/static/vendor/leaflet/leaflet.js" defer',
                                                       ' type="module" src="/static/dudao/maps/map.js"']
    assert f'<a href="/screen/?week={week}" id="screen-link">' in page
    picker = re.findall(r'<option value="(\d{4}-W\d{2})"', page.split('id="week-picker"')[1].split("</form>")[0])
    published = list(Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("-week_start")
                     .values_list("week", flat=True))
    assert picker == published


def test_every_problem_figure_leads_to_a_list_of_as_many(users, client_for):
    client = client_for(users["leader"])
    data = _data(client)
    rows = data["problems"]["towns"] + [data["problems"]["total"]]
    checked = 0
    for row in rows:
        for stage in ("found", "dispatched", "rectified", "verified", "closed", "overdue"):
            response = client.get(row["urls"][stage])
            assert response.context["total"] == row[stage], (row.get("code"), stage)
            checked += 1
    assert checked == 6 * (len(data["problems"]["towns"]) + 1)
    assert data["problems"]["total"]["found"] > 0


def test_every_interview_figure_leads_to_a_list_that_counts_it(users, client_for):
    client = client_for(users["leader"])
    figures = _data(client)["interviews"]
    for key in ("week_called", "pending", "scheduled"):
        assert client.get(figures["urls"][key]).context["total"] == figures[key], key
    overdue = client.get(figures["urls"]["overdue"]).context["overdue"]
    assert (overdue["interviews"], overdue["commitments"]) == (figures["overdue"], figures["commitments_overdue"])
    assert figures["overdue"] > 0


# Scoped roles -------------------------------------------------------------------------------------------


def test_a_township_user_sees_only_their_township(users, client_for):
    round_ = _latest_published()
    data = _data(client_for(users["town_staff"]))
    _check_all(data, round_, _prefix(XIQUAN))
    assert [r["code"] for r in data["league"]] == [XIQUAN]
    assert [r["code"] for r in data["coverage"]["towns"]] == [XIQUAN]
    assert {r["code"] for r in data["problems"]["towns"]} <= {XIQUAN}
    assert [t["code"] for t in data["round"]["towns_late"] + data["round"]["towns_missing"]] == [XIQUAN]
    county = {r["code"]: r for r in _data(client_for(users["leader"]))["league"]}
    assert data["league"] == [county[XIQUAN]]
    assert data["round"]["checks_flagged"] is None


def test_a_village_user_sees_only_their_village(users, client_for):
    round_ = _latest_published()
    data = _data(client_for(users["village_staff"]))
    _check_all(data, round_, _prefix(DASHUI))
    result = Result.objects.get(round=round_, unit__code=DASHUI)
    assert [(r["code"], r["green"] + r["yellow"] + r["red"], r["mean"]) for r in data["league"]] == [
        (XIQUAN, 1, result.composite)]
    assert [(r["code"], r["villages"]) for r in data["coverage"]["towns"]] == [(XIQUAN, 1)]
    assert data["round"]["towns_late"] + data["round"]["towns_missing"] == []


def test_an_inspector_sees_their_townships_without_interviews(users, client_for):
    """Inspectors read no interviews (interviews.access): the dashboard leaves that panel out for them."""
    round_ = _latest_published()
    client = client_for(users["inspector"])
    data = _data(client)
    _check_all(data, round_, _prefix(YITIAOSHAN), interviews=False)
    assert [r["code"] for r in data["league"]] == [YITIAOSHAN]
    assert 'id="dashboard-interviews"' not in client.get("/dashboard/").content.decode()


# Drafts -------------------------------------------------------------------------------------------------


def _draft() -> Round:
    return Round.objects.exclude(status__in=[RoundStatus.PUBLISHED, RoundStatus.SUPERSEDED]).get()


def test_drafts_are_for_the_office_only(users, client_for):
    draft = _draft()
    office = _data(client_for(users["office"]), draft.week)
    assert (office["week"], office["round"]["status"], office["round"]["waiting_for"]) == (
        draft.week, "collecting", "sources")
    assert [t["code"] for t in office["round"]["towns_missing"]] == list(
        Unit.objects.filter(level="town", active=True).exclude(
            pk__in=draft.submissions.filter(source="town").values("town_id")).order_by("code")
        .values_list("code", flat=True))
    assert len(office["round"]["towns_missing"]) == 3
    assert (office["league"], office["movers"], office["tiers"]) == ([], None, [])
    for role in ("office", "county_admin"):
        client = client_for(users[role])
        assert _data(client, draft.week)["round"]["status"] == "collecting", role
        assert f'<option value="{draft.week}"' in client.get("/dashboard/").content.decode(), role
    for role in ("leader", "inspector", "town_staff", "village_staff"):
        client = client_for(users[role])
        assert client.get("/screen/data.json", {"week": draft.week}).status_code == 404, role
        assert client.get("/dashboard/", {"week": draft.week}).status_code == 404, role
        assert f'<option value="{draft.week}"' not in client.get("/dashboard/").content.decode(), role


def test_a_week_that_is_not_one_is_not_found(users, client_for):
    client = client_for(users["leader"])
    assert client.get("/dashboard/", {"week": "2026-W99"}).status_code == 404
    assert client.get("/dashboard/", {"week": "nonsense"}).status_code == 404
    assert client.get("/dashboard/", {"week": "2019-W01"}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    for path in ("/dashboard/", "/screen/", "/screen/data.json"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={path}")


# The large screen ---------------------------------------------------------------------------------------


def test_the_screen_page_runs_no_inline_script_and_carries_its_first_figures(users, client_for):
    response = client_for(users["leader"]).get("/screen/")
    page = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts == [' src="/static/vendor/leaflet/leaflet.js" defer', ' type="module" src="/static/dudao/maps/map.js"',
                       ' src="/static/dudao/dashboard/screen.js" defer', ' id="screen-data" type="application/json"']
    # The tier map panel: a template of the map component, cloned and drawn when the panel shows (screen.js).
    panel = page.split('<section class="panel" id="panel-map" data-panel="map">')[1].split("</section>")[0]
    assert '<div class="screen-map" id="screen-map" data-url="/map/data.json"></div>' in panel
    template = panel.split('<template id="screen-map-template">')[1].split("</template>")[0]
    assert 'id="screen-tier-map" data-url="" data-mode="tier"' in template
    assert "<script" not in template
    first = json.loads(page.split('<script id="screen-data" type="application/json">')[1].split("</script>")[0])
    assert (first["week"], first["league"]) == (_latest_published().week, response.context["data"]["league"])
    assert 'data-url="/screen/data.json"' in page
    assert 'data-refresh="60"' in page
    assert "<style" not in page


def test_the_screen_data_is_not_cached_and_keeps_the_rare_character(users, client_for):
    response = client_for(users["village_staff"]).get("/screen/data.json")
    assert "no-cache" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"
    assert response.json()["data"]["league"][0]["name"] == "喜泉镇"
    movers_or_none = client_for(users["town_staff"]).get("/screen/data.json").content.decode()
    assert "\\u" not in movers_or_none


# Queries ------------------------------------------------------------------------------------------------


def _more_villages(round_: Round, count: int) -> None:
    """``count`` more villages in 喜泉镇 ranked in the round (red, green, yellow in turn), each with a problem
    reported this week and an inspection."""
    town = Unit.objects.get(code=XIQUAN)
    category = Problem.objects.first().category
    inspection = Inspection.objects.filter(week=round_.week).first()
    tiers = ["red", "green", "yellow"]
    start = timezone.make_aware(dt.datetime.combine(weeks.week_start(round_.week), dt.time(10)))
    for n in range(count):
        code = f"620423103{900 + n:03d}"
        unit = Unit.objects.create(code=code, name=f"测试{n}村", level="village", parent=town,
                                   path=f"{town.path}{code}/")
        Result.objects.create(round=round_, unit=unit, town=town, composite=10.0 + n, position=1000 + n,
                              tier=tiers[n % 3], red_streak=1, escalated=False)
        Problem.objects.create(campaign=round_.campaign, category=category, village=unit, town=town,
                               source="grid", description="x", reported_at=start)
        if inspection is not None:
            Inspection.objects.create(campaign=round_.campaign, checklist=inspection.checklist, village=unit,
                                      town=town, inspector=inspection.inspector, inspected_at=start,
                                      received_at=start, week=round_.week, score=80.0)


@pytest.mark.parametrize("role", ["leader", "office", "town_staff"])
@pytest.mark.usefixtures("rendered_each_time")
def test_queries_do_not_grow_with_the_villages(role, users, client_for):
    round_ = _latest_published()
    client = client_for(users[role])
    _data(client)  # the session, the content types
    with CaptureQueriesContext(connection) as small:
        before = _data(client)
    with CaptureQueriesContext(connection) as small_page:
        assert client.get("/dashboard/").status_code == 200
    _more_villages(round_, 30)
    with CaptureQueriesContext(connection) as large:
        after = _data(client)
    with CaptureQueriesContext(connection) as large_page:
        assert client.get("/dashboard/").status_code == 200
    xiquan = {r["code"]: r for r in after["league"]}[XIQUAN]
    was = {r["code"]: r for r in before["league"]}[XIQUAN]
    assert (xiquan["red"], xiquan["green"], xiquan["yellow"]) == (was["red"] + 10, was["green"] + 10,
                                                                  was["yellow"] + 10)
    assert after["movers"]["counts"]["new_reds"] == before["movers"]["counts"]["new_reds"] + 10
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large_page.captured_queries) == len(small_page.captured_queries)


# The selectors behind the figures -------------------------------------------------------------------------


def test_movers_of_the_first_week_count_every_red_as_new(db):
    from dudao.ranking.selectors import movers

    first = Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("week_start").first()
    moved = movers(first)
    reds = list(Result.objects.filter(round=first, tier="red").order_by("position", "unit__code")
                .values_list("unit__code", flat=True))
    assert moved.previous is None
    assert [r.unit.code for r in moved.new_red] == reds
    assert (moved.red_to_green, moved.green_to_red) == ([], [])
    assert moved.counts() == {"red_to_green": 0, "green_to_red": 0, "new_red": len(reds),
                              "escalated": Result.objects.filter(round=first, tier="red", escalated=True).count()}
    assert len(reds) == first.settings.red_count


def test_the_problem_list_ignores_a_week_or_stage_it_does_not_know(users, client_for):
    client = client_for(users["leader"])
    everything = client.get("/problems/", {"tab": "all"}).context["total"]
    assert client.get("/problems/", {"tab": "all", "week": "2026-W99"}).context["total"] == everything
    assert client.get("/problems/", {"tab": "all", "reached": "nowhere"}).context["total"] == everything
    week = _latest_published().week
    page = client.get("/problems/", {"tab": "all", "week": week, "reached": "closed"})
    assert f'<input type="hidden" name="week" value="{week}">' in page.content.decode()
    assert page.context["total"] == Problem.objects.filter(
        closed_at__isnull=False, reported_at__gte=timezone.make_aware(
            dt.datetime.combine(weeks.week_start(week), dt.time())),
        reported_at__lt=timezone.make_aware(dt.datetime.combine(weeks.week_end(week), dt.time()))
        + dt.timedelta(days=1)).exclude(status="cancelled").count()


AREA_TOWNS = {"county_admin": None, "office": None, "leader": None, "inspector": {YITIAOSHAN},
              "town_staff": {XIQUAN}, "village_staff": {XIQUAN}}


@pytest.mark.parametrize("role", sorted(AREA_TOWNS))
def test_no_figure_names_a_township_outside_the_area(role, users, client_for):
    towns = set(Unit.objects.filter(level="town").values_list("code", flat=True))
    expected = AREA_TOWNS[role] or towns
    data = _data(client_for(users[role]))
    assert {r["code"] for r in data["league"]} == expected
    assert {r["code"] for r in data["coverage"]["towns"]} == expected
    assert {r["code"] for r in data["problems"]["towns"]} <= expected
    named = {u["code"][:9] + "000" for kind in ("red_to_green", "green_to_red", "new_reds", "escalated")
             for u in data["movers"][kind]}
    assert named <= expected
    assert {t["code"] for t in data["round"]["towns_late"] + data["round"]["towns_missing"]} <= expected
    page = client_for(users[role]).get("/dashboard/").content.decode()
    for code in towns - expected:
        assert f'data-town="{code}"' not in page, code
