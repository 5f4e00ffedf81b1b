"""Per-village extracts of the weekly bulletin: the numbers read back from the stored round, the problems as they
stood at the end of the week, the pages (HTML, one-page PDF, a township's PDF) and who may open them."""

import ctypes
import datetime as dt
import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from dudao.accounts.access import SYSTEM
from dudao.bulletins import views as bulletin_views
from dudao.bulletins.extracts import NotInRound, extracts_for, problems_moment, village_extract
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.inspections.models import Inspection
from dudao.interviews.models import Interview
from dudao.org.access import area_roots
from dudao.org.models import Unit
from dudao.problems import services as problems
from dudao.problems.models import Category, Problem, ProblemEvent
from dudao.ranking import services as ranking
from dudao.ranking.explain import explain
from dudao.ranking.models import Result, Round, RoundStatus, Tier

DASHUI = "620423103200"  # 大水䃎村, 喜泉镇 (demo_village's village)
XIQUAN = "620423103000"  # 喜泉镇 (demo_town's township)


@pytest.fixture
def round_(db) -> Round:
    """The latest published round of the demo (the week before the current, collecting one)."""
    return (Round.objects.filter(status=RoundStatus.PUBLISHED).select_related("settings")
            .order_by("-week_start").first())


@pytest.fixture
def dashui(db) -> Unit:
    return Unit.objects.get(code=DASHUI)


def _other_village_in_town() -> Unit:
    return Unit.objects.filter(parent__code=XIQUAN, level="village").exclude(code=DASHUI).order_by("code").first()


def _village_elsewhere() -> Unit:
    return Unit.objects.filter(level="village").exclude(parent__code=XIQUAN).order_by("code").first()


def _url(week: str, code: str, pdf: bool = False) -> str:
    return f"/bulletins/{week}/village/{code}.pdf" if pdf else f"/bulletins/{week}/village/{code}/"


# The numbers --------------------------------------------------------------------------------------------------


def test_extract_is_the_stored_result(round_, dashui):
    e = village_extract(round_, dashui)
    r = Result.objects.select_related("round__settings", "town").get(round=round_, unit=dashui)
    assert (e.name, e.official_name, e.town_code, e.town_name) == ("大水䃎村", "大水䃎村民委员会", XIQUAN, "喜泉镇")
    assert (e.week, e.revision, e.round_id) == (round_.week, round_.revision, round_.pk)
    assert e.position == r.position and e.position is not None
    assert e.ranked == Result.objects.filter(round=round_, position__isnull=False).count()
    assert e.composite == r.composite
    assert (e.tier, e.red_streak, e.escalated, e.capped) == (r.tier, r.red_streak, r.escalated, r.capped)
    assert e.tier_label == getattr(round_.settings, f"{r.tier}_label")
    assert e.tier_colour == getattr(round_.settings, f"{r.tier}_colour")
    # Each source's view: the stored fractional rank and percentile, the scope sizes as the village page explains them.
    explained = explain(r)
    assert [s.source for s in e.sources] == ["town", "inspection", "drone"]
    for view, part in zip(e.sources, explained.parts, strict=True):
        assert view.rank == getattr(r, f"r_{view.source}")
        assert view.percentile == getattr(r, f"p_{view.source}")
        assert view.covered == (view.percentile is not None)
        if view.covered:
            assert view.scope_size == part.n
            assert view.points == pytest.approx(100 * view.percentile)
    assert (e.higher, e.lower, e.tied) == (explained.higher, explained.lower, explained.tied)
    town, inspection, drone = e.sources
    assert town.covered and town.submitted_kind == "rank" and town.basis is None and town.scope == "喜泉镇"
    assert inspection.covered == (r.p_inspection is not None)
    # Its drone source was uploaded as a sheet: no photos to count.
    assert not round_.drone_from_photos and drone.basis is None
    # Last week: the previous published round's row.
    previous = (Round.objects.filter(status=RoundStatus.PUBLISHED, week_start__lt=round_.week_start)
                .order_by("-week_start").first())
    before = Result.objects.get(round=previous, unit=dashui)
    assert (e.previous_week, e.previous_tier, e.previous_position) == (previous.week, before.tier, before.position)
    assert e.position_change == before.position - r.position
    # The explanation names the position, the count and the tier's label.
    assert f"{r.position}" in e.explanation and f"{e.ranked}" in e.explanation and e.tier_label in e.explanation


def test_inspection_view_counts_the_inspections_behind_it(round_):
    # The demo's inspection source comes from field inspections: the score is the mean of the week's counted ones.
    assert round_.inspection_from_field
    inspected = list(Result.objects.filter(round=round_, p_inspection__isnull=False).select_related("unit"))
    assert inspected
    for r in inspected[:5]:
        view = village_extract(round_, r.unit).sources[1]
        counted = Inspection.objects.filter(week=round_.week, village=r.unit, counts=True)
        assert view.source == "inspection" and view.covered
        assert view.basis == counted.count() > 0
        assert view.submitted_kind == "score"
        assert view.submitted == pytest.approx(sum(i.score for i in counted) / view.basis, abs=0.005)
        assert view.scope == gettext("the county")
        assert view.scope_size == Result.objects.filter(round=round_, p_inspection__isnull=False).count()
    # A village no inspection covered: nothing behind it.
    uncovered = Result.objects.filter(round=round_, p_inspection__isnull=True).select_related("unit").first()
    view = village_extract(round_, uncovered.unit).sources[1]
    assert not view.covered and view.basis == 0 and view.points is None


def test_red_village_carries_its_interviews(round_):
    red = (Result.objects.filter(round=round_, tier=Tier.RED).select_related("unit")
           .order_by("-red_streak", "position").first())
    e = village_extract(round_, red.unit)
    stored = list(Interview.objects.filter(round=round_, villages=red.unit).select_related("person"))
    assert len(e.interviews) == len(stored) >= 2
    assert sorted((i.role, i.vacant, i.person_name) for i in e.interviews) == sorted(
        (i.role, i.vacant, i.person.name if i.person else None) for i in stored)
    assert e.interviews[0].reason == "red"  # the village's own posts first
    assert e.tier == Tier.RED and e.red_streak == red.red_streak
    ranked = Result.objects.filter(round=round_, position__isnull=False).count()
    assert e.explanation == gettext("Position %(position)s of %(total)s: in the bottom %(red)s, so %(tier)s.") % {
        "position": red.position, "total": ranked, "red": round_.settings.red_count, "tier": e.tier_label}


def test_extracts_for_agrees_with_village_extract_in_few_queries(round_, dashui, django_assert_max_num_queries):
    xiquan = Unit.objects.get(code=XIQUAN)
    with django_assert_max_num_queries(10):
        everything = extracts_for(round_)
    with django_assert_max_num_queries(10):
        town = extracts_for(round_, town=xiquan)
    assert len(everything) == Result.objects.filter(round=round_).count()
    assert [e.code for e in town] == list(Result.objects.filter(round=round_, town=xiquan)
                                          .order_by(F("position").asc(nulls_last=True), "unit__code")
                                          .values_list("unit__code", flat=True))
    by_code = {e.code: e for e in everything}
    assert by_code[DASHUI] == village_extract(round_, dashui)
    for e in town:
        assert by_code[e.code] == e
    positions = [e.position for e in everything if e.position is not None]
    assert positions == sorted(positions)


def test_a_village_not_in_the_round(round_):
    xiquan = Unit.objects.get(code=XIQUAN)
    new = Unit.objects.create(code="620423103299", name="新建村", level="village", parent=xiquan,
                              path=f"{xiquan.path}620423103299/")
    with pytest.raises(NotInRound):
        village_extract(round_, new)


# Problems as they stood at the end of the week -----------------------------------------------------------------


def _move(problem: Problem, when: dt.datetime) -> Problem:
    """Move a problem's history (its times and its timeline) so that it was reported at ``when``."""
    shift = problem.reported_at - when
    fields = ("reported_at", "dispatched_at", "deadline", "rectified_at", "first_rectified_at", "verified_at",
              "closed_at")
    Problem.objects.filter(pk=problem.pk).update(**{f: F(f) - shift for f in fields})
    ProblemEvent.objects.filter(problem=problem).update(at=F("at") - shift)
    return Problem.objects.get(pk=problem.pk)


def test_open_and_overdue_problems_at_the_end_of_the_week(round_, dashui, users):
    campaign = campaign_get()
    category = Category.objects.filter(campaign=campaign).order_by("position").first()
    start = timezone.make_aware(dt.datetime.combine(weeks.week_start(round_.week), dt.time()))
    assert problems_moment(round_) == start + dt.timedelta(days=7)  # the week is over
    # The demo's problems of 大水䃎村 are all of the current week: none was open at the end of this one.
    before = village_extract(round_, dashui)
    assert before.open_problems == () and before.overdue_problems == ()

    def report(text: str) -> Problem:
        return problems.problem_report(actor=users["village_staff"], campaign=campaign, village=dashui,
                                       category=category, description=text, source="grid")

    def dispatched(text: str) -> Problem:
        problem = problems.problem_register(actor=users["town_staff"], problem=report(text))
        return problems.problem_dispatch(actor=users["town_staff"], problem=problem)

    # A: dispatched on Monday, due Tuesday night: overdue at the end of the week.
    a = _move(dispatched("A"), start + dt.timedelta(hours=9))
    Problem.objects.filter(pk=a.pk).update(deadline=start + dt.timedelta(days=1, hours=23, minutes=59))
    # B: reported on Tuesday, never registered: open, no deadline.
    b = _move(report("B"), start + dt.timedelta(days=1, hours=10))
    # C: reported and cancelled on Wednesday: not open.
    c = report("C")
    problems.problem_cancel(actor=users["town_staff"], problem=c, note="重复")
    _move(c, start + dt.timedelta(days=2, hours=10))
    # D: registered and dispatched on Monday, due Tuesday, cancelled only now: overdue as the week ended.
    d = _move(dispatched("D"), start + dt.timedelta(hours=10))
    Problem.objects.filter(pk=d.pk).update(deadline=start + dt.timedelta(days=1, hours=23, minutes=59))
    problems.problem_cancel(actor=users["town_staff"], problem=Problem.objects.get(pk=d.pk), note="已核实")
    # E: reported now, after the week: not in it.
    report("E")
    # F: dispatched on Friday, due the next Tuesday: open, not overdue.
    f = _move(dispatched("F"), start + dt.timedelta(days=4, hours=10))
    Problem.objects.filter(pk=f.pk).update(deadline=start + dt.timedelta(days=8, hours=23, minutes=59))

    e = village_extract(round_, dashui)
    assert sorted(p.pk for p in e.open_problems) == sorted([a.pk, b.pk, d.pk, f.pk])
    assert sorted(p.pk for p in e.overdue_problems) == sorted([a.pk, d.pk])
    assert len(e.open_problems) == 4 and len(e.overdue_problems) == 2
    lines = {p.pk: p for p in e.open_problems}
    assert lines[d.pk].status == "dispatched"  # as it was then, although cancelled now
    assert lines[b.pk].status == "reported" and lines[b.pk].deadline is None
    assert lines[f.pk].deadline == start + dt.timedelta(days=8, hours=23, minutes=59)
    assert lines[a.pk].number == Problem.objects.get(pk=a.pk).number
    assert lines[a.pk].category == category.name
    assert e.open_problems[0].overdue and e.open_problems[1].overdue  # overdue ones first

    # Seen on Monday at noon (while the week ran): A and D were open, neither overdue yet.
    monday = village_extract(round_, dashui, now=start + dt.timedelta(hours=12))
    assert sorted(p.pk for p in monday.open_problems) == sorted([a.pk, d.pk])
    assert monday.overdue_problems == ()
    # extracts_for sees the same.
    assert next(x for x in extracts_for(round_) if x.code == DASHUI) == e


# Pages and who may open them -------------------------------------------------------------------------------------


def test_village_page(round_, users, client_for):
    response = client_for(users["village_staff"]).get(_url(round_.week, DASHUI))
    assert response.status_code == 200
    html = response.content.decode()
    r = Result.objects.get(round=round_, unit__code=DASHUI)
    assert "大水䃎村" in html and 'name="viewport"' in html
    assert f'data-position="{r.position}"' in html and f'data-tier="{r.tier}"' in html
    assert f"/bulletins/{round_.week}/village/{DASHUI}.pdf" in html
    assert f"villages.pdf?town={XIQUAN}" not in html  # the township's PDF is not the village's to open


@pytest.mark.parametrize(("role", "own", "same_town", "elsewhere"), [
    ("village_staff", 200, 404, 404),
    ("town_staff", 200, 200, 404),
    ("office", 200, 200, 200),
    ("leader", 200, 200, 200),
    ("county_admin", 200, 200, 200),
])
def test_access(round_, users, client_for, role, own, same_town, elsewhere):
    client = client_for(users[role])
    assert client.get(_url(round_.week, DASHUI)).status_code == own
    assert client.get(_url(round_.week, _other_village_in_town().code)).status_code == same_town
    assert client.get(_url(round_.week, _village_elsewhere().code)).status_code == elsewhere
    assert client.get(_url(round_.week, _village_elsewhere().code, pdf=True)).status_code == elsewhere


def test_inspectors_see_their_groups_townships(round_, users, client_for):
    inspector = users["inspector"]
    towns = area_roots(inspector)
    assert towns and XIQUAN not in [t.code for t in towns]
    theirs = Unit.objects.filter(parent=towns[0], level="village").order_by("code").first()
    client = client_for(inspector)
    assert client.get(_url(round_.week, theirs.code)).status_code == 200
    assert client.get(_url(round_.week, DASHUI)).status_code == 404


def test_not_found(round_, users, client_for):
    client = client_for(users["office"])
    current = Round.objects.exclude(status__in=[RoundStatus.PUBLISHED, RoundStatus.SUPERSEDED]).get()
    response = client.get(_url(current.week, DASHUI))  # collecting, not published
    assert response.status_code == 404 and current.week in response.content.decode()
    assert client.get(_url(current.week, DASHUI, pdf=True)).status_code == 404
    assert client.get(f"/bulletins/{current.week}/villages.pdf?town={XIQUAN}").status_code == 404
    assert client.get(_url("2020-W01", DASHUI)).status_code == 404  # no round at all
    assert client.get(_url("2026-W99", DASHUI)).status_code == 404  # no such week
    assert client.get(f"/bulletins/2026-10/village/{DASHUI}/").status_code == 404  # not a week
    assert client.get(_url(round_.week, XIQUAN)).status_code == 404  # a township, not a village
    assert client.get(_url(round_.week, "620423999999")).status_code == 404  # no such unit
    xiquan = Unit.objects.get(code=XIQUAN)
    Unit.objects.create(code="620423103299", name="新建村", level="village", parent=xiquan,
                        path=f"{xiquan.path}620423103299/")
    response = client.get(_url(round_.week, "620423103299"))
    assert response.status_code == 404
    assert "新建村" in response.content.decode() and round_.week in response.content.decode()


def test_anonymous_is_sent_to_sign_in(round_, client):
    response = client.get(_url(round_.week, DASHUI))
    assert response.status_code == 302 and "login" in response["Location"]


# PDF ------------------------------------------------------------------------------------------------------------


def _fonts(page) -> dict[str, bool]:
    """The fonts of a page's text objects (subset prefix removed) and whether each is embedded."""
    fonts = {}
    for obj in page.get_objects():
        if obj.type == pdfium_raw.FPDF_PAGEOBJ_TEXT:
            font = pdfium_raw.FPDFTextObj_GetFont(obj.raw)
            size = pdfium_raw.FPDFFont_GetBaseFontName(font, None, 0)
            buffer = ctypes.create_string_buffer(size)
            pdfium_raw.FPDFFont_GetBaseFontName(font, buffer, size)
            fonts[buffer.value.decode().split("+")[-1]] = bool(pdfium_raw.FPDFFont_GetIsEmbedded(font))
    return fonts


def _pdf_text(data: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(data)
    return [pdf[n].get_textpage().get_text_range() for n in range(len(pdf))]


def test_village_pdf(round_, users, client_for):
    response = client_for(users["village_staff"]).get(_url(round_.week, DASHUI, pdf=True))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"extract-{round_.week}-{DASHUI}.pdf" in response["Content-Disposition"]
    data = response.content
    pages = _pdf_text(data)
    assert len(pages) == 1  # one A4 page
    r = Result.objects.get(round=round_, unit__code=DASHUI)
    text = pages[0]
    assert "大水䃎村" in text  # U+40CE, CJK extension A: the embedded Noto Sans CJK SC has it
    assert getattr(round_.settings, f"{r.tier}_label") in text
    assert round_.week in text
    pdf = pdfium.PdfDocument(data)
    fonts = _fonts(pdf[0])
    assert "Noto-Sans-CJK-SC" in fonts and all(name.startswith("Noto-Sans-CJK-SC") for name in fonts)
    assert all(fonts.values())  # embedded
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    image = pdf[0].render(scale=1).to_pil().convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 2000  # text and the tier badge, not a blank page
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert len(buffer.getvalue()) > 5000


def test_town_pdf_has_a_page_per_village(round_, users, client_for):
    client = client_for(users["town_staff"])
    response = client.get(f"/bulletins/{round_.week}/villages.pdf?town={XIQUAN}")
    assert response.status_code == 200
    villages = Result.objects.filter(round=round_, town__code=XIQUAN).count()
    pages = _pdf_text(response.content)
    assert len(pages) == villages > 1
    assert sum("大水䃎村" in page for page in pages) == 1
    # Their own township without naming it; another township not.
    assert client.get(f"/bulletins/{round_.week}/villages.pdf").status_code == 200
    elsewhere = _village_elsewhere().parent.code
    assert client.get(f"/bulletins/{round_.week}/villages.pdf?town={elsewhere}").status_code == 404
    # A village's staff do not get the township's pages; the office names the township.
    assert client_for(users["village_staff"]).get(
        f"/bulletins/{round_.week}/villages.pdf?town={XIQUAN}").status_code == 404
    office = client_for(users["office"])
    assert office.get(f"/bulletins/{round_.week}/villages.pdf").status_code == 400
    assert office.get(f"/bulletins/{round_.week}/villages.pdf?town={DASHUI}").status_code == 404  # not a township


def test_every_page_stays_one_page_with_many_problems(round_, dashui, users):
    campaign = campaign_get()
    category = Category.objects.filter(campaign=campaign).order_by("position").first()
    start = timezone.make_aware(dt.datetime.combine(weeks.week_start(round_.week), dt.time()))
    for n in range(bulletin_views.PDF_PROBLEMS + 5):
        problem = problems.problem_report(actor=users["office"], campaign=campaign, village=dashui,
                                          category=category, description=f"问题{n}" * 10)
        _move(problem, start + dt.timedelta(hours=9, minutes=n))
    e = village_extract(round_, dashui)
    assert len(e.open_problems) == bulletin_views.PDF_PROBLEMS + 5
    assert len(_pdf_text(bulletin_views.pdf_bytes([e]))) == 1


def test_a_revision_awaiting_approval_leaves_the_published_one_shown(round_, users, client_for):
    revised = ranking.ranking_revise(actor=SYSTEM, campaign=campaign_get(), week=round_.week, reason="更正")
    assert revised.revision == round_.revision + 1
    response = client_for(users["village_staff"]).get(_url(round_.week, DASHUI))
    assert response.status_code == 200
    assert f'data-week="{round_.week}"' in response.content.decode()
    assert bulletin_views.published_round(round_.week).pk == round_.pk


def test_drone_view_counts_the_photos_behind_it(round_, dashui):
    from dudao.drone.models import DronePhoto

    # A week whose drone source came from photos scored in Dudao: the view says how many were scored there.
    Round.objects.filter(pk=round_.pk).update(drone_from_photos=True)
    round_.refresh_from_db()
    scored = DronePhoto.objects.filter(batch__week=round_.week, village=dashui, outside_week=False,
                                       score__isnull=False, scored_at__lte=round_.computed_at).count()
    drone = village_extract(round_, dashui).sources[2]
    assert drone.source == "drone" and drone.basis == scored


# Sentences ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("at_week_end", "n_open", "n_overdue", "expected"), [
    (True, 4, 2, '4 open at the end of the week (2026-11-22), <span class="overdue">2 overdue</span>.'),
    (True, 1, 0, "1 open at the end of the week (2026-11-22)."),
    (True, 0, 0, "0 open at the end of the week (2026-11-22)."),
    (False, 3, 1, '3 open on 2026-11-20 12:00, <span class="overdue">1 overdue</span>.'),
    (False, 2, 0, "2 open on 2026-11-20 12:00."),
])
def test_open_problems_are_one_sentence_each(at_week_end, n_open, n_overdue, expected):
    """Each case is one message (its punctuation is the translation's), not pieces joined with English commas."""
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    e = SimpleNamespace(problems_at_week_end=at_week_end, week_end=dt.date(2026, 11, 22),
                        problems_as_of=timezone.make_aware(dt.datetime(2026, 11, 20, 12)),
                        open_problems=[object()] * n_open, overdue_problems=[object()] * n_overdue)
    with translation.override("en"):
        html = render_to_string("bulletins/extract_open_problems.html", {"e": e, "overdue_class": "overdue"})
    assert html.strip() == expected


def test_interviews_are_one_sentence_each(round_, users, client_for):
    red = (Result.objects.filter(round=round_, tier=Tier.RED).select_related("unit")
           .order_by("-red_streak", "position").first())
    with translation.override("en"):  # the page is asked for in English: its labels are English
        e = village_extract(round_, red.unit)
    response = client_for(users["office"]).get(_url(round_.week, red.unit.code), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert len(e.interviews) >= 2 and any(not i.vacant for i in e.interviews)
    for i in e.interviews:
        who = '<span class="vacant">post vacant</span>' if i.vacant else i.person_name
        assert (f'<strong>{i.role_label}</strong>, {i.unit_name}: {who} '
                f'<span class="muted small">({i.reason_label})</span>') in html


def test_the_previous_week_s_position_says_among_how_many(round_, dashui, users, client_for):
    previous = (Round.objects.filter(status=RoundStatus.PUBLISHED, week_start__lt=round_.week_start)
                .order_by("-week_start").first())
    # Last week 19 fewer villages were ranked than this week.
    dropped = (Result.objects.filter(round=previous, position__isnull=False).exclude(unit=dashui)
               .order_by("-position").values_list("pk", flat=True)[:19])
    Result.objects.filter(pk__in=list(dropped)).update(position=None, tier="")
    ranked = Result.objects.filter(round=round_, position__isnull=False).count()
    before = Result.objects.get(round=previous, unit=dashui)
    e = village_extract(round_, dashui)
    assert (e.ranked, e.previous_ranked, e.same_field) == (ranked, ranked - 19, False)
    page = client_for(users["village_staff"]).get(_url(round_.week, DASHUI), HTTP_ACCEPT_LANGUAGE="en")
    text = " ".join(page.content.decode().split())
    assert (f"Week {previous.week}: position {before.position} among {ranked - 19}, {e.previous_tier_label}"
            in text)
    assert (f"This week {ranked} villages were ranked, in the week before {ranked - 19}: the places moved count "
            "in fields of different sizes.") in text
