"""Inserting thousands of rows (an import, the audit events it writes) without the ORM's per-value preparation.

``Model.objects.bulk_create`` prepares every value of every object through the field's whole chain
(``pre_save``, ``get_db_prep_save``, the compiler's per-value SQL): for a province's people import that was half
the import's CPU time. ``insert`` prepares each column once per kind of field instead: plain text, numbers, booleans
and foreign keys go as they are, dates and times through the backend's adapter, anything else (JSON) through the
field as the ORM would. The rows are written with multi-row INSERTs and the new ids come back into the objects
(``RETURNING``, the same order as the VALUES, as bulk_create relies on).

No signals are sent and no conflicts are handled (as with bulk_create): for models whose writes are plain inserts
inside the caller's transaction, such as the audit log's events and the people import's people and posts."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models

M = TypeVar("M", bound=models.Model)

_AS_THEY_ARE = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey,
                models.FloatField)


def _adapter(field: models.Field, conn: Any) -> Callable[[Any], Any] | None:
    """How one column's Python value becomes the value given to the database driver (None: as it is)."""
    if isinstance(field, models.DateTimeField):
        return _last_kept(conn.ops.adapt_datetimefield_value)  # an import stamps its rows with one time
    if isinstance(field, models.DateField):
        return _last_kept(conn.ops.adapt_datefield_value)
    if isinstance(field, _AS_THEY_ARE):
        return None
    return lambda value: field.get_db_prep_save(value, conn)


def _last_kept(adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """adapt, None for None, and the last value's result again for the same value."""
    last: list[Any] = [None, None]

    def adapted(value: Any) -> Any:
        if value is None:
            return None
        if value is not last[0]:
            last[:] = [value, adapt(value)]
        return last[1]

    return adapted


def insert(objects: Sequence[M], batch_size: int = 500) -> Sequence[M]:
    """Insert new objects of one model (their primary key unset) and give them their ids; returns them."""
    if not objects:
        return objects
    model = type(objects[0])
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    conn = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the proxy that looks it up on every use
    adapters = [_adapter(f, conn) for f in fields]
    quote = conn.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {quote(pk.column)}"
    for start in range(0, len(objects), batch_size):
        batch = objects[start:start + batch_size]
        params: list[Any] = []
        for obj in batch:
            for field in stamped:
                field.pre_save(obj, add=True)
            for field, adapt in zip(fields, adapters, strict=True):
                value = getattr(obj, field.attname)
                params.append(value if adapt is None else adapt(value))
        sql = (f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - the model's own names
               + ", ".join([placeholder] * len(batch)) + returning)
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        for obj, new_id in zip(batch, ids, strict=True):
            setattr(obj, pk.attname, new_id)
            obj._state.adding = False
            obj._state.db = conn.alias
    return objects
