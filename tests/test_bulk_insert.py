"""dudao.core.bulk.insert: the imports' INSERT without the ORM's per-value preparation stores what the ORM would."""

import datetime as dt

from django.utils import timezone

from dudao.audit.models import AuditEvent
from dudao.core import bulk
from dudao.org.models import Person, Post, Unit


def test_insert_gives_ids_in_order_and_stores_what_the_orm_reads_back(db):
    unit = Unit.objects.get(code="620423103200")
    before = timezone.now()
    people = [Person(name="测试䃎", phone="13900000071"), Person(name="测试乙", phone="13900000072", synthetic=True)]
    assert bulk.insert(people) is people
    assert [p.pk is not None and not p._state.adding for p in people] == [True, True]
    stored = {p.pk: p for p in Person.objects.filter(pk__in=[p.pk for p in people])}
    assert [(stored[p.pk].name, stored[p.pk].phone, stored[p.pk].synthetic) for p in people] == [
        ("测试䃎", "13900000071", False), ("测试乙", "13900000072", True)]
    # The stamps are set as bulk_create sets them (each field's pre_save) and stored as they are in the objects.
    assert [(stored[p.pk].created_at, stored[p.pk].updated_at) for p in people] == [
        (p.created_at, p.updated_at) for p in people]
    assert [before <= p.created_at <= p.updated_at for p in people] == [True, True]
    posts = bulk.insert([
        Post(person=people[0], unit=unit, role="grid_worker", title="网格员", start_date=dt.date(2026, 1, 5)),
        Post(person=people[1], unit=unit, role="cleaner", start_date=dt.date(2025, 3, 1), end_date=dt.date(2025, 12, 31)),
    ])
    assert list(Post.objects.filter(pk__in=[p.pk for p in posts]).order_by("pk").values_list(
        "person__phone", "role", "title", "start_date", "end_date")) == [
        ("13900000071", "grid_worker", "网格员", dt.date(2026, 1, 5), None),
        ("13900000072", "cleaner", "", dt.date(2025, 3, 1), dt.date(2025, 12, 31)),
    ]


def test_insert_in_several_batches_and_json_values(db):
    at = timezone.now()
    events = [AuditEvent(seq=10_000_000 + n, at=at, actor_label="system:test", action="test.bulk", object_type="t",
                         object_id=str(n), before=None if n % 2 else {"名": "大水䃎村", "n": [n, 1.5]},
                         after={"ok": True}, prev_hash="0" * 64, hash=f"{n:064d}") for n in range(7)]
    bulk.insert(events, batch_size=3)
    stored = list(AuditEvent.objects.filter(action="test.bulk").order_by("seq"))
    assert [e.pk for e in stored] == [e.pk for e in events]
    assert [(e.seq, e.at, e.before, e.after) for e in stored] == [
        (10_000_000 + n, at, None if n % 2 else {"名": "大水䃎村", "n": [n, 1.5]}, {"ok": True}) for n in range(7)]
    assert AuditEvent.objects.filter(action="test.bulk", before__isnull=True).count() == 3


def test_insert_of_nothing_writes_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.insert([]) == []
