"""The one door for writing the audit log. Call it inside the transaction that makes the change."""

import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import connection
from django.utils import timezone

from dudao.audit import chain
from dudao.audit.models import AuditEvent, AuditHead
from dudao.core import bulk

SYSTEM_ACTOR = "system:cli"
_PG_LOCK_KEY = 0x6475_6461_6F  # "dudao": one advisory lock serialises appends to the chain


@dataclass(frozen=True)
class Change:
    action: str
    object_type: str
    object_id: str
    before: Any
    after: Any


def actor_label(actor: Any) -> str:
    named = getattr(actor, "audit_label", None)  # an actor without an account that says who it is (the public)
    if named:
        return named
    if actor is None or actor.pk is None:
        return SYSTEM_ACTOR
    return f"user:{actor.username}"


def _lock_and_tail() -> tuple[int, str]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    # On SQLite every write transaction is BEGIN IMMEDIATE (settings), which already serialises writers.
    # The chain continues from its recorded head: a log cut at its end stays cut (verify names the gap).
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    if head:
        return head
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    return last if last else (0, chain.GENESIS)


def audit_record_many(*, actor: Any, changes: list[Change]) -> list[AuditEvent]:
    """Append one chained event per change, all stamped with the same time."""
    if not changes:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("audit events must be written inside the transaction of the change")
    seq, prev = _lock_and_tail()
    at = timezone.now()
    at_text = at.isoformat()
    label = actor_label(actor)
    events = []
    for change in changes:
        seq += 1
        before = chain.canonical(change.before) if change.before is not None else None
        after = chain.canonical(change.after) if change.after is not None else None
        # Store exactly what was hashed (canonical JSON reloaded) so verification sees the same values.
        before_value = None if before is None else _reload(before)
        after_value = None if after is None else _reload(after)
        digest = chain.entry_hash(
            prev_hash=prev, seq=seq, at=at_text, actor=label, action=change.action,
            object_type=change.object_type, object_id=change.object_id, before=before_value, after=after_value,
        )
        events.append(AuditEvent(
            seq=seq, at=at, actor_id=getattr(actor, "pk", None), actor_label=label, action=change.action,
            object_type=change.object_type, object_id=change.object_id, before=before_value,
            after=after_value, prev_hash=prev, hash=digest,
        ))
        prev = digest
    bulk.insert(events)
    # One UPDATE (the row is locked by the writer's lock above); the first append ever makes the row.
    if not AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev):
        AuditHead.objects.create(pk=1, seq=seq, hash=prev)
    return events


def audit_record(*, actor: Any, action: str, object_type: str, object_id: str, before: Any = None,
                 after: Any = None) -> AuditEvent:
    return audit_record_many(actor=actor, changes=[Change(action, object_type, object_id, before, after)])[0]


def _reload(text: str) -> Any:
    return json.loads(text)


@dataclass(frozen=True)
class Altered:
    """Where a check of the chain failed: the first bad entry's sequence number, the reason (chain.first_bad's,
    chain.head_mismatch's) and the stored entry (None when it is missing: the log was cut)."""

    seq: int
    reason: str
    event: AuditEvent | None


def _actor_matches(event: AuditEvent, usernames: dict[int, str]) -> bool:
    """The account an entry links (not in its hash) is the one its hashed label names: "user:NAME" for an account,
    no account for the system and for actors without one."""
    if event.actor_id is None:
        return not event.actor_label.startswith("user:")
    return event.actor_label == f"user:{usernames.get(event.actor_id)}"


def audit_verify() -> tuple[int, Altered | None]:
    """Check the whole chain, that each entry's linked account is the one it names and that the chain ends at its
    recorded head; the number of entries and where it was altered first, if it was."""
    from django.contrib.auth import get_user_model

    usernames = dict(get_user_model().objects.values_list("pk", "username"))
    count = 0
    by_seq: dict[int, AuditEvent] = {}
    last: list[chain.Entry] = []
    wrong_actor: list[AuditEvent] = []

    def entries():
        nonlocal count
        for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
            count += 1
            by_seq[event.seq] = event
            if not wrong_actor and not _actor_matches(event, usernames):
                wrong_actor.append(event)
            entry = chain.Entry(
                seq=event.seq, at=event.at.astimezone(UTC).isoformat(), actor=event.actor_label,
                action=event.action, object_type=event.object_type, object_id=event.object_id,
                before=event.before, after=event.after, prev_hash=event.prev_hash, hash=event.hash,
            )
            last[:] = [entry]
            yield entry
            if len(by_seq) > 2:
                by_seq.pop(min(by_seq))

    bad = chain.first_bad(entries())
    if wrong_actor and (bad is None or wrong_actor[0].seq < bad[0].seq):
        return count, Altered(wrong_actor[0].seq, "actor", wrong_actor[0])
    if bad is not None:
        entry, reason = bad
        return count, Altered(entry.seq, reason, by_seq[entry.seq])
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    mismatch = chain.head_mismatch(last[0] if last else None, head)
    if mismatch is None:
        return count, None
    seq, reason = mismatch
    return count, Altered(seq, reason, AuditEvent.objects.filter(seq=seq).first())
