"""The audit groups' weekly sample (督察组抽查), and the discrepancy between the township groups' scores and the
re-inspections. Pure: no Django.

The draw is a pure function of (seed, candidates, k), written so that anyone can redo it by hand or in any language:
each candidate village code gets the key SHA-256("<seed>:<code>") (hex); the sample is the k codes with the
smallest keys, listed in code order. The candidates are deduplicated and sorted first, so their order does not
matter. The seed is drawn with ``secrets`` at the moment of the draw and recorded with it.
"""

import hashlib
from dataclasses import dataclass


def draw_key(seed: str, code: str) -> str:
    return hashlib.sha256(f"{seed}:{code}".encode()).hexdigest()


def draw(seed: str, candidates: list[str], k: int) -> list[str]:
    """The k sampled codes (sorted) among the candidates; ValueError unless 1 ≤ k ≤ the number of candidates."""
    pool = sorted(set(candidates))
    if not 1 <= k <= len(pool):
        raise ValueError(k)
    return sorted(sorted(pool, key=lambda code: (draw_key(seed, code), code))[:k])


@dataclass(frozen=True)
class Verified:
    ok: bool
    expected: tuple[str, ...]  # the sample the recorded seed, candidates and size give


def verify(seed: str, candidates: list[str], k: int, sample: list[str]) -> Verified:
    """Whether a recorded sample is the one its seed, candidates and size give."""
    try:
        expected = draw(seed, candidates, k)
    except ValueError:
        return Verified(False, ())
    return Verified(sorted(sample) == expected, tuple(expected))


@dataclass(frozen=True)
class Pair:
    group: str  # the township group's key (its name)
    village: str
    group_score: float
    recheck_score: float


@dataclass(frozen=True)
class GroupDrift:
    group: str
    villages: int
    mean_diff: float  # mean of (group score − re-inspection score): above zero, the group scored more generously
    mean_abs_diff: float
    flagged: bool


def discrepancy(pairs: list[Pair], threshold: float) -> list[GroupDrift]:
    """Per township group: the villages re-inspected, the mean and the mean absolute difference of the group's score
    minus the re-inspection's, flagged when |mean difference| > threshold. Groups in name order."""
    by_group: dict[str, list[float]] = {}
    for pair in pairs:
        by_group.setdefault(pair.group, []).append(pair.group_score - pair.recheck_score)
    rows = []
    for group in sorted(by_group):
        diffs = by_group[group]
        mean = sum(diffs) / len(diffs)
        mean_abs = sum(abs(d) for d in diffs) / len(diffs)
        rows.append(GroupDrift(group, len(diffs), round(mean, 2), round(mean_abs, 2),
                                abs(round(mean, 2)) > threshold))
    return rows
