"""The actions file (CONTRACTS §5), pure: every rule and every refusal names its row; the standing rule."""

import datetime as dt
from decimal import Decimal

import pytest

from dudao.core.tables import read_table
from dudao.plan import actionfile, standing

HEADER = "序号,名称,牵头单位,配合单位,目标,目标值,计量单位,开始日期,完成时限,涉及乡镇,时间节点\n"
DEPARTMENTS = {"住建局", "自然资源局", "交通运输局"}
TOWNS = {"中泉镇": "620423106000", "620423106000": "620423106000", "红水镇": "620423105000",
         "620423105000": "620423105000"}


def parse(rows: str, create: bool = False, header: str = HEADER):
    return actionfile.parse_actions(read_table((header + rows).encode()), DEPARTMENTS, TOWNS, create)


def codes(problems) -> list[tuple[int, str]]:
    return [(p.row, p.code) for p in problems]


def test_a_good_row_is_read_whole():
    rows, problems, new = parse("3,违章建筑拆除,自然资源局,住建局、交通运输局,拆除违建,120,处,2026-03-10,2026-09-30,"
                                "中泉镇;620423105000,2026-05-31 拆除五成;2026-04-30 登记\n")
    assert problems == [] and new == []
    row = rows[0]
    assert (row.row, row.no, row.name, row.lead, row.support) == (2, 3, "违章建筑拆除", "自然资源局", ["住建局", "交通运输局"])
    assert (row.target, row.target_value, row.target_unit) == ("拆除违建", Decimal("120"), "处")
    assert (row.start, row.deadline) == (dt.date(2026, 3, 10), dt.date(2026, 9, 30))
    assert row.towns == ["620423106000", "620423105000"]
    assert row.milestones == [(dt.date(2026, 4, 30), "登记"), (dt.date(2026, 5, 31), "拆除五成")]


@pytest.mark.parametrize("word", ["全部", "all", "ALL"])
def test_all_townships(word):
    rows, problems, _new = parse(f"1,垃圾清理,住建局,,,,,2026-03-01,2026-06-30,{word},\n")
    assert problems == [] and rows[0].towns is None


def test_english_headers_and_optional_columns_may_be_left_out():
    rows, problems, _new = parse("1,垃圾清理,住建局,2026-03-01,2026-03-01,中泉镇\n",
                                 header="no,name,lead,start,deadline,towns\n")
    assert problems == [] and (rows[0].target_value, rows[0].support, rows[0].milestones) == (None, [], [])


@pytest.mark.parametrize(("row", "code"), [
    ("1,垃圾清理,住建局,,,,,2026-06-30,2026-03-01,全部,", "deadline_before_start"),
    ("1,垃圾清理,住建局,,,十二,处,2026-03-01,2026-06-30,全部,", "bad_target_value"),
    ("1,垃圾清理,住建局,,,-3,处,2026-03-01,2026-06-30,全部,", "bad_target_value"),
    ("1,垃圾清理,住建局,,,1.234,处,2026-03-01,2026-06-30,全部,", "bad_target_value"),
    ("1,垃圾清理,住建局,,,12,,2026-03-01,2026-06-30,全部,", "target_unit_required"),
    ("1,垃圾清理,环卫局,,,,,2026-03-01,2026-06-30,全部,", "unknown_department"),
    ("1,垃圾清理,住建局,环卫局,,,,2026-03-01,2026-06-30,全部,", "unknown_department"),
    ("1,垃圾清理,住建局,,,,,2026-03-01,2026-06-30,兰州市,", "unknown_town"),
    ("0,垃圾清理,住建局,,,,,2026-03-01,2026-06-30,全部,", "bad_action_no"),
    ("一,垃圾清理,住建局,,,,,2026-03-01,2026-06-30,全部,", "bad_action_no"),
    ("1,垃圾清理,住建局,,,,,2026/03/01,2026-06-30,全部,", "bad_date"),
    ("1,垃圾清理,住建局,,,,,2026-02-30,2026-06-30,全部,", "bad_date"),
    ("1,,住建局,,,,,2026-03-01,2026-06-30,全部,", "required"),
    ("1,垃圾清理,住建局,,,,,2026-03-01,2026-06-30,,", "required"),
    ("1,=垃圾清理,住建局,,,,,2026-03-01,2026-06-30,全部,", "formula_start"),
    ("1,垃圾清理,住建局,,,,,2026-03-01,2026-06-30,全部,2026-07-01 验收", "milestone_outside"),
    ("1,垃圾清理,住建局,,,,,2026-03-01,2026-06-30,全部,验收", "bad_milestone"),
])
def test_each_bad_row_is_refused_with_its_row_number(row, code):
    rows, problems, _new = parse("2,道路,交通运输局,,,,,2026-03-01,2026-06-30,全部,\n" + row + "\n")
    assert (rows, codes(problems)) == ([], [(3, code)])


def test_a_duplicate_number_names_the_first_row():
    rows, problems, _new = parse("1,甲,住建局,,,,,2026-03-01,2026-06-30,全部,\n1,乙,住建局,,,,,2026-03-01,2026-06-30,全部,\n")
    assert rows == [] and codes(problems) == [(3, "duplicate_action_no")] and problems[0].params["first"] == 2


def test_every_problem_of_every_row_is_reported():
    _rows, problems, _new = parse("1,甲,环卫局,,,x,,2026-03-01,2026-02-01,兰州市,\n")
    assert sorted(codes(problems)) == [(2, "bad_target_value"), (2, "deadline_before_start"),
                                       (2, "target_unit_required"), (2, "unknown_department"), (2, "unknown_town")]


def test_unknown_departments_are_listed_to_be_created_when_asked():
    rows, problems, new = parse("1,甲,环卫局,住建局;园林局;环卫局,,,,2026-03-01,2026-06-30,全部,\n", create=True)
    assert problems == [] and new == ["环卫局", "园林局"] and rows[0].support == ["住建局", "园林局", "环卫局"]


def test_a_missing_column_is_refused_before_the_rows():
    _rows, problems, _new = parse("1,甲,住建局,2026-03-01,全部\n", header="no,name,lead,start,towns\n")
    assert codes(problems) == [(1, "missing_column")]


def test_the_export_row_reads_back_the_same():
    row = actionfile.export_row(no=3, name="拆除", lead="住建局", support=["自然资源局", "交通运输局"], target="拆违",
                                target_value=Decimal("120.00"), target_unit="处", start=dt.date(2026, 3, 1),
                                deadline=dt.date(2026, 6, 30), towns=["中泉镇", "红水镇"],
                                milestones=[(dt.date(2026, 4, 1), "登记")])
    assert row == ["3", "拆除", "住建局", "自然资源局;交通运输局", "拆违", "120", "处", "2026-03-01", "2026-06-30",
                   "中泉镇;红水镇", "2026-04-01 登记"]
    rows, problems, _new = parse(",".join(row) + "\n")
    assert problems == [] and rows[0].target_value == Decimal("120")


@pytest.mark.parametrize(("value", "text"), [(Decimal("120.00"), "120"), (Decimal("12.50"), "12.5"),
                                             (Decimal("1E+3"), "1000"), (None, "")])
def test_numbers_are_written_plainly(value, text):
    assert actionfile.number_text(value) == text


# The standing: one rule -----------------------------------------------------------------------------------------

START, DEADLINE = dt.date(2026, 3, 1), dt.date(2026, 3, 10)  # ten days


def stand(today: dt.date, progress: str = "0", target: str | None = "10", done: bool = False) -> str:
    return standing.standing(today=today, start=START, deadline=DEADLINE, done=done, progress=Decimal(progress),
                             target=None if target is None else Decimal(target))


def test_done_wins_even_after_the_deadline():
    assert stand(dt.date(2026, 4, 1), done=True) == standing.DONE


def test_overdue_once_the_deadline_has_passed_undone():
    assert (stand(DEADLINE, "9"), stand(dt.date(2026, 3, 11), "9")) == (standing.ON_TRACK, standing.OVERDUE)


def test_behind_when_progress_lags_the_time_by_more_than_the_margin():
    # Day 5 of 10: half the time gone; 3 of 10 done is exactly 20 points behind (on track), 2.9 is more.
    assert stand(dt.date(2026, 3, 5), "3") == standing.ON_TRACK
    assert stand(dt.date(2026, 3, 5), "2.9") == standing.BEHIND


def test_before_the_start_and_without_a_target_it_is_on_track():
    assert stand(dt.date(2026, 2, 1)) == standing.ON_TRACK
    assert stand(dt.date(2026, 3, 9), target=None) == standing.ON_TRACK


def test_shares():
    assert standing.elapsed_share(dt.date(2026, 3, 5), START, DEADLINE) == 0.5
    assert standing.progress_share(Decimal("30"), Decimal("10")) == 1.0
    assert standing.progress_share(Decimal("3"), None) is None
