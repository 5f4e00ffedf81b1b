from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dudao.reports"
    label = "reports"
