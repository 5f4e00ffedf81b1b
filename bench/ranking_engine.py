"""Benchmark: the ranking engine (CONTRACTS §3) on the whole country, against a vectorised pandas version.

Run: .venv/bin/python bench/ranking_engine.py [VILLAGES] [TOWNSHIPS] [WEEKS]
(defaults 620000, 38000, 6). Generates township sizes 5–40, a `town` source ranking every village within its
township (with some tied ranks), `inspection` scores for ~30% of villages (one decimal, so some ties) and `drone`
scores for ~20% (whole numbers, many ties). Prints seconds (best of 3), peak memory and ratios, and checks that
engine and pandas give the same composites, positions and tiers. Then times agreement() over WEEKS weeks.
Not a test: pandas is a dev dependency and is imported only here.
"""

import itertools
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from dudao.ranking import engine

GREEN = RED = 30


def township_sizes(rng: np.random.Generator, villages: int, townships: int, low: int = 5, high: int = 40):
    """Township sizes in low..high (skewed: many small townships, a few large) summing exactly to villages."""
    sizes = np.clip(np.rint(rng.lognormal(np.log(villages / townships) - 0.1, 0.45, townships)), low, high)
    sizes = sizes.astype(np.int64)
    diff = villages - int(sizes.sum())
    while diff:  # nudge random townships (within bounds) until the total is exact
        step = 1 if diff > 0 else -1
        pick = rng.choice(townships, size=min(abs(diff), townships), replace=False)
        pick = pick[(sizes[pick] + step >= low) & (sizes[pick] + step <= high)]
        sizes[pick] += step
        diff = villages - int(sizes.sum())
    return sizes


def week_sources(rng: np.random.Generator, township: np.ndarray, quality: np.ndarray) -> list[engine.Source]:
    n = len(township)
    # town: every village ranked within its township by a noisy view of its quality; ~5% share the rank above
    noisy = quality + rng.normal(0, 8, n)
    order = np.lexsort((-noisy, township))
    first = np.flatnonzero(np.r_[True, township[order][1:] != township[order][:-1]])
    start = np.repeat(first, np.diff(np.r_[first, n]))
    rank = np.empty(n)
    rank[order] = np.arange(n) - start + 1
    tie = (rank > 1) & (rng.random(n) < 0.05)
    rank[tie] -= 1  # "1, 1, 3"-style ties (competition ranking)
    town = engine.Source("town", np.arange(n, dtype=np.int64), rank, "rank", scope=township)
    inspected = np.flatnonzero(rng.random(n) < 0.30)
    score = np.round(np.clip(quality[inspected] + rng.normal(0, 6, len(inspected)), 0, 100), 1)
    inspection = engine.Source("inspection", inspected, score, "score")
    flown = np.flatnonzero(rng.random(n) < 0.20)
    drone_score = np.round(np.clip(quality[flown] + rng.normal(0, 10, len(flown)), 0, 100))
    drone = engine.Source("drone", flown, drone_score, "score", weight=1.0)
    return [town, inspection, drone]


def pandas_compute(n: int, sources: list[engine.Source], green: int, red: int):
    """The same method with pandas: groupby rank(method="average"), reindex, rank(method="min"/"max")."""
    numerator = pd.Series(0.0, index=pd.RangeIndex(n))
    denominator = pd.Series(0.0, index=pd.RangeIndex(n))
    for s in sources:
        scope = s.scope if s.scope is not None else np.zeros(len(s.village), dtype=np.int64)
        frame = pd.DataFrame({"scope": scope, "value": s.value}, index=s.village)
        grouped = frame.groupby("scope", sort=False)["value"]
        r = grouped.rank(method="average", ascending=(s.kind == "rank"))
        size = grouped.transform("size").astype(np.float64)
        p = ((size - r + 0.5) / size).reindex(numerator.index)
        covered = p.notna()
        numerator = numerator + (s.weight * p).where(covered, 0.0)
        denominator = denominator + covered * s.weight
    composite = (100.0 * numerator / denominator.where(denominator > 0)).round(engine.DECIMALS)
    higher = composite.rank(method="min", ascending=False) - 1
    lower_or_tied = composite.rank(method="max", ascending=True)
    tier = np.select(
        [composite.isna(), higher < green, lower_or_tied <= red], [engine.NOT_RANKED, engine.GREEN, engine.RED],
        engine.YELLOW,
    ).astype(np.int8)
    position = (higher + 1).fillna(0).astype(np.int64).to_numpy()
    return composite.to_numpy(), position, tier


def best_of(func, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_numpy(func) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def brute_tau(own: np.ndarray, other: np.ndarray) -> tuple[int, int, int, int]:
    c = d = tx = ty = 0
    for i, j in itertools.combinations(range(len(own)), 2):
        sx, sy = np.sign(own[i] - own[j]), np.sign(other[i] - other[j])
        if sx and sy:
            c, d = c + (sx == sy), d + (sx != sy)
        elif sy:
            tx += 1
        elif sx:
            ty += 1
    return c, d, tx, ty


def main() -> None:
    villages = int(sys.argv[1]) if len(sys.argv) > 1 else 620_000
    townships = int(sys.argv[2]) if len(sys.argv) > 2 else 38_000
    weeks = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    rng = np.random.default_rng(20261128)
    sizes = township_sizes(rng, villages, townships)
    township = np.repeat(np.arange(townships, dtype=np.int64) * 7 + 1000, sizes)  # arbitrary scope ids
    quality = np.clip(rng.normal(70, 12, villages), 0, 100)
    sources = week_sources(rng, township, quality)
    print(f"{villages} villages in {townships} townships (sizes {sizes.min()}–{sizes.max()}, "
          f"mean {sizes.mean():.1f}); entries: " + ", ".join(f"{s.name} {len(s.village)}" for s in sources))

    rss_before = maxrss_mib()
    t_engine, result = best_of(lambda: engine.compute(villages, sources, GREEN, RED))
    rss_engine = maxrss_mib()
    peak_engine = peak_numpy(lambda: engine.compute(villages, sources, GREEN, RED))
    t_pandas, (composite, position, tier) = best_of(lambda: pandas_compute(villages, sources, GREEN, RED))
    rss_pandas = maxrss_mib()
    peak_pandas = peak_numpy(lambda: pandas_compute(villages, sources, GREEN, RED))

    assert isinstance(result, engine.Result)
    assert np.array_equal(np.isnan(result.composite), np.isnan(composite))
    assert np.allclose(result.composite, composite, rtol=0, atol=1e-9, equal_nan=True)
    assert np.array_equal(result.position, position)
    assert np.array_equal(result.tier, tier)
    counts = np.bincount(result.tier, minlength=4)
    print(f"results equal; ranked {int(result.ranked().sum())}, green {counts[1]}, yellow {counts[2]}, "
          f"red {counts[3]}, distinct composites {len(np.unique(result.composite[result.ranked()]))}")
    print(f"engine.compute   best of 3 {t_engine:7.3f} s   numpy peak (tracemalloc) {peak_engine:7.1f} MiB")
    print(f"pandas           best of 3 {t_pandas:7.3f} s   numpy peak (tracemalloc) {peak_pandas:7.1f} MiB")
    print(f"ratio pandas/engine {t_pandas / t_engine:.2f}x time, {peak_pandas / peak_engine:.2f}x peak memory")
    print(f"maxrss: start {rss_before:.0f} MiB, after engine {rss_engine:.0f} MiB, after pandas {rss_pandas:.0f} MiB")

    t_sens, _ = best_of(lambda: engine.sensitivity(villages, sources, GREEN, RED))
    print(f"engine.sensitivity (3 sources × 2 factors) best of 3 {t_sens:7.3f} s")

    # agreement(): per week, the villages covered by town and by an independent source
    week_data = []
    full_data = []
    for w in range(weeks):
        week = sources if w == 0 else week_sources(rng, township, quality)
        res = engine.compute(villages, week, GREEN, RED)
        own = res.percentile["town"]
        p_i, p_d = res.percentile["inspection"], res.percentile["drone"]
        w_i, w_d = week[1].weight, week[2].weight
        weight = np.where(np.isnan(p_i), 0, w_i) + np.where(np.isnan(p_d), 0, w_d)
        independent = (np.nan_to_num(p_i) * w_i + np.nan_to_num(p_d) * w_d) / np.where(weight > 0, weight, 1)
        both = ~np.isnan(own) & (weight > 0)
        week_data.append((township[both], own[both], independent[both]))
        full_data.append((township, own, np.round(quality + rng.normal(0, 8, villages))))
    entries = sum(len(s) for s, _, _ in week_data)
    t_agree, agree = best_of(lambda: engine.agreement(week_data))
    peak_agree = peak_numpy(lambda: engine.agreement(week_data))
    assert isinstance(agree, engine.Agreement)
    print(f"engine.agreement {weeks} weeks, {entries} entries, {len(agree.scope)} scopes: best of 3 {t_agree:7.3f} s"
          f"   numpy peak {peak_agree:.1f} MiB; defined {int((~np.isnan(agree.tau_b)).sum())}, "
          f"flagged {int(agree.flagged.sum())}, median tau {np.nanmedian(agree.tau_b):.3f}")
    saved, engine._PAIR_LIMIT = engine._PAIR_LIMIT, 0
    try:
        t_sorting, agree_sorting = best_of(lambda: engine.agreement(week_data))
    finally:
        engine._PAIR_LIMIT = saved
    assert np.array_equal(agree_sorting.pairs, agree.pairs) and np.array_equal(agree_sorting.flagged, agree.flagged)
    assert np.allclose(agree_sorting.tau_b, agree.tau_b, rtol=0, atol=1e-12, equal_nan=True)
    print(f"engine.agreement, all groups through the O(m log m) sorting path (as for groups > {saved}): "
          f"best of 3 {t_sorting:7.3f} s (same result)")
    entries_full = sum(len(s) for s, _, _ in full_data)
    t_full, agree_full = best_of(lambda: engine.agreement(full_data))
    print(f"engine.agreement stress: every village every week ({entries_full} entries): best of 3 {t_full:7.3f} s")

    # spot-check 200 scopes against a brute-force O(m²) count
    check = rng.choice(len(agree.scope), size=min(200, len(agree.scope)), replace=False)
    for idx in check:
        sid = agree.scope[idx]
        totals = np.zeros(4, dtype=np.int64)
        for s, own, ind in week_data:
            mask = s == sid
            totals += brute_tau(own[mask], ind[mask])
        c, d, tx, ty = (int(v) for v in totals)
        denom = ((c + d + tx) * (c + d + ty)) ** 0.5
        expected = (c - d) / denom if denom else float("nan")
        assert agree.pairs[idx] == c + d + tx + ty
        assert np.isclose(agree.tau_b[idx], expected, equal_nan=True), (sid, agree.tau_b[idx], expected)
    print(f"agreement spot-check against brute force: {len(check)} scopes equal")
    print(f"final maxrss {maxrss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
