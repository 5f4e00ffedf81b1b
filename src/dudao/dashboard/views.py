"""The dashboard (/dashboard/) and the large screen (/screen/, its figures from /screen/data.json). Both read
dudao.dashboard.figures, scoped to the user's area; the week is ?week=W among the weeks the user may see, else the
latest published week."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from dudao.accounts import access
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.dashboard import figures
from dudao.mobilise import selectors as mobilise_selectors
from dudao.recheck import access as recheck_access
from dudao.recheck import selectors as recheck_selectors

# The large screen fetches its figures again every this many seconds (and retries, slower, while they fail).
SCREEN_REFRESH_SECONDS = 60
# Each panel of the large screen stays this many seconds before the next one.
SCREEN_PANEL_SECONDS = 15


def _week(request, campaign, choices: list[str]) -> str | None:
    """?week=W when the user may pick it (404 otherwise), else the latest published week, else the newest the
    user may see, else None."""
    if access.effective_role(request.user) is None:
        raise PermissionDenied
    week = request.GET.get("week", "").strip()
    if week:
        try:
            weeks.parse_week(week)
        except ValueError:
            raise Http404 from None
        if week not in choices:
            raise Http404
        return week
    return figures.default_week(campaign) or (choices[0] if choices else None)


def _data(request) -> tuple[dict | None, list[str]]:
    user = request.user
    campaign = campaign_get()
    choices = figures.weeks_for(user, campaign)
    week = _week(request, campaign, choices)
    if week is None:
        return None, choices
    return figures.figures(user, campaign, figures.round_for(user, campaign, week), week), choices


@login_required
def dashboard(request):
    data, choices = _data(request)
    campaign = campaign_get()
    recheck = None
    if recheck_access.can_see_report(request.user):  # the audit groups' latest discrepancy report, if any
        week = recheck_selectors.latest_report_week(campaign)
        recheck = week and recheck_selectors.discrepancy_report(campaign, week)
    return render(request, "dashboard/dashboard.html", {
        "data": data, "weeks": choices, "drafts": figures.sees_drafts(request.user), "stages": figures.STAGES,
        "office": access.is_office(request.user), "recheck": recheck,
        "mobilise": mobilise_selectors.area_totals(request.user, campaign)})


@login_required
def screen(request):
    data, _choices = _data(request)
    return render(request, "dashboard/screen.html", {
        "data": data, "refresh": SCREEN_REFRESH_SECONDS, "panel_seconds": SCREEN_PANEL_SECONDS,
        "week": request.GET.get("week", "").strip()})


@login_required
@never_cache
def screen_data(request):
    data, _choices = _data(request)
    return JsonResponse({"data": data}, json_dumps_params={"ensure_ascii": False})
