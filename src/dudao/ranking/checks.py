"""Checks before publishing: agreement of each township with the independent sources, sensitivity of the tiers
to the weights, and coverage of each source. Reads stored rounds; the arithmetic is in dudao.ranking.engine."""

from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from dudao.org.models import Unit
from dudao.ranking import engine, lifecycle
from dudao.ranking.models import Entry, Result, Round, RoundChecks, RoundStatus, SourceName
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


def agreement(round_: Round, window: list[Round] | None = None) -> list[TownAgreement]:
    """Kendall's tau-b per township between its own ranking and the independent sources (inspection and drone,
    by their weights), pooled over the window of weeks; townships far below the others, or below the campaign's
    agreement threshold (RankingSettings.agreement_threshold), are flagged."""
    weights = round_.settings.weights()
    towns: dict[int, int] = {}
    weeks = []
    for r in window if window is not None else _window(round_):
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


@dataclass(frozen=True)
class Checks:
    """A round's checks as its result page shows them."""

    agreement: list[TownAgreement]
    flips: list[Flip]
    coverage: dict[str, int]
    ranked: int
    unranked: int


def _counts(round_: Round) -> tuple[int, int]:
    counted = Result.objects.filter(round=round_).aggregate(
        ranked=Count("id", filter=Q(position__isnull=False)), unranked=Count("id", filter=Q(position__isnull=True)))
    return counted["ranked"], counted["unranked"]


def _compute(round_: Round, window: list[Round]) -> Checks:
    ranked, unranked = _counts(round_)
    return Checks(agreement(round_, window), sensitivity(round_), coverage(round_), ranked, unranked)


def _stored(checks: Checks) -> dict:
    return {
        "agreement": [[a.town.pk, a.tau_b, a.pairs, a.overlap, a.flagged, a.below_threshold]
                      for a in checks.agreement],
        "flips": [[f.source, f.factor, [u.pk for u in f.units]] for f in checks.flips],
        "coverage": checks.coverage, "ranked": checks.ranked, "unranked": checks.unranked,
    }


def _loaded(data: dict) -> Checks:
    units = Unit.objects.in_bulk([row[0] for row in data["agreement"]]
                                 + [pk for _s, _f, pks in data["flips"] for pk in pks])
    return Checks([TownAgreement(units[pk], tau_b, pairs, overlap, flagged, below)
                   for pk, tau_b, pairs, overlap, flagged, below in data["agreement"]],
                  [Flip(source, factor, [units[pk] for pk in pks]) for source, factor, pks in data["flips"]],
                  data["coverage"], data["ranked"], data["unranked"])


def round_checks(round_: Round) -> Checks:
    """The round's checks. A draft's are computed on each call (its data may still change); a published round's
    are computed once - on the first read, also in a database older than this - and kept in RoundChecks, as long
    as the published weeks its agreement pooled are the same."""
    window = _window(round_)
    if round_.status not in lifecycle.PUBLISHED_ONCE:
        return _compute(round_, window)
    ids = [r.pk for r in window]
    kept = RoundChecks.objects.filter(round=round_).first()
    if kept is not None and kept.revision == round_.revision and kept.window == ids:
        return _loaded(kept.data)
    checks = _compute(round_, window)
    values = {"revision": round_.revision, "window": ids, "data": _stored(checks), "computed_at": timezone.now()}
    try:
        with transaction.atomic():
            RoundChecks.objects.update_or_create(round=round_, defaults=values)
    except IntegrityError:  # another request kept the same checks at the same moment
        pass
    return checks
