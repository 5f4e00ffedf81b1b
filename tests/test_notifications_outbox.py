"""The notification outbox (dudao.notifications.outbox) against real webhook receivers on loopback that speak
WeCom's and DingTalk's JSON (one checks DingTalk's signature), including receivers that are down for a while or
fail several times first; the back-off schedule; skipped deliveries; rules; the transactional outbox; the
triggers (round published, interview scheduled, township ranking deadline) and the office's pages."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.accounts.services import user_save
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.tables import write_csv
from dudao.interviews.models import Interview
from dudao.interviews.notices import interview_scheduled
from dudao.notifications import channels, kinds, outbox
from dudao.notifications import services as notification_services
from dudao.notifications.models import Attempt, Channel, Delivery, Notification, Rule
from dudao.notifications.services import notify, publish
from dudao.org.models import Person, Unit
from dudao.publication import services as publication
from dudao.publication.notices import ranking_deadline_approaching, round_published
from dudao.ranking import services as ranking
from dudao.ranking.models import Submission
from dudao.worker.models import PeriodicCheck

VILLAGE = "620423103200"  # 大水䃎村 (demo_village)
TOWN = "620423103000"  # 喜泉镇 (demo_town)
SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
WEEK = "2026-W12"
OTHER_TOWN = "620423100000"  # 一条山镇
PARAMS = {"number": "2026-000042", "deadline": "2026-03-20 23:59", "category": "垃圾治理", "village": "大水䃎村",
          "description": "村口垃圾点满溢"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A group-robot webhook on 127.0.0.1: records every message it accepts; ``script`` lists answers to give
    first (an HTTP status, or ("errcode", n)); ``secret`` makes it check DingTalk's signature."""

    def __init__(self, kind: str = "wecom", port: int = 0, secret: str = "", script=()):
        self.kind, self.secret, self.script = kind, secret, list(script)
        self.received: list[dict] = []
        self.requests = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                status, answer = receiver.answer(body, query)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self) -> str:
        if self.kind == "dingtalk":
            return f"http://127.0.0.1:{self.port}/robot/send?access_token=test"
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?key=test"

    def answer(self, body: dict, query: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests += 1
            if self.script:
                first = self.script.pop(0)
                if isinstance(first, tuple):
                    return 200, {"errcode": first[1], "errmsg": "not now"}
                return first, {"errcode": -1, "errmsg": "server error"}
            if self.kind == "dingtalk" and self.secret:
                timestamp = query.get("timestamp", [""])[0]
                expected = base64.b64encode(hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(),
                                                     hashlib.sha256).digest()).decode()
                if query.get("sign", [""])[0] != expected:
                    return 200, {"errcode": 310000, "errmsg": "sign not match"}
            assert body["msgtype"] == "markdown"
            self.received.append(body)
            return 200, {"errcode": 0, "errmsg": "ok"}

    def texts(self) -> list[str]:
        key = "content" if self.kind == "wecom" else "text"
        return [b["markdown"][key] for b in self.received]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    started: list[Receiver] = []

    def start(*args, **kwargs) -> Receiver:
        receiver = Receiver(*args, **kwargs)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture(autouse=True)
def loopback_robots(settings):
    """The test receivers listen on 127.0.0.1: here robots may send there (by default only to WeCom and DingTalk)."""
    settings.ROBOT_HOSTS = [*settings.ROBOT_HOSTS, "127.0.0.1"]


@pytest.fixture
def office(users):
    return users["office"]


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def robot(office, url: str, *, kind: str = "wecom", code: str = VILLAGE, secret: str = "",
          events=("problem_dispatched", "problem_overdue", "round_published", "interview_scheduled",
                  "ranking_deadline")) -> Channel:
    return notification_services.channel_save(actor=office, kind=kind, unit=unit(code), name=f"{kind} {code}", url=url,
                               secret=secret, events=list(events))


def announce(n: int, key: str = "t") -> list[str]:
    """n events for the village's robots, each with its own text; their keys."""
    village = unit(VILLAGE)
    keys = []
    for i in range(n):
        params = {"number": f"2026-{i:06d}", "deadline": "2026-03-20 23:59", "category": "垃圾治理",
                  "village": village.name, "description": f"message {i}"}
        publish(kind="problem_dispatched", key=f"{key}{i}", units=[(village, params, f"/problems/{i}/")])
        keys.append(f"{key}{i}")
    return keys


# Webhooks -------------------------------------------------------------------------------------------------------


def test_wecom_robot_gets_one_markdown_message(users, office, receivers, settings):
    settings.SITE_URL = "https://dudao.example.gov.cn"
    settings.LANGUAGE_CODE = "en"
    receiver = receivers("wecom")
    channel = robot(office, receiver.url())
    announce(1)
    delivery = Delivery.objects.get(robot=channel)
    assert (delivery.medium, delivery.status, delivery.dedupe_key) == ("wecom", "pending", f"t0:robot{channel.pk}")
    assert outbox.deliver_all_due()["sent"] == 1
    assert receiver.received == [{"msgtype": "markdown", "markdown": {"content": (
        "**Problem 2026-000000 to rectify by 2026-03-20 23:59**\n垃圾治理 at 大水䃎村: message 0\n"
        "[Open Dudao](https://dudao.example.gov.cn/problems/0/)")}}]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    attempt = delivery.attempt_set.get()
    assert (attempt.ok, attempt.http_status, attempt.errcode, attempt.response) == (
        True, 200, 0, '{"errcode": 0, "errmsg": "ok"}')


def test_dingtalk_robot_is_signed(users, office, receivers, settings):
    settings.LANGUAGE_CODE = "en"
    receiver = receivers("dingtalk", secret=SECRET)
    good = robot(office, receiver.url(), kind="dingtalk", secret=SECRET)
    wrong = robot(office, receiver.url(), kind="dingtalk", secret=SECRET[:-1] + "x", code=TOWN)
    village, town = unit(VILLAGE), unit(TOWN)
    params = {"number": "2026-000001", "deadline": "2026-03-20 23:59", "category": "垃圾治理", "village": "大水䃎村",
              "description": "d"}
    publish(kind="problem_dispatched", key="k", units=[(village, params, ""), (town, params, "")])
    counts = outbox.deliver_all_due()
    assert (counts["sent"], counts["failed"]) == (1, 1)
    assert receiver.received == [{"msgtype": "markdown", "markdown": {
        "title": "Problem 2026-000001 to rectify by 2026-03-20 23:59",
        "text": "#### Problem 2026-000001 to rectify by 2026-03-20 23:59\n\n垃圾治理 at 大水䃎村: d"}}]
    assert Delivery.objects.get(robot=good).status == "sent"
    # A wrong secret is DingTalk's errcode 310000: permanent, reported at once.
    failed = Delivery.objects.get(robot=wrong)
    assert (failed.status, failed.attempts, failed.reason) == ("failed", 1, "DingTalk errcode 310000: sign not match")


def test_dingtalk_signature_is_the_documented_one():
    # base64(HMAC-SHA256(key=secret, msg="timestamp\nsecret")), URL-encoded.
    digest = hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()
    expected = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    assert channels.dingtalk_sign("SECabc", 1700000000000) == expected
    assert channels.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=T", "SECabc", 1700000000000) == (
        f"https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000&sign={expected}")
    assert channels.dingtalk_url("http://127.0.0.1:9/hook", "SECabc", 1) == (
        f"http://127.0.0.1:9/hook?timestamp=1&sign={channels.dingtalk_sign('SECabc', 1)}")
    assert channels.dingtalk_url("https://x/y?a=1", "", 1) == "https://x/y?a=1"


def test_a_receiver_down_for_a_while_gets_every_message_exactly_once(users, office, receivers):
    """Done when: with the webhook receiver down for a while, every notification still arrives exactly once
    after it returns."""
    port = free_port()  # nobody listens there yet
    channel = robot(office, f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=test")
    keys = announce(5)
    t0 = timezone.now()
    for minutes in (0, 1, 3):  # the first three attempts find nothing listening
        counts = outbox.deliver_all_due(now=t0 + dt.timedelta(minutes=minutes))
        assert (counts["claimed"], counts["pending"], counts["sent"]) == (5, 5, 0)
        # Between attempts nothing is due.
        assert outbox.deliver_all_due(now=t0 + dt.timedelta(minutes=minutes, seconds=30))["claimed"] == 0
    rows = Delivery.objects.filter(robot=channel)
    assert {(d.status, d.attempts, d.next_attempt_at, d.reason) for d in rows} == {
        ("pending", 3, t0 + dt.timedelta(minutes=8), f"connection refused (127.0.0.1:{port})")}
    receiver = receivers("wecom", port=port)  # back
    counts = outbox.deliver_all_due(now=t0 + dt.timedelta(minutes=8))
    assert (counts["sent"], counts["pending"]) == (5, 0)
    # Later sweeps, a duplicate task and the same events published again send nothing more.
    assert outbox.deliver_all_due(now=t0 + dt.timedelta(days=2))["claimed"] == 0
    assert outbox.deliver.call(list(rows.values_list("pk", flat=True))) == {"claimed": 0}
    announce(5)
    assert outbox.deliver_all_due(now=t0 + dt.timedelta(days=2))["claimed"] == 0
    texts = receiver.texts()
    by_key = {key: sum(1 for t in texts if f"message {i}" in t) for i, key in enumerate(keys)}
    assert by_key == {key: 1 for key in keys}
    assert len(texts) == 5
    assert [(d.status, d.attempts) for d in rows.all()] == [("sent", 4)] * 5
    assert Attempt.objects.filter(delivery__robot=channel).count() == 20


def test_a_receiver_that_fails_first_is_retried_until_it_answers(users, office, receivers):
    # HTTP 500 twice, 502, then WeCom's rate limit (errcode 45009): all worth retrying.
    receiver = receivers("wecom", script=[500, 500, 502, ("errcode", 45009)])
    channel = robot(office, receiver.url())
    announce(1)
    t0 = timezone.now()
    at = t0
    for delay in (0, 1, 2, 5, 10):
        at += dt.timedelta(minutes=delay)
        outbox.deliver_all_due(now=at)
    delivery = Delivery.objects.get(robot=channel)
    assert (delivery.status, delivery.attempts) == ("sent", 5)
    assert [(a.ok, a.retryable, a.http_status, a.errcode, a.error) for a in delivery.attempt_set.all()] == [
        (False, True, 500, None, "HTTP 500 Internal Server Error"),
        (False, True, 500, None, "HTTP 500 Internal Server Error"),
        (False, True, 502, None, "HTTP 502 Bad Gateway"),
        (False, True, 200, 45009, "WeCom errcode 45009: not now"),
        (True, False, 200, 0, ""),
    ]
    assert len(receiver.received) == 1


@pytest.mark.parametrize(("script", "error", "status"), [
    ([404], "HTTP 404 Not Found", 404),
    ([("errcode", 93000)], "WeCom errcode 93000: not now", 200),
])
def test_a_permanent_refusal_fails_at_once(users, office, receivers, script, error, status):
    receiver = receivers("wecom", script=script)
    channel = robot(office, receiver.url())
    announce(1)
    counts = outbox.deliver_all_due()
    assert (counts["failed"], counts["pending"]) == (1, 0)
    delivery = Delivery.objects.get(robot=channel)
    assert (delivery.status, delivery.attempts, delivery.reason, delivery.next_attempt_at) == (
        "failed", 1, error, None)
    assert [(a.retryable, a.http_status) for a in delivery.attempt_set.all()] == [(False, status)]


def test_back_off_schedule_is_exact_and_gives_up_after_the_last_attempt(users, office):
    port = free_port()
    channel = robot(office, f"http://127.0.0.1:{port}/hook")
    announce(1)
    delivery = Delivery.objects.get(robot=channel)
    at = delivery.next_attempt_at
    for _attempt in range(outbox.MAX_ATTEMPTS):
        assert outbox.deliver_all_due(now=at)["claimed"] == 1
        delivery.refresh_from_db()
        at = delivery.next_attempt_at
    attempts = [a.at for a in delivery.attempt_set.all()]
    gaps = [round((b - a).total_seconds() / 60) for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps == [1, 2, 5, 10, 30, 60, 120, 240, 360, 360, 360]
    assert outbox.MAX_ATTEMPTS == 12
    assert sum(gaps) == 1548  # 25 h 48 min: a receiver down for a day still gets its messages
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 12, None)
    assert delivery.reason == f"gave up after 12 attempts: connection refused (127.0.0.1:{port})"
    assert [outbox.retry_delay(n) for n in (1, 11, 12)] == [dt.timedelta(minutes=1), dt.timedelta(minutes=360),
                                                            None]


def test_invalid_addresses_are_permanent_failures():
    for url in ("ftp://example.test/hook", "not a url", "http:///nohost"):
        outcome = channels.send_wecom(url, "t", "x")
        assert (outcome.ok, outcome.retryable) == (False, False)
        assert outcome.error.startswith("invalid webhook address")


def test_a_receiver_that_does_not_answer_times_out_and_is_retried(monkeypatch):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    monkeypatch.setattr(channels, "TIMEOUT", 0.5)
    try:
        failed, _status, _body = channels.post_json(f"http://127.0.0.1:{listener.getsockname()[1]}/", {}, 0.5)
    finally:
        listener.close()
    assert failed is not None
    assert (failed.ok, failed.retryable, failed.error) == (False, True, "no answer within 0.5 s")


# Who gets what: rules, skipped deliveries, SMS -------------------------------------------------------------------


def test_rules_choose_the_channels_nearest_unit_first(users, office, settings, tmp_path):
    settings.EMAIL_HOST = "127.0.0.1"
    settings.SMS_BACKEND = "dudao.notifications.channels.FileSmsBackend"
    settings.SMS_FILE = str(tmp_path / "sms.log")
    village_user, town_user = users["village_staff"], users["town_staff"]
    village_user.email = "v@example.test"
    village_user.person = Person.objects.create(name="张三", phone="13900000001")
    village_user.save()
    # Everywhere: village staff get SMS only; at the township (and below): in-app and SMS.
    notification_services.rule_save(actor=office, event="problem_overdue", unit=None, role=Role.VILLAGE_STAFF, in_app=False,
                     email=False, sms=True)
    settings.LANGUAGE_CODE = "en"
    notify(recipients=[village_user, town_user], kind="problem_overdue", params=PARAMS, key="a",
           link="/problems/42/")
    assert sorted(Delivery.objects.filter(dedupe_key__startswith="a:").values_list("dedupe_key", "status")) == [
        (f"a:email:u{town_user.pk}", "skipped"), (f"a:sms:u{village_user.pk}", "pending")]
    assert list(Notification.objects.filter(dedupe_key__startswith="a:").values_list("recipient__username",
                                                                                       flat=True)) == ["demo_town"]
    notification_services.rule_save(actor=office, event="problem_overdue", unit=unit(TOWN), role=Role.VILLAGE_STAFF, in_app=True,
                     email=False, sms=True)
    notify(recipients=[village_user], kind="problem_overdue", params=PARAMS, key="b", link="/problems/42/")
    assert sorted(Delivery.objects.filter(dedupe_key__startswith="b:").values_list("dedupe_key", flat=True)) == [
        f"b:sms:u{village_user.pk}"]
    assert Notification.objects.filter(dedupe_key=f"b:app:u{village_user.pk}").count() == 1
    # Other events keep the default: in-app and e-mail.
    notify(recipients=[village_user], kind="problem_dispatched", params=PARAMS, key="c")
    assert list(Delivery.objects.filter(dedupe_key__startswith="c:").values_list("medium", "status")) == [
        ("email", "pending")]
    counts = outbox.deliver_all_due(now=timezone.now())
    assert (counts["sent"], counts["pending"]) == (3, 0)
    assert [m.to for m in mail.outbox] == [["v@example.test"]]  # pytest-django's in-memory e-mail backend
    lines = [json.loads(line) for line in Path(settings.SMS_FILE).read_text(encoding="utf-8").splitlines()]
    assert [(line["phone"], line["text"]) for line in lines] == [(
        "13900000001", "Problem 2026-000042 is overdue (deadline 2026-03-20 23:59) 垃圾治理 at 大水䃎村: 村口垃圾点满溢 "
                       "/problems/42/")] * 2
    assert AuditEvent.objects.filter(action="notifications.rule").count() == 2


def test_no_phone_and_no_sms_backend_are_skipped_with_a_reason(users, office, settings):
    settings.SMS_BACKEND = ""
    notification_services.rule_save(actor=office, event="problem_overdue", unit=None, role=Role.VILLAGE_STAFF, in_app=True,
                     email=False, sms=True)
    notification_services.rule_save(actor=office, event="problem_overdue", unit=None, role=Role.TOWN_STAFF, in_app=True,
                     email=False, sms=True)
    town_user = users["town_staff"]
    town_user.person = Person.objects.create(name="李四", phone="13900000002")
    town_user.save()
    # The reasons are written in the language active when the event is stored: English here, whatever the
    # installation's default.
    with translation.override("en"):
        notify(recipients=[users["village_staff"], town_user], kind="problem_overdue", params={}, key="s")
    rows = {d.recipient.username: (d.status, d.reason) for d in Delivery.objects.filter(dedupe_key__startswith="s:")}
    assert rows == {
        "demo_village": ("skipped", "The account demo_village has no phone number (no person with a phone is "
                                    "linked to it)."),
        "demo_town": ("skipped", "SMS is not configured (DUDAO_SMS_BACKEND)."),
    }
    assert outbox.deliver_all_due()["claimed"] == 0


def test_a_failing_sms_gateway_is_retried(users, office, settings):
    settings.SMS_BACKEND = "tests.test_notifications_outbox.BusyGateway"
    user = users["village_staff"]
    user.person = Person.objects.create(name="王五", phone="13900000003")
    user.save()
    notification_services.rule_save(actor=office, event="problem_overdue", unit=None, role=Role.VILLAGE_STAFF, in_app=False,
                     email=False, sms=True)
    notify(recipients=[user], kind="problem_overdue", params={}, key="g")
    outbox.deliver_all_due()
    delivery = Delivery.objects.get(dedupe_key=f"g:sms:u{user.pk}")
    assert (delivery.status, delivery.attempts, delivery.reason) == ("pending", 1, "gateway busy")
    settings.SMS_BACKEND = "no.such.Backend"
    outbox.deliver_all_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.reason.startswith("SMS backend 'no.such.Backend' cannot be loaded")


class BusyGateway(channels.SmsBackend):
    def send(self, phone: str, text: str) -> None:
        raise channels.SmsError("gateway busy", retryable=True)


# The transactional outbox -----------------------------------------------------------------------------------


def test_the_outbox_row_is_rolled_back_with_its_cause(users, office, receivers):
    receiver = receivers("wecom")
    robot(office, receiver.url())
    tasks_before = DBTaskResult.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        announce(1, key="rolled")
        notify(recipients=[users["village_staff"]], kind="problem_overdue", params={}, key="rolled-user")
        assert Delivery.objects.filter(dedupe_key__startswith="rolled").count() == 2
        raise RuntimeError("the cause failed")
    assert Delivery.objects.filter(dedupe_key__startswith="rolled").count() == 0
    assert Notification.objects.filter(dedupe_key__startswith="rolled").count() == 0
    assert DBTaskResult.objects.count() == tasks_before
    outbox.deliver_all_due()
    assert receiver.received == []


def test_the_delivery_task_is_queued_with_the_deliveries(users, office, receivers):
    receiver = receivers("wecom")
    channel = robot(office, receiver.url())
    announce(1, key="q")
    delivery = Delivery.objects.get(robot=channel)
    task = DBTaskResult.objects.filter(task_path="dudao.notifications.outbox.deliver").order_by("-enqueued_at").first()
    assert task is not None
    assert task.args_kwargs == {"args": [[delivery.pk]], "kwargs": {}}
    assert outbox.deliver.call([delivery.pk]) == {"sent": 1, "claimed": 1}
    assert len(receiver.received) == 1


def test_the_same_event_is_stored_once(users, office, receivers):
    receiver = receivers("wecom")
    robot(office, receiver.url())
    first = publish(kind="problem_overdue", key="same", users=[(users["village_staff"], {}, "")],
                    units=[(unit(VILLAGE), {}, "")])
    again = publish(kind="problem_overdue", key="same", users=[(users["village_staff"], {}, "")],
                    units=[(unit(VILLAGE), {}, "")])
    assert (len(first.notifications), len(first.deliveries)) == (1, 2)
    assert (again.notifications, again.deliveries) == ([], [])


# Triggers ---------------------------------------------------------------------------------------------------


def publish_round(week: str = WEEK):
    campaign = campaign_get()
    rows = []
    for town in Unit.objects.filter(level="town"):
        codes = list(Unit.objects.filter(parent=town).order_by("code").values_list("code", flat=True))
        rows += [[c, str(n)] for n, c in enumerate(codes, start=1)]
    assert ranking.ranking_import(actor=SYSTEM, campaign=campaign, week=week, source="town",
                                  data=write_csv(["code", "rank"], rows)).ok
    ranking.ranking_compute(actor=SYSTEM, campaign=campaign, week=week)
    return publication.round_publish(actor=SYSTEM, campaign=campaign, week=week)


def test_round_published_tells_villages_townships_and_their_robots_once(users, office, receivers, settings):
    settings.LANGUAGE_CODE = "en"
    receiver = receivers("wecom")
    village_robot = robot(office, receiver.url())
    town_robot = robot(office, receiver.url(), code=TOWN)
    county = campaign_get().county
    county_robot = robot(office, receiver.url(), code=county.code)
    deaf = robot(office, receiver.url(), code=TOWN, events=["problem_dispatched"])
    round_ = publish_round()
    told = {n.recipient.username: n for n in Notification.objects.filter(kind="round_published",
                                                                           params__week=WEEK)}
    assert sorted(told) == ["demo_town", "demo_village"]
    assert told["demo_village"].link == f"/bulletins/{WEEK}/village/{VILLAGE}/"
    assert told["demo_town"].link == f"/ranking/{WEEK}/"
    result = round_.results.get(unit__code=VILLAGE)
    ranked = round_.results.filter(position__isnull=False).count()
    assert told["demo_village"].params == {"week": WEEK, "scope": "village", "unit": "大水䃎村", "code": VILLAGE,
                                           "position": result.position, "ranked": ranked, "tier": result.tier}
    robots = {d.robot_id: d for d in Delivery.objects.filter(event="round_published", robot__isnull=False)}
    assert sorted(robots) == sorted([village_robot.pk, town_robot.pk, county_robot.pk])
    assert deaf.pk not in robots
    assert robots[village_robot.pk].body.startswith(
        f"**The ranking of week {WEEK} is published**\n大水䃎村: position {result.position} of {ranked}, ")
    round_published(round_)  # again: nothing new
    assert Notification.objects.filter(kind="round_published", params__week=WEEK).count() == 2
    assert Delivery.objects.filter(event="round_published", robot__isnull=False).count() == 3
    outbox.deliver_all_due()
    assert len(receiver.received) == 3


def test_interview_scheduled_tells_the_unit_the_office_and_the_robots(users, office, receivers, settings):
    settings.LANGUAGE_CODE = "en"
    receiver = receivers("wecom")
    publish_round()
    interview = Interview.objects.filter(round__week=WEEK, person__isnull=False, unit__level="village").first()
    assert interview is not None
    village = interview.unit
    user_save(actor=SYSTEM, username="t_iv_village", role=Role.VILLAGE_STAFF, scope_unit=village, is_active=True)
    town = village.parent
    village_robot = robot(office, receiver.url(), code=village.code)
    town_robot = robot(office, receiver.url(), code=town.code)
    interview.scheduled_for = timezone.make_aware(dt.datetime(2026, 3, 24, 9, 30))
    interview.place = "县委三楼会议室"
    interview_scheduled(interview)
    mine = f"interview_scheduled:{interview.pk}:"
    told = sorted(Notification.objects.filter(dedupe_key__startswith=mine).values_list("recipient__username",
                                                                                        flat=True))
    expected = sorted(["t_iv_village"] + list(User.objects.filter(role=Role.OFFICE, is_active=True)
                                              .values_list("username", flat=True)))
    assert told == expected
    delivered = Delivery.objects.filter(event="interview_scheduled", robot__isnull=False)
    assert sorted(d.robot_id for d in delivered) == sorted([village_robot.pk, town_robot.pk])
    body = delivered.first().body
    assert f"{interview.person.name}, " in body
    assert "Scheduled for 2026-03-24 09:30 at 县委三楼会议室." in body
    interview_scheduled(interview)  # the same schedule again: nothing new
    assert Delivery.objects.filter(event="interview_scheduled", robot__isnull=False).count() == 2
    interview.scheduled_for += dt.timedelta(days=1)  # rescheduled: told again
    interview_scheduled(interview)
    assert Delivery.objects.filter(event="interview_scheduled", robot__isnull=False).count() == 4


def test_township_deadline_reminder_once_per_town_and_week(users, office, receivers, settings):
    settings.LANGUAGE_CODE = "en"
    receiver = receivers("wecom")
    town_robot = robot(office, receiver.url(), code=TOWN)
    week = "2027-W10"  # no round yet: no township has submitted
    friday_noon = timezone.make_aware(dt.datetime(2027, 3, 12, 12, 0))
    assert ranking_deadline_approaching(now=friday_noon - dt.timedelta(hours=25), hours=24) == []
    towns = ranking_deadline_approaching(now=friday_noon - dt.timedelta(hours=23), hours=24)
    # Every township that has someone to tell (staff or a robot): here 喜泉镇 only.
    assert [t.code for t in towns] == [TOWN]
    notification = Notification.objects.get(kind="ranking_deadline", recipient=users["town_staff"])
    assert notification.params == {"week": week, "town": "喜泉镇", "code": TOWN, "deadline": "2027-03-12 12:00"}
    delivery = Delivery.objects.get(event="ranking_deadline", robot=town_robot)
    assert delivery.title == f"The township ranking of week {week} is due by 2027-03-12 12:00"
    # Once per township and week, however often the check runs.
    assert ranking_deadline_approaching(now=friday_noon - dt.timedelta(hours=1), hours=24) == []
    assert ranking_deadline_approaching(now=friday_noon, hours=24) == []  # the deadline has passed
    assert Notification.objects.filter(kind="ranking_deadline", recipient=users["town_staff"]).count() == 1


def test_a_township_that_submitted_is_not_reminded(users, office):
    robot(office, "http://127.0.0.1:9/hook", code=OTHER_TOWN)
    campaign = campaign_get()
    xiquan = unit(TOWN)
    codes = list(Unit.objects.filter(parent=xiquan).order_by("code").values_list("code", flat=True))
    ranking.ranking_submit_order(actor=users["town_staff"], campaign=campaign, week="2027-W11", town=xiquan,
                                 codes=codes)
    assert Submission.objects.filter(round__week="2027-W11", town=xiquan).exists()
    friday = timezone.make_aware(dt.datetime(2027, 3, 19, 8, 0))
    towns = ranking_deadline_approaching(now=friday, hours=24)
    assert [t.code for t in towns] == [OTHER_TOWN]


def test_problem_dispatch_reaches_the_villages_robot(users, office, receivers):
    from dudao.problems import services as problems
    from dudao.problems.models import Category

    campaign = campaign_get()
    problems.categories_ensure(campaign)
    Category.objects.filter(campaign=campaign).update(duplicate_hours=0)
    receiver = receivers("wecom")
    village_robot = robot(office, receiver.url())
    problem = problems.problem_report(actor=users["office"], campaign=campaign, village=unit(VILLAGE),
                                      category=Category.objects.get(campaign=campaign, code="garbage"),
                                      description="村口垃圾点满溢")
    delivery = Delivery.objects.get(robot=village_robot, event="problem_dispatched")
    assert problem.number in delivery.title
    outbox.deliver_all_due()
    assert len(receiver.received) == 1


def test_what_people_typed_reaches_robots_as_text_not_markdown(users, office, receivers):
    """A description cannot become a live link, a tag or emphasis in a WeCom or DingTalk message."""
    from dudao.problems import services as problems
    from dudao.problems.models import Category

    campaign = campaign_get()
    problems.categories_ensure(campaign)
    Category.objects.filter(campaign=campaign).update(duplicate_hours=0)
    wecom = robot(office, receivers("wecom").url())
    dingtalk = robot(office, receivers("dingtalk").url(), kind="dingtalk")
    last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    problems.problem_report(actor=users["office"], campaign=campaign, village=unit(VILLAGE),
                            category=Category.objects.get(campaign=campaign, code="garbage"),
                            description="[领奖](http://evil.example/x) **急** 见 www.evil.cn <b>x</b>")
    typed = "［领奖］（http：//evil．example/x） ＊＊急＊＊ 见 www．evil．cn ＜b＞x＜/b＞"
    for channel in (wecom, dingtalk):
        body = Delivery.objects.get(robot=channel, event="problem_dispatched").body
        assert typed in body, channel.kind
        assert "http://evil" not in body
        assert "www.evil" not in body
        assert body.count("](") == 1  # Dudao's own link to the problem, and nothing else
    # The in-app notification keeps the text as typed (the page escapes it).
    assert {n.params["description"] for n in Notification.objects.filter(pk__gt=last)} == {
        "[领奖](http://evil.example/x) **急** 见 www.evil.cn <b>x</b>"}


# Where robots may send --------------------------------------------------------------------------------------


@translation.override("en")
def test_robots_may_only_point_at_the_allowed_hosts(users, office, settings):
    settings.ROBOT_HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com"]
    refusals = {
        "https://evil.example/cgi-bin/webhook/send?key=x": "robot_host",
        "http://169.254.169.254/latest/meta-data/": "robot_host",
        "https://qyapi.weixin.qq.com.evil.example/send?key=x": "robot_host",
        "https://user:pw@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x": "robot_address",
        "file:///etc/passwd": "robot_address",
    }
    for url, code in refusals.items():
        with pytest.raises(Refused) as refused:
            robot(office, url)
        assert refused.value.code == code, url
    assert str(refused.value) == ("Enter the robot's webhook address, starting with https:// or http://, without a "
                                  "user name or password.")
    with pytest.raises(Refused) as refused:
        robot(office, "https://evil.example/hook")
    assert str(refused.value) == ("Robots may only send to qyapi.weixin.qq.com, oapi.dingtalk.com; ask the "
                                  "administrator to add the host to DUDAO_ROBOT_HOSTS.")
    assert Channel.objects.count() == 0
    wecom = robot(office, "https://QYAPI.weixin.qq.com/cgi-bin/webhook/send?key=x")
    dingtalk = robot(office, "https://oapi.dingtalk.com/robot/send?access_token=x", kind="dingtalk")
    assert Channel.objects.count() == 2 and (wecom.kind, dingtalk.kind) == ("wecom", "dingtalk")


def test_a_stored_robot_whose_host_is_no_longer_allowed_gets_nothing(users, office, receivers, settings):
    receiver = receivers("wecom")
    channel = robot(office, receiver.url())
    settings.ROBOT_HOSTS = ["qyapi.weixin.qq.com"]
    announce(1)
    outbox.deliver_all_due()
    delivery = Delivery.objects.get(robot=channel)
    assert (delivery.status, delivery.reason_code, receiver.requests) == ("failed", "host_not_allowed", 0)
    assert channels.send_wecom(receiver.url(), "t", "x") == channels.Outcome(
        ok=False, code="host_not_allowed", error="the host is not one of DUDAO_ROBOT_HOSTS")


def test_the_robot_form_names_the_allowed_hosts(users, client_for, settings):
    settings.ROBOT_HOSTS = ["qyapi.weixin.qq.com"]
    response = client_for(users["office"]).post("/notifications/channels/new/", {
        "kind": "wecom", "unit": unit(VILLAGE).pk, "name": "村群", "url": "https://evil.example/hook?key=x",
        "events": ["round_published"]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert ("Robots may only send to qyapi.weixin.qq.com; ask the administrator to add the host to "
            "DUDAO_ROBOT_HOSTS.") in response.content.decode()
    assert Channel.objects.count() == 0


# The office's pages ------------------------------------------------------------------------------------------


def test_pages_are_for_the_office_only(users, client_for):
    for role in ("village_staff", "town_staff", "leader", "inspector"):
        client = client_for(users[role])
        for url in ("/notifications/channels/", "/notifications/rules/", "/notifications/outbox/",
                    "/notifications/channels/new/"):
            assert client.get(url).status_code == 403, (role, url)


def test_office_adds_tests_and_disables_a_robot(users, client_for, receivers):
    receiver = receivers("dingtalk", secret=SECRET)
    client = client_for(users["office"])
    village = unit(VILLAGE)
    bad = client.post("/notifications/channels/new/", {"kind": "dingtalk", "unit": village.pk, "name": "村群",
                                                       "url": "javascript:alert(1)", "events": ["round_published"]},
                      HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200
    assert "starting with https:// or http://" in bad.content.decode()
    assert Channel.objects.count() == 0
    response = client.post("/notifications/channels/new/", {
        "kind": "dingtalk", "unit": village.pk, "name": "大水䃎村工作群", "url": receiver.url(), "secret": SECRET,
        "events": ["round_published", "problem_dispatched"], "active": "on"})
    assert response.status_code == 303
    channel = Channel.objects.get()
    assert (channel.secret, channel.events, channel.active) == (SECRET, ["problem_dispatched", "round_published"],
                                                                True)
    listing = client.get("/notifications/channels/").content.decode()
    assert "大水䃎村工作群" in listing
    assert SECRET not in listing
    assert "…abcd" in listing
    form = client.get(f"/notifications/channels/{channel.pk}/").content.decode()
    assert SECRET not in form
    # Saving without a new secret keeps the stored one.
    client.post(f"/notifications/channels/{channel.pk}/", {
        "kind": "dingtalk", "unit": village.pk, "name": "大水䃎村群", "url": receiver.url(), "secret": "",
        "events": ["round_published"], "active": "on"})
    channel.refresh_from_db()
    assert (channel.name, channel.secret) == ("大水䃎村群", SECRET)
    assert client.post(f"/notifications/channels/{channel.pk}/action/", {"action": "test"}).status_code == 303
    assert outbox.deliver_all_due()["sent"] == 1
    assert len(receiver.received) == 1
    client.post(f"/notifications/channels/{channel.pk}/action/", {"action": "disable"})
    channel.refresh_from_db()
    assert channel.active is False
    actions = list(AuditEvent.objects.filter(object_type="robot").order_by("seq").values_list("action", flat=True))
    assert actions == ["notifications.robot_add", "notifications.robot", "notifications.robot_test",
                       "notifications.robot_active"]
    logged = json.dumps(list(AuditEvent.objects.filter(object_type="robot").values_list("before", "after")),
                        ensure_ascii=False)
    assert SECRET not in logged
    assert "access_token=test" not in logged


def test_outbox_page_filters_and_retries_a_failed_delivery(users, office, client_for, receivers):
    receiver = receivers("wecom", script=[404])
    channel = robot(office, receiver.url())
    announce(1)
    outbox.deliver_all_due()
    delivery = Delivery.objects.get(robot=channel)
    assert delivery.status == "failed"
    client = client_for(users["office"])
    page = client.get("/notifications/outbox/?status=failed", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-pk="{delivery.pk}"' in page
    assert "HTTP 404 Not Found" in page
    assert 'data-status="sent"' not in page.split('id="deliveries"')[1]
    response = client.post("/notifications/outbox/?status=failed", {"delivery": delivery.pk})
    assert response.status_code == 303
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert outbox.deliver_all_due()["sent"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert AuditEvent.objects.filter(action="notifications.retry", object_id=str(delivery.pk)).count() == 1


def test_rules_page_sets_and_removes_a_rule(users, client_for):
    client = client_for(users["office"])
    town = unit(TOWN)
    response = client.post("/notifications/rules/", {"action": "save", "event": "round_published", "unit": town.pk,
                                                     "role": "village_staff", "in_app": "on", "sms": "on"})
    assert response.status_code == 303
    rule = Rule.objects.get()
    assert (rule.event, rule.unit, rule.role, rule.in_app, rule.email, rule.sms) == (
        "round_published", town, "village_staff", True, False, True)
    assert "喜泉镇" in client.get("/notifications/rules/").content.decode()
    client.post("/notifications/rules/", {"action": "delete", "rule": rule.pk})
    assert Rule.objects.count() == 0
    assert list(AuditEvent.objects.filter(object_type="rule").order_by("seq").values_list("action", flat=True)) == [
        "notifications.rule", "notifications.rule_delete"]


def test_periodic_checks_do_not_fire_twice_in_a_period(db):
    from dudao.worker.jobs import Check
    from dudao.worker.runner import run_checks

    calls = []
    check = Check("test_check", dt.timedelta(hours=1), lambda now: calls.append(now) or "ok")
    t0 = timezone.now()
    assert run_checks(t0, [check]) == {"test_check": "ok"}
    assert run_checks(t0 + dt.timedelta(minutes=59), [check]) == {}
    assert run_checks(t0 + dt.timedelta(hours=1), [check]) == {"test_check": "ok"}
    assert calls == [t0, t0 + dt.timedelta(hours=1)]
    row = PeriodicCheck.objects.get(name="test_check")
    assert (row.started_at, row.outcome) == (t0 + dt.timedelta(hours=1), "ok")


# Senders that raise, leases, disabled robots, redirects and credentials -------------------------------------------


class CrashingGateway(channels.SmsBackend):
    """An SMS gateway class with a bug: raises what ``error`` says, not SmsError."""

    error: Exception = ConnectionError("gateway gone")

    def send(self, phone: str, text: str) -> None:
        raise self.error


def sms_user(users, office, phone: str = "13900000009") -> User:
    user = users["village_staff"]
    user.person = Person.objects.create(name="赵六", phone=phone)
    user.save()
    notification_services.rule_save(actor=office, event="problem_overdue", unit=None, role=Role.VILLAGE_STAFF, in_app=False,
                     email=False, sms=True)
    return user


@pytest.mark.parametrize(("error", "detail"), [
    (ConnectionError("gateway gone"), "ConnectionError: gateway gone"),
    (KeyError("token"), "KeyError: 'token'"),
])
def test_an_sms_gateway_raising_anything_is_a_retryable_attempt(users, office, settings, monkeypatch, error, detail):
    settings.SMS_BACKEND = "tests.test_notifications_outbox.CrashingGateway"
    monkeypatch.setattr(CrashingGateway, "error", error)
    assert channels.send_sms("13900000009", "x") == channels.Outcome(ok=False, retryable=True, code="sender_error",
                                                                     error=detail)
    user = sms_user(users, office)
    notify(recipients=[user], kind="problem_overdue", params={}, key="crash")
    now = timezone.now()
    counts = outbox.deliver_all_due(now=now)  # does not raise
    assert (counts["claimed"], counts["pending"]) == (1, 1)
    delivery = Delivery.objects.get(dedupe_key=f"crash:sms:u{user.pk}")
    assert (delivery.status, delivery.attempts, delivery.reason, delivery.reason_code, delivery.claimed_by,
            delivery.claimed_until, delivery.next_attempt_at) == (
        "pending", 1, detail, "sender_error", "", None, now + dt.timedelta(minutes=1))
    assert [(a.ok, a.retryable, a.code, a.error) for a in delivery.attempt_set.all()] == [
        (False, True, "sender_error", detail)]


def test_a_sender_that_raises_is_recorded_and_the_batch_goes_on(users, office, receivers, monkeypatch):
    receiver = receivers("wecom")
    broken = robot(office, f"http://127.0.0.1:{receiver.port}/broken?key=SECRETKEY")
    working = robot(office, receiver.url(), code=TOWN)
    village, town = unit(VILLAGE), unit(TOWN)
    publish(kind="problem_dispatched", key="boom", units=[(village, PARAMS, ""), (town, PARAMS, "")])
    send_wecom = channels.send_wecom

    def buggy(url: str, title: str, text: str) -> channels.Outcome:
        if "broken" in url:
            raise ValueError(f"unknown url type: {url!r}")
        return send_wecom(url, title, text)

    monkeypatch.setattr(channels, "send_wecom", buggy)
    counts = outbox.deliver_all_due()
    assert (counts["claimed"], counts["sent"], counts["pending"]) == (2, 1, 1)
    assert Delivery.objects.get(robot=working).status == "sent"
    failed = Delivery.objects.get(robot=broken)
    detail = f"ValueError: unknown url type: 'http://127.0.0.1:{receiver.port}/broken?key=…'"
    assert (failed.status, failed.attempts, failed.reason, failed.claimed_by) == ("pending", 1, detail, "")
    assert [(a.retryable, a.code, a.error) for a in failed.attempt_set.all()] == [(True, "sender_error", detail)]
    assert len(receiver.received) == 1


def test_an_email_sender_that_raises_is_a_retryable_attempt(users, settings):
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_BACKEND = "no_such_module.Backend"
    user = users["village_staff"]
    user.email = "v@example.test"
    user.save()
    notify(recipients=[user], kind="problem_overdue", params={}, key="mailcrash")
    counts = outbox.deliver_all_due()
    assert (counts["claimed"], counts["pending"]) == (1, 1)
    delivery = Delivery.objects.get(dedupe_key=f"mailcrash:email:u{user.pk}")
    detail = "ModuleNotFoundError: No module named 'no_such_module'"
    assert (delivery.status, delivery.attempts, delivery.reason, delivery.claimed_by) == ("pending", 1, detail, "")
    assert Notification.objects.get(pk=delivery.notification_id).email_error == detail


def test_the_delivery_task_claims_one_batch_at_a_time(users, office, monkeypatch):
    channel = robot(office, "http://127.0.0.1:9/hook?key=test")
    announce(5)
    ids = list(Delivery.objects.filter(robot=channel).order_by("pk").values_list("pk", flat=True))
    monkeypatch.setattr(outbox, "BATCH", 2)
    claimed_at_each_send = []

    def sender(url: str, title: str, text: str) -> channels.Outcome:
        claimed_at_each_send.append(Delivery.objects.filter(robot=channel).exclude(claimed_by="").count())
        return channels.SENT

    monkeypatch.setattr(channels, "send_wecom", sender)
    assert outbox.deliver.call(ids) == {"claimed": 5, "sent": 5}
    # Two claimed, sent one by one, then the next two, then the last: never all five under one lease.
    assert claimed_at_each_send == [2, 1, 2, 1, 1]
    assert outbox.deliver.call([]) == {"claimed": 0}


def test_each_lease_is_renewed_just_before_its_send(users, office, monkeypatch):
    channel = robot(office, "http://127.0.0.1:9/hook?key=test")
    announce(2)
    t0 = timezone.now()
    claimed = outbox.claim(now=t0)
    assert [d.claimed_until for d in claimed] == [t0 + outbox.LEASE] * 2
    leases = []

    def sender(url: str, title: str, text: str) -> channels.Outcome:
        leases.append(sorted(Delivery.objects.filter(robot=channel).values_list("claimed_until", flat=True),
                             key=lambda v: (v is None, v)))
        return channels.SENT

    monkeypatch.setattr(channels, "send_wecom", sender)
    later = t0 + dt.timedelta(minutes=9)
    assert outbox.send(claimed, now=later) == {"sent": 2}
    # The row being sent holds a fresh lease from the moment of its send; the other keeps its own.
    assert leases == [[t0 + outbox.LEASE, later + outbox.LEASE], [later + outbox.LEASE, None]]


def test_a_delivery_whose_claim_was_lost_is_neither_sent_nor_recorded(users, office, receivers):
    receiver = receivers("wecom")
    channel = robot(office, receiver.url())
    announce(3)
    t0 = timezone.now()
    mine = outbox.claim(now=t0)
    assert len(mine) == 3
    # This worker is slow: the lease runs out and another worker claims the second delivery.
    later = t0 + outbox.LEASE + dt.timedelta(seconds=1)
    theirs = outbox.claim(now=later, ids=[mine[1].pk])
    assert [d.pk for d in theirs] == [mine[1].pk]
    assert outbox.send(mine, now=later) == {"sent": 2, "lost": 1}
    second = Delivery.objects.get(pk=mine[1].pk)
    assert (second.status, second.attempts, second.claimed_by) == ("pending", 0, theirs[0].claimed_by)
    assert second.attempt_set.count() == 0
    assert outbox.send(theirs, now=later) == {"sent": 1}
    assert len(receiver.received) == 3
    assert len(set(receiver.texts())) == 3
    assert sorted((d.status, d.attempts) for d in Delivery.objects.filter(robot=channel)) == [("sent", 1)] * 3
    assert Attempt.objects.filter(delivery__robot=channel).count() == 3


def test_record_stores_no_attempt_when_the_claim_was_lost(users, office):
    channel = robot(office, "http://127.0.0.1:9/hook")
    announce(1)
    [delivery] = outbox.claim(now=timezone.now())
    Delivery.objects.filter(pk=delivery.pk).update(claimed_by="another-worker")
    assert outbox.record(delivery, channels.SENT, at=timezone.now(), duration=0.1) == "lost"
    row = Delivery.objects.get(robot=channel)
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, "another-worker")
    assert Attempt.objects.filter(delivery=row).count() == 0


def test_a_disabled_robot_gets_none_of_its_queued_messages(users, office, receivers):
    receiver = receivers("wecom", script=[500])
    channel = robot(office, receiver.url())
    announce(2)
    t0 = timezone.now()
    counts = outbox.deliver_all_due(now=t0)
    assert (counts["sent"], counts["pending"]) == (1, 1)  # the first answer is a 500: it waits for a retry
    notification_services.channel_set_active(actor=office, channel=channel, active=False)
    announce(1, key="after")  # stored while disabled: not for this robot at all
    assert outbox.deliver_all_due(now=t0 + dt.timedelta(minutes=1)) == {
        "claimed": 1, "skipped": 1, "sent": 0, "pending": 0, "failed": 0}
    assert len(receiver.received) == 1
    waiting = Delivery.objects.get(robot=channel, attempts=1, status="skipped")
    assert (waiting.reason, waiting.reason_code, waiting.next_attempt_at, waiting.claimed_by) == (
        "robot disabled", "robot_disabled", None, "")
    assert waiting.attempt_set.count() == 1  # the 500; the skip is no attempt
    assert not Delivery.objects.filter(dedupe_key__startswith="after").exists()
    # A test message queued before it was disabled is skipped too.
    test = Delivery.objects.create(event="test", medium="wecom", robot=channel, title="t", body="b",
                                   created_at=t0, next_attempt_at=t0, dedupe_key="test:disabled")
    assert outbox.deliver.call([test.pk]) == {"claimed": 1, "skipped": 1}
    test.refresh_from_db()
    assert (test.status, test.reason, test.attempts) == ("skipped", "robot disabled", 0)


class RawServer:
    """An HTTP server on loopback that answers every request with a fixed status, headers and body, and records
    (method, path) of each request."""

    def __init__(self, status: int, body: bytes = b"", headers: dict | None = None):
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.requests.append((self.command, self.path))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirecting_robot_address_is_not_followed(users, office, status):
    inside = RawServer(200, b'{"errcode": 0, "errmsg": "ok", "page": "intranet secrets"}')
    redirecting = RawServer(status, headers={"Location": f"http://127.0.0.1:{inside.port}/admin"})
    try:
        outcome = channels.send_wecom(f"http://127.0.0.1:{redirecting.port}/hook?key=test", "t", "x")
        channel = robot(office, f"http://127.0.0.1:{redirecting.port}/hook?key=test")
        announce(1)
        counts = outbox.deliver_all_due()
    finally:
        inside.stop()
        redirecting.stop()
    assert outcome == channels.Outcome(ok=False, retryable=False, code="redirect", http_status=status,
                                       error=f"the robot address redirects (HTTP {status})")
    assert inside.requests == []
    assert [method for method, _path in redirecting.requests] == ["POST", "POST"]
    assert (counts["failed"], counts["pending"]) == (1, 0)
    delivery = Delivery.objects.get(robot=channel)
    assert (delivery.status, delivery.reason, delivery.reason_code) == (
        "failed", f"the robot address redirects (HTTP {status})", "redirect")
    assert [(a.http_status, a.response) for a in delivery.attempt_set.all()] == [(status, "")]


@pytest.mark.parametrize(("status", "body", "response"), [
    (200, json.dumps({"errcode": 0, "errmsg": "ok", "extra": "x" * 2000}).encode(), '{"errcode": 0, "errmsg": "ok"}'),
    (200, b'{"errcode": 93000, "errmsg": "invalid webhook url", "hint": "<secret>"}',
     '{"errcode": 93000, "errmsg": "invalid webhook url"}'),
    (200, b"<html>an intranet page</html>", ""),
    (500, b"<html>stack trace with secrets</html>", ""),
    (404, b'{"errmsg": "not found", "path": "/internal"}', '{"errmsg": "not found"}'),
])
def test_only_a_summary_of_the_answer_is_kept(status, body, response):
    server = RawServer(status, body, {"Content-Type": "application/json"})
    try:
        outcome = channels.send_wecom(f"http://127.0.0.1:{server.port}/hook?key=test", "t", "x")
    finally:
        server.stop()
    assert outcome.response == response


def test_errors_never_name_the_webhook_address():
    cases = {
        "ftp://example.test/hook?key=SECRETKEY": "invalid webhook address: not http(s) with a host",
        "http:///nohost?key=SECRETKEY": "invalid webhook address: not http(s) with a host",
        "http://127.0.0.1:abc/hook?key=SECRETKEY": "invalid webhook address (InvalidURL)",
        "http://127.0.0.1:9/hook?key=SECRET KEY": "invalid webhook address (InvalidURL)",
    }
    for url, error in cases.items():
        outcome = channels.send_wecom(url, "t", "x")
        assert (outcome.ok, outcome.retryable, outcome.code, outcome.error) == (False, False, "invalid_address",
                                                                                error), url
    assert channels.redacted_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY&debug=1") == (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…&debug=…")


def test_the_robot_edit_page_shows_the_address_without_its_key(users, client_for, receivers):
    receiver = receivers("wecom")
    client = client_for(users["office"])
    village = unit(VILLAGE)
    full = f"http://127.0.0.1:{receiver.port}/cgi-bin/webhook/send?key=SECRETKEY"
    shown = f"http://127.0.0.1:{receiver.port}/cgi-bin/webhook/send?key=…"
    channel = robot(users["office"], full)
    page = client.get(f"/notifications/channels/{channel.pk}/").content.decode()
    assert "SECRETKEY" not in page
    assert f'value="{shown}"' in page
    fields = {"kind": "wecom", "unit": village.pk, "name": "村群", "events": ["round_published"], "active": "on"}
    # Left as shown, or emptied: the stored address is kept.
    for url in (shown, ""):
        assert client.post(f"/notifications/channels/{channel.pk}/", fields | {"url": url}).status_code == 303
        channel.refresh_from_db()
        assert (channel.name, channel.url) == ("村群", full)
    # A whole new address replaces it.
    new = f"http://127.0.0.1:{receiver.port}/cgi-bin/webhook/send?key=NEWKEY"
    assert client.post(f"/notifications/channels/{channel.pk}/", fields | {"url": new}).status_code == 303
    channel.refresh_from_db()
    assert channel.url == new
    # The shown address with its host changed but the key still hidden is refused, not stored with "…" in it.
    moved = f"http://127.0.0.2:{receiver.port}/cgi-bin/webhook/send?key=…"
    response = client.post(f"/notifications/channels/{channel.pk}/", fields | {"url": moved}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "its key included" in response.content.decode()
    channel.refresh_from_db()
    assert channel.url == new
    # A new robot needs its address.
    response = client.post("/notifications/channels/new/", fields | {"url": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'id="error-url"' in response.content.decode()


def test_non_numeric_ids_are_not_found(users, client_for):
    client = client_for(users["office"])
    for value in ("abc", "1e3", "", "-1", "١", "9" * 30):
        assert client.post("/notifications/rules/", {"action": "delete", "rule": value}).status_code == 404, value
        assert client.post("/notifications/outbox/", {"delivery": value}).status_code == 404, value


def test_every_failure_code_has_a_label():
    import inspect
    import re

    sources = inspect.getsource(channels) + inspect.getsource(outbox)
    used = set(re.findall(r'\bcode(?:=|, text = )"([a-z_]+)"', sources))
    assert used >= {"connection_refused", "timeout", "redirect", "sender_error", "robot_disabled", "invalid_address"}
    assert used <= set(channels.REASONS)


def test_the_outbox_page_shows_translated_labels_and_the_english_detail(users, office, client_for, monkeypatch):
    port = free_port()
    channel = robot(office, f"http://127.0.0.1:{port}/hook?key=test")
    announce(1)
    monkeypatch.setattr(outbox, "BACKOFF_MINUTES", (1,))
    monkeypatch.setattr(outbox, "MAX_ATTEMPTS", 2)
    t0 = timezone.now()
    outbox.deliver_all_due(now=t0)
    outbox.deliver_all_due(now=t0 + dt.timedelta(minutes=1))
    delivery = Delivery.objects.get(robot=channel)
    refused = f"connection refused (127.0.0.1:{port})"
    assert (delivery.status, delivery.reason, delivery.reason_code) == (
        "failed", f"gave up after 2 attempts: {refused}", "connection_refused")
    client = client_for(users["office"])
    for language in ("en", "zh-hans"):
        page = client.get("/notifications/outbox/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        row = page.split(f'data-pk="{delivery.pk}"')[1].split("</tr>")[0]
        with translation.override(language):
            event = str(kinds.labels()["problem_dispatched"])
            label = translation.gettext("connection refused")
            gave_up = translation.gettext("gave up after %(attempts)s attempts: %(reason)s") % {
                "attempts": 2, "reason": label}
            recipient = translation.gettext("recipient")
        assert f'<td class="event" data-event="problem_dispatched">{event}</td>' in row
        assert f'<small class="reason">{gave_up}</small>' in row
        assert f'<small class="muted reason-detail" lang="en">gave up after 2 attempts: {refused}</small>' in row
        assert row.count(f'<span class="error">{label}</span> <span class="muted" lang="en">({refused})</span>') == 2
        assert f"<th>{recipient}</th>" in page
    page = client.get("/notifications/outbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<th>to</th>" not in page
    assert "<th>recipient</th>" in page
    with translation.override("zh-hans"):
        assert translation.gettext("problem dispatched") != "problem dispatched"  # the event name is translated


def test_rescheduling_back_to_an_earlier_time_and_place_tells_everyone_again(users, office, receivers, settings):
    from dudao.interviews import services as interviews

    settings.LANGUAGE_CODE = "en"
    receiver = receivers("wecom")
    publish_round()
    interview = Interview.objects.filter(round__week=WEEK, person__isnull=False, vacant=False,
                                         unit__level="village").order_by("pk").first()
    assert interview is not None
    Interview.objects.filter(pk=interview.pk).update(status="pending", scheduled_for=None, place="", interviewer="")
    interview.refresh_from_db()
    village_robot = robot(office, receiver.url(), code=interview.unit.code)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    first = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(9, 30)))
    second = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(15, 0)))
    interviews.interview_schedule(actor=office, interview=interview, scheduled_for=first, place="县委三楼会议室",
                                  interviewer="县委副书记")
    interviews.interview_reschedule(actor=office, interview=interview, scheduled_for=second, place="县政府会议室",
                                    interviewer="县委副书记")
    interviews.interview_reschedule(actor=office, interview=interview, scheduled_for=first, place="县委三楼会议室",
                                    interviewer="县委副书记")  # back to the first time and place
    told = Delivery.objects.filter(event="interview_scheduled", robot=village_robot).order_by("pk")
    assert [d.body.split("Scheduled for ")[1].split("\n")[0] for d in told] == [
        f"{tomorrow.isoformat()} 09:30 at 县委三楼会议室.",
        f"{tomorrow.isoformat()} 15:00 at 县政府会议室.",
        f"{tomorrow.isoformat()} 09:30 at 县委三楼会议室."]
    seqs = list(AuditEvent.objects.filter(object_type="interview", object_id=str(interview.pk),
                                          action__in=["interview.schedule", "interview.reschedule"])
                .order_by("seq").values_list("seq", flat=True))
    assert [d.dedupe_key.split(":")[2] for d in told] == [f"a{seq}" for seq in seqs]
    office_told = Notification.objects.filter(kind="interview_scheduled", recipient=office,
                                              dedupe_key__startswith=f"interview_scheduled:{interview.pk}:")
    assert office_told.count() == 3
    # The trigger heard again for the same transition stores nothing new.
    interview.refresh_from_db()
    interview_scheduled(interview)
    assert told.count() == 3
    outbox.deliver_all_due()
    assert len(receiver.received) == 3


def test_a_database_error_mid_batch_never_sends_a_delivery_twice(users, office, receivers, monkeypatch):
    from django.db import OperationalError

    receiver = receivers("wecom")
    channel = robot(office, receiver.url())
    announce(3)
    record = outbox.record
    recorded = []

    def database_lost_at_the_second(delivery, outcome, **kwargs):
        recorded.append(delivery.pk)
        if len(recorded) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return record(delivery, outcome, **kwargs)

    monkeypatch.setattr(outbox, "record", database_lost_at_the_second)
    t0 = timezone.now()
    with pytest.raises(OperationalError):
        outbox.deliver_all_due(now=t0)
    assert len(receiver.received) == 2  # the first sent and recorded, the second sent and not recorded
    monkeypatch.setattr(outbox, "record", record)
    assert outbox.deliver_all_due(now=t0) == {"claimed": 0, "sent": 0, "pending": 0, "failed": 0}  # all still held
    later = t0 + outbox.LEASE + dt.timedelta(seconds=1)
    assert outbox.deliver_all_due(now=later) == {"claimed": 1, "sent": 1, "pending": 0, "failed": 0}
    assert len(receiver.received) == 3
    assert len(set(receiver.texts())) == 3  # the third sent once; the second never again
    rows = Delivery.objects.filter(robot=channel).order_by("pk")
    assert [(d.status, d.reason_code, d.attempts, d.sending_at) for d in rows] == [
        ("sent", "", 1, None), ("failed", "outcome_unknown", 1, None), ("sent", "", 1, None)]
    unknown = rows[1]
    assert unknown.reason == (f"sending began at {t0.isoformat()} and its outcome was never recorded (the worker or "
                              "the database failed); not sent again")
    assert [(a.ok, a.retryable, a.code, a.at) for a in unknown.attempt_set.all()] == [
        (False, False, "outcome_unknown", t0)]
    with translation.override("en"):
        assert channels.reason_label(unknown.reason_code) == (
            "sending began but its outcome was never recorded; not sent again, so that it is not sent twice "
            "(retry it if it did not arrive)")
    # Settled once: a second look changes nothing; the office's retry sends it again, by hand.
    assert outbox.settle_unknown(later) == 0
    assert outbox.delivery_retry_now(unknown, now=later)
    assert outbox.deliver_all_due(now=later)["sent"] == 1
    assert len(receiver.received) == 4
