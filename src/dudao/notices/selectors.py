"""Reading notices: the office's list (all), and what the public may read."""

from django.db.models import Count, Max, QuerySet

from dudao.notices.models import Notice, Status


def notices_of(campaign) -> QuerySet[Notice]:
    return Notice.objects.filter(campaign=campaign).order_by("-date", "-pk")


def published(campaign) -> QuerySet[Notice]:
    return notices_of(campaign).filter(status=Status.PUBLISHED)


def published_stamp(campaign) -> str:
    """Moves whenever a notice is published or withdrawn: the public pages' key."""
    found = Notice.objects.filter(campaign=campaign).aggregate(n=Count("pk"), at=Max("updated_at"))
    return f"{found['n']}:{found['at'].timestamp() if found['at'] else 0}"
