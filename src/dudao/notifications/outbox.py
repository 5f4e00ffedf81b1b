"""The delivery engine: sends what the outbox holds, with retries and back-off, and records every attempt.

How a delivery is sent exactly once, as far as a sender can know:

1. **Claim** (a short transaction): due pending deliveries are picked (``select_for_update(skip_locked=True)``
   on PostgreSQL; SQLite has one writer at a time anyway) and claimed with a conditional UPDATE that sets
   ``claimed_by`` to a token of this call and ``claimed_until`` to now + LEASE. A row another worker holds is
   neither picked nor claimed, so two workers never send the same delivery.
2. **Send** outside any transaction: no database lock is held while a webhook or SMTP server takes its time
   (on SQLite a write lock held for seconds would stall every page). Just before each delivery is sent its
   lease is renewed (now + LEASE) and ``sending_at`` set, with a conditional UPDATE (committed) that only
   succeeds while the claim is still this call's; a delivery whose claim was lost (another worker took it after
   the lease ran out) is not sent. So a lease has to outlast one send (a webhook's TIMEOUT, an SMTP server's
   EMAIL_TIMEOUT), not a whole batch of slow ones. A robot disabled since the delivery was stored is skipped
   ("robot disabled"), not sent.
3. **Record** (one short transaction per delivery): the Attempt, and the new status (sent; pending with the
   next attempt's time; failed), releasing the claim and clearing ``sending_at`` — only while the claim is
   still this call's: a caller that lost its claim records nothing.

Any exception a sender raises is a retryable failure, recorded like any other: no delivery stays claimed and
unattempted because its sender crashed, and the worker carries on.

A crash or a database error between 2 and 3 (mid-batch: the deliveries already recorded stay recorded, those
not yet begun are claimed again when the lease runs out) leaves one delivery whose send began and whose outcome
nobody knows: its ``sending_at`` is set. It is never sent again: when its claim runs out it is settled as failed
with the reason "outcome unknown" (``settle_unknown``), shown on the outbox page, where the office can send it
again by hand. So a delivery is sent at most once unless someone asks for more: a retry only follows an attempt
whose failure was recorded.

The ``deliver`` task is queued in the transaction that stores the deliveries, so it runs promptly after the
cause commits; the worker's sweep (``deliver_due``) every few seconds is the guarantee when a task is lost.
"""

import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from dudao.notifications import channels
from dudao.notifications.channels import Outcome, crashed
from dudao.notifications.models import Attempt, Delivery, Medium, Notification, Status

log = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, … failed attempt; after the last one the delivery is given up (failed).
# 12 attempts over 25 h 48 min: a webhook down for a day still gets its messages.
BACKOFF_MINUTES = (1, 2, 5, 10, 30, 60, 120, 240, 360, 360, 360)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
LEASE = dt.timedelta(minutes=10)
BATCH = 100
LOST = "lost"  # what record() and send() count for a delivery whose claim another worker took


def retry_delay(attempts: int) -> dt.timedelta | None:
    """The wait after the ``attempts``-th failed attempt, or None when that was the last one."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return dt.timedelta(minutes=BACKOFF_MINUTES[attempts - 1])


def due(now: dt.datetime):
    return (Delivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now, sending_at__isnull=True)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)))


def settle_unknown(now: dt.datetime) -> int:
    """Fail, with the reason "outcome unknown", the deliveries whose send began under a claim that ran out before
    their outcome was recorded (see the module's docstring); how many. Each is settled once, by one caller."""
    settled = 0
    begun = Delivery.objects.filter(status=Status.PENDING, sending_at__isnull=False, claimed_until__lte=now)
    for delivery in begun.only("pk", "claimed_by", "sending_at", "attempts"):
        began = delivery.sending_at or now  # never None here: the query asked for a set sending_at
        error = (f"sending began at {began.isoformat()} and its outcome was never recorded (the worker "
                 "or the database failed); not sent again")
        with transaction.atomic():
            updated = Delivery.objects.filter(
                pk=delivery.pk, status=Status.PENDING, claimed_by=delivery.claimed_by,
                sending_at=delivery.sending_at).update(
                status=Status.FAILED, reason=error, reason_code="outcome_unknown", attempts=delivery.attempts + 1,
                next_attempt_at=None, claimed_by="", claimed_until=None, sending_at=None)
            if updated:
                Attempt.objects.create(delivery=delivery, at=began, ok=False, retryable=False,
                                       error=error, code="outcome_unknown")
        if updated:
            settled += 1
            log.warning("delivery %s: %s", delivery.pk, error)
    return settled


def claim(*, now: dt.datetime, limit: int = BATCH, ids: list[int] | None = None) -> list[Delivery]:
    """Claim up to ``limit`` due deliveries for this caller (see the module's docstring); first settle those
    whose outcome is unknown."""
    settle_unknown(now)
    token = uuid.uuid4().hex
    with transaction.atomic():
        rows = due(now)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        rows = rows.order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        picked = list(rows.values_list("pk", flat=True)[:limit])
        if not picked:
            return []
        due(now).filter(pk__in=picked).update(claimed_by=token, claimed_until=now + LEASE)
    return list(Delivery.objects.filter(claimed_by=token).select_related("robot").order_by("next_attempt_at", "pk"))


def record(delivery: Delivery, outcome: Outcome, *, at: dt.datetime, duration: float) -> str:
    """Store the attempt and the delivery's new status, while the claim is still this caller's; the status
    ("lost" when the claim was lost: nothing is stored)."""
    attempts = delivery.attempts + 1
    changes: dict = {"attempts": attempts, "claimed_by": "", "claimed_until": None, "sending_at": None}
    if outcome.ok:
        changes |= {"status": Status.SENT, "sent_at": at, "reason": "", "reason_code": "", "next_attempt_at": None}
    else:
        delay = retry_delay(attempts) if outcome.retryable else None
        changes["reason_code"] = outcome.code
        if delay is not None:
            changes |= {"status": Status.PENDING, "next_attempt_at": at + delay, "reason": outcome.error[:500]}
        else:
            reason = outcome.error
            if outcome.retryable:
                reason = f"gave up after {attempts} attempts: {outcome.error}"
            changes |= {"status": Status.FAILED, "next_attempt_at": None, "reason": reason[:500]}
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, claimed_by=delivery.claimed_by).update(**changes)
        if updated:
            Attempt.objects.create(delivery=delivery, at=at, duration_ms=max(0, round(duration * 1000)),
                                   ok=outcome.ok, retryable=outcome.retryable, error=outcome.error[:500],
                                   code=outcome.code, http_status=outcome.http_status or None,
                                   errcode=outcome.errcode, response=outcome.response[:500])
            if delivery.medium == Medium.EMAIL and delivery.notification_id:
                Notification.objects.filter(pk=delivery.notification_id).update(
                    emailed_at=at if outcome.ok else None, email_error="" if outcome.ok else outcome.error[:500])
    if not updated:
        log.warning("delivery %s: the claim was lost before the attempt was recorded (%s)", delivery.pk,
                    "sent" if outcome.ok else outcome.error)
        return LOST
    level = logging.INFO if outcome.ok else logging.WARNING
    log.log(level, "delivery %s (%s %s): %s%s", delivery.pk, delivery.medium, delivery.target or delivery.robot,
            changes["status"], f" — {outcome.error}" if outcome.error else "")
    return changes["status"]


def renew(delivery: Delivery, now: dt.datetime | None = None) -> bool:
    """Renew the claim's lease and mark the send as begun, just before the delivery is sent; False when the claim
    is no longer this caller's (it ran out and another worker took the delivery): then it must not be sent."""
    now = now or timezone.now()
    return bool(Delivery.objects.filter(pk=delivery.pk, claimed_by=delivery.claimed_by, status=Status.PENDING)
                .update(claimed_until=now + LEASE, sending_at=now))


def skip(delivery: Delivery, *, code: str, reason: str) -> str:
    """Give a claimed delivery up without sending it (its robot was disabled): skipped, with the reason."""
    updated = Delivery.objects.filter(pk=delivery.pk, claimed_by=delivery.claimed_by).update(
        status=Status.SKIPPED, reason=reason, reason_code=code, next_attempt_at=None, claimed_by="",
        claimed_until=None)
    if not updated:
        return LOST
    log.info("delivery %s (%s %s): skipped — %s", delivery.pk, delivery.medium, delivery.robot, reason)
    return Status.SKIPPED


def release(deliveries: list[Delivery]) -> None:
    """Give back claimed deliveries that were not tried (the worker is stopping)."""
    for delivery in deliveries:
        Delivery.objects.filter(pk=delivery.pk, claimed_by=delivery.claimed_by).update(claimed_by="",
                                                                                      claimed_until=None)


def _send_one(delivery: Delivery) -> Outcome:
    if delivery.medium == Medium.WECOM and delivery.robot is not None:
        return channels.send_wecom(delivery.robot.url, delivery.title, delivery.body)
    if delivery.medium == Medium.DINGTALK and delivery.robot is not None:
        return channels.send_dingtalk(delivery.robot.url, delivery.robot.secret, delivery.title, delivery.body)
    if delivery.medium == Medium.SMS:
        return channels.send_sms(delivery.target, delivery.body)
    return Outcome(ok=False, code="unsupported", error=f"cannot send a {delivery.medium} delivery")


def _guarded_send(delivery: Delivery) -> Outcome:
    """Send one delivery; whatever its sender raises is a retryable failure, never the worker's end."""
    try:
        return _send_one(delivery)
    except Exception as error:  # noqa: BLE001 (recorded as a failed attempt and retried)
        log.exception("delivery %s: the %s sender raised", delivery.pk, delivery.medium)
        return crashed(error, redact=delivery.robot.url if delivery.robot is not None else "")


def send(deliveries: list[Delivery], *, now: dt.datetime | None = None,
         stop: Callable[[], bool] | None = None) -> Counter:
    """Send claimed deliveries and record each attempt; e-mails share one SMTP connection. Each delivery's lease
    is renewed just before it is sent; one whose claim was lost is neither sent nor recorded ("lost")."""
    counts: Counter = Counter()
    emails = [d for d in deliveries if d.medium == Medium.EMAIL]
    others = [d for d in deliveries if d.medium != Medium.EMAIL]
    for position, delivery in enumerate(others):
        if stop is not None and stop():
            release(others[position:] + emails)
            return counts
        if delivery.robot is not None and not delivery.robot.active:
            counts[skip(delivery, code="robot_disabled", reason="robot disabled")] += 1
            continue
        if not renew(delivery, now):
            log.warning("delivery %s: the claim was lost before it was sent; not sent", delivery.pk)
            counts[LOST] += 1
            continue
        started = time.monotonic()
        outcome = _guarded_send(delivery)
        counts[record(delivery, outcome, at=now or timezone.now(), duration=time.monotonic() - started)] += 1
    if emails:
        counts.update(_send_emails(emails, now=now))
    return counts


def _send_emails(emails: list[Delivery], *, now: dt.datetime | None) -> Counter:
    counts: Counter = Counter()
    renewed: set[int] = set()

    def ready(position: int) -> bool:
        if renew(emails[position], now):
            renewed.add(position)
            return True
        log.warning("delivery %s: the claim was lost before it was sent; not sent", emails[position].pk)
        return False

    started = time.monotonic()
    outcomes = channels.send_emails([(d.target, d.title, d.body) for d in emails], ready)
    for position, delivery in enumerate(emails):
        try:
            outcome = next(outcomes)
        except Exception as error:  # noqa: BLE001 (the connection could not even be set up: all retried)
            log.exception("e-mail sender raised")
            failed = crashed(error)
            for rest in emails[position:]:
                counts[record(rest, failed, at=now or timezone.now(), duration=time.monotonic() - started)] += 1
            return counts
        if outcome is None:
            counts[LOST] += 1
        else:
            counts[record(delivery, outcome, at=now or timezone.now(), duration=time.monotonic() - started)] += 1
        started = time.monotonic()
    return counts


def deliver_due(*, now: dt.datetime | None = None, limit: int = BATCH, ids: list[int] | None = None,
                stop: Callable[[], bool] | None = None) -> Counter:
    """Send up to ``limit`` due deliveries (only those of ``ids`` when given); counts by new status."""
    claimed = claim(now=now or timezone.now(), limit=limit, ids=ids)
    counts = send(claimed, now=now, stop=stop)
    counts["claimed"] = len(claimed)
    return counts


def deliver_all_due(*, now: dt.datetime | None = None, stop: Callable[[], bool] | None = None) -> Counter:
    """Send everything that is due, batch after batch."""
    total: Counter = Counter()
    while stop is None or not stop():
        counts = deliver_due(now=now, stop=stop)
        total.update(counts)
        if counts["claimed"] < BATCH:
            break
    for name in ("sent", "pending", "failed"):
        total.setdefault(name, 0)
    return total


@task()
def deliver(ids: list[int]) -> dict:
    """Queued with the deliveries it names, in their cause's transaction: send them now, BATCH at a time (each
    batch claimed when its turn comes, each delivery's lease renewed just before it is sent)."""
    counts: Counter = Counter(claimed=0)
    for start in range(0, len(ids), BATCH):
        counts.update(deliver_due(ids=ids[start:start + BATCH], limit=BATCH))
    return dict(counts)


def enqueue(ids: list[int]) -> None:
    """Queue the delivery task (call inside the transaction that stored the deliveries)."""
    deliver.enqueue(ids)


def delivery_retry_now(delivery: Delivery, now: dt.datetime | None = None) -> bool:
    """Put a failed delivery back in the queue for one more attempt now (the office's "retry now")."""
    now = now or timezone.now()
    updated = Delivery.objects.filter(pk=delivery.pk, status=Status.FAILED).update(
        status=Status.PENDING, next_attempt_at=now, claimed_by="", claimed_until=None, sending_at=None)
    if updated:
        enqueue([delivery.pk])
    return bool(updated)
