from django import template

from dudao.maps.views import base_layer

register = template.Library()


@register.simple_tag
def map_base() -> dict[str, str]:
    """The base layer the settings choose, for the map component's data attributes."""
    return base_layer()
