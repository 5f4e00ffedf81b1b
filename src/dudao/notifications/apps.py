from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "dudao.notifications"
    label = "notifications"

    def ready(self) -> None:
        from dudao.notifications import notices  # noqa: F401  (registers the test message's kind)
