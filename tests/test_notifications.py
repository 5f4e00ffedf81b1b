"""Notifications (dudao.notifications): who is told when a problem is dispatched, returned, rectified or overdue,
the text in the reader's language, e-mail through a real SMTP server on loopback (and what a refusing or absent
server leaves behind), and reading them."""

import datetime as dt
import email
import email.policy
import errno
import io
import logging
import os
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.accounts.services import user_save
from dudao.campaigns.services import campaign_get
from dudao.notifications import outbox
from dudao.notifications import services as notifications
from dudao.notifications.models import Delivery, Notification
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos.services import photo_upload
from dudao.problems import services as problems
from dudao.problems.models import Category, Problem

VILLAGE = "620423103200"  # 大水䃎村 (demo_village)
NEIGHBOUR = "620423103201"  # 喜集水村
TOWN = "620423103000"  # 喜泉镇 (demo_town)
OTHER_TOWN = "620423100000"  # 一条山镇
DESCRIPTION = "村口垃圾点满溢"
VILLAGE_MAIL = "village@example.test"


@pytest.fixture
def campaign(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    campaign = campaign_get()
    problems.categories_ensure(campaign)
    # The demo reported problems in this village minutes ago: no duplicate window, so office reports go out.
    Category.objects.filter(campaign=campaign).update(duplicate_hours=0)
    return campaign


def village() -> Unit:
    return Unit.objects.get(code=VILLAGE)


def reported(campaign, users) -> Problem:
    """A problem reported by the village (it waits to be registered and dispatched)."""
    return problems.problem_report(actor=users["village_staff"], campaign=campaign, village=village(),
                                   category=Category.objects.get(campaign=campaign, code="garbage"),
                                   description=DESCRIPTION, source="grid")


def dispatch(problem: Problem, users) -> Problem:
    problem = problems.problem_register(actor=users["office"], problem=problem)
    return problems.problem_dispatch(actor=users["office"], problem=problem)


def after_photo(campaign, actor) -> int:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 60)).save(out, "JPEG")
    lon, lat = unit_point_wgs84(village())
    return photo_upload(actor=actor, campaign=campaign, village=village(), data=out.getvalue(), lat=lat,
                        lon=lon).pk


def told(problem: Problem, kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind, params__number=problem.number)
                  .values_list("recipient__username", flat=True))


def deadline_text(problem: Problem) -> str:
    return f"{timezone.localtime(Problem.objects.get(pk=problem.pk).deadline):%Y-%m-%d %H:%M}"


# Who is told ----------------------------------------------------------------------------------------------------


def test_dispatch_tells_the_villages_and_townships_staff(campaign, users):
    extra = {
        "t_village_2": (Role.VILLAGE_STAFF, VILLAGE, True),
        "t_village_gone": (Role.VILLAGE_STAFF, VILLAGE, False),
        "t_neighbour": (Role.VILLAGE_STAFF, NEIGHBOUR, True),
        "t_town_2": (Role.TOWN_STAFF, TOWN, True),
        "t_other_town": (Role.TOWN_STAFF, OTHER_TOWN, True),
    }
    for username, (role, code, active) in extra.items():
        user_save(actor=SYSTEM, username=username, role=role, scope_unit=Unit.objects.get(code=code),
                  is_active=active)
    problem = reported(campaign, users)
    assert told(problem, "problem_dispatched") == []
    problem = problems.problem_register(actor=users["office"], problem=problem)
    assert Notification.objects.filter(params__number=problem.number).count() == 0
    problem = problems.problem_dispatch(actor=users["office"], problem=problem)
    assert told(problem, "problem_dispatched") == ["demo_town", "demo_village", "t_town_2", "t_village_2"]
    rows = list(Notification.objects.filter(params__number=problem.number))
    assert len(rows) == 4
    stored = Problem.objects.get(pk=problem.pk)
    for row in rows:
        assert row.params == {"number": problem.number, "category": "垃圾治理", "village": "大水䃎村",
                              "description": DESCRIPTION, "deadline": deadline_text(problem)}
        assert row.link == reverse("problem_detail", args=[problem.pk])
        assert row.read_at is None
        assert (row.email_to, row.emailed_at, row.email_error) == ("", None, "")
        assert stored.dispatched_at <= row.created_at
    # Nobody has an e-mail address here: each e-mail is skipped with the reason, none is lost silently. The
    # reason is written in the language active when the problem was dispatched (the installation's default).
    skipped = Delivery.objects.filter(notification__params__number=problem.number, medium="email")
    assert sorted((d.recipient.username, d.status, d.reason) for d in skipped) == [
        (name, "skipped", translation.gettext("The account %(user)s has no e-mail address.") % {"user": name})
        for name in ["demo_town", "demo_village", "t_town_2", "t_village_2"]]
    assert "demo_town" in skipped.get(recipient__username="demo_town").reason


def test_the_offices_report_tells_them_at_once(campaign, users):
    problem = problems.problem_report(actor=users["office"], campaign=campaign, village=village(),
                                      category=Category.objects.get(campaign=campaign, code="stacking"),
                                      description=DESCRIPTION)
    assert problem.status == "dispatched"
    assert told(problem, "problem_dispatched") == ["demo_town", "demo_village"]


def test_rectify_tells_the_township_and_return_tells_the_village(campaign, users):
    problem = dispatch(reported(campaign, users), users)
    photo = after_photo(campaign, users["village_staff"])
    problem = problems.problem_rectify(actor=users["village_staff"], problem=problem, photo_ids=[photo])
    assert told(problem, "problem_rectified") == ["demo_town"]
    problems.problem_return(actor=users["town_staff"], problem=problem, note="墙角仍有垃圾")
    assert told(problem, "problem_returned") == ["demo_village"]
    returned = Notification.objects.get(kind="problem_returned", params__number=problem.number)
    assert returned.params["note"] == "墙角仍有垃圾"
    with translation.override("en"):
        assert notifications.render(returned) == (f"Problem {problem.number} was returned for rework",
                                                  "墙角仍有垃圾")


def test_a_recipient_is_told_once(campaign, users):
    user = users["village_staff"]
    rows = notifications.notify(recipients=[user, user, users["town_staff"], user], kind="problem_overdue",
                                params={}, link="")
    assert [n.recipient.username for n in rows] == ["demo_village", "demo_town"]


def test_unit_staff_are_the_active_township_and_village_accounts(campaign, users):
    user_save(actor=SYSTEM, username="t_gone", role=Role.VILLAGE_STAFF, scope_unit=village(), is_active=False)
    town = Unit.objects.get(code=TOWN)
    assert [u.username for u in notifications.unit_staff(village(), town)] == ["demo_town", "demo_village"]
    assert [u.username for u in notifications.unit_staff(village())] == ["demo_village"]
    assert [u.username for u in notifications.unit_staff(town, None)] == ["demo_town"]
    assert notifications.unit_staff(Unit.objects.get(code=NEIGHBOUR)) == []


# Text in the reader's language ----------------------------------------------------------------------------------


def test_texts_in_english(campaign, users):
    problem = dispatch(reported(campaign, users), users)
    dispatched = Notification.objects.filter(kind="problem_dispatched", params__number=problem.number).first()
    due = deadline_text(problem)
    place = f"垃圾治理 at 大水䃎村: {DESCRIPTION}"
    with translation.override("en"):
        assert notifications.render(dispatched) == (f"Problem {problem.number} to rectify by {due}", place)
        overdue = Notification(kind="problem_overdue", params=dispatched.params)
        assert notifications.render(overdue) == (f"Problem {problem.number} is overdue (deadline {due})", place)
        rectified = Notification(kind="problem_rectified", params=dispatched.params)
        assert notifications.render(rectified) == (
            f"Problem {problem.number} was rectified and awaits verification", place)
        assert notifications.render(Notification(kind="something_else", params={})) == ("something_else", "")


@pytest.mark.parametrize("kind", ["problem_dispatched", "problem_overdue", "problem_returned", "problem_rectified"])
def test_texts_render_in_chinese(campaign, users, kind):
    problem = dispatch(reported(campaign, users), users)
    params = dict(Notification.objects.filter(params__number=problem.number).first().params, note="仍有垃圾")
    with translation.override("zh-hans"):
        title, body = notifications.render(Notification(kind=kind, params=params))
    assert problem.number in title
    assert isinstance(body, str)
    assert body != ""


# E-mail -----------------------------------------------------------------------------------------------------------


class Recorder:
    """An SMTP handler (aiosmtpd calls the handle_* hooks) that keeps what it accepts."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


class RefuseRecipient(Recorder):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 mailbox unavailable"


class RefuseData(Recorder):
    async def handle_DATA(self, server, session, envelope):
        return "554 5.7.1 rejected"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    controllers = []

    def start(handler) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def mail(settings, users):
    """Point Django at an SMTP server on loopback and give the village's account an address."""
    def use(port: int) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_TIMEOUT = 5
        settings.LANGUAGE_CODE = "en"  # e-mail is written in the installation's language
    users["village_staff"].email = VILLAGE_MAIL
    users["village_staff"].save(update_fields=["email"])
    return use


def email_delivery(problem: Problem, user: User) -> Delivery:
    return Delivery.objects.get(medium="email", event="problem_dispatched", recipient=user,
                                notification__params__number=problem.number)


def test_dispatch_stores_an_email_that_the_worker_sends_once(campaign, users, smtp, mail, settings):
    handler = Recorder()
    mail(smtp(handler))
    settings.SITE_URL = "https://dudao.example.gov.cn"
    problem = dispatch(reported(campaign, users), users)
    assert handler.envelopes == []  # stored in the outbox with its cause; the worker sends it
    delivery = email_delivery(problem, users["village_staff"])
    link = reverse("problem_detail", args=[problem.pk])
    body = f"垃圾治理 at 大水䃎村: {DESCRIPTION}\n\nOpen Dudao: https://dudao.example.gov.cn{link}"
    assert (delivery.status, delivery.target, delivery.attempts) == ("pending", VILLAGE_MAIL, 0)
    assert (delivery.title, delivery.body) == (f"Problem {problem.number} to rectify by {deadline_text(problem)}",
                                               body)
    assert outbox.deliver_all_due()["sent"] == 1
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == [VILLAGE_MAIL]
    assert envelope.mail_from == "dudao@localhost"
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == f"Problem {problem.number} to rectify by {deadline_text(problem)}"
    assert message["To"] == VILLAGE_MAIL
    # SMTP carries CRLF line ends.
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.reason) == ("sent", 1, "")
    assert [(a.ok, a.error) for a in delivery.attempt_set.all()] == [(True, "")]
    row = Notification.objects.get(kind="problem_dispatched", params__number=problem.number,
                                   recipient=users["village_staff"])
    assert (row.email_to, row.emailed_at, row.email_error) == (VILLAGE_MAIL, delivery.sent_at, "")
    # The township's account has no address: in-app, and the e-mail is skipped with the reason.
    town_row = Notification.objects.get(kind="problem_dispatched", params__number=problem.number,
                                        recipient=users["town_staff"])
    assert (town_row.email_to, town_row.emailed_at) == ("", None)
    skipped = email_delivery(problem, users["town_staff"])
    assert (skipped.status, skipped.reason, skipped.attempts) == (
        "skipped", "The account demo_town has no e-mail address.", 0)
    # Sending again sends nothing: the delivery was sent.
    assert outbox.deliver_all_due(now=timezone.now() + dt.timedelta(days=3))["sent"] == 0
    assert len(handler.envelopes) == 1


def test_no_smtp_host_no_email(campaign, users, smtp, mail, settings):
    handler = Recorder()
    mail(smtp(handler))
    settings.EMAIL_HOST = ""
    problem = dispatch(reported(campaign, users), users)
    outbox.deliver_all_due()
    assert handler.envelopes == []
    delivery = email_delivery(problem, users["village_staff"])
    assert (delivery.status, delivery.reason) == ("skipped", "E-mail is not configured (DUDAO_SMTP_HOST).")
    row = Notification.objects.get(kind="problem_dispatched", params__number=problem.number,
                                   recipient=users["village_staff"])
    assert (row.email_to, row.emailed_at, row.email_error) == (VILLAGE_MAIL, None, "")


@pytest.mark.parametrize(("handler", "error"), [
    (RefuseRecipient, f"SMTP 550 5.1.1 mailbox unavailable ({VILLAGE_MAIL})"),
    (RefuseData, "SMTP 554 5.7.1 rejected"),
])
def test_a_refusing_server_fails_the_email_at_once(campaign, users, smtp, mail, caplog, handler, error):
    server = handler()
    mail(smtp(server))
    problem = dispatch(reported(campaign, users), users)
    with caplog.at_level(logging.WARNING, logger="dudao.notifications"):
        counts = outbox.deliver_all_due()
    assert (counts["sent"], counts["failed"], counts["pending"]) == (0, 1, 0)
    assert server.envelopes == []
    assert Problem.objects.get(pk=problem.pk).status == "dispatched"
    delivery = email_delivery(problem, users["village_staff"])
    # A 5xx refusal is permanent: no retry.
    assert (delivery.status, delivery.attempts, delivery.reason, delivery.next_attempt_at) == ("failed", 1, error, None)
    assert [(a.ok, a.retryable, a.error) for a in delivery.attempt_set.all()] == [(False, False, error)]
    row = Notification.objects.get(kind="problem_dispatched", params__number=problem.number,
                                   recipient=users["village_staff"])
    assert (row.emailed_at, row.email_error) == (None, error)
    logged = [r.getMessage() for r in caplog.records if r.name == "dudao.notifications.channels"]
    assert len(logged) == 1
    assert logged[0].startswith(f"e-mail to {VILLAGE_MAIL} refused: 5")


def test_a_closed_port_is_retried_later(campaign, users, mail):
    mail(free_port())  # nothing listens there
    problem = dispatch(reported(campaign, users), users)
    now = timezone.now()
    counts = outbox.deliver_all_due(now=now)
    assert (counts["sent"], counts["pending"], counts["failed"]) == (0, 1, 0)
    assert Problem.objects.get(pk=problem.pk).status == "dispatched"
    delivery = email_delivery(problem, users["village_staff"])
    refused = str(ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED)))
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.reason == f"SMTP server unreachable: {refused}"
    assert delivery.next_attempt_at == now + dt.timedelta(minutes=1)
    assert [(a.ok, a.retryable) for a in delivery.attempt_set.all()] == [(False, True)]
    row = Notification.objects.get(pk=delivery.notification_id)
    assert (row.emailed_at, row.email_error) == (None, f"SMTP server unreachable: {refused}")


def test_a_failed_email_is_sent_on_a_later_try(campaign, users, smtp, mail):
    mail(free_port())
    problem = dispatch(reported(campaign, users), users)
    now = timezone.now()
    outbox.deliver_all_due(now=now)
    handler = Recorder()
    mail(smtp(handler))
    # Not before its time...
    assert outbox.deliver_all_due(now=now + dt.timedelta(seconds=59))["claimed"] == 0
    assert handler.envelopes == []
    # ...then once.
    assert outbox.deliver_all_due(now=now + dt.timedelta(minutes=1))["sent"] == 1
    delivery = email_delivery(problem, users["village_staff"])
    assert (delivery.status, delivery.attempts, delivery.reason) == ("sent", 2, "")
    row = Notification.objects.get(pk=delivery.notification_id)
    assert (row.email_error, row.emailed_at is not None) == ("", True)
    assert [e.rcpt_tos for e in handler.envelopes] == [[VILLAGE_MAIL]]


def test_a_server_that_never_answers_costs_one_timeout_for_the_whole_batch(campaign, users, mail, settings):
    """Three e-mails, a server that accepts the connection and then says nothing: the worker waits one
    timeout, not three, and every e-mail is left for a later try."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel completes the handshake; nobody ever answers
    try:
        mail(listener.getsockname()[1])
        settings.EMAIL_TIMEOUT = 1
        for user in (users["town_staff"], users["office"]):
            user.email = f"{user.username}@example.test"
            user.save(update_fields=["email"])
        problem = dispatch(reported(campaign, users), users)
        problem2 = dispatch(reported(campaign, users), users)
        started = time.monotonic()
        counts = outbox.deliver_all_due()
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert (counts["claimed"], counts["pending"]) == (4, 4)
    rows = Delivery.objects.filter(medium="email", notification__params__number__in=[problem.number,
                                                                                       problem2.number])
    assert sorted(r.target for r in rows) == ["demo_town@example.test"] * 2 + [VILLAGE_MAIL] * 2
    assert all(r.status == "pending" and r.attempts == 1 and r.reason.startswith("SMTP server unreachable")
               for r in rows)
    assert elapsed < 2.5


def test_notifications_send_retries_what_was_not_sent(campaign, users, smtp, mail, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    mail(free_port())
    problem = dispatch(reported(campaign, users), users)
    outbox.deliver_all_due()
    handler = Recorder()
    mail(smtp(handler))
    Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    out = io.StringIO()
    call_command("notifications", "send", stderr=out)
    assert [VILLAGE_MAIL] in [e.rcpt_tos for e in handler.envelopes]
    assert email_delivery(problem, users["village_staff"]).status == "sent"
    assert out.getvalue() == "1 message(s) sent, 0 to retry later, 0 failed.\n"
    assert notifications.send_pending() == 0  # nothing left to send


# Reading ---------------------------------------------------------------------------------------------------------


def test_unread_count_and_mark_read(campaign, users):
    user, other = users["village_staff"], users["town_staff"]
    Notification.objects.filter(recipient__in=[user, other]).update(read_at=timezone.now())  # the demo's
    assert notifications.unread_count(user) == 0
    mine = notifications.notify(recipients=[user], kind="problem_overdue", params={}, link="")
    mine += notifications.notify(recipients=[user], kind="problem_returned", params={}, link="")
    mine += notifications.notify(recipients=[user, other], kind="problem_dispatched", params={}, link="")
    theirs = mine.pop()
    assert theirs.recipient == other
    assert notifications.unread_count(user) == 3
    assert notifications.unread_count(other) == 1
    started = timezone.now()
    assert notifications.mark_read(user=user, ids=[mine[0].pk]) == 1
    assert notifications.unread_count(user) == 2
    read = Notification.objects.get(pk=mine[0].pk).read_at
    assert read is not None
    assert started <= read <= timezone.now()
    # Someone else's notification is not the user's to mark.
    assert notifications.mark_read(user=user, ids=[theirs.pk]) == 0
    assert notifications.unread_count(other) == 1
    # Marking again changes nothing, and keeps the first reading time.
    assert notifications.mark_read(user=user, ids=[mine[0].pk]) == 0
    assert Notification.objects.get(pk=mine[0].pk).read_at == read
    assert notifications.mark_read(user=user) == 2
    assert notifications.unread_count(user) == 0
    assert notifications.mark_read(user=user) == 0
    assert notifications.unread_count(other) == 1
    assert notifications.unread_count(AnonymousUser()) == 0


def test_notifications_through_the_api(campaign, users, client_for):
    user = users["village_staff"]
    Notification.objects.filter(recipient=user).delete()  # the demo's
    problem = dispatch(reported(campaign, users), users)
    client = client_for(user)
    listed = client.get("/api/v1/notifications?unread=true", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [(n["kind"], n["title"], n["read"]) for n in listed] == [
        ("problem_dispatched", f"Problem {problem.number} to rectify by {deadline_text(problem)}", False)]
    marked = client.post("/api/v1/notifications/read", {"ids": [listed[0]["id"]]}, content_type="application/json")
    assert marked.json() == {"marked": 1}
    assert client.get("/api/v1/notifications?unread=true").json() == []
    assert User.objects.get(pk=user.pk).notifications.filter(read_at__isnull=True).count() == 0


def test_a_newer_notice_about_the_same_thing_marks_the_older_one_read(campaign, users):
    user, other = users["village_staff"], users["town_staff"]
    Notification.objects.filter(recipient__in=[user, other]).update(read_at=timezone.now())
    first = notifications.notify(recipients=[user, other], kind="problem_overdue", params={}, link="/problems/1/")
    notifications.mark_read(user=other, ids=[first[1].pk])
    second = notifications.notify(recipients=[user], kind="problem_overdue", params={}, link="/problems/1/")
    notifications.notify(recipients=[user], kind="problem_overdue", params={}, link="/problems/2/")
    notifications.notify(recipients=[user], kind="problem_returned", params={}, link="/problems/1/")
    unread = set(Notification.objects.filter(recipient=user, read_at__isnull=True).values_list("kind", "link"))
    assert unread == {("problem_overdue", "/problems/1/"), ("problem_overdue", "/problems/2/"),
                      ("problem_returned", "/problems/1/")}
    assert Notification.objects.get(pk=first[0].pk).read_at is not None  # superseded by the second
    assert Notification.objects.get(pk=second[0].pk).read_at is None
    assert notifications.unread_count(user) == 3


def test_the_badge_counts_the_last_30_days_and_stops_at_99_plus(campaign, users, client_for):
    user = users["village_staff"]
    Notification.objects.filter(recipient=user).update(read_at=timezone.now())
    now = timezone.now()
    Notification.objects.bulk_create(
        [Notification(recipient=user, kind="problem_overdue", created_at=now - dt.timedelta(minutes=n))
         for n in range(120)]
        + [Notification(recipient=user, kind="problem_overdue", created_at=now - dt.timedelta(days=31))
           for _n in range(5)])
    assert notifications.unread_count(user) == 125
    assert notifications.unread_recent_count(user) == 100  # counted up to 99 + 1
    client = client_for(user)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="badge" id="unread-count">99+</span>' in page
    assert "125 unread." in page
    # Under 100 recent: the exact figure, and the list says the older unread ones do not count on the badge.
    Notification.objects.filter(recipient=user, created_at__gt=now - dt.timedelta(minutes=100)).update(read_at=now)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="badge" id="unread-count">20</span>' in page
    assert "25 unread." in page
    assert "The badge counts the 20 of the last 30 days; older unread notices stay here until read." in page
