"""Pages of the bulletins: the list of weeks, one week's bulletin (downloads, summary, regenerate), the office's
template page; and the per-village extracts: a village's page of a published round (HTML for the phone, one A4
page as PDF), and the pages of all villages of a township in one PDF.

Who sees what is dudao.bulletins.access's and dudao.org.access's: a village's staff their village, a township's
staff its villages, the office, leaders and administrators every village, inspectors the villages of their
inspection groups' townships. Outside one's area the answer is 404, like everywhere else. Changes go through
dudao.bulletins.services.
"""

import dataclasses

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dudao.accounts import access
from dudao.accounts.models import Role
from dudao.bulletins import document, selectors, services, word
from dudao.bulletins.access import can_read_bulletins
from dudao.bulletins.extracts import Extract, NotInRound, extracts_for, village_extract
from dudao.bulletins.models import BulletinTemplate, TemplateTrial
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import require, week_or_404
from dudao.core.pdf import write_pdf
from dudao.org.access import area_roots, grid_villages, grids_of, unit_visible_or_404, units_visible_to
from dudao.org.models import Level, Unit
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking.models import Round
from dudao.ranking.tiers import stylesheet

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class TemplateUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Word template (.docx)"))


class LetterheadForm(forms.Form):
    issuer = forms.CharField(label=gettext_lazy("issuing office"), max_length=100)
    number_prefix = forms.CharField(label=gettext_lazy("document number prefix"), max_length=30,
                             help_text=gettext_lazy("e.g. 景环整办: the number reads 景环整办〔2026〕12号"))


@login_required
def bulletin_list(request):
    user = request.user
    require(can_read_bulletins(user))
    campaign = campaign_get()
    rows: list[dict] = []
    seen: set[str] = set()
    for bulletin in (selectors.bulletins_visible_to(user, campaign).select_related("round")
                     .order_by("-round__week_start", "-revision")[:200]):
        if bulletin.week in seen:
            continue
        seen.add(bulletin.week)
        rows.append({"bulletin": bulletin, "doc_number": bulletin.letterhead.get("doc_number", "")})
    waiting = []
    if access.is_office(user):
        waiting = selectors.rounds_without_bulletin(campaign)
    return render(request, "bulletins/list.html", {
        "rows": rows, "waiting": waiting, "can_manage": access.is_office(user)})


@login_required
def bulletin_week(request, week: str):
    user = request.user
    require(can_read_bulletins(user))
    week_or_404(week)
    campaign = campaign_get()
    round_ = ranking_selectors.published_round(campaign, week)
    if round_ is None:
        raise Http404
    bulletin = selectors.bulletin_for_week(user, campaign, week)
    summary = None
    if bulletin is not None:
        # The page shows the kept summary, not the content rebuilt; only the office, who can make the bulletin
        # again, is told when the week's data changed since.
        try:
            kept = services.page_summary(bulletin)
            summary = {"text": kept["text"], "styles": [{"code": code, "label": label, "colour": colour, "count": n}
                                                        for code, label, colour, n in kept["styles"]],
                       "digest_ok": not (access.is_office(user) and services.content_changed(bulletin))}
        except Refused:
            summary = None
    # A round published without a bulletin: the queued making may have been refused (the office's template did not
    # render this week); say so rather than "being made".
    failure = services.bulletin_failure(round_) if bulletin is None else None
    # The pages of a township's villages in one PDF, for the townships of the user's area.
    towns = list(units_visible_to(user).towns().order_by("code").only("code", "name"))
    return render(request, "bulletins/week.html", {
        "week": week, "round": round_, "bulletin": bulletin, "summary": summary, "failure": failure,
        "can_manage": access.is_office(user), "towns": towns,
    })


@login_required
def bulletin_download(request, week: str, kind: str):
    user = request.user
    require(can_read_bulletins(user))
    week_or_404(week)
    if kind not in CONTENT_TYPES:
        raise Http404
    bulletin = selectors.bulletin_for_week(user, campaign_get(), week)
    if bulletin is None:
        raise Http404
    name = getattr(bulletin, f"{kind}_name")
    if not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type=CONTENT_TYPES[kind], as_attachment=True,
                            filename=f"bulletin-{week}-r{bulletin.revision}.{kind}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def bulletin_regenerate(request, week: str):
    user = request.user
    require(access.is_office(user))
    week_or_404(week)
    campaign = campaign_get()
    round_ = ranking_selectors.published_round(campaign, week)
    if round_ is None:
        raise Http404
    before = selectors.bulletin_digest(round_)
    try:
        bulletin = services.bulletin_generate(actor=user, round_=round_)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        if before is None:
            messages.success(request, _("The bulletin of week %(week)s was made.") % {"week": week})
        elif before == bulletin.content_digest:
            messages.success(request, _("The bulletin of week %(week)s was made again; its content is unchanged.")
                             % {"week": week})
        else:
            messages.warning(request, _("The bulletin of week %(week)s was made again and its content changed "
                                        "(late data, or a new letterhead).") % {"week": week})
    return redirect("bulletin_week", week=week)


@login_required
def template_page(request):
    user = request.user
    require(access.is_office(user))
    campaign = campaign_get()
    upload_form = TemplateUploadForm()
    issuer, prefix = services.letterhead_get(campaign)
    letterhead_form = LetterheadForm(initial={"issuer": issuer, "number_prefix": prefix})
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "upload":
                upload_form = TemplateUploadForm(request.POST, request.FILES)
                if upload_form.is_valid():
                    upload = upload_form.cleaned_data["file"]
                    if upload.size > word.MAX_TEMPLATE_BYTES:
                        raise Refused("template_too_large", _("The template is larger than %(max)s MB.")
                                      % {"max": word.MAX_TEMPLATE_BYTES // 2**20})
                    # Rendering someone's template is the worker's job, never the web request's (decision 0022).
                    services.template_trial_queue(actor=user, campaign=campaign, data=upload.read(),
                                                  name=upload.name)
                    return redirect("bulletin_template")
                status = 400
            elif action == "default":
                services.template_use_default(actor=user, campaign=campaign)
                messages.success(request, _("New bulletins use the default template."))
                return redirect("bulletin_template")
            elif action == "activate":
                pk = request.POST.get("template", "").strip()
                if not pk.isdecimal():
                    return HttpResponse(status=400)
                template = get_object_or_404(BulletinTemplate, pk=int(pk), campaign=campaign)
                services.template_activate(actor=user, campaign=campaign, template=template)
                messages.success(request, _("The template %(name)s is used again.") % {"name": template.name})
                return redirect("bulletin_template")
            elif action == "letterhead":
                letterhead_form = LetterheadForm(request.POST)
                if letterhead_form.is_valid():
                    services.letterhead_update(actor=user, campaign=campaign,
                                               issuer=letterhead_form.cleaned_data["issuer"],
                                               prefix=letterhead_form.cleaned_data["number_prefix"])
                    messages.success(request, _("The letterhead was saved; bulletins already issued keep theirs."))
                    return redirect("bulletin_template")
                status = 400
            else:
                return HttpResponse(status=400)
        except Refused as exc:
            problems = [exc.message]
            status = 400
    return render(request, "bulletins/template.html", {
        "upload_form": upload_form, "letterhead_form": letterhead_form, "problems": problems,
        "active": selectors.active_template(campaign),
        "trial": selectors.latest_trial(campaign),
        "history": selectors.template_history(campaign),
        "variables": document.VARIABLES,
        "intro": _("Download the template, edit it in Word (keep the {{ … }} and {%% … %%} tags), and upload it. It "
                   "is checked by making the bulletin of the latest published week with it.") % {},
        "syntax_help": _("Write {{ name }} for a value, {%%tr for v in red %%} … {%%tr endfor %%} in table rows for a "
                         "list, {%%p if … %%} … {%%p endif %%} around paragraphs. Unknown names are refused on "
                         "upload.") % {},
        "sample_week": getattr(ranking_selectors.latest_published_round(campaign), "week", ""),
    }, status=status)


@login_required
def template_trial(request, pk: int):
    """Where an uploaded template's trial stands, for the template page to wait on: {"state", "message"}."""
    require(access.is_office(request.user))
    trial = get_object_or_404(TemplateTrial.objects.only("state", "message"), pk=pk, campaign=campaign_get())
    return JsonResponse({"state": trial.state, "message": trial.message})


@login_required
def template_download(request, which: str):
    user = request.user
    require(access.is_office(user))
    campaign = campaign_get()
    if which == "default":
        data, name = word.default_template(), "bulletin-template-default.docx"
    elif which == "current":
        active = selectors.active_template(campaign)
        data, name = (bytes(active.data), active.name) if active else (word.default_template(),
                                                                        "bulletin-template-default.docx")
    elif which.isdigit():
        template = get_object_or_404(BulletinTemplate, pk=int(which), campaign=campaign)
        data, name = bytes(template.data), template.name
    else:
        raise Http404
    response = HttpResponse(data, content_type=CONTENT_TYPES["docx"])
    response["Content-Disposition"] = f"attachment; filename=\"{_ascii(name)}\""
    return response


def _ascii(name: str) -> str:
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)
    return cleaned if cleaned.lower().endswith(".docx") else cleaned + ".docx"


def week_url(week: str) -> str:
    return reverse("bulletin_week", args=[week])


# The village extracts ------------------------------------------------------------------------------------------


# A problem list longer than this is cut on the PDF page, which stays one A4 page; the HTML page lists them all.
PDF_PROBLEMS = 12


class NotShown(Exception):
    """A 404 whose message is worth saying (the handler404 page says only "not found, or outside your area")."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _not_found(request, message: str) -> HttpResponse:
    return render(request, "core/error.html", {"message": message}, status=404)


def published_round(week: str) -> Round:
    """The week's published round (ranking.selectors.published_round); Http404 for a malformed week, NotShown for
    a week without one."""
    week_or_404(week)
    round_ = ranking_selectors.published_round(campaign_get(), week)
    if round_ is None:
        raise NotShown(_("Week %(week)s has no published ranking.") % {"week": week})
    return round_


def _village(request, code: str) -> Unit:
    unit = next((v for v in grid_villages(request.user) if v.code == code), None) \
        or unit_visible_or_404(request.user, code)
    if not unit.is_ranked:
        raise Http404
    return unit


def _extract(request, week: str, code: str) -> Extract:
    round_ = published_round(week)
    unit = _village(request, code)
    try:
        extract = village_extract(round_, unit)
    except NotInRound:
        raise NotShown(_("%(village)s is not in the ranking of week %(week)s.")
                       % {"village": unit.name, "week": week}) from None
    if access.effective_role(request.user) == Role.GRID:
        # A grid person reads their village's page with their own grids' problems only (the grids still open are
        # named, their problems not shown).
        mine = {grid.code for grid in grids_of(request.user)}
        extract = dataclasses.replace(extract, open_problems=tuple(p for p in extract.open_problems
                                                                   if p.grid_code in mine))
    return extract


def pdf_bytes(extracts: list[Extract]) -> bytes:
    """The extracts as a PDF, one A4 page each (WeasyPrint, Noto Sans CJK SC embedded). The page refers to nothing
    outside itself and its print CSS is a package file, so WeasyPrint fetches nothing."""
    html = render_to_string("bulletins/extract_pdf.html", {"extracts": extracts, "limit": PDF_PROBLEMS})
    return write_pdf(html, "dudao/bulletins/extract-print.css", stylesheet(e.tier_colour for e in extracts))


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=\"{filename}\""
    return response


@login_required
def village(request, week: str, code: str):
    try:
        extract = _extract(request, week, code)
    except NotShown as refused:
        return _not_found(request, refused.message)
    return render(request, "bulletins/extract.html", {
        "e": extract,
        # The link to all of the township's pages, for those whose area holds the township.
        "town_pdf": units_visible_to(request.user).filter(code=extract.town_code).exists(),
    })


@login_required
def village_pdf(request, week: str, code: str):
    try:
        extract = _extract(request, week, code)
    except NotShown as refused:
        return _not_found(request, refused.message)
    return _pdf_response(pdf_bytes([extract]),
                         f"extract-{week}-{extract.code}.pdf")


@login_required
def town_pdf(request, week: str):
    user = request.user
    try:
        round_ = published_round(week)
    except NotShown as refused:
        return _not_found(request, refused.message)
    code = request.GET.get("town", "").strip()
    if code:
        town = unit_visible_or_404(user, code)
        if town.level != Level.TOWN:
            raise Http404
    else:
        roots = area_roots(user) or []
        if len(roots) != 1 or roots[0].level != Level.TOWN:
            return render(request, "core/error.html", {
                "message": _("Name the township: add ?town= and its code to the address.")}, status=400)
        town = roots[0]
    extracts = extracts_for(round_, town=town)
    if not extracts:
        return _not_found(request, _("No village of %(town)s is in the ranking of week %(week)s.")
                          % {"town": town.name, "week": week})
    return _pdf_response(pdf_bytes(extracts), f"extracts-{week}-{town.code}.pdf")
