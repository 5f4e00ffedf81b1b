"""The one door to WeasyPrint (the bulletin's and the village extracts' PDFs)."""

from typing import Any


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
