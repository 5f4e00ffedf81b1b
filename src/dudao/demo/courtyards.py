"""The demo's courtyard checks (issue 16 item 3): a dozen synthetic households in 大水䃎村's first two grids and a
few weeks of their cleaners' marks, so the village's page shows households checked, reminded and improved and a
few beautiful courtyards (美丽庭院).

House numbers are labelled 演示 (synthetic) and have no head's name. The marks go through the services as the command
line (the demo has no grid accounts: the village opens them); the photos of the courtyards that need work are
taken by demo_village. Only the clock is synthetic, as in demo.field: each mark is stamped now and then moved back.
"""

import datetime as dt
import random

from django.utils import timezone

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import User
from dudao.demo.field import _near, _scene
from dudao.grids import services
from dudao.grids.models import CourtyardCheck, CourtyardResult, Household
from dudao.org.models import Unit
from dudao.photos.services import photo_upload

DASHUI = "620423103200"  # 大水䃎村 (喜泉镇): demo_village
GRIDS = ("620491032001", "620491032002")
CLEAN, NEEDS_WORK = CourtyardResult.CLEAN, CourtyardResult.NEEDS_WORK
# Each household's marks, oldest first, one a week; the last falls in this week.
HISTORIES = [
    [CLEAN, CLEAN, CLEAN, CLEAN],  # beautiful
    [CLEAN, CLEAN, CLEAN, CLEAN],  # beautiful
    [CLEAN, NEEDS_WORK, CLEAN],  # needed work last week, clean this week: improved
    [CLEAN, CLEAN, NEEDS_WORK],  # reminded this week
    [NEEDS_WORK, CLEAN, CLEAN],
    [],  # not checked yet
]


def load_courtyards(campaign) -> None:
    village = Unit.objects.get(code=DASHUI)
    grids = list(Unit.objects.filter(code__in=GRIDS).order_by("code"))
    if Household.objects.filter(grid__in=grids).exists():
        return
    lines = [f"{grid.code},演示{street}街{n}号" for grid, street in zip(grids, "东西", strict=True)
             for n in range(1, len(HISTORIES) + 1)]
    households = services.households_import(actor=SYSTEM, village=village, text="\n".join(lines))
    photographer = User.objects.get(username="demo_village")
    rng = random.Random("courtyards")
    now = timezone.now()
    for index, household in enumerate(households):
        history = HISTORIES[index % len(HISTORIES)]
        for age, result in enumerate(reversed(history)):
            photo = None
            if result == NEEDS_WORK:
                lon, lat = _near(village, rng, 60)
                photo = photo_upload(actor=photographer, campaign=campaign, village=village, grid=household.grid,
                                     data=_scene(rng, 3), lat=lat, lon=lon, accuracy_m=8.0)
            check = services.courtyard_check(actor=SYSTEM, household=household, result=result, photo=photo,
                                             note="演示（合成数据）")
            # The latest mark a few minutes ago (this week, unless the demo is loaded just after a Monday's midnight),
            # the earlier ones a week apart.
            minutes = (index + 1) * 3
            at = now - dt.timedelta(days=7 * age, minutes=minutes)
            CourtyardCheck.objects.filter(pk=check.pk).update(at=at)
