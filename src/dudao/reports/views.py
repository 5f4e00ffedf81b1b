"""The office's triage of public reports (/reports/): the reports received, each with its photo and place; accept
one into the problem loop (a problem of the chosen village, with the photo) or decline it with a reason."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dudao.accounts import access
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import require, see_other
from dudao.core.paging import paginate
from dudao.problems import selectors as problem_selectors
from dudao.reports import selectors, services
from dudao.reports.models import Report, Status

PAGE_SIZE = 20


@login_required
@require_safe
def report_triage(request):
    require(access.is_office(request.user))
    campaign = campaign_get()
    status = request.GET.get("status", Status.RECEIVED)
    status = status if status in Status.values else Status.RECEIVED
    page = paginate(request, selectors.reports_for_triage(campaign, status), PAGE_SIZE)
    villages = list(services.villages_of(campaign))
    if status == Status.RECEIVED:
        for report in page.object_list:
            report.suggested = services.nearest_village(report, villages)
    return render(request, "reports/triage.html", {
        "page": page, "status": status, "statuses": Status.choices, "villages": villages,
        "categories": problem_selectors.categories_of(campaign, True)})


@login_required
@require_POST
def report_action(request, pk: int):
    require(access.is_office(request.user))
    campaign = campaign_get()
    report = get_object_or_404(Report, pk=pk, campaign=campaign)
    action = request.POST.get("action")
    try:
        if action == "accept":
            village = services.villages_of(campaign).filter(code=request.POST.get("village", "")).first()
            category = next((c for c in problem_selectors.categories_of(campaign, True)
                             if c.code == request.POST.get("category")), None)
            if village is None or category is None:
                raise Refused("choose", _("Choose the village and the category."))
            problem = services.report_accept(actor=request.user, report=report, village=village, category=category,
                                             public=request.POST.get("public") == "on")
            messages.success(request, _("Report %(code)s is now problem %(number)s.")
                             % {"code": report.code, "number": problem.number})
        elif action == "decline":
            services.report_decline(actor=request.user, report=report, reason=request.POST.get("reason", ""))
            messages.success(request, _("Report %(code)s declined.") % {"code": report.code})
        else:
            return HttpResponseBadRequest()
    except Refused as refused:
        messages.error(request, _("Report %(code)s: %(reason)s") % {"code": report.code, "reason": refused.message})
    return see_other(reverse("report_triage"))


@login_required
@require_safe
def report_photo(request, pk: int, size: str):
    require(access.is_office(request.user))
    if size not in ("display", "thumb"):
        raise Http404
    report = get_object_or_404(Report, pk=pk, campaign=campaign_get())
    name = report.thumb_name if size == "thumb" else report.display_name
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response
