"""One interview per official and week (issue 13, item 7): an official answering for several red villages gets one
interview listing them all; who is interviewed stays as CONTRACTS §3 item 8 says. The villages it covers count for
who sees it, for the bulletin and for each village's extract; stored interviews get their own village."""

import importlib

import pytest
from django.apps import apps as django_apps

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.bulletins.content import build
from dudao.bulletins.extracts import village_extract
from dudao.campaigns.services import campaign_get
from dudao.core.tables import write_csv
from dudao.interviews import services
from dudao.interviews.access import interview_parties, interviews_visible_to
from dudao.interviews.models import Interview
from dudao.org.models import Post, PostRole, Unit
from dudao.publication import services as publication
from dudao.ranking import selectors
from dudao.ranking import services as ranking_services
from dudao.ranking.models import Result

WEEK = "2025-W30"


def computed_week():
    """A week of its own: every township's ranking by code and an inspection score of every third village."""
    campaign = campaign_get()
    villages = list(Unit.objects.filter(level__in=["village", "community"], active=True).order_by("code"))
    by_town: dict[int, list[str]] = {}
    for v in villages:
        by_town.setdefault(v.parent_id, []).append(v.code)
    town_rows = [[c, str(n)] for codes in by_town.values() for n, c in enumerate(codes, start=1)]
    inspection = [[v.code, str(100 - n)] for n, v in enumerate(villages[::3])]
    for source, header, rows in (("town", ["code", "rank"], town_rows), ("inspection", ["code", "score"], inspection)):
        assert ranking_services.ranking_import(actor=SYSTEM, campaign=campaign, week=WEEK, source=source,
                                               data=write_csv(header, rows), filename=f"{source}.csv").ok
    return ranking_services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)


@pytest.fixture
def shared_liaison(db):
    """Two red villages of the computed week whose liaison posts the same person holds."""
    round_ = computed_week()
    start = round_.week_start
    reds = [r.unit for r in Result.objects.filter(round=round_, tier="red").select_related("unit")
            .order_by("unit__code")]
    with_liaison = [u for u in reds if Post.objects.filter(unit=u, role=PostRole.VILLAGE_LIAISON)
                    .held_between(start, start).count() == 1]
    first, second = with_liaison[0], with_liaison[1]
    person = Post.objects.filter(unit=first, role=PostRole.VILLAGE_LIAISON).held_between(start, start).get().person
    Post.objects.filter(unit=second, role=PostRole.VILLAGE_LIAISON).update(person=person)
    return round_, first, second, person


def test_an_official_of_two_red_villages_gets_one_interview_listing_both(shared_liaison):
    round_, first, second, person = shared_liaison
    wanted = services.interviews_for_round(round_)
    people = [i.person_id for i in wanted if i.person_id is not None]
    assert len(people) == len(set(people))  # one interview per official
    published = publication.round_publish(actor=SYSTEM, campaign=campaign_get(), week=WEEK)
    theirs = Interview.objects.filter(round=published, person=person)
    assert theirs.count() == 1
    interview = theirs.get()
    assert (interview.village, interview.role, interview.reason) == (first, PostRole.VILLAGE_LIAISON, "red")
    assert sorted(interview.villages.values_list("code", flat=True)) == sorted([first.code, second.code])
    assert [v.code for v in interview.village_list()] == [first.code, second.code]
    # Every red village still has its liaison's and its head's interview (CONTRACTS §3 item 8).
    reds = set(Result.objects.filter(round=published, tier="red").values_list("unit_id", flat=True))
    through = Interview.villages.through.objects.filter(interview__round=published)
    for role in (PostRole.VILLAGE_LIAISON, PostRole.VILLAGE_HEAD):
        assert set(through.filter(interview__role=role).values_list("unit_id", flat=True)) == reds, role
    assert set(through.values_list("unit_id", flat=True)) == reds


def test_the_villages_covered_count_for_who_sees_the_interview(shared_liaison):
    round_, first, second, person = shared_liaison
    publication.round_publish(actor=SYSTEM, campaign=campaign_get(), week=WEEK)
    interview = Interview.objects.get(round__week=WEEK, person=person)
    staff_of_second = User.objects.create(username="second_village", role=Role.VILLAGE_STAFF, scope_unit=second)
    staff_elsewhere = User.objects.create(username="elsewhere", role=Role.VILLAGE_STAFF, scope_unit=Unit.objects.filter(
        level="village").exclude(pk__in=[first.pk, second.pk]).exclude(
        pk__in=Interview.villages.through.objects.values("unit_id")).first())
    assert interviews_visible_to(staff_of_second).filter(pk=interview.pk).exists() is True
    assert interview_parties(staff_of_second, interview) == {"unit"}
    assert interviews_visible_to(staff_elsewhere).filter(pk=interview.pk).exists() is False
    assert interview_parties(staff_elsewhere, interview) == set()


def test_a_township_s_own_interviews_stay_out_of_its_villages_sight(users):
    """A village's staff see the interviews of their village's posts, not those of their township's head."""
    village = users["village_staff"].scope_unit
    escalated = Interview.objects.filter(role__in=[PostRole.TOWN_HEAD, PostRole.TOWN_DEPUTY],
                                         villages=village)
    visible = interviews_visible_to(users["village_staff"])
    assert not visible.filter(pk__in=escalated.values("pk")).exists()
    assert visible.count() == Interview.objects.filter(unit=village).count()


def test_the_bulletin_and_the_extracts_list_every_village(shared_liaison):
    round_, first, second, person = shared_liaison
    published = publication.round_publish(actor=SYSTEM, campaign=campaign_get(), week=WEEK)
    rows = [i for i in build(published, chart=False).interviews if i.person == person.name]
    assert [(i.village, i.village_code) for i in rows] == [(f"{first.name}、{second.name}", first.code)]
    for village in (first, second):
        names = [line.person_name for line in village_extract(published, village).interviews]
        assert names.count(person.name) == 1, village.code


def test_stored_interviews_cover_their_own_village(db):
    migration = importlib.import_module("dudao.interviews.migrations.0003_interview_villages")
    Interview.villages.through.objects.all().delete()
    migration.own_village(django_apps, None)
    pairs = set(Interview.villages.through.objects.values_list("interview_id", "unit_id"))
    assert pairs == set(Interview.objects.values_list("pk", "village_id"))
    assert len(pairs) == Interview.objects.count() > 0


def test_a_revision_follows_the_official_s_interview(shared_liaison):
    round_, first, second, person = shared_liaison
    campaign = campaign_get()
    publication.round_publish(actor=SYSTEM, campaign=campaign, week=WEEK)
    old = Interview.objects.get(round__week=WEEK, round__revision=1, person=person)
    ranking_services.ranking_revise(actor=SYSTEM, campaign=campaign, week=WEEK, reason="复核")
    ranking_services.ranking_compute(actor=SYSTEM, campaign=campaign, week=WEEK)
    publication.round_publish(actor=SYSTEM, campaign=campaign, week=WEEK)
    new = Interview.objects.get(round=selectors.round_live(campaign, WEEK), person=person)
    old.refresh_from_db()
    assert (old.status, new.status) == ("cancelled", "pending")
    assert old.cancel_reason == f"已由该周排名第 2 版取代（约谈 {new.pk}）。"
    assert sorted(new.villages.values_list("code", flat=True)) == sorted([first.code, second.code])
