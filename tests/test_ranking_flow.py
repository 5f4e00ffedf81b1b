"""The command-line flow of CONTRACTS §1/§3 over several weeks, checked against a plain reference implementation
of the contract's method written here independently of dudao.ranking.engine."""

import datetime as dt
import io
import json
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dudao.interviews.models import Interview
from dudao.org.models import Post, Unit
from dudao.ranking.models import Round


@pytest.fixture(autouse=True)
def english_cli(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


def reference(sources: dict[str, dict[str, float]], kinds: dict[str, str], scope: dict[str, str],
              green: int = 30, red: int = 30) -> dict[str, dict]:
    """CONTRACTS §3 steps 1-6, one village at a time."""
    percentiles: dict[str, dict[str, float]] = {}
    for name, values in sources.items():
        groups: dict[str, list[str]] = {}
        for code in values:
            groups.setdefault(scope[code] if name == "town" else "all", []).append(code)
        percentiles[name] = {}
        for members in groups.values():
            better = (lambda a, b: a < b) if kinds[name] == "rank" else (lambda a, b: a > b)
            n = len(members)
            for code in members:
                ahead = sum(1 for o in members if better(values[o], values[code]))
                tied = sum(1 for o in members if values[o] == values[code])
                r = ahead + (tied + 1) / 2
                percentiles[name][code] = (n - r + 0.5) / n
    composite = {}
    for code in scope:
        covered = [name for name in sources if code in percentiles[name]]
        if covered:
            composite[code] = round(100 * sum(percentiles[s][code] for s in covered) / len(covered), 6)
    out = {}
    for code, c in composite.items():
        higher = sum(1 for o in composite.values() if o > c)
        lower = sum(1 for o in composite.values() if o < c)
        tied = sum(1 for o in composite.values() if o == c)
        tier = "green" if higher < green else ("red" if lower + tied <= red else "yellow")
        out[code] = {"composite": c, "position": higher + 1, "tier": tier,
                     **{f"p_{s}": percentiles[s].get(code) for s in ("town", "inspection", "drone")}}
    return out


def write(tmp_path, name: str, header: str, values: dict[str, float]) -> str:
    path = tmp_path / name
    path.write_text(header + "\n" + "".join(f"{c},{v:g}\n" for c, v in values.items()), encoding="utf-8")
    return str(path)


def week_sources(week_no: int, villages: list[Unit], bad: set[str]):
    rng = random.Random(week_no)
    by_town: dict[str, list[str]] = {}
    for v in villages:
        by_town.setdefault(v.parent.code, []).append(v.code)
    town = {}
    for codes in by_town.values():
        order = sorted(codes, key=lambda c: (c in bad, rng.random()))
        for n, code in enumerate(order, start=1):
            town[code] = n if not (n > 2 and rng.random() < 0.1) else n - 1  # some ties
    inspected = rng.sample([v.code for v in villages], 50) + sorted(bad)
    inspection = {c: (20.0 if c in bad else float(rng.randint(50, 100))) for c in inspected}
    flown = rng.sample([v.code for v in villages], 40)
    drone = {c: (40 if c in bad else rng.randint(1, 30)) for c in flown}
    return town, inspection, drone


def test_cli_flow_over_weeks_matches_the_reference(db, tmp_path):
    villages = list(Unit.objects.filter(level__in=["village", "community"]).select_related("parent").order_by("code"))
    scope = {v.code: v.parent.code for v in villages}
    bad = {villages[i].code for i in range(0, 150, 15)}  # 10 villages bad every week
    streaks: dict[str, int] = {}
    err = io.StringIO()
    for week_no, publish in ((10, True), (11, True), (13, True), (14, False)):
        week = f"2026-W{week_no}"
        town, inspection, drone = week_sources(week_no, villages, bad)
        for source, header, values in (("town", "code,rank", town), ("inspection", "code,score", inspection),
                                       ("drone", "code,rank", drone)):
            call_command("ranking", "import", "--week", week, "--source", source,
                         write(tmp_path, f"{week}-{source}.csv", header, values), stderr=err)
        call_command("ranking", "compute", "--week", week, stderr=err)
        target = tmp_path / f"{week}.json"
        call_command("ranking", "export", "--week", week, "-o", str(target), stderr=err)
        exported = {row["code"]: row for row in json.loads(target.read_text(encoding="utf-8"))}
        expected = reference({"town": town, "inspection": inspection, "drone": drone},
                             {"town": "rank", "inspection": "score", "drone": "rank"}, scope)
        assert set(exported) == set(expected) == set(scope)
        for code, row in exported.items():
            streak = streaks.get(code, 0) + 1 if expected[code]["tier"] == "red" else 0
            assert row["composite"] == pytest.approx(expected[code]["composite"], abs=1e-9), code
            assert (row["position"], row["tier"], row["red_streak"], row["escalated"]) == (
                expected[code]["position"], expected[code]["tier"], streak, streak >= 2), (week, code)
            for s in ("town", "inspection", "drone"):
                assert row[f"p_{s}"] == pytest.approx(expected[code][f"p_{s}"]), (week, code, s)
        assert sum(1 for r in exported.values() if r["tier"] == "green") >= 30
        if publish:
            call_command("ranking", "publish", "--week", week, stderr=err)
            streaks = {code: row["red_streak"] for code, row in exported.items()}
    # Week 12 had no round: the bad villages' streak continued from W11 to W13 (3 published reds in a row).
    w13 = Round.objects.get(week="2026-W13")
    assert all(w13.results.get(unit__code=code).red_streak == 3 for code in bad)
    assert all(w13.results.get(unit__code=code).escalated for code in bad)
    # Interviews: every red village's liaison and heads; escalated ones also the township's deputy and heads.
    start, end = dt.date(2026, 3, 23), dt.date(2026, 3, 29)
    for result in w13.results.filter(tier="red"):
        got = sorted(Interview.objects.filter(round=w13, villages=result.unit).values_list("role", "person_id"))
        expected = []
        roles = [(result.unit, "village_liaison"), (result.unit, "village_head")]
        if result.escalated:
            roles += [(result.town, "town_deputy"), (result.town, "town_head")]
        for unit, role in roles:
            holders = Post.objects.filter(unit=unit, role=role, start_date__lte=end).exclude(end_date__lt=start)
            expected += [(role, p.person_id) for p in holders]
        assert got == sorted(expected), result.unit.code
    # One interview per official and week, however many red villages they answer for.
    people = list(Interview.objects.filter(round=w13, person__isnull=False).values_list("person_id", flat=True))
    assert len(people) == len(set(people))
    assert Round.objects.get(week="2026-W14").status == "computed"


def test_commands_refuse_bad_weeks_and_states(db, tmp_path):
    with pytest.raises(CommandError, match="not an ISO week"):
        call_command("ranking", "compute", "--week", "2026-10", stderr=io.StringIO())
    with pytest.raises(CommandError, match="2026-W53"):
        call_command("ranking", "compute", "--week", "2026-W53", stderr=io.StringIO())
    with pytest.raises(CommandError):
        call_command("ranking", "publish", "--week", "2026-W20", stderr=io.StringIO())
    path = write(tmp_path, "i.csv", "code,score", {"620423103200": 5})
    call_command("ranking", "import", "--week", "2026-W20", "--source", "inspection", path, stderr=io.StringIO())
    with pytest.raises(CommandError):
        call_command("ranking", "publish", "--week", "2026-W20", stderr=io.StringIO())


def test_vacant_posts_are_flagged_not_skipped(db, tmp_path):
    village = Unit.objects.get(code="620423103200")
    Post.objects.filter(unit=village, role="village_liaison").update(end_date=dt.date(2026, 1, 1))
    # Only 大水䃎村 and two others are inspected; 大水䃎村 worst; red count 1 via settings.
    from dudao.accounts.access import SYSTEM
    from dudao.campaigns.services import campaign_get
    from dudao.ranking.services import settings_update

    settings_update(actor=SYSTEM, campaign=campaign_get(), red_count=1, green_count=1)
    path = write(tmp_path, "i.csv", "code,score", {"620423103200": 5, "620423100200": 50, "620423101200": 60})
    call_command("ranking", "import", "--week", "2026-W20", "--source", "inspection", path, stderr=io.StringIO())
    call_command("ranking", "compute", "--week", "2026-W20", stderr=io.StringIO())
    call_command("ranking", "publish", "--week", "2026-W20", "--reason", "只有督查数据", stderr=io.StringIO())
    interviews = list(Interview.objects.filter(village=village, round__week="2026-W20")
                      .values_list("role", "vacant", "person_id"))
    assert ("village_liaison", True, None) in interviews
    assert sum(1 for role, vacant, _p in interviews if role == "village_head" and not vacant) == 2
