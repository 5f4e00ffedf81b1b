from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The Jingtai demo (`dudao demo`): real units, synthetic people and weeks, loaded through the services."""

    name = "dudao.demo"
    label = "demo"
