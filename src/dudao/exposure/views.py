"""The staff pages of the exposure board (曝光台) and the positive column (正面宣传) (/exposure/): the office's lists by
state, composing an item (from a problem, a drone photo, a village's move between two published weeks, or new), the
region editor of each photo (rectangles dragged on the photo by static/dudao/exposure/regions.js, or typed in
percent without JavaScript) with the public copy as preview, the review by a second office user, withdrawal, and
the review of the village's reply; a village's staff read the published items about their village and reply. The
public pages are the portal's (portal/exposure.py)."""

import json
import re
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
from dudao.drone.models import DronePhoto
from dudao.exposure import lifecycle, selectors, services
from dudao.exposure.access import may_open, may_reply
from dudao.exposure.models import Item, ItemImage, Kind, ReplyStatus, Status
from dudao.photos import imaging
from dudao.photos.services import refusal_message
from dudao.problems.models import Problem

PAGE_SIZE = 20
ACTIONS: dict[str, Callable[..., Item]] = {"submit": services.item_submit, "publish": services.item_publish,
                                           "return": services.item_return, "withdraw": services.item_withdraw}
WITH_REASON = {"return", "withdraw"}
SOURCES = ("new", "problem", "drone", "climb")
PROBLEM_NUMBER = re.compile(r"^\d{4}-(\d{6,})$")
FIELDS = ("kind", "source", "village", "problem", "drone_photo", "from_week", "to_week", "title", "body", "reason")
BLANK_ROWS = 3  # empty rows of the no-JavaScript region form


@login_required
@require_safe
def item_list(request):
    require(may_open(request.user))
    campaign = campaign_get()
    office = access.is_office(request.user)
    status = request.GET.get("status", Status.REVIEW)
    status = status if status in Status.values else Status.REVIEW
    if office:
        rows = selectors.items_by_status(campaign, status)
        replies = list(selectors.replies_to_review(campaign))
    else:
        rows, replies = selectors.items_visible_to(request.user, campaign).order_by("-published_at"), []
    return render(request, "exposure/list.html", {
        "page": paginate(request, rows, PAGE_SIZE), "office": office, "status": status, "statuses": Status.choices,
        "replies": replies})


def _villages(campaign) -> list[tuple[str, list]]:
    towns: dict[str, list] = {}
    for village in services.villages_of(campaign).select_related("parent").order_by("path"):
        towns.setdefault(village.parent.name if village.parent else "", []).append(village)
    return list(towns.items())


def _new_form(request, campaign, values: dict, errors: dict, status: int = 200):
    return render(request, "exposure/new.html", {
        "values": values, "errors": errors, "kinds": Kind.choices, "sources": SOURCES,
        "towns": _villages(campaign), "weeks": selectors.published_weeks(campaign),
        "title_max": services.TITLE_MAX, "body_max": services.BODY_MAX, "reason_max": services.REASON_MAX},
        status=status)


def _problem(campaign, number: str) -> Problem:
    match = PROBLEM_NUMBER.match(number.strip())
    problem = (Problem.objects.filter(campaign=campaign, pk=int(match.group(1))).select_related("village").first()
               if match else None)
    if problem is None or problem.number != number.strip():
        raise Refused("problem_unknown", _("No problem has the number “%(number)s”.") % {"number": number[:40]})
    return problem


def _drone_photo(campaign, value: str) -> DronePhoto:
    photo = (DronePhoto.objects.filter(campaign=campaign, pk=int(value)).select_related("village").first()
             if value.strip().isdigit() else None)
    if photo is None:
        raise Refused("drone_photo_unknown", _("No drone photo has the number “%(number)s”.") % {"number": value[:40]})
    return photo


def _field_of(code: str) -> str:
    for field in ("title", "body", "reason", "village", "problem", "drone_photo", "climb", "kind"):
        if code.startswith(field):
            return "from_week" if field == "climb" else field
    return "form"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def item_new(request):
    require(access.is_office(request.user))
    campaign = campaign_get()
    if request.method != "POST":
        return _new_form(request, campaign, {**dict.fromkeys(FIELDS, ""), "kind": Kind.EXPOSURE, "source": "new"}, {})
    values = {name: request.POST.get(name, "") for name in FIELDS}
    source = values["source"] if values["source"] in SOURCES else "new"
    try:
        kwargs: dict = {}
        if source == "problem":
            kwargs["problem"] = _problem(campaign, values["problem"])
        elif source == "drone":
            kwargs["drone_photo"] = _drone_photo(campaign, values["drone_photo"])
        else:
            kwargs["village"] = services.villages_of(campaign).filter(code=values["village"]).first()
            if source == "climb":
                kwargs["climb"] = (values["from_week"], values["to_week"])
        item = services.item_compose(actor=request.user, campaign=campaign, kind=values["kind"],
                                     title=values["title"], body=values["body"], reason=values["reason"], **kwargs)
    except Refused as refused:
        return _new_form(request, campaign, values, {_field_of(refused.code): refused.message}, 400)
    messages.success(request, _("Draft saved. Mark the regions to blur on each photo, then submit it for review."))
    return see_other(reverse("exposure_detail", args=[item.pk]))


def _visible(request, pk: int) -> Item:
    require(may_open(request.user))
    return get_object_or_404(selectors.items_visible_to(request.user, campaign_get()), pk=pk)


def _office_item(request, pk: int) -> Item:
    require(access.is_office(request.user))
    return get_object_or_404(selectors.items_visible_to(request.user, campaign_get()), pk=pk)


def _detail(request, item: Item, values: dict | None = None, errors: dict | None = None, status: int = 200):
    office = access.is_office(request.user)
    actions = lifecycle.TABLE.allowed(item.status) if office else []
    reply = selectors.reply_of(item)
    return render(request, "exposure/detail.html", {
        "item": item, "office": office, "images": list(item.images.all()), "actions": actions,
        "with_reason": WITH_REASON, "editable": office and item.status in lifecycle.EDITABLE,
        "values": values or {"title": item.title, "body": item.body, "reason": item.reason},
        "errors": errors or {}, "reply": reply, "may_reply": may_reply(request.user, item) and (
            reply is None or reply.status == ReplyStatus.RETURNED),
        "reply_to_review": office and reply is not None and reply.status == ReplyStatus.SUBMITTED,
        "title_max": services.TITLE_MAX, "body_max": services.BODY_MAX, "reason_max": services.REASON_MAX,
        "reply_max": services.REPLY_MAX}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def item_detail(request, pk: int):
    item = _visible(request, pk)
    if request.method != "POST":
        return _detail(request, item)
    require(access.is_office(request.user))
    values = {name: request.POST.get(name, "") for name in ("title", "body", "reason")}
    try:
        services.item_edit(actor=request.user, item=item, **values)
    except Refused as refused:
        return _detail(request, item, values, {_field_of(refused.code): refused.message}, 400)
    messages.success(request, _("Saved."))
    return see_other(reverse("exposure_detail", args=[item.pk]))


@login_required
@require_POST
def item_action(request, pk: int):
    item = _office_item(request, pk)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponseBadRequest()
    kwargs = {"reason": request.POST.get("reason", "")} if action in WITH_REASON else {}
    try:
        ACTIONS[action](actor=request.user, item=item, **kwargs)
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("“%(title)s” is now %(status)s.")
                         % {"title": item.title, "status": Status(lifecycle.TABLE.transitions[action].target).label})
    return see_other(reverse("exposure_detail", args=[item.pk]))


@login_required
@require_POST
def image_add(request, pk: int):
    item = _office_item(request, pk)
    upload = request.FILES.get("photo")
    try:
        if upload is None:
            raise Refused("photo_missing", _("Choose a photo."))
        if upload.size > imaging.MAX_BYTES:
            refused = imaging.ImageRefused("too_large", size_mb=round(upload.size / imaging.MIB, 1),
                                           max_mb=imaging.MAX_BYTES // imaging.MIB)
            raise Refused("photo_too_large", refusal_message(refused))
        image = services.item_image_add(actor=request.user, item=item, data=upload.read())
    except Refused as refused:
        messages.error(request, refused.message)
        return see_other(reverse("exposure_detail", args=[item.pk]))
    return see_other(reverse("exposure_regions", args=[item.pk, image.pk]))


def _image(item: Item, image_pk: int) -> ItemImage:
    return get_object_or_404(ItemImage.objects.select_related("item"), pk=image_pk, item=item)


def _percent_rows(post) -> list[list[float]]:
    """The no-JavaScript form's rows: x, y, width and height in percent; a row left empty is skipped."""
    rows = []
    count = min(int(post.get("rows", "0")) if post.get("rows", "0").isdigit() else 0, 100)
    for i in range(count):
        cells = [post.get(f"{name}{i}", "").strip().replace(",", ".") for name in "xywh"]
        if not any(cells):
            continue
        try:
            rows.append([float(cell) / 100 for cell in cells])
        except ValueError:
            raise Refused("regions_not_numbers", _("Region %(number)s is not four numbers x, y, width, height.")
                          % {"number": len(rows) + 1}) from None
    return rows


def _regions(post) -> object:
    """The regions as the page sent them: the JSON the script wrote (normalised), else the percent rows."""
    written = post.get("regions", "").strip()
    if written:
        try:
            return json.loads(written)
        except ValueError:
            raise Refused("regions_not_list", _("The regions are not a list of rectangles.")) from None
    return _percent_rows(post)


def _regions_page(request, item: Item, image: ItemImage, error: str = "", status: int = 200):
    rows = [[round(v * 100, 2) for v in region] for region in image.regions]
    rows += [["", "", "", ""]] * BLANK_ROWS
    return render(request, "exposure/regions.html", {
        "item": item, "image": image, "rows": rows, "error": error, "editable": item.status in lifecycle.EDITABLE,
        "max_regions": services.imaging.MAX_REGIONS}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def image_regions(request, pk: int, image_pk: int):
    item = _office_item(request, pk)
    image = _image(item, image_pk)
    if request.method != "POST":
        return _regions_page(request, item, image)
    try:
        services.item_regions_save(actor=request.user, image=image, regions=_regions(request.POST))
    except Refused as refused:
        return _regions_page(request, item, image, refused.message, 400)
    messages.success(request, _("Regions saved; the public copy below is what the public will see."))
    return see_other(reverse("exposure_regions", args=[item.pk, image.pk]))


@login_required
@require_safe
def image_file(request, pk: int, image_pk: int, which: str):
    """A photo for the staff: the source (the office only) or the public copy (the office; a village's staff for
    the published items about their village)."""
    item = _visible(request, pk)
    image = _image(item, image_pk)
    if which == "source" and access.is_office(request.user):
        name = image.source_name
    elif which == "public":
        name = image.public_name
    else:
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_POST
def reply_submit(request, pk: int):
    item = _visible(request, pk)
    require(may_reply(request.user, item))
    text = request.POST.get("text", "")
    try:
        services.reply_submit(actor=request.user, item=item, text=text)
    except Refused as refused:
        return _detail(request, item, errors={"reply": refused.message}, status=400)
    messages.success(request, _("Your reply is sent to the office; it shows beside the item once published."))
    return see_other(reverse("exposure_detail", args=[item.pk]))


@login_required
@require_POST
def reply_action(request, pk: int):
    item = _office_item(request, pk)
    reply = selectors.reply_of(item)
    action = request.POST.get("action", "")
    if reply is None or action not in ("publish", "return"):
        return HttpResponseBadRequest()
    try:
        if action == "publish":
            services.reply_publish(actor=request.user, reply=reply)
        else:
            services.reply_return(actor=request.user, reply=reply, reason=request.POST.get("reason", ""))
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("The reply is now %(status)s.")
                         % {"status": ReplyStatus(lifecycle.REPLY.transitions[action].target).label})
    return see_other(reverse("exposure_detail", args=[item.pk]))
