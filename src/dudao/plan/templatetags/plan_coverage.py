"""The plan's navigation asks whether the user plans visits (an inspector or the office: plan.access)."""

from django import template

from dudao.plan import access

register = template.Library()


@register.filter
def plans_visits(user) -> bool:
    return access.can_plan_visits(user)
