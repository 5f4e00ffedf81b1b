"""The weekly ranking engine (CONTRACTS §3 "The default method"), as pure numpy functions.

No Django import (docs/decisions/0003): the Django side loads a week's entries, turns unit codes into village
indices ``0..n-1`` and township ids, calls :func:`compute` and stores the :class:`Result`.

Everything is vectorised: a source is ranked by sorting its entries by (scope, value) once and reading tie runs
off the sorted order; tiers come from one sort of the composites. There is no Python loop over villages, scopes
or entries; the only loops run over the few sources, sensitivity factors and weeks, and in :func:`agreement`
over the distinct group sizes (and memory-bounded chunks) or the ~log2(group size) merge levels.

Ties are exact float equality: two entries of a source tie when their values are equal as float64; two villages
tie when their composites, rounded to 6 decimals, are equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RANK = "rank"
SCORE = "score"
KINDS = (RANK, SCORE)

NOT_RANKED, GREEN, YELLOW, RED = 0, 1, 2, 3
DECIMALS = 6
MAD_SCALE = 1.4826  # makes the MAD a consistent estimator of the standard deviation for normal data


@dataclass(frozen=True)
class Source:
    """One source's entries for a week.

    ``value`` is a rank (1 = best) when ``kind == "rank"`` and a score (higher = better) when ``"score"``.
    ``scope`` gives each entry's scope (the township for ``town``); ``None`` means all entries form one scope.
    """

    name: str
    village: np.ndarray
    value: np.ndarray
    kind: str
    scope: np.ndarray | None = None
    weight: float = 1.0  # >= 0; a source of weight 0 is ranked and reported but adds nothing to the composite


@dataclass(frozen=True)
class Result:
    """A week's result for ``n`` villages; arrays are indexed by village."""

    frac_rank: dict[str, np.ndarray]  # per source: fractional rank within its scope, NaN where not covered
    percentile: dict[str, np.ndarray]  # per source: (n_s - r + 0.5) / n_s, NaN where not covered
    composite: np.ndarray  # 0..100 rounded to 6 decimals, NaN = not ranked
    position: np.ndarray  # int64, 1 = best, 0 = not ranked
    tier: np.ndarray  # int8: 0 not ranked, 1 green, 2 yellow, 3 red

    def ranked(self) -> np.ndarray:
        return self.tier != NOT_RANKED


@dataclass(frozen=True)
class Agreement:
    """Per scope (ascending scope id): Kendall's tau-b between own and independent values, pooled over weeks."""

    scope: np.ndarray  # int64 scope ids
    tau_b: np.ndarray  # float64, NaN when undefined (no comparable pair, or one side constant)
    pairs: np.ndarray  # int64 comparable pairs pooled: C + D + T_x + T_y (pairs tied on both sides excluded)
    overlap: np.ndarray  # int64 villages counted, summed over weeks
    flagged: np.ndarray  # bool: tau_b < median - k * 1.4826 * MAD


# ---------------------------------------------------------------------------------------------------- validation


def _int_array(values: object, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        raise ValueError(f"{what} must hold integers, got dtype {array.dtype}")
    if array.dtype.kind == "u" and array.dtype.itemsize == 8 and int(array.max()) > np.iinfo(np.int64).max:
        raise ValueError(f"{what} holds integers too large for int64")
    return array.astype(np.int64, copy=False)


def _float_array(values: object, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iuf":
        raise ValueError(f"{what} must hold numbers, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        raise ValueError(f"{what} holds a value that is not a finite number")
    return array


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a whole number >= 0, got {n!r}")
    return int(n)


def _check_count(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{what} must be a whole number >= 0, got {value!r}")
    return int(value)


def _check_weight(weight: float, what: str, *, zero: bool) -> float:
    try:
        weight = float(weight)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {weight!r}") from None
    if not math.isfinite(weight) or weight < 0 or (weight == 0 and not zero):
        raise ValueError(f"{what} must be a finite number {'>=' if zero else '>'} 0, got {weight!r}")
    return weight


@dataclass(frozen=True)
class _Checked:
    name: str
    village: np.ndarray  # int64
    key: np.ndarray  # float64, lower = better (rank, or -score)
    scope: np.ndarray | None  # int64 or None
    weight: float


def _check_source(n: int, source: Source) -> _Checked:
    name = source.name
    if not isinstance(name, str):
        raise ValueError(f"source name must be a string, got {name!r}")
    if source.kind not in KINDS:
        raise ValueError(f"source {name!r}: kind must be 'rank' or 'score', got {source.kind!r}")
    village = _int_array(source.village, f"source {name!r}: village")
    value = _float_array(source.value, f"source {name!r}: value")
    if len(value) != len(village):
        raise ValueError(f"source {name!r}: {len(village)} villages but {len(value)} values")
    scope = None
    if source.scope is not None:
        scope = _int_array(source.scope, f"source {name!r}: scope")
        if len(scope) != len(village):
            raise ValueError(f"source {name!r}: {len(village)} villages but {len(scope)} scopes")
    if len(village):
        if village.min() < 0 or village.max() >= n:
            bad = village[(village < 0) | (village >= n)][0]
            raise ValueError(f"source {name!r}: village index {bad} is outside 0..{n - 1}")
        seen = np.bincount(village, minlength=n)
        if seen.max() > 1:
            raise ValueError(f"source {name!r}: village {int(np.argmax(seen > 1))} appears more than once")
    if source.kind == RANK:
        if len(value) and value.min() < 1:
            raise ValueError(f"source {name!r}: rank {value.min():g} is below 1")
        key = value
    else:
        key = -value
    weight = _check_weight(source.weight, f"source {name!r}: weight", zero=True)
    return _Checked(name, village, key, scope, weight)


def _check_sources(n: int, sources: Sequence[Source]) -> list[_Checked]:
    checked = [_check_source(n, source) for source in sources]
    names = [source.name for source in checked]
    if len(set(names)) != len(names):
        raise ValueError(f"source names must be distinct, got {names}")
    return checked


# ------------------------------------------------------------------------------------------------------ sorting


def _run_starts(*sorted_keys: np.ndarray) -> np.ndarray:
    """Boolean mask: True where a run of equal keys (over all given sorted arrays) starts."""
    size = len(sorted_keys[0])
    starts = np.zeros(size, dtype=bool)
    if size:
        starts[0] = True
        for keys in sorted_keys:
            starts[1:] |= keys[1:] != keys[:-1]
    return starts


def _argsort_ints(key: np.ndarray, key_max: int) -> np.ndarray:
    """Stable order of non-negative int64 keys <= key_max.

    When the key and the entry index fit in 63 bits together, the index is packed into the low bits and the
    packed keys sorted with ``np.sort`` (a SIMD sort, several times faster than ``argsort``); the index makes
    every packed key distinct, so the order is stable.
    """
    size = len(key)
    index_bits = max(size - 1, 1).bit_length()
    if key_max.bit_length() + index_bits <= 63:
        packed = key << index_bits
        packed |= np.arange(size, dtype=np.int64)
        packed.sort()
        packed &= (1 << index_bits) - 1
        return packed
    return np.argsort(key, kind="stable")


def _order_by(*columns: tuple[np.ndarray, int]) -> np.ndarray:
    """Stable order by int64 columns (most significant first), column values in ``0..count-1``."""
    total = 1
    for _, count in columns:
        total *= max(count, 1)
    if total > 2**62:
        return np.lexsort([column for column, _ in reversed(columns)])
    key = np.zeros(len(columns[0][0]), dtype=np.int64)
    for column, count in columns:
        key *= count
        key += column
    return _argsort_ints(key, total - 1)


def _int_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (ascending) and each entry's index among them."""
    low, high = int(values.min()), int(values.max())
    if high - low <= 4 * len(values) + 1024:  # a lookup table beats sorting
        present = np.zeros(high - low + 1, dtype=bool)
        offset = values - low
        present[offset] = True
        lookup = np.cumsum(present) - 1
        return np.flatnonzero(present) + low, lookup[offset]
    distinct, codes = np.unique(values, return_inverse=True)
    return distinct, codes.astype(np.int64, copy=False)


def _float_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense rank (0 = smallest, equal values share it) of each entry, and the number of distinct values."""
    order = np.argsort(values)
    starts = _run_starts(values[order])
    codes = np.empty(len(values), dtype=np.int64)
    codes[order] = np.cumsum(starts) - 1
    return codes, int(starts.sum())


# ------------------------------------------------------------------------------------------------------ ranking


def _frac_rank(key: np.ndarray, scope: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Fractional rank (ties share the mean of their positions) and scope size per entry, in entry order."""
    size = len(key)
    if size == 0:
        return np.zeros(0), np.zeros(0)
    order = np.argsort(key)  # the order within a tie does not matter: ties share their mean position
    if scope is None:
        scope_start = np.zeros(size, dtype=bool)
        scope_start[0] = True
    else:
        scope_ids, scope_code = _int_codes(scope)
        order = order[_argsort_ints(scope_code[order], len(scope_ids) - 1)]  # stable: by scope, then by key
        scope_start = _run_starts(scope_code[order])
    tie_start = scope_start | _run_starts(key[order])
    first = np.flatnonzero(scope_start)
    sizes = np.diff(np.append(first, size))
    position = np.arange(1, size + 1, dtype=np.float64) - np.repeat(first, sizes)
    del scope_start
    tie_first = np.flatnonzero(tie_start)
    del tie_start
    tie_last = np.append(tie_first[1:], size) - 1
    mean_position = (position[tie_first] + position[tie_last]) / 2.0
    del position, tie_last
    rank = np.empty(size)
    rank[order] = np.repeat(mean_position, np.diff(np.append(tie_first, size)))
    del mean_position, tie_first
    scope_size = np.empty(size)
    scope_size[order] = np.repeat(sizes.astype(np.float64), sizes)
    return rank, scope_size


def _source_percentiles(n: int, source: _Checked) -> tuple[np.ndarray, np.ndarray]:
    rank, scope_size = _frac_rank(source.key, source.scope)
    frac = np.full(n, np.nan)
    pct = np.full(n, np.nan)
    frac[source.village] = rank
    pct[source.village] = (scope_size - rank + 0.5) / scope_size
    return frac, pct


def _combine(
    n: int, percentiles: Sequence[np.ndarray], weights: Sequence[float], green: int, red: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Composite, position and tier from per-source percentiles (NaN = not covered) and weights."""
    numerator = np.zeros(n)
    denominator = np.zeros(n)
    for pct, weight in zip(percentiles, weights, strict=True):
        covered = ~np.isnan(pct)
        np.add(numerator, weight * pct, out=numerator, where=covered)
        np.add(denominator, weight, out=denominator, where=covered)
    ranked = np.flatnonzero(denominator > 0)
    composite = np.full(n, np.nan)
    composite[ranked] = np.round(100.0 * numerator[ranked] / denominator[ranked], DECIMALS)
    del numerator, denominator
    position = np.zeros(n, dtype=np.int64)
    tier = np.zeros(n, dtype=np.int8)
    m = len(ranked)
    if m:
        # Rounded composites as exact integers (equal integers <=> equal composites), sorted ascending.
        keys = np.rint(composite[ranked] * 10.0**DECIMALS).astype(np.int64)
        keys -= keys.min()
        order = _argsort_ints(keys, int(keys.max()))
        starts = _run_starts(keys[order])
        del keys
        first = np.flatnonzero(starts)
        lengths = np.diff(np.append(first, m))
        at_or_below = np.repeat(first + lengths, lengths)  # villages with C <= this one's (lower + tied)
        ranked = ranked[order]
        del order
        sorted_tier = np.full(m, YELLOW, dtype=np.int8)
        sorted_tier[at_or_below <= red] = RED
        higher = np.subtract(m, at_or_below, out=at_or_below)
        sorted_tier[higher < green] = GREEN
        tier[ranked] = sorted_tier
        higher += 1
        position[ranked] = higher
    return composite, position, tier


def compute(n: int, sources: Sequence[Source], green: int = 30, red: int = 30) -> Result:
    """Rank ``n`` villages from the week's sources (CONTRACTS §3 steps 1–6)."""
    n = _check_n(n)
    green = _check_count(green, "green")
    red = _check_count(red, "red")
    checked = _check_sources(n, sources)
    frac_rank: dict[str, np.ndarray] = {}
    percentile: dict[str, np.ndarray] = {}
    for source in checked:
        frac_rank[source.name], percentile[source.name] = _source_percentiles(n, source)
    composite, position, tier = _combine(
        n, [percentile[s.name] for s in checked], [s.weight for s in checked], green, red
    )
    return Result(frac_rank, percentile, composite, position, tier)


def red_streaks(previous: np.ndarray, is_red: np.ndarray) -> np.ndarray:
    """This round's red streak per village: ``previous + 1`` where red, else 0 (CONTRACTS §3 step 7).

    ``previous`` is the streak in the last published round (0 if none or not ranked then).
    """
    prev = _int_array(previous, "previous")
    red = np.asarray(is_red)
    if red.ndim != 1 or red.dtype != np.bool_:
        raise ValueError("is_red must be a one-dimensional boolean array")
    if len(prev) != len(red):
        raise ValueError(f"previous has {len(prev)} villages but is_red has {len(red)}")
    if len(prev) and prev.min() < 0:
        raise ValueError("previous streaks must be >= 0")
    return np.where(red, prev + 1, 0).astype(np.int64)


def sensitivity(
    n: int, sources: Sequence[Source], green: int = 30, red: int = 30, factors: Sequence[float] = (0.5, 2.0)
) -> list[tuple[str, float, np.ndarray]]:
    """For each source (in order) and factor: sorted indices of the villages whose tier differs from the base
    computation when that source's weight is multiplied by the factor."""
    n = _check_n(n)
    green = _check_count(green, "green")
    red = _check_count(red, "red")
    checked = _check_sources(n, sources)
    factors = [_check_weight(f, "factor", zero=False) for f in factors]
    percentiles = [_source_percentiles(n, source)[1] for source in checked]
    weights = [source.weight for source in checked]
    base_tier = _combine(n, percentiles, weights, green, red)[2]
    out: list[tuple[str, float, np.ndarray]] = []
    for i, source in enumerate(checked):
        for factor in factors:
            changed = list(weights)
            changed[i] = weights[i] * factor
            tier = _combine(n, percentiles, changed, green, red)[2]
            out.append((source.name, factor, np.flatnonzero(tier != base_tier).astype(np.int64)))
    return out


# ---------------------------------------------------------------------------------------------------- agreement


def _tied_pairs(group: np.ndarray, starts: np.ndarray, groups: int) -> np.ndarray:
    """Per group, the number of pairs inside runs of equal keys (``starts`` marks run starts in sorted order)."""
    first = np.flatnonzero(starts)
    length = np.diff(np.append(first, len(starts)))
    return np.bincount(group[first], weights=length * (length - 1) // 2, minlength=groups).astype(np.int64)


def _inversions(group: np.ndarray, position: np.ndarray, y: np.ndarray, span: int, groups: int) -> np.ndarray:
    """Per group, pairs i < j (in the given order, groups contiguous) with y[i] > y[j]; 0 <= y < span.

    Bottom-up merge sort over all groups at once: at level k, blocks of 2**k entries (already sorted by y) are
    merged pairwise by one stable sort; an entry of a right block moves left by exactly the number of entries of
    its left block with a strictly greater y, so the positive moves summed are the inversions between the two.
    """
    size = len(group)
    if size == 0:
        return np.zeros(groups, dtype=np.int64)
    largest = int(position.max()) + 1
    index = np.arange(size, dtype=np.int64)
    moved = np.zeros(size, dtype=np.int64)
    y_current = y.copy()
    level = 0
    while (1 << level) < largest:
        width = 1 << (level + 1)
        block_start = index - (position & (width - 1))  # index of the first entry of the merged block
        perm = _argsort_ints(block_start * span + y_current, size * span)
        y_current = y_current[perm]
        perm -= index
        np.maximum(perm, 0, out=perm)
        moved += perm
        level += 1
    return np.bincount(group, weights=moved, minlength=groups).astype(np.int64)


def _counts_by_sorting(group: np.ndarray, x: np.ndarray, y: np.ndarray, groups: int) -> np.ndarray:
    """Per group (ids ``0..groups-1``, entries in any order): C, D, T_x, T_y in O(m log m) per group.

    Tied pairs come from runs of equal values after sorting by (group, y) and (group, x, y); the discordant pairs
    are the inversions of y in the (group, x, y) order.
    """
    out = np.zeros((groups, 4), dtype=np.int64)
    size = len(group)
    if size == 0:
        return out
    x_code, x_count = _float_codes(x)
    y_code, y_count = _float_codes(y)
    # Order by (group, y): y ties per group, and y re-coded as its dense rank within the group.
    order_y = _order_by((group, groups), (y_code, y_count))
    group_y, y_sorted = group[order_y], y_code[order_y]
    group_start = _run_starts(group_y)
    y_tie_start = group_start | _run_starts(y_sorted)
    ty_all = _tied_pairs(group_y, y_tie_start, groups)  # pairs tied in y (including those tied in both)
    y_run = np.cumsum(y_tie_start) - 1
    y_in_group = np.empty(size, dtype=np.int64)
    y_in_group[order_y] = y_run - y_run[np.flatnonzero(group_start)][np.cumsum(group_start) - 1]
    span = int(np.bincount(group).max())  # the largest group; y_in_group < span
    # Order by (group, x, y): x ties, ties in both, and the discordant pairs.
    order = _order_by((group, groups), (x_code, x_count), (y_in_group, span))
    group_x, x_sorted, y_sorted = group[order], x_code[order], y_in_group[order]
    group_start = _run_starts(group_x)
    first = np.flatnonzero(group_start)
    position = np.arange(size, dtype=np.int64) - np.repeat(first, np.diff(np.append(first, size)))
    x_tie_start = group_start | _run_starts(x_sorted)
    tx_all = _tied_pairs(group_x, x_tie_start, groups)
    t_both = _tied_pairs(group_x, x_tie_start | _run_starts(y_sorted), groups)
    discordant = _inversions(group_x, position, y_sorted, span, groups)
    sizes = np.bincount(group, minlength=groups)
    untied = sizes * (sizes - 1) // 2 - tx_all - ty_all + t_both  # C + D
    out[:, 0] = untied - discordant
    out[:, 1] = discordant
    out[:, 2] = tx_all - t_both
    out[:, 3] = ty_all - t_both
    return out


_PAIR_LIMIT = 128  # groups up to this size compare all their pairs; larger ones go through sorting
_CHUNK = 1 << 22  # at most this many pair cells per comparison matrix


def _counts_by_pairs(
    x: np.ndarray, y: np.ndarray, first: np.ndarray, sizes: np.ndarray, which: np.ndarray
) -> np.ndarray:
    """C, D, T_x, T_y for the groups ``which`` (entries of group g at ``first[g]:first[g]+sizes[g]``), comparing
    all pairs: the groups of one size form a (groups × m × m) matrix of comparisons (no padding); the loop runs
    over the distinct sizes and over chunks of at most ``_CHUNK`` cells, never over single groups.

    With gt[i, j] = x_i > x_j, each unordered pair with distinct x counts once in sum(gt_x): that is C + D + T_y;
    likewise sum(gt_y) = C + D + T_x; C = sum(gt_x & gt_y) and D = sum(gt_x & lt_y).
    """
    out = np.zeros((len(sizes), 4), dtype=np.int64)
    if len(which) == 0:
        return out
    which = which[np.argsort(sizes[which], kind="stable")]
    boundaries = np.flatnonzero(np.diff(sizes[which])) + 1
    for batch in np.split(which, boundaries):
        m = int(sizes[batch[0]])
        if m < 2:
            continue
        rows = max(1, _CHUNK // (m * m))
        for begin in range(0, len(batch), rows):
            part = batch[begin:begin + rows]
            entries = first[part][:, None] + np.arange(m)
            xs, ys = x[entries], y[entries]
            gt_x = xs[:, :, None] > xs[:, None, :]
            gt_y = ys[:, :, None] > ys[:, None, :]
            lt_y = ys[:, :, None] < ys[:, None, :]
            distinct_x = np.count_nonzero(gt_x, axis=(1, 2))
            distinct_y = np.count_nonzero(gt_y, axis=(1, 2))
            concordant = np.count_nonzero(gt_x & gt_y, axis=(1, 2))
            discordant = np.count_nonzero(gt_x & lt_y, axis=(1, 2))
            out[part, 0] = concordant
            out[part, 1] = discordant
            out[part, 2] = distinct_y - concordant - discordant
            out[part, 3] = distinct_x - concordant - discordant
    return out


def agreement(weeks: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], k: float = 3.0) -> Agreement:
    """Kendall's tau-b per scope between own and independent values (higher = better for both), pooled over the
    weeks: pairs are formed only within the same scope and the same week, and their counts summed per scope.

    A scope is flagged when its tau_b < median - k × 1.4826 × MAD over the scopes with a defined tau_b
    (nothing is flagged when the MAD is 0).
    """
    k = float(k)
    if not math.isfinite(k) or k < 0:
        raise ValueError(f"k must be a finite number >= 0, got {k!r}")
    scopes, owns, others, weeks_of = [], [], [], []
    for w, week in enumerate(weeks):
        if len(week) != 3:
            raise ValueError(f"week {w}: expected (scope, own, independent), got {len(week)} arrays")
        scope = _int_array(week[0], f"week {w}: scope")
        own = _float_array(week[1], f"week {w}: own")
        other = _float_array(week[2], f"week {w}: independent")
        if not len(scope) == len(own) == len(other):
            raise ValueError(f"week {w}: lengths differ ({len(scope)} scopes, {len(own)} own, {len(other)} "
                             f"independent)")
        scopes.append(scope)
        owns.append(own)
        others.append(other)
        weeks_of.append(np.full(len(scope), w, dtype=np.int64))
    size = sum(len(scope) for scope in scopes)
    if size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Agreement(empty, np.zeros(0), empty.copy(), empty.copy(), np.zeros(0, dtype=bool))
    scope_ids, scope_code = _int_codes(np.concatenate(scopes))
    n_scopes, n_weeks = len(scope_ids), len(scopes)
    group_key = scope_code * n_weeks + np.concatenate(weeks_of)  # a group is (scope, week)
    order = _argsort_ints(group_key, n_scopes * n_weeks - 1)
    group_key = group_key[order]
    x = np.concatenate(owns)[order] + 0.0  # + 0.0 turns -0.0 into 0.0
    y = np.concatenate(others)[order] + 0.0
    group_start = _run_starts(group_key)
    first = np.flatnonzero(group_start)
    sizes = np.diff(np.append(first, size))
    group_scope = group_key[first] // n_weeks
    small = sizes <= _PAIR_LIMIT
    counts = _counts_by_pairs(x, y, first, sizes, np.flatnonzero(small))
    if not small.all():
        group = np.cumsum(group_start) - 1
        large = ~small[group]
        counts += _counts_by_sorting(group[large], x[large], y[large], len(first))

    per_scope = np.zeros((n_scopes, 4), dtype=np.int64)
    np.add.at(per_scope, group_scope, counts)
    c, d, t_x, t_y = per_scope.T
    overlap = np.bincount(scope_code, minlength=n_scopes).astype(np.int64)
    denominator = np.sqrt((c + d + t_x).astype(np.float64) * (c + d + t_y).astype(np.float64))
    tau = np.full(n_scopes, np.nan)
    defined = denominator > 0
    tau[defined] = (c - d)[defined] / denominator[defined]
    flagged = np.zeros(n_scopes, dtype=bool)
    if defined.any():
        median = float(np.median(tau[defined]))
        mad = float(np.median(np.abs(tau[defined] - median)))
        if mad > 0:
            flagged[defined] = tau[defined] < median - k * MAD_SCALE * mad
    return Agreement(scope_ids.astype(np.int64), tau, c + d + t_x + t_y, overlap, flagged)
