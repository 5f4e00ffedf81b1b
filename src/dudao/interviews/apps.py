from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "dudao.interviews"
    label = "interviews"

    def ready(self) -> None:
        from dudao.interviews import notices  # noqa: F401  (registers the interview notification kind)
