"""The public pages (/public/…) and their open data: anonymous, read-only, plain HTML that reads on a phone without
JavaScript. Only published weeks are reachable: any other week, a draft, a round computed but not published, a
future week, an unknown village all answer the same 404. Pages are rendered without the request (no context
processor reads the user or the session, no CSRF token) and kept by caching.answer."""

import functools
import json
import re

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.core.tables import write_csv
from dudao.exposure import selectors as exposure_selectors
from dudao.portal import caching, content, open311, poster, texts
from dudao.problems import selectors as problem_selectors
from dudao.ranking import selectors
from dudao.ranking.models import Result, Tier
from dudao.ranking.tiers import tier_styles

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
CSV = "text/csv; charset=utf-8"
CODE = re.compile(r"^\d{12}$")
FEED_WEEKS = 52
FEED_ITEMS = 50


def _page(template: str, context: dict) -> bytes:
    return render_to_string(template, context).encode("utf-8")


def not_found(request, rest: str = "") -> HttpResponse:
    """The public 404 (any other path under /public/ too): the portal's own page, which sets no cookie."""
    campaign = campaign_get()
    return caching.uncached(request, lambda: _page("portal/not_found.html", {"campaign": campaign}), HTML, status=404)


def _published(campaign, week: str):
    """The week's published round, or None (a malformed week too)."""
    try:
        weeks.parse_week(week)
    except ValueError:
        return None
    return content.week_round(campaign, week)


def _published_week(view):
    """For the views of one published week: `view(request, campaign, round_)`; the portal's 404 for any week not
    published (a malformed one too)."""

    @functools.wraps(view)
    def wrapped(request, week: str):
        campaign = campaign_get()
        round_ = _published(campaign, week)
        if round_ is None:
            return not_found(request)
        return view(request, campaign, round_)

    return wrapped


def _week_answer(request, campaign, round_, latest: bool) -> HttpResponse:
    stamp = selectors.published_stamp(campaign)

    def build() -> bytes:
        return _page("portal/week.html", {"campaign": campaign, "w": content.week_content(campaign, round_),
                                          "latest": latest})

    return caching.answer(request, ("latest" if latest else "week", round_.pk, round_.revision, stamp), build, HTML)


@require_safe
@caching.kept
def index(request):
    """The latest published week's lists."""
    campaign = campaign_get()
    round_ = content.latest_round(campaign)
    if round_ is None:
        return caching.uncached(request, lambda: _page("portal/empty.html", {"campaign": campaign}), HTML)
    return _week_answer(request, campaign, round_, latest=True)


@require_safe
@caching.kept
@_published_week
def week(request, campaign, round_):
    return _week_answer(request, campaign, round_, latest=False)


LIST_HEADER = ["list", "tier_label", "position", "code", "name", "town_code", "town", "composite", "red_streak",
               "escalated"]


@require_safe
@caching.kept
@_published_week
def lists_csv(request, campaign, round_):
    """The week's green and red lists (one row per village, position order), every cell safe from formulas."""

    def build() -> bytes:
        w = content.week_content(campaign, round_)
        towns = {town.code: town.name for tier in content.LISTED for town in w.lists[tier]}
        rows = [[row["tier"], w.styles[row["tier"]].label, row["position"], row["code"], row["name"],
                 row["town_code"], towns.get(row["town_code"], ""),
                 "" if row["composite"] is None else f"{row['composite']:.6f}", row["red_streak"],
                 "true" if row["escalated"] else "false"]
                for row in selectors.export_rows(round_, Result.objects.filter(tier__in=content.LISTED))]
        return write_csv(LIST_HEADER, rows)

    return caching.answer(request, ("csv", round_.pk, round_.revision), build, CSV,
                          filename=f"lists-{round_.week}.csv")


@require_safe
@caching.kept
def village(request, code: str):
    """A village's tiers over the published weeks; 404 for a village never in a published week."""
    campaign = campaign_get()
    unit = content.ranked_village(campaign, code) if CODE.match(code) else None
    if unit is None:
        return not_found(request)

    def build() -> bytes | None:
        data = content.village_content(unit, campaign)
        return _page("portal/village.html", {"campaign": campaign, "v": data}) if data.weeks else None

    return caching.answer(request, ("village", unit.code, selectors.published_stamp(campaign)), build, HTML,
                          missing=lambda: not_found(request))


@require_safe
@caching.kept
def broadcast(request, code: str, week: str):
    """The village's loudspeaker script for a published week, as plain text."""
    campaign = campaign_get()
    unit = content.ranked_village(campaign, code) if CODE.match(code) else None
    round_ = _published(campaign, week)
    if unit is None or round_ is None:
        return not_found(request)

    def build() -> bytes | None:
        data = content.village_content(unit, campaign)
        now, before = content.village_week(data, round_.week)
        if now is None:
            return None
        return texts.broadcast(campaign, data, now, before, round_.settings.escalation_threshold).encode("utf-8")

    return caching.answer(request, ("broadcast", unit.code, round_.pk, round_.revision,
                                    selectors.published_stamp(campaign)),
                          build, TEXT, missing=lambda: not_found(request))


def _article(request, campaign, round_) -> str:
    url = caching.site_url(request) + reverse("public_week", args=[round_.week])
    return texts.article(campaign, content.week_content(campaign, round_), url)


@require_safe
@caching.kept
@_published_week
def article_txt(request, campaign, round_):
    """The official account's article of a published week, as plain text to paste."""
    return caching.answer(request, ("article.txt", round_.pk, round_.revision, selectors.published_stamp(campaign),
                                    caching.site_url(request)),
                          lambda: _article(request, campaign, round_).encode("utf-8"), TEXT)


@require_safe
@caching.kept
@_published_week
def article(request, campaign, round_):
    """The same article as a simple page to copy from."""

    def build() -> bytes:
        text = _article(request, campaign, round_)
        title, _blank, body = text.partition("\n\n")
        return _page("portal/article.html", {"campaign": campaign, "week": round_.week, "title": title,
                                             "paragraphs": [p for p in body.split("\n\n") if p.strip()]})

    return caching.answer(request, ("article", round_.pk, round_.revision, selectors.published_stamp(campaign),
                                    caching.site_url(request)), build, HTML)


@require_safe
@caching.kept
@_published_week
def poster_png(request, campaign, round_):
    """The week's poster of the green and red lists for WeChat groups (PNG, 1080 pixels wide)."""
    return caching.answer(request, ("poster", round_.pk, round_.revision, selectors.published_stamp(campaign)),
                          lambda: poster.poster(campaign, content.week_content(campaign, round_)), "image/png")


@require_safe
def feed(request):
    """An Atom feed of the published weeks (a correction is a new entry) and of the published exposure and positive
    items, newest first. Items can be withdrawn, so the feed is not kept by URL in each process (caching.kept); it is
    kept in the cache under both stamps."""
    campaign = campaign_get()
    site = caching.site_url(request)

    def build() -> bytes:
        rounds, seen = [], set()
        for round_ in selectors.rounds_newest_first(campaign, content.PUBLIC):
            if round_.week not in seen:
                seen.add(round_.week)
                rounds.append(round_)
            if len(rounds) == FEED_WEEKS:
                break
        counts = selectors.tier_counts_by_round(Result.objects.filter(round__in=rounds))
        atom = Atom1Feed(title=_("%(campaign)s: the published weeks") % {"campaign": campaign.name},
                         link=site + reverse("public_index"), description="", language=get_language(),
                         feed_url=site + reverse("public_feed"))
        entries = []
        for round_ in rounds:
            styles = tier_styles(round_.settings)
            tiers = counts.get(round_.pk, dict.fromkeys(Tier.values, 0))
            link = site + reverse("public_week", args=[round_.week])
            summary = _("%(green)s villages on the %(green_label)s list, %(red)s on the %(red_label)s list.") % {
                "green": tiers[Tier.GREEN], "green_label": styles[Tier.GREEN].label, "red": tiers[Tier.RED],
                "red_label": styles[Tier.RED].label}
            entries.append(dict(title=texts.week_label(round_.week), link=link, description=summary,
                                unique_id=f"{link}#revision-{round_.revision}", updateddate=round_.published_at,
                                pubdate=round_.published_at))
        for item in exposure_selectors.published(campaign)[:FEED_ITEMS]:
            link = site + reverse("public_item", args=[item.pk])
            entries.append(dict(title=f"{item.get_kind_display()} · {item.village.name}: {item.title}", link=link,
                                description=item.reason, unique_id=link, updateddate=item.published_at,
                                pubdate=item.published_at))
        for entry in sorted(entries, key=lambda e: e["pubdate"], reverse=True):
            atom.add_item(**entry)
        return atom.writeString("utf-8").encode("utf-8")

    return caching.answer(request, ("feed", selectors.published_stamp(campaign),
                                    exposure_selectors.published_stamp(campaign), site), build,
                          "application/atom+xml; charset=utf-8")


# Open311 GeoReport v2 -----------------------------------------------------------------------------------------

JSON = "application/json; charset=utf-8"


def _json(request, build, status: int = 200) -> HttpResponse:
    return caching.uncached(request, lambda: json.dumps(build(), ensure_ascii=False).encode("utf-8"), JSON,
                            status=status)


def _error(request, code: int, description) -> HttpResponse:
    """GeoReport v2's error answer: a list of {code, description}."""
    return _json(request, lambda: [{"code": code, "description": str(description)}], status=code)


@csrf_exempt
@require_safe
def open311_discovery(request):
    base = caching.site_url(request) + reverse("open311_services").rsplit("/", 1)[0] + "/"
    return _json(request, lambda: {
        "changeset": "2026-12-07T00:00:00+08:00", "contact": _("The campaign office"), "key_service": "",
        "endpoints": [{"specification": open311.SPECIFICATION, "url": base, "changeset": "2026-12-07T00:00:00+08:00",
                       "type": "production", "formats": ["application/json"]}]})


@csrf_exempt
@require_safe
def open311_services(request):
    campaign = campaign_get()
    return _json(request, lambda: [open311.service_row(c)
                                   for c in problem_selectors.categories_of(campaign, active=True)])


@csrf_exempt
@require_safe
def open311_requests(request):
    campaign = campaign_get()
    codes = {c.code for c in problem_selectors.categories_of(campaign)}
    try:
        filters = open311.parse_filters(request.GET, codes)
    except Refused as refused:
        return _error(request, 400, refused.message)
    return _json(request, lambda: open311.requests_matching(campaign, filters, caching.site_url(request)))


@require_safe
def open311_not_found(request, rest: str = ""):
    """Any other path under /open311/: GeoReport's error answer rather than the staff's 404 page."""
    return _error(request, 404, _("Not found"))


@csrf_exempt
@require_safe
def open311_request(request, number: str):
    campaign = campaign_get()
    row = open311.request_one(campaign, number, caching.site_url(request))
    if row is None:
        return _error(request, 404, _("No public service request has the number “%(number)s”.")
                      % {"number": number[:40]})
    return _json(request, lambda: [row])
