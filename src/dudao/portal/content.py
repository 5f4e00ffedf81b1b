"""What the public sees of the published rounds, assembled from dudao.ranking.selectors (the reads the trends and
the API use): a week's figures and its green and red lists by township, and a village's tiers over the weeks.
Only rounds published once (lifecycle.PUBLISHED_ONCE) are ever read here; a week without one is None."""

from dataclasses import dataclass

from dudao.org.access import town_of
from dudao.org.models import Unit
from dudao.ranking import lifecycle, selectors
from dudao.ranking.models import Result, Round, Tier
from dudao.ranking.tiers import TierStyle, tier_styles

PUBLIC = lifecycle.PUBLISHED_ONCE
LISTED = (Tier.GREEN.value, Tier.RED.value)


@dataclass(frozen=True)
class Listed:
    """A village on the week's green or red list."""

    code: str
    name: str
    position: int
    composite: float | None
    red_streak: int
    escalated: bool


@dataclass(frozen=True)
class TownList:
    """A township's villages on one list, in position order."""

    code: str
    name: str
    villages: list[Listed]


@dataclass(frozen=True)
class Week:
    """One published week as the public sees it."""

    round: Round
    styles: dict[str, TierStyle]
    ranked: int
    counts: dict[str, int]  # ranked villages per tier
    movers: dict[str, int]  # red_to_green, green_to_red, new_red, escalated
    previous_week: str | None  # the week the movers compare with
    lists: dict[str, list[TownList]]  # green, red → by township (township code order)
    league: list[selectors.LeagueRow]
    neighbours: dict[str, str | None]  # previous_week, next_week
    weeks: list[str]  # every published week, newest first

    @property
    def week(self) -> str:
        return self.round.week

    def listed(self, tier: str) -> list[Listed]:
        """The list's villages in position order, whatever their township."""
        return sorted((v for town in self.lists[tier] for v in town.villages), key=lambda v: (v.position, v.code))


def latest_round(campaign) -> Round | None:
    """The published round of the latest published week (its latest published revision)."""
    return selectors.rounds_newest_first(campaign, PUBLIC).first()


def week_round(campaign, week: str) -> Round | None:
    """The week's published round (its latest published revision), or None: a draft, a round computed but not
    published and a week without a round are all None."""
    return selectors.published_round(campaign, week)


def week_content(campaign, round_: Round) -> Week:
    assert round_.status in PUBLIC, round_.status  # the callers pass published rounds only
    results = Result.objects.filter(round=round_)
    moved = selectors.movers(round_)
    lists: dict[str, list[TownList]] = {tier: [] for tier in LISTED}
    by_town: dict[tuple[str, str], dict[str, list[Listed]]] = {}
    for row in selectors.result_rows(results.filter(tier__in=LISTED, position__isnull=False)):
        assert row.position is not None
        by_town.setdefault((row.town.code, row.town.name), {t: [] for t in LISTED})[row.tier].append(
            Listed(row.unit.code, row.unit.name, row.position, row.composite, row.red_streak, row.escalated))
    for (code, name), tiers in sorted(by_town.items()):
        for tier, villages in tiers.items():
            if villages:
                lists[tier].append(TownList(code, name, villages))
    counts = selectors.tier_counts(results.filter(position__isnull=False))
    return Week(
        round=round_, styles=tier_styles(round_.settings), ranked=sum(counts[t] for t in Tier.values),
        counts={t: counts[t] for t in Tier.values}, movers=moved.counts(),
        previous_week=moved.previous.week if moved.previous else None, lists=lists,
        league=selectors.league(round_, previous=moved.previous),
        neighbours=selectors.neighbour_weeks(campaign, round_, PUBLIC),
        weeks=selectors.dashboard_weeks(campaign, PUBLIC))


@dataclass(frozen=True)
class VillageWeek:
    week: str
    position: int | None
    of: int  # villages ranked that week
    tier: str
    style: TierStyle | None
    composite: float | None
    red_streak: int
    escalated: bool


@dataclass(frozen=True)
class Village:
    unit: Unit
    town: Unit | None
    weeks: list[VillageWeek]  # newest first


def ranked_village(campaign, code: str) -> Unit | None:
    """The campaign's village or community with this code, or None."""
    return Unit.objects.of_campaign(campaign).ranked().filter(code=code).first()


def village_content(unit: Unit, campaign) -> Village:
    """The village's result in every published week (the week's latest published revision), newest first."""
    rounds = selectors.trend_rounds(campaign, PUBLIC)
    of = selectors.ranked_counts(rounds)
    rows = []
    for row in reversed(selectors.village_trend(unit, rounds)):
        styles = tier_styles(row.round.settings)
        rows.append(VillageWeek(row.round.week, row.position, of.get(row.round_id, 0), row.tier,
                                styles.get(row.tier), row.composite, row.red_streak, row.escalated))
    return Village(unit, town_of(unit), rows)


def village_week(village: Village, week: str) -> tuple[VillageWeek | None, VillageWeek | None]:
    """The village's result of the week and of its last published week before it (None where it has none)."""
    for index, row in enumerate(village.weeks):
        if row.week == week:
            return row, (village.weeks[index + 1] if index + 1 < len(village.weeks) else None)
    return None, None
