from django.apps import AppConfig


class RecheckConfig(AppConfig):
    name = "dudao.recheck"
    label = "recheck"
