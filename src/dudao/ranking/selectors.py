"""Reads of the weekly round: the live round of a week, its submission deadline, the units it ranks, the last
published round before it, and the result as CONTRACTS §3 exports it. Scoped reads for pages: ranking.access."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from dudao.core import weeks
from dudao.org.models import Unit, town_code
from dudao.ranking import sourcefile
from dudao.ranking.models import RankingSettings, Result, Round, RoundStatus, SourceName, Submission


def round_live(campaign, week: str) -> Round | None:
    """The week's round people see: the latest revision that is not superseded."""
    return Round.objects.filter(campaign=campaign, week=week).exclude(status=RoundStatus.SUPERSEDED).first()


def submission_deadline(settings: RankingSettings, week: str) -> dt.datetime:
    """The township submission deadline of a week under the settings: their weekday and time, local time."""
    year, number = weeks.parse_week(week)
    day = dt.date.fromisocalendar(year, number, settings.deadline_weekday)
    return timezone.make_aware(dt.datetime.combine(day, settings.deadline_time))


def deadline(round_: Round) -> dt.datetime:
    """The submission deadline of the round's week (its settings' weekday and time, local time)."""
    return submission_deadline(round_.settings, round_.week)


def ranked_units(campaign) -> dict[str, sourcefile.Ranked]:
    """The villages and communities of the campaign's county with their township."""
    return {code: sourcefile.Ranked(code, town_code(path), active)
            for code, path, active in Unit.objects.of_campaign(campaign).ranked().values_list("code", "path", "active")}


def towns_not_submitted(campaign, round_: Round | None) -> QuerySet[Unit]:
    """The campaign's active townships that have not handed in their ranking for the round's week (every one
    while the week has no round)."""
    submitted = (Submission.objects.filter(round=round_, source=SourceName.TOWN).values_list("town_id", flat=True)
                 if round_ is not None else [])
    return Unit.objects.of_campaign(campaign).towns().filter(active=True).exclude(pk__in=submitted).order_by("code")


def previous_published(round_: Round) -> Round | None:
    """The campaign's last published round of a week before the round's."""
    return (Round.objects.filter(campaign=round_.campaign, status=RoundStatus.PUBLISHED,
                                 week_start__lt=round_.week_start).order_by("-week_start").first())


def export_row(code, name, town_code, composite, position, tier, streak, escalated, p_town, p_inspection,
               p_drone) -> dict:
    """One row of CONTRACTS §3 "Result export", its columns in the contract's order."""
    return {"code": code, "name": name, "town_code": town_code, "composite": composite, "position": position,
            "tier": tier, "red_streak": streak, "escalated": escalated, "p_town": p_town,
            "p_inspection": p_inspection, "p_drone": p_drone}


def export_rows(round_: Round) -> list[dict]:
    """CONTRACTS §3 "Result export": one row per ranked village, in position order."""
    rows = (Result.objects.filter(round=round_, position__isnull=False).order_by("position", "unit__code")
            .values_list("unit__code", "unit__name", "town__code", "composite", "position", "tier", "red_streak",
                         "escalated", "p_town", "p_inspection", "p_drone"))
    return [export_row(*row) for row in rows]
