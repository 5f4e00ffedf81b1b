from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dudao.core"
    label = "core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from dudao.core.middleware import refreshed_at_sign_in

        user_logged_in.connect(refreshed_at_sign_in, dispatch_uid="dudao.core.refreshed_at_sign_in")
