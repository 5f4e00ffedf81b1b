from django.apps import AppConfig


class DroneConfig(AppConfig):
    name = "dudao.drone"
    label = "drone"
