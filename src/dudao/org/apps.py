from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "dudao.org"
    label = "org"
