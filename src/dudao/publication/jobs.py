"""The weekly round's periodic check (run by dudao.worker): remind townships as the ranking deadline nears; every
10 minutes, so that it fires close to "N hours before"."""

import datetime as dt

from dudao.worker.jobs import Check


def check_ranking_deadline(now: dt.datetime) -> str:
    from dudao.publication.notices import ranking_deadline_approaching

    return f"{len(ranking_deadline_approaching(now=now))} township(s) reminded"


CHECKS = [Check("ranking_deadline", dt.timedelta(minutes=10), check_ranking_deadline)]
