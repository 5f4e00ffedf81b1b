"""The pages of the people mobilised and the publicity on the ground (/mobilise/): the counts per township
(the county's readers), per village of a township, and a village's page with its people, their activities, its
loudspeaker schedules and van tours, and the forms of those who record them; a grid person's page for the
activities of their grids' people. Server-rendered, phone first; a refused form is shown again with its values
and the refusal (422)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dudao.accounts.access import effective_role
from dudao.accounts.models import Role
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.core.http import require, see_other
from dudao.mobilise import access, selectors, services
from dudao.mobilise.models import ActivityKind, Volunteer, VolunteerKind
from dudao.org.access import area_roots, phone_for, unit_visible_or_404, units_visible_to
from dudao.org.models import Level, Unit

RECENT = 50


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _datetime(value: str | None) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _count(value: str | None) -> int | None:
    """A form's whole number; None when empty; -1 (refused by the service as below 1) when not a number."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return -1


def _choices() -> dict:
    return {"volunteer_kinds": VolunteerKind.choices, "activity_kinds": ActivityKind.choices,
            "today": timezone.localdate().isoformat()}


@login_required
def overview(request):
    """The counts per township of the user's area; village staff and grid people go to their own page."""
    require(access.can_see_mobilise(request.user))
    role = effective_role(request.user)
    if role == Role.GRID:
        return redirect("mobilise_grid")
    roots = area_roots(request.user)
    if role in (Role.VILLAGE_STAFF, Role.TOWN_STAFF) and roots:
        return redirect("mobilise_village" if roots[0].is_ranked else "mobilise_town", roots[0].code)
    campaign = campaign_get()
    towns = list(units_visible_to(request.user).of_campaign(campaign).towns().order_by("code"))
    counts = selectors.counts_by(request.user, campaign, by="town")
    rows = [(town, counts.get(town.pk, selectors.Counts())) for town in towns]
    return render(request, "mobilise/overview.html", {
        "rows": rows, "total": selectors.total_of({t.pk: c for t, c in rows}), "week": _week()})


def _week() -> str:
    return weeks.week_of(timezone.localdate())


@login_required
@require_http_methods(["GET", "POST"])
def town_page(request, code: str):
    town = unit_visible_or_404(request.user, code)
    if town.level != Level.TOWN:
        raise Http404
    campaign = campaign_get()
    error, posted = "", {}
    if request.method == "POST":
        posted = request.POST
        try:
            _van(request, campaign, town)
        except Refused as refused:
            error = refused.message
        else:
            return see_other(reverse("mobilise_town", args=[town.code]))
    villages = list(units_visible_to(request.user).filter(parent=town).ranked().order_by("code"))
    counts = selectors.counts_by(request.user, campaign, by="village")
    rows = [(village, counts.get(village.pk, selectors.Counts())) for village in villages]
    town_total = selectors.counts_by(request.user, campaign, by="town").get(town.pk, selectors.Counts())
    tours = access.van_tours_visible_to(request.user).filter(campaign=campaign, unit__path__startswith=town.path)
    return render(request, "mobilise/town.html", {
        "town": town, "rows": rows, "total": town_total, "week": _week(),
        "tours": tours.select_related("unit")[:RECENT], "van_units": [town, *villages],
        "can_van": access.can_record_van(request.user, town), "error": error, "posted": posted, **_choices()},
        status=422 if error else 200)


def _van(request, campaign, default_unit: Unit) -> None:
    code = request.POST.get("unit") or default_unit.code
    unit = unit_visible_or_404(request.user, code)
    if not unit.path.startswith(default_unit.path):
        raise Http404
    services.van_tour_record(actor=request.user, campaign=campaign, unit=unit,
                             starts_at=_datetime(request.POST.get("starts_at")),
                             ends_at=_datetime(request.POST.get("ends_at")), route=request.POST.get("route", ""))
    messages.success(request, _("Van tour recorded."))


def _activity(request, volunteers) -> Volunteer:
    volunteer = get_object_or_404(volunteers.select_related("person", "village", "grid"),
                                  pk=_count(request.POST.get("volunteer")) or 0)
    services.activity_record(actor=request.user, volunteer=volunteer, kind=request.POST.get("kind", ""),
                             date=_date(request.POST.get("date")), households=_count(request.POST.get("households")),
                             note=request.POST.get("note", ""))
    messages.success(request, _("Recorded for %(name)s.") % {"name": volunteer.person.name})
    return volunteer


@login_required
@require_http_methods(["GET", "POST"])
def village_page(request, code: str):
    village = unit_visible_or_404(request.user, code)
    if not village.is_ranked or effective_role(request.user) == Role.GRID:
        raise Http404
    campaign = campaign_get()
    volunteers = access.volunteers_visible_to(request.user).filter(campaign=campaign, village=village)
    grids = list(Unit.objects.filter(level=Level.GRID, path__startswith=village.path).order_by("code"))
    error, form, posted = "", "", {}
    if request.method == "POST":
        form, posted = request.POST.get("form", ""), request.POST
        try:
            if form == "volunteer":
                grid_code = request.POST.get("grid", "")
                grid = next((g for g in grids if g.code == grid_code), None)
                if grid_code and grid is None:
                    grid = unit_visible_or_404(request.user, grid_code)
                volunteer = services.volunteer_register(
                    actor=request.user, campaign=campaign, village=village, name=request.POST.get("name", ""),
                    phone=request.POST.get("phone", ""), kind=request.POST.get("kind", ""),
                    since=_date(request.POST.get("since")), grid=grid)
                messages.success(request, _("%(name)s registered.") % {"name": volunteer.person.name})
            elif form == "activity":
                _activity(request, volunteers)
            elif form == "broadcast":
                services.broadcast_schedule(
                    actor=request.user, campaign=campaign, village=village, place=request.POST.get("place", ""),
                    times=request.POST.get("times", ""), text=request.POST.get("text", ""),
                    date_from=_date(request.POST.get("date_from")), date_to=_date(request.POST.get("date_to")))
                messages.success(request, _("Loudspeaker schedule saved."))
            elif form == "van":
                _van(request, campaign, village)
            else:
                raise Http404
        except Refused as refused:
            error = refused.message
        else:
            return see_other(reverse("mobilise_village", args=[village.code]))
    counts = selectors.counts_by(request.user, campaign, by="village").get(village.pk, selectors.Counts())
    people = list(volunteers.select_related("person", "grid"))
    today = timezone.localdate()
    broadcasts = [(b, b.date_from <= today <= b.date_to) for b in
                  access.broadcasts_visible_to(request.user).filter(campaign=campaign, village=village)]
    return render(request, "mobilise/village.html", {
        "village": village, "town": village.parent, "counts": counts, "week": _week(), "volunteers": people,
        "people": [(v, phone_for(request.user, v.person)) for v in people], "grids": grids,
        "activities": access.activities_visible_to(request.user).filter(volunteer__in=volunteers)
        .select_related("volunteer__person")[:RECENT],
        "broadcasts": broadcasts,
        "tours": access.van_tours_visible_to(request.user).filter(campaign=campaign, unit=village)[:RECENT],
        "can_register": access.can_register_at(request.user, village),
        "can_van": access.can_record_van(request.user, village),
        "error": error, "form": form, "posted": posted, **_choices()}, status=422 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def grid_page(request):
    """A grid person's page: the mobilised people of their grids and the form to record what they did."""
    if effective_role(request.user) != Role.GRID:
        raise Http404
    campaign = campaign_get()
    volunteers = access.volunteers_visible_to(request.user).filter(campaign=campaign)
    error, posted = "", {}
    if request.method == "POST":
        posted = request.POST
        try:
            _activity(request, volunteers)
        except Refused as refused:
            error = refused.message
        except PermissionDenied:
            raise Http404 from None
        else:
            return see_other(reverse("mobilise_grid"))
    return render(request, "mobilise/grid.html", {
        "volunteers": list(volunteers.select_related("person", "grid")),
        "activities": access.activities_visible_to(request.user).filter(volunteer__campaign=campaign)
        .select_related("volunteer__person")[:RECENT],
        "error": error, "posted": posted, **_choices()}, status=422 if error else 200)
