from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The site as a whole, on top of every app: the signed-in home page, the navigation every page shows, and
    `dudao init`."""

    name = "dudao.site"
    label = "site"
