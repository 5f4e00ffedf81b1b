"""The shared template pieces (the pager, the status chip) and the rule that page styles live in static sheets."""

import re
from pathlib import Path

from django.core.paginator import Paginator
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from dudao.core.paging import paginate

SRC = Path(__file__).resolve().parents[1] / "src" / "dudao"


def _pager(url: str, **context) -> str:
    request = RequestFactory().get(url)
    with translation.override("en"):
        return render_to_string("core/_pager.html", {"page": paginate(request, range(120), 50), **context},
                                request=request)


def _links(html: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for href, rel in re.findall(r'href="([^"]*)" rel="(prev|next)"', html)}


def test_pager_keeps_the_filters_and_changes_only_the_page():
    html = _pager("/problems/?tab=all&page=2&town=620423100")
    assert _links(html) == {"prev": "?tab=all&page=1&town=620423100", "next": "?tab=all&page=3&town=620423100"}
    assert "<span>page 2 of 3</span>" in html
    assert 'aria-label="pages"' in html


def test_pager_on_the_first_and_the_last_page():
    assert _links(_pager("/notifications/")) == {"next": "?page=2"}
    assert _links(_pager("/notifications/?page=99")) == {"prev": "?page=2"}  # past the end: the last page
    assert _links(_pager("/notifications/?page=x")) == {"next": "?page=2"}  # malformed: the first page


def test_pager_with_the_views_own_filters_and_summary():
    html = _pager("/inspections/?week=nonsense&page=2", page_query=QueryDict("week=2026-W49&town=620423100"),
                  page_summary="2 / 3")
    assert _links(html) == {"prev": "?week=2026-W49&town=620423100&page=1",
                            "next": "?week=2026-W49&town=620423100&page=3"}
    assert "<span>2 / 3</span>" in html


def test_no_pager_for_one_page():
    request = RequestFactory().get("/people/")
    page = Paginator(range(3), 50).get_page(None)
    assert render_to_string("core/_pager.html", {"page": page}, request=request).strip() == ""


def test_status_chip():
    html = render_to_string("core/_status.html", {"status": "closed", "label": "closed <b>"})
    assert html.strip() == '<span class="badge st-closed">closed &lt;b&gt;</span>'


def test_no_template_carries_a_style_block():
    """Page styles are static sheets under static/dudao/ (print CSS too: see dudao.core.pdf.write_pdf)."""
    carrying = [str(path.relative_to(SRC)) for path in SRC.glob("*/templates/**/*.html")
                if "<style" in path.read_text(encoding="utf-8")]
    assert carrying == []
