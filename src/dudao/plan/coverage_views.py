"""The inspection coverage pages (/plan/visits/, /plan/coverage/; decision 0025): an inspection group's weekly
visit plan, edited by the group's inspectors and the office from a phone; the coverage view (planned against
visited, the villages nobody has visited for N weeks) for the office, the leaders, and a township's staff (their
township's part) or an inspector (their groups')."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.core.http import require, see_other, week_or_404
from dudao.plan import access, coverage


def _week(request) -> str:
    week = request.GET.get("week", "")
    return week_or_404(week) if week else coverage.this_week()


def _groups(request, campaign):
    groups = access.plan_groups_of(request.user, campaign)
    if not groups.exists():
        raise Http404
    return groups


@login_required
@require_safe
def visit_plans(request):
    """The groups the user plans for: an inspector with one group goes straight to its plan of this week."""
    campaign = campaign_get()
    groups = list(_groups(request, campaign).prefetch_related("towns").order_by("name"))
    week = coverage.this_week()
    if len(groups) == 1 and not access.is_office(request.user):
        return redirect("plan_visit_plan", group=groups[0].pk, week=week)
    rows = [(group, len(coverage.planned_codes(group, week))) for group in groups]
    return render(request, "plan/visit_plans.html", {"rows": rows, "week": week, "office": access.is_office(
        request.user)})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def visit_plan(request, group: int, week: str):
    campaign = campaign_get()
    week_or_404(week)
    found = _groups(request, campaign).filter(pk=group).prefetch_related("towns").first()
    if found is None:
        raise Http404
    error = ""
    chosen: set[str] | None = None
    if request.method == "POST":
        chosen = set(request.POST.getlist("village"))
        try:
            coverage.visit_plan_save(actor=request.user, campaign=campaign, group=found, week=week,
                                     village_codes=sorted(chosen))
        except Refused as refused:
            error = refused.message
        else:
            messages.success(request, _("The plan for %(week)s is saved.") % {"week": week})
            return see_other(reverse("plan_visit_plan", args=[found.pk, week]))
    planned = coverage.planned_codes(found, week) if chosen is None else chosen
    visited = coverage.visited_codes(found, week)
    towns: dict = {}
    for village in coverage.group_villages(found):
        towns.setdefault(village.parent, []).append(
            (village, village.code in planned, village.code in visited))
    return render(request, "plan/visit_plan.html", {
        "group": found, "week": week, "towns": towns.items(), "past": week < coverage.this_week(),
        "this_week": coverage.this_week(), "previous": weeks.add_weeks(week, -1), "next": weeks.add_weeks(week, 1),
        "planned_count": len(planned), "visited_count": len(visited), "error": error,
        "office": access.is_office(request.user)}, status=400 if error else 200)


@login_required
@require_safe
def coverage_page(request):
    require(access.can_see_coverage(request.user))
    campaign = campaign_get()
    week = _week(request)
    count = coverage.unvisited_weeks(campaign)
    rows = coverage.coverage(request.user, campaign, week)
    totals = {
        "planned": sum(len(r.planned) for r in rows), "visited": sum(len(r.visited) for r in rows),
        "planned_not_visited": sum(len(r.planned_not_visited) for r in rows),
        "visited_unplanned": sum(len(r.visited_unplanned) for r in rows),
    }
    return render(request, "plan/coverage.html", {
        "week": week, "rows": rows, "totals": totals, "count": count,
        "unvisited": coverage.unvisited(request.user, campaign, week, count),
        "previous": weeks.add_weeks(week, -1), "next": weeks.add_weeks(week, 1), "this_week": coverage.this_week(),
        "office": access.is_office(request.user), "max_weeks": coverage.MAX_UNVISITED_WEEKS,
        "plans": access.can_plan_visits(request.user)})


@login_required
@require_POST
def coverage_settings(request):
    require(access.is_office(request.user))
    campaign = campaign_get()
    try:
        value = int(request.POST.get("unvisited_weeks", "").strip())
    except ValueError:
        messages.error(request, _("The number of weeks must be a whole number."))
    else:
        try:
            coverage.coverage_settings_update(actor=request.user, campaign=campaign, unvisited_weeks=value)
        except Refused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Villages are now listed after %(count)s weeks without a visit.")
                             % {"count": value})
    return see_other(reverse("plan_coverage"))
