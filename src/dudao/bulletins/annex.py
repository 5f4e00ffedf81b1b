"""The bulletin's Excel annex: the full table (every village) and sheets for townships, problems, interviews,
tier changes and coverage. Written with openpyxl's write-only mode (a province's 16,000 rows in about a second);
text cells are always text, never formulas."""

import io

from django.utils.translation import gettext as _

from dudao.bulletins import document
from dudao.bulletins.content import SOURCES, BulletinContent
from dudao.bulletins.word import normalize_zip


def _sheet_title(text: str) -> str:
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31]


def render(content: BulletinContent) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    names = document.column_names()
    labels = {s.code: s.label for s in content.styles} | {"": _("not ranked")}
    published = content.published_at.replace(tzinfo=None)
    workbook.properties.created = workbook.properties.modified = published
    workbook.properties.creator = workbook.properties.lastModifiedBy = "Dudao"
    workbook.properties.title = document.title(content)

    def sheet(title: str, header: list[str], rows, widths: list[int]) -> None:
        ws = workbook.create_sheet(_sheet_title(title))
        for n, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + n) if n < 26 else "A" + chr(ord("A") + n - 26)].width = width
        ws.freeze_panes = "A2"
        head = []
        for text in header:
            c = WriteOnlyCell(ws, value=text)
            c.font = bold
            head.append(c)
        ws.append(head)
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, str):
                    c = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                    c.data_type = "s"  # text that starts with = stays text
                    cells.append(c)
                else:
                    cells.append(value)
            ws.append(cells)

    source_labels = {c.source: c.label for c in content.coverage}
    source_header = []
    for s in SOURCES:
        label = source_labels.get(s, s)
        source_header += [_("%(source)s: rank or score delivered") % {"source": label},
                          _("%(source)s: rank in scope") % {"source": label},
                          _("%(source)s: points (percentile)") % {"source": label}]
    header = [names["position"], names["code"], names["village"], names["town"], _("township code"), names["tier"],
              names["composite"], names["streak"], names["escalated"], _("capped at yellow"), *source_header,
              _("tier last week")]
    yes, no = _("yes"), _("no")

    def village_rows():
        for v in content.villages:
            values: list = [v.position, v.code, v.name, v.town_name, v.town_code, labels.get(v.tier, v.tier),
                            v.composite, v.red_streak, yes if v.escalated else no, yes if v.capped else no]
            for value in v.sources:
                values += [value.raw, value.rank, value.points]
            values.append(labels.get(v.previous_tier, v.previous_tier) if content.previous_week else "")
            yield values

    sheet(_("Full table %(week)s") % {"week": content.week}, header, village_rows(),
          [8, 15, 16, 12, 15, 8, 11, 8, 8, 8, *([11] * 9), 10])
    sheet(_("Townships"), [names["town"], _("township code"), names["ranked"], labels["green"], labels["yellow"],
                           labels["red"], names["escalated"], names["interviews"], names["found"], names["on_time"],
                           names["overdue"], names["rework"], names["open"],
                           *(source_labels.get(s, s) for s in SOURCES), names["submitted"]],
          ([t.name, t.code, t.ranked, *t.tiers, t.escalated, t.interviews, t.problems.found,
            t.problems.rectified_on_time, t.problems.overdue, t.problems.rework, t.problems.open, *t.covered,
            (_("late") if t.late else yes) if t.submitted else no] for t in content.towns),
          [12, 15, *([9] * 15)])
    p = content.problems
    sheet(_("Problems"), [_("figure"), _("count")],
          [[names["found"], p.found], [names["on_time"], p.rectified_on_time], [names["overdue"], p.overdue],
           [names["rework"], p.rework], [names["open"], p.open]], [24, 10])
    sheet(_("Interviews"), [names["village"], names["town"], names["unit"], names["role"], names["reason"],
                            names["person"], _("vacant")],
          ([i.village, i.town, i.unit, i.role_label, i.reason_label, i.person, yes if i.vacant else no]
           for i in content.interviews), [16, 12, 16, 24, 14, 10, 8])
    sheet(_("Tier changes"), [names["code"], names["village"], names["town"], names["from"], names["to"],
                              names["position"]],
          ([v.code, v.name, v.town_name, labels.get(v.previous_tier, v.previous_tier), labels.get(v.tier, v.tier),
            v.position] for v in content.changed), [15, 16, 12, 10, 10, 8])
    sheet(_("Coverage"), [names["source"], names["villages"], names["share"], names["towns"]],
          ([c.label, c.villages, round(c.share, 4), c.towns] for c in content.coverage), [16, 12, 10, 10])
    if content.missing_towns:
        sheet(_("Basis"), [_("townships missing"), _("reason for publishing")],
              [["、".join(content.missing_towns), content.publish_reason]], [40, 80])
    out = io.BytesIO()
    workbook.save(out)
    return normalize_zip(out.getvalue(), content.published_at)
