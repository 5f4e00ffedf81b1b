from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "dudao.org"
    label = "org"

    def ready(self) -> None:
        from dudao.core.messages import register_value_labels
        from dudao.org.models import Level

        # Problems of unit files name levels by code; messages show them by their labels.
        register_value_labels(("level", "parent_level"), Level)
