"""What a notice's attached file may be, judged by its content, not its name. Pure: no Django."""

import io
import zipfile

PDF = "pdf"
DOCX = "docx"
CONTENT_TYPES = {PDF: "application/pdf",
                 DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def kind_of(data: bytes) -> str | None:
    """``pdf`` for a PDF (its magic bytes), ``docx`` for a Word document (a zip holding word/document.xml), else
    None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return DOCX if "word/document.xml" in archive.namelist() else None
        except zipfile.BadZipFile:
            return None
    return None
