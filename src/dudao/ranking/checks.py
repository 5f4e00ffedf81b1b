"""Checks before publishing: agreement of each township with the independent sources, sensitivity of the tiers
to the weights, and coverage of each source. Reads stored rounds; the arithmetic is in dudao.ranking.engine."""

from dataclasses import dataclass

import numpy as np
from django.db.models import Count

from dudao.org.models import Unit
from dudao.ranking import engine
from dudao.ranking.models import Entry, Result, Round, RoundStatus, SourceName
from dudao.ranking.services import engine_sources


@dataclass(frozen=True)
class TownAgreement:
    town: Unit
    tau_b: float | None
    pairs: int
    overlap: int
    flagged: bool  # far below the other townships (outlier) or below the campaign's threshold
    below_threshold: bool = False  # tau-b under the settings' agreement_threshold


@dataclass(frozen=True)
class Flip:
    source: str
    factor: float
    units: list[Unit]


def _window(round_: Round) -> list[Round]:
    """This round and the published rounds before it, up to the settings' window of weeks."""
    earlier = list(Round.objects.filter(campaign=round_.campaign, status=RoundStatus.PUBLISHED,
                                        week_start__lt=round_.week_start)
                   .order_by("-week_start")[: max(0, round_.settings.agreement_weeks - 1)])
    return [round_, *earlier]


def agreement(round_: Round) -> list[TownAgreement]:
    """Kendall's tau-b per township between its own ranking and the independent sources (inspection and drone,
    by their weights), pooled over the window of weeks; townships far below the others, or below the campaign's
    agreement threshold (RankingSettings.agreement_threshold), are flagged."""
    weights = round_.settings.weights()
    towns: dict[int, int] = {}
    weeks = []
    for r in _window(round_):
        rows = list(Result.objects.filter(round=r, p_town__isnull=False)
                    .values_list("town_id", "p_town", "p_inspection", "p_drone"))
        scope, own, independent = [], [], []
        for town_id, p_town, p_inspection, p_drone in rows:
            parts = [(p, weights[name]) for p, name in ((p_inspection, "inspection"), (p_drone, "drone"))
                     if p is not None and weights[name] > 0]
            if not parts:
                continue
            scope.append(towns.setdefault(town_id, len(towns)))
            own.append(p_town)
            independent.append(sum(p * w for p, w in parts) / sum(w for _p, w in parts))
        weeks.append((np.array(scope, dtype=np.int64), np.array(own, dtype=np.float64),
                      np.array(independent, dtype=np.float64)))
    if not towns:
        return []
    result = engine.agreement(weeks)
    by_index = {index: town_id for town_id, index in towns.items()}
    units = Unit.objects.in_bulk(list(towns))
    threshold = round_.settings.agreement_threshold
    out = []
    for s, t, p, o, f in zip(result.scope, result.tau_b, result.pairs, result.overlap, result.flagged, strict=True):
        tau = None if np.isnan(t) else float(t)
        low = tau is not None and tau < threshold
        out.append(TownAgreement(units[by_index[int(s)]], tau, int(p), int(o), bool(f) or low, low))
    return sorted(out, key=lambda a: (not a.flagged, a.tau_b if a.tau_b is not None else 2.0, a.town.code))


def sensitivity(round_: Round) -> list[Flip]:
    """Villages whose tier would change if one source's weight were halved or doubled."""
    results = list(Result.objects.filter(round=round_).values_list("unit_id", "town_id"))
    if not results:
        return []
    index = {unit_id: n for n, (unit_id, _town) in enumerate(results)}
    town_index: dict[int, int] = {}
    town_of = {unit_id: town_index.setdefault(town_id, len(town_index)) for unit_id, town_id in results}
    settings = round_.settings
    sources = engine_sources(round_, index, town_of, settings)
    if not sources:
        return []
    flips = engine.sensitivity(len(results), sources, green=settings.green_count, red=settings.red_count)
    units = Unit.objects.in_bulk([unit_id for unit_id, _town in results])
    return [Flip(name, factor, [units[results[i][0]] for i in changed]) for name, factor, changed in flips
            if len(changed)]


def coverage(round_: Round) -> dict[str, int]:
    """Villages covered by each source this week."""
    counts = {name: 0 for name in SourceName.values}
    for source, count in Entry.objects.filter(round=round_).values_list("source").annotate(n=Count("id")):
        counts[source] = count
    return counts
