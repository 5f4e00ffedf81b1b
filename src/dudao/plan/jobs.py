"""The plan's daily check (run by dudao.worker): tell the owners of tasks that passed their deadline undone, once."""

import datetime as dt

from dudao.worker.jobs import Check


def check_overdue(now: dt.datetime) -> str:
    from dudao.plan.services import tasks_overdue_notify

    return f"{len(tasks_overdue_notify(now=now))} task(s) newly overdue"


CHECKS = [Check("plan_tasks_overdue", dt.timedelta(days=1), check_overdue)]
