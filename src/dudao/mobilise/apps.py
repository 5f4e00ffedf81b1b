from django.apps import AppConfig


class MobiliseConfig(AppConfig):
    name = "dudao.mobilise"
    label = "mobilise"
