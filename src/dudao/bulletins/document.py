"""The bulletin's content as the documents print it: translated headings and sentences, numbers as text.

One function, `context`, shared by the Word template (docxtpl) and the PDF's HTML template, so both show the
same words and figures. Its keys are the template variables the office may use (see VARIABLES).
"""

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.bulletins.content import NOT_RANKED, SOURCES, TIERS, BulletinContent, VillageRow

SUMMARY_LIMIT = 300  # rows of the green and yellow lists and of the changes a summary shows

# The variables a Word template may use, for the template page. Rows of lists are documented by their fields.
VARIABLES: list[tuple[str, object]] = [
    ("issuer", gettext_lazy("issuing office (red header)")),
    ("doc_number", gettext_lazy("document number, e.g. 景环整办〔2026〕12号")),
    ("title", gettext_lazy("the bulletin's title")),
    ("week, week_start, week_end", gettext_lazy("the ISO week and its first and last day")),
    ("issue_date", gettext_lazy("date of issue (the publication date)")),
    ("county", gettext_lazy("the county's name")),
    ("summary", gettext_lazy("the opening paragraph")),
    ("basis", gettext_lazy("the townships missing when the week was published and the reason given (empty when "
                           "every township submitted; the summary includes it)")),
    ("labels.green, labels.yellow, labels.red", gettext_lazy("the tiers' labels")),
    ("counts.green, .yellow, .red, .ranked, .unranked, .escalated, .interviews",
     gettext_lazy("numbers of villages and interviews")),
    ("green, yellow, red, unranked, escalated, changed",
     gettext_lazy("lists of villages; each row has position, name, code, town, composite, streak, escalated, "
                  "tier, previous")),
    ("yellow_names", gettext_lazy("the yellow list as one line of names")),
    ("towns", gettext_lazy("table by township; each row has name, ranked, green, yellow, red, escalated, "
                           "interviews, found, on_time, overdue, rework, town, inspection, drone, submitted")),
    ("interviews", gettext_lazy("each row has village, town, unit, role, reason, person")),
    ("problems.found, .on_time, .overdue, .rework, .open", gettext_lazy("problem statistics of the week")),
    ("coverage", gettext_lazy("each row has source, villages, share, towns")),
    ("previous_week, changes, changes_text", gettext_lazy("tier changes since the last published week; each "
                                                          "change has from, to, count")),
    ("chart", gettext_lazy("the chart of tier counts (an image: put {{ chart }} alone in a paragraph)")),
    ("more.green, more.yellow, more.changed", gettext_lazy("rows left out of a summary (0 in the full bulletin)")),
]


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def date_text(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _labels(content: BulletinContent) -> dict[str, str]:
    labels = {s.code: s.label for s in content.styles}
    labels[NOT_RANKED] = _("not ranked")
    return labels


def _row(v: VillageRow, labels: dict[str, str]) -> dict:
    return {"position": str(v.position) if v.position is not None else "—", "name": v.name, "code": v.code,
            "town": v.town_name, "composite": number(v.composite), "streak": str(v.red_streak),
            "escalated": _("yes") if v.escalated else "", "tier": labels.get(v.tier, v.tier),
            "tier_code": v.tier, "previous": labels.get(v.previous_tier, v.previous_tier)}


def _cut(rows: list, limit: int | None) -> tuple[list, int]:
    if limit is None or len(rows) <= limit:
        return rows, 0
    return rows[:limit], len(rows) - limit


def title(content: BulletinContent) -> str:
    return _("Bulletin on the urban–rural environment remediation ranking of week %(week)s") % {
        "week": content.week}


def basis_text(content: BulletinContent) -> str:
    """The sentence on what the week was published without: the townships that had not submitted their own
    ranking, and the office's reason; "" when every township submitted."""
    if not content.missing_towns:
        return ""
    return _("The townships %(names)s had not submitted their own ranking when the week was published; their "
             "villages are ranked without it. Reason for publishing: %(reason)s") % {
                 "names": "、".join(content.missing_towns), "reason": content.publish_reason or "—"}


def context(content: BulletinContent, summary: bool = False) -> dict:
    """Template variables. ``summary`` shortens the green and yellow lists and the changes to SUMMARY_LIMIT
    rows (the red list, the escalations and the interviews stay whole); the annex has everything."""
    limit = SUMMARY_LIMIT if summary else None
    labels = _labels(content)
    green, yellow, red = content.counts
    ranked = len(content.ranked)
    rows = {t: [_row(v, labels) for v in content.tier_rows(t)] for t in TIERS}
    shown_green, more_green = _cut(rows["green"], limit)
    shown_yellow, more_yellow = _cut(rows["yellow"], limit)
    changed, more_changed = _cut([_row(v, labels) for v in content.changed], limit)
    issue_day = local_date(content.published_at)
    problems = content.problems
    values = {"week": content.week, "start": date_text(content.week_start), "end": date_text(content.week_end),
              "ranked": ranked, "green": green, "yellow": yellow, "red": red,
              "gl": labels["green"], "yl": labels["yellow"], "rl": labels["red"],
              "escalated": len(content.escalated), "interviews": len(content.interviews),
              "found": problems.found}
    summary_text = _(
        "In week %(week)s (%(start)s to %(end)s), %(ranked)s villages and communities were ranked on the township "
        "rankings, the inspections and the drone photos: %(green)s %(gl)s, %(yellow)s %(yl)s and %(red)s %(rl)s. "
        "%(escalated)s villages were red in consecutive rounds and are escalated; %(interviews)s accountability "
        "interviews follow. %(found)s problems were found during the week.") % values
    basis = basis_text(content)
    if basis:
        summary_text = f"{summary_text} {basis}"
    changes = [{"from": labels.get(c.from_tier, c.from_tier), "to": labels.get(c.to_tier, c.to_tier),
                "count": str(c.count)} for c in content.changes]
    changes_text = "；".join(_("%(from)s → %(to)s: %(count)s") % c for c in changes) if changes else _("none")
    towns = [{
        "name": t.name, "code": t.code, "ranked": str(t.ranked), "green": str(t.tiers[0]),
        "yellow": str(t.tiers[1]), "red": str(t.tiers[2]), "escalated": str(t.escalated),
        "interviews": str(t.interviews), "found": str(t.problems.found), "on_time": str(t.problems.rectified_on_time),
        "overdue": str(t.problems.overdue), "rework": str(t.problems.rework), "open": str(t.problems.open),
        **{s: str(t.covered[n]) for n, s in enumerate(SOURCES)},
        "submitted": (_("late") if t.late else _("yes")) if t.submitted else _("no"),
    } for t in content.towns]
    return {
        "issuer": content.issuer, "doc_number": content.doc_number, "title": title(content), "week": content.week,
        "week_start": date_text(content.week_start), "week_end": date_text(content.week_end),
        "issue_date": date_text(issue_day), "county": content.county, "summary": summary_text, "basis": basis,
        "labels": {t: labels[t] for t in TIERS}, "colours": {s.code: s.colour for s in content.styles},
        "counts": {"green": green, "yellow": yellow, "red": red, "ranked": ranked,
                   "unranked": len(content.unranked), "escalated": len(content.escalated),
                   "interviews": len(content.interviews)},
        "green": shown_green, "yellow": shown_yellow, "red": rows["red"],
        "yellow_names": "、".join(r["name"] for r in shown_yellow),
        "unranked": [_row(v, labels) for v in content.unranked],
        "escalated": [_row(v, labels) for v in content.escalated],
        "changed": changed, "changes": changes, "changes_text": changes_text,
        "previous_week": content.previous_week,
        "previous_counts": dict(zip(TIERS, map(str, content.previous_counts), strict=True)),
        "towns": towns,
        "interviews": [{"village": i.village, "town": i.town, "unit": i.unit, "role": i.role_label,
                        "reason": i.reason_label, "person": _("vacant") if i.vacant else i.person}
                       for i in content.interviews],
        "problems": {"found": str(problems.found), "on_time": str(problems.rectified_on_time),
                     "overdue": str(problems.overdue), "rework": str(problems.rework), "open": str(problems.open)},
        "coverage": [{"source": c.label, "villages": str(c.villages), "share": f"{100 * c.share:.0f}%",
                      "towns": str(c.towns)} for c in content.coverage],
        "more": {"green": more_green, "yellow": more_yellow, "changed": more_changed},
        "summary_mode": summary,
    }


def headings(labels: dict[str, str]) -> dict[str, str]:
    """Section headings; ``labels`` are the tiers' labels (or Jinja placeholders for the Word template)."""
    return {
        "green": _("1. The %(label)s list") % {"label": labels["green"]},
        "yellow": _("2. The %(label)s list") % {"label": labels["yellow"]},
        "red": _("3. The %(label)s list") % {"label": labels["red"]},
        "towns": _("4. Results by township"),
        "interviews": _("5. Escalations and accountability interviews"),
        "problems": _("6. Problems found and rectified"),
        "coverage": _("7. Coverage of the sources"),
        "changes": _("8. Changes since the last published week"),
        "unranked": _("Villages not ranked (no source covered them)"),
        "annex": _("Annex: the full table of every village is in the Excel annex of this bulletin."),
    }


def column_names() -> dict[str, str]:
    return {
        "position": _("position"), "village": _("village"), "town": _("township"), "composite": _("composite"),
        "streak": _("red streak"), "escalated": _("escalated"), "ranked": _("ranked"),
        "interviews": _("interviews"), "found": _("problems found"), "on_time": _("rectified on time"),
        "overdue": _("overdue"), "rework": _("rework"), "open": _("still open"), "unit": _("unit"),
        "role": _("post"), "reason": _("reason"), "person": _("person"), "source": _("source"),
        "villages": _("villages covered"), "share": _("share"), "towns": _("townships"),
        "submitted": _("own ranking submitted"), "from": _("last week"), "to": _("this week"),
        "count": _("villages"), "tier": _("tier"), "code": _("code"),
    }
