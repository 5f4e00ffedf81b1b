"""The figures of the dashboard and the large screen, assembled from the domain apps' selectors: one plain
dictionary (the screen's JSON) with the link behind every figure. Everything is scoped to the user's area
(org.access), and the number of queries does not grow with the number of villages: the selectors aggregate in the
database.

Which rounds a user may see here: the office (and the county administrators) every revision people see, drafts
included; everyone else the published rounds only. Township and village staff see their township or village;
inspectors the townships of their inspection groups, without the interviews panel (they read no interviews:
interviews.access).
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from dudao.accounts import access
from dudao.drone import selectors as drone_selectors
from dudao.inspections import selectors as inspection_selectors
from dudao.inspections.access import inspections_visible_to
from dudao.interviews import selectors as interview_selectors
from dudao.interviews.access import can_see_interviews, interviews_visible_to
from dudao.org import selectors as org_selectors
from dudao.org.access import area_q, area_roots, units_visible_to
from dudao.org.models import Unit
from dudao.problems import selectors as problem_selectors
from dudao.problems.access import problems_visible_to
from dudao.ranking import checks, lifecycle
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking.models import SOURCES, Result, Round, RoundStatus, SourceName, Tier
from dudao.ranking.tiers import tier_styles


def sees_drafts(user) -> bool:
    return access.is_office(user)


def weeks_for(user, campaign) -> list[str]:
    """The weeks the user may pick, newest first."""
    statuses = lifecycle.STATUSES if sees_drafts(user) else lifecycle.PUBLISHED_ONCE
    return ranking_selectors.dashboard_weeks(campaign, statuses)


def round_for(user, campaign, week: str) -> Round | None:
    """The week's round the user sees: the live revision (a draft too) for the office, the published one for
    everyone else; None when there is none."""
    if sees_drafts(user):
        return ranking_selectors.round_live(campaign, week)
    return ranking_selectors.published_round(campaign, week)


def default_week(campaign) -> str | None:
    """The latest published week (for everyone: the office picks drafts by hand)."""
    latest = ranking_selectors.latest_published_round(campaign)
    return latest.week if latest is not None else None


def _url(name: str, *args, **query) -> str:
    url = reverse(name, args=args)
    query = {k: v for k, v in query.items() if v not in ("", None)}
    return f"{url}?{urlencode(query)}" if query else url


def _unit(unit: Unit, week: str) -> dict:
    parent = unit.parent
    return {"code": unit.code, "name": unit.name, "town": parent.name if parent is not None else "",
            "url": _url("ranking_village", unit.code, week=week), "trend_url": _url("trend_village", unit.code)}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


WAITING = {
    "sources": lambda: _("the townships' rankings and the sources"),
    "compute": lambda: _("the office to compute the ranking"),
    "request": lambda: _("the office to request approval"),
    "publish": lambda: _("the office to publish"),
    "approval": lambda: _("approval by a second office user"),
}


def _state(user, round_: Round, week: str) -> dict:
    state = ranking_selectors.round_state(round_, area=area_q(user, ""))
    town = {"ranking_round": _url("ranking_round", week=week)} if access.is_office(user) else {}
    flagged = None
    if access.can_read_all(user) and round_.status in lifecycle.WITH_RESULTS:
        flagged = sum(1 for a in checks.round_checks(round_).agreement if a.flagged)
    return {
        "status": round_.status, "status_label": str(RoundStatus(round_.status).label), "revision": round_.revision,
        "published_at": round_.published_at.isoformat() if round_.published_at else None,
        "sources": [{"source": s, "label": str(SourceName(s).label), "entries": state.sources.get(s, 0)}
                    for s in SOURCES],
        "towns_on_time": state.towns_on_time,
        "towns_late": [{"code": t.code, "name": t.name} for t in state.towns_late],
        "towns_missing": [{"code": t.code, "name": t.name} for t in state.towns_missing],
        "waiting_for": state.waiting_for,
        "waiting_label": WAITING[state.waiting_for]() if state.waiting_for else "",
        "requested_by": round_.requested_by_label if round_.status == RoundStatus.PENDING else "",
        "checks_flagged": flagged,
        "checks_url": _url("ranking_results", week) + "#agreement" if flagged is not None else "",
        "url": town.get("ranking_round", ""),
    }


def _tiers(round_: Round, week: str, league: list[ranking_selectors.LeagueRow]) -> list[dict]:
    styles = tier_styles(round_.settings)
    counts = {t: sum(getattr(row, t) for row in league) for t in Tier.values}
    return [{"tier": t, "code": t, "label": styles[t].label, "colour": styles[t].colour, "ink": styles[t].ink,
             "count": counts[t], "url": _url("ranking_results", week)} for t in (Tier.GREEN, Tier.YELLOW, Tier.RED)]


def _movers(user, round_: Round, week: str) -> dict:
    area = area_q(user, "unit__")
    moved = ranking_selectors.movers(round_, Result.objects.filter(area) if area is not None else None)
    kinds = {"red_to_green": moved.red_to_green, "green_to_red": moved.green_to_red, "new_reds": moved.new_red,
             "escalated": moved.escalated}
    return {
        "previous_week": moved.previous.week if moved.previous is not None else None,
        "counts": {kind: len(rows) for kind, rows in kinds.items()},
        **{kind: [_unit(r.unit, week) for r in rows] for kind, rows in kinds.items()},
    }


def _league(user, round_: Round, week: str,
            previous: Round | None) -> tuple[list[dict], list[ranking_selectors.LeagueRow]]:
    rows = ranking_selectors.league(round_, previous=previous, area=area_q(user, "unit__"))
    return [{"code": r.town.code, "name": r.town.name, "green": r.green, "yellow": r.yellow, "red": r.red,
             "unranked": r.unranked, "mean": r.mean, "mean_change": r.mean_change, "red_change": r.red_change,
             "url": _url("ranking_results", week, town=r.town.code), "trend_url": _url("trend_town", r.town.code)}
            for r in rows], rows


# The problem funnel's columns: found during the week, then the stages of problem_selectors.REACHED.
STAGES = ("found", *problem_selectors.REACHED)


def _problems(user, week: str, towns: dict[int, Unit]) -> dict:
    funnel = problem_selectors.funnel_by_town(problems_visible_to(user), week)
    stages = STAGES
    rows: list[dict] = []
    total: dict = {key: 0 for key in (*stages, "same_day_due", "same_day", "overdue")}
    for town_id, f in sorted(funnel.items(), key=lambda item: towns[item[0]].code if item[0] in towns else ""):
        town = towns.get(town_id)
        if town is None:
            continue
        row: dict = {"code": town.code, "name": town.name, "same_day_rate": f.same_day_rate,
               "urls": {"found": _url("problem_list", tab="all", week=week, town=town.code),
                        "overdue": _url("problem_list", tab="overdue", town=town.code),
                        **{s: _url("problem_list", tab="all", week=week, town=town.code, reached=s)
                           for s in stages[1:]}}}
        for key in total:
            row[key] = getattr(f, key)
            total[key] += row[key]
        rows.append(row)
    total["same_day_rate"] = _rate(total["same_day"], total["same_day_due"])
    total["urls"] = {"found": _url("problem_list", tab="all", week=week),
                     "overdue": _url("problem_list", tab="overdue"),
                     **{s: _url("problem_list", tab="all", week=week, reached=s) for s in stages[1:]}}
    return {"towns": rows, "total": total}


def _interviews(user, week: str) -> dict | None:
    if not can_see_interviews(user):
        return None
    o = interview_selectors.outstanding(interviews_visible_to(user), week)
    overdue = _url("interview_list", overdue=1)
    return {
        "week_called": o.week_called, "pending": o.pending, "scheduled": o.scheduled, "overdue": o.overdue,
        "commitments_open": o.commitments_open, "commitments_overdue": o.commitments_overdue,
        "commitments_done": o.commitments_done,
        "urls": {"week_called": _url("interview_list", week=week), "pending": _url("interview_list", status="pending"),
                 "scheduled": _url("interview_list", status="scheduled"), "overdue": overdue,
                 "commitments_open": _url("interview_list", status="held"), "commitments_overdue": overdue,
                 "commitments_done": _url("interview_list", status="held")},
    }


def _coverage(user, campaign, week: str, towns: dict[int, Unit]) -> dict:
    units = units_visible_to(user).of_campaign(campaign)
    villages = org_selectors.villages_by_town(units)
    inspected = inspection_selectors.villages_inspected_by_town(inspections_visible_to(user), week)
    flown = drone_selectors.villages_flown_by_town(campaign, week, area_q(user, "village__"))
    rows: list[dict] = []
    total: dict = {"villages": 0, "inspected": 0, "flown": 0}
    for town_id in sorted(villages, key=lambda pk: towns[pk].code if pk in towns else ""):
        town = towns.get(town_id)
        if town is None:
            continue
        row: dict = {"code": town.code, "name": town.name, "villages": villages[town_id],
               "inspected": inspected.get(town_id, 0), "flown": flown.get(town_id, 0),
               "urls": {"inspected": _url("inspection_list", week=week, town=town.code),
                        "flown": _url("drone_coverage", week=week)}}
        for key in total:
            total[key] += row[key]
        rows.append(row)
    total["inspected_rate"] = _rate(total["inspected"], total["villages"])
    total["flown_rate"] = _rate(total["flown"], total["villages"])
    total["urls"] = {"inspected": _url("inspection_list", week=week), "flown": _url("drone_coverage", week=week)}
    return {"towns": rows, "total": total}


def _towns(user, campaign) -> dict[int, Unit]:
    """The townships the user's area reaches (the township of a village user's village too), by id."""
    towns = Unit.objects.of_campaign(campaign).towns()
    roots = area_roots(user)
    if roots is not None:
        codes = {root.path.split("/")[1] for root in roots if root.path.count("/") >= 2}
        towns = towns.filter(code__in=codes)
    return towns.in_bulk()


def figures(user, campaign, round_: Round | None, week: str) -> dict:
    """Every figure of the dashboard for the week (``round_`` is the round the user sees, or None)."""
    towns = _towns(user, campaign)
    data: dict = {
        "week": week, "updated": timezone.localtime().isoformat(timespec="seconds"),
        "round": None, "tiers": [], "movers": None, "league": [],
        "problems": _problems(user, week, towns),
        "interviews": _interviews(user, week),
        "coverage": _coverage(user, campaign, week, towns),
        "map_url": _url("ranking_results", week),
        "map_page_url": _url("map", week=week),
        "map_data_url": _url("map_data", layer="tier", week=week),
    }
    if round_ is None:
        return data
    data["round"] = _state(user, round_, week)
    if round_.status in lifecycle.WITH_RESULTS:
        moved = _movers(user, round_, week)
        previous = ranking_selectors.previous_published(round_)
        data["league"], league = _league(user, round_, week, previous)
        data["tiers"] = _tiers(round_, week, league)
        data["movers"] = moved
    return data
