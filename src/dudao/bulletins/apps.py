from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "dudao.bulletins"
    label = "bulletins"
