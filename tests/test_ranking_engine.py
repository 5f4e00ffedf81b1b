"""The pure ranking engine (CONTRACTS §3 "The default method"): hand-computed examples, a brute-force
reference, and properties. No database."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dudao.ranking import engine
from dudao.ranking.engine import Source, agreement, compute, red_streaks, sensitivity

GREEN, YELLOW, RED = engine.GREEN, engine.YELLOW, engine.RED


def ints(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def floats(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def score_source(values, name="inspection", weight=1.0) -> Source:
    """A one-scope score source covering villages 0..len(values)-1."""
    return Source(name, ints(range(len(values))), floats(values), "score", weight=weight)


# ------------------------------------------------------------------------------------------ brute-force reference


def reference(n, sources, green, red):
    """The method of CONTRACTS §3 written out pair by pair, in plain Python (same float operations, same order)."""
    percentile = {}
    frac = {}
    for s in sources:
        p = [math.nan] * n
        r_out = [math.nan] * n
        scope = list(s.scope) if s.scope is not None else [0] * len(s.village)
        entries = list(zip(s.village.tolist(), s.value.tolist(), scope, strict=True))
        for village, value, sc in entries:
            same = [e for e in entries if e[2] == sc]
            if s.kind == "rank":
                better = sum(1 for e in same if e[1] < value)
            else:
                better = sum(1 for e in same if e[1] > value)
            tied = sum(1 for e in same if e[1] == value)
            r = better + (tied + 1) / 2  # the mean of positions better+1 .. better+tied
            r_out[village] = r
            p[village] = (len(same) - r + 0.5) / len(same)
        percentile[s.name] = p
        frac[s.name] = r_out
    composite = [math.nan] * n
    for v in range(n):
        num = den = 0.0
        for s in sources:
            if not math.isnan(percentile[s.name][v]):
                num += s.weight * percentile[s.name][v]
                den += s.weight
        if den > 0:
            composite[v] = float(np.round(100.0 * num / den, 6))
    ranked = [v for v in range(n) if not math.isnan(composite[v])]
    position = [0] * n
    tier = [0] * n
    for v in ranked:
        higher = sum(1 for u in ranked if composite[u] > composite[v])
        lower = sum(1 for u in ranked if composite[u] < composite[v])
        tied = sum(1 for u in ranked if composite[u] == composite[v])
        position[v] = 1 + higher
        if higher < green:
            tier[v] = GREEN
        elif lower + tied <= red:
            tier[v] = RED
        else:
            tier[v] = YELLOW
    return frac, percentile, composite, position, tier


def assert_same_result(a, b):
    assert a.frac_rank.keys() == b.frac_rank.keys()
    for name in a.frac_rank:
        np.testing.assert_array_equal(a.frac_rank[name], b.frac_rank[name])
        np.testing.assert_array_equal(a.percentile[name], b.percentile[name])
    np.testing.assert_array_equal(a.composite, b.composite)
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.tier, b.tier)


# --------------------------------------------------------------------------------------------------- strategies


@st.composite
def weeks_sources(draw, max_n=20, max_sources=3, min_sources=1):
    n = draw(st.integers(1, max_n))
    sources = []
    for i in range(draw(st.integers(min_sources, max_sources))):
        covered = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
        size = len(covered)
        kind = draw(st.sampled_from(["rank", "score"]))
        if kind == "rank":
            values = draw(st.lists(st.integers(1, 6), min_size=size, max_size=size))
        else:
            values = draw(st.lists(
                st.one_of(st.sampled_from([-2.0, 0.0, 1.5, 7.0]), st.floats(-1e6, 1e6, allow_nan=False)),
                min_size=size, max_size=size,
            ))
        scope = None
        if draw(st.booleans()):
            scope = ints(draw(st.lists(st.integers(0, 3), min_size=size, max_size=size)))
        weight = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]))
        sources.append(Source(f"s{i}", ints(covered), floats(values), kind, scope, weight))
    green = draw(st.integers(0, n + 1))
    red = draw(st.integers(0, n + 1))
    return n, sources, green, red


# ----------------------------------------------------------------------------------------- fractional rank, etc.


def test_tied_ranks_share_the_mean_position():
    result = compute(3, [Source("town", ints([0, 1, 2]), floats([1, 1, 3]), "rank")], green=0, red=0)
    np.testing.assert_array_equal(result.frac_rank["town"], [1.5, 1.5, 3.0])
    # p = (n - r + 0.5) / n with n = 3
    np.testing.assert_array_equal(result.percentile["town"], [(3 - 1.5 + 0.5) / 3, (3 - 1.5 + 0.5) / 3, 0.5 / 3])


def test_scores_rank_descending_and_ties_share():
    result = compute(4, [score_source([10, 30, 30, 20])], green=0, red=0)
    np.testing.assert_array_equal(result.frac_rank["inspection"], [4.0, 1.5, 1.5, 3.0])


def test_hand_computed_week():
    """Five villages; the town source ranks within two townships, inspection and drone cover some villages.

    town (township 7: v0, v1; township 9: v2, v3), ranks within township:
        v0 rank 1 -> r 1   -> p = (2 - 1 + 0.5) / 2   = 0.75
        v1 rank 2 -> r 2   -> p = (2 - 2 + 0.5) / 2   = 0.25
        v2 rank 1 -> r 1.5 -> p = (2 - 1.5 + 0.5) / 2 = 0.5    (tied with v3)
        v3 rank 1 -> r 1.5 -> p = 0.5
    inspection (one scope, scores) v1 90, v2 70, v3 90:
        v1, v3 tie for positions 1, 2 -> r 1.5 -> p = (3 - 1.5 + 0.5) / 3 = 2/3
        v2 -> r 3 -> p = 0.5 / 3 = 1/6
    drone (one scope, scores) v0 5, v2 9:
        v2 -> r 1 -> p = 0.75;  v0 -> r 2 -> p = 0.25
    v4 is covered by no source: not ranked.
    Composites C = 100 × mean of the covering sources' p (weights 1):
        v0 = 100 (0.75 + 0.25) / 2         = 50
        v1 = 100 (0.25 + 2/3) / 2          = 45.833333
        v2 = 100 (0.5 + 1/6 + 0.75) / 3    = 47.222222
        v3 = 100 (0.5 + 2/3) / 2           = 58.333333
    Positions: v3 1, v0 2, v2 3, v1 4. With G = R = 1: v3 green; v1 red (0 lower + 1 tied <= 1); v0, v2 yellow.
    """
    sources = [
        Source("town", ints([0, 1, 2, 3]), floats([1, 2, 1, 1]), "rank", scope=ints([7, 7, 9, 9])),
        Source("inspection", ints([1, 2, 3]), floats([90, 70, 90]), "score"),
        Source("drone", ints([0, 2]), floats([5, 9]), "score"),
    ]
    result = compute(5, sources, green=1, red=1)
    nan = math.nan
    np.testing.assert_array_equal(result.frac_rank["town"], [1, 2, 1.5, 1.5, nan])
    np.testing.assert_array_equal(result.frac_rank["inspection"], [nan, 1.5, 3, 1.5, nan])
    np.testing.assert_array_equal(result.frac_rank["drone"], [2, nan, 1, nan, nan])
    np.testing.assert_allclose(result.percentile["town"], [0.75, 0.25, 0.5, 0.5, nan])
    np.testing.assert_allclose(result.percentile["inspection"], [nan, 2 / 3, 1 / 6, 2 / 3, nan])
    np.testing.assert_allclose(result.percentile["drone"], [0.25, nan, 0.75, nan, nan])
    np.testing.assert_array_equal(result.composite, [50.0, 45.833333, 47.222222, 58.333333, nan])
    np.testing.assert_array_equal(result.position, [2, 4, 3, 1, 0])
    np.testing.assert_array_equal(result.tier, [YELLOW, RED, YELLOW, GREEN, 0])
    np.testing.assert_array_equal(result.ranked(), [True, True, True, True, False])
    assert result.composite.dtype == np.float64
    assert result.position.dtype == np.int64
    assert result.tier.dtype == np.int8


def test_composite_is_rounded_to_six_decimals():
    result = compute(3, [score_source([3, 2, 1])], green=0, red=0)  # p = 5/6, 1/2, 1/6
    np.testing.assert_array_equal(result.composite, [83.333333, 50.0, 16.666667])


def test_weights_renormalise_over_the_covering_sources():
    """v0: town p 0.75, drone p 0.25 with drone weight 3 -> 100 (0.75 + 3 × 0.25) / (1 + 3) = 37.5.
    v1: town p 0.25 only -> 25 whatever the drone's weight. v2: drone p 0.75 only -> 75."""
    town = Source("town", ints([0, 1]), floats([1, 2]), "rank")
    drone = Source("drone", ints([0, 2]), floats([1, 2]), "score", weight=3.0)
    result = compute(3, [town, drone], green=0, red=0)
    np.testing.assert_array_equal(result.composite, [37.5, 25.0, 75.0])
    scaled = compute(3, [Source("town", town.village, town.value, "rank", weight=2.0),
                         Source("drone", drone.village, drone.value, "score", weight=6.0)], green=0, red=0)
    np.testing.assert_array_equal(scaled.composite, result.composite)


def test_weight_zero_source_is_reported_but_does_not_count():
    """A source of weight 0 keeps its percentiles but drops out of both sums: v2, covered only by it, is not
    ranked; v0's composite is its town percentile alone."""
    town = Source("town", ints([0, 1]), floats([1, 2]), "rank")
    drone = Source("drone", ints([0, 2]), floats([1, 2]), "score", weight=0.0)
    result = compute(3, [town, drone], green=1, red=1)
    np.testing.assert_array_equal(result.percentile["drone"], [0.25, math.nan, 0.75])
    np.testing.assert_array_equal(result.composite, [75.0, 25.0, math.nan])
    np.testing.assert_array_equal(result.tier, [GREEN, RED, 0])
    assert [len(v) for _, _, v in sensitivity(3, [town, drone], green=1, red=1)] == [0, 0, 0, 0]


def test_unranked_villages_do_not_count():
    """v1 and v3 have no source; G = R = 1 among the two ranked villages."""
    result = compute(4, [Source("drone", ints([0, 2]), floats([5, 9]), "score")], green=1, red=1)
    np.testing.assert_array_equal(result.composite, [25.0, math.nan, 75.0, math.nan])
    np.testing.assert_array_equal(result.position, [2, 0, 1, 0])
    np.testing.assert_array_equal(result.tier, [RED, 0, GREEN, 0])


def test_no_sources_and_no_villages():
    empty = compute(0, [])
    assert empty.composite.shape == (0,) and empty.position.shape == (0,) and empty.tier.shape == (0,)
    none = compute(3, [])
    assert np.isnan(none.composite).all() and not none.position.any() and not none.tier.any()
    uncovered = compute(2, [Source("drone", ints([]), floats([]), "score")])
    assert np.isnan(uncovered.frac_rank["drone"]).all() and not uncovered.ranked().any()


# -------------------------------------------------------------------------------------------------------- tiers


def test_green_boundary_tie_all_green():
    """G = 2 and three villages tied for second: each has 1 < 2 villages above it, so all four are green."""
    result = compute(6, [score_source([10, 8, 8, 8, 5, 1])], green=2, red=1)
    np.testing.assert_array_equal(result.position, [1, 2, 2, 2, 5, 6])
    np.testing.assert_array_equal(result.tier, [GREEN, GREEN, GREEN, GREEN, YELLOW, RED])


def test_red_boundary_tie_resolved_in_favour():
    """R = 2: the lowest village is red (0 lower + 1 tied = 1 <= 2); the two tied above it have 1 lower + 2 tied
    = 3 > 2, so they are yellow, not red: only one red village."""
    result = compute(6, [score_source([10, 9, 8, 3, 3, 1])], green=1, red=2)
    np.testing.assert_array_equal(result.tier, [GREEN, YELLOW, YELLOW, YELLOW, YELLOW, RED])
    tied_bottom = compute(4, [score_source([10, 9, 1, 1])], green=1, red=2)  # 0 lower + 2 tied = 2 <= 2
    np.testing.assert_array_equal(tied_bottom.tier, [GREEN, YELLOW, RED, RED])


def test_green_is_checked_before_red():
    """Three villages, G = R = 2: the middle one qualifies for both and is green."""
    result = compute(3, [score_source([3, 2, 1])], green=2, red=2)
    np.testing.assert_array_equal(result.tier, [GREEN, GREEN, RED])


def test_all_tied():
    result = compute(4, [score_source([5, 5, 5, 5])], green=0, red=3)
    np.testing.assert_array_equal(result.position, [1, 1, 1, 1])
    np.testing.assert_array_equal(result.tier, [YELLOW] * 4)  # 0 lower + 4 tied > 3
    assert (compute(4, [score_source([5, 5, 5, 5])], green=1, red=0).tier == GREEN).all()


def test_distinct_composites_give_exactly_g_green_and_r_red():
    result = compute(100, [score_source(np.arange(100.0))], green=30, red=30)
    counts = np.bincount(result.tier, minlength=4)
    assert counts[GREEN] == 30 and counts[RED] == 30 and counts[YELLOW] == 40
    assert set(np.flatnonzero(result.tier == GREEN)) == set(range(70, 100))


# --------------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("source", "message"), [
    (Source("town", ints([0, 1]), floats([1]), "rank"), "2 villages but 1 values"),
    (Source("town", ints([0, 5]), floats([1, 2]), "rank"), "outside 0..2"),
    (Source("town", ints([-1, 0]), floats([1, 2]), "rank"), "outside 0..2"),
    (Source("town", ints([1, 1]), floats([1, 2]), "rank"), "village 1 appears more than once"),
    (Source("town", ints([0, 1]), floats([1, math.nan]), "rank"), "not a finite number"),
    (Source("drone", ints([0, 1]), floats([1, math.inf]), "score"), "not a finite number"),
    (Source("town", ints([0, 1]), floats([0, 1]), "rank"), "rank 0 is below 1"),
    (Source("town", ints([0, 1]), floats([1, 2]), "grade"), "kind must be"),
    (Source("town", ints([0, 1]), floats([1, 2]), "rank", scope=ints([1])), "2 villages but 1 scopes"),
    (Source("town", floats([0, 1]), floats([1, 2]), "rank"), "must hold integers"),
    (Source("town", ints([0, 1]), floats([1, 2]), "rank", weight=-1.0), "weight must be a finite number >= 0"),
    (Source("town", ints([0, 1]), floats([1, 2]), "rank", weight=math.nan), "weight must be a finite number >= 0"),
    (Source("town", ints([[0, 1]]), floats([1, 2]), "rank"), "one-dimensional"),
])
def test_invalid_sources_raise(source, message):
    with pytest.raises(ValueError, match=message):
        compute(3, [source])


def test_invalid_arguments_raise():
    town = Source("town", ints([0]), floats([1]), "rank")
    with pytest.raises(ValueError, match="source names must be distinct"):
        compute(3, [town, town])
    with pytest.raises(ValueError, match="n must be"):
        compute(-1, [])
    with pytest.raises(ValueError, match="green must be"):
        compute(3, [town], green=-1)
    with pytest.raises(ValueError, match="factor"):
        sensitivity(3, [town], factors=(0.0,))


# -------------------------------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(weeks_sources())
def test_matches_brute_force_reference(case):
    """Fractional ranks, percentiles, composites, positions and tiers equal a pair-by-pair reference exactly
    (this is also the tie rule: green iff fewer than G above; else red iff lower + tied <= R)."""
    n, sources, green, red = case
    result = compute(n, sources, green, red)
    frac, percentile, composite, position, tier = reference(n, sources, green, red)
    for s in sources:
        np.testing.assert_array_equal(result.frac_rank[s.name], frac[s.name])
        np.testing.assert_array_equal(result.percentile[s.name], percentile[s.name])
    np.testing.assert_array_equal(result.composite, composite)
    np.testing.assert_array_equal(result.position, position)
    np.testing.assert_array_equal(result.tier, tier)
    ranked = result.ranked()
    assert (result.composite[ranked] > 0).all() and (result.composite[ranked] < 100).all()
    np.testing.assert_array_equal(ranked, ~np.isnan(result.composite))


@settings(max_examples=200, deadline=None)
@given(weeks_sources(), st.randoms(use_true_random=False))
def test_relabelling_villages_permutes_the_result(case, rnd):
    n, sources, green, red = case
    relabel = np.array(rnd.sample(range(n), n), dtype=np.int64)  # old village v becomes relabel[v]
    moved = []
    for s in sources:
        shuffle = np.array(rnd.sample(range(len(s.village)), len(s.village)), dtype=np.int64)
        scope = s.scope[shuffle] if s.scope is not None else None
        moved.append(Source(s.name, relabel[s.village[shuffle]], s.value[shuffle], s.kind, scope, s.weight))
    before = compute(n, sources, green, red)
    after = compute(n, moved, green, red)
    for name in before.frac_rank:
        np.testing.assert_array_equal(after.frac_rank[name][relabel], before.frac_rank[name])
        np.testing.assert_array_equal(after.percentile[name][relabel], before.percentile[name])
    np.testing.assert_array_equal(after.composite[relabel], before.composite)
    np.testing.assert_array_equal(after.position[relabel], before.position)
    np.testing.assert_array_equal(after.tier[relabel], before.tier)


@settings(max_examples=300, deadline=None)
@given(weeks_sources(), st.data())
def test_improving_a_village_never_lowers_its_composite(case, data):
    n, sources, green, red = case
    candidates = [i for i, s in enumerate(sources) if len(s.village)]
    assume(candidates)
    which = data.draw(st.sampled_from(candidates))
    source = sources[which]
    entry = data.draw(st.integers(0, len(source.village) - 1))
    value = source.value.copy()
    if source.kind == "rank":
        value[entry] = data.draw(st.integers(1, int(value[entry])))
    else:
        value[entry] = value[entry] + data.draw(st.sampled_from([0.0, 0.5, 1.0, 10.0, 1e6]))
    improved = list(sources)
    improved[which] = Source(source.name, source.village, value, source.kind, source.scope, source.weight)
    village = source.village[entry]
    before = compute(n, sources, green, red)
    after = compute(n, improved, green, red)
    if np.isnan(before.composite[village]):  # covered by weight-0 sources only: stays not ranked
        assert np.isnan(after.composite[village]) and after.position[village] == 0
    else:
        assert after.composite[village] >= before.composite[village]
        assert after.position[village] <= before.position[village]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.data())
def test_distinct_composites_exact_tier_sizes(m, data):
    """With all composites distinct and at least G + R ranked villages: exactly G green and R red."""
    scores = data.draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=m, max_size=m, unique=True))
    town_ranks = data.draw(st.permutations(range(1, m + 1)))
    sources = [score_source(scores), Source("town", ints(range(m)), floats(town_ranks), "rank", weight=1.5)]
    result = compute(m, sources, green=0, red=0)
    assume(len(np.unique(result.composite)) == m)
    green = data.draw(st.integers(0, m))
    red = data.draw(st.integers(0, m - green))
    result = compute(m, sources, green=green, red=red)
    counts = np.bincount(result.tier, minlength=4)
    assert counts[GREEN] == green and counts[RED] == red and counts[YELLOW] == m - green - red
    np.testing.assert_array_equal(np.sort(result.position), np.arange(1, m + 1))


@settings(max_examples=200, deadline=None)
@given(weeks_sources(min_sources=2), st.data())
def test_dropping_a_source_renormalises(case, data):
    n, sources, green, red = case
    drop = data.draw(st.integers(0, len(sources) - 1))
    rest = [s for i, s in enumerate(sources) if i != drop]
    full = compute(n, sources, green, red)
    dropped = compute(n, rest, green, red)
    # The remaining sources' percentiles are unchanged; the composite is their weighted mean alone.
    numerator = np.zeros(n)
    denominator = np.zeros(n)
    for s in rest:
        p = full.percentile[s.name]
        np.testing.assert_array_equal(dropped.percentile[s.name], p)
        covered = ~np.isnan(p)
        numerator[covered] += s.weight * p[covered]
        denominator[covered] += s.weight
    expected = np.full(n, np.nan)
    covered = denominator > 0
    expected[covered] = np.round(100.0 * numerator[covered] / denominator[covered], 6)
    np.testing.assert_array_equal(dropped.composite, expected)
    only_dropped = ~covered & full.ranked()
    assert not dropped.ranked()[only_dropped].any()
    assert (dropped.position[only_dropped] == 0).all() and (dropped.tier[only_dropped] == 0).all()
    assert_same_result(dropped, compute(n, rest, green, red))


# ------------------------------------------------------------------------------------------- streak, sensitivity


def test_red_streaks():
    previous = ints([0, 1, 3, 2, 0])
    is_red = np.array([True, True, True, False, False])
    np.testing.assert_array_equal(red_streaks(previous, is_red), [1, 2, 4, 0, 0])
    assert red_streaks(ints([]), np.array([], dtype=bool)).shape == (0,)
    with pytest.raises(ValueError, match="previous has 2 villages but is_red has 1"):
        red_streaks(ints([0, 1]), np.array([True]))
    with pytest.raises(ValueError, match=">= 0"):
        red_streaks(ints([-1]), np.array([True]))
    with pytest.raises(ValueError, match="boolean"):
        red_streaks(ints([0]), ints([1]))


@given(st.lists(st.lists(st.booleans(), min_size=4, max_size=4), max_size=8))
def test_red_streak_counts_the_trailing_run(rounds):
    streak = np.zeros(4, dtype=np.int64)
    for is_red in rounds:
        streak = red_streaks(streak, np.array(is_red))
    for v in range(4):
        trailing = 0
        for is_red in reversed(rounds):
            if not is_red[v]:
                break
            trailing += 1
        assert streak[v] == trailing


def sensitivity_case():
    """Five villages, G = R = 1.
    town (one township) ranks a..e = 1..5 -> p = 0.9, 0.7, 0.5, 0.3, 0.1
    inspection scores b 10, a 8, c 5 -> p b 5/6, a 1/2, c 1/6
    weights 1/1: a (0.9 + 0.5)/2 = 0.700, b (0.7 + 5/6)/2 = 0.767, c 0.333, d 0.3, e 0.1 -> b green, e red
    inspection × 0.5: a (0.9 + 0.25)/1.5 = 0.767, b (0.7 + 5/12)/1.5 = 0.744 -> a green, b yellow
    inspection × 2: a 0.633, b 0.789, c 0.278, d 0.3, e 0.1 -> same tiers
    town × 0.5: a 0.633, b 0.789, c 0.278 -> same tiers; town × 2: a 0.767, b 0.744 -> a and b flip
    """
    town = Source("town", ints([0, 1, 2, 3, 4]), floats([1, 2, 3, 4, 5]), "rank", scope=ints([1, 1, 1, 1, 1]))
    inspection = Source("inspection", ints([1, 0, 2]), floats([10, 8, 5]), "score")
    return [town, inspection]


def test_sensitivity_names_the_villages_that_flip():
    sources = sensitivity_case()
    base = compute(5, sources, green=1, red=1)
    np.testing.assert_array_equal(base.tier, [YELLOW, GREEN, YELLOW, YELLOW, RED])
    out = sensitivity(5, sources, green=1, red=1)
    assert [(name, factor) for name, factor, _ in out] == [
        ("town", 0.5), ("town", 2.0), ("inspection", 0.5), ("inspection", 2.0)]
    changed = {(name, factor): list(villages) for name, factor, villages in out}
    assert changed == {("town", 0.5): [], ("town", 2.0): [0, 1], ("inspection", 0.5): [0, 1],
                       ("inspection", 2.0): []}
    halved = compute(5, [sources[0], Source("inspection", sources[1].village, sources[1].value, "score",
                                             weight=0.5)], green=1, red=1)
    np.testing.assert_array_equal(halved.tier, [GREEN, YELLOW, YELLOW, YELLOW, RED])
    assert all(len(v) == 0 for _, _, v in sensitivity(5, sources, green=1, red=1, factors=(1.0,)))


# ---------------------------------------------------------------------------------------------------- agreement


def brute_counts(own, other):
    """C, D, T_x, T_y over all pairs (pairs tied on both sides excluded)."""
    c = d = tx = ty = 0
    for i, j in itertools.combinations(range(len(own)), 2):
        sx = (own[i] > own[j]) - (own[i] < own[j])
        sy = (other[i] > other[j]) - (other[i] < other[j])
        if sx and sy:
            c += sx == sy
            d += sx != sy
        elif sy:
            tx += 1
        elif sx:
            ty += 1
    return c, d, tx, ty


def brute_agreement(weeks):
    totals = {}
    overlap = {}
    for scope, own, other in weeks:
        for sid in np.unique(scope):
            mask = scope == sid
            counts = brute_counts(own[mask].tolist(), other[mask].tolist())
            totals[int(sid)] = [a + b for a, b in zip(totals.get(int(sid), [0, 0, 0, 0]), counts, strict=True)]
            overlap[int(sid)] = overlap.get(int(sid), 0) + int(mask.sum())
    out = {}
    for sid, (c, d, tx, ty) in totals.items():
        denominator = math.sqrt((c + d + tx) * (c + d + ty))
        out[sid] = ((c - d) / denominator if denominator else math.nan, c + d + tx + ty, overlap[sid])
    return out


def week(scope, own, other):
    return ints(scope), floats(own), floats(other)


def test_perfect_and_reversed_agreement():
    result = agreement([week([5] * 4 + [6] * 4, [1, 2, 3, 4, 1, 2, 3, 4], [10, 20, 30, 40, 40, 30, 20, 10])])
    np.testing.assert_array_equal(result.scope, [5, 6])
    np.testing.assert_array_equal(result.tau_b, [1.0, -1.0])
    np.testing.assert_array_equal(result.pairs, [6, 6])
    np.testing.assert_array_equal(result.overlap, [4, 4])
    assert not result.flagged.any()


def test_hand_computed_tau_b_with_ties():
    """own = [1, 2, 2, 3, 3], independent = [1, 3, 2, 2, 2]. Pairs:
    (0,1) C  (0,2) C  (0,3) C  (0,4) C  (1,2) tied in own only (T_x)  (1,3) D  (1,4) D
    (2,3) tied in independent only (T_y)  (2,4) T_y  (3,4) tied in both: excluded.
    C = 4, D = 2, T_x = 1, T_y = 2: tau_b = (4 - 2) / sqrt((4 + 2 + 1)(4 + 2 + 2)) = 2 / sqrt(56); 9 pairs."""
    result = agreement([week([1] * 5, [1, 2, 2, 3, 3], [1, 3, 2, 2, 2])])
    assert result.tau_b[0] == pytest.approx(2 / math.sqrt(56), abs=1e-15)
    assert result.pairs[0] == 9 and result.overlap[0] == 5
    # the first four entries alone: C = 3, D = 1, T_x = 1, T_y = 1 -> 2 / 5
    assert agreement([week([1] * 4, [1, 2, 2, 3], [1, 3, 2, 2])]).tau_b[0] == pytest.approx(0.4, abs=1e-15)


def test_agreement_pools_weeks_without_cross_week_pairs():
    """Week 1: three concordant pairs; week 2: one discordant pair. Pooled: (3 - 1) / sqrt(4 × 4) = 0.5 over 4
    pairs (cross-week pairs would make 10); the mean of the weekly taus would be 0."""
    weeks = [week([3, 3, 3], [1, 2, 3], [1, 2, 3]), week([3, 3], [1, 2], [2, 1])]
    result = agreement(weeks)
    assert result.tau_b[0] == 0.5 and result.pairs[0] == 4 and result.overlap[0] == 5


def test_agreement_undefined_tau():
    """A lone village each week gives no pair; a constant own value gives a zero denominator: NaN, not flagged."""
    result = agreement([week([1, 2, 2, 2], [0.5, 0.3, 0.3, 0.3], [1, 1, 2, 3]), week([1], [0.9], [0.1])])
    assert np.isnan(result.tau_b).all() and not result.flagged.any()
    np.testing.assert_array_equal(result.pairs, [0, 3])
    np.testing.assert_array_equal(result.overlap, [2, 3])
    empty = agreement([])
    assert empty.scope.shape == (0,) and empty.tau_b.shape == (0,)
    assert agreement([week([], [], [])]).scope.shape == (0,)


def swapped(m, swaps):
    """Independent order = own order with the first `swaps` adjacent pairs (0,1), (2,3), ... exchanged."""
    other = list(range(m))
    for s in range(swaps):
        other[2 * s], other[2 * s + 1] = other[2 * s + 1], other[2 * s]
    return other


def test_mad_flag():
    """Ten townships agree well (tau_b between 0.82 and 0.96), one disagrees (tau_b ≈ -0.51): only it is flagged."""
    scopes, own, other = [], [], []
    for sid, swaps in enumerate([1, 2, 3, 1, 2, 3, 2, 2, 1, 3]):
        scopes += [sid] * 10
        own += list(range(10))
        other += swapped(10, swaps)
    scopes += [99] * 10
    own += list(range(10))
    other += [9, 8, 7, 1, 6, 5, 0, 2, 3, 4]  # C = 11, D = 34: tau_b = -23/45
    result = agreement([week(scopes, own, other)])
    tau = dict(zip(result.scope.tolist(), result.tau_b.tolist(), strict=True))
    assert tau[0] == pytest.approx(1 - 2 / 45) and tau[99] == pytest.approx(-23 / 45)
    np.testing.assert_array_equal(result.scope[result.flagged], [99])
    median = np.median(result.tau_b)
    mad = np.median(np.abs(result.tau_b - median))
    np.testing.assert_array_equal(result.flagged, result.tau_b < median - 3 * 1.4826 * mad)
    assert not agreement([week(scopes, own, other)], k=100).flagged.any()


def test_mad_zero_flags_nothing():
    """Ten perfect townships and one reversed: the MAD is 0, so nothing is flagged."""
    scopes = [s for s in range(11) for _ in range(4)]
    own = [1, 2, 3, 4] * 11
    other = [1, 2, 3, 4] * 10 + [4, 3, 2, 1]
    result = agreement([week(scopes, own, other)])
    assert result.tau_b[-1] == -1.0 and not result.flagged.any()


def test_agreement_large_scope_uses_the_sorting_path():
    rng = np.random.default_rng(7)
    m = engine._PAIR_LIMIT * 2 + 3  # above the pairwise limit
    own = rng.integers(0, 40, m).astype(float)
    other = own + rng.integers(-10, 10, m)
    weeks = [week([4] * m + [5] * 6, np.r_[own, [1, 2, 3, 4, 5, 6]], np.r_[other, [2, 1, 3, 4, 6, 5]])]
    result = agreement(weeks)
    expected = brute_agreement(weeks)
    for i, sid in enumerate(result.scope.tolist()):
        tau, pairs, overlap = expected[sid]
        assert result.tau_b[i] == pytest.approx(tau, abs=1e-12)
        assert result.pairs[i] == pairs and result.overlap[i] == overlap


@st.composite
def agreement_weeks(draw):
    weeks = []
    for _ in range(draw(st.integers(0, 3))):
        size = draw(st.integers(0, 25))
        scope = draw(st.lists(st.sampled_from([3, 8, 1000, -4]), min_size=size, max_size=size))
        values = st.one_of(st.sampled_from([0.0, -0.0, 0.5, 1.0]), st.floats(-10, 10, allow_nan=False))
        own = draw(st.lists(values, min_size=size, max_size=size))
        other = draw(st.lists(values, min_size=size, max_size=size))
        weeks.append(week(scope, own, other))
    return weeks


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(agreement_weeks(), st.sampled_from([0, 1, 3, 128]), st.sampled_from([1 << 22, 7]))
def test_agreement_matches_brute_force(weeks, pair_limit, chunk):
    """Both counting paths (pairwise for small groups, sorting for large ones) and the chunking agree with an
    O(n²) pair-by-pair count."""
    saved = engine._PAIR_LIMIT, engine._CHUNK
    engine._PAIR_LIMIT, engine._CHUNK = pair_limit, chunk
    try:
        result = agreement(weeks)
    finally:
        engine._PAIR_LIMIT, engine._CHUNK = saved
    expected = brute_agreement(weeks)
    assert result.scope.tolist() == sorted(expected)
    for i, sid in enumerate(result.scope.tolist()):
        tau, pairs, overlap = expected[sid]
        if math.isnan(tau):
            assert math.isnan(result.tau_b[i])
        else:
            assert result.tau_b[i] == pytest.approx(tau, abs=1e-12)
        assert result.pairs[i] == pairs and result.overlap[i] == overlap
    assert result.scope.dtype == np.int64 and result.pairs.dtype == np.int64 and result.flagged.dtype == bool


def test_agreement_validation():
    with pytest.raises(ValueError, match="lengths differ"):
        agreement([week([1, 1], [1, 2], [1])])
    with pytest.raises(ValueError, match="not a finite number"):
        agreement([week([1, 1], [1, math.nan], [1, 2])])
    with pytest.raises(ValueError, match="must hold integers"):
        agreement([(floats([1, 1]), floats([1, 2]), floats([1, 2]))])
    with pytest.raises(ValueError, match="k must be"):
        agreement([], k=-1)
