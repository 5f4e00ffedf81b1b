"""The public report pages (随手拍): the form at /public/report/, the status at /public/report/<code>/. Unlike the
portal's lists they are not kept: the form carries a CSRF token (its cookie is the only one the portal sets), and
a status changes. Both answer in the public language (Accept-Language) and are never stored by proxies."""

import math

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_safe

from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import client_address, see_other
from dudao.org.selectors import campaign_area, unit_point_wgs84
from dudao.portal.caching import MAX_AGE, public_language
from dudao.problems.models import Status as ProblemStatus
from dudao.reports import selectors, services
from dudao.reports.models import Status

HTML = "text/html; charset=utf-8"
# Which field of the form a refusal is about (the others are shown above the form).
FIELD_OF = {"text_required": "text", "text_too_long": "text", "text_control": "text", "bad_contact": "contact",
            "bad_village": "place", "no_place": "place", "half_position": "place", "bad_position": "place",
            "outside_county": "place"}


def _answer(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    with translation.override(public_language(request)):
        body = render_to_string(template, context, request=request)
        language = translation.get_language()
    response = HttpResponse(body, content_type=HTML, status=status)
    response["Cache-Control"] = "no-store"
    response["Content-Language"] = language
    return response


def _address(request) -> str:
    """The client's address as the sign-in's limit reads it (behind DUDAO_TRUSTED_PROXIES: from X-Forwarded-For)."""
    return client_address(request, settings.TRUSTED_PROXIES) or "unknown"


def _number(value: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise Refused("bad_position", _("The position is not a latitude and longitude."))
    return number


def _towns(campaign) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for village in services.villages_of(campaign):
        groups.setdefault(village.parent.name if village.parent else "", []).append(village)
    return list(groups.items())


@csrf_protect
def report_form(request):
    """GET: the form; POST: receive the report and show its tracking code, once."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    campaign = campaign_get()
    values = {"text": "", "contact": "", "village": "", "lat": "", "lon": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        upload = request.FILES.get("photo")
        try:
            lat, lon = _number(values["lat"]), _number(values["lon"])
            data = None
            if upload is not None and upload.size <= services.max_photo_bytes():
                data = upload.read()
            report = services.report_submit(
                campaign=campaign, address=_address(request), data=data, size=upload.size if upload else 0,
                text=values["text"], lat=lat, lon=lon, village_code=values["village"], contact=values["contact"])
        except Refused as refused:
            errors[FIELD_OF.get(refused.code, "photo" if refused.code.startswith("photo_") else "form")] = (
                refused.message)
        else:
            return _answer(request, "portal/report_received.html", {"campaign": campaign, "report": report},
                           status=201)
    return _answer(request, "portal/report_form.html", {
        "campaign": campaign, "towns": _towns(campaign), "values": values, "errors": errors,
        "text_max": services.TEXT_MAX, "photo_max_mb": services.max_photo_bytes() // (1024 * 1024)},
        status=400 if errors else 200)


def report_find(request):
    """The tracking code typed into the form on the report page."""
    code = services.normalise_code(request.GET.get("code", ""))
    return see_other(reverse("public_report_status", args=[code or "-"]))


def report_status(request, code: str):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    campaign = campaign_get()
    try:
        report = selectors.report_by_code(campaign, code, _address(request))
    except Refused as refused:
        return _answer(request, "portal/report_limited.html", {"campaign": campaign, "message": refused.message},
                       status=429)
    if report is None:
        return _answer(request, "portal/not_found.html", {"campaign": campaign}, status=404)
    problem_state = ""
    if report.status == Status.ACCEPTED and report.problem is not None:
        problem_state = str(ProblemStatus(report.problem.status).label)
    return _answer(request, "portal/report_status.html", {
        "campaign": campaign, "report": report, "problem_state": problem_state})


@require_safe
def report_area(request):
    """What the form's map draws (WGS-84 GeoJSON): the area a reported place must lie in, as report_submit checks
    it (org.selectors.campaign_area: the county's boundary, its townships', its villages' or the box around its
    points), and the villages' points with their names. Public facts only; kept by browsers and proxies."""
    campaign = campaign_get()
    area = campaign_area(campaign)
    features = []
    if area is not None:
        features.append({"type": "Feature", "properties": {"kind": "area", "source": area.source},
                         "geometry": area.geojson()})
    for village in services.villages_of(campaign):
        point = unit_point_wgs84(village)
        if point is not None:
            features.append({"type": "Feature", "properties": {"kind": "village", "code": village.code,
                                                                "name": village.name},
                             "geometry": {"type": "Point", "coordinates": [round(point[0], 5), round(point[1], 5)]}})
    response = JsonResponse({"type": "FeatureCollection", "features": features},
                            json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
