"""The office's changes to notifications: group robots, rules, test messages and retries. Each is atomic,
checks the actor's rights and is audit-logged; a robot's secret never enters the log."""

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from dudao.accounts import access
from dudao.audit.services import audit_record
from dudao.notifications import kinds, outbox
from dudao.notifications.channels import redacted_url
from dudao.notifications.models import Channel, Delivery, Rule, Status
from dudao.notifications.notices import TEST
from dudao.notifications.services import compose
from dudao.org.models import Unit


def _require(actor) -> None:
    if not access.is_office(actor):
        raise PermissionDenied


def channel_snapshot(channel: Channel) -> dict:
    return {"kind": channel.kind, "unit": channel.unit.code, "name": channel.name, "url": _redacted(channel.url),
            "secret": "set" if channel.secret else "", "events": list(channel.events), "active": channel.active}


def _redacted(url: str) -> str:
    """The address without its key or token (they are credentials)."""
    return redacted_url(url)


@transaction.atomic
def channel_save(*, actor, channel: Channel | None = None, kind: str, unit: Unit, name: str, url: str,
                 secret: str | None = None, events: list[str], active: bool = True) -> Channel:
    """Add a group robot, or change one; ``secret=None`` keeps the stored secret."""
    _require(actor)
    before = channel_snapshot(channel) if channel is not None else None
    if channel is None:
        channel = Channel()
    channel.kind, channel.unit, channel.name, channel.url = kind, unit, name.strip(), url.strip()
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
    _require(actor)
    before = channel_snapshot(channel)
    channel.active = active
    channel.save(update_fields=["active", "updated_at"])
    audit_record(actor=actor, action="notifications.robot_active", object_type="robot", object_id=str(channel.pk),
                 before=before, after=channel_snapshot(channel))
    return channel


@transaction.atomic
def channel_test(*, actor, channel: Channel) -> Delivery:
    """Queue a test message to the robot (the worker sends it)."""
    _require(actor)
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
    _require(actor)
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
    _require(actor)
    before = rule_snapshot(rule)
    pk = rule.pk
    rule.delete()
    audit_record(actor=actor, action="notifications.rule_delete", object_type="rule", object_id=str(pk),
                 before=before, after=None)


@transaction.atomic
def delivery_retry(*, actor, delivery: Delivery) -> bool:
    """Send a failed delivery once more, now."""
    _require(actor)
    if delivery.status != Status.FAILED:
        return False
    retried = outbox.delivery_retry_now(delivery)
    if retried:
        audit_record(actor=actor, action="notifications.retry", object_type="delivery", object_id=str(delivery.pk),
                     before={"status": Status.FAILED, "reason": delivery.reason}, after={"status": Status.PENDING})
    return retried
