from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The leaders' view on top of every app: the dashboard (/dashboard/, the leader's home page) and the large
    screen (/screen/). It only assembles what the domain apps' selectors read."""

    name = "dudao.dashboard"
    label = "dashboard"
