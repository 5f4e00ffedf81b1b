"""Public notices and the initiative letter (倡议书): the office publishes a notice with a date, a text and an
optional PDF or Word file (checked by content), listed at /public/notices/ with the file at a stable URL;
withdrawing takes both off the portal. Office only; audit-logged; refusals leave no trace."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.test import Client

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.notices import documents, services
from dudao.notices.models import Notice, Status

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
DAY = dt.date(2026, 3, 2)


def docx(entry: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, "<w:document/>")
    return buffer.getvalue()


def upload(data: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


@pytest.fixture(autouse=True)
def _without_the_demos(db):
    """These tests start with no notice: the demo's (dudao.demo.publications) are set aside."""
    Notice.objects.all().delete()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def publish(actor, data=PDF, title="倡议书 to every household"):
    return services.notice_publish(actor=actor, campaign=campaign_get(), title=title, date=DAY,
                                   text="Keep the lanes clean.", data=data)


def test_files_are_judged_by_content():
    assert documents.kind_of(PDF) == "pdf"
    assert documents.kind_of(docx()) == "docx"
    assert documents.kind_of(docx("xl/workbook.xml")) is None
    assert documents.kind_of(b"PK\x03\x04 broken") is None
    assert documents.kind_of(b"MZ\x90\x00") is None


def test_publish_and_withdraw_are_audit_logged(users):
    office = users["office"]
    notice = publish(office, docx())
    assert (notice.status, notice.file_kind, notice.file_bytes) == (Status.PUBLISHED, "docx", len(docx()))
    assert default_storage.open(notice.file_name).read() == docx()
    notice = services.notice_withdraw(actor=office, notice=notice, reason="Replaced.")
    assert (notice.status, notice.reason) == (Status.WITHDRAWN, "Replaced.")
    events = AuditEvent.objects.filter(object_type="notice", object_id=str(notice.pk)).order_by("seq")
    assert [(e.action, e.after["status"]) for e in events] == [("notice.publish", "published"),
                                                               ("notice.withdraw", "withdrawn")]
    with pytest.raises(Refused) as again:
        services.notice_withdraw(actor=office, notice=notice, reason="again")
    assert again.value.code == "bad_transition"


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff", "village_staff"])
def test_only_the_office_publishes_and_withdraws(users, role):
    with pytest.raises(PermissionDenied):
        publish(users[role])
    notice = publish(users["office"])
    with pytest.raises(PermissionDenied):
        services.notice_withdraw(actor=users[role], notice=notice, reason="x")
    assert (Notice.objects.get().status,
            AuditEvent.objects.filter(object_type="notice", object_id=str(notice.pk)).count()) == (Status.PUBLISHED, 1)


def stored() -> set[str]:
    return set(default_storage.listdir("notices")[1]) if default_storage.exists("notices") else set()


@pytest.mark.parametrize(("data", "code"), [
    (b"GIF89a not a document", "file_kind"), (docx("xl/workbook.xml"), "file_kind"),
    (b"%PDF-" + b"0" * (services.FILE_MAX_MB * services.MIB), "file_too_large"),
])
def test_bad_files_are_refused_and_leave_nothing(users, data, code):
    before = stored()
    with pytest.raises(Refused) as refused:
        publish(users["office"], data)
    assert refused.value.code == code
    assert Notice.objects.count() == 0
    assert stored() == before


def test_a_title_is_required(users):
    with pytest.raises(Refused) as refused:
        publish(users["office"], title=" ")
    assert refused.value.code == "title_required"


@pytest.mark.parametrize(("role", "status"), [
    ("county_admin", 200), ("office", 200), ("leader", 403), ("inspector", 403), ("town_staff", 403),
    ("village_staff", 403),
])
def test_the_office_page_by_role(client_for, users, role, status):
    notice = publish(users["office"])
    client = client_for(users[role])
    assert client.get("/notices/").status_code == status
    assert client.get(f"/notices/{notice.pk}/file").status_code == status
    posted = client.post("/notices/", {"title": "t", "date": "2026-03-02", "text": "", "file": upload(PDF, "a.pdf")})
    assert posted.status_code == (303 if status == 200 else 403)


def test_the_office_publishes_through_the_page(client_for, users):
    office = client_for(users["office"])
    office.defaults.update(EN)
    bad = office.post("/notices/", {"title": "t", "date": "2026-03-02", "file": upload(b"<html>", "a.pdf")})
    assert bad.status_code == 400
    assert '<p class="error" id="notice-error">Attach a PDF or a Word (.docx) document.</p>' in bad.content.decode()
    assert office.post("/notices/", {"title": "t", "date": "March", "text": ""}).status_code == 400
    assert Notice.objects.count() == 0
    assert office.post("/notices/", {"title": "Letter", "date": "2026-03-02", "text": "",
                                     "file": upload(docx(), "letter.docx")}).status_code == 303
    notice = Notice.objects.get()
    assert office.post(f"/notices/{notice.pk}/withdraw/", {"reason": "Old."}).status_code == 303
    assert Notice.objects.get().status == Status.WITHDRAWN


def test_the_public_sees_only_published_notices(users):
    office = users["office"]
    shown = publish(office, title="Initiative letter")
    gone = services.notice_withdraw(actor=office, notice=publish(office, title="Old notice"), reason="Old.")
    public = Client(**EN)
    page = public.get("/public/notices/")
    body = page.content.decode()
    assert (page.status_code, page["Cache-Control"], page.cookies) == (200, "public, max-age=300", {})
    assert "<h2>Initiative letter</h2>" in body and "Old notice" not in body
    assert office.username not in body
    download = public.get(f"/public/notices/{shown.pk}/file")
    assert (download.status_code, download["Content-Type"]) == (200, "application/pdf")
    assert download["Content-Disposition"] == f'attachment; filename="notice-{shown.pk}.pdf"'
    assert b"".join(download.streaming_content) == PDF
    assert public.get(f"/public/notices/{gone.pk}/file").status_code == 404
    assert public.get("/public/notices/999999/file").status_code == 404
    services.notice_withdraw(actor=office, notice=shown, reason="Done.")
    assert public.get(f"/public/notices/{shown.pk}/file").status_code == 404
    assert "Initiative letter" not in public.get("/public/notices/").content.decode()
