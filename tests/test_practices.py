"""Good practices (好经验好做法): a township writes and submits a write-up, the office publishes or returns it, and
withdraws a published one; the portal shows only published ones at /public/practices/, with the township and never
the author. Every transition audit-logged; every refusal leaves no trace."""

import io

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.practices import lifecycle, services
from dudao.practices.models import Practice, Status

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
AUTHOR_NAME = "Qiuzhenxiang"  # distinctive: searched for on the public side


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 160, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg") -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


@pytest.fixture(autouse=True)
def _without_the_demos(db):
    """These tests start with no practice: the demo's (dudao.demo.publications) are set aside."""
    Practice.objects.all().delete()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def town(users):
    return users["town_staff"].scope_unit


@pytest.fixture
def other_town(town, db):
    return services.towns_of(campaign_get()).exclude(pk=town.pk).first()


@pytest.fixture
def author(users):
    user = users["town_staff"]
    user.first_name, user.last_name = AUTHOR_NAME, "Author"
    user.save(update_fields=["first_name", "last_name"])
    return user


def write(actor, town, title="The 2468 way", text="Every household sweeps on 2, 4, 6 and 8.", photo=None):
    return services.practice_save(actor=actor, campaign=campaign_get(), town=town, title=title, text=text,
                                  photo=photo)


@pytest.fixture
def draft(author, town):
    return write(author, town)


@pytest.fixture
def submitted(author, draft):
    return services.practice_submit(actor=author, practice=draft)


@pytest.fixture
def published(users, submitted):
    return services.practice_publish(actor=users["office"], practice=submitted)


def actions(practice) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="practice", object_id=str(practice.pk))
                .order_by("seq").values_list("action", flat=True))


# The lifecycle (pure)


def test_the_table():
    assert lifecycle.next_status("draft", "submit") == "submitted"
    assert lifecycle.next_status("returned", "submit") == "submitted"
    assert lifecycle.next_status("submitted", "publish") == "published"
    assert lifecycle.next_status("submitted", "return") == "returned"
    assert lifecycle.next_status("published", "withdraw") == "withdrawn"
    for status, name in [("draft", "publish"), ("published", "return"), ("withdrawn", "publish"),
                         ("submitted", "withdraw"), ("published", "submit"), ("draft", "delete")]:
        with pytest.raises(lifecycle.TransitionRefused):
            lifecycle.next_status(status, name)
    assert lifecycle.TABLE.allowed("submitted", ["town"]) == []
    assert lifecycle.TABLE.allowed("submitted", ["office"]) == ["publish", "return"]


# The services


def test_the_whole_way_is_audit_logged(users, author, town):
    photo_before = set(default_storage.listdir("photos")[0]) if default_storage.exists("photos") else set()
    practice = write(author, town, photo=jpeg())
    assert (practice.status, practice.town, practice.author, practice.width) == (Status.DRAFT, town, author, 320)
    assert default_storage.exists(practice.display_name) and default_storage.exists(practice.thumb_name)
    assert photo_before <= set(default_storage.listdir("photos")[0])
    practice = services.practice_submit(actor=author, practice=practice)
    practice = services.practice_publish(actor=users["office"], practice=practice)
    assert (practice.status, practice.decided_by) == (Status.PUBLISHED, users["office"])
    practice = services.practice_withdraw(actor=users["office"], practice=practice, reason="Outdated.")
    assert (practice.status, practice.reason) == (Status.WITHDRAWN, "Outdated.")
    assert actions(practice) == ["practice.create", "practice.submit", "practice.publish", "practice.withdraw"]
    event = AuditEvent.objects.get(action="practice.withdraw", object_id=str(practice.pk))
    assert (event.before, event.after) == ({"status": "published"}, {"status": "withdrawn", "reason": "Outdated."})


def test_returned_with_a_reason_then_changed_and_submitted_again(users, author, submitted):
    office = users["office"]
    with pytest.raises(Refused) as blank:
        services.practice_return(actor=office, practice=submitted, reason="  ")
    assert blank.value.code == "reason_required"
    returned = services.practice_return(actor=office, practice=submitted, reason="Add the figures.")
    assert (returned.status, returned.reason) == (Status.RETURNED, "Add the figures.")
    changed = services.practice_save(actor=author, campaign=campaign_get(), town=returned.town, title="2468",
                                     text="With figures: 120 households.", practice=returned)
    assert (changed.title, changed.status) == ("2468", Status.RETURNED)
    assert services.practice_submit(actor=author, practice=changed).status == Status.SUBMITTED
    assert actions(changed) == ["practice.create", "practice.submit", "practice.return", "practice.edit",
                                "practice.submit"]


@pytest.mark.parametrize("role", ["leader", "inspector", "village_staff"])
def test_only_the_township_and_the_office_write(users, town, role):
    with pytest.raises(PermissionDenied):
        write(users[role], town)
    assert Practice.objects.count() == 0


def test_the_office_writes_for_any_township(users, other_town):
    assert write(users["office"], other_town).town == other_town


def test_a_township_writes_only_its_own(author, other_town, users):
    with pytest.raises(PermissionDenied):
        write(author, other_town)
    theirs = write(users["office"], other_town)
    with pytest.raises(PermissionDenied):
        services.practice_submit(actor=author, practice=theirs)
    with pytest.raises(PermissionDenied):
        services.practice_save(actor=author, campaign=campaign_get(), town=other_town, title="x", text="y",
                               practice=theirs)
    assert (Practice.objects.get(pk=theirs.pk).status, actions(theirs)) == (Status.DRAFT, ["practice.create"])


def test_only_the_office_decides(author, submitted):
    for decide, kwargs in [(services.practice_publish, {}), (services.practice_return, {"reason": "no"})]:
        with pytest.raises(PermissionDenied):
            decide(actor=author, practice=submitted, **kwargs)
    assert (Practice.objects.get(pk=submitted.pk).status, actions(submitted)) == (
        Status.SUBMITTED, ["practice.create", "practice.submit"])


def test_illegal_moves_are_refused_and_leave_no_trace(users, author, draft, town):
    office = users["office"]
    with pytest.raises(Refused) as early:
        services.practice_publish(actor=office, practice=draft)
    assert early.value.code == "bad_transition"
    with pytest.raises(Refused) as not_published:
        services.practice_withdraw(actor=office, practice=draft, reason="x")
    assert not_published.value.code == "bad_transition"
    submitted = services.practice_submit(actor=author, practice=draft)
    with pytest.raises(Refused) as again:
        services.practice_submit(actor=author, practice=submitted)
    assert again.value.code == "bad_transition"
    with pytest.raises(Refused) as frozen:
        services.practice_save(actor=author, campaign=campaign_get(), town=town, title="x", text="y",
                               practice=submitted)
    assert frozen.value.code == "not_editable"
    assert actions(draft) == ["practice.create", "practice.submit"]


def test_bad_input_is_refused(author, town):
    cases = [({"title": " "}, "title_required"), ({"title": "x" * 101}, "title_too_long"),
             ({"text": ""}, "text_required"), ({"text": "x" * 5001}, "text_too_long"),
             ({"photo": b"%PDF-1.4 not an image"}, "photo_not_image")]
    for change, code in cases:
        with pytest.raises(Refused) as refused:
            write(author, town, **change)
        assert refused.value.code == code
    assert Practice.objects.count() == 0


# The staff pages


@pytest.mark.parametrize(("role", "status"), [
    ("county_admin", 200), ("office", 200), ("leader", 403), ("inspector", 403), ("town_staff", 200),
    ("village_staff", 403),
])
def test_the_staff_pages_by_role(client_for, users, role, status):
    client = client_for(users[role])
    assert client.get("/practices/").status_code == status
    assert client.get("/practices/new/").status_code == status


def test_anonymous_visitors_are_asked_to_sign_in(draft):
    for url in ("/practices/", f"/practices/{draft.pk}/"):
        response = Client().get(url)
        assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")


def test_another_townships_practice_is_not_found(client_for, users, other_town):
    theirs = write(users["office"], other_town, photo=jpeg())
    town = client_for(users["town_staff"])
    assert town.get(f"/practices/{theirs.pk}/").status_code == 404
    assert town.get(f"/practices/{theirs.pk}/thumb.jpg").status_code == 404
    assert town.post(f"/practices/{theirs.pk}/action/", {"action": "submit"}).status_code == 404
    assert town.post(f"/practices/{theirs.pk}/", {"title": "x", "text": "y"}).status_code == 404
    assert town.get("/practices/").content.decode().count('data-pk="') == 0
    assert actions(theirs) == ["practice.create"]


def test_a_township_writes_submits_and_the_office_publishes_through_the_pages(client_for, users, town):
    town_client = client_for(users["town_staff"])
    town_client.defaults.update(EN)
    response = town_client.post("/practices/new/", {"title": "Cleaners as supervisors", "text": "They watch too.",
                                                    "photo": upload(jpeg())})
    practice = Practice.objects.get()
    assert (response.status_code, response["Location"]) == (303, f"/practices/{practice.pk}/")
    assert (practice.town, practice.width) == (town, 320)
    assert town_client.get(f"/practices/{practice.pk}/thumb.jpg").status_code == 200
    assert town_client.post(f"/practices/{practice.pk}/action/", {"action": "publish"}).status_code == 403
    assert Practice.objects.get().status == Status.DRAFT
    assert town_client.post(f"/practices/{practice.pk}/action/", {"action": "submit"}).status_code == 303
    office = client_for(users["office"])
    assert f'data-pk="{practice.pk}"' in office.get("/practices/").content.decode()
    assert office.post(f"/practices/{practice.pk}/action/", {"action": "withdraw", "reason": "x"}).status_code == 303
    assert Practice.objects.get().status == Status.SUBMITTED  # refused: shown as a message, nothing changed
    assert office.post(f"/practices/{practice.pk}/action/", {"action": "publish"}).status_code == 303
    assert office.post(f"/practices/{practice.pk}/action/", {"action": "delete"}).status_code == 400
    assert Practice.objects.get().status == Status.PUBLISHED
    assert actions(practice) == ["practice.create", "practice.submit", "practice.publish"]


def test_form_refusals_are_shown(client_for, users):
    town_client = client_for(users["town_staff"])
    town_client.defaults.update(EN)
    response = town_client.post("/practices/new/", {"title": "", "text": "x"})
    assert response.status_code == 400
    assert '<p class="error" id="error-title">Give the write-up a title.</p>' in response.content.decode()
    bad = town_client.post("/practices/new/", {"title": "t", "text": "x", "photo": upload(b"GIF89a nonsense")})
    assert (bad.status_code, Practice.objects.count()) == (400, 0)
    assert 'id="error-photo"' in bad.content.decode()


# The public side


def test_only_published_practices_are_public(users, author, town, published, other_town):
    office = users["office"]
    hidden = {
        "draft": write(author, town, title="Draft idea"),
        "submitted": services.practice_submit(actor=author, practice=write(author, town, title="Waiting idea")),
    }
    returned = services.practice_submit(actor=author, practice=write(author, town, title="Returned idea"))
    hidden["returned"] = services.practice_return(actor=office, practice=returned, reason="no")
    public = Client(**EN)
    listing = public.get("/public/practices/")
    body = listing.content.decode()
    assert listing.status_code == 200
    assert f'<a href="/public/practices/{published.pk}/">The 2468 way</a> · {town.name}' in body
    page = public.get(f"/public/practices/{published.pk}/")
    assert page.status_code == 200
    assert town.name in page.content.decode()
    for practice in hidden.values():
        assert practice.title not in body
        assert public.get(f"/public/practices/{practice.pk}/").status_code == 404
    assert public.get("/public/practices/999999/").status_code == 404
    for response in (listing, page):
        text = response.content.decode()
        assert AUTHOR_NAME not in text and author.username not in text
        assert "Set-Cookie" not in str(response.cookies) and response.cookies == {}
    assert listing["Cache-Control"] == "public, max-age=300"


def test_a_withdrawn_practice_leaves_the_portal(users, published):
    public = Client(**EN)
    assert public.get(f"/public/practices/{published.pk}/").status_code == 200
    assert "The 2468 way" in public.get("/public/practices/").content.decode()
    services.practice_withdraw(actor=users["office"], practice=published, reason="Outdated.")
    assert public.get(f"/public/practices/{published.pk}/").status_code == 404
    assert "The 2468 way" not in public.get("/public/practices/").content.decode()


def test_the_public_photo_only_while_published(users, author, town):
    practice = services.practice_submit(actor=author, practice=write(author, town, photo=jpeg()))
    public = Client(**EN)
    url = f"/public/practices/{practice.pk}/photo.jpg"
    assert public.get(url).status_code == 404
    services.practice_publish(actor=users["office"], practice=practice)
    shown = public.get(url)
    assert (shown.status_code, shown["Content-Type"]) == (200, "image/jpeg")
    services.practice_withdraw(actor=users["office"], practice=practice, reason="x")
    assert public.get(url).status_code == 404
