"""The trend pages (/trends/village/<code>/, /trends/town/<code>/, /trends/transitions/) on the demo: the numbers of
each table and of its CSV and XLSX exports equal the stored Result rows (and the CONTRACTS §3 result export) of every
published week; each role sees only its area (404 outside); drafts only for the office; the number of queries does
not grow with the villages or the weeks."""

import csv
import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dudao.org.models import Unit
from dudao.ranking import selectors
from dudao.ranking.models import Result, Round, RoundStatus
from dudao.ranking.tiers import tier_styles

XIQUAN = "620423103000"  # 喜泉镇: demo_town's township
YITIAOSHAN = "620423100000"  # 一条山镇: the township of demo_inspector's inspection group
DASHUI = "620423103200"  # 大水䃎村: demo_village's village
TIERS = ("green", "yellow", "red")


def _published() -> list[Round]:
    """The published round of every published week, oldest first."""
    rounds = Round.objects.filter(status__in=[RoundStatus.PUBLISHED, RoundStatus.SUPERSEDED]).order_by(
        "week_start", "revision")
    return list({r.week: r for r in rounds}.values())


def _num(value) -> str:
    return "" if value is None else str(value)


def _labels(round_: Round) -> dict[str, str]:
    return {t: str(s.label) for t, s in tier_styles(round_.settings).items()}


def _village_rows(code: str, rounds: list[Round]) -> list[list[str]]:
    rows = []
    for round_ in rounds:
        exported = {row["code"]: row for row in selectors.export_rows(round_)}
        result = Result.objects.filter(round=round_, unit__code=code).first()
        if result is None:
            continue
        ranked = Result.objects.filter(round=round_, position__isnull=False).count()
        if result.position is not None:  # the CONTRACTS §3 export has the ranked villages
            row = exported[code]
            assert (row["composite"], row["position"], row["tier"], row["p_town"], row["p_inspection"],
                    row["p_drone"]) == (result.composite, result.position, result.tier, result.p_town,
                                        result.p_inspection, result.p_drone)
        rows.append([round_.week, _num(result.composite), _num(result.position), str(ranked),
                     _labels(round_)[result.tier] if result.tier else "", _num(result.p_town),
                     _num(result.p_inspection), _num(result.p_drone),
                     "" if round_.status in (RoundStatus.PUBLISHED, RoundStatus.SUPERSEDED) else
                     str(RoundStatus(round_.status).label)])
    return rows


def _town_rows(code: str, rounds: list[Round], prefix: str | None = None) -> list[list[str]]:
    rows = []
    for round_ in rounds:
        results = [r for r in Result.objects.filter(round=round_, town__code=code).select_related("unit")
                   if prefix is None or r.unit.path.startswith(prefix)]
        if not results:
            continue
        tiers = Counter(r.tier for r in results)
        composites = [r.composite for r in results if r.composite is not None]
        mean = sum(composites) / len(composites) if composites else None
        rows.append([round_.week, str(tiers["green"]), str(tiers["yellow"]), str(tiers["red"]),
                     str(sum(1 for r in results if r.position is None)), mean, ""])
    return rows


def _transitions(rounds: list[Round], prefix: str | None = None) -> list[Counter]:
    """For each consecutive pair of rounds, the (tier before, tier after) counts."""
    out = []
    for before, after in zip(rounds, rounds[1:], strict=False):
        then = {r.unit_id: r.tier for r in Result.objects.filter(round=before).select_related("unit")
                if r.tier and (prefix is None or r.unit.path.startswith(prefix))}
        now = {r.unit_id: r.tier for r in Result.objects.filter(round=after).select_related("unit")
               if r.tier and (prefix is None or r.unit.path.startswith(prefix))}
        out.append(Counter((then[u], t) for u, t in now.items() if u in then))
    return out


def _table(page: str, table_id: str) -> list[list[str]]:
    body = page.split(f'<table class="nowrap trend-table" id="{table_id}">')[1].split("</table>")[0]
    body = body.split("<tbody>")[1]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]


def _xlsx(data: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(min_row=2, values_only=True)]


def _floats(rows: list[list]) -> list[list]:
    """The mean composite column (5) as a number, to compare with a mean computed here."""
    return [[*row[:5], None if row[5] in ("", None) else pytest.approx(float(row[5]), rel=1e-12), *row[6:]]
            for row in rows]


# A village's trend -----------------------------------------------------------------------------------------


def test_a_villages_trend_table_and_exports_are_its_stored_results(users, client_for):
    rounds = _published()
    assert len(rounds) == 7
    expected = _village_rows(DASHUI, rounds)
    assert len(expected) == len(rounds)
    client = client_for(users["leader"])
    response = client.get(f"/trends/village/{DASHUI}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "大水䃎村" in page
    assert response.context["table"].rows == expected
    assert _table(page, "trend-village-table") == expected
    chart = response.context["table"].chart
    assert chart["weeks"] == [r.week for r in rounds]
    assert chart["composite"] == [Result.objects.get(round=r, unit__code=DASHUI).composite for r in rounds]
    assert '<script id="trend-village" type="application/json">' in page
    assert re.findall(r"<script([^>]*)>", page.split("<main")[1]) == [
        ' id="trend-village" type="application/json"']
    csv_response = client.get(f"/trends/village/{DASHUI}/export.csv")
    assert (csv_response.status_code, csv_response["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert csv_response["Content-Disposition"] == f'attachment; filename="trend-village-{DASHUI}.csv"'
    assert _csv(csv_response.content) == expected
    xlsx = client.get(f"/trends/village/{DASHUI}/export.xlsx")
    assert xlsx.status_code == 200
    assert _xlsx(xlsx.content) == expected
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["大水䃎村"]
    assert client.get(f"/trends/village/{DASHUI}/export.json").status_code == 404


def test_the_trend_is_linked_from_the_village_unit_dashboard_and_ranking_pages(users, client_for):
    client = client_for(users["leader"])
    week = _published()[-1].week
    village = client.get(f"/ranking/village/{DASHUI}/").content.decode()
    assert f'<a href="/trends/village/{DASHUI}/">' in village
    assert f'<a href="/trends/town/{XIQUAN}/">' in village
    assert f'<a href="/trends/village/{DASHUI}/">' in client.get(f"/units/{DASHUI}/").content.decode()
    assert f'<a href="/trends/town/{XIQUAN}/">' in client.get(f"/units/{XIQUAN}/").content.decode()
    ranking = client.get(f"/ranking/{week}/", {"town": XIQUAN}).content.decode()
    assert '<a href="/trends/transitions/" id="ranking-transitions">' in ranking
    assert f'<a href="/trends/town/{XIQUAN}/" id="ranking-town-trend">' in ranking
    assert f'<a href="/trends/town/{XIQUAN}/" class="trend-link">' in client.get("/dashboard/").content.decode()


# A township's tiers over the weeks -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["county_admin", "office", "leader", "town_staff"])
def test_a_townships_tier_counts_over_the_weeks(role, users, client_for):
    rounds = _published()
    expected = _town_rows(XIQUAN, rounds)
    assert len(expected) == len(rounds)
    client = client_for(users[role])
    response = client.get(f"/trends/town/{XIQUAN}/")
    assert response.status_code == 200
    assert _floats(response.context["table"].rows) == _floats(expected)
    shown = _table(response.content.decode(), "trend-town-table")
    assert [row[:5] for row in shown] == [row[:5] for row in expected]
    assert [float(row[5]) for row in shown] == [float(row[5]) for row in response.context["table"].rows]
    assert _floats(_csv(client.get(f"/trends/town/{XIQUAN}/export.csv").content)) == _floats(expected)
    assert _floats(_xlsx(client.get(f"/trends/town/{XIQUAN}/export.xlsx").content)) == _floats(expected)
    chart = response.context["table"].chart
    assert {t: sum(chart["counts"][t]) for t in TIERS} == {
        t: Result.objects.filter(round__in=rounds, town__code=XIQUAN, tier=t).count() for t in TIERS}


def test_a_village_is_not_a_township_and_a_township_is_not_a_village(users, client_for):
    client = client_for(users["leader"])
    assert client.get(f"/trends/town/{DASHUI}/").status_code == 404
    assert client.get(f"/trends/village/{XIQUAN}/").status_code == 404
    assert client.get("/trends/village/999999999999/").status_code == 404


# Tier transitions --------------------------------------------------------------------------------------------


def _pairs_rows(counts: Counter, labels: dict[str, str]) -> list[list[str]]:
    return [[labels[a], labels[b], str(counts[(a, b)])] for a in TIERS for b in TIERS]


def test_tier_transitions_of_one_pair_of_weeks_and_of_all(users, client_for):
    rounds = _published()
    labels = _labels(rounds[-1])
    pairs = _transitions(rounds)
    client = client_for(users["leader"])
    response = client.get("/trends/transitions/", {"week": rounds[-1].week})
    assert response.status_code == 200
    assert response.context["table"].rows == _pairs_rows(pairs[-1], labels)
    assert _table(response.content.decode(), "trend-transitions-table") == _pairs_rows(pairs[-1], labels)
    assert sum(pairs[-1].values()) == Result.objects.filter(round=rounds[-1], tier__in=TIERS).count()
    export = client.get("/trends/transitions/export.csv", {"week": rounds[-1].week})
    assert _csv(export.content) == _pairs_rows(pairs[-1], labels)
    assert export["Content-Disposition"] == f'attachment; filename="trend-transitions-{rounds[-1].week}.csv"'
    total = sum(pairs, Counter())
    everything = client.get("/trends/transitions/")
    assert everything.context["table"].rows == _pairs_rows(total, labels)
    assert _xlsx(client.get("/trends/transitions/export.xlsx").content) == _pairs_rows(total, labels)
    links = {(link["from"], link["to"]): link["value"] for link in everything.context["table"].chart["links"]}
    assert links == {(a, b): total[(a, b)] for a in TIERS for b in TIERS}
    # the picker offers every pair of consecutive published weeks, newest first; the first week has no pair
    assert everything.context["pairs"] == [(a.week, b.week) for a, b in zip(rounds, rounds[1:], strict=False)][::-1]
    assert client.get("/trends/transitions/", {"week": rounds[0].week}).status_code == 404
    assert client.get("/trends/transitions/", {"week": "2026-W99"}).status_code == 404


def test_a_township_user_sees_the_transitions_of_their_township(users, client_for):
    rounds = _published()
    prefix = Unit.objects.get(code=XIQUAN).path
    expected = _pairs_rows(sum(_transitions(rounds, prefix), Counter()), _labels(rounds[-1]))
    response = client_for(users["town_staff"]).get("/trends/transitions/")
    assert response.context["table"].rows == expected
    county = client_for(users["leader"]).get("/trends/transitions/").context["table"].rows
    assert sum(int(r[2]) for r in expected) < sum(int(r[2]) for r in county)


# Scoping ------------------------------------------------------------------------------------------------------


def _a_village_of(town: str) -> str:
    return Unit.objects.filter(parent__code=town, level__in=["village", "community"]).order_by("code")[0].code


@pytest.mark.parametrize(("role", "allowed", "refused"), [
    ("county_admin", {"village": [DASHUI, "yitiaoshan"], "town": [XIQUAN, YITIAOSHAN]}, {"village": [], "town": []}),
    ("office", {"village": [DASHUI, "yitiaoshan"], "town": [XIQUAN, YITIAOSHAN]}, {"village": [], "town": []}),
    ("leader", {"village": [DASHUI, "yitiaoshan"], "town": [XIQUAN, YITIAOSHAN]}, {"village": [], "town": []}),
    ("inspector", {"village": ["yitiaoshan"], "town": [YITIAOSHAN]}, {"village": [DASHUI], "town": [XIQUAN]}),
    ("town_staff", {"village": [DASHUI, "xiquan"], "town": [XIQUAN]},
     {"village": ["yitiaoshan"], "town": [YITIAOSHAN]}),
    ("village_staff", {"village": [DASHUI], "town": []},
     {"village": ["xiquan", "yitiaoshan"], "town": [XIQUAN, YITIAOSHAN]}),
])
def test_each_role_sees_the_trends_of_its_area_only(role, allowed, refused, users, client_for):
    named = {"yitiaoshan": _a_village_of(YITIAOSHAN),
             "xiquan": Unit.objects.filter(parent__code=XIQUAN).exclude(code=DASHUI).order_by("code")[0].code}
    client = client_for(users[role])
    for kind, codes in allowed.items():
        for code in codes:
            code = named.get(code, code)
            for suffix in ("", "export.csv", "export.xlsx"):
                assert client.get(f"/trends/{kind}/{code}/{suffix}").status_code == 200, (kind, code, suffix)
    for kind, codes in refused.items():
        for code in codes:
            code = named.get(code, code)
            for suffix in ("", "export.csv", "export.xlsx"):
                assert client.get(f"/trends/{kind}/{code}/{suffix}").status_code == 404, (kind, code, suffix)
    assert client.get("/trends/transitions/").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    for url in (f"/trends/village/{DASHUI}/", f"/trends/town/{XIQUAN}/", "/trends/transitions/",
                "/trends/transitions/export.csv"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


# Drafts -------------------------------------------------------------------------------------------------------


def _computed_draft() -> Round:
    """The demo's draft week (collecting) computed: 大水䃎村 red in it."""
    draft = Round.objects.exclude(status__in=[RoundStatus.PUBLISHED, RoundStatus.SUPERSEDED]).get()
    Round.objects.filter(pk=draft.pk).update(status=RoundStatus.COMPUTED)
    village = Unit.objects.get(code=DASHUI)
    Result.objects.create(round=draft, unit=village, town=village.parent, composite=12.5, position=151, tier="red",
                          red_streak=1, escalated=False, p_town=0.25)
    return Round.objects.get(pk=draft.pk)


def test_drafts_are_in_the_office_trends_only(users, client_for):
    draft = _computed_draft()
    published = _published()
    for role in ("office", "county_admin"):  # the county administrators act as the office (accounts.access)
        office = client_for(users[role]).get(f"/trends/village/{DASHUI}/").context["table"].rows
        assert [row[0] for row in office] == [r.week for r in published] + [draft.week], role
        assert office[-1] == [draft.week, "12.5", "151", "1", _labels(draft)["red"], "0.25", "", "",
                              str(RoundStatus.COMPUTED.label)], role
        assert client_for(users[role]).get("/trends/transitions/", {"week": draft.week}).status_code == 200, role
    for role in ("leader", "inspector", "town_staff", "village_staff"):
        client = client_for(users[role])
        if role != "inspector":
            rows = client.get(f"/trends/village/{DASHUI}/").context["table"].rows
            assert [row[0] for row in rows] == [r.week for r in published], role
            assert draft.week not in client.get(f"/trends/village/{DASHUI}/export.csv").content.decode(), role
        assert client.get("/trends/transitions/", {"week": draft.week}).status_code == 404, role


# Queries ------------------------------------------------------------------------------------------------------


def _more(rounds: list[Round], villages: int, weeks: int) -> None:
    """``villages`` more villages in 喜泉镇 ranked in every round, and ``weeks`` more published weeks before the
    first (copies of its results)."""
    town = Unit.objects.get(code=XIQUAN)
    for n in range(villages):
        code = f"620423103{900 + n:03d}"
        unit = Unit.objects.create(code=code, name=f"测试{n}村", level="village", parent=town,
                                   path=f"{town.path}{code}/")
        for round_ in rounds:
            Result.objects.create(round=round_, unit=unit, town=town, composite=10.0 + n, position=1000 + n,
                                  tier=TIERS[n % 3], red_streak=1, escalated=False)
    first = rounds[0]
    for n in range(1, weeks + 1):
        start = first.week_start - dt.timedelta(weeks=n)
        year, number, _day = start.isocalendar()
        copy = Round.objects.create(campaign=first.campaign, week=f"{year}-W{number:02d}", week_start=start,
                                    status=RoundStatus.PUBLISHED, settings=first.settings)
        Result.objects.bulk_create([Result(round=copy, unit_id=r.unit_id, town_id=r.town_id, composite=r.composite,
                                           position=r.position, tier=r.tier, red_streak=1, escalated=False)
                                    for r in Result.objects.filter(round=first)])


@pytest.mark.parametrize("role", ["leader", "office", "town_staff"])
@pytest.mark.usefixtures("rendered_each_time")
def test_queries_do_not_grow_with_the_villages_or_the_weeks(role, users, client_for):
    client = client_for(users[role])
    urls = [f"/trends/village/{DASHUI}/", f"/trends/town/{XIQUAN}/", "/trends/transitions/",
            f"/trends/town/{XIQUAN}/export.csv"]
    for url in urls:
        client.get(url)  # the session, the content types

    def count() -> list[int]:
        out = []
        for url in urls:
            selectors._RANKED.clear()  # the worst case: no round's ranked count known to the process yet
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out.append(len(queries.captured_queries))
        return out

    small = count()
    rows_before = len(client.get(f"/trends/town/{XIQUAN}/").context["table"].rows)
    _more(_published(), 20, 3)
    assert count() == small
    assert len(client.get(f"/trends/town/{XIQUAN}/").context["table"].rows) == rows_before + 3


def test_each_round_s_ranked_count_is_kept_by_its_result_digest(db):
    """"Ranked of N" is counted once per round and result digest (which covers exactly the ranked rows): asked
    again, no query; a round whose results were computed anew (a new digest) is counted again, and a round without
    a digest every time."""
    rounds = _published()
    truth = {r.pk: Result.objects.filter(round=r, position__isnull=False).count() for r in rounds}
    selectors._RANKED.clear()
    assert selectors.ranked_counts(rounds) == truth
    with CaptureQueriesContext(connection) as queries:
        assert selectors.ranked_counts(rounds) == truth
    assert len(queries.captured_queries) == 0

    latest = rounds[-1]
    Result.objects.filter(round=latest, position=truth[latest.pk]).update(position=None)
    assert selectors.ranked_counts(rounds)[latest.pk] == truth[latest.pk]  # same digest: still the kept count
    latest.result_digest = "0" * 64  # as ranking_compute leaves a round whose results changed
    with CaptureQueriesContext(connection) as queries:
        assert selectors.ranked_counts(rounds)[latest.pk] == truth[latest.pk] - 1
    assert len(queries.captured_queries) == 1
    latest.result_digest = ""
    Result.objects.filter(round=latest, position__isnull=True).update(position=truth[latest.pk])
    assert selectors.ranked_counts(rounds)[latest.pk] == truth[latest.pk]
