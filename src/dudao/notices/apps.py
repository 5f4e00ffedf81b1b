from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "dudao.notices"
    label = "notices"
