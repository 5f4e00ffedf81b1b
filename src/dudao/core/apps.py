from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dudao.core"
    label = "core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from dudao.core.middleware import refreshed_at_sign_in

        user_logged_in.connect(refreshed_at_sign_in, dispatch_uid="dudao.core.refreshed_at_sign_in")

        from django.core.signals import setting_changed
        from django.db.backends.signals import connection_created

        from dudao.core import kept

        connection_created.connect(kept.install, dispatch_uid="dudao.core.kept.install")
        setting_changed.connect(kept.forget_all, dispatch_uid="dudao.core.kept.forget_all")
