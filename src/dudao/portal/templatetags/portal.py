from django import template

from dudao.portal import texts

register = template.Library()


@register.filter
def week_label(week: str) -> str:
    return texts.week_label(week)


@register.filter
def get(mapping: dict, key):
    return mapping.get(key)
