from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "dudao.problems"
    label = "problems"

    def ready(self) -> None:
        from dudao.problems import notices  # noqa: F401  (registers the problem loop's notification kinds)
