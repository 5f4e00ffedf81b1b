from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "dudao.problems"
    label = "problems"
