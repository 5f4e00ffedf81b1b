"""`dudao backup -o FILE` and `dudao restore FILE` (CONTRACTS §1): the archive's checks without a database, the
refusals in-process, and the whole round trip as an operator runs it (real processes, the demo copied into a home
of its own: a SQLite file, or a PostgreSQL database when the suite runs on PostgreSQL)."""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from moto.server import ThreadedMotoServer

from dudao.audit.models import AuditEvent
from dudao.backup import archive
from dudao.backup.rows import dumped_models
from dudao.backup.services import SCHEMA_TABLES, media_names
from dudao.ranking.models import Round

DUDAO = str(Path(sys.executable).with_name("dudao"))


def write_archive(path: Path, vendor: str = "sqlite", migrations: list[list[str]] | None = None) -> Path:
    writer = archive.Writer(path)
    writer.add_bytes("database.sqlite3" if vendor == "sqlite" else "database.jsonl", b"the database")
    writer.add_bytes("media/photos/a.jpg", b"a photo")
    writer.close({"vendor": vendor, "dudao": "0.1.0", "created": "2026-12-07T00:00:00+00:00",
                  "migrations": migrations or [], "tables": {}, "rows": 0, "media": 1,
                  "audit": {"events": 0, "last_seq": 0, "last_hash": ""}})
    return path


def refusal(path: Path) -> archive.ArchiveRefused:
    with pytest.raises(archive.ArchiveRefused) as refused:
        archive.read(path)
    return refused.value


# The archive, without a database -------------------------------------------------------------------------------

def test_an_archive_reads_back_with_its_members_checked(tmp_path):
    checked = archive.read(write_archive(tmp_path / "b.tar"))
    try:
        assert (checked.vendor, checked.database_member, checked.media_names()) == (
            "sqlite", "database.sqlite3", ["photos/a.jpg"])
        assert checked.open("media/photos/a.jpg").read() == b"a photo"
        assert checked.manifest["members"]["media/photos/a.jpg"] == {
            "bytes": 7, "sha256": hashlib.sha256(b"a photo").hexdigest()}
    finally:
        checked.close()


def test_an_altered_member_is_refused(tmp_path):
    path = write_archive(tmp_path / "b.tar")
    path.write_bytes(path.read_bytes().replace(b"a photo", b"a phot0"))
    assert (refusal(path).code, refusal(path).params) == ("altered_member", {"member": "media/photos/a.jpg"})


def test_a_truncated_archive_is_refused(tmp_path):
    path = write_archive(tmp_path / "b.tar")
    data = path.read_bytes()
    path.write_bytes(data[:data.index(b"a photo") + 3])
    assert (refusal(path).code, refusal(path).params) == ("truncated", {"path": str(path)})


def test_a_member_the_manifest_does_not_list_is_refused(tmp_path):
    path = write_archive(tmp_path / "b.tar")
    with tarfile.open(path, "a") as tar:
        info = tarfile.TarInfo("media/extra.jpg")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"extra"))
    assert (refusal(path).code, refusal(path).params) == ("unlisted_member", {"member": "media/extra.jpg"})


def test_a_member_outside_the_archive_layout_is_refused(tmp_path):
    path = tmp_path / "b.tar"
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("media/../../etc/cron.d/x")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    assert (refusal(path).code, refusal(path).params) == ("unsafe_member", {"member": "media/../../etc/cron.d/x"})


def test_a_listed_member_missing_and_an_archive_without_manifest_are_refused(tmp_path):
    path = tmp_path / "b.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in (("media/a.jpg", b"a"), ("manifest.json", json.dumps({
                "format": 1, "vendor": "sqlite", "members": {"database.sqlite3": {"bytes": 1, "sha256": "0"},
                                                            "media/a.jpg": {"bytes": 1, "sha256": hashlib.sha256(
                                                                b"a").hexdigest()}}}).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert (refusal(path).code, refusal(path).params) == ("missing_member", {"member": "database.sqlite3"})
    bare = tmp_path / "bare.tar"
    with tarfile.open(bare, "w") as tar:
        info = tarfile.TarInfo("database.sqlite3")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    assert refusal(bare).code == "no_manifest"


def test_something_else_than_a_tar_is_refused(tmp_path):
    path = tmp_path / "b.tar"
    path.write_bytes(b"SQLite format 3\x00" + bytes(2000))
    assert (refusal(path).code, refusal(path).params) == ("unreadable", {"path": str(path)})
    assert (refusal(tmp_path / "none.tar").code) == "missing"


# Refusals of `dudao restore`, in-process: nothing is written -----------------------------------------------------

@pytest.fixture
def english(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


def the_same_after(action) -> None:
    """Run the action (which must be refused) and check that the database's audit log and the media are as
    they were."""
    before = (AuditEvent.objects.count(), media_names())
    action()
    assert (AuditEvent.objects.count(), media_names()) == before


def restore_refused(path: Path, *args: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), *args)
    return str(refused.value)


def test_restore_refuses_a_damaged_archive_and_writes_nothing(db, english, tmp_path, media):
    path = write_archive(tmp_path / "b.tar", vendor=connection.vendor)
    path.write_bytes(path.read_bytes().replace(b"a photo", b"a phot0"))
    the_same_after(lambda: assert_message(
        restore_refused(path, "--force"),
        "Refused, nothing was written: “media/photos/a.jpg” in the backup does not match its SHA-256 in the "
        "manifest: the backup was damaged or altered."))
    truncated = tmp_path / "t.tar"
    truncated.write_bytes(path.read_bytes()[:700])
    the_same_after(lambda: assert_message(
        restore_refused(truncated, "--force"),
        f"Refused, nothing was written: The backup {truncated} is truncated or damaged: it cannot be read to its "
        "end."))


def assert_message(found: str, expected: str) -> None:
    assert found == expected


def applied() -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def test_restore_refuses_a_home_that_is_not_empty_without_force(db, english, tmp_path, media):
    path = write_archive(tmp_path / "b.tar", vendor=connection.vendor, migrations=applied())
    tables = [m._meta.db_table for m in dumped_models()
              if m._meta.db_table not in SCHEMA_TABLES and m._base_manager.exists()]
    assert {"accounts_user", "audit_auditevent", "org_unit"} <= set(tables)
    the_same_after(lambda: assert_message(
        restore_refused(path),
        f"Refused, nothing was written: this installation is not empty ({len(tables)} tables with rows, "
        f"{len(media_names())} media files). Restore into a new DUDAO_HOME or database, or add --force to replace "
        "everything in it."))


def test_restore_refuses_another_vendor_and_a_newer_version(db, english, tmp_path, media):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    names = {"sqlite": "the embedded mode (SQLite)", "postgresql": "PostgreSQL"}
    path = write_archive(tmp_path / "b.tar", vendor=other, migrations=applied())
    the_same_after(lambda: assert_message(
        restore_refused(path, "--force"),
        f"Refused, nothing was written: the backup is of {names[other]}, this installation uses "
        f"{names[connection.vendor]}."))
    newer = write_archive(tmp_path / "n.tar", vendor=connection.vendor,
                          migrations=[*applied(), ["audit", "9999_from_the_future"]])
    the_same_after(lambda: assert_message(
        restore_refused(newer, "--force"),
        "Refused, nothing was written: the backup was made by a newer Dudao (0.1.0; it has the migration "
        "audit.9999_from_the_future, which this one lacks). Restore it with that version."))


# The round trip, as an operator runs it ------------------------------------------------------------------------

def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


class Home:
    """A DUDAO_HOME (and, on PostgreSQL, a database of its own) to run `dudao` in."""

    def __init__(self, folder: Path, database_url: str = "") -> None:
        self.folder, self.database_url = folder, database_url
        self.env: dict[str, str] = {}
        folder.mkdir()

    def run(self, *args: str) -> subprocess.CompletedProcess:
        # A home of its own: local media unless its env names a bucket (the suite's own may be in S3).
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "LC_ALL", "LC_MESSAGES", "LANGUAGE") and not k.startswith("DUDAO_S3_")}
        env.update(DUDAO_HOME=str(self.folder), LANG="en_US.UTF-8")
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.env)
        return subprocess.run([DUDAO, *args], env=env, capture_output=True, timeout=300, check=False)

    def media(self) -> dict[str, str]:
        root = self.folder / "media"
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def homes(db, demo_template, tmp_path):
    """The demo in a home of its own (the source), and a new, empty home (the target)."""
    source_name, target_name = f"backup_source_{os.getpid()}", f"backup_target_{os.getpid()}"
    if demo_template.server_url:
        demo_template.clone(source_name)
        demo_template.drop(target_name)
        demo_template._admin(f'CREATE DATABASE "{target_name}"')
        source = Home(tmp_path / "source", _with_database(demo_template.server_url, source_name))
        target = Home(tmp_path / "target", _with_database(demo_template.server_url, target_name))
    else:
        source, target = Home(tmp_path / "source"), Home(tmp_path / "target")
        demo_template.copy_to_file(source.folder / "dudao.sqlite3")
    demo_template.copy_media(source.folder / "media")
    yield source, target
    if demo_template.server_url:
        demo_template.drop(source_name)
        demo_template.drop(target_name)


def test_backup_then_restore_into_an_empty_home_reproduces_exports_photos_and_the_audit_chain(homes, tmp_path):
    source, target = homes
    week = Round.objects.filter(status="published").order_by("-week").values_list("week", flat=True).first()
    backup = tmp_path / "dudao.tar"

    made = source.run("backup", "-o", str(backup))
    assert (made.returncode, made.stdout) == (0, b""), made.stderr.decode()
    checked = archive.read(backup)
    manifest = checked.manifest
    checked.close()
    events = manifest["audit"]["events"]
    assert manifest["media"] == len(source.media()) > 0
    # The backup is recorded in the source's log, after what the archive holds.
    assert source.run("audit", "verify").stdout.decode() == f"The audit log is intact: {events + 1} entries checked.\n"

    restored = target.run("restore", str(backup))
    assert (restored.returncode, restored.stdout) == (0, b""), restored.stderr.decode()
    assert restored.stderr.decode().splitlines() == [
        f"Restored {manifest['rows']} rows and {manifest['media']} media files from the backup of "
        f"{manifest['created']} (Dudao {manifest['dudao']}).",
        f"The audit log is intact: {events + 1} entries checked."]
    exported = [home.run("ranking", "export", "--week", week).stdout for home in (source, target)]
    assert exported[0] == exported[1]
    assert exported[0].count(b"\n") > 100
    assert target.media() == source.media()

    # Into the now restored home (refused without --force: test_restore_refuses_a_home_that_is_not_empty_…):
    forced = target.run("restore", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr.decode()
    assert forced.stderr.decode().splitlines()[-1] == f"The audit log is intact: {events + 1} entries checked."
    assert target.run("ranking", "export", "--week", week).stdout == exported[0]
    assert target.media() == source.media()


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_backup_and_restore_with_the_media_in_s3_buckets(homes, s3_endpoint, tmp_path):
    """The media of the source in one bucket (moto's S3 server on loopback), restored into another, empty one."""
    source, target = homes
    keys = {"DUDAO_S3_ACCESS_KEY": "test-access", "DUDAO_S3_SECRET_KEY": "test-secret", "DUDAO_S3_REGION": "us-east-1",
            "DUDAO_S3_ENDPOINT": s3_endpoint}
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test-access",
                          aws_secret_access_key="test-secret")

    def objects(bucket: str) -> dict[str, str]:
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {o["Key"]: hashlib.sha256(client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()).hexdigest()
                for o in listed}

    for home, bucket in ((source, "dudao-source"), (target, "dudao-target")):
        client.create_bucket(Bucket=bucket)
        home.env = {**keys, "DUDAO_S3_BUCKET": bucket}
    # A sample of the demo's media (the first test checks every one): the bucket's round trip is the same for each
    # file, and each file costs the moto server a dozen requests.
    local = dict(sorted(source.media().items())[:40])
    for name in local:
        client.put_object(Bucket="dudao-source", Key=name, Body=(source.folder / "media" / name).read_bytes())
    shutil.rmtree(source.folder / "media")
    backup = tmp_path / "dudao.tar"

    assert source.run("backup", "-o", str(backup)).returncode == 0
    restored = target.run("restore", str(backup))
    assert restored.returncode == 0, restored.stderr.decode()
    checked = archive.read(backup)
    assert restored.stderr.decode().splitlines()[-1] == (
        f"The audit log is intact: {checked.manifest['audit']['events'] + 1} entries checked.")
    checked.close()
    assert objects("dudao-target") == objects("dudao-source") == local
    assert not (target.folder / "media").exists()


def test_a_home_is_empty_when_only_the_schema_rows_are_there(db, media):
    from dudao.backup import rows
    from dudao.backup.services import home_contents

    rows.empty_tables([m._meta.db_table for m in dumped_models() if m._meta.db_table not in SCHEMA_TABLES])
    assert home_contents() == ([], 0)
    default_storage.save("photos/a.jpg", ContentFile(b"a photo"))
    AuditEvent.objects.create(seq=1, at="2026-12-07T00:00:00Z", actor_label="system:cli", action="x",
                              object_type="x", object_id="1", prev_hash="0" * 64, hash="0" * 64)
    assert home_contents() == (["audit_auditevent"], 1)


@pytest.mark.django_db(transaction=True)
def test_a_backup_holds_the_rows_and_media_and_is_recorded_in_the_audit_log(english, tmp_path, media):
    """In-process, on the test database: the manifest counts what the database holds, the event names the file.
    It commits: SQLite's backup waits for the end of any transaction of the connection it copies (the demo is
    copied back afterwards). The media are this test's own (a folder, or a prefix of the suite's bucket)."""
    from dudao.org.models import Unit

    default_storage.save("photos/a.jpg", ContentFile(b"a photo"))
    path = tmp_path / "dudao.tar"
    events = AuditEvent.objects.count()
    call_command("backup", "-o", str(path))
    checked = archive.read(path)
    manifest = checked.manifest
    assert (checked.vendor, manifest["format"], manifest["dudao"]) == (connection.vendor, 1, "0.1.0")
    assert manifest["tables"]["org_unit"] == Unit.objects.count()
    assert manifest["audit"]["events"] == events
    assert checked.media_names() == media_names()
    assert manifest["media"] == len(media.names()) == 1
    checked.close()
    recorded = AuditEvent.objects.order_by("-seq").first()
    assert (recorded.seq, recorded.action, recorded.object_type, recorded.object_id, recorded.actor_label) == (
        events + 1, "backup.make", "backup", "dudao.tar", "system:cli")
    assert recorded.after == {
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "bytes": path.stat().st_size,
        "vendor": connection.vendor, "rows": manifest["rows"], "media": manifest["media"],
        "audit_last_seq": manifest["audit"]["last_seq"]}
    assert oct(path.stat().st_mode & 0o777) == "0o600"
