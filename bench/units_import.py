"""Benchmark: importing a few thousand units (CONTRACTS §2), against the pure validation as baseline.

Run: .venv/bin/python bench/units_import.py [ROWS]   (uses a fresh temporary DUDAO_HOME, SQLite; set
DATABASE_URL to a scratch PostgreSQL database to measure that instead). Prints rows per second and ratios.
"""

import os
import sys
import tempfile
import time

os.environ.setdefault("DUDAO_HOME", tempfile.mkdtemp(prefix="dudao-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from dudao.accounts.access import SYSTEM  # noqa: E402
from dudao.core.tables import read_table, write_csv  # noqa: E402
from dudao.demo.load import synthetic_units_csv  # noqa: E402
from dudao.org import services, unitfile  # noqa: E402
from dudao.org.models import Unit  # noqa: E402


def grids_csv(villages: list[str], rows: int) -> bytes:
    body = []
    for i in range(rows):
        parent = villages[i % len(villages)]
        body.append([f"6204239{i:05d}", f"第{i + 1}网格", "grid", parent, "", "", "", "yes", "no"])
    return write_csv(["code", "name", "level", "parent_code", "official_name", "lon_wgs84", "lat_wgs84", "active",
                      "point_synthetic"], body)


def timed(label: str, rows: int, func) -> float:
    start = time.perf_counter()
    func()
    seconds = time.perf_counter() - start
    print(f"{label:<34} {rows:>6} rows {seconds:8.3f} s {rows / seconds:10.0f} rows/s")
    return seconds


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    call_command("migrate", verbosity=0)
    assert services.units_import(actor=SYSTEM, data=synthetic_units_csv()).ok
    villages = list(Unit.objects.filter(level__in=["village", "community"]).values_list("code", flat=True))
    data = grids_csv(villages, rows)
    existing = {u.code: unitfile.Existing(u.code, u.level, services.parent_code(u))
                for u in Unit.objects.select_related("parent")}

    def parse_only():
        parsed, problems = unitfile.parse_units(read_table(data, "grids.csv"), existing)
        assert not problems and len(parsed) == rows

    baseline = timed("baseline: read + validate (pure)", rows, parse_only)
    first = timed("import: create (DB + audit)", rows, lambda: services.units_import(actor=SYSTEM, data=data))
    again = timed("re-import: all unchanged", rows, lambda: services.units_import(actor=SYSTEM, data=data))
    print(f"ratio create / baseline    {first / baseline:6.1f}x")
    print(f"ratio unchanged / baseline {again / baseline:6.1f}x")
    print(f"units stored: {Unit.objects.count()}")


if __name__ == "__main__":
    main()
