"""The public portal (/public/…): anonymous, read-only, plain HTML without JavaScript; the latest published week's
green and red lists by township with the week's figures, any published week, a village's weeks, the lists as CSV, the
Atom feed of the published weeks, the loudspeaker script, the official account's article and the poster. Nothing
that was not published is reachable; answers set no cookie, do not vary on it, and are kept by round and revision.
(Open311 and the search for personal data: tests/test_portal_open311.py, tests/test_portal_privacy.py.)"""

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from dudao.accounts.access import SYSTEM
from dudao.campaigns.services import campaign_get
from dudao.org.models import Unit
from dudao.portal import caching
from dudao.publication import services as publication
from dudao.ranking import services as ranking
from dudao.ranking.models import RankingSettings, Result, Round, RoundStatus

DASHUI = "620423103200"  # 大水䃎村
XIQUAN = "620423103000"  # 喜泉镇
LIST_ITEM = re.compile(r'<li value="(\d+)"><a href="/public/villages/(\d{12})/">([^<]+)</a>')


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    """Each test starts without kept pages (ids and stamps of rolled-back rounds come back in the next test)."""
    monkeypatch.setattr(caching, "STAMP_SECONDS", 0)  # a process reads the published stamp on every request
    caching.forget()
    cache.clear()
    yield
    caching.forget()
    cache.clear()


def _published() -> list[Round]:
    """The demo's published rounds, oldest week first."""
    return list(Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("week_start"))


def _draft() -> Round:
    return Round.objects.exclude(status__in=[RoundStatus.PUBLISHED, RoundStatus.SUPERSEDED]).get()


def _section(html: str, ident: str) -> str:
    start = html.index(f'id="{ident}"')
    return html[start:html.index("</section>", start)]


def _listed(html: str, tier: str) -> list[tuple[int, str, str]]:
    return [(int(p), code, name) for p, code, name in LIST_ITEM.findall(_section(html, f"list-{tier}"))]


def _expected(round_: Round, tier: str) -> list[tuple[int, str, str]]:
    """The round's villages of the tier, township by township (code order), position order within one."""
    rows = Result.objects.filter(round=round_, tier=tier).select_related("unit", "town")
    return [(r.position, r.unit.code, r.unit.name) for r in sorted(rows, key=lambda r: (r.town.code, r.position,
                                                                                       r.unit.code))]


def _no_cookie(response) -> None:
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")
    assert response["Vary"] == "Accept-Language"


# The pages ----------------------------------------------------------------------------------------------------


def test_the_latest_published_weeks_lists_by_township_with_its_figures(client, db):
    latest = _published()[-1]
    response = client.get("/public/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    html = response.content.decode()
    assert _listed(html, "green") == _expected(latest, "green")
    assert _listed(html, "red") == _expected(latest, "red")
    assert len(_listed(html, "green")) == 30
    figures = _section(html, "figures")
    counts = {tier: Result.objects.filter(round=latest, tier=tier).count() for tier in ("green", "yellow", "red")}
    for tier, count in counts.items():
        assert re.search(rf'data-tier="{tier}" data-tier-colour="#[0-9a-f]{{6}}"><strong>{count}</strong>', figures)
    assert f"<strong>{sum(counts.values())}</strong><span>个村（社区）参加排名</span>" in figures
    towns = _section(html, "towns")
    assert towns.count("<tr>") == 1 + 11  # the header and the demo's 11 townships
    assert f"{latest.week}" in html
    assert "<script" not in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<link rel="stylesheet" href="/static/dudao/portal/portal.css">' in html


def test_the_campaigns_labels_and_colours_name_the_lists(client, db):
    latest = _published()[-1]
    RankingSettings.objects.filter(pk=latest.settings_id).update(green_label="光荣", green_colour="#0044aa",
                                                                 red_label="曝光", red_colour="#aa0000")
    html = client.get(f"/public/weeks/{latest.week}/").content.decode()
    assert '<span class="chip" data-tier="green" data-tier-colour="#0044aa">光荣</span>' in _section(html, "list-green")
    assert '<span class="chip" data-tier="red" data-tier-colour="#aa0000">曝光</span>' in _section(html, "list-red")
    assert '<h2 data-tier-colour="#0044aa">' in _section(html, "list-green")
    # The colours come from the tiers' stylesheet (no style attribute, no script: docs/decisions/0018-csp.md).
    assert '<link rel="stylesheet" href="/ranking/tiers.css">' in html
    css = client.get("/ranking/tiers.css").content.decode()
    assert '[data-tier-colour="#0044aa" i]{--tier:#0044aa;--tier-ink:#ffffff}' in css
    assert "光荣榜：30 个村" in html


def test_every_published_week_has_its_page_and_links_to_its_neighbours(client, db):
    rounds = _published()
    for before, round_, after in zip([None, *rounds[:-1]], rounds, [*rounds[1:], None], strict=True):
        html = client.get(f"/public/weeks/{round_.week}/").content.decode()
        assert _listed(html, "red") == _expected(round_, "red"), round_.week
        prev = re.findall(r'href="/public/weeks/([^/]+)/" rel="prev"', html)
        nxt = re.findall(r'href="/public/weeks/([^/]+)/" rel="next"', html)
        assert (prev, nxt) == ([before.week] if before else [], [after.week] if after else []), round_.week
    weeks = re.findall(r'<li><a href="/public/weeks/([^/]+)/">', client.get("/public/").content.decode())
    assert weeks == [r.week for r in reversed(rounds)]


def test_what_was_not_published_answers_404_whatever_the_url(client, db):
    draft = _draft()
    Round.objects.filter(pk=draft.pk).update(status=RoundStatus.COMPUTED)
    village = Unit.objects.get(code=DASHUI)
    Result.objects.create(round=draft, unit=village, town=village.parent, composite=1.0, position=151, tier="red",
                          red_streak=1)
    latest = _published()[-1]
    paths = [f"/public/weeks/{draft.week}/", f"/public/weeks/{draft.week}/lists.csv",
             f"/public/weeks/{draft.week}/article/", f"/public/weeks/{draft.week}/article.txt",
             f"/public/weeks/{draft.week}/poster.png", f"/public/villages/{DASHUI}/{draft.week}/broadcast.txt",
             "/public/weeks/2099-W01/", "/public/weeks/2026-W99/", "/public/weeks/latest/", "/public/weeks/../",
             f"/public/villages/{XIQUAN}/", "/public/villages/999999999999/", "/public/villages/abc/",
             f"/public/villages/{DASHUI}/2099-W01/broadcast.txt", f"/public/weeks/{latest.week}/nope",
             "/public/weeks/", "/public/anything/else"]
    for status in (RoundStatus.COMPUTED, RoundStatus.PENDING, RoundStatus.COLLECTING):
        Round.objects.filter(pk=draft.pk).update(status=status)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 404, (status, path)
            assert "只显示已发布的周" in response.content.decode(), path
            _no_cookie(response)
        assert f"/public/weeks/{latest.week}/" in client.get("/public/").content.decode()
        assert draft.week not in client.get("/public/").content.decode()
        assert draft.week not in client.get(f"/public/villages/{DASHUI}/").content.decode()
        assert draft.week not in client.get("/public/feed.atom").content.decode()


def test_a_correction_shows_the_published_revision_until_it_is_published_itself(client, db):
    week = _published()[-1].week
    campaign = campaign_get()
    first = client.get(f"/public/weeks/{week}/").content.decode()
    assert "已更正" not in first
    ranking.ranking_revise(actor=SYSTEM, campaign=campaign, week=week, reason="喜泉镇报送有误")
    assert client.get(f"/public/weeks/{week}/").content.decode() == first  # collecting: revision 1 stays
    ranking.ranking_compute(actor=SYSTEM, campaign=campaign, week=week)
    assert client.get(f"/public/weeks/{week}/").content.decode() == first  # computed, not published
    assert client.get("/public/").content.decode() == first
    publication.round_publish(actor=SYSTEM, campaign=campaign, week=week)
    html = client.get(f"/public/weeks/{week}/").content.decode()
    assert "已更正（第 2 版）" in html
    assert "喜泉镇报送有误" not in html  # the office's reason is for the staff
    assert client.get("/public/").content.decode() == html


def test_a_villages_tiers_over_the_published_weeks(client, db):
    rounds = _published()
    html = client.get(f"/public/villages/{DASHUI}/").content.decode()
    assert "<h1>大水䃎村</h1>" in html
    assert "喜泉镇" in html
    rows = re.findall(r'<tr data-week="([^"]+)" data-tier="([^"]*)">', html)
    results = {r.round_id: r for r in Result.objects.filter(unit__code=DASHUI, round__in=rounds)}
    assert rows == [(r.week, results[r.pk].tier) for r in reversed(rounds)]
    latest = results[rounds[-1].pk]
    assert f"{latest.position} / 151" in html
    assert f'href="/public/villages/{DASHUI}/{rounds[-1].week}/broadcast.txt" download' in html


def test_a_village_never_in_a_published_week_is_not_found(client, db):
    town = Unit.objects.get(code=XIQUAN)
    Unit.objects.create(code="620423103999", name="新设村", level="village", parent=town,
                        path=f"{town.path}620423103999/")
    assert client.get("/public/villages/620423103999/").status_code == 404


def test_answers_set_no_cookie_write_no_session_and_are_kept(client, client_for, users, db):
    week = _published()[-1].week
    sessions = Session.objects.count()
    paths = ["/public/", f"/public/weeks/{week}/", f"/public/villages/{DASHUI}/", f"/public/weeks/{week}/lists.csv",
             "/public/feed.atom", f"/public/weeks/{week}/article/", f"/public/villages/{DASHUI}/{week}/broadcast.txt"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        _no_cookie(response)
        assert response["Cache-Control"] == "public, max-age=300", path
    assert Session.objects.count() == sessions
    signed_in = client_for(users["leader"])
    for path in paths:
        _no_cookie(signed_in.get(path))
    for path in ["/public/", f"/public/weeks/{week}/"]:
        caching.forget()  # this process's answers gone, the cache's stay
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        # the campaign and the published stamp (the process's), then the campaign, the round shown, the stamp
        assert len(queries) == 5, path
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        assert len(queries) == 2, path  # kept by the process: the stamp is read again (every time in the tests)


def test_a_process_trusts_its_stamp_for_a_while_then_shows_what_was_published(client, db, monkeypatch):
    monkeypatch.setattr(caching, "STAMP_SECONDS", 3600)
    week = _published()[-1].week
    first = client.get("/public/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/public/").content.decode() == first
    assert len(queries) == 0
    campaign = campaign_get()
    ranking.ranking_revise(actor=SYSTEM, campaign=campaign, week=week, reason="更正")
    ranking.ranking_compute(actor=SYSTEM, campaign=campaign, week=week)
    publication.round_publish(actor=SYSTEM, campaign=campaign, week=week)
    assert client.get("/public/").content.decode() == first  # the process has not read the stamp again yet
    monkeypatch.setattr(caching, "STAMP_SECONDS", 0)
    assert "已更正（第 2 版）" in client.get("/public/").content.decode()


def test_a_kept_answer_is_not_sent_again_to_a_client_that_holds_it(client, db):
    response = client.get("/public/")
    again = client.get("/public/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", response["ETag"])
    assert client.get("/public/", HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_the_language_comes_from_accept_language_only(client, db):
    english = client.get("/public/", HTTP_ACCEPT_LANGUAGE="en")
    assert (english["Content-Language"], "villages and communities ranked" in english.content.decode()) == ("en", True)
    client.cookies["django_language"] = "en"
    chinese = client.get("/public/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese["Content-Language"] == "zh-hans"
    assert "个村（社区）参加排名" in chinese.content.decode()
    assert english["ETag"] != chinese["ETag"]


def test_only_get_and_head(client, db):
    week = _published()[-1].week
    assert client.post("/public/").status_code == 405
    assert client.post(f"/public/weeks/{week}/").status_code == 405
    head = client.head(f"/public/weeks/{week}/")
    assert (head.status_code, head.content, head["ETag"]) == (200, b"", client.get(f"/public/weeks/{week}/")["ETag"])


# Open data and the channels ------------------------------------------------------------------------------------


def test_the_lists_as_csv_safe_from_formulas(client, db):
    latest = _published()[-1]
    red = Result.objects.filter(round=latest, tier="red").select_related("unit").order_by("position").first()
    Unit.objects.filter(pk=red.unit_id).update(name="=HYPERLINK(\"http://x\")")
    response = client.get(f"/public/weeks/{latest.week}/lists.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="lists-{latest.week}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["list", "tier_label", "position", "code", "name", "town_code", "town", "composite",
                       "red_streak", "escalated"]
    expected = Result.objects.filter(round=latest, tier__in=["green", "red"]).order_by("position", "unit__code")
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [(e.tier, str(e.position), e.unit.code) for e in expected]
    row = next(r for r in rows[1:] if r[3] == red.unit.code)
    assert row[1] == "红"
    assert row[4] == "'=HYPERLINK(\"http://x\")"
    assert row[6] == red.town.name
    assert row[7] == f"{red.composite:.6f}"


def test_the_feed_lists_the_published_weeks(client, db):
    rounds = _published()
    response = client.get("/public/feed.atom")
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(response.content)  # noqa: S314 - our own answer
    entries = [e for e in root.findall("a:entry", ns)  # the weeks' (the items' are test_exposure's)
               if "/public/weeks/" in e.find("a:link", ns).get("href")]
    assert [e.find("a:link", ns).get("href") for e in entries] == [
        f"http://testserver/public/weeks/{r.week}/" for r in reversed(rounds)]
    assert [e.find("a:id", ns).text for e in entries] == [
        f"http://testserver/public/weeks/{r.week}/#revision-1" for r in reversed(rounds)]
    green = Result.objects.filter(round=rounds[-1], tier="green").count()
    red = Result.objects.filter(round=rounds[-1], tier="red").count()
    assert entries[0].find("a:summary", ns).text == f"绿榜 {green} 个村，红榜 {red} 个村。"


def test_the_loudspeaker_script_of_a_red_village(client, db):
    latest = _published()[-1]
    red = (Result.objects.filter(round=latest, tier="red").select_related("unit", "town").order_by("position")
           .first())
    response = client.get(f"/public/villages/{red.unit.code}/{latest.week}/broadcast.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    year, number = latest.week.split("-W")
    assert text.startswith(f"广播稿：{red.unit.name}，{year}年第{int(number)}周\n")
    assert (f"在{year}年第{int(number)}周全县城乡环境整治排名中，我村（{red.town.name}{red.unit.name}）在 151 个村（社区）中"
            f"排名第 {red.position} 位，列入红榜。") in text
    assert "我村列入红榜" in text
    assert text.endswith("谢谢大家！本通知播送两遍。\n")


def test_the_official_accounts_article_has_the_weeks_figures(client, db):
    latest = _published()[-1]
    text = client.get(f"/public/weeks/{latest.week}/article.txt").content.decode()
    counts = {tier: Result.objects.filter(round=latest, tier=tier).count() for tier in ("green", "yellow", "red")}
    assert (f"本周共有 151 个村（社区）参加排名：绿榜 {counts['green']} 个，黄 {counts['yellow']} 个，"
            f"红榜 {counts['red']} 个。") in text
    for _position, _code, name in _expected(latest, "red"):
        assert name in text
    assert text.endswith(f"http://testserver/public/weeks/{latest.week}/\n")
    page = client.get(f"/public/weeks/{latest.week}/article/").content.decode()
    assert '<article id="article">' in page
    assert "本周共有 151 个村（社区）参加排名" in page


def test_the_poster_is_sized_for_wechat_and_draws_rare_characters(client, db):
    from fontTools.ttLib import TTCollection

    from dudao.bulletins.content import cjk_font_file

    latest = _published()[-1]
    response = client.get(f"/public/weeks/{latest.week}/poster.png")
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.width) == ("PNG", 1080)
    assert image.height > 1000
    path, index = cjk_font_file()
    cmap = TTCollection(path).fonts[index]["cmap"].getBestCmap()
    assert 0x40CE in cmap  # 䃎 of 大水䃎村
