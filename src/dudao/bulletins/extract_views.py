"""Pages of the per-village extracts: a village's page of a published round (HTML for the phone, one A4 page as
PDF), and the pages of all villages of a township in one PDF.

Who sees what is dudao.accounts.access's: a village's staff their village, a township's staff its villages, the
office, leaders and administrators every village, inspectors the villages of their inspection groups' townships.
Outside one's area the answer is 404, like everywhere else.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from dudao.bulletins.extracts import Extract, NotInRound, extracts_for, village_extract
from dudao.campaigns.services import campaign_get
from dudao.core.http import week_or_404
from dudao.core.pdf import write_pdf
from dudao.org.access import area_roots, unit_visible_or_404, units_visible_to
from dudao.org.models import Level, Unit
from dudao.ranking.models import Round, RoundStatus

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
    """The week's published round: the live revision once published, else - while a correction awaits approval - the
    revision published before it. Http404 for a malformed week, NotShown for a week without one."""
    week_or_404(week)
    rounds = list(Round.objects.filter(campaign=campaign_get(), week=week,
                                       status__in=[RoundStatus.PUBLISHED, RoundStatus.SUPERSEDED])
                  .select_related("settings").order_by("-revision"))
    live = [r for r in rounds if r.status == RoundStatus.PUBLISHED]
    if live:
        return live[0]
    if rounds:
        return rounds[0]
    raise NotShown(_("Week %(week)s has no published ranking.") % {"week": week})


def _village(request, code: str) -> Unit:
    unit = unit_visible_or_404(request.user, code)
    if unit.level not in (Level.VILLAGE, Level.COMMUNITY):
        raise Http404
    return unit


def _extract(request, week: str, code: str) -> Extract:
    round_ = published_round(week)
    unit = _village(request, code)
    try:
        return village_extract(round_, unit)
    except NotInRound:
        raise NotShown(_("%(village)s is not in the ranking of week %(week)s.")
                       % {"village": unit.name, "week": week}) from None


def pdf_bytes(extracts: list[Extract]) -> bytes:
    """The extracts as a PDF, one A4 page each (WeasyPrint, Noto Sans CJK SC embedded). The page refers to nothing
    outside itself and its print CSS is a package file, so WeasyPrint fetches nothing."""
    html = render_to_string("bulletins/extract_pdf.html", {"extracts": extracts, "limit": PDF_PROBLEMS})
    return write_pdf(html, "dudao/bulletins/extract-print.css")


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
