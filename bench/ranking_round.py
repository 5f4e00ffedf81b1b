"""Benchmark: compute and store one weekly round end to end (services.ranking_compute), for the county and for
the largest province (65,000 villages).

Run: .venv/bin/python bench/ranking_round.py [VILLAGES]   — a fresh temporary DUDAO_HOME (SQLite); set
DATABASE_URL to an empty scratch PostgreSQL database to measure PostgreSQL. Prints seconds and ratios against
the pure engine on the same data in the same process (the baseline).
"""

import os
import random
import sys
import tempfile
import time

os.environ.setdefault("DUDAO_HOME", tempfile.mkdtemp(prefix="dudao-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from dudao.accounts.access import SYSTEM  # noqa: E402
from dudao.campaigns.services import campaign_ensure_default  # noqa: E402
from dudao.core.tables import write_csv  # noqa: E402
from dudao.org.services import units_import  # noqa: E402
from dudao.ranking import engine, services  # noqa: E402
from dudao.ranking.models import Round  # noqa: E402

WEEK = "2026-W10"


def province(villages: int, seed: int = 7) -> tuple[bytes, dict[str, list[str]]]:
    rng = random.Random(seed)
    rows = [["629900000000", "省", "county", "620000000000"]]
    towns: dict[str, list[str]] = {}
    made = 0
    t = 0
    while made < villages:
        town = f"6299{t // 900:02d}{t % 900 + 100:03d}000"
        size = min(villages - made, rng.randint(8, 25))
        rows.append([town, f"镇{t}", "town", "629900000000"])
        towns[town] = []
        for v in range(size):
            code = town[:9] + f"{v + 200:03d}"
            rows.append([code, f"村{made}", "village", town])
            towns[town].append(code)
        made += size
        t += 1
    return write_csv(["code", "name", "level", "parent_code"], rows), towns


def timed(label: str, func) -> float:
    start = time.perf_counter()
    func()
    seconds = time.perf_counter() - start
    print(f"{label:<46} {seconds:8.3f} s")
    return seconds


def main() -> None:
    villages = int(sys.argv[1]) if len(sys.argv) > 1 else 65000
    call_command("migrate", verbosity=0)
    data, towns = province(villages)
    t0 = time.perf_counter()
    assert units_import(actor=SYSTEM, data=data).ok
    campaign, _ = campaign_ensure_default(actor=SYSTEM)
    print(f"setup: {villages} villages in {len(towns)} townships imported in {time.perf_counter() - t0:.1f} s")
    rng = random.Random(3)
    codes = [c for members in towns.values() for c in members]
    town_rows = [[c, str(n)] for members in towns.values() for n, c in enumerate(rng.sample(members, len(members)), 1)]
    inspection = [[c, f"{rng.uniform(40, 100):.1f}"] for c in rng.sample(codes, int(0.3 * len(codes)))]
    drone = [[c, str(rng.randint(1, 5))] for c in rng.sample(codes, int(0.2 * len(codes)))]
    for source, header, rows in (("town", ["code", "rank"], town_rows), ("inspection", ["code", "score"], inspection),
                                 ("drone", ["code", "score"], drone)):
        assert services.ranking_import(actor=SYSTEM, campaign=campaign, week=WEEK, source=source,
                                       data=write_csv(header, rows)).ok
    round_ = Round.objects.get(week=WEEK)
    index = {pk: n for n, pk in enumerate(range(0))}
    del index
    from dudao.org.models import Unit

    units = list(Unit.objects.filter(level="village").order_by("code").values_list("pk", "path"))
    idx = {pk: n for n, (pk, _path) in enumerate(units)}
    town_ids: dict[str, int] = {}
    town_of = {pk: town_ids.setdefault(path.split("/")[1], len(town_ids)) for pk, path in units}
    settings = services.settings_current(campaign)
    sources = services.engine_sources(round_, idx, town_of, settings)
    base = timed("baseline: engine.compute only", lambda: engine.compute(len(units), sources))
    first = timed("ranking_compute (load, compute, store results)", lambda: services.ranking_compute(
        actor=SYSTEM, campaign=campaign, week=WEEK))
    again = timed("ranking_compute again (replace results)", lambda: services.ranking_compute(
        actor=SYSTEM, campaign=campaign, week=WEEK))
    print(f"results stored: {round_.results.count()}   ratio end-to-end / engine: {first / base:.0f}x, "
          f"{again / base:.0f}x")


if __name__ == "__main__":
    main()
