"""The weekly bulletin (issue 6): content from the published round, the three files, regeneration, the queue,
the command line. The Jingtai demo has seven published weeks."""

import ctypes
import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext as _
from docx import Document
from PIL import Image

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.bulletins import annex, content, document, services, word
from dudao.bulletins.models import Bulletin, Letterhead
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.problems import selectors
from dudao.publication import services as publication
from dudao.ranking.models import Result, Round, Tier

RARE = "大水䃎村"  # U+40CE, CJK Extension A
DUDAO = str(Path(sys.executable).with_name("dudao"))


@pytest.fixture(autouse=True)
def english_cli(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


def latest() -> Round:
    return Round.objects.filter(status="published").order_by("-week_start").first()


def tier_names(round_: Round, tier: str) -> list[str]:
    return list(Result.objects.filter(round=round_, tier=tier).order_by("position", "unit__code")
                .values_list("unit__name", flat=True))


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as f:
        return f.read()


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    return text.replace("\r", "").replace("\n", "")  # lines wrap inside names and table cells


@pytest.fixture
def bulletin(db) -> Bulletin:
    """The demo's bulletin of the latest published week, made by the same service (two seconds a PDF); made again
    here only if an earlier test removed its files from this process's media folder."""
    made = Bulletin.objects.get(round=latest())
    if all(default_storage.exists(name) for name in (made.docx_name, made.pdf_name, made.xlsx_name)):
        return made
    return services.bulletin_generate(actor=SYSTEM, round_=latest())


# Content ---------------------------------------------------------------------------------------------------


def test_content_is_built_with_a_fixed_number_of_queries(db):
    round_ = latest()
    with CaptureQueriesContext(connection) as queries:
        built = content.build(round_)
    assert len(queries) <= 13  # with the other villages of each interview and the townships missing
    assert len(built.villages) == 151
    assert built.chart_png.startswith(b"\x89PNG")


def test_tier_lists_follow_the_results(db):
    round_ = latest()
    built = content.build(round_)
    for tier in Tier.values:
        assert [v.name for v in built.tier_rows(tier)] == tier_names(round_, tier)
    assert built.counts == tuple(len(tier_names(round_, t)) for t in ("green", "yellow", "red"))
    assert sum(built.counts) == 151
    escalated = set(Result.objects.filter(round=round_, escalated=True).values_list("unit__code", flat=True))
    assert {v.code for v in built.escalated} == escalated
    assert len(built.interviews) == round_.interviews.count()
    year = weeks.parse_week(round_.week)[0]
    serial = Round.objects.filter(status="published", week__startswith=f"{year}-W",
                                  week_start__lte=round_.week_start).count()
    assert built.doc_number == f"景环整办〔{year}〕{serial}号"
    assert built.issuer == "景泰县城乡环境专项整治领导小组办公室"


def test_tier_changes_against_the_previous_published_week(db):
    round_ = latest()
    previous = Round.objects.filter(status="published", week_start__lt=round_.week_start).order_by(
        "-week_start").first()
    before = dict(Result.objects.filter(round=previous, position__isnull=False).values_list("unit__code", "tier"))
    now = dict(Result.objects.filter(round=round_, position__isnull=False).values_list("unit__code", "tier"))
    expected: dict[tuple[str, str], int] = {}
    for code, tier in now.items():
        if before.get(code, "") != tier:
            expected[(before.get(code, ""), tier)] = expected.get((before.get(code, ""), tier), 0) + 1
    built = content.build(round_)
    assert built.previous_week == previous.week
    assert {(c.from_tier, c.to_tier): c.count for c in built.changes} == expected
    assert {v.code for v in built.changed} == {c for c, t in now.items() if before.get(c, "") != t}
    assert built.previous_counts == tuple(sum(1 for t in before.values() if t == tier) for tier in content.TIERS)


def test_first_published_week_has_no_changes(db):
    first = Round.objects.filter(status="published").order_by("week_start").first()
    built = content.build(first)
    assert built.previous_week == ""
    assert built.changes == ()
    assert built.changed == []


def test_the_digest_is_stable_and_follows_the_content(db):
    round_ = latest()
    a, b = content.build(round_), content.build(round_)
    assert a.digest() == b.digest()
    assert len(a.digest()) == 64
    Result.objects.filter(round=round_, tier="red").update(red_streak=9)
    assert content.build(round_).digest() != a.digest()


def test_problem_counts_equal_problem_stats_when_nothing_changed_since(db):
    """At a cutoff after every event, the timeline gives what dudao.problems.selectors.problem_stats gives."""
    from django.utils import timezone

    from dudao.problems.models import Problem

    campaign = campaign_get()
    problem = Problem.objects.filter(campaign=campaign).order_by("-reported_at").first()
    assert problem is not None
    week = weeks.week_of(timezone.localtime(problem.reported_at).date())
    round_ = Round.objects.filter(campaign=campaign, week=week).first()
    if round_ is None or round_.status != "published":
        round_ = latest()
        week = round_.week
    now = timezone.now()
    Round.objects.filter(pk=round_.pk).update(published_at=now)
    round_.refresh_from_db()
    built = content.build(round_)
    start = dt.datetime.combine(round_.week_start, dt.time(), tzinfo=timezone.get_current_timezone())
    stats = selectors.problem_stats(campaign, start, start + dt.timedelta(days=7), now=now, by="town")
    totals = [sum(getattr(s, f) for s in stats.values()) for f in ("found", "rectified_on_time", "overdue",
                                                                    "rework", "open")]
    p = built.problems
    assert [p.found, p.rectified_on_time, p.overdue, p.rework, p.open] == totals


def test_problem_counts_stand_as_at_the_cutoff():
    at = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    due = dt.datetime(2026, 3, 2, 15, 59, tzinfo=dt.UTC)
    first = at + dt.timedelta(hours=3)
    events = [("report", "registered", at), ("dispatch", "dispatched", at),
              ("rectify", "rectified", first), ("return", "returned", at + dt.timedelta(hours=4)),
              ("rectify", "rectified", at + dt.timedelta(hours=5)), ("verify", "verified", at + dt.timedelta(days=2))]
    assert content.problem_counts(events, due, first, at - dt.timedelta(hours=1)) is None
    returned = content.problem_counts(events, due, first, at + dt.timedelta(hours=4, minutes=30))
    assert returned == content.ProblemCounts(found=1, rectified_on_time=0, overdue=0, rework=1, open=1)
    waiting = content.problem_counts(events[:2], due, None, due + dt.timedelta(hours=1))
    assert waiting == content.ProblemCounts(found=1, rectified_on_time=0, overdue=1, rework=0, open=1)
    verified = content.problem_counts(events, due, first, at + dt.timedelta(days=3))
    assert verified == content.ProblemCounts(found=1, rectified_on_time=1, overdue=0, rework=1, open=1)
    late = content.problem_counts(events, due, due + dt.timedelta(hours=1), at + dt.timedelta(days=3))
    assert late == content.ProblemCounts(found=1, rectified_on_time=0, overdue=1, rework=1, open=1)
    cancelled = [("report", "reported", at), ("cancel", "cancelled", at + dt.timedelta(hours=1))]
    assert content.problem_counts(cancelled, None, None, at + dt.timedelta(days=1)) is None


def test_a_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    content.cjk_font_file.cache_clear()
    monkeypatch.setattr(content, "CJK_FONT", tmp_path / "missing.ttc")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout="", stderr=""))
    try:
        with pytest.raises(Refused, match="Noto Sans CJK SC is not installed"):
            content.cjk_font_file()
    finally:
        content.cjk_font_file.cache_clear()


# The three files --------------------------------------------------------------------------------------------


def test_generate_writes_three_files_and_an_audit_event(db):
    round_ = latest()
    bulletin = services.bulletin_generate(actor=SYSTEM, round_=round_)
    assert bulletin.week == round_.week and bulletin.revision == round_.revision
    for kind in ("docx", "pdf", "xlsx"):
        name = getattr(bulletin, f"{kind}_name")
        assert name.startswith(f"bulletins/default/{round_.week}/")
        assert name.endswith(f".{kind}")
        assert hashlib.sha256(read(name)).hexdigest() == getattr(bulletin, f"{kind}_sha256")
    assert bulletin.content_digest == content.build(round_).digest()
    with translation.override(settings.LANGUAGE_CODE):  # the default template in the site's language
        assert bulletin.template_sha256 == hashlib.sha256(word.default_template()).hexdigest()
    event = AuditEvent.objects.filter(action="bulletin.generate").order_by("-seq").first()
    assert event.object_id == f"default/{round_.week}"
    assert event.actor_label == "system:cli"
    assert event.after["content"] == bulletin.content_digest


def test_pdf_names_every_village_in_the_right_list_with_embedded_fonts(bulletin):
    round_ = latest()
    data = read(bulletin.pdf_name)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    names = list(Result.objects.filter(round=round_).values_list("unit__name", flat=True))
    assert len(names) == 151
    missing = [n for n in names if n not in text]
    assert missing == []
    assert RARE in text
    assert bulletin.letterhead["doc_number"] in text
    # Each tier's villages stand between its heading and the next.
    with translation.override(settings.LANGUAGE_CODE):  # bulletins are written in the site's language
        titles = document.headings({s.code: s.label for s in content.build(round_, chart=False).styles})
    headings = [text.index(titles[h]) for h in ("green", "yellow", "red", "towns")]
    assert headings == sorted(headings)
    for n, tier in enumerate(("green", "yellow", "red")):
        section = text[headings[n]: headings[n + 1]]
        for name in tier_names(round_, tier):
            assert name in section, (tier, name)
    pdf_doc = pdfium.PdfDocument(data)
    fonts = set()
    for page in pdf_doc:
        for obj in page.get_objects():
            if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
                font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
                size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
                buffer = ctypes.create_string_buffer(size)
                pdfium_c.FPDFFont_GetBaseFontName(font, buffer, size)
                fonts.add((buffer.value.decode(), bool(pdfium_c.FPDFFont_GetIsEmbedded(font))))
    assert fonts
    assert all(embedded for _name, embedded in fonts)
    assert any("Noto-Serif-CJK-SC" in name for name, _e in fonts)
    assert all("+" in name for name, _e in fonts)  # subsets carry a tag


def test_pdf_first_page_is_not_blank(bulletin):
    page = pdfium.PdfDocument(read(bulletin.pdf_name))[0]
    width, height = page.get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    image = page.render(scale=1).to_pil().convert("RGB")
    pixels = list(image.get_flattened_data())
    dark = sum(1 for r, g, b in pixels if r + g + b < 300)
    red = sum(1 for r, g, b in pixels if r > 180 and g < 90 and b < 90)
    assert dark > 0.01 * len(pixels)
    assert red > 500  # the red header and rule
    top = image.crop((0, 0, image.width, image.height // 3))
    assert top.convert("L").getextrema()[0] < 100


def test_docx_carries_the_same_lists(bulletin):
    round_ = latest()
    doc = Document(io.BytesIO(read(bulletin.docx_name)))
    text = "\n".join(p.text for p in doc.paragraphs)
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    assert doc.paragraphs[0].text == bulletin.letterhead["issuer"]
    assert str(doc.paragraphs[0].runs[0].font.color.rgb) == "FF0000"
    assert doc.paragraphs[1].text == bulletin.letterhead["doc_number"]
    green_table, red_table = doc.tables[0], doc.tables[1]
    assert [row.cells[1].text for row in green_table.rows[1:]] == tier_names(round_, "green")
    assert [row.cells[1].text for row in red_table.rows[1:]] == tier_names(round_, "red")
    assert "、".join(tier_names(round_, "yellow")) in text
    assert "{{" not in text and "{%" not in text
    all_text = text + "".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert RARE in all_text
    assert len(doc.inline_shapes) == 1  # the chart


def test_the_red_streak_column_is_headed_red_streak_not_the_interview_reason(bulletin):
    from dudao.interviews.models import InterviewReason

    with translation.override(settings.LANGUAGE_CODE):  # bulletins are written in the site's language
        heading, reason = _("red streak"), str(InterviewReason.ESCALATED.label)
    assert heading != reason
    red_table = Document(io.BytesIO(read(bulletin.docx_name))).tables[1]
    assert red_table.rows[0].cells[4].text == heading
    header = next(openpyxl.load_workbook(io.BytesIO(read(bulletin.xlsx_name))).worksheets[0]
                  .iter_rows(max_row=1, values_only=True))
    assert heading in header and reason not in header
    assert heading in pdf_text(read(bulletin.pdf_name))
    with translation.override("en"):
        assert document.column_names()["streak"] == "red streak"


def test_xlsx_has_every_village_and_keeps_text_as_text(bulletin):
    workbook = openpyxl.load_workbook(io.BytesIO(read(bulletin.xlsx_name)))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 152
    with translation.override(settings.LANGUAGE_CODE):  # bulletins are written in the site's language
        names = document.column_names()
        sheets = [_("Townships"), _("Problems"), _("Interviews"), _("Tier changes"), _("Coverage")]
    assert rows[0][:4] == (names["position"], names["code"], names["village"], names["town"])
    assert [r[0] for r in rows[1:]] == list(Result.objects.filter(round=latest()).order_by("position", "unit__code")
                                           .values_list("position", flat=True))
    assert RARE in {r[2] for r in rows[1:]}
    assert all(isinstance(r[1], str) and len(r[1]) == 12 for r in rows[1:])
    assert [ws.title for ws in workbook.worksheets][1:] == sheets
    interviews = workbook.worksheets[3]
    assert interviews.max_row - 1 == latest().interviews.count()


def small_content(names: list[str]) -> content.BulletinContent:
    """Content without a database: one township, the villages in the order given, the first green, the last red."""
    results = []
    for n, name in enumerate(names):
        tier = "green" if n == 0 else ("red" if n == len(names) - 1 else "yellow")
        results.append((n + 1, f"6204231{n:05d}", name, "620423100000", "一条山镇", tier, 90.0 - n, 0, False, False,
                        float(n + 1), None, None, 1 - n / len(names), None, None))
    return content.assemble(content.Inputs(
        campaign="t", county="景泰县", week="2026-W10", revision=1, week_start=dt.date(2026, 3, 2),
        week_end=dt.date(2026, 3, 8), published_at=dt.datetime(2026, 3, 6, 4, tzinfo=dt.UTC), issuer="办公室",
        doc_number="景环整办〔2026〕1号", styles=tuple(content.TierStyle(t, t, c) for t, c in
                                                  zip(content.TIERS, ("#1b7f3b", "#b58900", "#c0392b"), strict=True)),
        green_count=1, red_count=1, escalation_threshold=2, source_labels={}, results=results, raw={}))


def test_xlsx_never_writes_a_formula(db):
    built = small_content(["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", RARE])
    workbook = openpyxl.load_workbook(io.BytesIO(annex.render(built)))
    cells = [c for row in workbook.worksheets[0].iter_rows(min_row=2) for c in row if c.column == 3]
    values = {c.value: c.data_type for c in cells}
    assert values["=HYPERLINK(\"http://x\")"] == "s"
    assert values["+1"] == "s"
    assert values["@SUM(A1)"] == "s"


def test_regenerating_gives_the_same_content_and_files(bulletin):
    again = services.bulletin_generate(actor=SYSTEM, round_=latest())
    assert again.pk == bulletin.pk
    assert again.content_digest == bulletin.content_digest
    assert (again.docx_sha256, again.pdf_sha256, again.xlsx_sha256) == (
        bulletin.docx_sha256, bulletin.pdf_sha256, bulletin.xlsx_sha256)
    assert Bulletin.objects.filter(round=latest()).count() == 1
    assert again.letterhead == bulletin.letterhead


def test_regenerating_keeps_the_issued_letterhead_and_removes_replaced_files(bulletin, django_capture_on_commit_callbacks):
    Letterhead.objects.create(campaign=campaign_get(), issuer="某县办公室", prefix="某办")
    Result.objects.filter(round=latest(), tier="red").update(red_streak=7)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.bulletin_generate(actor=SYSTEM, round_=latest())
    assert again.letterhead == bulletin.letterhead  # issued once, kept
    assert again.content_digest != bulletin.content_digest
    assert not default_storage.exists(bulletin.pdf_name)
    assert default_storage.exists(again.pdf_name)


def test_a_new_letterhead_numbers_new_bulletins(db):
    services.letterhead_update(actor=SYSTEM, campaign=campaign_get(), issuer="景泰县城乡环境整治办公室", prefix="景整办")
    built = content.build(latest())
    assert built.issuer == "景泰县城乡环境整治办公室"
    # The number is the week's serial among the year's published weeks (the demo's weeks end this week).
    year = latest().week[:4]
    serial = Round.objects.filter(status="published", week__startswith=f"{year}-W").count()
    assert built.doc_number == f"景整办〔{year}〕{serial}号"
    with pytest.raises(services.Refused):
        services.letterhead_update(actor=SYSTEM, campaign=campaign_get(), issuer=" ", prefix="x")


def test_a_failed_generation_leaves_no_file_and_no_row(db, monkeypatch):
    round_ = latest()
    Bulletin.objects.filter(round=round_).delete()  # the demo made one: this is the first making, failing
    before = set(default_storage.listdir(f"bulletins/default/{round_.week}")[1]) if default_storage.exists(
        f"bulletins/default/{round_.week}") else set()

    def broken(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError, match="audit down"):
        services.bulletin_generate(actor=SYSTEM, round_=round_)
    assert not Bulletin.objects.filter(round=round_).exists()
    after = set(default_storage.listdir(f"bulletins/default/{round_.week}")[1]) if default_storage.exists(
        f"bulletins/default/{round_.week}") else set()
    assert after == before


def test_an_unpublished_round_has_no_bulletin(db):
    current = Round.objects.exclude(status__in=["published", "superseded"]).first()
    with pytest.raises(services.Refused) as refused:
        services.bulletin_generate(actor=SYSTEM, round_=current)
    assert refused.value.code == "bulletin_unpublished"


def test_only_the_office_generates(users):
    for role in ("leader", "town_staff", "village_staff", "inspector"):
        with pytest.raises(services.PermissionDenied):
            services.bulletin_generate(actor=users[role], round_=latest())


# The queue ------------------------------------------------------------------------------------------------


def test_publishing_queues_the_bulletin_in_the_same_transaction(db):
    from django_tasks_db.models import DBTaskResult

    from dudao.ranking import services as ranking

    round_ = latest()
    week = weeks.add_weeks(Round.objects.order_by("-week_start").first().week, 5)
    campaign = campaign_get()
    codes = list(Result.objects.filter(round=round_, position__isnull=False).values_list("unit__code", flat=True))
    from dudao.core.tables import write_csv

    data = write_csv(["code", "score"], [[code, str(n)] for n, code in enumerate(codes)])
    assert ranking.ranking_import(actor=SYSTEM, campaign=campaign, week=week, source="drone", data=data,
                                  filename="d.csv").ok
    ranking.ranking_compute(actor=SYSTEM, campaign=campaign, week=week)
    queued_before = DBTaskResult.objects.filter(task_path__endswith="generate_bulletin").count()
    published = publication.round_publish(actor=SYSTEM, campaign=campaign, week=week, reason="只有航拍")
    tasks = DBTaskResult.objects.ready().filter(task_path="dudao.bulletins.tasks.generate_bulletin")
    assert tasks.count() == queued_before + 1
    task = tasks.order_by("-enqueued_at").first()
    assert task.args_kwargs == {"args": [published.pk], "kwargs": {}}
    assert task.task.call(*task.args_kwargs["args"]) == "generated"
    assert Bulletin.objects.filter(round=published).exists()
    assert task.task.call(published.pk) == "exists"


# The command line ---------------------------------------------------------------------------------------------


def test_cli_writes_the_three_files_and_prints_their_paths(db, tmp_path):
    week = latest().week
    Bulletin.objects.filter(round=latest()).delete()  # the demo made it: this run makes it
    out, err = io.StringIO(), io.StringIO()
    call_command("bulletin", "--week", week, "-o", str(tmp_path), stdout=out, stderr=err)
    paths = out.getvalue().split()
    assert paths == [str(tmp_path / f"bulletin-{week}.{kind}") for kind in ("docx", "pdf", "xlsx")]
    bulletin = Bulletin.objects.get(round=latest())
    for path, kind in zip(paths, ("docx", "pdf", "xlsx"), strict=True):
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == getattr(bulletin, f"{kind}_sha256")
    assert err.getvalue() == f"Making the bulletin of week {week}…\n"
    # A second run writes the stored files without making them again, and says nothing on stderr.
    out2, err2 = io.StringIO(), io.StringIO()
    call_command("bulletin", "--week", week, "-o", str(tmp_path), stdout=out2, stderr=err2)
    assert out2.getvalue().split() == paths
    assert err2.getvalue() == ""
    assert Bulletin.objects.get(round=latest()).generated_at == bulletin.generated_at


def test_cli_writes_a_bulletin_already_made_without_making_it(db, tmp_path):
    round_ = latest()
    made = Bulletin.objects.get(round=round_)  # the demo made every published week's bulletin
    events = AuditEvent.objects.filter(action="bulletin.generate").count()
    out, err = io.StringIO(), io.StringIO()
    call_command("bulletin", "--week", round_.week, "-o", str(tmp_path), stdout=out, stderr=err)
    assert err.getvalue() == ""
    assert out.getvalue().split() == [str(tmp_path / f"bulletin-{round_.week}.{kind}")
                                      for kind in ("docx", "pdf", "xlsx")]
    assert hashlib.sha256((tmp_path / f"bulletin-{round_.week}.docx").read_bytes()).hexdigest() == made.docx_sha256
    assert Bulletin.objects.get(round=round_).generated_at == made.generated_at
    assert AuditEvent.objects.filter(action="bulletin.generate").count() == events


def test_cli_makes_the_folder_it_is_given(db, tmp_path):
    out = io.StringIO()
    call_command("bulletin", "--week", latest().week, "-o", str(tmp_path / "new" / "folder"), stdout=out,
                 stderr=io.StringIO())
    assert [Path(p).parent for p in out.getvalue().split()] == [tmp_path / "new" / "folder"] * 3


def test_cli_defaults_to_the_current_folder(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    call_command("bulletin", "--week", latest().week, stdout=out, stderr=io.StringIO())
    assert [Path(p).name for p in out.getvalue().split()] == [f"bulletin-{latest().week}.{k}"
                                                              for k in ("docx", "pdf", "xlsx")]
    assert all((tmp_path / Path(p).name).is_file() for p in out.getvalue().split())


@pytest.mark.parametrize(("args", "message"), [
    (["--week", "2026-10"], "is not an ISO week"),
    (["--week", "2019-W10"], "is not published"),
    (["--week", "LATEST", "--campaign", "nope"], "There is no campaign nope"),
    (["--week", "LATEST", "-o", "A_FILE/folder"], "is not a folder"),
])
def test_cli_refusals(db, tmp_path, args, message):
    (tmp_path / "file").write_text("not a folder")
    args = [latest().week if a == "LATEST" else str(tmp_path / "file" / "folder") if a == "A_FILE/folder" else a
            for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("bulletin", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_cli_refuses_the_week_being_collected(db):
    current = Round.objects.exclude(status__in=["published", "superseded"]).order_by("-week_start").first()
    with pytest.raises(CommandError, match=f"Week {current.week} is not published"):
        call_command("bulletin", "--week", current.week, stdout=io.StringIO(), stderr=io.StringIO())


def test_cli_says_why_a_template_failing_on_the_week_cannot_make_its_bulletin(db, tmp_path):
    newest, older = Round.objects.filter(status="published").order_by("-week_start")[:2]
    template = Document()
    template.add_paragraph(f'{{% if week != "{newest.week}" %}}{{{{ nope }}}}{{% endif %}}')
    data = io.BytesIO()
    template.save(data)
    services.template_upload(actor=SYSTEM, campaign=campaign_get(), data=data.getvalue(), name="weekly.docx")
    Bulletin.objects.filter(round=older).delete()
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("bulletin", "--week", older.week, "-o", str(tmp_path), stdout=io.StringIO(), stderr=err)
    message = str(refused.value)
    assert message.startswith(f"The bulletin of week {older.week} cannot be made with the active template: "
                              "The template uses an unknown variable: 'nope' is undefined")
    assert "Traceback" not in message
    assert err.getvalue() == f"Making the bulletin of week {older.week}…\n"
    assert list(tmp_path.iterdir()) == []
    assert not Bulletin.objects.filter(round=older).exists()


def test_cli_exit_code_and_streams_in_a_real_process(fresh_home, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update({"DUDAO_HOME": str(fresh_home), "LANG": "en_US.UTF-8"})
    done = subprocess.run([DUDAO, "bulletin", "--week", "2026-W10", "-o", str(tmp_path)], env=env,
                          capture_output=True, timeout=120)
    assert done.returncode != 0
    assert done.stdout == b""
    assert b"Week 2026-W10 is not published: it has no bulletin." in done.stderr


def test_making_a_pdf_leaves_truncated_photos_refused(db):
    # WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES when imported; dudao.core.pdf puts it back.
    from PIL import ImageFile

    from dudao.bulletins import pdf
    from dudao.photos import imaging

    pdf.render(content.build(latest()))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    whole = io.BytesIO()
    Image.linear_gradient("L").resize((800, 600)).convert("RGB").save(whole, "JPEG", quality=95)
    with pytest.raises(imaging.ImageRefused) as refused:
        imaging.process(whole.getvalue()[: len(whole.getvalue()) // 2])
    assert refused.value.code == "corrupt"


def test_a_revision_gets_its_own_document_number_and_no_number_is_issued_twice(db):
    from dudao.bulletins.models import DocumentNumber
    from dudao.ranking import services as ranking

    campaign = campaign_get()
    old = latest()
    year = int(old.week[:4])
    issued = list(DocumentNumber.objects.filter(campaign=campaign, year=year).order_by("serial")
                  .values_list("serial", flat=True))
    assert issued == list(range(1, len(issued) + 1))  # the demo's bulletins: one number each, none repeated
    old_number = Bulletin.objects.get(round=old).letterhead["doc_number"]
    ranking.ranking_revise(actor=SYSTEM, campaign=campaign, week=old.week, reason="更正一处录入错误")
    ranking.ranking_compute(actor=SYSTEM, campaign=campaign, week=old.week)
    new = publication.round_publish(actor=SYSTEM, campaign=campaign, week=old.week)
    made = services.bulletin_generate(actor=SYSTEM, round_=new)
    prefix = content.letterhead_now(campaign)[1]
    assert made.letterhead["doc_number"] == f"{prefix}〔{year}〕{len(issued) + 1}号"
    assert made.letterhead["doc_number"] != old_number
    assert Bulletin.objects.get(round=old).letterhead["doc_number"] == old_number  # the issued one stands
    # Made again, the revision keeps its number; the audit says when it was issued, once.
    assert services.bulletin_generate(actor=SYSTEM, round_=new).letterhead == made.letterhead
    issues = AuditEvent.objects.filter(action="bulletin.number_issue", object_id=f"{campaign.slug}/{old.week}")
    assert [event.after for event in issues.order_by("seq")] == [
        {"revision": old.revision, "doc_number": old_number},
        {"revision": new.revision, "doc_number": made.letterhead["doc_number"]}]
    assert DocumentNumber.objects.filter(campaign=campaign, year=year).count() == len(issued) + 1


def test_a_template_trial_issues_no_number(db):
    from dudao.bulletins.models import DocumentNumber

    before = DocumentNumber.objects.count()
    services.template_upload(actor=SYSTEM, campaign=campaign_get(), data=word.default_template(), name="t.docx")
    assert DocumentNumber.objects.count() == before
