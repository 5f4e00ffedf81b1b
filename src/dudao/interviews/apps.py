from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "dudao.interviews"
    label = "interviews"
