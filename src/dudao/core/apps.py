from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dudao.core"
    label = "core"
