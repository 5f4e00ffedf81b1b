"""Eight weeks of synthetic weekly rounds for the demo: seven published, the current week collecting.

Every village has a hidden "condition" that drifts a little from week to week; the township and drone rankings
and the field inspections (dudao.demo.field, which fill the inspection ranking) are noisy views of it. One
township (红水镇) ranks its villages carelessly, so that the agreement check has something to show. All of it
goes through the services, like real submissions.
"""

import datetime as dt
import random

from django.utils import timezone

from dudao.accounts.access import SYSTEM
from dudao.core import weeks
from dudao.core.tables import write_csv
from dudao.demo import drone as demo_drone
from dudao.demo import field
from dudao.org.models import Unit
from dudao.publication import services as publication
from dudao.ranking import services
from dudao.ranking.models import Round

CARELESS_TOWN = "620423105000"  # 红水镇
WEEKS = 8


def demo_weeks(today: dt.date) -> list[str]:
    current = weeks.week_of(today)
    return [weeks.add_weeks(current, offset) for offset in range(-(WEEKS - 1), 1)]


def load_rounds(campaign, today: dt.date | None = None) -> list[str]:
    """Create the demo rounds that do not exist yet; returns the demo weeks."""
    today = today or timezone.localdate()
    villages = list(Unit.objects.ranked().filter(active=True)
                    .select_related("parent").order_by("code"))
    rng = random.Random(48)
    condition = {v.code: rng.gauss(0, 1) for v in villages}
    demo = demo_weeks(today)
    for number, week in enumerate(demo):
        for code in condition:
            condition[code] += rng.gauss(0, 0.25)
        if Round.objects.filter(campaign=campaign, week=week).exists():
            continue
        latest = number == len(demo) - 1
        by_town: dict[Unit, list[str]] = {}
        for v in villages:
            assert v.parent is not None
            by_town.setdefault(v.parent, []).append(v.code)
        town_rows = []
        for town, codes in by_town.items():
            noise = 2.5 if town.code == CARELESS_TOWN else 0.5
            order = sorted(codes, key=lambda c: -(condition[c] + rng.gauss(0, noise)))
            if latest:
                if town.code in (CARELESS_TOWN, "620423106000", "620423207000"):
                    continue  # three townships have not submitted yet this week
                services.ranking_submit_order(actor=SYSTEM, campaign=campaign, week=week, town=town, codes=order)
            town_rows += [[code, str(n)] for n, code in enumerate(order, start=1)]
        field.inspect_week(campaign, weeks.week_start(week), villages, condition, rng, 12 if latest else 40)
        if latest:
            continue
        flown = rng.sample(villages, 35)
        drone = [[v.code, str(max(1, min(5, round(3 + condition[v.code] + rng.gauss(0, 0.5)))))] for v in flown]
        for source, header, rows in (("town", ["code", "rank"], town_rows),
                                     ("drone", ["code", "score"], drone)):
            report = services.ranking_import(actor=SYSTEM, campaign=campaign, week=week, source=source,
                                             data=write_csv(header, rows), filename=f"{source}.csv")
            if not report.ok:
                raise RuntimeError(report.problems)
        services.ranking_compute(actor=SYSTEM, campaign=campaign, week=week)
        publication.round_publish(actor=SYSTEM, campaign=campaign, week=week)
    field.load_problems(campaign, villages)
    demo_drone.load_drone_batch(campaign, villages)
    return demo
