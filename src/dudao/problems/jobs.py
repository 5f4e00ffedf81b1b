"""The problem loop's periodic check (run by dudao.worker): tell villages and townships once about problems that
passed their deadline. Cheap and idempotent, so hourly: a problem is told soon after its deadline."""

import datetime as dt

from dudao.worker.jobs import Check


def check_overdue(now: dt.datetime) -> str:
    from dudao.problems.services import problems_overdue_notify

    return f"{len(problems_overdue_notify(now=now))} problem(s) newly overdue"


CHECKS = [Check("problems_overdue", dt.timedelta(hours=1), check_overdue)]
