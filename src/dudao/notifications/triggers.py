"""What the rest of Dudao tells the notifications: one function per event that reaches people outside the
page they are on. Each is called inside the transaction of its cause (the transactional outbox); each names its
event with a key, so that calling it again for the same event stores nothing new."""

import datetime as dt
import logging
from collections import Counter

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from dudao.accounts.models import Role, User
from dudao.notifications.models import Event
from dudao.notifications.services import office_users, publish, unit_staff
from dudao.org.models import Level, Unit

log = logging.getLogger(__name__)

# The audit actions of dudao.interviews.services that (re)schedule an interview.
SCHEDULE_ACTIONS = ("interview.schedule", "interview.reschedule")


def bulletin_link(week: str, code: str) -> str:
    return f"/bulletins/{week}/village/{code}/"


def ranking_link(week: str) -> str:
    return f"/ranking/{week}/"


def round_published(round_) -> None:
    """A weekly round was published: its villages' and townships' staff and their group robots hear of it."""
    from dudao.ranking.models import Result

    results = list(Result.objects.filter(round=round_).select_related("unit", "town"))
    if not results:
        return
    week = round_.week
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
                             bulletin_link(week, r.unit.code))
    for pk, town in towns.items():
        tiers = tiers_by_town[pk]
        params[pk] = ({"week": week, "scope": "town", "unit": town.name, "code": town.code,
                       "ranked": sum(tiers.values()), "green": tiers["green"], "yellow": tiers["yellow"],
                       "red": tiers["red"]}, ranking_link(week))
    units: list[tuple[Unit, dict, str]] = [(r.unit, *params[r.unit_id]) for r in results]
    units += [(town, *params[pk]) for pk, town in towns.items()]
    county = round_.campaign.county
    if county is not None:
        tiers = Counter(r.tier for r in results if r.position is not None)
        units.append((county, {"week": week, "scope": "county", "unit": county.name, "code": county.code,
                               "ranked": ranked, "green": tiers["green"], "yellow": tiers["yellow"],
                               "red": tiers["red"]}, ranking_link(week)))
    staff = User.objects.filter(is_active=True, scope_unit_id__in=list(villages) + list(towns),
                                role__in=[Role.VILLAGE_STAFF, Role.TOWN_STAFF]).select_related("scope_unit", "person")
    users = [(user, *params[user.scope_unit_id]) for user in staff.order_by("pk") if user.scope_unit_id]
    publish(kind=Event.ROUND_PUBLISHED, key=f"round_published:{round_.campaign.slug}:{week}:r{round_.revision}",
            users=users, units=units)


def _town_of(unit: Unit) -> Unit | None:
    if unit.level == Level.TOWN:
        return unit
    if unit.level == Level.COUNTY:
        return None
    codes = [c for c in unit.path.split("/") if c]
    return Unit.objects.filter(code__in=codes, level=Level.TOWN).first()


def interview_scheduled(interview) -> None:
    """An interview (约谈) was scheduled: the unit's staff and the office hear of it, and the group robots of
    the unit and its township."""
    unit: Unit = interview.unit
    village: Unit = getattr(interview, "village", None) or unit
    round_ = getattr(interview, "round", None)
    when = getattr(interview, "scheduled_for", None)
    when_text = ""
    if isinstance(when, dt.datetime):
        when_text = date_format(timezone.localtime(when), "Y-m-d H:i")
    elif isinstance(when, dt.date):
        when_text = when.isoformat()
    person = getattr(interview, "person", None)
    week = round_.week if round_ is not None else ""
    params = {"week": week, "unit": unit.name, "village": village.name, "role": getattr(interview, "role", ""),
              "person": person.name if person is not None else "", "vacant": person is None, "when": when_text,
              "reason": getattr(interview, "reason", ""), "place": getattr(interview, "place", "")}
    link = interview.get_absolute_url() if hasattr(interview, "get_absolute_url") else (
        f"/ranking/{week}/interviews/" if week else "")
    town = _town_of(unit)
    publish(kind=Event.INTERVIEW_SCHEDULED, key=_schedule_key(interview, when_text, str(params["place"])),
            users=[(u, params, link) for u in unit_staff(unit) + office_users()],
            units=[(u, params, link) for u in (unit, town) if u is not None])


def _schedule_key(interview, when_text: str, place: str) -> str:
    """The event's key: every schedule and reschedule is a new event (everyone is told again, even of a move
    back to an earlier time or place); the same one is told once. dudao.interviews.services audit-logs each
    transition in the transaction that calls the trigger, so the sequence number of the interview's latest
    (re)schedule event names the transition; the time and place are part of the key as well, for a caller that
    changes them without an audit event of its own."""
    from dudao.audit.models import AuditEvent

    seq = (AuditEvent.objects.filter(object_type="interview", object_id=str(interview.pk),
                                     action__in=SCHEDULE_ACTIONS)
           .order_by("-seq").values_list("seq", flat=True).first())
    return f"interview_scheduled:{interview.pk}:a{seq or 0}:{when_text}:{place}"


def ranking_deadline_approaching(*, now: dt.datetime | None = None, hours: int | None = None) -> list[Unit]:
    """Remind the staff (and group robots) of every active township that has not submitted its ranking for the
    current week when the submission deadline is less than ``hours`` away; once per township and week. The
    townships newly reminded."""
    from django.conf import settings

    from dudao.campaigns.models import Campaign
    from dudao.ranking import weeks
    from dudao.ranking.models import RankingSettings, Round, RoundStatus, SourceName, Submission

    now = now or timezone.now()
    hours = hours if hours is not None else settings.RANKING_REMIND_HOURS
    week = weeks.week_of(timezone.localdate(now))
    reminded: list[Unit] = []
    for campaign in Campaign.objects.select_related("county").order_by("pk"):
        round_ = (Round.objects.filter(campaign=campaign, week=week).exclude(status=RoundStatus.SUPERSEDED)
                  .select_related("settings").first())
        if round_ is not None and round_.status not in (RoundStatus.COLLECTING, RoundStatus.COMPUTED):
            continue
        ranking_settings = (round_.settings if round_ is not None else
                            RankingSettings.objects.filter(campaign=campaign).order_by("-version").first()
                            or RankingSettings(campaign=campaign))
        year, number = weeks.parse_week(week)
        day = dt.date.fromisocalendar(year, number, ranking_settings.deadline_weekday)
        deadline = timezone.make_aware(dt.datetime.combine(day, ranking_settings.deadline_time))
        if not deadline - dt.timedelta(hours=hours) <= now < deadline:
            continue
        submitted = set(Submission.objects.filter(round=round_, source=SourceName.TOWN)
                        .values_list("town_id", flat=True)) if round_ is not None else set()
        towns = Unit.objects.filter(level=Level.TOWN, active=True)
        if campaign.county is not None:
            towns = towns.filter(path__startswith=campaign.county.path)
        deadline_text = date_format(timezone.localtime(deadline), "Y-m-d H:i")
        for town in towns.exclude(pk__in=submitted).order_by("code"):
            params = {"week": week, "town": town.name, "code": town.code, "deadline": deadline_text}
            link = "/ranking/submit/"
            staff = [u for u in unit_staff(town) if u.role == Role.TOWN_STAFF]
            with transaction.atomic():
                published = publish(kind=Event.RANKING_DEADLINE, key=f"ranking_deadline:{campaign.slug}:{week}:"
                                    f"{town.code}", users=[(u, params, link) for u in staff],
                                    units=[(town, params, link)], now=now)
            if published.notifications or published.deliveries:
                reminded.append(town)
    return reminded
