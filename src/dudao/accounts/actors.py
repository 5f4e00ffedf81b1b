"""Who did something, as every record keeps it: a foreign key to the account that did it (None for the command
line and for what Dudao does by itself) and a label to show (the user name, system:cli, or a marker such as
field:inspections), so that the name stays readable whatever becomes of the account."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SYSTEM_LABEL = "system:cli"
# What Dudao did by itself, as people read it (the labels of recorded actors without an account).
SYSTEM_ACTORS = {
    SYSTEM_LABEL: gettext_lazy("Dudao, run by the administrator (command line)"),
    "field:inspections": gettext_lazy("field inspections (fed automatically)"),
    "field:drone": gettext_lazy("drone photos (fed automatically)"),
}


def actor_field() -> models.ForeignKey:
    """The account of a recorded actor; declare ``<name>_label = models.CharField(max_length=150)`` beside it."""
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")


def actor_label(actor) -> str:
    return getattr(actor, "username", "") or SYSTEM_LABEL


def actor_user(actor):
    """The account, or None for the command line (accounts.access.SYSTEM)."""
    return actor if getattr(actor, "pk", None) is not None else None


def recorded_by(field: str, actor) -> dict:
    """The pair of fields ``<field>`` (the account) and ``<field>_label`` for an actor, for a model's constructor or
    update."""
    return {field: actor_user(actor), f"{field}_label": actor_label(actor)}


def is_actor(user_id: int | None, label: str, actor) -> bool:
    """Whether a recorded actor (its account id and label) is this actor."""
    return (user_id, label) == (getattr(actor, "pk", None), actor_label(actor))


def actor_display(user, label: str) -> str:
    """A recorded actor as people read it: the person's name and role for an account (the person behind it, else
    the account's full name, else its user name), a description for what Dudao did by itself, else the label."""
    if user is not None:
        person = getattr(user, "person", None) if getattr(user, "person_id", None) else None
        name = person.name if person is not None else (user.get_full_name() or user.username)
        return _("%(name)s (%(role)s)") % {"name": name, "role": user.get_role_display()}
    if label in SYSTEM_ACTORS:
        return str(SYSTEM_ACTORS[label])
    return label
