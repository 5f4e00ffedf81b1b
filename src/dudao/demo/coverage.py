"""The demo's inspection coverage (decision 0025), synthetic and labelled so: this week's visit plan of each
inspection group - four villages of its township; for 一条山镇's group (the demo inspector's) up to two of them among
the villages it has already inspected this week, so the coverage view shows planned, visited and both differences."""

import random

from django.db import transaction

from dudao.accounts.access import SYSTEM
from dudao.plan import access, coverage

PLANNED = 4


def load_coverage(campaign) -> None:
    week = coverage.this_week()
    rng = random.Random(25)
    with transaction.atomic():  # one commit for the eleven plans
        _plans(campaign, week, rng)


def _plans(campaign, week: str, rng: random.Random) -> None:
    for group in access.inspection_groups(campaign).prefetch_related("towns").order_by("name"):
        if coverage.plan_of(group, week) is not None:
            continue
        codes = [v.code for v in coverage.group_villages(group)]
        visited = sorted(coverage.visited_codes(group, week))[:2]
        rest = [code for code in codes if code not in set(visited)]
        chosen = visited + rng.sample(rest, min(PLANNED - len(visited), len(rest)))
        coverage.visit_plan_save(actor=SYSTEM, campaign=campaign, group=group, week=week, village_codes=chosen,
                                 synthetic=True)

