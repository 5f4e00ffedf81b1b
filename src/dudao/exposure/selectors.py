"""Reading exposure items: the office's lists, a village's own published items, and what the public may read (only
published items, their public copies and their published replies)."""

from django.db.models import Count, Max, QuerySet

from dudao.accounts.access import is_office
from dudao.exposure.access import is_village_staff
from dudao.exposure.models import Item, ItemImage, Reply, ReplyStatus, Status
from dudao.ranking import lifecycle as ranking_lifecycle
from dudao.ranking import selectors as ranking_selectors


def items_visible_to(user, campaign) -> QuerySet[Item]:
    """What a user may open on the staff side: the office every item, a village's staff the published items about
    their village; anyone else nothing."""
    rows = Item.objects.filter(campaign=campaign).select_related("village", "village__parent")
    if is_office(user):
        return rows
    if is_village_staff(user):
        return rows.filter(village_id=user.scope_unit_id, status=Status.PUBLISHED)
    return rows.none()


def items_by_status(campaign, status: str) -> QuerySet[Item]:
    return (Item.objects.filter(campaign=campaign, status=status).select_related("village", "village__parent")
            .order_by("-updated_at", "-pk"))


def replies_to_review(campaign) -> QuerySet[Item]:
    return (Item.objects.filter(campaign=campaign, status=Status.PUBLISHED, reply__status=ReplyStatus.SUBMITTED)
            .select_related("village", "reply").order_by("reply__submitted_at"))


def published(campaign, kind: str | None = None) -> QuerySet[Item]:
    """What the public may read, newest first."""
    rows = Item.objects.filter(campaign=campaign, status=Status.PUBLISHED)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return rows.select_related("village", "village__parent").order_by("-published_at", "-pk")


def reply_of(item: Item) -> Reply | None:
    try:
        return item.reply
    except Reply.DoesNotExist:
        return None


def published_reply(item: Item) -> Reply | None:
    reply = reply_of(item)
    return reply if reply is not None and reply.status == ReplyStatus.PUBLISHED else None


def public_image(campaign, item_pk: int, image_pk: int) -> ItemImage | None:
    """A public copy the public may see: of a published item, else None."""
    return (ItemImage.objects.filter(pk=image_pk, item_id=item_pk, item__campaign=campaign,
                                     item__status=Status.PUBLISHED).first())


def problem_media(problem_ids) -> dict[int, tuple[int, int]]:
    """For each problem that a published item was composed from and that has a photo: (item id, image id) of the
    first photo of its latest published item (Open311's media_url)."""
    found: dict[int, tuple[int, int]] = {}
    rows = (ItemImage.objects.filter(item__problem_id__in=list(problem_ids), item__status=Status.PUBLISHED)
            .order_by("-item__published_at", "-item_id", "position", "pk")
            .values_list("item__problem_id", "item_id", "pk"))
    for problem_id, item_id, image_id in rows:
        found.setdefault(problem_id, (item_id, image_id))
    return found


def published_stamp(campaign) -> str:
    """Moves whenever anything the public may see of the items changes (an item or its reply written, published,
    returned or withdrawn): the public pages' key. One query."""
    found = Item.objects.filter(campaign=campaign).aggregate(n=Count("pk"), at=Max("updated_at"))
    return f"{found['n']}:{found['at'].timestamp() if found['at'] else 0}"


def published_weeks(campaign) -> list[str]:
    """The published weeks, newest first (the climb's choices)."""
    weeks: list[str] = []
    for round_ in ranking_selectors.rounds_newest_first(campaign, ranking_lifecycle.PUBLISHED_ONCE):
        if round_.week not in weeks:
            weeks.append(round_.week)
    return weeks
