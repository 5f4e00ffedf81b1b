"""The staff pages of good practices (/practices/): a township's own list and form, the office's review list (submitted
ones to publish or return) and its actions. The public pages are the portal's (portal/practices.py)."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dudao.accounts import access
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import require, see_other
from dudao.core.paging import paginate
from dudao.photos import imaging
from dudao.photos.services import refusal_message
from dudao.practices import lifecycle, selectors, services
from dudao.practices.access import may_write, may_write_any
from dudao.practices.models import Practice, Status

PAGE_SIZE = 20
ACTIONS: dict[str, Callable[..., Practice]] = {"submit": services.practice_submit, "publish": services.practice_publish,
           "return": services.practice_return, "withdraw": services.practice_withdraw}
WITH_REASON = {"return", "withdraw"}


def _photo(request) -> bytes | None:
    upload = request.FILES.get("photo")
    if upload is None:
        return None
    if upload.size > imaging.MAX_BYTES:
        refused = imaging.ImageRefused("too_large", size_mb=round(upload.size / imaging.MIB, 1),
                                       max_mb=imaging.MAX_BYTES // imaging.MIB)
        raise Refused("photo_too_large", refusal_message(refused))
    return upload.read()


@login_required
@require_safe
def practice_list(request):
    require(may_write_any(request.user))
    campaign = campaign_get()
    office = access.is_office(request.user)
    status = request.GET.get("status", Status.SUBMITTED if office else "")
    if office:
        rows = selectors.practices_for_review(campaign, status)
        status = status if status in Status.values else Status.SUBMITTED
    else:
        rows = selectors.practices_visible_to(request.user, campaign)
    return render(request, "practices/list.html", {
        "page": paginate(request, rows, PAGE_SIZE), "office": office, "status": status,
        "statuses": Status.choices})


def _form(request, campaign, practice: Practice | None, values: dict, errors: dict, status: int = 200):
    towns = list(services.towns_of(campaign)) if access.is_office(request.user) else []
    return render(request, "practices/form.html", {
        "practice": practice, "values": values, "errors": errors, "towns": towns,
        "title_max": services.TITLE_MAX, "text_max": services.TEXT_MAX,
        "editable": practice is None or (practice.status in lifecycle.EDITABLE
                                         and may_write(request.user, practice.town)),
        "actions": _actions(request.user, practice), "with_reason": WITH_REASON}, status=status)


def _actions(user, practice: Practice | None) -> list[str]:
    if practice is None:
        return []
    parties = ["office"] if access.is_office(user) else ["town"] if may_write(user, practice.town) else []
    return lifecycle.TABLE.allowed(practice.status, parties)


def _save(request, campaign, practice: Practice | None):
    values = {"title": request.POST.get("title", ""), "text": request.POST.get("text", ""),
              "town": request.POST.get("town", "")}
    if practice is not None:
        town = practice.town
    elif access.is_office(request.user):
        town = services.towns_of(campaign).filter(code=values["town"]).first()
        if town is None:
            return _form(request, campaign, practice, values, {"town": _("Pick a township of the campaign.")}, 400)
    else:
        town = request.user.scope_unit
    try:
        saved = services.practice_save(actor=request.user, campaign=campaign, town=town, title=values["title"],
                                       text=values["text"], photo=_photo(request), practice=practice)
    except Refused as refused:
        field = refused.code.split("_")[0] if refused.code.split("_")[0] in ("title", "text", "photo") else "form"
        return _form(request, campaign, practice, values, {field: refused.message}, 400)
    messages.success(request, _("Saved."))
    return see_other(reverse("practice_detail", args=[saved.pk]))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def practice_new(request):
    require(may_write_any(request.user))
    campaign = campaign_get()
    if request.method == "POST":
        return _save(request, campaign, None)
    return _form(request, campaign, None, {"title": "", "text": "", "town": ""}, {})


def _visible(request, pk: int) -> Practice:
    require(may_write_any(request.user))
    return get_object_or_404(selectors.practices_visible_to(request.user, campaign_get()), pk=pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def practice_detail(request, pk: int):
    practice = _visible(request, pk)
    if request.method == "POST":
        require(may_write(request.user, practice.town))
        return _save(request, practice.campaign, practice)
    return _form(request, practice.campaign, practice,
                 {"title": practice.title, "text": practice.text, "town": practice.town.code}, {})


@login_required
@require_POST
def practice_action(request, pk: int):
    practice = _visible(request, pk)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponseBadRequest()
    kwargs = {"reason": request.POST.get("reason", "")} if action in WITH_REASON else {}
    try:
        ACTIONS[action](actor=request.user, practice=practice, **kwargs)
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("“%(title)s” is now %(status)s.")
                         % {"title": practice.title, "status": Status(lifecycle.TABLE.transitions[action].target)
                            .label})
    return see_other(reverse("practice_detail", args=[practice.pk]))


@login_required
@require_safe
def practice_photo(request, pk: int, size: str):
    practice = _visible(request, pk)
    if size not in ("display", "thumb") or not practice.display_name:
        raise Http404
    name = practice.thumb_name if size == "thumb" else practice.display_name
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response
