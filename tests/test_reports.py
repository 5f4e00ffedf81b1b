"""Public reports (随手拍): the form at /public/report/ (anonymous; every refusal shown on the form), the status page
at /public/report/<code>/ (never the contact; unknown codes 404, guessing limited per client), and the office's
triage at /reports/ (accept into the problem loop with the photo, decline with a reason; office only)."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from PIL import Image

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.photos.models import Photo
from dudao.problems.models import Category, PhotoKind, Problem
from dudao.reports import lifecycle, services
from dudao.reports.models import LookupMiss, Report, Status

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CONTACT = "13912345678"


def jpeg(gps: tuple[float, float] | None = None, size=(400, 300)) -> bytes:
    image = Image.new("RGB", size, (30, 90, 200))
    exif = Image.Exif()
    if gps is not None:
        exif.get_ifd(0x8825).update({1: "N", 2: (gps[0], 0.0, 0.0), 3: "E", 4: (gps[1], 0.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg") -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def stored_files(folder: str = "photos") -> set[str]:
    folders, files = default_storage.listdir(folder)
    return {f"{folder}/{name}" for name in files} | {
        name for sub in folders for name in stored_files(f"{folder}/{sub}")}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def village(db):
    return services.villages_of(campaign_get()).exclude(lat=None).first()


@pytest.fixture
def public():
    return Client(**EN)


def post(client, place, *, address="203.0.113.7", HTTP_X_FORWARDED_FOR="", **fields):
    data = {"photo": upload(jpeg()), "text": "Rubbish piled by the pond", "village": place.code, "lat": "",
            "lon": "", "contact": ""}
    data.update(fields)
    return client.post("/public/report/", data, REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=HTTP_X_FORWARDED_FOR)


def test_the_form_reads_without_javascript(public, village, db):
    response = public.get("/public/report/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in body
    assert f'<option value="{village.code}">{village.name}</option>' in body
    assert 'class="locate" hidden' in body  # "use my position" appears only with JavaScript
    assert response["Cache-Control"] == "no-store"


def test_a_good_report_gets_a_code_shown_once(public, village, db):
    response = post(public, village, contact=CONTACT)
    assert response.status_code == 201
    report = Report.objects.get()
    assert len(report.code) == 10 and set(report.code) <= set(services.ALPHABET)
    assert f'id="tracking-code">{report.code}<' in response.content.decode()
    assert (report.status, report.village, report.contact, report.text) == (
        Status.RECEIVED, village, CONTACT, "Rubbish piled by the pond")
    event = AuditEvent.objects.get(action="report.receive", object_id=str(report.pk))
    assert event.actor_label == "public:report"
    assert event.after == {"status": "received", "village": village.code, "lat": None, "lon": None,
                           "sha256": report.sha256, "contact": True}


def test_a_position_from_the_phone_is_a_place(public, village, db):
    response = post(public, village, village="", lat=str(village.lat), lon=str(village.lon))
    assert response.status_code == 201
    report = Report.objects.get()
    assert (report.lat, report.lon, report.village) == (village.lat, village.lon, None)


def test_the_stored_photo_has_no_exif_and_no_gps(public, village, db):
    assert post(public, village, photo=upload(jpeg(gps=(37.0, 104.0)))).status_code == 201
    report = Report.objects.get()
    with default_storage.open(report.display_name, "rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        assert (image.format, dict(image.getexif())) == ("JPEG", {})
    assert (report.lat, report.lon) == (None, None)  # the EXIF position is not kept either


@pytest.mark.parametrize(("fields", "error_id", "message"), [
    ({"photo": upload(b"<html>not a photo</html>", "x.jpg")}, "error-photo",
     "The file is not a photo (JPEG, PNG or WebP), whatever its name says."),
    ({"photo": ""}, "error-photo", "Add a photo of the problem."),
    ({"photo": upload(b"", "x.jpg")}, "error-photo", "The file is empty."),
    ({"text": "x" * 501}, "error-text", "The text has 501 characters; at most 500 are accepted."),
    ({"text": "   "}, "error-text", "Say in a few words what is wrong."),
    ({"text": "bad\x07bell"}, "error-text", "The text contains invisible control characters; type it again."),
    ({"contact": "call me"}, "error-contact", "“call me” is not a phone number."),
    ({"village": "999999999999"}, "error-place", "Pick a village from the list."),
    ({"village": ""}, "error-place", "Say where: use your position or pick a village."),
    ({"village": "", "lat": "north", "lon": "104"}, "error-place", "The position is not a latitude and longitude."),
    ({"village": "", "lat": "37.1", "lon": ""}, "error-place", "Give both the latitude and the longitude, or neither."),
    ({"village": "", "lat": "48.85", "lon": "2.35"}, "error-place",
     "The position 48.85000, 2.35000 lies outside the county."),
], ids=["not-image", "no-photo", "empty", "too-long", "blank-text", "control", "contact", "unknown-village",
        "no-place", "bad-number", "half-position", "outside"])
def test_every_refusal_is_shown_on_the_form(public, village, db, fields, error_id, message):
    response = post(public, village, **fields)
    body = response.content.decode()
    assert response.status_code == 400
    assert f'id="{error_id}" role="alert">{message}</p>' in body.replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert Report.objects.count() == 0


def test_too_big_a_photo_is_refused_before_it_is_read(public, village, db, settings):
    settings.REPORT_PHOTO_MAX_MB = 1
    big = jpeg() + b"\0" * (1024 * 1024 + 1)
    response = post(public, village, photo=upload(big))
    assert response.status_code == 400
    assert 'id="error-photo" role="alert">The photo is 1.0 MB; the limit is 1 MB.</p>' in response.content.decode()


def test_what_is_typed_comes_back_after_a_refusal_and_markup_is_escaped(public, village, db):
    text = '<script>alert("x")</script>'
    response = post(public, village, photo="", text=text)
    body = response.content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</textarea>" in body


def test_too_many_reports_from_one_client(public, village, db, settings):
    settings.REPORTS_PER_HOUR = 2
    assert [post(public, village).status_code for _i in range(2)] == [201, 201]
    refused = post(public, village)
    assert refused.status_code == 400
    assert ('id="error-form" role="alert">No more than 2 reports an hour are accepted from one connection; try '
            'again later.</p>') in refused.content.decode()
    assert post(public, village, address="198.51.100.1").status_code == 201  # another client
    assert Report.objects.count() == 3


def test_behind_a_trusted_proxy_the_client_is_the_forwarded_address(public, village, db, settings):
    settings.REPORTS_PER_HOUR = 1
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    first = post(public, village, address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.20")
    second = post(public, village, address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.21")
    again = post(public, village, address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.20")
    assert (first.status_code, second.status_code, again.status_code) == (201, 201, 400)


@pytest.fixture
def report(village, db):
    return services.report_submit(campaign=campaign_get(), address="192.0.2.1", data=jpeg(), size=len(jpeg()),
                                  text="Sewage <b>on</b> the road", village_code=village.code, contact=CONTACT)


def test_the_status_page_never_shows_the_contact(public, report):
    response = public.get(f"/public/report/{report.code}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="received"' in body
    assert "Received: the office has not looked at it yet." in body
    assert CONTACT not in body
    assert "Sewage &lt;b&gt;on&lt;/b&gt; the road" in body


def test_a_code_is_found_however_it_is_typed(public, report):
    typed = f"{report.code[:5].lower()}-{report.code[5:]}"
    found = public.get("/public/report/find/", {"code": typed})
    assert (found.status_code, found["Location"]) == (303, f"/public/report/{report.code.upper()}/")
    assert public.get(f"/public/report/{typed}/").status_code == 200


@pytest.mark.parametrize("code", ["ABCDEFGHJK", "abc", "0000000000", "-"])
def test_unknown_codes_answer_the_portals_404(public, report, code):
    response = public.get(f"/public/report/{code}/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_guessing_codes_in_a_loop_is_refused(public, report, settings):
    settings.REPORT_LOOKUP_MISSES_PER_HOUR = 3
    guesses = [public.get("/public/report/ABCDEFGHJ2/", REMOTE_ADDR="203.0.113.9").status_code for _i in range(4)]
    assert guesses == [404, 404, 404, 429]
    # Even the right code, from that client, until the hour is over; another client is not held up.
    assert public.get(f"/public/report/{report.code}/", REMOTE_ADDR="203.0.113.9").status_code == 429
    assert public.get(f"/public/report/{report.code}/", REMOTE_ADDR="203.0.113.10").status_code == 200


def test_the_count_of_wrong_codes_is_shared_by_every_process(public, report, settings):
    settings.REPORT_LOOKUP_MISSES_PER_HOUR = 3
    assert [public.get("/public/report/ABCDEFGHJ2/", REMOTE_ADDR="203.0.113.9").status_code
            for _i in range(2)] == [404, 404]
    # Another web process: its own client and its own (empty) local cache, the same database.
    cache.clear()
    other = Client(**EN)
    assert [other.get("/public/report/ABCDEFGHJ3/", REMOTE_ADDR="203.0.113.9").status_code
            for _i in range(2)] == [404, 429]
    assert LookupMiss.objects.filter(client=services.client_key("203.0.113.9")).count() == 3


def test_wrong_codes_older_than_an_hour_no_longer_count_and_are_forgotten(public, report, settings):
    settings.REPORT_LOOKUP_MISSES_PER_HOUR = 2
    client = services.client_key("203.0.113.9")
    old = timezone.now() - dt.timedelta(minutes=61)
    LookupMiss.objects.bulk_create([LookupMiss(client=client, at=old), LookupMiss(client=client, at=old)])
    assert services.lookup_misses(client) == 0
    assert public.get("/public/report/ABCDEFGHJ2/", REMOTE_ADDR="203.0.113.9").status_code == 404
    assert list(LookupMiss.objects.values_list("client", flat=True)) == [client]
    assert public.get(f"/public/report/{report.code}/", REMOTE_ADDR="203.0.113.9").status_code == 200


# The triage


@pytest.mark.parametrize(("role", "status"), [
    ("county_admin", 200), ("office", 200), ("leader", 403), ("inspector", 403), ("town_staff", 403),
    ("village_staff", 403),
])
def test_triage_is_the_offices(client_for, users, report, role, status):
    client = client_for(users[role])
    assert client.get("/reports/").status_code == status
    assert client.get(f"/reports/{report.pk}/thumb.jpg").status_code == status
    refused = client.post(f"/reports/{report.pk}/", {"action": "decline", "reason": "no"})
    assert refused.status_code == (303 if status == 200 else 403)


def test_triage_asks_anonymous_visitors_to_sign_in(public, report):
    for url in ("/reports/", f"/reports/{report.pk}/thumb.jpg"):
        response = public.get(url)
        assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")


def test_triage_lists_the_received_report_with_photo_place_and_suggested_village(client_for, users, report, village):
    body = client_for(users["office"]).get("/reports/", **EN).content.decode()
    assert f'data-code="{report.code}"' in body
    assert f'src="/reports/{report.pk}/thumb.jpg"' in body
    assert f'<option value="{village.code}" selected>' in body
    assert f'<span class="contact">{CONTACT}</span>' in body


def test_nearest_village_for_a_position(db, village):
    report = services.report_submit(campaign=campaign_get(), address="192.0.2.2", data=jpeg(), size=len(jpeg()),
                                    text="here", lat=village.lat + 0.0001, lon=village.lon)
    assert services.nearest_village(report) == village


def test_accept_makes_a_problem_with_the_photo(client_for, users, report, village, public):
    office = users["office"]
    category = Category.objects.get(campaign=report.campaign, code="sewage")
    response = client_for(office).post(f"/reports/{report.pk}/", {"action": "accept", "village": village.code,
                                                                   "category": "sewage"})
    assert (response.status_code, response["Location"]) == (303, "/reports/")
    report.refresh_from_db()
    problem = Problem.objects.get(pk=report.problem_id)
    assert (problem.village, problem.category, problem.source, problem.description) == (
        village, category, "public", "Sewage <b>on</b> the road")
    photo = Photo.objects.get(pk=problem.problem_photos.get(kind=PhotoKind.BEFORE).photo_id)
    assert (photo.display_name, photo.sha256) == (report.display_name, report.sha256)
    assert report.status == Status.ACCEPTED and report.decided_by == office
    event = AuditEvent.objects.get(action="report.accept", object_id=str(report.pk))
    assert event.after == {"status": "accepted", "problem": problem.pk, "village": village.code,
                           "category": "sewage", "public": False}
    assert problem.public is False
    status = public.get(f"/public/report/{report.code}/").content.decode()
    assert 'data-status="accepted"' in status
    assert f'<span id="problem-state">Its state: {problem.get_status_display()}.</span>' in status


def test_decline_needs_a_reason_the_reporter_reads(client_for, users, report, public):
    office = client_for(users["office"])
    office.post(f"/reports/{report.pk}/", {"action": "decline", "reason": "  "})
    report.refresh_from_db()
    assert report.status == Status.RECEIVED
    office.post(f"/reports/{report.pk}/", {"action": "decline", "reason": "Outside the campaign's villages."})
    report.refresh_from_db()
    assert (report.status, report.reason) == (Status.DECLINED, "Outside the campaign's villages.")
    assert AuditEvent.objects.get(action="report.decline", object_id=str(report.pk)).after == {
        "status": "declined", "reason": "Outside the campaign's villages."}
    body = public.get(f"/public/report/{report.code}/").content.decode()
    assert '<p id="decline-reason" class="reason">Outside the campaign&#x27;s villages.</p>' in body
    assert CONTACT not in body


def test_decline_refusals(users, report):
    with pytest.raises(Refused) as blank:
        services.report_decline(actor=users["office"], report=report, reason=" ")
    assert blank.value.code == "reason_required"
    with pytest.raises(Refused) as long:
        services.report_decline(actor=users["office"], report=report, reason="x" * 501)
    assert long.value.code == "reason_too_long"
    with pytest.raises(PermissionDenied):
        services.report_decline(actor=users["town_staff"], report=report, reason="no")
    assert AuditEvent.objects.filter(action="report.decline").count() == 0


def test_a_decided_report_cannot_move_again(users, report, village):
    category = Category.objects.get(campaign=report.campaign, code="garbage")
    services.report_decline(actor=users["office"], report=report, reason="duplicate")
    with pytest.raises(Refused) as again:
        services.report_accept(actor=users["office"], report=report, village=village, category=category)
    assert again.value.code == "bad_transition"
    with pytest.raises(Refused) as twice:
        services.report_decline(actor=users["office"], report=report, reason="again")
    assert twice.value.code == "bad_transition"
    assert Problem.objects.filter(source="public").count() == 0


def test_the_lifecycle_table():
    assert lifecycle.TABLE.allowed(lifecycle.RECEIVED) == ["accept", "decline"]
    assert lifecycle.TABLE.allowed(lifecycle.ACCEPTED) == []
    assert lifecycle.TABLE.allowed(lifecycle.DECLINED) == []
    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.next_status(lifecycle.ACCEPTED, "decline")


def test_accepted_and_marked_public_it_is_served_on_open311_without_the_contact(client_for, users, report, village,
                                                                                public):
    client_for(users["office"]).post(f"/reports/{report.pk}/", {"action": "accept", "village": village.code,
                                                                "category": "garbage", "public": "on"})
    report.refresh_from_db()
    problem = Problem.objects.get(pk=report.problem_id)
    assert problem.public is True
    assert AuditEvent.objects.filter(action="problem.public", object_id=str(problem.pk)).count() == 1
    answer = public.get(f"/open311/v2/requests/{problem.number}.json")
    assert answer.status_code == 200
    assert [row["service_request_id"] for row in answer.json()] == [problem.number]
    assert CONTACT not in answer.content.decode()


def test_accept_is_the_offices_and_leaves_no_trace_otherwise(users, report, village):
    category = Category.objects.get(campaign=report.campaign, code="garbage")
    for role in ("leader", "inspector", "town_staff", "village_staff"):
        with pytest.raises(PermissionDenied):
            services.report_accept(actor=users[role], report=report, village=village, category=category)
    report.refresh_from_db()
    assert (report.status, report.problem_id) == (Status.RECEIVED, None)
    assert AuditEvent.objects.filter(action__in=("report.accept", "problem.report", "photo.copy"),
                                     at__gte=report.received_at).count() == 0


def test_the_triage_reads_the_same_number_of_queries_for_more_reports(client_for, users, village, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    office = client_for(users["office"])

    def submit(n: int) -> None:
        for i in range(n):
            services.report_submit(campaign=campaign_get(), address=f"192.0.2.{i + 10}", data=jpeg(),
                                   size=len(jpeg()), text="here", lat=village.lat, lon=village.lon + 0.001 * i)

    submit(1)
    with CaptureQueriesContext(connection) as one:
        assert office.get("/reports/").status_code == 200
    submit(5)
    with CaptureQueriesContext(connection) as six:
        body = office.get("/reports/").content.decode()
    assert body.count('<article class="report"') == 6
    assert len(six) == len(one)


def test_triage_refusals_are_shown_to_the_office(client_for, users, report):
    office = client_for(users["office"])
    office.defaults.update(EN)
    unnamed = office.post(f"/reports/{report.pk}/", {"action": "accept", "village": "", "category": "garbage"},
                          follow=True)
    assert (f'<p class="flash error" role="status">Report {report.code}: Choose the village and the category.</p>'
            in unnamed.content.decode())
    blank = office.post(f"/reports/{report.pk}/", {"action": "decline", "reason": ""}, follow=True)
    assert (f'<p class="flash error" role="status">Report {report.code}: Give the reason the reporter will read.</p>'
            in blank.content.decode())
    assert office.post(f"/reports/{report.pk}/", {"action": "delete"}).status_code == 400
    assert office.post("/reports/999999/", {"action": "decline", "reason": "x"}).status_code == 404
    assert office.get(f"/reports/{report.pk}/original.jpg").status_code == 404
    report.refresh_from_db()
    assert report.status == Status.RECEIVED


def test_the_limit_is_counted_again_inside_the_transaction(village, db, settings, monkeypatch):
    # Two reports arriving at once both pass the first count; the second count, under the audit log's lock, refuses
    # the one beyond the limit and leaves neither its row, its event nor its files.
    settings.REPORTS_PER_HOUR = 1
    counts = iter([0, 1, 0, 2])  # first report: before, inside; second: before (both at once), inside
    monkeypatch.setattr(services, "_sent_since", lambda client, since: next(counts))
    services.report_submit(campaign=campaign_get(), address="192.0.2.50", data=jpeg(), size=len(jpeg()),
                           text="first", village_code=village.code)
    files = stored_files()
    with pytest.raises(Refused) as refused:
        services.report_submit(campaign=campaign_get(), address="192.0.2.50", data=jpeg(), size=len(jpeg()),
                               text="second", village_code=village.code)
    assert refused.value.code == "too_many"
    assert list(Report.objects.values_list("text", flat=True)) == ["first"]
    assert AuditEvent.objects.filter(action="report.receive").count() == 1
    assert stored_files() == files and len(files) >= 2
