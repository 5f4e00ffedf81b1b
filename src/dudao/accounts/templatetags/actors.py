"""{% actor record "field" %}: who did something, by name and role (dudao.accounts.actors.actor_display), for a
record's ``<field>`` (the account) and ``<field>_label``. The accounts a page names are read once per request."""

from django import template

from dudao.accounts.actors import actor_display
from dudao.accounts.models import User

register = template.Library()


@register.simple_tag(takes_context=True)
def actor(context, record, field: str) -> str:
    if record is None:
        return ""
    user_id, label = getattr(record, f"{field}_id", None), getattr(record, f"{field}_label", "")
    if user_id is None:
        return actor_display(None, label) if label else ""
    request = context.get("request")
    known: dict = getattr(request, "_actors", None) if request is not None else None  # type: ignore[assignment]
    if known is None:
        known = {}
        if request is not None:
            request._actors = known
    if user_id not in known:
        known[user_id] = User.objects.select_related("person").filter(pk=user_id).first()
    return actor_display(known[user_id], label)


@register.filter
def who(user) -> str:
    """An account by name and role: {{ inspection.inspector|who }} (select_related the account's person)."""
    return actor_display(user, "") if user is not None else ""
