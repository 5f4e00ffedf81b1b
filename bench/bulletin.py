"""Benchmark: the weekly bulletin's three files from a synthetic round, through the pure renderers (no database).

(a) a 151-village county: .docx + .pdf + .xlsx, target ≤ 5 s in all;
(b) a 16,000-village province: the .xlsx annex (the full table) + the summary .pdf, target ≤ 60 s.

Run: .venv/bin/python bench/bulletin.py [VILLAGES_PROVINCE]   — prints seconds per file and the verdicts.
"""

import datetime as dt
import os
import random
import sys
import tempfile
import time

os.environ.setdefault("DUDAO_HOME", tempfile.mkdtemp(prefix="dudao-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.utils import translation  # noqa: E402

from dudao.bulletins import annex, pdf, word  # noqa: E402
from dudao.bulletins.content import TIERS, Inputs, InterviewRow, ProblemCounts, TierStyle, assemble  # noqa: E402

ROLES = ("village_liaison", "village_head", "town_deputy", "town_head")


def synthetic(villages: int, seed: int = 6, green: int = 30, red: int = 30):
    """Content of a round over ``villages`` villages in townships of 8-25, with a previous week to compare."""
    rng = random.Random(seed)
    rows, towns = [], []
    made, t = 0, 0
    while made < villages:
        size = min(villages - made, rng.randint(8, 25))
        town_code, town_name = f"6299{t // 900:02d}{t % 900 + 100:03d}000", f"测试镇{t}"
        towns.append(town_code)
        for v in range(size):
            name = "大水䃎村" if made == 0 else f"村{made}"
            rows.append([town_code[:9] + f"{v + 200:03d}", name, town_code, town_name, rng.random()])
            made += 1
        t += 1
    rows.sort(key=lambda r: -r[4])
    results, previous, interviews = [], {}, []
    raw = {}
    for position, (code, name, town_code, town_name, score) in enumerate(rows, start=1):
        tier = "green" if position <= green else ("red" if position > villages - red else "yellow")
        streak = rng.choice((1, 1, 2, 3)) if tier == "red" else 0
        p = [score, rng.random() if rng.random() < 0.3 else None, rng.random() if rng.random() < 0.25 else None]
        r = [None if x is None else round((1 - x) * 20, 1) for x in p]
        results.append((position, code, name, town_code, town_name, tier, 100 * score, streak, streak >= 2, False,
                        *r, *p))
        raw[(code, "town")] = float(rng.randint(1, 25))
        previous[code] = rng.choice(TIERS) if rng.random() < 0.1 else tier
        if tier == "red":
            for role in ROLES[:4 if streak >= 2 else 2]:
                interviews.append(InterviewRow(name, code, town_name, town_name if "town" in role else name, role,
                                               role, "escalated" if "town" in role else "red",
                                               "red rounds in a row" if "town" in role else "red this week",
                                               f"人{len(interviews)}", False))
    problems = {code: ProblemCounts(found=5, rectified_on_time=3, overdue=1, rework=1, open=1) for code in towns}
    return assemble(Inputs(
        campaign="bench", county="测试县", week="2026-W10", revision=1, week_start=dt.date(2026, 3, 2),
        week_end=dt.date(2026, 3, 8), published_at=dt.datetime(2026, 3, 6, 4, 0, tzinfo=dt.UTC),
        issuer="测试县城乡环境专项整治领导小组办公室", doc_number="测环整办〔2026〕10号",
        styles=(TierStyle("green", "绿", "#1b7f3b"), TierStyle("yellow", "黄", "#b58900"),
                TierStyle("red", "红", "#c0392b")),
        green_count=green, red_count=red, escalation_threshold=2,
        source_labels={"town": "乡镇排名", "inspection": "督查排名", "drone": "无人机排名"}, results=results,
        raw=raw, previous_week="2026-W09", previous_tiers=previous, interviews=interviews,
        problems_by_town=problems, submitted={code: False for code in towns}))


def timed(label: str, make) -> tuple[float, bytes]:
    start = time.perf_counter()
    data = make()
    seconds = time.perf_counter() - start
    print(f"  {label:<34} {seconds:8.3f} s   {len(data) / 1024:9.0f} KiB")
    return seconds, data


def main() -> None:
    province = int(sys.argv[1]) if len(sys.argv) > 1 else 16000
    translation.activate(settings.LANGUAGE_CODE)
    # Warm-up outside the figures: imports (WeasyPrint, docxtpl) and the default template, as a running worker has.
    warm = synthetic(20)
    word.render(warm)
    pdf.render(warm)
    annex.render(warm)

    print("(a) county, 151 villages: docx + pdf + xlsx, target ≤ 5 s")
    start = time.perf_counter()
    content = synthetic(151)
    build = time.perf_counter() - start
    print(f"  {'content (assemble + chart)':<34} {build:8.3f} s")
    docx_s, _docx = timed("docx (docxtpl)", lambda: word.render(content))
    pdf_s, _pdf = timed("pdf (WeasyPrint)", lambda: pdf.render(content))
    xlsx_s, _xlsx = timed("xlsx (openpyxl write-only)", lambda: annex.render(content))
    total = build + docx_s + pdf_s + xlsx_s
    print(f"  {'total':<34} {total:8.3f} s   {'OK' if total <= 5 else 'TOO SLOW'} (target 5 s)")

    print(f"(b) province, {province} villages: xlsx + summary pdf, target ≤ 60 s")
    start = time.perf_counter()
    big = synthetic(province)
    build_big = time.perf_counter() - start
    print(f"  {'content (assemble + chart)':<34} {build_big:8.3f} s")
    xlsx_b, _ = timed("xlsx, full table", lambda: annex.render(big))
    pdf_b, _ = timed("summary pdf", lambda: pdf.render(big, summary=True))
    total_b = build_big + xlsx_b + pdf_b
    print(f"  {'total':<34} {total_b:8.3f} s   {'OK' if total_b <= 60 else 'TOO SLOW'} (target 60 s)")
    docx_b, _ = timed("(extra) summary docx", lambda: word.render(big, summary=True))


if __name__ == "__main__":
    main()
