from django.apps import AppConfig


class ExposureConfig(AppConfig):
    name = "dudao.exposure"
    label = "exposure"
