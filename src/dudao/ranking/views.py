"""Pages of the weekly round: a township's submission, the office's round page (its buttons are
dudao.publication.views'), the result table with its checks, a village's history and explanation, the settings
and the inspection groups' part of the inspection source.

Reads go through ranking.selectors (scoped by ranking.access and org.access), every change through
ranking.services; nothing here decides who may do what or how a round is computed. The views only pick the round
to show, and put the stored numbers in words. The week's interviews are dudao.interviews' page.
"""

import hashlib
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.html import format_html
from django.utils.http import quote_etag, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dudao.accounts import access
from dudao.accounts.actors import is_actor
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.http import download, require, week_or_404
from dudao.core.messages import describe, describe_with_row
from dudao.core.paging import paginate
from dudao.core.tables import Problem, write_csv
from dudao.inspections import selectors as inspection_selectors
from dudao.org.access import area_roots, town_of, unit_visible_or_404, units_visible_to
from dudao.org.models import Level, Unit
from dudao.ranking import checks, exports, lifecycle, selectors, services
from dudao.ranking.access import can_submit_for_town, can_submit_inspection, results_visible_to, statuses_visible_to
from dudao.ranking.explain import explain
from dudao.ranking.forms import SettingsForm, SourceUploadForm, UploadForm
from dudao.ranking.models import (
    SOURCES,
    Entry,
    RankingSettings,
    Result,
    Round,
    RoundStatus,
    SourceName,
    Tier,
)
from dudao.ranking.tiers import TierStyle, colours_in_use, stylesheet, tier_styles


def _this_week() -> str:
    return weeks.week_of(timezone.localdate())



def _decorate(results: list[Result], styles: dict[str, TierStyle]) -> None:
    for row in results:
        row.style = styles.get(row.tier)  # type: ignore[attr-defined]
        row.sources = [(getattr(row, f"r_{s}"), getattr(row, f"p_{s}")) for s in SOURCES]  # type: ignore[attr-defined]
        row.coverage = sum(1 for s in SOURCES if getattr(row, f"p_{s}") is not None)  # type: ignore[attr-defined]


def _fixed(value: float, places: int) -> str:
    """The floatformat filter's text for a number (half up on its shortest decimal form, "." as in both
    languages), without the filter's per-call locale lookups: a long table calls it hundreds of times."""
    return str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _rank_text(value: float) -> str:
    """floatformat:"-1": a whole rank without decimals, a shared (mean) place with one."""
    return str(int(value)) if value == int(value) else _fixed(value, 1)


MISSING = mark_safe('<span class="muted">—</span>')  # noqa: S308 (a constant)


def _row_html(row: Result, labels: dict[str, str]) -> str:
    """One row of the result table (as ranking/results.html wrote it per row, at a fraction of the cost)."""
    cells = [format_html('<td class="num">{}</td>', row.position if row.position is not None else "—"),
             format_html('<td><a href="{}">{}</a></td>', row.href, row.unit.name),  # type: ignore[attr-defined]
             format_html('<td>{}{}</td>', row.badge,  # type: ignore[attr-defined]
                         format_html(' <span class="tag" title="{}">{}</span>', labels["capped_title"],
                                     labels["capped"]) if row.capped else ""),
             format_html('<td class="num" title="{}">{}</td>', "" if row.composite is None else row.composite,
                         _fixed(row.composite, 2) if row.composite is not None
                         else format_html('<span class="muted">{}</span>', labels["not_ranked"])),
             format_html("<td>{}</td>", row.town.name)]
    for r, p in row.sources:  # type: ignore[attr-defined]
        cells.append(format_html('<td class="num">{}</td><td class="num">{}</td>',
                                 MISSING if r is None else _rank_text(r), MISSING if p is None else _fixed(p, 3)))
    cells.append(format_html('<td class="num">{}/3</td><td class="num">{}</td><td>{}</td>', row.coverage,  # type: ignore[attr-defined]
                             row.red_streak,
                             format_html('<strong class="escalated">{}</strong>', labels["yes"]) if row.escalated
                             else format_html('<span class="muted">{}</span>', labels["no"])))
    return format_html('<tr data-code="{}" data-tier="{}">\n  {}\n</tr>', row.unit.code, row.tier,
                       mark_safe("\n  ".join(cells)))  # noqa: S308 (each cell escaped by format_html)


def _tier_badge(style: TierStyle | None) -> str:
    """ranking/_tier.html as a string, for a long table (one template include per row costs more than the row)."""
    if style is None:
        return '<span class="muted">—</span>'
    return format_html('<span class="tier" data-tier="{}" data-tier-colour="{}">{}</span>',
                       style.code, style.colour, style.label)


@require_safe
def tier_css(request):
    """The tiers' colours as CSS (ranking.tiers.stylesheet), linked by every page that shows a tier, the public
    portal's included, so it needs no sign-in (colours are no secret). Revalidated after a minute by its ETag."""
    css = stylesheet(colours_in_use())
    etag = quote_etag(hashlib.sha256(css.encode()).hexdigest()[:32])
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=60"
    return get_conditional_response(request, etag=etag, response=response)


# 1. A township's submission ------------------------------------------------------------------------------


def _submission_town(request) -> Unit | None:
    """The township the page submits for; None when an office user has not picked one yet."""
    user = request.user
    code = request.GET.get("town", "").strip()
    if code:
        town = unit_visible_or_404(user, code)
        if town.level != Level.TOWN:
            raise Http404
        require(can_submit_for_town(user, town))
        return town
    if access.is_office(user):
        return None
    roots = area_roots(user) or []
    if len(roots) == 1 and roots[0].level == Level.TOWN and can_submit_for_town(user, roots[0]):
        return roots[0]
    raise PermissionDenied


def _initial_order(villages: list[Unit], entries: list[Entry]) -> list[Unit]:
    """The last submitted order (rank ascending, score descending), villages not in it after, by code."""
    key = {e.unit_id: (e.rank if e.rank is not None else -(e.score or 0.0)) for e in entries}
    placed = sorted((v for v in villages if v.pk in key), key=lambda v: (key[v.pk], v.code))
    return placed + [v for v in villages if v.pk not in key]


def _problem_lines(problems: list[Problem], names: dict[int, str] | None = None) -> list[str]:
    """Problems with their row numbers; for the forms, whose rows are villages, with the village's name."""
    lines = []
    for problem in problems:
        if names and problem.row in names:
            lines.append(_("%(village)s: %(message)s") % {"village": names[problem.row], "message": describe(problem)})
        else:
            lines.append(describe_with_row(problem))
    return lines


@login_required
def submit(request):
    user = request.user
    campaign = campaign_get()
    week = _this_week()
    town = _submission_town(request)
    round_ = selectors.round_live(campaign, week)
    if town is None:
        return render(request, "ranking/submit_pick.html", {
            "week": week, "round": round_, "town_rows": selectors.town_rows(campaign, round_)})
    villages = selectors.town_villages(campaign, town)
    closed = round_ is not None and round_.status not in lifecycle.OPEN
    problems: list[str] = []
    upload_form = UploadForm()
    posted_order: list[str] = []
    posted_scores: dict[int, str] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        names: dict[int, str] = {}
        report = None
        if action == "order":
            codes = [code.strip() for code in request.POST.getlist("code")]
            by_code = {v.code: v.name for v in villages}
            names = {n + 2: by_code.get(code, code) for n, code in enumerate(codes)}
            report = services.ranking_submit_order(actor=user, campaign=campaign, week=week, town=town, codes=codes)
            posted_order = codes
        elif action == "scores":
            rows = [[v.code, request.POST.get(f"score_{v.code}", "").strip()] for v in villages]
            names = {n + 2: v.name for n, v in enumerate(villages)}
            posted_scores = {v.pk: value for v, (_code, value) in zip(villages, rows, strict=True)}
            report = services.ranking_import(actor=user, campaign=campaign, week=week, source=SourceName.TOWN,
                                             data=write_csv(["code", "score"], rows, bom=False),
                                             filename="scores.csv", town=town)
        elif action == "upload":
            upload_form = UploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                upload = upload_form.cleaned_data["file"]
                if upload.size > django_settings.UNIT_FILE_MAX_BYTES:
                    report = services.ImportReport(problems=[
                        Problem("too_large", 0, {"max": django_settings.UNIT_FILE_MAX_BYTES // 2**20})])
                else:
                    report = services.ranking_import(actor=user, campaign=campaign, week=week,
                                                     source=SourceName.TOWN, data=upload.read(),
                                                     filename=upload.name, town=town)
        else:
            return HttpResponse(status=400)
        if report is not None and report.ok:
            messages.success(request, _("Submitted the ranking of %(count)s villages of %(town)s for week %(week)s.")
                             % {"count": report.entries, "town": town.name, "week": week})
            if report.late:
                messages.warning(request, _("The submission came after the deadline and is marked late; the "
                                            "campaign office decides whether it counts."))
            return redirect(f"{reverse('ranking_submit')}?{urlencode({'town': town.code})}")
        if report is not None:
            problems = _problem_lines(report.problems, names)
        round_ = selectors.round_live(campaign, week)
    entries = selectors.last_town_entries(campaign, villages)
    ordered = _initial_order(villages, entries)
    if posted_order:  # a refused order is shown as it was sent, to be corrected
        by_code = {v.code: v for v in villages}
        ordered = [by_code[c] for c in dict.fromkeys(posted_order) if c in by_code]
        ordered += [v for v in villages if v.code not in set(posted_order)]
    scores = {e.unit_id: f"{e.score:.15g}" for e in entries if e.score is not None} | posted_scores
    for village in villages:
        village.last_score = scores.get(village.pk, "")  # type: ignore[attr-defined]
    submission, reminder = selectors.town_submission(round_, town)
    deadline = selectors.deadline(round_ or Round(campaign=campaign, week=week,
                                                 settings=services.settings_current(campaign)))
    return render(request, "ranking/submit.html", {
        "town": town, "week": week, "week_start": weeks.week_start(week), "week_end": weeks.week_end(week),
        "round": round_, "closed": closed, "deadline": deadline, "deadline_passed": timezone.now() > deadline,
        "submission": submission, "ordered": ordered,
        "reminder": reminder, "villages": villages, "upload_form": upload_form,
        "problems": problems, "office": access.is_office(user),
    }, status=400 if problems else 200)


# 2. The office's round page -------------------------------------------------------------------------------


def _coverage(round_: Round) -> list[tuple[str, int]]:
    counts = checks.coverage(round_)
    return [(str(SourceName(s).label), counts.get(s, 0)) for s in SOURCES]


def _round_context(request, campaign, week: str) -> dict:
    round_ = selectors.round_live(campaign, week)
    revisions = selectors.revisions_of(campaign, week)
    independent = selectors.independent_submissions(round_)
    status = round_.status if round_ else None
    four_eyes = round_.settings.four_eyes if round_ else True
    user = request.user
    town_rows = selectors.town_rows(campaign, round_)
    return {
        "week": week, "week_start": weeks.week_start(week), "week_end": weeks.week_end(week),
        "this_week": _this_week(), "previous_week": weeks.add_weeks(week, -1), "next_week": weeks.add_weeks(week, 1),
        "round": round_, "revisions": revisions,
        "rounds": selectors.recent_rounds(campaign),
        "town_rows": town_rows, "missing": sum(1 for _town, s in town_rows if s is None),
        "readiness": selectors.readiness(campaign, round_),
        "late_inspections": inspection_selectors.arrived_after_close(campaign, week) if round_ else [],
        "independent": independent,
        "coverage": _coverage(round_) if round_ else [],
        "deadline": selectors.deadline(round_) if round_ else None,
        "upload_form": SourceUploadForm(),
        "can_compute": status in lifecycle.OPEN,
        "can_request": status == RoundStatus.COMPUTED and four_eyes,
        "can_publish": status == RoundStatus.COMPUTED and not four_eyes,
        "can_approve": status == RoundStatus.PENDING and round_ is not None and not is_actor(
            round_.requested_by_id, round_.requested_by_label, user),
        "can_withdraw": status == RoundStatus.PENDING,
        "can_revise": status == RoundStatus.PUBLISHED,
        "has_results": status in lifecycle.WITH_RESULTS,
        "is_open": status is None or status in lifecycle.OPEN,
        "stale": status == RoundStatus.COLLECTING and round_ is not None and round_.computed_at is not None,
    }


@login_required
def round_page(request):
    user = request.user
    campaign = campaign_get()
    if not access.is_office(user):
        roots = area_roots(user) or []
        return render(request, "ranking/weeks.html", {
            "rounds": selectors.recent_rounds(campaign, statuses_visible_to(user)),
            "can_submit": len(roots) == 1 and roots[0].level == Level.TOWN
            and can_submit_for_town(user, roots[0]),
            "villages": [r for r in roots if r.is_ranked],
        })
    week = week_or_404(request.GET.get("week", "").strip() or _this_week())
    return render(request, "ranking/round.html", _round_context(request, campaign, week))


@login_required
@require_POST
def round_upload(request, week: str):
    user = request.user
    require(access.is_office(user))
    week_or_404(week)
    campaign = campaign_get()
    form = SourceUploadForm(request.POST, request.FILES)
    problems: list[str] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        source = form.cleaned_data["source"]
        if upload.size > django_settings.UNIT_FILE_MAX_BYTES:
            problems = _problem_lines([Problem("too_large", 0,
                                               {"max": django_settings.UNIT_FILE_MAX_BYTES // 2**20})])
        else:
            report = services.ranking_import(actor=user, campaign=campaign, week=week, source=source,
                                             data=upload.read(), filename=upload.name)
            if report.ok:
                messages.success(request, _("Imported %(count)s entries of the %(source)s for week %(week)s.")
                                 % {"count": report.entries, "source": SourceName(source).label, "week": week})
                if report.late:
                    messages.warning(request, _("The import came after the deadline and is marked late."))
                return redirect(f"{reverse('ranking_round')}?{urlencode({'week': week})}")
            problems = _problem_lines(report.problems)
    context = _round_context(request, campaign, week)
    context.update({"upload_form": form, "problems": problems})
    return render(request, "ranking/round.html", context, status=400)


# 3. The result table -------------------------------------------------------------------------------------


def _round_shown(user, campaign, week: str, revision: str) -> tuple[Round, list[Round]]:
    """The revision of the week to show (?revision=N, else the live one, else the latest the user may see)."""
    revisions = selectors.revisions_of(campaign, week, statuses_visible_to(user))
    round_ = selectors.revision_shown(revisions, revision)
    if round_ is None:
        raise Http404
    return round_, revisions


def _result_rows(user, round_: Round, town: str) -> QuerySet[Result]:
    return selectors.result_rows(results_visible_to(user, round_.results.all()), town)


RESULTS_PAGE_SIZE = 50


@login_required
def results(request, week: str):
    user = request.user
    campaign = campaign_get()
    week_or_404(week)
    round_, revisions = _round_shown(user, campaign, week, request.GET.get("revision", ""))
    town = request.GET.get("town", "").strip()
    tier = request.GET.get("tier", "").strip()
    tier = tier if tier in Tier.values else ""
    styles = tier_styles(round_.settings)
    visible = results_visible_to(user, round_.results.all())
    shown = _result_rows(user, round_, town)
    tier_counts = selectors.tier_counts(shown)
    page = paginate(request, shown.filter(tier=tier) if tier else shown, RESULTS_PAGE_SIZE)
    rows = list(page.object_list)
    _decorate(rows, styles)
    badges = {code: _tier_badge(style) for code, style in styles.items()}
    village_url = reverse("ranking_village", args=["0"])[:-2]
    for row in rows:
        row.badge = badges.get(row.tier) or _tier_badge(None)  # type: ignore[attr-defined]
        row.href = (f"{village_url}{row.unit.code}/?"  # type: ignore[attr-defined]
                    + urlencode({"week": week, "revision": str(round_.revision)}))
    labels = {"capped_title": _("kept out of red: township data only"), "capped": _("capped"),
              "not_ranked": _("not ranked"), "yes": _("yes"), "no": _("no")}
    for row in rows:
        row.html = _row_html(row, labels)  # type: ignore[attr-defined]
    context: dict = {
        "round": round_, "week": week, "revisions": revisions, "rows": rows, "page": page,
        "towns": selectors.result_towns(visible), "town": town, "tier": tier,
        "styles": styles, "sources": [SourceName(s) for s in SOURCES],
        "query": urlencode({k: v for k, v in (("revision", request.GET.get("revision", "")), ("town", town)) if v}),
        "tier_counts": [(styles[t], tier_counts[t]) for t in Tier.values], "total": sum(tier_counts.values()),
        "show_checks": access.can_read_all(user),
        **selectors.neighbour_weeks(campaign, round_, statuses_visible_to(user)),
    }
    if context["show_checks"]:
        kept = checks.round_checks(round_)
        flipped = {unit.pk for flip in kept.flips for unit in flip.units}
        tiers = {r.unit_id: r for r in round_.results.filter(unit_id__in=flipped)}
        flips = []
        for flip in kept.flips:
            villages = [(unit, tiers.get(unit.pk)) for unit in flip.units]
            for _unit, result in villages:
                if result is not None:
                    result.style = styles.get(result.tier)  # type: ignore[attr-defined]
            flips.append({"source": SourceName(flip.source).label, "factor": flip.factor, "villages": villages})
        context.update({
            "coverage": [(str(SourceName(s).label), kept.coverage.get(s, 0)) for s in SOURCES],
            "ranked": kept.ranked,
            "unranked": kept.unranked,
            "agreement": kept.agreement, "flips": flips,
            "agreement_weeks": round_.settings.agreement_weeks,
        })
    return render(request, "ranking/results.html", context)


@login_required
def results_export(request, week: str, fmt: str):
    if fmt not in exports.FORMATS:
        raise Http404
    user = request.user
    campaign = campaign_get()
    week_or_404(week)
    round_, _revisions = _round_shown(user, campaign, week, request.GET.get("revision", ""))
    visible = set(_result_rows(user, round_, request.GET.get("town", "").strip()).values_list("unit__code",
                                                                                               flat=True))
    rows = [row for row in selectors.export_rows(round_) if row["code"] in visible]
    data = exports.export(rows, fmt, sheet=week, bom=True)
    return download(data, f"ranking-{week}-r{round_.revision}.{fmt}", exports.CONTENT_TYPES[fmt])


# 4. A village's history and the explanation of its composite -----------------------------------------------


@login_required
def village(request, code: str):
    user = request.user
    unit = unit_visible_or_404(user, code)
    if not unit.is_ranked:
        raise Http404
    campaign = campaign_get()
    statuses = statuses_visible_to(user)
    history = selectors.village_history(unit, campaign, statuses)
    for row in history:
        row.style = tier_styles(row.round.settings).get(row.tier)  # type: ignore[attr-defined]
    week, revision = request.GET.get("week", "").strip(), request.GET.get("revision", "").strip()
    selected = None
    if week:
        selected = selectors.village_result(unit, campaign, statuses, week, revision)
        if selected is None:
            raise Http404
    elif history:
        selected = history[0]
    context: dict = {"unit": unit, "history": history, "selected": selected,
                     "town": town_of(unit)}
    if selected is not None:
        selected.style = tier_styles(selected.round.settings).get(selected.tier)  # type: ignore[attr-defined]
        context["explanation"] = explain(selected)
        context["styles"] = tier_styles(selected.round.settings)
    return render(request, "ranking/village.html", context)


# 6. The campaign's ranking settings ---------------------------------------------------------------------


@login_required
def settings_page(request):
    """Office staff change the ranking settings: each save is a new version; rounds keep the one they used."""
    require(access.is_office(request.user))
    campaign = campaign_get()
    current = services.settings_current(campaign)
    form = SettingsForm(request.POST or None, instance=RankingSettings(
        **{name: getattr(current, name) for name in services.SETTING_FIELDS}))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.SETTING_FIELDS
                   if form.cleaned_data[name] != getattr(current, name)}
        if changes:
            new = services.settings_update(actor=request.user, campaign=campaign, **changes)
            messages.success(request, _("Saved as version %(version)s; rounds computed before keep their version.")
                             % {"version": new.version})
        return redirect("ranking_settings")
    versions = selectors.settings_versions(campaign)
    return render(request, "ranking/settings.html", {"form": form, "current": current, "versions": versions})


# 7. The inspection groups' part of the inspection source ----------------------------------------------


@login_required
def inspection(request):
    """Inspectors enter or upload this week's inspection scores for the villages of their townships; each
    submission replaces their townships' part of the inspection source."""
    user = request.user
    require(can_submit_inspection(user))
    campaign = campaign_get()
    week = _this_week()
    round_ = selectors.round_live(campaign, week)
    villages = list(units_visible_to(user).ranked().filter(active=True)
                    .select_related("parent").order_by("path"))
    problems: list[str] = []
    upload_form = UploadForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        names: dict[int, str] = {}
        if action == "scores":
            rows = [[v.code, request.POST.get(f"score_{v.code}", "").strip()] for v in villages]
            rows = [row for row in rows if row[1]]  # villages not inspected this week stay out of the source
            names = {n + 2: v.name for n, v in enumerate(v for v in villages if request.POST.get(f"score_{v.code}"))}
            data, filename = write_csv(["code", "score"], rows, bom=False), "scores.csv"
        elif action == "upload":
            upload_form = UploadForm(request.POST, request.FILES)
            if not upload_form.is_valid():
                return HttpResponse(status=400)
            upload = upload_form.cleaned_data["file"]
            data, filename = upload.read(), upload.name
        else:
            return HttpResponse(status=400)
        report = services.ranking_import(actor=user, campaign=campaign, week=week, source=SourceName.INSPECTION,
                                         data=data, filename=filename)
        if report.ok:
            messages.success(request, _("Submitted %(count)s inspection scores for week %(week)s.")
                             % {"count": report.entries, "week": week})
            return redirect("ranking_inspection")
        problems = _problem_lines(report.problems, names)
        round_ = selectors.round_live(campaign, week)
    scores = selectors.scores_of(round_, SourceName.INSPECTION, villages)
    for village in villages:
        value = scores.get(village.pk)
        village.last_score = "" if value is None else f"{value:.15g}"  # type: ignore[attr-defined]
    return render(request, "ranking/inspection.html", {
        "week": week, "round": round_, "villages": villages, "problems": problems, "upload_form": upload_form,
        "closed": round_ is not None and round_.status not in lifecycle.OPEN,
        "from_field": round_ is not None and round_.inspection_from_field,
        "towns": area_roots(user) or [],
    }, status=400 if problems else 200)
