"""The village's courtyards of this week on its staff's home page:
``{% load courtyard_tags %}{% courtyard_counts %}``."""

from django import template

from dudao.accounts.access import effective_role
from dudao.accounts.models import Role
from dudao.grids.access import can_oversee_courtyards
from dudao.grids.selectors import village_courtyards

register = template.Library()


@register.inclusion_tag("grids/_courtyard_home.html", takes_context=True)
def courtyard_counts(context) -> dict:
    user = context["request"].user
    village = user.scope_unit if effective_role(user) == Role.VILLAGE_STAFF and user.scope_unit_id else None
    if village is None or not can_oversee_courtyards(user, village):
        return {"courtyards": None}
    return {"courtyards": village_courtyards(village)}
