from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "dudao.photos"
    label = "photos"
