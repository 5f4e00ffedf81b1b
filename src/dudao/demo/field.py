"""Field work for the demo: checklists (the county's and two townships' own), inspections across the synthetic
weeks that fill each week's inspection ranking, and problems in every state of the loop, some overdue.

Everything goes through the services with the demo accounts, like real work. Only the clock is synthetic: the
services stamp "now", so the loader moves a finished demo problem's times back (``_age``) to spread the history
over the past weeks; the audit log keeps the true time of loading.
"""

import datetime as dt
import io
import random

from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageDraw

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import User
from dudao.inspections import services as inspections
from dudao.inspections.models import Checklist
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos.services import photo_upload
from dudao.problems import services as problems
from dudao.problems.models import Category, Problem, ProblemEvent

INSPECTOR_TOWN = "620423100000"  # 一条山镇: demo_inspector's inspection group
XIQUAN = "620423103000"  # 喜泉镇: demo_town
DASHUI = "620423103200"  # 大水䃎村: demo_village
TOWN_METHODS = [
    # key, township, name, items (section, item, points)
    ("zhongquan-2468", "620423106000", "中泉镇“2468”工作法检查表",
     [("两个发动", "发动党员干部、发动群众参与", 20), ("四个修整", "修整道路、院落、渠道、绿化", 25),
      ("六个拆除", "拆除危旧房、残垣断壁、违章建筑等", 25), ("八个清理", "清理垃圾、柴草、粪堆、杂物等", 30)]),
    ("hongshui-12345", "620423105000", "红水镇“12345”数字工作法检查表",
     [("1个中心", "围绕人居环境整治中心任务", 20), ("2项工作", "结合乡村振兴和文明创建", 20),
      ("3种力量", "凝聚干部、党员、群众力量", 20), ("4个载体", "利用村规民约、积分超市等载体", 20),
      ("5项措施", "落实清扫、清运、管护、督查、奖惩措施", 20)]),
]


def ensure_checklists(campaign) -> Checklist:
    county = inspections.checklist_default(campaign)
    for key, town_code, name, rows in TOWN_METHODS:
        if inspections.checklist_current(campaign, key) is None:
            inspections.checklist_save(
                actor=SYSTEM, campaign=campaign, key=key, name=name, town=Unit.objects.get(code=town_code),
                critical_cap=60.0, items=[inspections.ItemInput(s, t, p) for s, t, p in rows])
    return county


def _near(village: Unit, rng: random.Random, metres: float = 150) -> tuple[float, float]:
    point = unit_point_wgs84(village)
    assert point is not None
    lon, lat = point
    return lon + rng.uniform(-1, 1) * metres / 88_000, lat + rng.uniform(-1, 1) * metres / 111_000


def inspect_week(campaign, week_start: dt.date, villages: list[Unit], condition: dict[str, float],
                 rng: random.Random, count: int) -> None:
    """``count`` inspections in the week, by the township's inspector or else the office, scored from each
    village's hidden condition."""
    checklist = ensure_checklists(campaign)
    items = list(checklist.items.all())
    inspector = User.objects.get(username="demo_inspector")
    office = User.objects.get(username="demo_office")
    for village in rng.sample(villages, count):
        quality = condition[village.code]
        marks = []
        for item in items:
            share = min(1.0, max(0.0, 0.78 + 0.14 * quality + rng.gauss(0, 0.12)))
            points = round(item.max_points * share * 2) / 2
            marks.append(inspections.MarkInput(item.pk, None if item.allow_na and rng.random() < 0.1 else points))
        at = timezone.make_aware(dt.datetime.combine(week_start + dt.timedelta(days=rng.randrange(0, 5)),
                                                     dt.time(9 + rng.randrange(0, 8), rng.randrange(0, 60))))
        if at > timezone.now():
            at = timezone.now() - dt.timedelta(minutes=rng.randrange(5, 120))
        lon, lat = _near(village, rng)
        actor = inspector if village.path.startswith(f"{_path(INSPECTOR_TOWN)}") else office
        inspections.inspection_submit(
            actor=actor, campaign=campaign, village=village, checklist=checklist, marks=marks, inspected_at=at,
            lat=lat, lon=lon, accuracy_m=round(rng.uniform(4, 40), 1), client_key=f"demo-{village.code}-{at:%Y%m%d}")


def _path(code: str) -> str:
    return Unit.objects.get(code=code).path


def _scene(rng: random.Random, mess: int) -> bytes:
    """A synthetic 'photo': sky, a lane, and ``mess`` heaps of rubbish."""
    image = Image.new("RGB", (960, 720), (150, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, 960, 720), fill=(176, 160, 130))
    draw.polygon([(380, 720), (580, 720), (500, 330), (460, 330)], fill=(140, 130, 120))
    for _ in range(3):
        x = rng.randrange(0, 800)
        draw.rectangle((x, 200, x + 140, 340), fill=(200, 190, 170), outline=(120, 100, 80))
    for _ in range(mess):
        x, y = rng.randrange(60, 880), rng.randrange(420, 680)
        draw.ellipse((x - 50, y - 25, x + 50, y + 25), fill=rng.choice([(90, 70, 50), (60, 90, 60), (120, 40, 40)]))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _photo(campaign, actor: User, village: Unit, rng: random.Random, mess: int) -> int:
    lon, lat = _near(village, rng, 60)
    return photo_upload(actor=actor, campaign=campaign, village=village, data=_scene(rng, mess), lat=lat, lon=lon,
                        accuracy_m=8.0).pk


def _age(problem: Problem, days: float) -> None:
    """Move a demo problem's history back in time (see the module docstring)."""
    shift = dt.timedelta(days=days)
    fields = ("reported_at", "dispatched_at", "deadline", "rectified_at", "first_rectified_at", "verified_at",
              "closed_at")
    Problem.objects.filter(pk=problem.pk).update(**{f: F(f) - shift for f in fields})
    ProblemEvent.objects.filter(problem=problem).update(at=F("at") - shift)


def load_problems(campaign, villages: list[Unit]) -> None:
    """Problems in every state of the loop, some overdue, some with rework; idempotent."""
    if Problem.objects.filter(client_key__startswith="demo-p").exists():
        return
    rng = random.Random(4)
    problems.categories_ensure(campaign)
    users = {u.username: u for u in User.objects.filter(username__startswith="demo_")}
    office, town, village_user, inspector = (users["demo_office"], users["demo_town"], users["demo_village"],
                                             users["demo_inspector"])
    category = {c.code: c for c in Category.objects.filter(campaign=campaign)}
    dashui = Unit.objects.get(code=DASHUI)
    xiquan = [v for v in villages if v.parent is not None and v.parent.code == XIQUAN and v.code != DASHUI]
    yitiaoshan = [v for v in villages if v.parent is not None and v.parent.code == INSPECTOR_TOWN]
    number = 0

    def report(actor: User, village: Unit, code: str, text: str, source: str = "inspection") -> Problem:
        nonlocal number
        number += 1
        return problems.problem_report(
            actor=actor, campaign=campaign, village=village, category=category[code], description=text,
            source=source, photo_ids=[_photo(campaign, actor, village, rng, 4)], client_key=f"demo-p{number}")

    def fix(problem: Problem, actor: User) -> Problem:
        return problems.problem_rectify(actor=actor, problem=problem, note="已清理完毕",
                                        photo_ids=[_photo(campaign, actor, problem.village, rng, 0)])

    # History: closed problems over the past weeks, some fixed late, some after rework.
    for week in range(1, 8):
        for n in range(3):
            village = rng.choice(xiquan)
            p = report(office, village, rng.choice(["garbage", "stacking", "posting"]), "巷道内垃圾、杂物堆放")
            p = fix(p, office)
            if n == 2:
                p = problems.problem_return(actor=town, problem=p, note="仍有残留，需彻底清理")
                p = fix(p, office)
            p = problems.problem_verify(actor=town, problem=p)
            p = problems.problem_close(actor=town, problem=p)
            _age(p, 7 * week - n)
            if n == 1:  # rectified a day late
                Problem.objects.filter(pk=p.pk).update(first_rectified_at=F("deadline") + dt.timedelta(hours=20))
    # This week, in every state.
    reported = report(village_user, dashui, "garbage", "村口垃圾点满溢，未及时清运", source="grid")
    registered = report(village_user, dashui, "posting", "村委会墙面有小广告", source="cleaner")
    problems.problem_register(actor=town, problem=registered)
    report(office, dashui, "stacking", "村道旁柴草乱堆乱放")  # dispatched at once, due today
    overdue = report(office, xiquan[0], "building", "路边彩钢棚乱搭乱建")
    _age(overdue, 10)
    rectified = report(office, dashui, "toilet", "公厕卫生差、有异味")
    fix(rectified, village_user)
    returned = report(inspector, yitiaoshan[0], "sewage", "生活污水排入巷道")
    returned = fix(returned, office)
    problems.problem_return(actor=inspector, problem=returned, note="污水仍在外溢")
    _age(returned, 5)
    verified = report(office, dashui, "upkeep", "保洁员未按时清扫责任区")
    verified = fix(verified, village_user)
    problems.problem_verify(actor=town, problem=verified)
    cancelled = report(village_user, dashui, "garbage", "村口垃圾点满溢", source="grid")
    problems.problem_cancel(actor=town, problem=cancelled, note="与已上报问题重复")
    problems.problems_overdue_notify()
    del reported
