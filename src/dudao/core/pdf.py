"""The one door to WeasyPrint (the bulletin's and the village extracts' PDFs)."""

from pathlib import Path
from typing import Any

# The print stylesheets are package files under static/ (dudao/bulletins/*-print.css), read from there: WeasyPrint
# fetches nothing over the network and the web server plays no part.
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def weasyprint_html() -> Any:
    """WeasyPrint's ``HTML`` class, imported on first use (it loads Pango and HarfBuzz).

    Importing WeasyPrint sets Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES`` for the whole process, which would make
    every later photo upload accept a file cut short. Dudao refuses those (dudao.photos.imaging), so the flag is
    put back as it was; the PDFs embed only images Dudao drew itself."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML


def write_pdf(html: str, stylesheet: str, css: str = "") -> bytes:
    """The PDF of a self-contained HTML page (no base URL: it refers to nothing outside itself) with its print
    stylesheet, a path under the package's static/ such as ``dudao/bulletins/bulletin-print.css``, and ``css``
    made for this document (the tiers' colours) after it. The same HTML and CSS give the same bytes, as they did
    when the CSS was a <style> in the page."""
    HTML = weasyprint_html()
    from weasyprint import CSS  # already imported by weasyprint_html(): the Pillow flag stays as it was

    sheets = [CSS(filename=str(STATIC_DIR / stylesheet))] + ([CSS(string=css)] if css else [])
    return HTML(string=html, base_url=None).write_pdf(stylesheets=sheets)
