"""Reads of the audit log: the history of the records a page shows."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from dudao.audit.models import AuditEvent


def events_about(**object_ids: Iterable[object]) -> QuerySet[AuditEvent]:
    """The events about the records named by type and ids (``unit=["620423103200"], interview=["7"]``), with
    their actors, in the log's order."""
    q = Q(pk__in=[])
    for object_type, ids in object_ids.items():
        q |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    return AuditEvent.objects.filter(q).select_related("actor", "actor__person").order_by("seq")
