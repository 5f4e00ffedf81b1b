"""Benchmark (issue 16): a province's grids and their people through the units and people imports.

Province scale: the Jingtai units plus 99 townships of 160 villages (bench/leaders_load.py's province_villages):
about 16,000 villages, 5 grids each = 80,000 grids, each with a grid leader, a grid worker and a cleaner
(240,000 posts, imported as three sheets of 80,000 rows: the sheet limit is 100,000 rows).

The people import used to go row by row (a query or three per row: about 12 s for 4,500 people). That path is
kept below (row_by_row_import, the code as it was) as the baseline, run in the same process on the same number of
rows as the bulk import it is compared with (two disjoint sets of grids of equal size), so that the ratio compares
like with like. Target: bulk ≥ 10× faster. Then the whole province goes through the bulk path.

Run: .venv/bin/python bench/grids_import.py [BASELINE_ROWS]   (default 4,500; a fresh temporary DUDAO_HOME,
SQLite; set DATABASE_URL to an empty scratch PostgreSQL database to measure that instead).
"""

import os
import random
import statistics
import sys
import tempfile
import time

os.environ.setdefault("DUDAO_HOME", tempfile.mkdtemp(prefix="dudao-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from leaders_load import province_villages  # noqa: E402

from dudao.accounts.access import SYSTEM  # noqa: E402
from dudao.audit.services import Change, audit_record_many  # noqa: E402
from dudao.core.tables import TableRefused, read_table, write_csv  # noqa: E402
from dudao.demo.load import synthetic_units_csv  # noqa: E402
from dudao.org import peoplefile, services  # noqa: E402
from dudao.org.access import units_managed_for_posts  # noqa: E402
from dudao.org.models import Person, Post, Unit  # noqa: E402

GRIDS_PER_VILLAGE = 5
TRIALS = 3
PEOPLE_HEADER = ["name", "phone", "unit_code", "unit_name", "role", "title", "start_date", "end_date"]


def row_by_row_import(actor, data: bytes) -> services.ImportReport:
    """The people import as it was before issue 16 (one person, one post at a time): the baseline."""
    table = read_table(data, "people.csv")
    with transaction.atomic():
        units = {u.code: u for u in units_managed_for_posts(actor)}
        rows, problems = peoplefile.parse_people(table, set(units))
        if problems:
            raise TableRefused(problems)
        people = {p.phone: p for p in Person.objects.filter(phone__in={r.phone for r in rows})}
        report = services.ImportReport()
        changes: list[Change] = []
        for row in rows:
            person = people.get(row.phone)
            if person is None:
                person = Person.objects.create(name=row.name, phone=row.phone)
                people[row.phone] = person
                report.created += 1
                changes.append(Change("person.create", "person", str(person.pk), None,
                                      services.person_snapshot(person)))
            unit = units[row.unit_code]
            post = Post.objects.filter(person=person, unit=unit, role=row.role, start_date=row.start_date).first()
            if post is None:
                services._check_overlap(person, unit, row.role, row.start_date, row.end_date)
                post = Post.objects.create(person=person, unit=unit, role=row.role, title=row.title,
                                           start_date=row.start_date, end_date=row.end_date)
                report.created += 1
                changes.append(Change("post.create", "post", str(post.pk), None, services.post_snapshot(post)))
        audit_record_many(actor=actor, changes=changes)
    return report


def grids_sheet(villages: list[str]) -> bytes:
    rows = [[f"62049{village[6:]}{g}", f"第{g}网格", "grid", village, f"{g}号片区，约{40 + g * 10}户"]
            for village in villages for g in range(1, GRIDS_PER_VILLAGE + 1)]
    return write_csv(["code", "name", "level", "parent_code", "description"], rows)


def people_sheet(grids: list[str], role: str, first_phone: int) -> bytes:
    rng = random.Random(role)
    rows = [[f"测试{rng.choice('王李张刘陈杨')}{n}", f"1{first_phone + n:010d}", code, "", role, "", "2026-01-01", ""]
            for n, code in enumerate(grids)]
    return write_csv(PEOPLE_HEADER, rows)


def timed(label: str, rows: int, func):
    """Wall time and this process's CPU time (SQLite works in the process: on a busy machine the CPU time is the
    steadier figure); returns the CPU time."""
    start, cpu = time.perf_counter(), time.process_time()
    result = func()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<46} {rows:>7} rows {seconds:9.2f} s wall {cpu:9.2f} s CPU {rows / cpu:9.0f} rows/CPU-s",
          flush=True)
    return cpu, result


def main() -> None:
    baseline_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 4500
    call_command("migrate", verbosity=0)
    assert services.units_import(actor=SYSTEM, data=synthetic_units_csv()).ok
    county = Unit.objects.get(level="county")
    province_villages(county, random.Random(13))
    villages = sorted(Unit.objects.ranked().values_list("code", flat=True))
    print(f"province: {len(villages)} villages, {len(villages) * GRIDS_PER_VILLAGE} grids", flush=True)

    grids = grids_sheet(villages)
    seconds, report = timed("units import: grids (bulk)", len(villages) * GRIDS_PER_VILLAGE,
                            lambda: services.units_import(actor=SYSTEM, data=grids, filename="grids.csv"))
    assert report.ok and report.created == len(villages) * GRIDS_PER_VILLAGE, report.problems
    timed("units import: the same file again (unchanged)", len(villages) * GRIDS_PER_VILLAGE,
          lambda: services.units_import(actor=SYSTEM, data=grids, filename="grids.csv"))
    codes = sorted(Unit.objects.filter(level="grid").values_list("code", flat=True))

    # Same size, disjoint grids, same process: the old path, then the bulk path, three times each (alternating); the
    # ratio is of the medians (one import's CPU time varies by a quarter from run to run: the collector's passes).
    olds, news = [], []
    for trial in range(TRIALS):
        first = 2 * trial * baseline_rows
        old_sheet = people_sheet(codes[first:first + baseline_rows], "grid_worker", 3_000_000_000 + first)
        new_sheet = people_sheet(codes[first + baseline_rows:first + 2 * baseline_rows], "grid_worker",
                                 3_000_000_000 + first + baseline_rows)
        old, _report = timed("people import: row by row (the old path)", baseline_rows,
                             lambda old_sheet=old_sheet: row_by_row_import(SYSTEM, old_sheet))
        new, report = timed("people import: bulk (this code)", baseline_rows,
                            lambda new_sheet=new_sheet: services.people_import(actor=SYSTEM, data=new_sheet,
                                                                               filename="people.csv"))
        assert report.ok and report.created == 2 * baseline_rows, report.problems
        olds.append(old)
        news.append(new)
    old, new = statistics.median(olds), statistics.median(news)
    print(f"ratio row by row / bulk (median CPU of {TRIALS}), {baseline_rows} people: {old / new:6.1f}x  "
          f"(target ≥ 10x)", flush=True)

    # The whole province: a grid leader, a grid worker and a cleaner for each of the 80,000 grids.
    total = 0.0
    rest = codes[2 * TRIALS * baseline_rows:]
    for role, first_phone, grid_codes in (("grid_leader", 4_000_000_000, codes),
                                          ("grid_worker", 5_000_000_000, rest),
                                          ("cleaner", 6_000_000_000, codes)):
        sheet = people_sheet(grid_codes, role, first_phone)
        seconds, report = timed(f"people import: {role} of every grid (bulk)", len(grid_codes),
                                lambda sheet=sheet: services.people_import(actor=SYSTEM, data=sheet,
                                                                            filename="people.csv"))
        assert report.ok, report.problems[:5]
        total += seconds
        rows = len(grid_codes)
        print(f"{'':<46} row by row would take about {rows * old / baseline_rows:7.0f} s", flush=True)
    again, report = timed("people import: cleaners again (all unchanged)", len(codes),
                          lambda: services.people_import(actor=SYSTEM, data=people_sheet(codes, "cleaner",
                                                                                        6_000_000_000),
                                                         filename="people.csv"))
    assert report.unchanged == len(codes)
    print(f"province: {Post.objects.filter(unit__level='grid').count()} grid posts of "
          f"{Person.objects.count()} people in {total:.1f} CPU-s", flush=True)


if __name__ == "__main__":
    main()
