"""The weekly round's periodic checks (run by dudao.worker): remind townships as the ranking deadline nears (every
10 minutes, so that it fires close to "N hours before"); the leaders' weekly digest (hourly: it goes out soon after
its weekday and time, once per week)."""

import datetime as dt

from dudao.worker.jobs import Check


def check_ranking_deadline(now: dt.datetime) -> str:
    from dudao.publication.notices import ranking_deadline_approaching

    return f"{len(ranking_deadline_approaching(now=now))} township(s) reminded"


def check_leader_digest(now: dt.datetime) -> str:
    from dudao.publication.notices import leader_digest

    return f"{leader_digest(now=now)} leader(s) sent the weekly digest"


CHECKS = [Check("ranking_deadline", dt.timedelta(minutes=10), check_ranking_deadline),
          Check("leader_digest", dt.timedelta(hours=1), check_leader_digest)]
