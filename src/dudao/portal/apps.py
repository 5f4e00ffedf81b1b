from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The public face (a page app on top: it reads ranking, org and problems): the published weeks' green and red
    lists for anyone, without signing in; their open data (CSV, an Atom feed, Open311 for the problems the office
    marked public); the texts for the channels people read (a loudspeaker script per village, the official account's
    article, a poster). Nothing that was not published, and no personal data."""

    name = "dudao.portal"
    label = "portal"
