from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "dudao.grids"
    label = "grids"
