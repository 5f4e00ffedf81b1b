"""The demo's people mobilised and publicity on the ground (synthetic, like the rest of the demo): in 大水䃎村
(demo_village's village) two party members, an activist and a reserve cadre, each in a grid, with a few cleanups,
problem reports and leaflet visits this week and last; two party members of 水源村 (一条山镇); one loudspeaker
schedule running now in 大水䃎村 and one publicity van tour of 喜泉镇 this week. Their phones start with 1008
(100: no network's; 8 keeps them apart from the other demo people), their names are made up, every record is
flagged synthetic and the texts say 演示数据. Idempotent; through the services, so audit-logged like real data."""

import datetime as dt

from django.utils import timezone

from dudao.accounts.models import User
from dudao.mobilise import services
from dudao.mobilise.models import Volunteer
from dudao.org.models import Unit

DASHUI = "620423103200"  # 大水䃎村 (喜泉镇): demo_village
SHUIYUAN = "620423100200"  # 水源村 (一条山镇)
XIQUAN = "620423103000"  # 喜泉镇
PHONE_PREFIX = "1008"

# name, kind, village, the grid's number in the village (or 0), days since registration
PEOPLE = [
    ("赵红梅", "party_member", DASHUI, 1, 120),
    ("钱建军", "party_member", DASHUI, 2, 300),
    ("孙晓燕", "activist", DASHUI, 1, 60),
    ("李志强", "reserve_cadre", DASHUI, 3, 200),
    ("周秀兰", "party_member", SHUIYUAN, 1, 90),
    ("吴海涛", "party_member", SHUIYUAN, 0, 150),
]
# index in PEOPLE, kind, days ago, households
ACTIVITIES = [
    (0, "leaflet_visit", 0, 12), (0, "cleanup", 1, None), (1, "cleanup", 1, None), (1, "leaflet_visit", 8, 20),
    (2, "problem_report", 2, None), (3, "cleanup", 9, None), (4, "leaflet_visit", 3, 15), (5, "cleanup", 10, None),
]


def load_mobilise(campaign, today: dt.date | None = None) -> None:
    if Volunteer.objects.filter(campaign=campaign, synthetic=True).exists():
        return
    today = today or timezone.localdate()
    office = User.objects.get(username="demo_office")
    units = {u.code: u for u in Unit.objects.filter(code__in=[DASHUI, SHUIYUAN, XIQUAN])}
    grids: dict[str, list[Unit]] = {code: list(Unit.objects.filter(level="grid", path__startswith=units[code].path)
                                               .order_by("code")) for code in (DASHUI, SHUIYUAN)}
    volunteers = []
    for n, (name, kind, village, grid, days) in enumerate(PEOPLE, start=1):
        volunteers.append(services.volunteer_register(
            actor=office, campaign=campaign, village=units[village], name=name, phone=f"{PHONE_PREFIX}{n:07d}",
            kind=kind, since=today - dt.timedelta(days=days), grid=grids[village][grid - 1] if grid else None,
            synthetic=True))
    for index, kind, days, households in ACTIVITIES:
        services.activity_record(actor=office, volunteer=volunteers[index], kind=kind,
                                 date=today - dt.timedelta(days=days), households=households,
                                 note="演示数据", synthetic=True)
    services.broadcast_schedule(
        actor=office, campaign=campaign, village=units[DASHUI], place="村委会大喇叭（演示数据）",
        times="07:30,12:00,19:00",
        text="人居环境整治，人人参与：门前三包，垃圾入桶，不乱堆乱放。（演示数据，纯属虚构）",
        date_from=today - dt.timedelta(days=7), date_to=today + dt.timedelta(days=21), synthetic=True)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time(9, 0)))
    services.van_tour_record(actor=office, campaign=campaign, unit=units[XIQUAN], starts_at=start,
                             ends_at=start + dt.timedelta(hours=3),
                             route="镇政府—大水䃎村—喜集水村—兴泉村—镇政府（演示数据）", synthetic=True)
