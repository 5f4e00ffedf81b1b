"""Backing up a whole installation (its database and its media) while it runs, and restoring it into an empty
one (docs/decisions/0015-backup.md, docs/operations.md)."""

import hashlib
import os
import sqlite3
import tempfile
from contextlib import closing
from importlib.metadata import version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.audit.models import AuditEvent
from dudao.audit.services import audit_record
from dudao.backup import archive, rows
from dudao.core.errors import Refused

# Rows that Django writes itself when it creates the schema: a home holding only these is empty.
SCHEMA_TABLES = {"django_content_type", "auth_permission"}

REFUSALS = {
    "missing": gettext_lazy("The backup %(path)s does not exist."),
    "unreadable": gettext_lazy("%(path)s is not a Dudao backup (not a tar archive)."),
    "truncated": gettext_lazy("The backup %(path)s is truncated or damaged: it cannot be read to its end."),
    "no_manifest": gettext_lazy("The backup has no manifest.json: it is not a Dudao backup, or it is incomplete."),
    "bad_manifest": gettext_lazy("The backup's manifest.json cannot be read."),
    "format": gettext_lazy("The backup is in format %(found)s; this Dudao reads format %(expected)s."),
    "unsafe_member": gettext_lazy("The backup holds “%(member)s”, which a Dudao backup never holds."),
    "duplicate_member": gettext_lazy("The backup holds “%(member)s” twice."),
    "unlisted_member": gettext_lazy("The backup holds “%(member)s”, which its manifest does not list."),
    "missing_member": gettext_lazy("The backup lacks “%(member)s”, which its manifest lists."),
    "altered_member": gettext_lazy("“%(member)s” in the backup does not match its SHA-256 in the manifest: the "
                                   "backup was damaged or altered."),
}


def _refused(error: archive.ArchiveRefused) -> Refused:
    message = _("Refused, nothing was written: %(reason)s") % {"reason": REFUSALS[error.code] % error.params}
    return Refused(f"backup_{error.code}", message, **error.params)


def media_names(storage: Storage = default_storage) -> list[str]:
    """Every file in the storage (local folder or bucket), through the storage's own listing."""
    names: list[str] = []

    def walk(prefix: str) -> None:
        try:
            folders, files = storage.listdir(prefix)
        except FileNotFoundError:  # the local media folder was never made
            return
        names.extend(f"{prefix}{name}" for name in files)
        for folder in folders:
            walk(f"{prefix}{folder}/")

    walk("")
    return sorted(names)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _applied_migrations() -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def _audit_head() -> dict[str, Any]:
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    return {"events": AuditEvent.objects.count(), "last_seq": last[0] if last else 0, "last_hash": last[1] if last
            else ""}


def _sqlite_snapshot(target: Path) -> tuple[dict[str, int], list[list[str]], dict[str, Any]]:
    """SQLite's online backup into ``target``: one consistent copy while other connections keep writing. Its rows
    per table, migrations and audit head are read from the copy (the live database has moved on)."""
    connection.ensure_connection()
    with closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)
        tables = {m._meta.db_table for m in rows.dumped_models()}
        present = {name for (name,) in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        counts = {name: copy.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608 (model tables)
                  for name in sorted(tables & present)}
        migrations = sorted([app, name] for app, name in copy.execute("SELECT app, name FROM django_migrations"))
        table = AuditEvent._meta.db_table
        last = copy.execute(f'SELECT seq, hash FROM "{table}" ORDER BY seq DESC LIMIT 1').fetchone()  # noqa: S608
    audit = {"events": counts.get(table, 0), "last_seq": last[0] if last else 0, "last_hash": last[1] if last else ""}
    return counts, migrations, audit


def backup_make(*, actor: Any, path: Path) -> dict[str, Any]:
    """Write the archive to ``path`` (through a temporary file beside it, renamed at the end) and record it in
    the audit log. The database is one snapshot; media files are copied after it (they are only ever added or
    removed, never changed). Returns the manifest."""
    if connection.vendor == "sqlite" and connection.in_atomic_block:
        # SQLite's backup would wait, forever, for this connection's own transaction to end.
        raise RuntimeError("backup_make must run outside a transaction on SQLite")
    path = path.resolve()
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    writer = archive.Writer(partial)
    os.chmod(partial, 0o600)  # password hashes, phone numbers and photos: the operator's only
    try:
        with tempfile.TemporaryDirectory(prefix=".dudao-backup-", dir=path.parent) as staging:
            database = Path(staging) / archive.DATABASE_MEMBERS[connection.vendor]
            if connection.vendor == "sqlite":
                tables, migrations, audit = _sqlite_snapshot(database)
            else:
                outermost = not connection.in_atomic_block
                with transaction.atomic():
                    if outermost:  # one snapshot of every table, while others keep writing
                        with connection.cursor() as cursor:
                            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    with open(database, "wb") as out:
                        tables = rows.dump(out)
                    migrations, audit = _applied_migrations(), _audit_head()
            writer.add_file(database.name, database)
        media = media_names()
        created = timezone.now()
        for name in media:
            with default_storage.open(name, "rb") as stored:
                writer.add_bytes(archive.MEDIA + name, stored.read(), mtime=created.timestamp())
        manifest = writer.close({
            "dudao": version("dudao"), "vendor": connection.vendor, "created": created.isoformat(),
            "migrations": migrations, "tables": tables, "rows": sum(tables.values()), "media": len(media),
            "audit": audit,
        })
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, path)
    except BaseException:
        writer.abandon()
        raise
    with transaction.atomic():
        audit_record(actor=actor, action="backup.make", object_type="backup", object_id=path.name, after={
            "sha256": _file_sha256(path), "bytes": path.stat().st_size, "vendor": manifest["vendor"],
            "rows": manifest["rows"], "media": manifest["media"], "audit_last_seq": audit["last_seq"]})
    return manifest


def home_contents() -> tuple[list[str], int]:
    """What makes this home not empty: the tables holding rows (beyond Django's own schema rows) and the number
    of media files."""
    present = set(connection.introspection.table_names())
    filled = []
    with connection.cursor() as cursor:
        for model in rows.dumped_models():
            table = model._meta.db_table
            if table in present and table not in SCHEMA_TABLES:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
                if cursor.fetchone() is not None:
                    filled.append(table)
    return filled, len(media_names())


def _check_migrations(manifest: dict[str, Any]) -> None:
    known = {tuple(key) for key in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
    recorded = {tuple(key) for key in manifest.get("migrations", [])}
    unknown = sorted(recorded - known)
    if unknown:
        raise Refused("backup_newer", _(
            "Refused, nothing was written: the backup was made by a newer Dudao (%(version)s; it has the migration "
            "%(migration)s, which this one lacks). Restore it with that version.")
            % {"version": manifest.get("dudao", "?"), "migration": ".".join(unknown[0])})
    if connection.vendor == "postgresql" and recorded != known:
        # Rows are loaded into this version's tables: the schema must be the one they were dumped from.
        raise Refused("backup_older", _(
            "Refused, nothing was written: the backup was made by Dudao %(version)s, whose database differs from "
            "this one's. Restore it with that version, then upgrade with `dudao init`.")
            % {"version": manifest.get("dudao", "?")})


def backup_restore(*, actor: Any, path: Path, force: bool = False) -> dict[str, Any]:
    """Restore the archive into this home: refused, with nothing written, unless the archive is whole, of this
    database's vendor and version, and the home is empty (``force``: replace what is there). Media first, then the
    database in one step, then the restore is appended to the restored audit log. Returns the manifest."""
    try:
        checked = archive.read(path)
    except archive.ArchiveRefused as error:
        raise _refused(error) from None
    try:
        return _restore(actor, path, checked, force)
    finally:
        checked.close()


def _restore(actor: Any, path: Path, checked: archive.Archive, force: bool) -> dict[str, Any]:
    manifest = checked.manifest
    if checked.vendor != connection.vendor:
        names = {"sqlite": _("the embedded mode (SQLite)"), "postgresql": _("PostgreSQL")}
        raise Refused("backup_vendor", _(
            "Refused, nothing was written: the backup is of %(archive)s, this installation uses %(here)s.")
            % {"archive": names[checked.vendor], "here": names[connection.vendor]})
    _check_migrations(manifest)
    tables, media = home_contents()
    if (tables or media) and not force:
        raise Refused("backup_not_empty", _(
            "Refused, nothing was written: this installation is not empty (%(tables)s tables with rows, "
            "%(media)s media files). Restore into a new DUDAO_HOME or database, or add --force to replace "
            "everything in it.") % {"tables": len(tables), "media": media}, tables=tables, media=media)
    with tempfile.TemporaryDirectory(prefix=".dudao-restore-", dir=settings.HOME) as staging:
        database = Path(staging) / checked.database_member
        with checked.open(checked.database_member) as source, open(database, "wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
        if checked.vendor == "sqlite":
            _check_sqlite(database)
        for name in media_names():
            default_storage.delete(name)
        for name in checked.media_names():
            with checked.open(archive.MEDIA + name) as stored:
                saved = default_storage.save(name, ContentFile(stored.read()))
            assert saved == name, (saved, name)  # the storage was emptied: every name is free
        if checked.vendor == "sqlite":
            _restore_sqlite(database)
            with transaction.atomic():
                _record_restore(actor, path, manifest, force)
        else:
            call_command("migrate", interactive=False, verbosity=0)
            with transaction.atomic():
                rows.empty_tables([m._meta.db_table for m in rows.dumped_models()])
                with open(database, "rb") as lines:
                    loaded = rows.load(lines)
                if loaded != manifest["tables"]:
                    raise Refused("backup_counts", _("Refused: the rows loaded differ from the backup's manifest; "
                                                     "the database was left as it was."))
                _record_restore(actor, path, manifest, force)
    ContentType.objects.clear_cache()
    return manifest


def _check_sqlite(database: Path) -> None:
    with closing(sqlite3.connect(database)) as restored:
        (result,) = restored.execute("PRAGMA integrity_check").fetchone()
    if result != "ok":
        raise Refused("backup_sqlite_damaged", _(
            "Refused, nothing was written: the database in the backup is damaged (%(detail)s).") % {"detail": result})


def _restore_sqlite(database: Path) -> None:
    """Replace the whole database by the archive's, through SQLite's backup API (one transaction, the WAL kept
    right), then bring it up to this version's schema."""
    connection.close()
    connection.ensure_connection()
    with closing(sqlite3.connect(database)) as restored:
        restored.backup(connection.connection)
    call_command("migrate", interactive=False, verbosity=0)


def _record_restore(actor: Any, path: Path, manifest: dict[str, Any], force: bool) -> None:
    audit_record(actor=actor, action="backup.restore", object_type="backup", object_id=path.name, after={
        "sha256": _file_sha256(path), "created": manifest["created"], "dudao": manifest["dudao"],
        "vendor": manifest["vendor"], "rows": manifest["rows"], "media": manifest["media"],
        "audit_last_seq": manifest["audit"]["last_seq"], "forced": force})
