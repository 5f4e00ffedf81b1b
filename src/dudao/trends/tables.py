"""The numbers behind each trend chart, as one table (header and rows of text): the page shows it under the chart,
the chart draws it, the CSV and XLSX exports write it. Numbers are written as stored (Python's shortest repr of the
float), so the table, the exports and the Result rows agree exactly.

Who sees which weeks: the office every week with results, drafts included; everyone else the published weeks only
(as the dashboard decides: dudao.dashboard.figures.sees_drafts)."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from dudao.accounts import access
from dudao.org.access import area_q
from dudao.org.models import Unit
from dudao.ranking import lifecycle
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking.models import Round, RoundStatus, Tier
from dudao.ranking.tiers import FALLBACK_COLOURS, tier_styles

TIERS = (Tier.GREEN, Tier.YELLOW, Tier.RED)


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    chart: dict = field(default_factory=dict)


def statuses_for(user) -> frozenset[str]:
    return lifecycle.WITH_RESULTS if access.is_office(user) else lifecycle.PUBLISHED_ONCE


def rounds_for(user, campaign) -> list[Round]:
    return ranking_selectors.trend_rounds(campaign, statuses_for(user))


def number(value) -> str:
    """A stored number as text: "" for none, integers as integers, floats as stored."""
    if value is None:
        return ""
    return str(value)


def _status(round_: Round) -> str:
    return "" if round_.status in lifecycle.PUBLISHED_ONCE else str(RoundStatus(round_.status).label)


def _tier_styles(rounds: list[Round]) -> dict:
    """The tiers' labels and colours of the latest round's settings (the defaults without a round)."""
    if not rounds:
        return {t: {"label": str(Tier(t).label), "colour": FALLBACK_COLOURS[Tier(t)]} for t in TIERS}
    styles = tier_styles(rounds[-1].settings)
    return {t: {"label": str(styles[t].label), "colour": styles[t].colour} for t in TIERS}


def village_table(unit: Unit, rounds: list[Round]) -> Table:
    results = ranking_selectors.village_trend(unit, rounds)
    ranked = ranking_selectors.ranked_counts(rounds)
    header = [_("week"), _("composite"), _("position"), _("ranked villages"), _("tier"), "p_town", "p_inspection",
              "p_drone", _("status")]
    rows = []
    for r in results:
        label = str(tier_styles(r.round.settings)[r.tier].label) if r.tier else ""
        rows.append([r.round.week, number(r.composite), number(r.position), number(ranked.get(r.round_id, 0)),
                     label, number(r.p_town), number(r.p_inspection), number(r.p_drone), _status(r.round)])
    chart = {
        "kind": "village",
        "weeks": [r.round.week for r in results],
        "composite": [r.composite for r in results],
        "position": [r.position for r in results],
        "tier": [r.tier for r in results],
        "p_town": [r.p_town for r in results], "p_inspection": [r.p_inspection for r in results],
        "p_drone": [r.p_drone for r in results],
        "tiers": _tier_styles(rounds),
        "labels": {"composite": _("composite"), "position": _("position"), "tier": _("tier"),
                   "p_town": _("township's ranking"), "p_inspection": _("inspection"), "p_drone": _("drone")},
    }
    return Table(header, rows, chart)


def town_table(user, town: Unit, rounds: list[Round]) -> Table:
    weeks = ranking_selectors.town_trend(town, rounds, area=area_q(user, "unit__"))
    styles = _tier_styles(rounds)
    header = [_("week"), styles[Tier.GREEN]["label"], styles[Tier.YELLOW]["label"], styles[Tier.RED]["label"],
              _("unranked"), _("mean composite"), _("status")]
    rows = [[w.round.week, number(w.green), number(w.yellow), number(w.red), number(w.unranked), number(w.mean),
             _status(w.round)] for w in weeks]
    chart = {"kind": "town", "weeks": [w.round.week for w in weeks], "tiers": styles,
             "counts": {t: [getattr(w, t) for w in weeks] for t in TIERS},
             "labels": {"count": _("villages")}}
    return Table(header, rows, chart)


def transitions_table(user, rounds: list[Round], week: str = "") -> Table:
    """The transitions into ``week`` from the week before (its pair), or summed over every pair of weeks."""
    found = ranking_selectors.transitions(rounds, area=area_q(user, "unit__"))
    if week:
        counts = next(c for _b, after, c in found.pairs if after.week == week)
    else:
        counts = found.total
    styles = _tier_styles(rounds)
    order = TIERS
    header = [_("the week before"), _("the week after"), _("villages")]
    rows = [[styles[a]["label"], styles[b]["label"], number(counts[(a, b)])] for a in order for b in order]
    chart = {"kind": "transitions", "tiers": styles,
             "links": [{"from": a, "to": b, "value": counts[(a, b)]} for a in order for b in order],
             "labels": {"before": _("the week before"), "after": _("the week after")}}
    return Table(header, rows, chart)


def pair_weeks(rounds: list[Round]) -> list[tuple[str, str]]:
    """(week before, week) for every consecutive pair of the rounds, newest first."""
    return [(a.week, b.week) for a, b in zip(rounds, rounds[1:], strict=False)][::-1]
