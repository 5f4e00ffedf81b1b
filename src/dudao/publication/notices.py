"""What the weekly round tells people (the round itself knows nothing of notifications):
- publishing it: each village's and township's staff (and their group robots, and the county's) hear their
  standing, in the transaction that publishes it. A village's message links to its own extract of the bulletin,
  a township's and the county's to the week's ranking;
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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.accounts.models import Role, User
from dudao.campaigns.models import Campaign
from dudao.core import weeks
from dudao.notifications import kinds
from dudao.notifications.services import publish, unit_staff
from dudao.org.models import Unit
from dudao.ranking import lifecycle
from dudao.ranking.models import RankingSettings, Result, Tier
from dudao.ranking.selectors import round_live, submission_deadline, towns_not_submitted

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
    publish(kind=PUBLISHED, key=f"round_published:{round_.campaign.slug}:{week}:r{round_.revision}",
            users=users, units=units)


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
