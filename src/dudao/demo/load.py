"""The Jingtai demo: real units, synthetic people, posts, groups, points and demo logins.

Everything goes through the same service functions (and so the same audit log) as real data. All
people are synthetic: their names are made up and their phone numbers start with 100, a prefix no Chinese
mobile network assigns. Village points are generated around the township seats and flagged synthetic; the
boundaries are derived from the points (demo.boundaries) and flagged synthetic too.
"""

import csv
import io
import math
import random
from dataclasses import dataclass
from importlib import resources

from dudao.accounts import services as account_services
from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.campaigns.services import campaign_ensure_default
from dudao.core.tables import write_csv
from dudao.demo import bulletins as demo_bulletins
from dudao.demo import grids as demo_grids
from dudao.demo.boundaries import synthetic_boundaries_geojson
from dudao.demo.courtyards import load_courtyards
from dudao.demo.coverage import load_coverage
from dudao.demo.exposure import load_exposure
from dudao.demo.interviews import load_interviews
from dudao.demo.mobilise import load_mobilise
from dudao.demo.plan import load_plan
from dudao.demo.publications import load_publications
from dudao.demo.recheck import load_recheck
from dudao.demo.rounds import load_rounds
from dudao.org import services as org_services
from dudao.org.models import GroupKind, MemberRole, Person, Unit, WorkingGroup

DEMO_PASSWORD = "jingtai-demo-2026"  # noqa: S105 - printed by `dudao demo`; the demo is not a deployment
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "建国伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英玉兰萍毅浩宇轩欣怡子涵梓萱雨泽海燕红梅志强文华"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    area: str


def _units_csv() -> bytes:
    return resources.files("dudao.demo").joinpath("data/jingtai-units.csv").read_bytes()


def synthetic_units_csv() -> bytes:
    """The real units with a synthetic point for every unit that has none, flagged point_synthetic."""
    rows = list(csv.DictReader(io.StringIO(_units_csv().decode("utf-8"))))
    by_code = {r["code"]: r for r in rows}
    county = next(r for r in rows if r["level"] == "county")
    out = []
    for row in rows:
        lon, lat, synthetic = row["lon_gcj02"], row["lat_gcj02"], "no"
        if not lon:
            rng = random.Random(row["code"])
            parent = by_code.get(row["parent_code"], county)
            base_lon = float(parent["lon_gcj02"] or county["lon_gcj02"])
            base_lat = float(parent["lat_gcj02"] or county["lat_gcj02"])
            if row["level"] == "town":
                # 红水镇 has no recorded seat: place it 30 km north-east of the county seat.
                distance, angle = 30.0, math.radians(45)
            else:
                distance, angle = rng.uniform(1.5, 9.0), rng.uniform(0, 2 * math.pi)
            lon = f"{base_lon + distance * math.sin(angle) / (111.32 * math.cos(math.radians(base_lat))):.6f}"
            lat = f"{base_lat + distance * math.cos(angle) / 110.57:.6f}"
            synthetic = "yes"
        out.append([row["code"], row["name"], row["level"], row["parent_code"], row["official_name"], lon, lat,
                    synthetic])
    return write_csv(["code", "name", "level", "parent_code", "official_name", "lon_gcj02", "lat_gcj02",
                      "point_synthetic"], out)


class _Names:
    def __init__(self, seed: int, prefix: str = "100"):
        self.rng = random.Random(seed)
        self.count = 0
        self.prefix = prefix

    def person(self) -> tuple[str, str]:
        self.count += 1
        name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
        return name, f"{self.prefix}{self.count:0{11 - len(self.prefix)}d}"


def _people_rows(units: list[Unit]) -> tuple[list[list[str]], dict[str, list[tuple[str, str]]]]:
    names = _Names(2026)
    rows: list[list[str]] = []
    pool: dict[str, list[tuple[str, str]]] = {"county": []}

    def post(unit: Unit, role: str, title: str, start: str = "2021-06-01", end: str = "",
             who: tuple[str, str] | None = None) -> tuple[str, str]:
        person = who or names.person()
        rows.append([person[0], person[1], unit.code, unit.name, role, title, start, end])
        return person

    for unit in units:
        if unit.level == "county":
            post(unit, "county_leader", "县委副书记")
            post(unit, "county_leader", "副县长")
            pool["county"] = [names.person() for _ in range(45)]
        elif unit.level == "town":
            suffix = "镇长" if unit.name.endswith("镇") else "乡长"
            post(unit, "town_head", "党委书记")
            post(unit, "town_head", suffix)
            post(unit, "town_deputy", "分管副" + suffix)
            pool[unit.code] = [names.person() for _ in range(6)]
        elif unit.is_ranked:
            assert unit.parent is not None
            town_staff = pool[unit.parent.code]
            leader = "居委会主任" if unit.level == "community" else "村委会主任"
            secretary = "党支部书记"
            if int(unit.code[-3:]) % 7 == 3:
                # A handover in the demo history: the old secretary left at the end of June 2026.
                post(unit, "village_head", secretary, "2021-06-01", "2026-06-30")
                post(unit, "village_head", secretary, "2026-07-01")
            else:
                post(unit, "village_head", secretary)
            post(unit, "village_head", leader)
            post(unit, "village_liaison", "包村干部", who=town_staff[int(unit.code[-3:]) % len(town_staff)])
            post(unit, "grid_worker", "网格员")
            post(unit, "cleaner", "保洁员")
    return rows, pool


def real_data_present() -> bool:
    """Whether the installation holds people or accounts that the demo did not make."""
    return Person.objects.filter(synthetic=False).exists() or \
        User.objects.exclude(username__startswith="demo_").exists()


def load_demo(*, stderr=None) -> list[DemoLogin]:
    """Load (or refresh) the demo; idempotent. Returns the demo logins."""
    report = org_services.units_import(actor=SYSTEM, data=synthetic_units_csv(), filename="jingtai.csv")
    if not report.ok:
        raise RuntimeError(report.problems)
    campaign, _created = campaign_ensure_default(actor=SYSTEM)
    units = list(Unit.objects.select_related("parent").order_by("path"))
    boundaries = org_services.unit_boundaries_import(actor=SYSTEM, data=synthetic_boundaries_geojson(units),
                                                     datum="gcj02", synthetic=True)
    if not boundaries.ok:
        raise RuntimeError(boundaries.problems)
    grid_rows = demo_grids.grid_unit_rows([u for u in units if u.is_ranked])
    grids_report = org_services.units_import(
        actor=SYSTEM, filename="demo-grids.csv",
        data=write_csv(["code", "name", "level", "parent_code", "lon_gcj02", "lat_gcj02", "point_synthetic",
                        "description"], grid_rows))
    if not grids_report.ok:
        raise RuntimeError(grids_report.problems)
    rows, pool = _people_rows(units)
    rows += demo_grids.grid_people_rows(grid_rows, _Names(2027, demo_grids.GRID_PHONE_PREFIX))
    people_report = org_services.people_import(
        actor=SYSTEM, data=write_csv(["姓名", "手机号", "单位代码", "单位名称", "岗位", "职务", "开始日期", "结束日期"],
                                     rows),
        filename="demo-people.csv", synthetic=True,
    )
    if not people_report.ok:
        raise RuntimeError(people_report.problems)
    # Working-group members need a person record even when they hold no post at a unit.
    county_people = []
    for name, phone in pool["county"]:
        person = Person.objects.filter(phone=phone).first()
        if person is None:
            person = org_services.person_save(actor=SYSTEM, person=None, name=name, phone=phone, synthetic=True)
        county_people.append(person)
    towns = [u for u in units if u.level == "town"]
    groups: list[tuple[str, str, list[Unit], list[Person]]] = [
        (GroupKind.LEADING, "城乡环境专项整治领导小组", [], county_people[0:3]),
        (GroupKind.OFFICE, "领导小组办公室", [], county_people[3:6]),
        (GroupKind.SPECIAL, "农村人居环境整治专项组", [], county_people[6:8]),
        (GroupKind.SPECIAL, "城市环境综合整治专项组", [], county_people[8:10]),
        (GroupKind.AUDIT, "第一督察组", [], county_people[10:12]),
        (GroupKind.AUDIT, "第二督察组", [], county_people[12:14]),
    ]
    numerals = "一二三四五六七八九十"
    for i, town in enumerate(towns):
        label = numerals[i] if i < 10 else "十" + numerals[i - 10]
        groups.append((GroupKind.INSPECTION, f"第{label}包抓指导组（{town.name}）", [town],
                       county_people[14 + 2 * i: 16 + 2 * i] + [county_people[14 + (2 * i + 3) % 22]]))
    inspection_person = audit_person = None
    for kind, name, assigned, members in groups:
        existing = WorkingGroup.objects.filter(campaign=campaign, name=name).first()
        group = org_services.group_save(actor=SYSTEM, group=existing, campaign=campaign, kind=kind, name=name,
                                        towns=assigned)
        for position, person in enumerate(members):
            member_role = MemberRole.LEADER if position == 0 else MemberRole.MEMBER
            org_services.group_member_set(actor=SYSTEM, group=group, person=person, role=member_role)
        if kind == GroupKind.INSPECTION and inspection_person is None:
            inspection_person = members[0]
        if kind == GroupKind.AUDIT and audit_person is None:
            audit_person = members[0]
    by_name = {u.name: u for u in units}
    logins = [
        ("demo_admin", Role.COUNTY_ADMIN, None, None, "演示管理员"),
        ("demo_office", Role.OFFICE, None, county_people[3], "演示办公室"),
        ("demo_leader", Role.LEADER, None, county_people[0], "演示领导"),
        ("demo_inspector", Role.INSPECTOR, None, inspection_person, "演示督查员"),
        ("demo_audit", Role.INSPECTOR, None, audit_person, "演示督察组"),
        ("demo_town", Role.TOWN_STAFF, by_name["喜泉镇"], None, "演示乡镇"),
        ("demo_village", Role.VILLAGE_STAFF, by_name["大水䃎村"], None, "演示村"),
    ]
    result = []
    for username, role, unit, person, display in logins:
        current = User.objects.filter(username=username).first()
        needs_password = current is None or not current.check_password(DEMO_PASSWORD)
        account_services.user_save(actor=SYSTEM, username=username, role=role, scope_unit=unit, person=person,
                                   display_name=display, password=DEMO_PASSWORD if needs_password else None)
        area = unit.name if unit else ("第一督察组" if username == "demo_audit"
                                       else "第一包抓指导组（一条山镇）" if role == Role.INSPECTOR else "景泰县")
        result.append(DemoLogin(username, str(Role(role).label), area))
    load_rounds(campaign)
    load_interviews(campaign)
    load_exposure(campaign)
    load_plan(campaign)
    load_coverage(campaign)
    load_mobilise(campaign)
    demo_bulletins.load(campaign, stderr=stderr)
    load_publications(campaign)
    load_recheck(campaign)
    load_courtyards(campaign)
    return result
