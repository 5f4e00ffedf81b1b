"""Source files for the weekly round (CONTRACTS §3 "Source files"): every refusal, row-numbered, nothing written."""

import pytest
from django.utils import translation

from dudao.accounts.access import SYSTEM
from dudao.campaigns.services import campaign_get
from dudao.core.messages import describe_with_row
from dudao.org.models import Unit
from dudao.publication import services as publication
from dudao.ranking import services
from dudao.ranking.models import Entry, Round, Submission

WEEK = "2026-W10"


def town_rows(town_code: str) -> list[str]:
    return list(Unit.objects.filter(parent__code=town_code, level__in=["village", "community"])
                .order_by("code").values_list("code", flat=True))


def week_entries(week: str = WEEK):
    return Entry.objects.filter(round__week=week)


def run(text: str, source: str = "inspection", week: str = WEEK, actor=SYSTEM, town=None):
    return services.ranking_import(actor=actor, campaign=campaign_get(), week=week, source=source,
                                   data=text.encode("utf-8"), filename="s.csv", town=town)


def messages(report) -> list[str]:
    with translation.override("en"):
        return [describe_with_row(p) for p in report.problems]


def test_import_scores_and_replace(db):
    report = run("code,score\n620423103200,88.5\n620423100200,70\n")
    assert (report.ok, report.entries) == (True, 2)
    round_ = Round.objects.get(week=WEEK)
    assert sorted(Entry.objects.filter(round=round_).values_list("unit__code", "score")) == [
        ("620423100200", 70.0), ("620423103200", 88.5)]
    run("代码,得分\n620423101200,60\n")
    assert list(Entry.objects.filter(round=round_).values_list("unit__code", flat=True)) == ["620423101200"]
    assert Submission.objects.filter(round=round_, source="inspection").count() == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("code,score\n620423999999,1\n", ["Row 2: The code 620423999999 is not a unit of this campaign or outside "
                                         "your area."]),
        ("code,score\n620423103000,1\n", ["Row 2: The unit 620423103000 is not a village or community."]),
        ("code,score\n620423103200,1\n620423103200,2\n", ["Row 3: The code 620423103200 appears again (first in "
                                                         "row 2)."]),
        ("code,rank\n620423103200,0\n", ["Row 2: The rank “0” is not a whole number of 1 or more."]),
        ("code,rank\n620423103200,1.5\n", ["Row 2: The rank “1.5” is not a whole number of 1 or more."]),
        ("code,rank\n620423103200,一\n", ["Row 2: The rank “一” is not a whole number of 1 or more."]),
        ("code,score\n620423103200,nan\n", ["Row 2: The score “nan” is not a finite number."]),
        ("code,score\n620423103200,inf\n", ["Row 2: The score “inf” is not a finite number."]),
        ("code,score\n620423103200,\n", ["Row 2: The score “” is not a finite number."]),
        ("code,rank,score\n620423103200,1,2\n", ["Row 1: The file needs exactly one of the columns rank (排名) or "
                                                 "score (得分)."]),
        ("code,points\n620423103200,1\n", ["Row 1: The file needs exactly one of the columns rank (排名) or score "
                                          "(得分)."]),
        ("", ["The file is empty."]),
        ("code,score\n", ["Row 1: The file has a header but no data rows."]),
    ],
    ids=["unknown", "not-village", "duplicate", "rank-zero", "rank-fraction", "rank-text", "nan", "inf", "blank",
         "both", "neither", "empty", "header-only"],
)
def test_refusals(db, text, expected):
    report = run(text)
    assert messages(report) == expected
    assert not week_entries().exists()


def test_town_file_must_rank_every_village_of_each_township_it_contains(db):
    codes = town_rows("620423103000")  # 喜泉镇
    text = "code,rank\n" + "".join(f"{c},{n}\n" for n, c in enumerate(codes[:-1], start=1))
    report = run(text, source="town")
    assert messages(report) == [f"Township 620423103000 must rank every one of its villages and communities; 1 "
                                f"missing: {codes[-1]}."]
    full = "code,rank\n" + "".join(f"{c},{n}\n" for n, c in enumerate(codes, start=1))
    assert run(full, source="town").ok
    assert week_entries().filter(source="town").count() == len(codes) == 18


def test_township_user_submits_only_their_own_township(users):
    xiquan = Unit.objects.get(code="620423103000")
    yitiaoshan = Unit.objects.get(code="620423100000")
    codes = town_rows("620423103000")
    ok = services.ranking_submit_order(actor=users["town_staff"], campaign=campaign_get(), week=WEEK, town=xiquan,
                                       codes=codes)
    assert (ok.ok, ok.entries) == (True, 18)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.ranking_submit_order(actor=users["town_staff"], campaign=campaign_get(), week=WEEK,
                                      town=yitiaoshan, codes=town_rows("620423100000"))
    other = services.ranking_submit_order(actor=users["town_staff"], campaign=campaign_get(), week=WEEK, town=xiquan,
                                          codes=codes[:-1] + town_rows("620423100000")[:1])
    assert [p.code for p in other.problems] == ["unknown_code"]
    # A second township's part does not replace the first's.
    services.ranking_submit_order(actor=SYSTEM, campaign=campaign_get(), week=WEEK, town=yitiaoshan,
                                  codes=town_rows("620423100000"))
    assert week_entries().filter(source="town").count() == 18 + len(town_rows("620423100000"))


def test_late_submissions_are_marked(db):
    report = run("code,score\n620423103200,1\n", week="2020-W01")
    assert report.late is True
    assert Submission.objects.get(round__week="2020-W01").late is True


def test_published_week_refuses_imports(db):
    codes = town_rows("620423103000")
    run("code,rank\n" + "".join(f"{c},{n}\n" for n, c in enumerate(codes, start=1)), source="town")
    services.ranking_compute(actor=SYSTEM, campaign=campaign_get(), week=WEEK)
    publication.round_publish(actor=SYSTEM, campaign=campaign_get(), week=WEEK,
                              reason="其余乡镇本周停报（测试）")
    report = run("code,score\n620423103200,1\n")
    assert messages(report) == ["Week 2026-W10 is published or awaiting approval; nothing can be submitted."]


def test_oversized_files_are_refused_by_the_service_too(db):
    from dudao.core.tables import MAX_BYTES

    report = services.ranking_import(actor=SYSTEM, campaign=campaign_get(), week=WEEK, source="inspection",
                                     data=b"code,score\n" + b"0" * MAX_BYTES, filename="big.csv")
    assert messages(report) == ["The file is larger than 20 MB."]
    assert not week_entries().exists()


def test_a_source_file_stops_at_the_sources_row_limit(db, monkeypatch):
    from dudao.ranking import sourcefile

    monkeypatch.setattr(sourcefile, "MAX_ROWS", 2)
    report = run("code,score\n620423103200,1\n620423103201,2\n620423103202,3\n")
    assert messages(report) == [
        "The sheet has more than 2 rows below its header; split it into files of at most 2 rows."]
    assert not week_entries().exists()


def test_a_province_s_whole_source_is_read_not_refused_for_its_size():
    """The largest province ranks about 65,000 villages (bench/ranking_round.py): its office's file of a whole source
    is within the source's row limit."""
    from dudao.core.tables import read_table
    from dudao.ranking import sourcefile

    data = "code,score\n" + "".join(f"{629900100200 + n},{n % 100}\n" for n in range(65_000))
    table = read_table(data.encode(), "province.csv", max_rows=sourcefile.MAX_ROWS)
    assert (len(table.rows), table.rows[-1]) == (65_000, (65_001, ["629900165199", "99"]))


def test_a_file_is_checked_against_the_units_it_names_and_their_townships_only(db, monkeypatch):
    """A township's file at province scale must not read the province: the units looked up are the ones the file
    names and the other villages of their townships (to tell a missing one), whatever else the county holds."""
    from dudao.core.tables import read_table
    from dudao.ranking import sourcefile
    from dudao.ranking.selectors import ranked_units

    xiquan = town_rows("620423103000")
    named = {xiquan[0], town_rows("620423100000")[0], "620423103000", "620423999999"}  # a township, an unknown code
    table = read_table(("代码,排名\n" + "".join(f" {c} ,1\n" for c in sorted(named))).encode(), "s.csv")
    assert sourcefile.codes_named(table) == named
    assert sourcefile.codes_named(read_table(b"village,rank\n620423103201,1\n", "s.csv")) == set()
    looked_up = ranked_units(campaign_get(), named)
    assert sorted(looked_up) == sorted(xiquan + town_rows("620423100000"))
    assert looked_up == {code: unit for code, unit in ranked_units(campaign_get()).items() if code in looked_up}
    assert ranked_units(campaign_get(), set()) == {}
    # Villages of more townships than a narrowed read is made for (the office's whole source, or an expression too
    # deep for SQLite): every unit, as without names.
    from dudao.ranking import selectors

    monkeypatch.setattr(selectors, "NARROWED_UP_TO", 1)
    assert ranked_units(campaign_get(), named) == ranked_units(campaign_get())
    assert sorted(ranked_units(campaign_get(), {xiquan[0]})) == sorted(xiquan)
