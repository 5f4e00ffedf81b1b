"""Every row of every model as JSON lines, and back (PostgreSQL's database member; docs/decisions/0015-backup.md).

A table is one header line ``{"table": …, "model": …, "columns": […]}`` followed by one JSON array per row, in
primary-key order. Values are what the model's fields give (``values_list``), written without loss: datetimes
with their microseconds (the audit chain hashes them), decimals and durations as text, bytes in base64; reading
turns them back with each field's ``to_python``. Rows are inserted raw (no ``auto_now``, no defaults), with their
primary keys, so foreign keys and the audit chain stay as they were.
"""

import base64
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models
from django.utils.duration import duration_string

_BATCH = 500


def dumped_models() -> list[type[models.Model]]:
    """Every concrete model with a table of its own (many-to-many tables included), by table name."""
    found = [m for m in apps.get_models(include_auto_created=True)
             if m._meta.managed and not m._meta.proxy and not m._meta.swapped]
    return sorted(found, key=lambda m: m._meta.db_table)


def _encode(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} to a backup")


def dump(out: IO[bytes]) -> dict[str, int]:
    """Write every table to ``out``; the rows of each table. Call inside one read transaction for a snapshot."""
    counts = {}
    for model in dumped_models():
        fields = model._meta.concrete_fields
        header = {"table": model._meta.db_table, "model": model._meta.label, "columns": [f.attname for f in fields]}
        out.write(json.dumps(header, ensure_ascii=False).encode() + b"\n")
        count = 0
        rows = model._base_manager.order_by("pk").values_list(*[f.attname for f in fields])
        for row in rows.iterator(chunk_size=2000):
            out.write(json.dumps(row, ensure_ascii=False, default=_encode).encode() + b"\n")
            count += 1
        counts[model._meta.db_table] = count
    return counts


def _tables(lines: Iterable[bytes]) -> Iterator[tuple[dict[str, Any], list[list[Any]]]]:
    """Each table's header and its rows, a batch at a time (the header repeated with each batch)."""
    header: dict[str, Any] | None = None
    batch: list[list[Any]] = []
    for line in lines:
        value = json.loads(line)
        if isinstance(value, dict):
            if header is not None:
                yield header, batch
            header, batch = value, []
        else:
            batch.append(value)
            if len(batch) >= _BATCH:
                assert header is not None
                yield header, batch
                batch = []
    if header is not None:
        yield header, batch


def load(lines: Iterable[bytes]) -> dict[str, int]:
    """Insert the rows written by ``dump`` into empty tables, keeping their primary keys, then move each table's
    id sequence past them. Call inside one transaction (PostgreSQL checks the foreign keys at its commit)."""
    by_table = {m._meta.db_table: m for m in dumped_models()}
    counts: dict[str, int] = {}
    for header, rows in _tables(lines):
        model = by_table[header["table"]]
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        fields = [by_attname[column] for column in header["columns"]]
        counts.setdefault(model._meta.db_table, 0)
        if not rows:
            continue
        objects = []
        for row in rows:
            obj = model()
            for field, value in zip(fields, row, strict=True):
                setattr(obj, field.attname, _decode(field, value))
            objects.append(obj)
        # The raw insert Django's loaddata uses (private, untyped): values as they are, no auto_now, no defaults.
        model._base_manager._insert(objects, fields=fields, raw=True)  # type: ignore[attr-defined]
        counts[model._meta.db_table] += len(objects)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(by_table.values())):
            cursor.execute(statement)
    return counts


def _decode(field: models.Field, value: Any) -> Any:
    if value is None or isinstance(field, models.JSONField):
        return value
    return field.to_python(value)


def empty_tables(names: list[str]) -> None:
    """Remove every row of these tables at once (a restore with --force)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(name) for name in names)
            cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        else:
            for name in names:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(name)}")  # noqa: S608 (model table names)
