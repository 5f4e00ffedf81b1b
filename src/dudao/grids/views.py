"""The grid person's pages (/grid/: phone first, forms that work without JavaScript; a small script fills in the
phone's position: the round, a problem, the courtyards of their grid's households), the page where the office, a
township or a village opens accounts for its grid people, and a village's courtyards week by week."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dudao.accounts.access import effective_role, is_office
from dudao.accounts.models import Role
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import require, week_or_404
from dudao.grids import selectors, services
from dudao.grids.access import (
    can_keep_households,
    can_open_grid_accounts,
    can_oversee_courtyards,
    households_visible_to,
)
from dudao.grids.models import CourtyardResult
from dudao.org.access import area_roots, unit_visible_or_404, units_visible_to
from dudao.org.models import Level, Unit
from dudao.photos import imaging
from dudao.photos import services as photo_services
from dudao.problems import services as problem_services
from dudao.problems.access import problems_visible_to
from dudao.problems.models import Category


def _grid_user(request) -> None:
    if effective_role(request.user) != Role.GRID:
        raise Http404


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _position(request) -> dict:
    return {"lat": _number(request.POST.get("lat")), "lon": _number(request.POST.get("lon")),
            "accuracy_m": _number(request.POST.get("accuracy_m"))}


def _my_grid(request, code: str | None) -> Unit:
    grids = [unit for unit in (area_roots(request.user) or []) if unit.is_grid]
    found = next((grid for grid in grids if grid.code == code), None) if code else (grids[0] if grids else None)
    if found is None:
        raise Http404
    return found


def _upload(request, grid: Unit):
    """The form's photo stored for the grid's village (checked by content, re-encoded), or Refused."""
    upload = request.FILES.get("photo")
    if upload is None:
        raise Refused("photo_required", _("Take a photo."))
    if upload.size > imaging.MAX_BYTES:
        raise Refused("photo_too_large", photo_services.refusal_message(imaging.ImageRefused(
            "too_large", size_mb=round(upload.size / imaging.MIB, 1), max_mb=imaging.MAX_BYTES // imaging.MIB)))
    village = Unit.objects.get(code=grid.village_code())
    return village, photo_services.photo_upload(actor=request.user, campaign=campaign_get(), village=village,
                                                data=upload.read(), grid=grid, **_position(request))


@login_required
def grid_home(request):
    _grid_user(request)
    home = selectors.grid_home(request.user)
    for problem in home.open_problems:
        problem.can_rectify = "rectify" in problem_services.allowed_for(request.user, problem)
    return render(request, "grids/home.html", {"home": home})


@login_required
@require_http_methods(["GET", "POST"])
def grid_report(request):
    """A simpler problem form: the grid, a category, a few words and one photo; the place is the phone's."""
    _grid_user(request)
    grids = [unit for unit in (area_roots(request.user) or []) if unit.is_grid]
    categories = list(Category.objects.filter(campaign=campaign_get(), active=True))
    error = ""
    if request.method == "POST":
        grid = _my_grid(request, request.POST.get("grid"))
        category = next((c for c in categories if c.code == request.POST.get("category")), None)
        try:
            if category is None:
                raise Refused("bad_category", _("Choose a category."))
            village, photo = _upload(request, grid)
            problem = problem_services.problem_report(
                actor=request.user, campaign=campaign_get(), village=village, category=category, grid=grid,
                description=request.POST.get("description", ""), photo_ids=[photo.pk], **_position(request))
        except Refused as refused:
            error = refused.message
        else:
            messages.success(request, _("Problem %(number)s reported.") % {"number": problem.number})
            return redirect("grid_home")
    return render(request, "grids/report.html", {"grids": grids, "categories": categories, "error": error},
                  status=422 if error else 200)


@login_required
@require_POST
def grid_patrol(request):
    _grid_user(request)
    grid = _my_grid(request, request.POST.get("grid"))
    try:
        services.patrol_record(actor=request.user, campaign=campaign_get(), grid=grid,
                               note=request.POST.get("note", ""), **_position(request))
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Round recorded in %(grid)s.") % {"grid": grid.name})
    return redirect("grid_home")


@login_required
@require_POST
def grid_rectify(request, pk: int):
    _grid_user(request)
    problem = get_object_or_404(problems_visible_to(request.user).select_related("grid", "village"), pk=pk)
    if problem.grid is None:
        raise Http404
    try:
        _village, photo = _upload(request, problem.grid)
        problem_services.problem_rectify(actor=request.user, problem=problem, photo_ids=[photo.pk],
                                         note=request.POST.get("note", ""))
    except Refused as refused:
        messages.error(request, refused.message)
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("Problem %(number)s reported rectified.") % {"number": problem.number})
    return redirect("grid_home")


@login_required
@require_http_methods(["GET", "POST"])
def grid_accounts(request):
    """Open accounts for the grid people of a village (or township, or the county for the office): each signs in
    with their phone number and the password shown here once."""
    require(can_open_grid_accounts(request.user))
    units = units_visible_to(request.user).filter(Q(level__in=(Level.VILLAGE, Level.COMMUNITY, Level.TOWN))
                                                  | Q(level=Level.COUNTY)).order_by("path")
    if not is_office(request.user):
        units = units.exclude(level=Level.COUNTY)
    opened: list[services.OpenedAccount] = []
    chosen = None
    if request.method == "POST":
        chosen = unit_visible_or_404(request.user, request.POST.get("unit", ""))
        try:
            opened = services.grid_accounts_open(actor=request.user, unit=chosen)
        except Refused as refused:
            messages.error(request, refused.message)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Opened %(count)s grid accounts.") % {"count": len(opened)})
    return render(request, "grids/accounts.html", {"units": units[:2000], "opened": opened, "chosen": chosen})


# Courtyards -----------------------------------------------------------------------------------------------------


def _courtyards_page(request, error: str = ""):
    return render(request, "grids/courtyards.html", {
        "grids": selectors.cleaner_households(request.user), "error": error, "results": CourtyardResult},
        status=422 if error else 200)


@login_required
def grid_courtyards(request):
    """The cleaner's round: the households of their grids, each marked clean or needs work (with a photo)."""
    _grid_user(request)
    return _courtyards_page(request)


@login_required
@require_POST
def grid_courtyard_check(request, pk: int):
    _grid_user(request)
    household = get_object_or_404(households_visible_to(request.user).select_related("grid"), pk=pk)
    try:
        with photo_services.stored_atomically():
            photo = _upload(request, household.grid)[1] if request.FILES.get("photo") else None
            services.courtyard_check(actor=request.user, household=household,
                                     result=request.POST.get("result", ""), note=request.POST.get("note", ""),
                                     photo=photo)
    except Refused as refused:
        return _courtyards_page(request, _("%(household)s: %(problem)s")
                                % {"household": household.label, "problem": refused.message})
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("%(household)s marked %(result)s.") % {
        "household": household.label, "result": CourtyardResult(request.POST["result"]).label})
    return redirect("grid_courtyards")


@login_required
@require_POST
def grid_household_add(request):
    """A household added on the spot by a grid person, in one of their grids."""
    _grid_user(request)
    grid = _my_grid(request, request.POST.get("grid"))
    try:
        household = services.household_add(actor=request.user, grid=grid, label=request.POST.get("label", ""),
                                           head_name=request.POST.get("head_name", ""))
    except Refused as refused:
        return _courtyards_page(request, refused.message)
    messages.success(request, _("Household %(label)s added to %(grid)s.") % {"label": household.label,
                                                                            "grid": grid.name})
    return redirect("grid_courtyards")


@login_required
@require_http_methods(["GET", "POST"])
def village_courtyards(request, code: str):
    """A village's courtyards in a week: per grid, the households checked, reminded and improved; its beautiful
    courtyards; and (for its staff) the households pasted in."""
    village = unit_visible_or_404(request.user, code)
    if not can_oversee_courtyards(request.user, village):
        raise Http404
    week = week_or_404(request.GET["week"]) if request.GET.get("week") else None
    grids = list(Unit.objects.filter(level=Level.GRID, path__startswith=village.path).order_by("code"))
    may_add = bool(grids) and all(can_keep_households(request.user, grid) for grid in grids)
    errors: list[str] = []
    pasted = ""
    if request.method == "POST":
        require(may_add)
        pasted = request.POST.get("households", "")
        try:
            added = services.households_import(actor=request.user, village=village, text=pasted)
        except Refused as refused:
            errors = refused.messages
        else:
            messages.success(request, _("%(count)s households added.") % {"count": len(added)})
            return redirect("village_courtyards", code=village.code)
    return render(request, "grids/village_courtyards.html", {
        "data": selectors.village_courtyards(village, week), "may_add": may_add, "errors": errors,
        "pasted": pasted, "grids": grids}, status=422 if errors else 200)
