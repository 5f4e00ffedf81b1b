"""The audit groups' re-inspections (decision 0026): the draw is reproducible from its record and a tampered record
is detected; every refusal writes nothing; re-inspections never count in a ranking; the discrepancy report's
arithmetic; who sees what (a sample is the office's and its audit group's only: everyone else gets 404)."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import User
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.inspections import scoring
from dudao.inspections.models import Inspection, ItemScore
from dudao.inspections.services import MarkInput, week_scores
from dudao.org.models import GroupKind, Unit, WorkingGroup
from dudao.recheck import sampling, selectors, services
from dudao.recheck.models import Draw, Recheck

SEED = "0123456789abcdef0123456789abcdef"


# The pure draw and arithmetic ------------------------------------------------------------------------------------

def test_the_draw_is_a_function_of_seed_candidates_and_size():
    codes = [f"62042310{n:04d}" for n in range(40)]
    first = sampling.draw(SEED, codes, 5)
    assert first == sampling.draw(SEED, list(reversed(codes)) + codes[:3], 5)  # order and repeats do not matter
    assert first == sorted(first) and len(set(first)) == 5 and set(first) <= set(codes)
    by_hand = sorted(sorted(codes, key=lambda c: sampling.draw_key(SEED, c))[:5])
    assert first == by_hand
    assert sampling.draw_key(SEED, codes[0]) == hashlib.sha256(f"{SEED}:{codes[0]}".encode()).hexdigest()
    assert sampling.draw("another seed", codes, 5) != first
    assert sampling.draw(SEED, codes, 40) == sorted(codes)


@pytest.mark.parametrize("k", [0, -1, 41])
def test_the_draw_refuses_a_size_outside_the_candidates(k):
    with pytest.raises(ValueError):
        sampling.draw(SEED, [f"c{n:02d}" for n in range(40)], k)


def test_verify_detects_a_tampered_sample():
    codes = [f"v{n:03d}" for n in range(30)]
    sample = sampling.draw(SEED, codes, 4)
    assert sampling.verify(SEED, codes, 4, list(reversed(sample))) == sampling.Verified(True, tuple(sample))
    swapped = [*sample[:-1], next(c for c in codes if c not in sample)]
    assert sampling.verify(SEED, codes, 4, swapped).ok is False
    assert sampling.verify("tampered seed", codes, 4, sample).ok is False
    assert sampling.verify(SEED, codes[:2], 4, sample) == sampling.Verified(False, ())


def test_discrepancy_arithmetic():
    pairs = [sampling.Pair("A", "a1", 90, 70), sampling.Pair("A", "a2", 80, 85), sampling.Pair("A", "a3", 75.5, 60),
             sampling.Pair("B", "b1", 60, 62), sampling.Pair("B", "b2", 70, 81)]
    rows = sampling.discrepancy(pairs, 10)
    # A: diffs 20, -5, 15.5 → mean 10.17, |.| mean 13.5; B: diffs -2, -11 → mean -6.5, |.| mean 6.5
    assert rows == [sampling.GroupDrift("A", 3, 10.17, 13.5, True), sampling.GroupDrift("B", 2, -6.5, 6.5, False)]
    assert [r.flagged for r in sampling.discrepancy(pairs, 6.5)] == [True, False]  # beyond, not at, the threshold
    assert [r.flagged for r in sampling.discrepancy(pairs, 6.49)] == [True, True]  # a negative drift flags too
    assert sampling.discrepancy([], 10) == []


# The draw ------------------------------------------------------------------------------------------------------

@pytest.fixture
def campaign(db):
    return campaign_get()


@pytest.fixture
def week(campaign) -> str:
    """The demo's second-latest inspected week (the latest has the demo's own draw)."""
    return sorted(set(Inspection.objects.filter(campaign=campaign).values_list("week", flat=True)))[-2]


@pytest.fixture
def audit_group(campaign):
    return WorkingGroup.objects.get(campaign=campaign, name="第一督察组")


@pytest.fixture
def auditor(db) -> User:
    return User.objects.get(username="demo_audit")


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_the_office_draws_a_reproducible_sample(users, campaign, week, audit_group):
    before = len(_events("recheck.draw"))
    draw = services.recheck_draw(actor=users["office"], campaign=campaign, week=week, size=5, group=audit_group)
    pool = selectors.candidates(campaign, week)
    assert len(pool) == 40  # the demo's 40 inspections of a published week, one per village
    assert (draw.candidates, draw.size, len(draw.seed)) == (pool, 5, 32)
    assert draw.sample == sampling.draw(draw.seed, pool, 5)
    assert selectors.draw_check(draw) == selectors.Check(sampling.Verified(True, tuple(draw.sample)), True)
    events = _events("recheck.draw")
    assert len(events) == before + 1
    assert (events[-1].object_id, events[-1].actor_label) == (str(draw.pk), "user:demo_office")
    assert events[-1].after == {"week": week, "group": "第一督察组", "seed": draw.seed, "size": 5, "candidates": pool,
                                "sample": draw.sample, "reason": ""}


def test_a_tampered_draw_is_detected(users, campaign, week, audit_group, client_for):
    draw = services.recheck_draw(actor=users["office"], campaign=campaign, week=week, size=3, group=audit_group)
    outsider = next(c for c in draw.candidates if c not in draw.sample)
    Draw.objects.filter(pk=draw.pk).update(sample=[*draw.sample[:2], outsider])
    draw.refresh_from_db()
    assert selectors.draw_check(draw).verified.ok is False
    page = client_for(users["office"]).get(f"/recheck/{draw.pk}/")
    assert 'id="draw-verified" data-ok="no"' in page.content.decode()
    with pytest.raises(CommandError):
        call_command("recheck", "verify", "--week", week)


def _refused(code: str, **kwargs) -> Refused:
    draws, events = Draw.objects.count(), AuditEvent.objects.count()
    with pytest.raises(Refused) as refused:
        services.recheck_draw(**kwargs)
    assert refused.value.code == code
    assert (Draw.objects.count(), AuditEvent.objects.count()) == (draws, events)  # nothing written
    return refused.value


def test_a_sample_larger_than_the_villages_inspected_is_refused(users, campaign, week, audit_group):
    from django.utils import translation

    with translation.override("zh-hans"):
        refused = _refused("size_too_large", actor=users["office"], campaign=campaign, week=week, size=41,
                           group=audit_group)
    assert refused.message == f"抽查数量 41 大于 {week} 周已检查的 40 个村。"


@pytest.mark.parametrize(("size", "week_text", "code"), [
    (0, None, "size_too_small"), (-3, None, "size_too_small"), (1, "2026-W99", "bad_week"),
    (1, "2019-W10", "no_candidates"),
])
def test_bad_draws_are_refused(users, campaign, week, audit_group, size, week_text, code):
    _refused(code, actor=users["office"], campaign=campaign, week=week_text or week, size=size, group=audit_group)


def test_only_an_active_audit_group_gets_a_sample(users, campaign, week, audit_group):
    inspection_group = WorkingGroup.objects.filter(campaign=campaign, kind=GroupKind.INSPECTION).first()
    _refused("not_audit_group", actor=users["office"], campaign=campaign, week=week, size=2, group=inspection_group)
    WorkingGroup.objects.filter(pk=audit_group.pk).update(active=False)
    audit_group.refresh_from_db()
    _refused("not_audit_group", actor=users["office"], campaign=campaign, week=week, size=2, group=audit_group)


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff", "village_staff"])
def test_only_the_office_draws(users, campaign, week, audit_group, role):
    with pytest.raises(PermissionDenied):
        services.recheck_draw(actor=users[role], campaign=campaign, week=week, size=2, group=audit_group)
    assert not Draw.objects.filter(week=week).exists()


def test_one_draw_a_week_unless_redrawn_with_a_reason(users, campaign, week, audit_group, auditor):
    office = users["office"]
    first = services.recheck_draw(actor=office, campaign=campaign, week=week, size=3, group=audit_group)
    _refused("already_drawn", actor=office, campaign=campaign, week=week, size=3, group=audit_group)
    _refused("reason_required", actor=office, campaign=campaign, week=week, size=3, group=audit_group, redraw=True,
             reason="  ")
    previous = [w for w in sorted(set(Inspection.objects.values_list("week", flat=True))) if w < week][-1]
    _refused("nothing_to_redraw", actor=office, campaign=campaign, week=previous, size=3, group=audit_group,
             redraw=True, reason="typo")
    second = services.recheck_draw(actor=office, campaign=campaign, week=week, size=4, group=audit_group,
                                   redraw=True, reason="抽查数量应为4个")
    first.refresh_from_db()
    assert (first.current, second.current, second.reason, len(second.sample)) == (False, True, "抽查数量应为4个", 4)
    event = _events("recheck.redraw")[-1]
    assert (event.object_id, event.before) == (str(second.pk), {"draw": first.pk, "seed": first.seed,
                                                                "sample": first.sample})
    assert event.after["reason"] == "抽查数量应为4个"
    # Once a re-inspection is recorded, the sample stays.
    _recheck(auditor, second, second.sample[0], minus=0)
    _refused("rechecks_made", actor=office, campaign=campaign, week=week, size=4, group=audit_group, redraw=True,
             reason="again")
    with pytest.raises(Refused) as refused:
        _recheck(auditor, first, first.sample[0], minus=0)
    assert refused.value.code == "draw_replaced"


# Re-inspections --------------------------------------------------------------------------------------------------

def _group_marks(draw: Draw, code: str, minus: float) -> list[MarkInput]:
    inspection = selectors.group_inspections(draw.campaign, draw.week).get(village__code=code)
    return [MarkInput(item, None if points is None else max(0.0, points - minus))
            for item, points in ItemScore.objects.filter(inspection=inspection).values_list("item_id", "points")]


def _recheck(actor, draw: Draw, code: str, minus: float) -> Recheck:
    return services.recheck_submit(actor=actor, draw=draw, village=Unit.objects.get(code=code),
                                   marks=_group_marks(draw, code, minus), note="复查")


def test_the_audit_group_re_inspects_with_the_same_checklist_and_it_never_counts(users, campaign, week, audit_group,
                                                                               auditor):
    draw = services.recheck_draw(actor=users["office"], campaign=campaign, week=week, size=3, group=audit_group)
    code = draw.sample[0]
    inspection = selectors.group_inspections(campaign, week).get(village__code=code)
    inspections, scores = Inspection.objects.count(), week_scores(campaign, week)
    recheck = _recheck(auditor, draw, code, minus=1)
    items = list(inspection.checklist.items.all())
    marks = _group_marks(draw, code, 1)
    expected = scoring.score([scoring.Item(i.pk, i.max_points, i.weight, i.critical, i.allow_na) for i in items],
                             [scoring.Mark(m.item_id, m.points) for m in marks], inspection.checklist.critical_cap)
    assert (recheck.checklist_id, recheck.score, recheck.inspector_id) == (inspection.checklist_id, expected.score,
                                                                           auditor.pk)
    assert recheck.score < inspection.score
    assert (Inspection.objects.count(), week_scores(campaign, week)) == (inspections, scores)  # not in the ranking
    event = _events("recheck.submit")[-1]
    assert (event.object_id, event.actor_label) == (str(recheck.pk), "user:demo_audit")
    assert (event.after["village"], event.after["score"], event.after["week"]) == (code, expected.score, week)


def test_bad_re_inspections_are_refused(users, campaign, week, audit_group, auditor):
    draw = services.recheck_draw(actor=users["office"], campaign=campaign, week=week, size=3, group=audit_group)
    code = draw.sample[0]
    outsider = next(c for c in draw.candidates if c not in draw.sample)
    rechecks, events = Recheck.objects.count(), AuditEvent.objects.count()
    with pytest.raises(Refused) as refused:
        _recheck(auditor, draw, outsider, minus=0)
    assert refused.value.code == "not_sampled"
    marks = _group_marks(draw, code, 0)
    with pytest.raises(Refused) as refused:
        services.recheck_submit(actor=auditor, draw=draw, village=Unit.objects.get(code=code), marks=marks[1:])
    assert refused.value.code == "bad_scores"
    with pytest.raises(Refused) as refused:
        services.recheck_submit(actor=auditor, draw=draw, village=Unit.objects.get(code=code),
                                marks=[MarkInput(marks[0].item_id, 999), *marks[1:]])
    assert refused.value.code == "bad_scores"
    for role in ("office", "inspector", "town_staff", "leader"):
        with pytest.raises(PermissionDenied):
            _recheck(users[role], draw, code, minus=0)
    assert (Recheck.objects.count(), AuditEvent.objects.count()) == (rechecks, events)
    _recheck(auditor, draw, code, minus=0)
    with pytest.raises(Refused) as refused:
        _recheck(auditor, draw, code, minus=0)
    assert refused.value.code == "already_rechecked"


def test_the_discrepancy_report(users, campaign, week, audit_group, auditor):
    draw = services.recheck_draw(actor=users["office"], campaign=campaign, week=week, size=6, group=audit_group)
    done = [_recheck(auditor, draw, code, minus=minus) for code, minus in zip(draw.sample[:3], (0, 2, 5), strict=True)]
    report = selectors.discrepancy_report(campaign, week)
    scores = selectors.group_scores(campaign, week)
    groups = selectors.township_groups(campaign, [r.village for r in done])
    expected = sampling.discrepancy(
        [sampling.Pair(groups[r.village.code], r.village.code, scores[r.village.code], r.score) for r in done], 10.0)
    assert report.rows == expected
    assert sum(row.villages for row in report.rows) == 3
    assert report.threshold == 10.0
    first = next(r for r in done if r.village.code == draw.sample[0])
    assert scores[first.village.code] == first.score  # the same marks give the same score: a difference of 0
    assert all(name.endswith("）") and "包抓指导组" in name for name in groups.values())
    # The threshold is a campaign setting, audit-logged; a lower one flags every group that drifts at all.
    services.recheck_threshold_set(actor=users["office"], campaign=campaign, threshold=0.0)
    assert selectors.discrepancy_report(campaign, week).rows == sampling.discrepancy(
        [sampling.Pair(groups[r.village.code], r.village.code, scores[r.village.code], r.score) for r in done], 0.0)
    assert _events("recheck.threshold")[-1].after == {"threshold": 0.0}
    for bad in (-1, 100.5):
        with pytest.raises(Refused) as refused:
            services.recheck_threshold_set(actor=users["office"], campaign=campaign, threshold=bad)
        assert refused.value.code == "bad_threshold"
    with pytest.raises(PermissionDenied):
        services.recheck_threshold_set(actor=users["leader"], campaign=campaign, threshold=5)


def test_the_demo_has_a_sample_with_a_re_inspection(campaign):
    draw = Draw.objects.get(campaign=campaign, current=True, group__name="第一督察组")
    assert (draw.size, draw.rechecks.count(), draw.rechecks.get().note) == (3, 1, "演示数据（合成）：督察组复查")
    assert selectors.draw_check(draw).verified.ok is True


def test_the_command_draws_and_verifies(campaign, week, capsys):
    call_command("recheck", "draw", "--week", week, "--size", "2", "--group", "第二督察组")
    draw = Draw.objects.get(campaign=campaign, week=week, current=True)
    assert (draw.group.name, draw.drawn_by_label) == ("第二督察组", "system:cli")
    out = capsys.readouterr().out.splitlines()
    assert out == [f"week {week} seed {draw.seed} size 2 candidates 40", *draw.sample]
    call_command("recheck", "verify", "--week", week)
    assert capsys.readouterr().out.splitlines() == draw.sample
    with pytest.raises(CommandError, match="41"):
        call_command("recheck", "draw", "--week", week, "--size", "41", "--redraw", "why")


# Pages and access ------------------------------------------------------------------------------------------------

# role → (the list, a draw, the re-inspection form, the report)
PAGES = {
    "county_admin": (200, 200, 404, 200),
    "office": (200, 200, 404, 200),
    "leader": (200, 404, 404, 200),
    "inspector": (404, 404, 404, 404),
    "town_staff": (404, 404, 404, 404),
    "village_staff": (404, 404, 404, 404),
    "audit": (200, 200, 200, 404),
    "other_audit": (404, 404, 404, 404),
}


@pytest.mark.parametrize("role", PAGES)
def test_who_sees_what(role, users, campaign, week, audit_group, auditor, client_for):
    draw = services.recheck_draw(actor=users["office"], campaign=campaign, week=week, size=3, group=audit_group)
    if role == "audit":
        user = auditor
    elif role == "other_audit":  # a member of 第二督察组 with an inspector's account
        from dudao.accounts import services as account_services

        member = WorkingGroup.objects.get(name="第二督察组").members.first().person
        user = account_services.user_save(actor=SYSTEM, username="audit2", role="inspector", scope_unit=None,
                                          person=member, password=None)
    else:
        user = users[role]
    client = client_for(user)
    urls = ["/recheck/", f"/recheck/{draw.pk}/", f"/recheck/{draw.pk}/{draw.sample[0]}/", f"/recheck/weeks/{week}/"]
    assert tuple(client.get(url).status_code for url in urls) == PAGES[role]
    # Writing: the draw and the threshold are the office's, the re-inspection its audit group's.
    drawn = client.post("/recheck/", {"week": week, "size": "2", "group": audit_group.pk, "redraw": "1",
                                      "reason": "x"})
    assert drawn.status_code == (303 if role in ("county_admin", "office") else 404)
    if drawn.status_code == 303:
        return
    assert Draw.objects.get(week=week, current=True).pk == draw.pk
    threshold = client.post("/recheck/threshold/", {"threshold": "3", "week": week})
    assert threshold.status_code == 404
    posted = client.post(f"/recheck/{draw.pk}/{draw.sample[0]}/", {})
    assert posted.status_code == (400 if role == "audit" else 404)
    assert not Recheck.objects.filter(draw=draw).exists()


def test_the_pages_draw_re_inspect_and_report(users, campaign, week, audit_group, auditor, client_for):
    office = client_for(users["office"])
    refused = office.post("/recheck/", {"week": week, "size": "41", "group": audit_group.pk})
    assert refused.status_code == 400
    assert "抽查数量 41 大于" in refused.content.decode()
    assert not Draw.objects.filter(week=week).exists()
    drawn = office.post("/recheck/", {"week": week, "size": "2", "group": audit_group.pk})
    draw = Draw.objects.get(week=week, current=True)
    assert drawn["Location"] == f"/recheck/{draw.pk}/"
    audit = client_for(auditor)
    code = draw.sample[0]
    form = {f"item-{m.item_id}": "" if m.points is None else str(m.points) for m in _group_marks(draw, code, 1)}
    form |= {f"na-{m.item_id}": "1" for m in _group_marks(draw, code, 1) if m.points is None}
    bad = audit.post(f"/recheck/{draw.pk}/{code}/", {**form, next(iter(form)): "abc"})
    assert bad.status_code == 400 and "请以数字填写分值" in bad.content.decode()
    done = audit.post(f"/recheck/{draw.pk}/{code}/", {**form, "note": "复查"})
    assert done.status_code == 303
    recheck = Recheck.objects.get(draw=draw)
    report = client_for(users["leader"]).get(f"/recheck/weeks/{week}/").content.decode()
    assert 'data-flagged="' in report and f"{recheck.village.code}" not in report  # leaders see groups, not villages
    dashboard = client_for(users["leader"]).get("/dashboard/").content.decode()
    assert f'href="/recheck/weeks/{selectors.latest_report_week(campaign)}/" id="recheck-link"' in dashboard
