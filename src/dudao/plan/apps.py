from django.apps import AppConfig


class PlanConfig(AppConfig):
    name = "dudao.plan"
    label = "plan"

    def ready(self) -> None:
        from dudao.core.messages import COLUMN_LABELS, MESSAGES
        from dudao.plan import notices  # noqa: F401 - registers the notification kinds
        from dudao.plan.messages import PLAN_COLUMNS, PLAN_MESSAGES

        MESSAGES.update(PLAN_MESSAGES)
        COLUMN_LABELS.update(PLAN_COLUMNS)
