"""An installation made by the code before the layers (main at BASE: the demo loaded, its weeks published, with
interviews, bulletins, the outbox) migrates to today's schema with every row intact.

The old code is taken from git, runs `dudao demo` in a process of its own into a fresh database (SQLite, or a
scratch PostgreSQL database when the suite runs on PostgreSQL), every table is read raw; today's `dudao migrate`
runs; every table is read again. Each old row must still be there with each old value - under its new column
name where a column was renamed - the new foreign keys of the actors must name the account of the label, and the
new labels the account of the foreign key.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# The old and the new code run on the run's database (SQLite, or PostgreSQL with DATABASE_URL).
pytestmark = pytest.mark.database_url

ROOT = Path(__file__).resolve().parents[1]
BASE = "7e58393"  # the last main before the layers (issue 12)
SKIPPED_TABLES = {"django_migrations"}
# Tables that gain rows: the content types and permissions of the models new to the schema (the worker's).
GROWING = {"django_content_type", "auth_permission"}
# Columns that became labels beside a new foreign key (docs/decisions/0008-layers.md).
RENAMED = {
    "ranking_round": {"requested_by": "requested_by_label", "published_by": "published_by_label",
                      "approved_by": "approved_by_label"},
    "ranking_submission": {"submitted_by": "submitted_by_label"},
    "ranking_reminder": {"sent_by": "sent_by_label"},
    "bulletins_bulletin": {"generated_by": "generated_by_label"},
    "bulletins_bulletintemplate": {"uploaded_by": "uploaded_by_label"},
    "bulletins_letterhead": {"updated_by": "updated_by_label"},
    "inspections_checklist": {"created_by": "created_by_label"},
}
# Bulletins labelled their actors as the audit log does ("user:<name>"); labels are user names everywhere now.
USER_PREFIXED = {"bulletins_bulletin", "bulletins_bulletintemplate", "bulletins_letterhead"}


GIT = shutil.which("git") or "git"
# What the demo does not: actors who are users - a township submits, the office reminds and edits the letterhead
# (the old code's own services, in its own process).
BY_USERS = """
from django.utils import timezone
from dudao.accounts.models import User
from dudao.bulletins.services import letterhead_update
from dudao.campaigns.services import campaign_get
from dudao.org.models import Unit
from dudao.ranking import services, weeks
campaign, week = campaign_get(), weeks.week_of(timezone.localdate())
town, office = User.objects.get(username="demo_town"), User.objects.get(username="demo_office")
codes = list(Unit.objects.filter(parent=town.scope_unit, level__in=["village", "community"], active=True)
             .order_by("code").values_list("code", flat=True))
report = services.ranking_submit_order(actor=town, campaign=campaign, week=week, town=town.scope_unit, codes=codes)
assert report.ok, report.problems
assert services.ranking_remind(actor=office, campaign=campaign, week=week)
letterhead_update(actor=office, campaign=campaign, issuer="景泰县城乡环境专项整治办公室", prefix="景整办")
"""


def _base_available() -> bool:
    found = subprocess.run([GIT, "-C", str(ROOT), "cat-file", "-e", f"{BASE}^{{commit}}"], capture_output=True,
                           check=False)
    return found.returncode == 0


class Database:
    """The database both versions of the code use: a SQLite file, or a scratch PostgreSQL database."""

    def __init__(self, home: Path):
        self.home = home
        self.url = ""
        test_url = os.environ.get("DATABASE_URL", "")
        if test_url.startswith(("postgres://", "postgresql://")):
            parts = urlsplit(test_url)
            self.name = f"dudao_upgrade_{os.getpid()}"
            self.admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
            self.url = urlunsplit((parts.scheme, parts.netloc, f"/{self.name}", "", ""))
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.name}"')

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def env(self, pythonpath: str | None) -> dict:
        env = {**os.environ, "DUDAO_HOME": str(self.home), "DJANGO_SETTINGS_MODULE": "dudao.settings"}
        env.pop("DATABASE_URL", None)
        env.pop("PYTHONPATH", None)
        if self.url:
            env["DATABASE_URL"] = self.url
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        return env

    def tables(self) -> dict[str, tuple[list[str], list[tuple]]]:
        """Every table: its columns and its rows ordered by the first column (the id)."""
        if self.url:
            import psycopg

            with psycopg.connect(self.url) as conn:
                names = [r[0] for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
                return {name: self._read(conn, name) for name in names if name not in SKIPPED_TABLES}
        with sqlite3.connect(self.home / "dudao.sqlite3") as conn:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            return {name: self._read(conn, name) for name in names if name not in SKIPPED_TABLES}

    @staticmethod
    def _read(conn, table: str) -> tuple[list[str], list[tuple]]:
        cursor = conn.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 - names from the catalogue
        columns = [d[0] for d in cursor.description]
        return columns, [tuple(row) for row in cursor.fetchall()]

    def drop(self) -> None:
        if self.url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# The old code's `dudao demo`, cheaper where the upgrade does not look (a third of its time): its bulletins' PDFs are
# a placeholder (their rows, Word and Excel files are the old code's own) and passwords are hashed with a thousand
# PBKDF2 iterations instead of a million.
OLD_DEMO = """
import django
from django.contrib.auth.hashers import PBKDF2PasswordHasher
PBKDF2PasswordHasher.iterations = 1000
django.setup()
from django.core.management import call_command
from dudao.bulletins import pdf
pdf.render = lambda content, summary=False: b"%PDF-1.4\\n%%EOF\\n"
call_command("demo")
"""


def _run(args: list[str], env: dict, timeout: int) -> None:
    command = [sys.executable, "-c", OLD_DEMO] if args == ["demo"] else [sys.executable, "-m", "dudao", *args]
    done = subprocess.run(command, env=env, cwd=env["DUDAO_HOME"], capture_output=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def upgraded():
    if not _base_available():
        pytest.skip(f"the commit {BASE} is not in this clone's history")
    work = Path(tempfile.mkdtemp(prefix="dudao-upgrade-"))
    home = work / "home"
    home.mkdir()
    database = Database(home)
    try:
        archive = work / "base.tar"
        with archive.open("wb") as out:
            subprocess.run([GIT, "-C", str(ROOT), "archive", BASE, "src/dudao"], stdout=out, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(work / "base", filter="data")
        old = database.env(str(work / "base" / "src"))
        _run(["demo"], old, timeout=600)
        _run(["shell", "-c", BY_USERS], old, timeout=120)
        before = database.tables()
        _run(["migrate", "-v0"], database.env(None), timeout=300)
        after = database.tables()
        yield before, after
    finally:
        database.drop()
        shutil.rmtree(work, ignore_errors=True)


def test_every_table_keeps_every_row(upgraded):
    before, after = upgraded
    assert sorted(set(before) - set(after)) == []
    counts = {table: (len(before[table][1]), len(after[table][1])) for table in before}
    assert {t: c for t, c in counts.items() if c[0] != c[1] and t not in GROWING} == {}
    ids = {t: ({r[0] for r in before[t][1]}, {r[0] for r in after[t][1]}) for t in GROWING}
    assert {t: sorted(old - new) for t, (old, new) in ids.items()} == {t: [] for t in GROWING}
    # The demo made real data: rounds, interviews, bulletins, the audit chain.
    assert min(counts[t][0] for t in ("ranking_round", "ranking_interview", "bulletins_bulletin", "audit_auditevent",
                                      "interviews_commitment", "notifications_delivery")) > 0


def test_every_old_value_is_kept_under_its_column(upgraded):
    before, after = upgraded
    changed = {}
    for table, (columns, rows) in before.items():
        if table == "django_content_type":
            continue
        new_columns, new_rows = after[table]
        renamed = RENAMED.get(table, {})
        index = [new_columns.index(renamed.get(c, c)) for c in columns]
        by_key = {row[0]: row for row in new_rows}
        for old in rows:
            new = by_key[old[0]]
            moved = tuple(new[i] for i in index)
            if table in USER_PREFIXED:
                old = tuple(v.removeprefix("user:") if isinstance(v, str) and c in renamed else v
                            for c, v in zip(columns, old, strict=True))
            if moved != old:
                changed.setdefault(table, []).append((old, moved))
    assert changed == {}


def test_the_actors_name_their_accounts(upgraded):
    _before, after = upgraded
    columns, users = after["accounts_user"]
    by_name = {row[columns.index("username")]: row[columns.index("id")] for row in users}
    linked = 0
    for table, renamed in RENAMED.items():
        columns, rows = after[table]
        for field in renamed:
            key, label = columns.index(f"{field}_id"), columns.index(f"{field}_label")
            for row in rows:
                assert row[key] == by_name.get(row[label]), (table, field, row[label], row[key])
                linked += row[key] is not None
    assert linked > 0


# Actors that were accounts only (or nothing, for the command line) and got a label beside: the column saying that
# the act happened, so that "no account" reads system:cli only where there was an act.
LABELLED = {"problems_problem": {"reported_by": "reported_at", "rectified_by": "rectified_at"},
            "drone_dronephoto": {"scored_by": "score"}}


def test_the_new_labels_name_the_actors(upgraded):
    _before, after = upgraded
    columns, users = after["accounts_user"]
    names = {row[columns.index("id")]: row[columns.index("username")] for row in users}
    wrong, labelled = [], 0
    for table, fields in LABELLED.items():
        columns, rows = after[table]
        for field, happened in fields.items():
            key, label, act = (columns.index(f"{field}_id"), columns.index(f"{field}_label"),
                               columns.index(happened))
            for row in rows:
                expected = names[row[key]] if row[key] is not None else "system:cli" if row[act] is not None else ""
                labelled += expected != ""
                if row[label] != expected:
                    wrong.append((table, field, row[0], row[label], expected))
    assert (wrong, labelled > 0) == ([], True)


def test_the_interview_content_type_follows_the_model(upgraded):
    before, after = upgraded
    def labels(tables):
        columns, rows = tables["django_content_type"]
        return {(r[columns.index("app_label")], r[columns.index("model")]): r[columns.index("id")] for r in rows}

    old, new = labels(before), labels(after)
    assert new[("interviews", "interview")] == old[("ranking", "interview")]
    assert ("ranking", "interview") not in new


def test_each_upgraded_interview_covers_its_own_village(upgraded):
    """One interview per official came later: every interview made before covers its own red village."""
    _before, after = upgraded
    columns, interviews = after["ranking_interview"]
    pk, village = columns.index("id"), columns.index("village_id")
    link_columns, links = after["ranking_interview_villages"]
    by, unit = link_columns.index("interview_id"), link_columns.index("unit_id")
    assert sorted((row[by], row[unit]) for row in links) == sorted((row[pk], row[village]) for row in interviews)
    assert len(links) == len(interviews) > 0
