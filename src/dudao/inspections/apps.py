from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "dudao.inspections"
    label = "inspections"
