from django.apps import AppConfig


class RankingConfig(AppConfig):
    name = "dudao.ranking"
    label = "ranking"
