"""The PDF bulletin: WeasyPrint over a Django HTML template with print CSS (A4, GB/T 9704 margins), fonts Noto
Serif/Sans CJK SC embedded as subsets. The creation and modification dates are the publication time, so the same
content gives the same bytes."""

import base64
import logging

from django.template.loader import render_to_string
from django.utils import translation

from dudao.bulletins import document
from dudao.bulletins.content import BulletinContent
from dudao.core.pdf import write_pdf


def html(content: BulletinContent, summary: bool = False) -> str:
    values = document.context(content, summary=summary)
    values.update({
        "headings": document.headings(values["labels"]), "names": document.column_names(),
        "escalation_threshold": content.escalation_threshold,
        "chart_uri": "data:image/png;base64," + base64.b64encode(content.chart_png).decode("ascii")
        if content.chart_png else "",
        "created": content.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "language": translation.get_language() or "zh-hans",
    })
    return render_to_string("bulletins/document.html", values)


def render(content: BulletinContent, summary: bool = False) -> bytes:
    # WeasyPrint warns about every CSS property it ignores; the bulletin's are known.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return write_pdf(html(content, summary=summary), "dudao/bulletins/bulletin-print.css")
