"""The texts for the channels people read, from a published week: the loudspeaker script (广播稿) of one village
and the official account's article (公众号) with the week's figures and lists. Plain text from templates
(portal/broadcast.txt, portal/article.txt), in the active language."""

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from dudao.core import weeks
from dudao.portal import content


def week_label(week: str) -> str:
    """2026-W10 as people say it: "week 10 of 2026" (2026年第10周)."""
    year, number = weeks.parse_week(week)
    return _("week %(number)d of %(year)d") % {"number": number, "year": year}


def _plain(template: str, context: dict) -> str:
    text = render_to_string(template, context)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:  # at most one empty line between paragraphs, whatever the template's tags left
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"


def broadcast(campaign, village: content.Village, now: content.VillageWeek,
              before: content.VillageWeek | None, threshold: int) -> str:
    """The village's loudspeaker script for the week of ``now`` (``before``: its last published week before)."""
    return _plain("portal/broadcast.txt", {
        "campaign": campaign, "village": village, "now": now, "before": before, "week": week_label(now.week),
        "before_week": week_label(before.week) if before else "", "threshold": threshold,
        "label": now.style.label if now.style else "", "escalated": now.escalated and now.red_streak >= threshold})


def article(campaign, week: content.Week, url: str) -> str:
    """The official account's article of the week: its figures and its green and red lists by township."""
    return _plain("portal/article.txt", {
        "campaign": campaign, "w": week, "week": week_label(week.week),
        "previous": week_label(week.previous_week) if week.previous_week else "", "url": url,
        "green": week.styles["green"], "yellow": week.styles["yellow"], "red": week.styles["red"],
        "threshold": week.round.settings.escalation_threshold})
