"""Every write of an exposure item (曝光台 / 正面宣传) and of its village's reply. Each is atomic and audit-logged; the
order is dudao.exposure.lifecycle's. The public copy of a photo is made here (exposure.imaging.public_copy) whenever
its regions change and stored through the photos' storage (local files or S3)."""

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.access import require_office
from dudao.accounts.actors import is_actor, recorded_by
from dudao.audit.services import audit_record
from dudao.core.errors import Refused, cleaned_text
from dudao.drone.models import DronePhoto
from dudao.drone.services import display_ensure
from dudao.exposure import imaging, lifecycle
from dudao.exposure.access import may_reply
from dudao.exposure.models import Item, ItemImage, Kind, Reply, ReplyStatus, Status
from dudao.org.models import Unit
from dudao.photos import imaging as photo_imaging
from dudao.photos.services import checked, discard, refusal_message
from dudao.problems.models import Problem, ProblemPhoto
from dudao.ranking import lifecycle as ranking_lifecycle
from dudao.ranking import selectors as ranking_selectors

TITLE_MAX = 100
BODY_MAX = 5000
REASON_MAX = 500
REPLY_MAX = 2000
MAX_IMAGES = 12


def region_message(refused: imaging.RegionRefused) -> str:
    p = refused.params
    messages = {
        "not_list": _("The regions are not a list of rectangles."),
        "too_many": _("%(count)s regions; at most %(max)s are accepted.") % {"count": p.get("count"),
                                                                             "max": p.get("max")},
        "not_numbers": _("Region %(number)s is not four numbers x, y, width, height.") % {"number": p.get("number")},
        "outside": _("Region %(number)s lies outside the photo (x, y, width and height go from 0 to 100%%).")
        % {"number": p.get("number")},
        "empty": _("Region %(number)s has no width or no height.") % {"number": p.get("number")},
    }
    return messages[refused.code]


def villages_of(campaign):
    return Unit.objects.of_campaign(campaign).ranked().filter(active=True)


def _texts(title: str, body: str, reason: str) -> tuple[str, str, str]:
    return (cleaned_text(title, code="title", empty=_("Give the item a title."), maximum=TITLE_MAX),
            cleaned_text(body, code="body", empty=_("Write the item's text."), maximum=BODY_MAX),
            cleaned_text(reason, code="reason", empty=_("State the reason the item is shown."), maximum=REASON_MAX))


def _store_public(data: bytes, now: dt.datetime) -> str:
    return default_storage.save(f"exposure/{now:%Y/%m}/{uuid.uuid4().hex}.jpg", ContentFile(data))


def _public_of(source_name: str, regions: list[imaging.Region], now: dt.datetime) -> tuple[str, int, int]:
    """The public copy of a stored photo, stored: its name, width and height."""
    with default_storage.open(source_name, "rb") as file:
        data = file.read()
    try:
        copy, width, height = imaging.public_copy(data, regions)
    except photo_imaging.ImageRefused as refused:
        raise Refused(f"photo_{refused.code}", refusal_message(refused)) from None
    return _store_public(copy, now), width, height


def _climb(campaign, village: Unit, from_week: str, to_week: str) -> dict:
    """The village's positions in two published weeks, as stored on the item."""
    if not from_week or not to_week or from_week >= to_week:
        raise Refused("climb_weeks", _("Pick two published weeks, the earlier one first."))
    found = {}
    for week in (from_week, to_week):
        result = ranking_selectors.village_result(village, campaign, ranking_lifecycle.PUBLISHED_ONCE, week)
        if result is None or result.position is None:
            raise Refused("climb_missing", _("%(village)s has no published position in %(week)s.")
                          % {"village": village.name, "week": week})
        found[week] = result
    return {"climb_from_week": from_week, "climb_from_position": found[from_week].position,
            "climb_to_week": to_week, "climb_to_position": found[to_week].position,
            "climb_ranked": ranking_selectors.result_counts(found[to_week].round)[0]}


def item_compose(*, actor, campaign, kind: str, title: str, body: str, reason: str, village: Unit | None = None,
                 problem: Problem | None = None, drone_photo: DronePhoto | None = None,
                 climb: tuple[str, str] | None = None, synthetic: bool = False) -> Item:
    """A draft item. From a problem (its village; its before and after photos become the item's), from a drone
    photo (its village and the photo), from the village's move between two published weeks (``climb``: the two
    weeks; the positions are read now and kept), or new (a village of the campaign)."""
    require_office(actor)
    if kind not in Kind.values:
        raise Refused("bad_kind", _("Pick the exposure board or the positive column."))
    title, body, reason = _texts(title, body, reason)
    sources: list[tuple[str, str]] = []
    if problem is not None:
        if problem.campaign_id != campaign.pk:
            raise Refused("bad_problem", _("The problem is not one of the campaign."))
        village = problem.village
        sources = [(pp.kind, pp.photo.display_name) for pp in
                   ProblemPhoto.objects.filter(problem=problem).select_related("photo").order_by("kind", "pk")]
        sources.sort(key=lambda s: s[0] != "before")  # before first, then after
    elif drone_photo is not None:
        if drone_photo.campaign_id != campaign.pk or drone_photo.village_id is None:
            raise Refused("bad_drone_photo", _("The drone photo is not placed on a village of the campaign."))
        village = drone_photo.village
        sources = [("drone", display_ensure(drone_photo).display_name)]  # made from the original on first use
    if village is None or not villages_of(campaign).filter(pk=village.pk).exists():
        raise Refused("bad_village", _("Pick a village or community of the campaign."))
    climbed = _climb(campaign, village, *climb) if climb is not None else {}
    now = timezone.now()
    stored: list[str] = []
    try:
        with transaction.atomic():
            item = Item.objects.create(
                campaign=campaign, kind=kind, village=village, title=title, body=body, reason=reason,
                problem=problem, drone_photo=drone_photo, synthetic=synthetic, created_at=now, updated_at=now,
                **climbed, **recorded_by("author", actor))
            for position, (source, name) in enumerate(sources[:MAX_IMAGES]):
                public_name, width, height = _public_of(name, [], now)
                stored.append(public_name)
                ItemImage.objects.create(item=item, source=source, source_name=name, public_name=public_name,
                                         width=width, height=height, position=position)
            audit_record(actor=actor, action="exposure.compose", object_type="exposure_item", object_id=str(item.pk),
                         after={"kind": kind, "village": village.code, "title": title, "body": body,
                                "reason": reason, "problem": problem.number if problem else None,
                                "drone_photo": drone_photo.pk if drone_photo else None, **climbed,
                                "images": len(stored)})
    except BaseException:
        discard(*stored)
        raise
    return item


def _locked(item: Item) -> Item:
    return Item.objects.select_for_update().get(pk=item.pk)


def _editable(item: Item) -> None:
    if item.status not in lifecycle.EDITABLE:
        raise Refused("not_editable", _("“%(title)s” is %(status)s: it can no longer be changed.")
                      % {"title": item.title, "status": Status(item.status).label})


def item_edit(*, actor, item: Item, title: str, body: str, reason: str) -> Item:
    require_office(actor)
    title, body, reason = _texts(title, body, reason)
    with transaction.atomic():
        item = _locked(item)
        _editable(item)
        before = {"title": item.title, "body": item.body, "reason": item.reason}
        item.title, item.body, item.reason, item.updated_at = title, body, reason, timezone.now()
        item.save(update_fields=["title", "body", "reason", "updated_at"])
        audit_record(actor=actor, action="exposure.edit", object_type="exposure_item", object_id=str(item.pk),
                     before=before, after={"title": title, "body": body, "reason": reason})
    return item


def item_image_add(*, actor, item: Item, data: bytes) -> ItemImage:
    """A photo uploaded for a draft item: checked by its content and re-encoded without EXIF (photos.services.
    checked), kept as the source; its public copy made at once (no region yet: the editor marks them next)."""
    require_office(actor)
    processed = checked(data)
    now = timezone.now()
    source_name = default_storage.save(f"exposure/{now:%Y/%m}/{uuid.uuid4().hex}-source.jpg",
                                       ContentFile(processed.display))
    stored = [source_name]
    try:
        with transaction.atomic():
            item = _locked(item)
            _editable(item)
            if item.images.count() >= MAX_IMAGES:
                raise Refused("too_many_images", _("An item has at most %(max)s photos.") % {"max": MAX_IMAGES})
            public_name, width, height = _public_of(source_name, [], now)
            stored.append(public_name)
            image = ItemImage.objects.create(item=item, source="upload", source_name=source_name,
                                             public_name=public_name, width=width, height=height,
                                             position=item.images.count())
            Item.objects.filter(pk=item.pk).update(updated_at=now)
            audit_record(actor=actor, action="exposure.image_add", object_type="exposure_item",
                         object_id=str(item.pk), after={"image": image.pk, "sha256": processed.sha256})
    except BaseException:
        discard(*stored)
        raise
    return image


def item_regions_save(*, actor, image: ItemImage, regions) -> ItemImage:
    """The regions to destroy on a draft item's photo (a list of [x, y, w, h] fractions; an empty list says the
    photo shows nobody): checked (exposure.imaging.check_regions), a new public copy made, the old one deleted."""
    require_office(actor)
    try:
        rectangles = imaging.check_regions(regions)
    except imaging.RegionRefused as refused:
        raise Refused(f"regions_{refused.code}", region_message(refused), **refused.params) from None
    now = timezone.now()
    public_name, width, height = _public_of(image.source_name, rectangles, now)
    try:
        with transaction.atomic():
            item = _locked(image.item)
            _editable(item)
            image = ItemImage.objects.select_for_update().get(pk=image.pk)
            before = {"regions": image.regions, "checked": image.checked}
            old = image.public_name
            image.regions = [r.as_list() for r in rectangles]
            image.checked, image.public_name, image.width, image.height = True, public_name, width, height
            image.save(update_fields=["regions", "checked", "public_name", "width", "height"])
            Item.objects.filter(pk=item.pk).update(updated_at=now)
            audit_record(actor=actor, action="exposure.regions", object_type="exposure_item",
                         object_id=str(item.pk), before={"image": image.pk, **before},
                         after={"image": image.pk, "regions": image.regions, "checked": True})
    except BaseException:
        discard(public_name)
        raise
    discard(old)
    return image


def _move(*, actor, item: Item, transition: str, reason: str = "") -> Item:
    with transaction.atomic():
        item = _locked(item)
        before = item.status
        try:
            item.status = lifecycle.next_status(item.status, transition)
        except lifecycle.TransitionRefused:
            raise Refused("bad_transition", _("“%(title)s” is %(status)s: that cannot be done now.")
                          % {"title": item.title, "status": Status(before).label}) from None
        now = timezone.now()
        item.updated_at = now
        fields = ["status", "updated_at"]
        if transition in ("publish", "return"):
            if is_actor(item.author_id, item.author_label, actor):
                raise Refused("self_review", _("A second person reviews an item: its author cannot publish or "
                                               "return it."))
            item.reviewed_at = now
            for field, value in recorded_by("reviewer", actor).items():
                setattr(item, field, value)
            fields += ["reviewer", "reviewer_label", "reviewed_at"]
        if transition == "submit":
            unchecked = item.images.filter(checked=False).count()
            if unchecked:
                raise Refused("unchecked_images", _("%(count)s photos are not checked yet: mark the regions to "
                                                    "blur on each (or save it with none) before submitting.")
                              % {"count": unchecked})
            item.returned_reason = ""
            fields.append("returned_reason")
        if transition == "publish":
            item.published_at = now
            fields.append("published_at")
        if transition == "return":
            item.returned_reason = reason
            fields.append("returned_reason")
        if transition == "withdraw":
            item.withdrawn_at, item.withdrawn_reason = now, reason
            fields += ["withdrawn_at", "withdrawn_reason"]
        item.save(update_fields=fields)
        audit_record(actor=actor, action=f"exposure.{transition}", object_type="exposure_item",
                     object_id=str(item.pk), before={"status": before},
                     after={"status": item.status, **({"reason": reason} if reason else {})})
    return item


def _reason(reason: str) -> str:
    return cleaned_text(reason, code="reason", empty=_("Give the reason."), maximum=REASON_MAX)


def item_submit(*, actor, item: Item) -> Item:
    """The office hands a draft to a second office user for review."""
    require_office(actor)
    return _move(actor=actor, item=item, transition="submit")


def item_publish(*, actor, item: Item) -> Item:
    """A second office user (not the author) publishes it on the portal."""
    require_office(actor)
    return _move(actor=actor, item=item, transition="publish")


def item_return(*, actor, item: Item, reason: str) -> Item:
    """A second office user (not the author) hands it back as a draft, with a reason."""
    require_office(actor)
    return _move(actor=actor, item=item, transition="return", reason=_reason(reason))


def item_withdraw(*, actor, item: Item, reason: str) -> Item:
    """The office takes a published item off the portal, with a reason."""
    require_office(actor)
    return _move(actor=actor, item=item, transition="withdraw", reason=_reason(reason))


# The village's reply ----------------------------------------------------------------------------------------

def reply_submit(*, actor, item: Item, text: str) -> Reply:
    """The village's staff answer a published item about their village (again after the office returned it)."""
    if not may_reply(actor, item):
        raise PermissionDenied
    text = cleaned_text(text, code="reply", empty=_("Write the village's reply."), maximum=REPLY_MAX)
    now = timezone.now()
    with transaction.atomic():
        item = _locked(item)
        if item.status != Status.PUBLISHED:
            raise Refused("not_published", _("Only a published item can be replied to."))
        reply = Reply.objects.select_for_update().filter(item=item).first()
        before = None
        if reply is None:
            reply = Reply(item=item)
        else:
            before = {"status": reply.status, "text": reply.text}
            try:
                lifecycle.REPLY.next_status(reply.status, "submit")
            except lifecycle.TransitionRefused:
                raise Refused("reply_bad_transition", _("The reply is %(status)s: it can no longer be changed.")
                              % {"status": ReplyStatus(reply.status).label}) from None
        reply.status, reply.text, reply.submitted_at, reply.returned_reason = ReplyStatus.SUBMITTED, text, now, ""
        for field, value in recorded_by("author", actor).items():
            setattr(reply, field, value)
        reply.save()
        Item.objects.filter(pk=item.pk).update(updated_at=now)
        audit_record(actor=actor, action="exposure.reply_submit", object_type="exposure_item",
                     object_id=str(item.pk), before=before, after={"status": reply.status, "text": text})
    return reply


def _reply_move(*, actor, reply: Reply, transition: str, reason: str = "") -> Reply:
    require_office(actor)
    with transaction.atomic():
        reply = Reply.objects.select_for_update().get(pk=reply.pk)
        before = reply.status
        try:
            reply.status = lifecycle.REPLY.next_status(reply.status, transition)
        except lifecycle.TransitionRefused:
            raise Refused("reply_bad_transition", _("The reply is %(status)s: that cannot be done now.")
                          % {"status": ReplyStatus(before).label}) from None
        now = timezone.now()
        reply.reviewed_at, reply.returned_reason = now, reason
        for field, value in recorded_by("reviewer", actor).items():
            setattr(reply, field, value)
        if transition == "publish":
            reply.published_at = now
        reply.save()
        Item.objects.filter(pk=reply.item_id).update(updated_at=now)
        audit_record(actor=actor, action=f"exposure.reply_{transition}", object_type="exposure_item",
                     object_id=str(reply.item_id), before={"status": before},
                     after={"status": reply.status, **({"reason": reason} if reason else {})})
    return reply


def reply_publish(*, actor, reply: Reply) -> Reply:
    """The office shows the village's reply beside the item."""
    return _reply_move(actor=actor, reply=reply, transition="publish")


def reply_return(*, actor, reply: Reply, reason: str) -> Reply:
    """The office hands the reply back to the village with a reason."""
    return _reply_move(actor=actor, reply=reply, transition="return", reason=_reason(reason))
