"""Campaign documents (issue 15 item 9): versioned files addressed to roles; a meeting decision becomes an action."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.plan import services
from dudao.plan.models import Action, Department, Document, DocumentVersion, Task

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def plan_document(users, db):
    return services.document_add(actor=users["office"], campaign=campaign_get(), kind="plan",
                                 title="景泰县城乡环境专项整治实施方案", audience=["town_staff"], data=PDF)


def test_a_document_is_versioned_and_audit_logged(users, plan_document):
    services.document_version_add(actor=users["office"], document=plan_document, data=PDF + b"%v2", note="修订")
    assert list(plan_document.versions.values_list("number", "note")) == [(2, "修订"), (1, "")]
    assert AuditEvent.objects.filter(object_type="document", object_id=str(plan_document.pk)).count() == 3


def test_only_pdf_or_word_files_and_nothing_is_written_otherwise(users):
    before = (Document.objects.count(), DocumentVersion.objects.count())
    with pytest.raises(Refused) as refused:
        services.document_add(actor=users["office"], campaign=campaign_get(), kind="notice", title="通知",
                              audience=["leader"], data=b"MZ not a document")
    assert refused.value.code == "file_kind"
    assert (Document.objects.count(), DocumentVersion.objects.count()) == before


@pytest.mark.parametrize(("audience", "code"), [([], "audience"), (["village_staff"], "audience"),
                                                (["nobody"], "audience")])
def test_the_audience_must_be_roles_that_read_the_plan(users, audience, code):
    with pytest.raises(Refused) as refused:
        services.document_add(actor=users["office"], campaign=campaign_get(), kind="notice", title="通知",
                              audience=audience, data=PDF)
    assert refused.value.code == code


def test_only_the_office_adds_documents(users):
    with pytest.raises(PermissionDenied):
        services.document_add(actor=users["leader"], campaign=campaign_get(), kind="notice", title="通知",
                              audience=["leader"], data=PDF)


@pytest.mark.parametrize(("role", "status"), [("county_admin", 200), ("office", 200), ("leader", 404),
                                              ("inspector", 404), ("town_staff", 200), ("village_staff", 403)])
def test_each_document_is_visible_to_the_roles_it_is_addressed_to(client_for, users, plan_document, role, status):
    client = client_for(users[role])
    assert client.get(f"/plan/documents/{plan_document.pk}/").status_code == status
    download = client.get(f"/plan/documents/{plan_document.pk}/1/")
    assert download.status_code == status
    if status == 200:
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"
        assert plan_document.title in client.get("/plan/documents/").content.decode()
    elif role != "village_staff":
        assert plan_document.title not in client.get("/plan/documents/").content.decode()


def test_the_office_uploads_through_the_page(client_for, users):
    office = client_for(users["office"])
    response = office.post("/plan/documents/", {
        "kind": "battle_map", "title": "18项整治行动作战图", "audience": ["leader", "town_staff"],
        "file": SimpleUploadedFile("map.pdf", PDF, "application/pdf")})
    document = Document.objects.get(title="18项整治行动作战图")
    assert response.status_code == 303 and document.audience == ["leader", "town_staff"]
    refused = client_for(users["town_staff"]).post(f"/plan/documents/{document.pk}/", {
        "file": SimpleUploadedFile("map.pdf", PDF, "application/pdf")})
    assert refused.status_code == 403 and document.versions.count() == 1


def test_a_decision_becomes_an_action_of_the_battle_map(client_for, users):
    decision = services.document_add(actor=users["office"], campaign=campaign_get(), kind="decision",
                                     title="第三次领导小组会议决定：集中清理河道", audience=["town_staff"], data=PDF)
    lead = Department.objects.get(name="水务局")
    start = dt.date.today()
    response = client_for(users["office"]).post(f"/plan/documents/{decision.pk}/", {
        "act": "action", "no": "60", "name": "集中清理河道", "lead": str(lead.pk), "start": start.isoformat(),
        "deadline": (start + dt.timedelta(days=30)).isoformat()})
    assert response.status_code == 303 and response["Location"] == "/plan/actions/60/"
    action = Action.objects.get(no=60)
    assert (action.source_document, action.lead, action.all_towns) == (decision, lead, True)
    assert Task.objects.filter(action=action).count() == services.towns_of(campaign_get()).count()


def test_only_a_decision_becomes_an_action_and_the_number_must_be_free(users, plan_document):
    lead = Department.objects.get(name="水务局")
    today = dt.date.today()
    with pytest.raises(Refused) as refused:
        services.action_from_decision(actor=users["office"], document=plan_document, no=61, name="x", lead=lead,
                                      start=today, deadline=today)
    assert refused.value.code == "not_a_decision"
    decision = services.document_add(actor=users["office"], campaign=campaign_get(), kind="decision", title="决定",
                                     audience=["leader"], data=PDF)
    with pytest.raises(Refused) as refused:
        services.action_from_decision(actor=users["office"], document=decision, no=1, name="x", lead=lead,
                                      start=today, deadline=today)
    assert refused.value.code == "action_no_taken"
    with pytest.raises(Refused) as refused:
        services.action_from_decision(actor=users["office"], document=decision, no=62, name="x", lead=lead,
                                      start=today, deadline=today - dt.timedelta(days=1))
    assert refused.value.code == "deadline_before_start"
