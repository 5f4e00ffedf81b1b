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
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.accounts.services import user_save
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.tables import write_csv
from dudao.notifications import channels, config, outbox, triggers
from dudao.notifications.models import Attempt, Channel, Delivery, Notification, PeriodicCheck, Rule
from dudao.notifications.services import notify, publish
from dudao.org.models import Person, Unit
from dudao.ranking import services as ranking
from dudao.ranking.models import Interview, Submission

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


@pytest.fixture
def office(users):
    return users["office"]


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def robot(office, url: str, *, kind: str = "wecom", code: str = VILLAGE, secret: str = "",
          events=("problem_dispatched", "problem_overdue", "round_published", "interview_scheduled",
                  "ranking_deadline")) -> Channel:
    return config.channel_save(actor=office, kind=kind, unit=unit(code), name=f"{kind} {code}", url=url,
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
    config.rule_save(actor=office, event="problem_overdue", unit=None, role=Role.VILLAGE_STAFF, in_app=False,
                     email=False, sms=True)
    settings.LANGUAGE_CODE = "en"
    notify(recipients=[village_user, town_user], kind="problem_overdue", params=PARAMS, key="a",
           link="/problems/42/")
    assert sorted(Delivery.objects.filter(dedupe_key__startswith="a:").values_list("dedupe_key", "status")) == [
        (f"a:email:u{town_user.pk}", "skipped"), (f"a:sms:u{village_user.pk}", "pending")]
    assert list(Notification.objects.filter(dedupe_key__startswith="a:").values_list("recipient__username",
                                                                                       flat=True)) == ["demo_town"]
    config.rule_save(actor=office, event="problem_overdue", unit=unit(TOWN), role=Role.VILLAGE_STAFF, in_app=True,
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
    config.rule_save(actor=office, event="problem_overdue", unit=None, role=Role.VILLAGE_STAFF, in_app=True,
                     email=False, sms=True)
    config.rule_save(actor=office, event="problem_overdue", unit=None, role=Role.TOWN_STAFF, in_app=True,
                     email=False, sms=True)
    town_user = users["town_staff"]
    town_user.person = Person.objects.create(name="李四", phone="13900000002")
    town_user.save()
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
    config.rule_save(actor=office, event="problem_overdue", unit=None, role=Role.VILLAGE_STAFF, in_app=False,
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
    return ranking.ranking_publish(actor=SYSTEM, campaign=campaign, week=week)


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
    triggers.round_published(round_)  # again: nothing new
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
    triggers.interview_scheduled(interview)
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
    triggers.interview_scheduled(interview)  # the same schedule again: nothing new
    assert Delivery.objects.filter(event="interview_scheduled", robot__isnull=False).count() == 2
    interview.scheduled_for += dt.timedelta(days=1)  # rescheduled: told again
    triggers.interview_scheduled(interview)
    assert Delivery.objects.filter(event="interview_scheduled", robot__isnull=False).count() == 4


def test_township_deadline_reminder_once_per_town_and_week(users, office, receivers, settings):
    settings.LANGUAGE_CODE = "en"
    receiver = receivers("wecom")
    town_robot = robot(office, receiver.url(), code=TOWN)
    week = "2027-W10"  # no round yet: no township has submitted
    friday_noon = timezone.make_aware(dt.datetime(2027, 3, 12, 12, 0))
    assert triggers.ranking_deadline_approaching(now=friday_noon - dt.timedelta(hours=25), hours=24) == []
    towns = triggers.ranking_deadline_approaching(now=friday_noon - dt.timedelta(hours=23), hours=24)
    # Every township that has someone to tell (staff or a robot): here 喜泉镇 only.
    assert [t.code for t in towns] == [TOWN]
    notification = Notification.objects.get(kind="ranking_deadline", recipient=users["town_staff"])
    assert notification.params == {"week": week, "town": "喜泉镇", "code": TOWN, "deadline": "2027-03-12 12:00"}
    delivery = Delivery.objects.get(event="ranking_deadline", robot=town_robot)
    assert delivery.title == f"The township ranking of week {week} is due by 2027-03-12 12:00"
    # Once per township and week, however often the check runs.
    assert triggers.ranking_deadline_approaching(now=friday_noon - dt.timedelta(hours=1), hours=24) == []
    assert triggers.ranking_deadline_approaching(now=friday_noon, hours=24) == []  # the deadline has passed
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
    towns = triggers.ranking_deadline_approaching(now=friday, hours=24)
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
    from dudao.notifications.worker import Check, run_checks

    calls = []
    check = Check("test_check", dt.timedelta(hours=1), lambda now: calls.append(now) or "ok")
    t0 = timezone.now()
    assert run_checks(t0, [check]) == {"test_check": "ok"}
    assert run_checks(t0 + dt.timedelta(minutes=59), [check]) == {}
    assert run_checks(t0 + dt.timedelta(hours=1), [check]) == {"test_check": "ok"}
    assert calls == [t0, t0 + dt.timedelta(hours=1)]
    row = PeriodicCheck.objects.get(name="test_check")
    assert (row.started_at, row.outcome) == (t0 + dt.timedelta(hours=1), "ok")
