"""What the weekly round tells people (the round itself knows nothing of notifications):
- publishing it: each village's and township's staff (and their group robots, and the county's) hear their
  standing, in the transaction that publishes it. A village's message links to its own extract of the bulletin,
  a township's and the county's to the week's ranking. The county's leaders hear its movers and escalations;
- a request for its publication: the leaders and the office users who may approve it hear that it awaits
  approval;
- once a week, the leaders' digest (the worker's periodic check): the latest published week, the problems
  overdue, the interviews and commitments outstanding;
- its deadline: a township whose ranking of its villages is due and not yet handed in is reminded - by the
  worker's periodic check as the deadline nears (once per township and week), and whenever the office presses
  "remind" on the round's page. Both go through `remind_towns`, to the township's staff and group robots."""

import datetime as dt
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.accounts.models import Role, User
from dudao.campaigns.models import Campaign
from dudao.core import weeks
from dudao.interviews import lifecycle as interview_lifecycle
from dudao.interviews.models import Commitment, Interview
from dudao.interviews.selectors import commitment_overdue_q, interview_overdue_q
from dudao.notifications import kinds
from dudao.notifications.services import office_users, publish, unit_staff
from dudao.org.models import Level, Post, PostRole, Unit
from dudao.problems.models import Problem
from dudao.problems.selectors import overdue_q as problem_overdue_q
from dudao.ranking import lifecycle
from dudao.ranking.models import RankingSettings, Result, Tier
from dudao.ranking.selectors import (
    latest_published_round,
    movers,
    round_live,
    submission_deadline,
    tier_counts_by_round,
    towns_not_submitted,
)

PUBLISHED = "round_published"


def _tier(code: str) -> str:
    return str(Tier(code).label) if code in Tier.values else code


def _published(p: kinds.Params) -> tuple[str, str]:
    title = _("The ranking of week %(week)s is published") % p
    scope = p.get("scope")
    if scope == "village" and p.get("position"):
        return title, _("%(unit)s: position %(position)s of %(ranked)s, %(tier)s.") % kinds.Params(
            p, tier=_tier(p.get("tier", "")))
    if scope == "village":
        return title, _("%(unit)s was not ranked this week.") % p
    return title, _("%(unit)s: %(green)s green, %(yellow)s yellow and %(red)s red of %(ranked)s ranked.") % p


kinds.register(kinds.Kind(PUBLISHED, gettext_lazy("weekly round published"), _published, position=30))


def round_published(round_) -> None:
    """A weekly round was published: its villages' and townships' staff and their group robots hear of it."""
    results = list(Result.objects.filter(round=round_).select_related("unit", "town"))
    if not results:
        return
    week = round_.week
    ranking_link = reverse("ranking_results", kwargs={"week": week})
    ranked = sum(1 for r in results if r.position is not None)
    villages = {r.unit_id: r for r in results}
    towns: dict[int, Unit] = {r.town_id: r.town for r in results}
    tiers_by_town: dict[int, Counter] = {pk: Counter() for pk in towns}
    for r in results:
        if r.position is not None:
            tiers_by_town[r.town_id][r.tier] += 1
    params: dict[int, tuple[dict, str]] = {}
    for r in results:
        params[r.unit_id] = ({"week": week, "scope": "village", "unit": r.unit.name, "code": r.unit.code,
                              "position": r.position, "ranked": ranked, "tier": r.tier},
                             reverse("bulletin_extract", kwargs={"week": week, "code": r.unit.code}))
    for pk, town in towns.items():
        tiers = tiers_by_town[pk]
        params[pk] = ({"week": week, "scope": "town", "unit": town.name, "code": town.code,
                       "ranked": sum(tiers.values()), "green": tiers["green"], "yellow": tiers["yellow"],
                       "red": tiers["red"]}, ranking_link)
    units: list[tuple[Unit, dict, str]] = [(r.unit, *params[r.unit_id]) for r in results]
    units += [(town, *params[pk]) for pk, town in towns.items()]
    county = round_.campaign.county
    if county is not None:
        tiers = Counter(r.tier for r in results if r.position is not None)
        units.append((county, {"week": week, "scope": "county", "unit": county.name, "code": county.code,
                               "ranked": ranked, "green": tiers["green"], "yellow": tiers["yellow"],
                               "red": tiers["red"]}, ranking_link))
    staff = User.objects.filter(is_active=True, scope_unit_id__in=list(villages) + list(towns),
                                role__in=[Role.VILLAGE_STAFF, Role.TOWN_STAFF]).select_related("scope_unit", "person")
    users = [(user, *params[user.scope_unit_id]) for user in staff.order_by("pk") if user.scope_unit_id]
    users += _grid_leaders(villages, params)
    publish(kind=PUBLISHED, key=f"round_published:{round_.campaign.slug}:{week}:r{round_.revision}",
            users=users, units=units)


def _grid_leaders(villages: dict[int, Result], params: dict[int, tuple[dict, str]]) -> list[tuple[User, dict, str]]:
    """The grid leaders with an account hear their village's standing with the link to its extract (issue 16), once
    per village even when they lead several of its grids."""
    by_code = {r.unit.code: pk for pk, r in villages.items()}
    accounts = {user.person_id: user for user in User.objects.filter(is_active=True, role=Role.GRID,
                                                                      person__isnull=False).order_by("pk")}
    if not accounts:
        return []
    told: dict[tuple[int, int], tuple[User, dict, str]] = {}
    posts = (Post.objects.held_between(timezone.localdate())
             .filter(role=PostRole.GRID_LEADER, unit__level=Level.GRID, person_id__in=list(accounts))
             .select_related("unit").order_by("person_id", "unit__path"))
    for post in posts:
        village = by_code.get(post.unit.village_code())
        if village is not None:
            told.setdefault((post.person_id, village), (accounts[post.person_id], *params[village]))
    return list(told.values())


# The leaders -------------------------------------------------------------------------------------------------
# The county's leaders hear of a round awaiting approval, of its publication (its movers and escalations), and once
# a week of where the campaign stands. The group robots of the county may be set to hear each.

AWAITING = "round_awaiting_approval"
LEADERS_PUBLISHED = "round_published_leaders"
DIGEST = "leader_digest"
# The weekly digest goes out from this weekday (1 = Monday) and local time on, once per week.
DIGEST_WEEKDAY = 1
DIGEST_TIME = dt.time(8, 0)


def _awaiting(p: kinds.Params) -> tuple[str, str]:
    return (_("The ranking of week %(week)s awaits approval") % p,
            _("%(requester)s asks to publish revision %(revision)s: %(green)s green, %(yellow)s yellow and "
              "%(red)s red of %(ranked)s ranked.") % p)


def _leaders_published(p: kinds.Params) -> tuple[str, str]:
    if p.get("previous_week"):
        movers = _("Against week %(previous_week)s: red → green %(red_to_green)s, green → red %(green_to_red)s, "
                   "new reds %(new_red)s.") % p
    else:
        movers = _("The first published week: %(new_red)s red.") % p
    escalated = _("Red %(threshold)s rounds in a row or more: %(escalated)s, escalated to interviews of their "
                  "township's leaders.") % p
    return _("The ranking of week %(week)s is published") % p, f"{movers}\n{escalated}"


def _digest(p: kinds.Params) -> tuple[str, str]:
    if p.get("round_week"):
        standing = _("Week %(round_week)s: %(green)s green, %(yellow)s yellow and %(red)s red of %(ranked)s "
                     "ranked; %(escalated)s escalated.") % p
    else:
        standing = _("No week has been published yet.")
    late = _("Problems overdue: %(problems_overdue)s. Interviews not held: %(interviews_open)s "
             "(%(interviews_late)s late). Commitments not done: %(commitments_open)s (%(commitments_late)s late).") % p
    return _("Weekly digest, week %(week)s") % p, f"{standing}\n{late}"


kinds.register(
    kinds.Kind(AWAITING, gettext_lazy("weekly round awaiting approval (leaders, office)"), _awaiting, position=25),
    kinds.Kind(LEADERS_PUBLISHED, gettext_lazy("weekly round published: movers and escalations (leaders)"),
               _leaders_published, position=31),
    kinds.Kind(DIGEST, gettext_lazy("weekly digest (leaders)"), _digest, position=90),
)


def _leaders() -> list[User]:
    return list(User.objects.filter(is_active=True, role=Role.LEADER).select_related("scope_unit", "person")
                .order_by("pk"))


def _counts(round_) -> dict:
    tiers = tier_counts_by_round(Result.objects.filter(round=round_)).get(round_.pk, dict.fromkeys(Tier.values, 0))
    return {"ranked": sum(tiers.values()), **tiers}


def _county(round_or_campaign) -> list:
    return [c for c in (getattr(round_or_campaign, "campaign", round_or_campaign).county,) if c is not None]


def round_awaiting_approval(round_, requester) -> None:
    """A round's publication was requested: the leaders and the office users who may approve it (all but the
    requester) hear of it, with its tiers; inside the transaction of the request. Each request is a new event."""
    name = requester.get_full_name() if hasattr(requester, "get_full_name") else ""
    params = {"week": round_.week, "revision": round_.revision,
              "requester": name or getattr(requester, "username", "") or "system:cli", **_counts(round_)}
    results_link = reverse("ranking_results", kwargs={"week": round_.week})
    round_link = f"{reverse('ranking_round')}?{urlencode({'week': round_.week})}"
    users = [(u, params, results_link) for u in _leaders()]
    users += [(u, params, round_link) for u in office_users() if u.pk != getattr(requester, "pk", None)]
    publish(kind=AWAITING, users=users, units=[(c, params, round_link) for c in _county(round_)],
            key=f"{AWAITING}:{round_.campaign.slug}:{round_.week}:r{round_.revision}:{timezone.now().isoformat()}")


def round_published_to_leaders(round_) -> None:
    """A round was published: the leaders hear its movers and escalations against the last published week, in two
    lines (dudao.ranking.selectors.movers), in the transaction that publishes it."""
    found = movers(round_)
    params = {"week": round_.week, "revision": round_.revision, "threshold": found.threshold,
              "previous_week": found.previous.week if found.previous is not None else "", **found.counts(),
              **_counts(round_)}
    link = reverse("ranking_results", kwargs={"week": round_.week})
    publish(kind=LEADERS_PUBLISHED, key=f"{LEADERS_PUBLISHED}:{round_.campaign.slug}:{round_.week}:r{round_.revision}",
            users=[(u, params, link) for u in _leaders()], units=[(c, params, link) for c in _county(round_)])


def digest_due(now: dt.datetime) -> bool:
    """Whether this week's digest is due: from DIGEST_WEEKDAY at DIGEST_TIME (local time) to the week's end."""
    local = timezone.localtime(now)
    return (local.isoweekday(), local.time()) >= (DIGEST_WEEKDAY, DIGEST_TIME)


def leader_digest(*, now: dt.datetime | None = None) -> int:
    """The periodic check: once a week (from DIGEST_WEEKDAY at DIGEST_TIME on), each campaign's leaders get the
    latest published week's tiers, the problems overdue and the interviews and commitments outstanding. Idempotent
    per week: the week's digest is told once to each leader. The number of leaders told now."""
    now = now or timezone.now()
    if not digest_due(now):
        return 0
    today = timezone.localdate(now)
    week = weeks.week_of(today)
    leaders = _leaders()
    told = 0
    for campaign in Campaign.objects.select_related("county").order_by("pk"):
        latest = latest_published_round(campaign)
        interviews = Interview.objects.filter(round__campaign=campaign)
        commitments = Commitment.objects.filter(interview__round__campaign=campaign)
        params: dict = {
            "week": week, "round_week": latest.week if latest is not None else "",
            "escalated": Result.objects.filter(round=latest, escalated=True).count() if latest is not None else 0,
            **(_counts(latest) if latest is not None else {}),
            "problems_overdue": Problem.objects.filter(problem_overdue_q(now), campaign=campaign).count(),
            "interviews_open": interviews.filter(status__in=interview_lifecycle.AWAITING).count(),
            "interviews_late": interviews.filter(interview_overdue_q(today)).count(),
            "commitments_open": commitments.filter(status=interview_lifecycle.OPEN).count(),
            "commitments_late": commitments.filter(commitment_overdue_q(today)).count(),
        }
        link = reverse("ranking_results", kwargs={"week": latest.week}) if latest is not None else reverse("home")
        with transaction.atomic():
            published = publish(kind=DIGEST, key=f"{DIGEST}:{campaign.slug}:{week}", now=now,
                                users=[(u, params, link) for u in leaders],
                                units=[(c, params, link) for c in _county(campaign)])
        told += len({n.recipient_id for n in published.notifications}
                    | {d.recipient_id for d in published.deliveries if d.recipient_id is not None})
    return told


# The deadline ------------------------------------------------------------------------------------------------

DEADLINE = "ranking_deadline"


def _deadline(p: kinds.Params) -> tuple[str, str]:
    return (_("The township ranking of week %(week)s is due by %(deadline)s") % p,
            _("%(town)s has not submitted its ranking of its villages yet.") % p)


kinds.register(kinds.Kind(DEADLINE, gettext_lazy("township ranking deadline approaching"), _deadline, position=20))


def remind_towns(*, week: str, due: dt.datetime, towns, key: str, now: dt.datetime) -> list[Unit]:
    """Tell each township's staff and group robots that its ranking of the week is due; each township once per
    ``key``. Inside the transaction of the cause. The townships told now."""
    due_text = date_format(timezone.localtime(due), "Y-m-d H:i")
    link = reverse("ranking_submit")
    told = []
    for town in towns:
        params = {"week": week, "town": town.name, "code": town.code, "deadline": due_text}
        staff = [u for u in unit_staff(town) if u.role == Role.TOWN_STAFF]
        published = publish(kind=DEADLINE, key=f"{key}:{town.code}", users=[(u, params, link) for u in staff],
                             units=[(town, params, link)], now=now)
        if published.notifications or published.deliveries:
            told.append(town)
    return told


def ranking_deadline_approaching(*, now: dt.datetime | None = None, hours: int | None = None) -> list[Unit]:
    """The periodic check: remind every active township that has not submitted its ranking for the current week
    when the submission deadline is less than ``hours`` away; once per township and week. The townships newly
    reminded."""
    now = now or timezone.now()
    hours = hours if hours is not None else settings.RANKING_REMIND_HOURS
    week = weeks.week_of(timezone.localdate(now))
    reminded: list[Unit] = []
    for campaign in Campaign.objects.select_related("county").order_by("pk"):
        round_ = round_live(campaign, week)
        if round_ is not None and round_.status not in lifecycle.OPEN:
            continue
        ranking_settings = (round_.settings if round_ is not None else
                            RankingSettings.objects.filter(campaign=campaign).order_by("-version").first()
                            or RankingSettings(campaign=campaign))
        due = submission_deadline(ranking_settings, week)
        if not due - dt.timedelta(hours=hours) <= now < due:
            continue
        with transaction.atomic():
            reminded += remind_towns(week=week, due=due, towns=towns_not_submitted(campaign, round_),
                                     key=f"ranking_deadline:{campaign.slug}:{week}", now=now)
    return reminded
