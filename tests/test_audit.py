"""The audit log: one chained event per change, and detection of any alteration."""

import pytest
from django.db import transaction

from dudao.accounts.access import SYSTEM
from dudao.audit import chain
from dudao.audit.models import AuditEvent, AuditHead
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
    assert (bad.seq, bad.reason, bad.event) == (target.seq, "hash", target)


def test_deleting_a_stored_event_is_detected(db):
    target = AuditEvent.objects.order_by("seq")[20]
    AuditEvent.objects.filter(pk=target.pk).delete()
    _count, bad = audit_verify()
    assert (bad.seq, bad.reason, bad.event.seq) == (target.seq + 1, "gap", target.seq + 1)


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


def test_pure_head_check_names_a_cut_an_addition_and_a_missing_head():
    entries = _entries(5)
    head = (5, entries[4].hash)
    assert chain.head_mismatch(entries[4], head) is None
    assert chain.head_mismatch(None, None) is None
    assert chain.head_mismatch(entries[2], head) == (4, "cut")
    assert chain.head_mismatch(None, head) == (1, "cut")
    assert chain.head_mismatch(entries[4], (4, entries[3].hash)) == (5, "head")
    assert chain.head_mismatch(entries[4], (5, entries[3].hash)) == (5, "head")
    assert chain.head_mismatch(entries[4], None) == (5, "unanchored")


def test_the_head_follows_every_append(db):
    with transaction.atomic():
        event = audit_record(actor=SYSTEM, action="test.event", object_type="unit", object_id="x", after={"n": 1})
    assert list(AuditHead.objects.values_list("pk", "seq", "hash")) == [(1, event.seq, event.hash)]


def test_cutting_the_end_of_the_log_is_detected_and_stays_detected(db):
    last = AuditEvent.objects.order_by("-seq").first()
    AuditEvent.objects.filter(seq__gt=last.seq - 3).delete()
    _count, bad = audit_verify()
    assert (bad.seq, bad.reason, bad.event) == (last.seq - 2, "cut", None)
    # The next change continues from the recorded head: the missing entries remain a gap.
    with transaction.atomic():
        event = audit_record(actor=SYSTEM, action="test.event", object_type="unit", object_id="x", after={"n": 1})
    assert (event.seq, event.prev_hash) == (last.seq + 1, last.hash)
    _count, bad = audit_verify()
    assert (bad.seq, bad.reason, bad.event) == (last.seq + 1, "gap", event)


def test_emptying_the_log_is_detected(db):
    AuditEvent.objects.all().delete()
    count, bad = audit_verify()
    assert (count, bad.seq, bad.reason, bad.event) == (0, 1, "cut", None)


def test_an_entry_forged_after_the_head_with_a_correct_hash_is_detected(db):
    last = AuditEvent.objects.order_by("-seq").first()
    fields = dict(seq=last.seq + 1, at="2026-12-07T00:00:00+00:00", actor="system:cli", action="unit.update",
                  object_type="unit", object_id="620423103200", before=None, after={"name": "x"})
    forged = AuditEvent.objects.create(
        seq=fields["seq"], at=fields["at"], actor_label=fields["actor"], action=fields["action"],
        object_type=fields["object_type"], object_id=fields["object_id"], before=None, after=fields["after"],
        prev_hash=last.hash, hash=chain.entry_hash(prev_hash=last.hash, **fields))
    _count, bad = audit_verify()
    assert (bad.seq, bad.reason, bad.event) == (forged.seq, "head", forged)


def test_linking_an_entry_to_another_account_is_detected(db):
    from dudao.accounts.models import User

    target = AuditEvent.objects.filter(actor__isnull=False).order_by("seq").first()
    other = User.objects.exclude(pk=target.actor_id).order_by("pk").first()
    AuditEvent.objects.filter(pk=target.pk).update(actor=other)
    _count, bad = audit_verify()
    assert (bad.seq, bad.reason, bad.event.pk) == (target.seq, "actor", target.pk)


def test_linking_a_system_entry_to_an_account_is_detected(db):
    from dudao.accounts.models import User

    target = AuditEvent.objects.filter(actor__isnull=True).order_by("-seq").first()
    AuditEvent.objects.filter(pk=target.pk).update(actor=User.objects.order_by("pk").first())
    _count, bad = audit_verify()
    assert (bad.seq, bad.reason, bad.event.pk) == (target.seq, "actor", target.pk)
