"""Who is told what, and where: in-app notifications and the transactional outbox - the one door through which
every app tells people of its events. An app says what it sends and when (its ``notices`` module registers the
kinds, dudao.notifications.kinds, and calls ``publish`` or ``notify`` in the transaction of the cause); this module
knows no domain.

An event is stored in the transaction of its cause: one Notification per recipient who reads it in the app, and
one Delivery per e-mail, SMS and group-robot message (dudao.notifications.outbox sends those, with retries). The
channels a recipient gets come from the rules (Rule: event × unit × role); without a rule, in-app and e-mail.

The office's changes (group robots, rules, test messages, retries) are here too: each atomic, checking the
actor's rights, audit-logged; a robot's secret never enters the log.
"""

import dataclasses
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from dudao.accounts import access
from dudao.accounts.models import Role, User
from dudao.audit.services import audit_record
from dudao.core.errors import Refused
from dudao.notifications import kinds, outbox
from dudao.notifications.channels import markdown_inert, redacted_url, robot_address_problem
from dudao.notifications.models import Channel, Delivery, Medium, Notification, Rule, Status
from dudao.notifications.notices import TEST
from dudao.org.models import Unit

log = logging.getLogger(__name__)

WECOM_MARKDOWN_BYTES = 4096


def render_message(kind: str, params: dict) -> tuple[str, str]:
    """Title and body of an event in the active language (the kind's own wording, registered by its app)."""
    return kinds.render(kind, params)


def render(notification: Notification) -> tuple[str, str]:
    """Title and body of an in-app notification in the active language."""
    return render_message(notification.kind, notification.params)


def unit_staff(*units: Unit | None) -> list[User]:
    """The active accounts of the villages' and townships' own staff."""
    ids = [u.pk for u in units if u is not None]
    return list(User.objects.filter(is_active=True, scope_unit_id__in=ids,
                                    role__in=[Role.TOWN_STAFF, Role.VILLAGE_STAFF])
                .select_related("scope_unit", "person").order_by("pk"))


def office_users() -> list[User]:
    return list(User.objects.filter(is_active=True, role=Role.OFFICE).select_related("scope_unit", "person")
                .order_by("pk"))


# Rules -----------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Media:
    in_app: bool = True
    email: bool = True
    sms: bool = False


DEFAULT_MEDIA = Media()


class Rules:
    """The rules of one event, resolved for accounts: the rule of the account's own unit, else of the nearest
    unit above it, else the rule for everywhere, else the default (in-app and e-mail)."""

    def __init__(self, event: str) -> None:
        self.by_place: dict[tuple[str | None, str], Media] = {
            (rule.unit.code if rule.unit else None, rule.role): Media(rule.in_app, rule.email, rule.sms)
            for rule in Rule.objects.filter(event=event).select_related("unit")}

    def media_for(self, user: User) -> Media:
        if not self.by_place:
            return DEFAULT_MEDIA
        unit = user.scope_unit
        codes = [c for c in unit.path.split("/") if c] if unit is not None else []
        for code in reversed(codes):
            if (code, user.role) in self.by_place:
                return self.by_place[(code, user.role)]
        return self.by_place.get((None, user.role), DEFAULT_MEDIA)


# Writing an event ------------------------------------------------------------------------------------------------


def email_enabled() -> bool:
    return bool(settings.EMAIL_HOST)


def sms_enabled() -> bool:
    return bool(getattr(settings, "SMS_BACKEND", ""))


def _absolute(link: str) -> str:
    return settings.SITE_URL + link if link and link.startswith("/") else link


def _truncate_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit - 3].decode("utf-8", errors="ignore") + "…"


def _inert(value):
    """A message parameter made inert for a robot's markdown (strings, also inside lists)."""
    if isinstance(value, str):
        return markdown_inert(value)
    if isinstance(value, list | tuple):
        return [_inert(v) for v in value]
    return value


def compose(medium: str, kind: str, params: dict, link: str) -> tuple[str, str]:
    """The stored (and sent) title and body of one message, in the installation's language."""
    if medium in (Medium.WECOM, Medium.DINGTALK):
        params = {key: _inert(value) for key, value in params.items()}
    with override(settings.LANGUAGE_CODE):
        title, body = render_message(kind, params)
        url = _absolute(link)
        if medium == Medium.EMAIL:
            footer = _("Open Dudao: %(link)s") % {"link": url} if url else ""
            return title, f"{body}\n\n{footer}".strip()
        if medium == Medium.SMS:
            return title, " ".join(part for part in (title, body, url) if part)
        opener = f"[{_('Open Dudao')}]({url})" if url else ""
        if medium == Medium.WECOM:
            text = "\n".join(part for part in (f"**{title}**", body, opener) if part)
            return title, _truncate_bytes(text, WECOM_MARKDOWN_BYTES)
        return title, "\n\n".join(part for part in (f"#### {title}", body, opener) if part)


@dataclasses.dataclass
class Published:
    notifications: list[Notification]
    deliveries: list[Delivery]


def robots_for(kind: str, units: Iterable[Unit]) -> list[Channel]:
    ids = {u.pk for u in units if u is not None}
    return [c for c in Channel.objects.filter(active=True, unit_id__in=ids).select_related("unit").order_by("pk")
            if kind in (c.events or [])]


def publish(*, kind: str, key: str, users: Sequence[tuple[User, dict, str]] = (),
            units: Sequence[tuple[Unit, dict, str]] = (), now=None) -> Published:
    """Store an event: the in-app notifications and outbox deliveries for the users (each with its own params
    and link) and the group robots of the units. Call it inside the transaction of the cause.

    ``key`` names the event; every row gets a dedupe key made from it, so publishing the same event again
    stores nothing new. The delivery task is queued in the same transaction (the queue is in the database)."""
    now = now or timezone.now()
    if len(key) > 180:  # room for the suffixes within the column's 255 characters, still unique
        key = f"{key[:140]}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    rules = Rules(kind)
    notifications: list[Notification] = []
    deliveries: list[Delivery] = []
    seen: set[int] = set()
    for user, params, link in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        media = rules.media_for(user)
        notification = None
        if media.in_app:
            notification = Notification(recipient=user, kind=kind, params=params, link=link, created_at=now,
                                        email_to=user.email if media.email else "",
                                        dedupe_key=f"{key}:app:u{user.pk}")
            notifications.append(notification)
        if media.email:
            delivery = _delivery(kind, Medium.EMAIL, params, link, now, f"{key}:email:u{user.pk}", recipient=user,
                                 target=user.email or "")
            if not user.email:
                _skip(delivery, _("The account %(user)s has no e-mail address.") % {"user": user.username})
            elif not email_enabled():
                _skip(delivery, _("E-mail is not configured (DUDAO_SMTP_HOST)."))
            delivery._notification = notification  # type: ignore[attr-defined]
            deliveries.append(delivery)
        if media.sms:
            phone = user.person.phone if user.person_id and user.person else ""
            delivery = _delivery(kind, Medium.SMS, params, link, now, f"{key}:sms:u{user.pk}", recipient=user,
                                 target=phone)
            if not phone:
                _skip(delivery, _("The account %(user)s has no phone number (no person with a phone is linked "
                                  "to it).") % {"user": user.username})
            elif not sms_enabled():
                _skip(delivery, _("SMS is not configured (DUDAO_SMS_BACKEND)."))
            deliveries.append(delivery)
    unit_params = {u.pk: (params, link) for u, params, link in units if u is not None}
    for robot in robots_for(kind, [u for u, _p, _l in units]):
        params, link = unit_params[robot.unit_id]
        deliveries.append(_delivery(kind, robot.kind, params, link, now, f"{key}:robot{robot.pk}", robot=robot))
    return _store(notifications, deliveries)


def _delivery(kind: str, medium: str, params: dict, link: str, now, dedupe_key: str, **fields) -> Delivery:
    title, body = compose(medium, kind, params, link)
    return Delivery(event=kind, medium=medium, title=title[:300], body=body, link=_absolute(link)[:500],
                    created_at=now, next_attempt_at=now, dedupe_key=dedupe_key, **fields)


def _skip(delivery: Delivery, reason: str) -> None:
    delivery.status = Status.SKIPPED
    delivery.reason = reason
    delivery.next_attempt_at = None


def _store(notifications: list[Notification], deliveries: list[Delivery]) -> Published:
    # What this event stored before (the same key published again) is not stored twice. The unique keys are the
    # last line of defence; the callers that may repeat an event (periodic checks) never run it concurrently.
    existing = set(Delivery.objects.filter(dedupe_key__in=[d.dedupe_key for d in deliveries])
                   .values_list("dedupe_key", flat=True))
    existing |= {key for key in Notification.objects.filter(dedupe_key__in=[n.dedupe_key for n in notifications])
                 .values_list("dedupe_key", flat=True) if key}
    notifications = [n for n in notifications if n.dedupe_key not in existing]
    deliveries = [d for d in deliveries if d.dedupe_key not in existing]
    created = Notification.objects.bulk_create(notifications)
    _supersede(created)
    for delivery in deliveries:
        notification = getattr(delivery, "_notification", None)
        delivery.notification = notification if notification is not None and notification.pk else None
    stored = Delivery.objects.bulk_create(deliveries)
    pending = [d.pk for d in stored if d.status == Status.PENDING]
    if pending:
        from dudao.notifications.outbox import enqueue

        enqueue(pending)
    return Published(notifications=created, deliveries=stored)


def notify(*, recipients: list[User], kind: str, params: dict, link: str = "", key: str | None = None,
           units: Sequence[Unit] = ()) -> list[Notification]:
    """Tell the recipients (and the group robots of ``units``) of an event, inside the transaction of its
    cause; the in-app notifications stored. Without ``key`` every call is a new event."""
    key = key or f"{kind}:{uuid.uuid4().hex}"
    published = publish(kind=kind, key=key, users=[(user, params, link) for user in recipients],
                        units=[(unit, params, link) for unit in units])
    return published.notifications


def send_pending() -> int:
    """Send what is due in the outbox now (`dudao notifications send`); the number of messages sent."""
    from dudao.notifications.outbox import deliver_all_due

    return deliver_all_due()["sent"]


def _supersede(created: list[Notification]) -> None:
    """A new notice about the same thing (same kind, same link) as an older unread one of the same reader - the
    next deadline reminder, the same problem overdue again - marks the older one read: the reader needs the
    latest, and unread routine notices do not pile up."""
    pairs = [(n.recipient_id, n.kind, n.link) for n in created if n.link and n.pk]
    for start in range(0, len(pairs), 200):
        condition = Q()
        for recipient, kind, link in pairs[start:start + 200]:
            condition |= Q(recipient_id=recipient, kind=kind, link=link)
        (Notification.objects.filter(condition, read_at__isnull=True).exclude(pk__in=[n.pk for n in created])
         .update(read_at=timezone.now()))


UNREAD_DAYS = 30  # unread notices older than this no longer count on the badge (they stay on the list)
BADGE_MAX = 99  # the badge shows "99+" past this


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def unread_recent_count(user, now=None) -> int:
    """The user's unread notices of the last UNREAD_DAYS, counted up to BADGE_MAX + 1 (the badge's figure)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    since = (now or timezone.now()) - dt.timedelta(days=UNREAD_DAYS)
    return (Notification.objects.filter(recipient=user, read_at__isnull=True, created_at__gte=since)
            .values("pk")[:BADGE_MAX + 1].count())


def mark_read(*, user, ids: list[int] | None = None) -> int:
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


# The office's changes: group robots, rules, test messages, retries ---------------------------------------------


def channel_snapshot(channel: Channel) -> dict:
    return {"kind": channel.kind, "unit": channel.unit.code, "name": channel.name, "url": _redacted(channel.url),
            "secret": "set" if channel.secret else "", "events": list(channel.events), "active": channel.active}


def _redacted(url: str) -> str:
    """The address without its key or token (they are credentials)."""
    return redacted_url(url)


def robot_host_refusal(url: str) -> None:
    """Refuse a robot address the server may not send to (channels.robot_address_problem says why)."""
    problem = robot_address_problem(url)
    if problem is not None and problem[0] == "invalid_address":
        raise Refused("robot_address", _("Enter the robot's webhook address, starting with https:// or http://, "
                                         "without a user name or password."))
    if problem is not None:
        raise Refused("robot_host", _("Robots may only send to %(hosts)s; ask the administrator to add the host to "
                                      "DUDAO_ROBOT_HOSTS.") % {"hosts": ", ".join(settings.ROBOT_HOSTS)})


@transaction.atomic
def channel_save(*, actor, channel: Channel | None = None, kind: str, unit: Unit, name: str, url: str,
                 secret: str | None = None, events: list[str], active: bool = True) -> Channel:
    """Add a group robot, or change one; ``secret=None`` keeps the stored secret."""
    access.require_office(actor)
    before = channel_snapshot(channel) if channel is not None else None
    if channel is None:
        channel = Channel()
    channel.kind, channel.unit, channel.name, channel.url = kind, unit, name.strip(), url.strip()
    robot_host_refusal(channel.url)
    if secret is not None:
        channel.secret = secret.strip()
    channel.events = [kind.code for kind in kinds.all_kinds() if kind.code in set(events)]
    channel.active = active
    channel.full_clean()
    channel.save()
    audit_record(actor=actor, action="notifications.robot" if before else "notifications.robot_add",
                 object_type="robot", object_id=str(channel.pk), before=before, after=channel_snapshot(channel))
    return channel


@transaction.atomic
def channel_set_active(*, actor, channel: Channel, active: bool) -> Channel:
    access.require_office(actor)
    before = channel_snapshot(channel)
    channel.active = active
    channel.save(update_fields=["active", "updated_at"])
    audit_record(actor=actor, action="notifications.robot_active", object_type="robot", object_id=str(channel.pk),
                 before=before, after=channel_snapshot(channel))
    return channel


@transaction.atomic
def channel_test(*, actor, channel: Channel) -> Delivery:
    """Queue a test message to the robot (the worker sends it)."""
    access.require_office(actor)
    now = timezone.now()
    params = {"name": channel.name, "unit": channel.unit.name}
    title, body = compose(channel.kind, TEST, params, "")
    delivery = Delivery.objects.create(event=TEST, medium=channel.kind, robot=channel, title=title, body=body,
                                       created_at=now, next_attempt_at=now,
                                       dedupe_key=f"test:robot{channel.pk}:{uuid.uuid4().hex}")
    audit_record(actor=actor, action="notifications.robot_test", object_type="robot", object_id=str(channel.pk),
                 after={"delivery": delivery.pk})
    outbox.enqueue([delivery.pk])
    return delivery


def rule_snapshot(rule: Rule) -> dict:
    return {"event": rule.event, "unit": rule.unit.code if rule.unit else "", "role": rule.role,
            "in_app": rule.in_app, "email": rule.email, "sms": rule.sms}


@transaction.atomic
def rule_save(*, actor, event: str, unit: Unit | None, role: str, in_app: bool, email: bool, sms: bool) -> Rule:
    """Set the channels of an event for one role at one unit (and below; no unit: everywhere)."""
    access.require_office(actor)
    rule = Rule.objects.select_for_update().filter(event=event, unit=unit, role=role).order_by("pk").first()
    before = rule_snapshot(rule) if rule else None
    if rule is None:
        rule = Rule(event=event, unit=unit, role=role)
    rule.in_app, rule.email, rule.sms = in_app, email, sms
    rule.save()
    audit_record(actor=actor, action="notifications.rule", object_type="rule", object_id=str(rule.pk),
                 before=before, after=rule_snapshot(rule))
    return rule


@transaction.atomic
def rule_delete(*, actor, rule: Rule) -> None:
    access.require_office(actor)
    before = rule_snapshot(rule)
    pk = rule.pk
    rule.delete()
    audit_record(actor=actor, action="notifications.rule_delete", object_type="rule", object_id=str(pk),
                 before=before, after=None)


@transaction.atomic
def delivery_retry(*, actor, delivery: Delivery) -> bool:
    """Send a failed delivery once more, now."""
    access.require_office(actor)
    if delivery.status != Status.FAILED:
        return False
    retried = outbox.delivery_retry_now(delivery)
    if retried:
        audit_record(actor=actor, action="notifications.retry", object_type="delivery", object_id=str(delivery.pk),
                     before={"status": Status.FAILED, "reason": delivery.reason}, after={"status": Status.PENDING})
    return retried
