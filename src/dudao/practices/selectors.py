"""Reading good practices: the township's own (the office: all), the office's review list, and what is published."""

from django.db.models import Count, Max, QuerySet

from dudao.accounts.access import is_office
from dudao.practices.access import may_write_any
from dudao.practices.models import Practice, Status


def practices_visible_to(user, campaign) -> QuerySet[Practice]:
    """The practices a user may open on the staff side: the office all, a township's staff their township's."""
    rows = Practice.objects.filter(campaign=campaign).select_related("town")
    if is_office(user):
        return rows
    if may_write_any(user):
        return rows.filter(town_id=user.scope_unit_id)
    return rows.none()


def practices_for_review(campaign, status: str) -> QuerySet[Practice]:
    status = status if status in Status.values else Status.SUBMITTED
    return Practice.objects.filter(campaign=campaign, status=status).select_related("town").order_by("updated_at")


def published(campaign) -> QuerySet[Practice]:
    """What the public may read, newest first."""
    return (Practice.objects.filter(campaign=campaign, status=Status.PUBLISHED).select_related("town")
            .order_by("-published_at", "-pk"))


def published_stamp(campaign) -> str:
    """Moves whenever the published practices change (one published, withdrawn or edited): the public pages' key."""
    found = Practice.objects.filter(campaign=campaign).aggregate(
        n=Count("pk"), at=Max("updated_at"))
    return f"{found['n']}:{found['at'].timestamp() if found['at'] else 0}"
