"""The signed-in home page: what the user's area holds and what waits for them."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render

from dudao.accounts import access
from dudao.accounts.models import Role
from dudao.org.access import area_roots, groups_visible_to, people_visible_to, units_visible_to, user_area_label
from dudao.problems.access import problems_visible_to
from dudao.problems.selectors import overdue_q, tasks_q


@login_required
def home(request):
    """The leaders' home page is the dashboard; everyone else's lists what waits for them (and links to it)."""
    user = request.user
    if access.effective_role(user) == Role.LEADER:
        return redirect("dashboard")
    if access.effective_role(user) == Role.GRID:
        return redirect("grid_home")
    units = units_visible_to(user)
    counts = dict(units.values_list("level").annotate(n=Count("id")).order_by())
    problems_visible = problems_visible_to(user)
    context = {
        "role": access.effective_role(user),
        "area": user_area_label(user),
        "counts": counts,
        "people_count": people_visible_to(user).count(),
        "groups": groups_visible_to(user).prefetch_related("towns")[:20],
        "roots": area_roots(user),
        "tasks": problems_visible.filter(tasks_q(user)).count(),
        "overdue": problems_visible.filter(overdue_q()).count(),
    }
    return render(request, "site/home.html", context)
