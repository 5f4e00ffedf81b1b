"""The audit groups' re-inspection pages (/recheck/): the office draws a week's sample, the audit group's members
re-inspect the sampled villages with the same checklist, the office and the leaders read the discrepancy report.
A sample is shown only to the office and its audit group's members; to anyone else it does not exist (404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import see_other, week_or_404
from dudao.inspections.models import Inspection
from dudao.inspections.services import MarkInput
from dudao.org.models import GroupKind, Unit, WorkingGroup
from dudao.recheck import access, selectors, services
from dudao.recheck.models import Draw


def _list_page(request, values: dict, error: str = "", status: int = 200):
    campaign = campaign_get()
    office = access.can_draw(request.user)
    return render(request, "recheck/list.html", {
        "draws": access.draws_visible_to(request.user).filter(campaign=campaign).select_related("group"),
        "office": office, "values": values, "error": error,
        "groups": WorkingGroup.objects.filter(campaign=campaign, kind=GroupKind.AUDIT, active=True) if office else [],
        "weeks": (Inspection.objects.filter(campaign=campaign).order_by("-week").values_list("week", flat=True)
                  .distinct()[:12]) if office else [],
        "report": access.can_see_report(request.user)}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def recheck_list(request):
    if not access.can_see_recheck(request.user):
        raise Http404
    values = {"week": "", "size": "", "group": "", "reason": "", "redraw": ""}
    if request.method != "POST":
        values.update({name: request.GET.get(name, "") for name in ("week", "group", "size")})
        return _list_page(request, values)
    if not access.can_draw(request.user):
        raise Http404
    values = {name: request.POST.get(name, "") for name in values}
    campaign = campaign_get()
    try:
        try:
            size = int(values["size"])
        except ValueError:
            raise Refused("bad_size", _("The sample size must be a whole number.")) from None
        group = WorkingGroup.objects.filter(campaign=campaign, pk=values["group"] or 0).first() \
            if values["group"].isdigit() else None
        if group is None:
            raise Refused("group_required", _("Choose the audit group."))
        draw = services.recheck_draw(actor=request.user, campaign=campaign, week=values["week"], size=size,
                                     group=group, redraw=values["redraw"] == "1", reason=values["reason"])
    except Refused as refused:
        return _list_page(request, values, refused.message, status=400)
    messages.success(request, _("Sample drawn."))
    return see_other(reverse("recheck_draw", args=[draw.pk]))


def _visible_draw(request, pk: int) -> Draw:
    return get_object_or_404(access.draws_visible_to(request.user).select_related("group", "campaign"), pk=pk,
                             campaign=campaign_get())


@login_required
@require_safe
def recheck_draw(request, pk: int):
    draw = _visible_draw(request, pk)
    return render(request, "recheck/draw.html", {
        "draw": draw, "rows": selectors.sample_rows(draw), "check": selectors.draw_check(draw),
        "office": access.can_draw(request.user), "may_recheck": access.can_recheck(request.user, draw),
        "report": access.can_see_report(request.user)})


def _marks(post, items) -> list[MarkInput]:
    marks = []
    for item in items:
        if item.allow_na and post.get(f"na-{item.pk}") == "1":
            marks.append(MarkInput(item.pk, None))
            continue
        text = post.get(f"item-{item.pk}", "").strip()
        try:
            points = float(text)
        except ValueError:
            raise Refused("bad_points", _("“%(item)s”: give the points as a number.") % {"item": item.text}) from None
        marks.append(MarkInput(item.pk, points))
    return marks


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def recheck_village(request, pk: int, code: str):
    draw = _visible_draw(request, pk)
    if not access.can_recheck(request.user, draw) or code not in draw.sample or not draw.current:
        raise Http404
    village = get_object_or_404(Unit, code=code)
    inspection = (selectors.group_inspections(draw.campaign, draw.week).filter(village=village)
                  .select_related("checklist").order_by("-inspected_at").first())
    if inspection is None:
        raise Http404
    items = list(inspection.checklist.items.all())
    error, status = "", 200
    values = {f"item-{i.pk}": "" for i in items} | {"note": ""}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        try:
            services.recheck_submit(actor=request.user, draw=draw, village=village,
                                    marks=_marks(request.POST, items), note=values["note"])
        except Refused as refused:
            error, status = refused.message, 400
        else:
            messages.success(request, _("Re-inspection recorded."))
            return see_other(reverse("recheck_draw", args=[draw.pk]))
    done = draw.rechecks.filter(village=village).first()
    rows = [(item, values.get(f"item-{item.pk}", ""), request.POST.get(f"na-{item.pk}") == "1") for item in items]
    return render(request, "recheck/village.html", {
        "draw": draw, "village": village, "checklist": inspection.checklist, "rows": rows, "note": values["note"],
        "error": error, "done": done}, status=status)


@login_required
@require_safe
def recheck_report(request, week: str):
    if not access.can_see_report(request.user):
        raise Http404
    week = week_or_404(week)
    report = selectors.discrepancy_report(campaign_get(), week)
    return render(request, "recheck/report.html", {
        "report": report, "office": access.can_draw(request.user)})


@login_required
@require_POST
def recheck_threshold(request):
    if not access.can_draw(request.user):
        raise Http404
    week = request.POST.get("week", "")
    back = reverse("recheck_report", args=[week_or_404(week)]) if week else reverse("recheck_list")
    try:
        try:
            value = float(request.POST.get("threshold", ""))
        except ValueError:
            raise Refused("bad_threshold", _("The threshold must lie between 0 and 100 points.")) from None
        services.recheck_threshold_set(actor=request.user, campaign=campaign_get(), threshold=value)
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Threshold saved."))
    return see_other(back)
