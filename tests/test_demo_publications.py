"""The demo ships the seed article's three good practices and the initiative letter plus a public notice, published
through the practices' and notices' services and shown on the portal, each labelled as demo data (issue 14)."""

import io

from django.test import Client
from docx import Document

from dudao.audit.models import AuditEvent
from dudao.demo import publications
from dudao.notices import documents
from dudao.notices.models import Notice
from dudao.practices.models import Practice

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_portal_shows_the_three_practices_of_the_article_labelled_synthetic(db):
    practices = list(Practice.objects.order_by("pk").values_list("town__name", "title", "status", "synthetic"))
    assert practices == [(town, title, "published", True) for town, title, _text in publications.PRACTICES]
    body = Client(**EN).get("/public/practices/").content.decode()
    for _town, title, _text in publications.PRACTICES:
        assert title in body
    assert body.count("synthetic example") == 3
    first = Practice.objects.order_by("pk").first()
    page = Client(**EN).get(f"/public/practices/{first.pk}/").content.decode()
    assert "两个发动、四个修整、六个拆除、八个清理" in page
    assert AuditEvent.objects.filter(action="practice.publish").count() == 3


def test_the_portal_shows_the_initiative_letter_and_a_notice_with_their_word_files(db):
    notices = list(Notice.objects.order_by("date").values_list("title", "date", "status", "file_kind"))
    assert notices == [(publications.LETTER_TITLE, publications.LETTER_DATE, "published", "docx"),
                       (publications.NOTICE_TITLE, publications.NOTICE_DATE, "published", "docx")]
    client = Client(**EN)
    body = client.get("/public/notices/").content.decode()
    assert (publications.LETTER_TITLE in body, publications.NOTICE_TITLE in body, "2026-03-02" in body) == (
        True, True, True)
    assert body.count(publications.SYNTHETIC_NOTE) == 2
    letter = Notice.objects.get(title=publications.LETTER_TITLE)
    response = client.get(f"/public/notices/{letter.pk}/file")
    data = b"".join(response.streaming_content)
    assert (response.status_code, response["Content-Type"], documents.kind_of(data)) == (
        200, documents.CONTENT_TYPES["docx"], "docx")
    paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    assert paragraphs[:2] == [publications.LETTER_TITLE, publications.SYNTHETIC_NOTE]
