from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MapsConfig(AppConfig):
    """The map of the county: village and community areas coloured by a layer (the week's tiers, drone coverage,
    problems, inspections), township borders, a legend. A page-level app on top of every domain app: it only
    reads (ranking, drone, problems, inspections, org) and draws; pages elsewhere embed its component
    (templates/maps/_map.html)."""

    name = "dudao.maps"
    verbose_name = _("Maps")
