"""The Word bulletin: a docxtpl template (Jinja inside Word) rendered with the bulletin's context.

The default template is built here, deterministically, with python-docx, after GB/T 9704 (A4; margins top
37 mm, bottom 35 mm, left 28 mm, right 26 mm; red issuing-office header, document number, red rule, title in a
larger face, body in FangSong, issuing office and date at the end). The office downloads it, edits it in Word and
uploads its own; `check` renders a bulletin with an uploaded template before it is accepted.
"""

import contextlib
import datetime as dt
import io
import re
import zipfile
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext as _

from dudao.bulletins import bounds, document
from dudao.bulletins.content import BulletinContent
from dudao.core.errors import Refused

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
RED = "FF0000"
BODY_FONT, BODY_EAST = "FangSong", "仿宋"
HEAD_FONT, HEAD_EAST = "SimHei", "黑体"
TITLE_FONT, TITLE_EAST = "FZXiaoBiaoSong-B05S", "方正小标宋简体"
FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


# Deterministic files -------------------------------------------------------------------------------------


CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def normalize_zip(data: bytes, when: dt.datetime | None = None) -> bytes:
    """The same zip with every member stamped with one time (and fixed attributes), so the same content gives
    the same bytes whenever it is written."""
    stamp = FIXED_ZIP_TIME if when is None else (max(when.year, 1980), when.month, when.day, when.hour,
                                                 when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml" and when is not None:
                # Writers stamp "now" into the document properties; the bulletin's time is its publication.
                stamp_text = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                body = CORE_DATES.sub(rb"\g<1>" + stamp_text + rb"\g<2>", body)
            target.writestr(member, body)
    return out.getvalue()


# Building the default template -----------------------------------------------------------------------------


def _set_fonts(rpr_owner, latin: str, east: str) -> None:
    from docx.oxml.ns import qn

    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), latin)
    fonts.set(qn("w:eastAsia"), east)


def _run(paragraph, text: str, size: float, latin: str = BODY_FONT, east: str = BODY_EAST, bold: bool = False,
         colour: str | None = None):
    from docx.shared import Pt, RGBColor

    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    _set_fonts(run._r, latin, east)
    return run


def _paragraph(doc, text: str = "", size: float = 16, align=None, indent: bool = False, **font):
    from docx.shared import Pt

    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    if text:
        _run(p, text, size, **font)
    return p


def _rule(paragraph, colour: str = RED, eighths: int = 12) -> None:
    """A red line under the paragraph (the 版头 separator)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", str(eighths)), ("w:space", "6"), ("w:color", colour)):
        bottom.set(qn(key), value)
    border.append(bottom)
    ppr.append(border)


def _table(doc, headers: list[str], cells: list[str], loop: str, size: float = 10.5) -> None:
    """A table whose middle row repeats for each item of ``loop`` (docxtpl's {%tr for %} rows)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    for n, text in enumerate(headers):
        p = table.rows[0].cells[n].paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(p, text, size, latin=HEAD_FONT, east=HEAD_EAST)
    _run(table.rows[1].cells[0].paragraphs[0], f"{{%tr for v in {loop} %}}", size)
    for n, text in enumerate(cells):
        _run(table.rows[2].cells[n].paragraphs[0], text, size)
    _run(table.rows[3].cells[0].paragraphs[0], "{%tr endfor %}", size)


def _page_number_footer(section) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, "— ", 14, latin="SimSun", east="宋体")
    run = _run(p, "", 14, latin="SimSun", east="宋体")
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _run(p, " —", 14, latin="SimSun", east="宋体")


def _build_default() -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(16)
    normal.font.name = BODY_FONT
    _set_fonts(normal.element, BODY_FONT, BODY_EAST)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = Pt(28)
    centre = WD_ALIGN_PARAGRAPH.CENTER
    names = document.column_names()
    heads = document.headings({t: f"{{{{ labels.{t} }}}}" for t in ("green", "yellow", "red")})

    # 版头: issuing office in red, document number, red rule.
    _paragraph(doc, "{{ issuer }}", 26, centre, latin=TITLE_FONT, east=TITLE_EAST, colour=RED)
    number = _paragraph(doc, "{{ doc_number }}", 16, centre)
    _rule(number)
    _paragraph(doc)
    # 主体
    _paragraph(doc, "{{ title }}", 22, centre, latin=TITLE_FONT, east=TITLE_EAST)
    _paragraph(doc)
    _paragraph(doc, "{{ summary }}", indent=True)

    def heading(text: str) -> None:
        _paragraph(doc, text, 16, latin=HEAD_FONT, east=HEAD_EAST)

    heading(heads["green"])
    _table(doc, [names["position"], names["village"], names["town"], names["composite"]],
           ["{{ v.position }}", "{{ v.name }}", "{{ v.town }}", "{{ v.composite }}"], "green")
    _paragraph(doc, "{%p if more.green %}")
    _paragraph(doc, _("… and %(count)s more: see the annex.") % {"count": "{{ more.green }}"}, 12)
    _paragraph(doc, "{%p endif %}")
    heading(heads["yellow"])
    _paragraph(doc, "{{ yellow_names }}", 14, indent=True)
    _paragraph(doc, "{%p if more.yellow %}")
    _paragraph(doc, _("… and %(count)s more: see the annex.") % {"count": "{{ more.yellow }}"}, 12)
    _paragraph(doc, "{%p endif %}")
    heading(heads["red"])
    _table(doc, [names["position"], names["village"], names["town"], names["composite"], names["streak"],
                 names["escalated"]],
           ["{{ v.position }}", "{{ v.name }}", "{{ v.town }}", "{{ v.composite }}", "{{ v.streak }}",
            "{{ v.escalated }}"], "red")
    _paragraph(doc, "{%p if unranked %}")
    _paragraph(doc, heads["unranked"], 14, latin=HEAD_FONT, east=HEAD_EAST)
    _paragraph(doc, "{% for v in unranked %}{{ v.name }}{% if not loop.last %}、{% endif %}{% endfor %}", 14)
    _paragraph(doc, "{%p endif %}")
    heading(heads["towns"])
    _table(doc, [names["town"], names["ranked"], "{{ labels.green }}", "{{ labels.yellow }}", "{{ labels.red }}",
                 names["escalated"], names["interviews"], names["found"], names["on_time"], names["overdue"],
                 names["rework"]],
           ["{{ v.name }}", "{{ v.ranked }}", "{{ v.green }}", "{{ v.yellow }}", "{{ v.red }}", "{{ v.escalated }}",
            "{{ v.interviews }}", "{{ v.found }}", "{{ v.on_time }}", "{{ v.overdue }}", "{{ v.rework }}"],
           "towns", size=9)
    heading(heads["interviews"])
    _paragraph(doc, _("Escalated villages (red in %(count)s or more rounds in a row): %(names)s.") % {
        "count": "{{ escalation_threshold }}",
        "names": "{% for v in escalated %}{{ v.name }}（{{ v.town }}，{{ v.streak }}）"
                 "{% if not loop.last %}、{% endif %}{% else %}—{% endfor %}"}, indent=True)
    _table(doc, [names["village"], names["town"], names["unit"], names["role"], names["reason"], names["person"]],
           ["{{ v.village }}", "{{ v.town }}", "{{ v.unit }}", "{{ v.role }}", "{{ v.reason }}", "{{ v.person }}"],
           "interviews", size=9)
    heading(heads["problems"])
    _paragraph(doc, _("Problems reported during the week: %(found)s found, %(on_time)s rectified on time (the same "
                      "day unless their category allows more), %(overdue)s overdue, %(rework)s returned for rework, "
                      "%(open)s still open when the week was published.") % {
        key: f"{{{{ problems.{key} }}}}" for key in ("found", "on_time", "overdue", "rework", "open")}, indent=True)
    heading(heads["coverage"])
    _table(doc, [names["source"], names["villages"], names["share"], names["towns"]],
           ["{{ v.source }}", "{{ v.villages }}", "{{ v.share }}", "{{ v.towns }}"], "coverage")
    heading(heads["changes"])
    _paragraph(doc, "{%p if previous_week %}")
    _paragraph(doc, "{{ chart }}", align=centre)
    _paragraph(doc, _("Changes since week %(week)s: %(changes)s.") % {
        "week": "{{ previous_week }}", "changes": "{{ changes_text }}"}, indent=True)
    _table(doc, [names["village"], names["town"], names["from"], names["to"], names["position"]],
           ["{{ v.name }}", "{{ v.town }}", "{{ v.previous }}", "{{ v.tier }}", "{{ v.position }}"], "changed")
    _paragraph(doc, "{%p if more.changed %}")
    _paragraph(doc, _("… and %(count)s more: see the annex.") % {"count": "{{ more.changed }}"}, 12)
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, "{%p else %}")
    _paragraph(doc, _("There is no earlier published week to compare with."), indent=True)
    _paragraph(doc, "{%p endif %}")
    _paragraph(doc, heads["annex"], 14, indent=True)
    _paragraph(doc)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    _paragraph(doc, "{{ issuer }}", 16, right)
    _paragraph(doc, "{{ issue_date }}", 16, right)
    _page_number_footer(section)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by, props.comments = "", "Dudao", "Dudao", ""
    props.created = props.modified = dt.datetime(2026, 1, 1)
    props.revision = 1
    out = io.BytesIO()
    doc.save(out)
    return normalize_zip(out.getvalue())


@lru_cache(maxsize=4)
def _default_for(language: str) -> bytes:
    with translation.override(language):
        return _build_default()


def default_template() -> bytes:
    """The default template in the active language (the same bytes every time)."""
    return _default_for(translation.get_language() or "zh-hans")


# Rendering ----------------------------------------------------------------------------------------------


def _environment(budget: bounds.Budget):
    from jinja2 import StrictUndefined

    return bounds.BoundedEnvironment(budget, undefined=StrictUndefined, autoescape=True)


def render(content: BulletinContent, template: bytes | None = None, summary: bool = False) -> bytes:
    """The .docx of the bulletin with the given template (the default one if None). Raises the template's
    errors as they come, bounds.OverBudget when it works too long or makes too much text; `check` turns them into
    messages."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    budget = bounds.Budget()  # one budget for every part of the document (body, headers, footers, properties)
    tpl = DocxTemplate(io.BytesIO(template if template is not None else default_template()))
    values = bounds.counted(document.context(content, summary=summary), budget)
    values["chart"] = InlineImage(tpl, io.BytesIO(content.chart_png), width=Mm(150)) if content.chart_png else ""
    values["escalation_threshold"] = str(content.escalation_threshold)
    tpl.render(values, jinja_env=_environment(budget), autoescape=True)
    published = content.published_at.replace(tzinfo=None)
    props = tpl.docx.core_properties
    props.created = props.modified = published
    props.last_modified_by = "Dudao"
    out = io.BytesIO()
    tpl.save(out)
    return normalize_zip(out.getvalue(), content.published_at)


def _where(exc) -> str:
    """The template text around a Jinja error, tags stripped (docxtpl collects the lines)."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in getattr(exc, "docx_context", None) or []]
    text = " … ".join(line for line in lines if line)
    return text[:200]


def check_document(data: bytes) -> None:
    """Refused unless the bytes are a Word document of an acceptable size."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise Refused("template_too_large", _("The template is larger than %(max)s MB.")
                      % {"max": MAX_TEMPLATE_BYTES // 2**20})
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise Refused("template_not_docx", _("The file is not a Word document (.docx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise Refused("template_not_docx", _("The file is not a Word document (.docx)."))
            from docx import Document

            Document(io.BytesIO(data))
    except Refused:
        raise
    except Exception:  # noqa: BLE001 - python-docx raises many kinds for a file that is not a document
        raise Refused("template_not_docx", _("The file is not a Word document (.docx).")) from None


def refusal(exc: Exception) -> Refused:
    """The Refused that tells people why a template did not render (in the active language): the kind of error
    and, when Jinja says, the line and the text around the tag."""
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError, TemplateError

    if isinstance(exc, TemplateSyntaxError):
        where = _where(exc)
        message = _("The template has a syntax error: %(error)s (line %(line)s of the document's text%(where)s).") % {
            "error": exc.message, "line": exc.lineno,
            "where": _(", near “%(text)s”") % {"text": where} if where else ""}
        return Refused("template_syntax", message)
    if isinstance(exc, UndefinedError):
        where = _where(exc)
        message = _("The template uses an unknown variable: %(error)s%(where)s.") % {
            "error": exc.message, "where": _(", near “%(text)s”") % {"text": where} if where else ""}
        return Refused("template_unknown_variable", message)
    if isinstance(exc, SecurityError):
        return Refused("template_unsafe", _("The template does something a template may not: %(error)s.")
                       % {"error": exc})
    if isinstance(exc, MemoryError):
        exc = bounds.OverBudget("memory", bounds.MAX_MEMORY_MB)
    if isinstance(exc, bounds.OverBudget):
        return over_budget(exc)
    if isinstance(exc, TemplateError):
        return Refused("template_error", _("The template cannot be rendered: %(error)s.") % {"error": exc})
    return Refused("template_broken", _("The template cannot be rendered: %(error)s.")
                   % {"error": f"{type(exc).__name__}: {exc}"[:300]})


def render_checked(content: BulletinContent, template: bytes | None, summary: bool = False,
                   language: str | None = None) -> bytes:
    """`render`, with an office template's errors (any of them: a template that rendered one week may fail on
    another, on a path it did not take then) raised as the Refused of `refusal`. The document is written in
    ``language`` (the active one if None) while the message stays in the caller's. The default template's errors
    are ours and propagate as they are."""
    if template is None:
        with translation.override(language) if language else contextlib.nullcontext():
            return render(content, template, summary=summary)
    # An office template is a program of someone else's: it runs in a child process with its own limits, so that
    # neither the web server's process nor the worker's pays for it (bounds.isolated).
    try:
        return bounds.isolated(_render_refusing, content, template, summary, language)
    except bounds.OverBudget as exc:
        raise over_budget(exc) from None


def _render_refusing(content: BulletinContent, template: bytes, summary: bool, language: str | None) -> bytes:
    try:
        with translation.override(language) if language else contextlib.nullcontext():
            return render(content, template, summary=summary)
    except Exception as exc:  # noqa: BLE001 - a damaged document can fail anywhere in docxtpl or lxml
        raise refusal(exc) from None


def over_budget(exc: bounds.OverBudget) -> Refused:
    """The Refused of a template that went past one of the bounds, naming the bound."""
    if exc.kind == "steps":
        return Refused("template_too_much_work", _(
            "The template does too much work: more than %(max)s loop steps, calls and values; loops inside loops "
            "multiply.") % {"max": f"{int(exc.limit):,}"})
    if exc.kind == "output":
        return Refused("template_too_much_text", _(
            "The template makes too much text: more than %(max)s characters in one place.")
            % {"max": f"{int(exc.limit):,}"})
    if exc.kind == "time":
        return Refused("template_too_slow", _("The template takes longer than %(max)s seconds to render.")
                       % {"max": f"{exc.limit:g}"})
    return Refused("template_too_much_memory", _("The template needs more than %(max)s MB of memory to render.")
                   % {"max": f"{int(exc.limit)}"})


def check(data: bytes, content: BulletinContent, language: str | None = None) -> bytes:
    """Render the bulletin with an uploaded template; the rendered .docx, or Refused with a message that names
    the problem (and where, when Jinja says)."""
    check_document(data)
    return render_checked(content, data, language=language)
