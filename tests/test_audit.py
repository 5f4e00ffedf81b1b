"""The audit log: one chained event per change, and detection of any alteration."""

import pytest
from django.db import transaction

from dudao.accounts.access import SYSTEM
from dudao.audit import chain
from dudao.audit.models import AuditEvent
from dudao.audit.services import audit_record, audit_verify


def _entries(n: int) -> list[chain.Entry]:
    entries, prev = [], chain.GENESIS
    for seq in range(1, n + 1):
        fields = dict(seq=seq, at=f"2026-03-0{seq}T00:00:00+00:00", actor="system:cli", action="unit.update",
                      object_type="unit", object_id=str(seq), before={"name": "a"}, after={"name": "b"})
        digest = chain.entry_hash(prev_hash=prev, **fields)
        entries.append(chain.Entry(prev_hash=prev, hash=digest, **fields))
        prev = digest
    return entries


def test_pure_chain_accepts_a_whole_chain():
    assert chain.first_bad(_entries(5)) is None


def test_pure_chain_names_the_first_altered_deleted_or_reordered_entry():
    entries = _entries(5)
    altered = entries[:2] + [chain.Entry(**{**entries[2].__dict__, "after": {"name": "c"}})] + entries[3:]
    bad = chain.first_bad(altered)
    assert (bad[0].seq, bad[1]) == (3, "hash")
    deleted = entries[:2] + entries[3:]
    bad = chain.first_bad(deleted)
    assert (bad[0].seq, bad[1]) == (4, "gap")
    swapped = [entries[1], entries[0]] + entries[2:]
    bad = chain.first_bad(swapped)
    assert (bad[0].seq, bad[1]) == (2, "link")


def test_every_org_change_is_in_a_verified_chain(db):
    count, bad = audit_verify()
    assert bad is None
    assert count == AuditEvent.objects.count() > 163


def test_altering_a_stored_event_is_detected(db):
    target = AuditEvent.objects.filter(action="unit.create").order_by("seq")[10]
    AuditEvent.objects.filter(pk=target.pk).update(actor_label="user:someone_else")
    count, bad = audit_verify()
    assert (bad[0].seq, bad[1]) == (target.seq, "hash")


def test_deleting_a_stored_event_is_detected(db):
    target = AuditEvent.objects.order_by("seq")[20]
    AuditEvent.objects.filter(pk=target.pk).delete()
    _count, bad = audit_verify()
    assert (bad[0].seq, bad[1]) == (target.seq + 1, "gap")


def test_events_must_be_written_inside_the_change_transaction(db):
    with transaction.atomic():
        event = audit_record(actor=SYSTEM, action="test.event", object_type="unit", object_id="x",
                             before=None, after={"n": 1})
    assert (event.actor_label, event.actor_id, event.prev_hash) == (
        "system:cli", None, AuditEvent.objects.get(seq=event.seq - 1).hash)


def test_audit_record_refuses_outside_a_transaction():
    # No `db` fixture: there is no transaction, and the refusal comes before any query.
    with pytest.raises(RuntimeError):
        audit_record(actor=SYSTEM, action="test.event", object_type="unit", object_id="x")
