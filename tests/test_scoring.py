"""Scoring one inspection against its checklist (dudao.inspections.scoring): pure, no database."""

import math

import pytest

from dudao.inspections.scoring import Item, Mark, Problem, Scored, check, failing, score

A = Item(1, 10)
B = Item(2, 5, weight=2.0)
NA_OK = Item(3, 10, allow_na=True)
CRITICAL = Item(4, 10, critical=True)


# score() --------------------------------------------------------------------------------------------------


def test_the_score_is_the_weighted_share_of_the_points_available():
    # (1 × 7 + 2 × 2.5) / (1 × 10 + 2 × 5) = 12 / 20
    assert score([A, B], [Mark(1, 7), Mark(2, 2.5)]) == Scored(60.0, (), False)


def test_with_weights_1_the_score_is_the_paper_sum_of_points():
    # 10 + 0 of 10 + 5 points: a 5-point item weighs half a 10-point one, as on the paper checklist.
    assert score([A, Item(2, 5)], [Mark(1, 10), Mark(2, 0)]) == Scored(66.67, (), False)


def test_full_and_zero_points_give_100_and_0():
    assert score([A, B], [Mark(1, 10), Mark(2, 5)]) == Scored(100.0, (), False)
    assert score([A, B], [Mark(1, 0), Mark(2, 0)]) == Scored(0.0, (), False)


def test_a_weight_counts_the_item_that_many_times():
    # A at 0 and B full: (0 + 2 × 5) / (10 + 2 × 5) = 50; with B's weight 1 it would be 5 / 15.
    assert score([A, B], [Mark(1, 0), Mark(2, 5)]).score == 50.0
    assert score([A, Item(2, 5)], [Mark(1, 0), Mark(2, 5)]).score == 33.33


def test_not_applicable_items_leave_the_denominator():
    # Only A and B count: (6 + 2 × 5) / (10 + 2 × 5) = 80. Counting NA_OK as 0 would give 16 / 30.
    assert score([A, B, NA_OK], [Mark(1, 6), Mark(2, 5), Mark(3, None)]) == Scored(80.0, (), False)


def test_a_critical_item_below_half_its_points_caps_the_score():
    # Without the cap: (10 + 2 × 5 + 4) / 30 = 80.0
    scored = score([A, B, CRITICAL], [Mark(1, 10), Mark(2, 5), Mark(4, 4)])
    assert scored == Scored(60.0, (4,), True)


def test_the_cap_is_the_checklists():
    scored = score([A, B, CRITICAL], [Mark(1, 10), Mark(2, 5), Mark(4, 4)], critical_cap=70.0)
    assert scored == Scored(70.0, (4,), True)


def test_half_the_points_on_a_critical_item_is_not_a_failure():
    # (10 + 2 × 5 + 5) / 30 = 83.33
    assert score([A, B, CRITICAL], [Mark(1, 10), Mark(2, 5), Mark(4, 5)]) == Scored(83.33, (), False)


def test_a_score_already_below_the_cap_is_not_capped_but_the_failure_is_recorded():
    # (2 + 2 × 1 + 1) / 30 = 16.67
    scored = score([A, B, CRITICAL], [Mark(1, 2), Mark(2, 1), Mark(4, 1)])
    assert scored == Scored(16.67, (4,), False)


def test_a_score_equal_to_the_cap_is_not_flagged_capped():
    # (10 + 2) / 20 = 60.0 exactly: the failure is recorded, but nothing was cut.
    scored = score([A, CRITICAL], [Mark(1, 10), Mark(4, 2)])
    assert scored == Scored(60.0, (4,), False)


def test_every_failed_critical_item_is_listed_in_id_order():
    other = Item(9, 20, critical=True)
    scored = score([A, CRITICAL, other], [Mark(9, 0), Mark(1, 10), Mark(4, 0)])
    assert scored == Scored(25.0, (4, 9), False)  # 10 / 40


def test_a_critical_item_marked_not_applicable_is_not_a_failure():
    critical_na = Item(5, 10, critical=True, allow_na=True)
    assert score([A, critical_na], [Mark(1, 9), Mark(5, None)]) == Scored(90.0, (), False)


# check() --------------------------------------------------------------------------------------------------


def test_valid_marks_have_no_problems():
    assert check([A, B, NA_OK], [Mark(1, 0), Mark(2, 5), Mark(3, None)]) == []


def test_an_unknown_item_is_named():
    assert check([A], [Mark(1, 5), Mark(99, 3)]) == [Problem("unknown_item", 99)]


def test_an_item_scored_twice_is_named_once_per_repeat():
    assert check([A, B], [Mark(1, 5), Mark(2, 5), Mark(1, 6)]) == [Problem("duplicate_item", 1)]


def test_not_applicable_only_where_the_checklist_allows_it():
    assert check([A, NA_OK], [Mark(1, None), Mark(3, None)]) == [Problem("na_not_allowed", 1)]


@pytest.mark.parametrize("points", [-1, -0.01, 10.5, 11, math.inf])
def test_points_outside_the_items_range(points):
    assert check([A], [Mark(1, points)]) == [Problem("out_of_range", 1, {"points": points, "max": 10})]


def test_the_range_includes_both_ends():
    assert check([A, B], [Mark(1, 0), Mark(2, 5)]) == []


def test_nan_points_are_out_of_range():
    found = check([A], [Mark(1, math.nan)])
    assert len(found) == 1
    assert (found[0].code, found[0].item_id, found[0].params["max"]) == ("out_of_range", 1, 10)
    assert math.isnan(found[0].params["points"])


def test_an_unscored_item_is_missing():
    assert check([A, B, NA_OK], [Mark(2, 5)]) == [Problem("missing_item", 1), Problem("missing_item", 3)]


def test_every_problem_is_reported_marks_first_then_missing_items():
    found = check([A, B, NA_OK, CRITICAL], [Mark(1, 11), Mark(2, None), Mark(7, 1), Mark(1, 3)])
    assert found == [
        Problem("out_of_range", 1, {"points": 11, "max": 10}),
        Problem("na_not_allowed", 2),
        Problem("unknown_item", 7),
        Problem("duplicate_item", 1),
        Problem("missing_item", 3),
        Problem("missing_item", 4),
    ]


def test_all_items_not_applicable_leaves_nothing_to_score():
    other_na = Item(6, 5, allow_na=True)
    assert check([NA_OK, other_na], [Mark(3, None), Mark(6, None)]) == [Problem("all_na")]


def test_all_na_is_not_added_to_other_problems():
    assert check([NA_OK, A], [Mark(3, None)]) == [Problem("missing_item", 1)]


# failing() ------------------------------------------------------------------------------------------------


def test_an_item_fails_when_it_lost_any_points():
    assert [failing(A, p) for p in (0, 9.5, 10, None)] == [True, True, False, False]
