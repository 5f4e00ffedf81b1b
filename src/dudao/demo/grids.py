"""The demo's grids (issue 16): 3–8 synthetic grids per village and community, each with its people.

Grid codes are synthetic: 62049 TTT VVV G (the prefecture's code 6204, a county number 9x that no county has,
the township's and the village's three digits, the grid's number 1–8; groups 0 and 9), so they never meet a real
statistical code. Every grid is labelled synthetic: its point is flagged so, and its area description starts with
演示网格（合成数据）. One village in five has two villager groups (一组, 二组), with the grids under them. Each grid
has a grid leader (网格长), one or two grid workers (网格员) and a cleaner (保洁员); their phones start with 1009 (100:
no Chinese network assigns it), their names are made up.
"""

import math
import random

from dudao.org.models import Unit

GRID_PHONE_PREFIX = "1009"  # 100 as every demo phone; 9 keeps them apart from the others
NUMERALS = "一二三四五六七八"
STREETS = "东西南北中前后新"


def grid_count(village: Unit) -> int:
    return 3 + int(village.code[-3:]) % 6  # 3 to 8


def grid_code(village: Unit, number: int) -> str:
    return f"62049{village.code[6:12]}{number}"


def group_code(village: Unit, number: int) -> str:
    """Villager groups take the last digits 0 and 9 (grids take 1 to 8)."""
    return f"62049{village.code[6:12]}{'09'[number - 1]}"


def _point(village: Unit, rng: random.Random) -> tuple[str, str]:
    if village.lon is None or village.lat is None:
        return "", ""
    distance, angle = rng.uniform(0.2, 1.2), rng.uniform(0, 2 * math.pi)
    lon = village.lon + distance * math.sin(angle) / (111.32 * math.cos(math.radians(village.lat)))
    lat = village.lat + distance * math.cos(angle) / 110.57
    return f"{lon:.6f}", f"{lat:.6f}"


def grid_unit_rows(villages: list[Unit]) -> list[list[str]]:
    """Rows of a units file (code, name, level, parent_code, lon_gcj02, lat_gcj02, point_synthetic, description)
    for the villages' groups and grids."""
    rows = []
    for village in villages:
        rng = random.Random(f"grid-{village.code}")
        parents = [village.code]
        if int(village.code[-3:]) % 5 == 0:
            parents = []
            for number in (1, 2):
                code = group_code(village, number)
                lon, lat = _point(village, rng)
                rows.append([code, f"{NUMERALS[number - 1]}组", "group", village.code, lon, lat, "yes",
                             "演示村民小组（合成数据）"])
                parents.append(code)
        for number in range(1, grid_count(village) + 1):
            lon, lat = _point(village, rng)
            street = STREETS[(number - 1) % len(STREETS)]
            households = rng.randint(40, 180)
            rows.append([grid_code(village, number), f"第{NUMERALS[number - 1]}网格", "grid",
                         parents[(number - 1) % len(parents)], lon, lat, "yes",
                         f"演示网格（合成数据）：{village.name}{street}片，约{households}户"])
    return rows


def grid_people_rows(grid_rows: list[list[str]], names) -> list[list[str]]:
    """Rows of a people sheet: each villager group's leader, each grid's leader, one or two workers and a cleaner.
    ``names`` gives (name, phone) pairs."""
    rows = []
    for code, name, level, *_rest in grid_rows:
        if level == "group":
            person, phone = names.person()
            rows.append([person, phone, code, name, "group_leader", "村民小组长", "2024-03-01", ""])
            continue
        posts = [("grid_leader", "网格长"), ("grid_worker", "网格员")]
        if int(code[-1]) % 2 == 0:
            posts.append(("grid_worker", "网格员"))
        posts.append(("cleaner", "保洁员"))
        for role, title in posts:
            person, phone = names.person()
            rows.append([person, phone, code, name, role, title, "2024-03-01", ""])
    return rows
