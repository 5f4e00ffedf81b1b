"""The demo's campaign plan, all synthetic and labelled so: the county departments with made-up responsible
people, the duties of the leading body's groups, the 18-action battle map (data/actions.csv, imported as an office
would, its dates moved so that the campaign began three months before today), the evidence mapping, and a few
progress reports of 喜泉镇 (the demo township's account)."""

import csv
import datetime as dt
import io
import re
from importlib import resources

from django.utils import timezone

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import User
from dudao.core.tables import write_csv
from dudao.inspections.models import ChecklistItem
from dudao.org import services as org_services
from dudao.org.models import GroupKind, Person, WorkingGroup
from dudao.plan import services as plan
from dudao.plan.models import Action, Department, DepartmentPostRole, Task
from dudao.problems.models import Category

# Name, duties, head's title.
DEPARTMENTS = [
    ("住建局", "城区背街小巷、残垣断壁、公厕和长效保洁", "局长"),
    ("自然资源局", "违章建筑查处和拆除", "局长"),
    ("交通运输局", "国省道沿线和通村道路环境", "局长"),
    ("农业农村局", "农村人居环境：垃圾、厕所、乱堆乱放、农业废弃物", "局长"),
    ("生态环境局", "生活污水和养殖污染治理", "分局局长"),
    ("水务局", "河渠沟道清理", "局长"),
    ("卫生健康局", "公厕卫生和爱国卫生运动", "局长"),
    ("城市管理综合执法局", "乱贴乱画、占道经营和违建执法", "局长"),
    ("市场监督管理局", "集贸市场环境", "局长"),
    ("林业和草原局", "村庄和道路绿化", "局长"),
    ("财政局", "整治资金保障", "局长"),
    ("县委宣传部", "宣传发动和曝光", "副部长"),
    ("融媒体中心", "《曝光台来啦》等栏目", "主任"),
]
DUTIES: dict[str, str] = {
    GroupKind.LEADING: "统筹全县“四抓四促”城乡环境专项整治，研究解决重大问题，审定实施方案和作战图。",
    GroupKind.OFFICE: "承担领导小组日常工作：制定作战图，组织每周排名和通报，汇总无人机拍摄排名，督促问题整改。",
    GroupKind.SPECIAL: "牵头本领域整治任务，协调行业部门，定期向领导小组报告进展。",
    GroupKind.AUDIT: "对各包抓组督查情况进行复核，督促整改落实，提出问责建议。",
}
# Action number → the problem categories whose rectified problems count toward it.
EVIDENCE = {1: ["garbage"], 3: ["building"], 7: ["sewage"], 9: ["stacking"], 10: ["posting"], 17: ["upkeep"]}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CSV_START = dt.date(2026, 3, 1)
DAYS_BEFORE_TODAY = 90


def actions_csv() -> bytes:
    return resources.files("dudao.demo").joinpath("data/actions.csv").read_bytes()


def shifted_csv(data: bytes, today: dt.date) -> bytes:
    """The actions file with every date moved by the same number of days, so that it starts 90 days before today."""
    offset = today - dt.timedelta(days=DAYS_BEFORE_TODAY) - CSV_START

    def move(match: re.Match) -> str:
        return (dt.date.fromisoformat(match.group(0)) + offset).isoformat()

    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return write_csv(rows[0], [[DATE.sub(move, value) for value in row] for row in rows[1:]])


def load_plan(campaign, today: dt.date | None = None) -> None:
    """Idempotent: departments and duties are refreshed; the actions are imported once."""
    today = today or timezone.localdate()
    for position, (name, duties, title) in enumerate(DEPARTMENTS, start=1):
        existing = Department.objects.filter(campaign=campaign, name=name).first()
        department = plan.department_save(actor=SYSTEM, campaign=campaign, name=name, duties=duties,
                                          position=position, synthetic=True, department=existing)
        if existing is None:
            phone = f"1009{position:07d}"
            person = Person.objects.filter(phone=phone).first() or org_services.person_save(
                actor=SYSTEM, person=None, name=f"{name[:2]}负责人（演示）", phone=phone, synthetic=True)
            plan.department_post_add(actor=SYSTEM, department=department, person=person,
                                     role=DepartmentPostRole.HEAD, title=title, start_date=dt.date(2026, 1, 1))
    for group in WorkingGroup.objects.filter(campaign=campaign, kind__in=list(DUTIES), duties=""):
        org_services.group_save(actor=SYSTEM, group=group, campaign=campaign, kind=group.kind, name=group.name,
                                duties=DUTIES[group.kind], towns=list(group.towns.all()), active=group.active)
    if Action.objects.filter(campaign=campaign).exists():
        return
    report = plan.actions_import(actor=SYSTEM, campaign=campaign, data=shifted_csv(actions_csv(), today),
                                 filename="actions.csv")
    if not report.ok:
        raise RuntimeError(report.problems)
    categories = {c.code: c for c in Category.objects.filter(campaign=campaign)}
    garbage_items = list(ChecklistItem.objects.filter(checklist__campaign=campaign, checklist__town__isnull=True,
                                                      category__code="garbage"))
    for no, codes in EVIDENCE.items():
        action = Action.objects.get(campaign=campaign, no=no)
        plan.action_map_evidence(actor=SYSTEM, action=action, categories=[categories[c] for c in codes],
                                 items=garbage_items if no == 1 else [])
    town_user = User.objects.filter(username="demo_town").first()
    if town_user is not None:
        _reports(town_user)
    plan.tasks_overdue_notify()  # as the worker's daily check would have


def _reports(town_user: User) -> None:
    own = Task.objects.filter(town=town_user.scope_unit, own=False).select_related("action")
    figures = {1: ("8", "主干道沿线垃圾点清理完毕（演示）", False),
               4: ("20", "完成残垣断壁登记和首批清理（演示）", False),
               13: ("4600", "春季植树完成（演示）", True),
               18: ("2", "报送好做法两条（演示）", False)}
    for task in own:
        if task.action.no in figures:
            value, note, completes = figures[task.action.no]
            plan.task_progress_report(actor=town_user, task=task, value=value, note=note, completes=completes)
