from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "dudao.practices"
    label = "practices"
