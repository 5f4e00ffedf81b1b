"""Reads of notifications: a user's own, and - for the office - the group robots with what they sent, the rules
and the outbox."""

from django.db.models import Count, Q, QuerySet

from dudao.notifications.models import Channel, Delivery, Notification, Rule, Status


def notifications_of(user) -> QuerySet[Notification]:
    """A user's in-app notifications, newest first."""
    return Notification.objects.filter(recipient=user)


def robots_with_counts() -> list[Channel]:
    """Every group robot with how many of its messages were sent (``sent``) and failed (``failed``)."""
    return list(Channel.objects.select_related("unit").annotate(
        sent=Count("deliveries", filter=Q(deliveries__status=Status.SENT)),
        failed=Count("deliveries", filter=Q(deliveries__status=Status.FAILED))))


def rules() -> list[Rule]:
    return list(Rule.objects.select_related("unit"))


def outbox(status: str = "") -> QuerySet[Delivery]:
    """The outbox, newest first, with each delivery's robot, recipient and attempts; of one status if given."""
    rows = Delivery.objects.select_related("robot", "recipient").prefetch_related("attempt_set")
    return rows.filter(status=status) if status else rows


def outbox_counts() -> dict[str, int]:
    """How many deliveries are in each status."""
    return dict(Delivery.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
