"""Shared fixtures.

The Jingtai demo is built once per test run and database (a SQLite file or a PostgreSQL template database, and
the media files it writes), under a file lock that the pytest-xdist workers of the run share. Each worker's test
database is a copy of it, and so is the live server's of the browser tests. Every test runs in a transaction
that is rolled back, so tests may change anything; a test that commits (transaction=True) gets a fresh copy of
the demo afterwards. See docs/decisions/0009-test-suite.md.
"""

import dataclasses
import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.test import Client

from dudao.accounts.models import User

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
JINGTAI_CSV = SHARED_DATA / "jingtai-units.csv"
DEMO_USERS = {
    "county_admin": "demo_admin",
    "office": "demo_office",
    "leader": "demo_leader",
    "inspector": "demo_inspector",
    "town_staff": "demo_town",
    "village_staff": "demo_village",
}


@pytest.fixture(scope="session", autouse=True)
def _files_in_temporary_folders(tmp_path_factory):
    """Photos, drone uploads and text messages go to folders of this test process, not to DUDAO_HOME (which the
    xdist workers of a run share: two workers' uploads would have the same database ids)."""
    from django.conf import settings

    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    settings.UPLOAD_DIR = tmp_path_factory.mktemp("uploads")
    settings.SMS_FILE = str(tmp_path_factory.mktemp("sms") / "sms.log")


def _demo_storage() -> dict:
    """The storage the demo wrote its media to: the settings' (a bucket's root with DUDAO_S3_BUCKET)."""
    from dudao import settings as dudao_settings

    return dudao_settings.DEFAULT_STORAGE


def storages_create(backend: dict):
    from django.core.files.storage import storages

    return storages.create_storage(backend)


def _keys(storage, folder: str = "") -> list[str]:
    folders, files = storage.listdir(folder)
    found = [f"{folder}{name}" for name in files]
    for sub in folders:
        found += _keys(storage, f"{folder}{sub}/")
    return found


class StoredMedia:
    """One test's media, empty at its start, read through Django's storage API: a folder of its own, or with
    media in S3 (scripts/test.sh's PostgreSQL half) a key prefix of its own in the bucket; the same test holds
    in both modes."""

    def names(self, folder: str = "") -> list[str]:
        """Every stored file's name, sorted."""
        from django.core.files.storage import default_storage

        try:
            return sorted(_keys(default_storage, folder))
        except FileNotFoundError:
            return []

    def read(self, name: str) -> bytes:
        from django.core.files.storage import default_storage

        with default_storage.open(name, "rb") as stored:
            return stored.read()


@pytest.fixture
def media(settings, tmp_path) -> StoredMedia:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.UPLOAD_DIR = tmp_path / "uploads"
    default = settings.STORAGES["default"]
    if "OPTIONS" in default and "bucket_name" in default["OPTIONS"]:
        prefix = f"test-{os.getpid()}-{tmp_path.name}"
        settings.STORAGES = {**settings.STORAGES, "default": {
            **default, "OPTIONS": {**default["OPTIONS"], "location": prefix}}}
    return StoredMedia()


# The demo, built once per run ---------------------------------------------------------------------------------

RUN_DIR = "DUDAO_TEST_RUN_DIR"  # made by the main pytest process, shared with its xdist workers
_RUN_DIR_OWNED = pytest.StashKey[Path]()


# The fixtures through which a test reaches a database (pytest-django refuses database access to a test without one).
_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server", "demo_template", "demo_data"}
DATABASE_ONLY = "DUDAO_TEST_DATABASE_ONLY"


def _reaches_the_database(item) -> bool:
    return (bool(_DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
            or item.get_closest_marker("django_db") is not None
            or item.get_closest_marker("database_url") is not None)


def pytest_collection_modifyitems(config, items):
    """With DUDAO_TEST_DATABASE_ONLY=1 (scripts/test.sh's PostgreSQL half) only the tests that reach the run's
    database are kept: the others (pure functions, the command line on an embedded home of its own, the layer
    rule...) gave the same answer in the SQLite half, which runs every test.

    Tests marked `threads` write from several threads into the test database, which SQLite's in-memory test
    database cannot share: on SQLite they are skipped before anything is set up for them."""
    from django.conf import settings

    if os.environ.get(DATABASE_ONLY) == "1":
        kept, left = [], []
        for item in items:
            (kept if _reaches_the_database(item) else left).append(item)
        if left:
            config.hook.pytest_deselected(items=left)
            items[:] = kept
    if "sqlite" not in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(reason="in-memory SQLite test databases cannot be shared across threads for writes")
    for item in items:
        if item.get_closest_marker("threads") is not None:
            item.add_marker(skip)


# Passwords in the test processes: PBKDF2 as in the product, at a thousand iterations instead of a million (0.8 s a
# password on this machine); the demo's accounts get such hashes of the demo password (DemoTemplate.quick_passwords).
QUICK_PBKDF2_ITERATIONS = 1_000


def pytest_configure(config):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    PBKDF2PasswordHasher.iterations = QUICK_PBKDF2_ITERATIONS
    if not hasattr(config, "workerinput") and not os.environ.get(RUN_DIR):
        path = Path(tempfile.mkdtemp(prefix="dudao-test-run-"))
        os.environ[RUN_DIR] = str(path)
        config.stash[_RUN_DIR_OWNED] = path


def pytest_unconfigure(config):
    """The main process removes what the run built, once every worker has finished."""
    path = config.stash.get(_RUN_DIR_OWNED, None)
    if path is None:
        return
    try:
        for record in path.glob("*/demo.json"):
            DemoTemplate.read(record).remove()
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.environ.pop(RUN_DIR, None)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@dataclass(frozen=True)
class DemoTemplate:
    """The demo as built once for this run: a SQLite file (server_url "") or a PostgreSQL database on the server
    of server_url, and the folder of the media files the demo wrote."""

    database: str
    media: str
    server_url: str = ""
    # With media in S3 (DUDAO_S3_BUCKET, scripts/test.sh's PostgreSQL half) the demo wrote its files into the
    # bucket, not into ``media``: their names, for copy_media.
    media_keys: tuple[str, ...] = ()

    @classmethod
    def read(cls, path: Path) -> "DemoTemplate":
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__), encoding="utf-8")

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(_with_database(self.server_url, "postgres"), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def copy_into(self, target: sqlite3.Connection) -> None:
        """SQLite: replace the whole content of the target database with the demo."""
        with closing(sqlite3.connect(self.database)) as source:
            source.backup(target)

    def copy_to_file(self, path: Path) -> None:
        with closing(sqlite3.connect(path)) as target:
            self.copy_into(target)

    def clone(self, name: str) -> None:
        """PostgreSQL: (re)create the database `name` as a copy of the demo."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                    f'CREATE DATABASE "{name}" TEMPLATE "{self.database}"')

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def copy_media(self, folder: Path) -> None:
        """The demo's media files into a folder (with media in S3: fetched from the bucket)."""
        if Path(self.media).exists():
            shutil.copytree(self.media, folder, dirs_exist_ok=True)
        if self.media_keys:
            bucket = storages_create(_demo_storage())
            for key in self.media_keys:
                (folder / key).parent.mkdir(parents=True, exist_ok=True)
                with bucket.open(key, "rb") as stored:
                    (folder / key).write_bytes(stored.read())

    def provide_media(self, folder: Path) -> None:
        """The demo's media where a process of this run reads them: copied into its local media folder, or nothing
        to do with media in S3 (its storage is the bucket the demo wrote them to)."""
        if not self.media_keys:
            self.copy_media(folder)

    def quick_passwords(self) -> None:
        """The demo's accounts with a password get the demo password hashed at this process's iterations, so that
        signing in takes no CPU-second (the servers of the browser tests hash it again as the product does)."""
        from django.contrib.auth.hashers import make_password

        from dudao.demo.load import DEMO_PASSWORD

        values = (make_password(DEMO_PASSWORD), "pbkdf2_sha256$%")
        sql = "UPDATE accounts_user SET password = {0} WHERE password LIKE {0}"
        if self.server_url:
            import psycopg

            with psycopg.connect(_with_database(self.server_url, self.database)) as conn:
                conn.execute(sql.format("%s"), values)
        else:
            with closing(sqlite3.connect(self.database)) as conn, conn:
                conn.execute(sql.format("?"), values)

    def remove(self) -> None:
        if self.server_url:
            self.drop(self.database)


def _dudao(command: str, home: Path, *, lang: str, database_url: str = "", timeout: int) -> bytes:
    """`dudao COMMAND` into DUDAO_HOME=home in a process of its own, on the embedded database unless database_url
    names one, in the language of LANG; what it printed on stderr, or a RuntimeError with it."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update(DUDAO_HOME=str(home), LANG=lang)
    if database_url:
        env["DATABASE_URL"] = database_url
    run = subprocess.run([str(Path(sys.executable).with_name("dudao")), command], env=env,  # noqa: S603
                         capture_output=True, timeout=timeout, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"`dudao {command}` failed with {run.returncode}:\n{run.stderr.decode(errors='replace')}")
    return run.stderr


def _dudao_demo(home: Path, database_url: str) -> None:
    """`dudao demo` (init, then the demo) into a new DUDAO_HOME, in the site's language like the web pages."""
    from django.conf import settings

    _dudao("demo", home, lang="en_US.UTF-8" if settings.LANGUAGE_CODE == "en" else "C.UTF-8",
           database_url=database_url, timeout=600)


@pytest.fixture(scope="session")
def demo_template(django_db_modify_db_settings) -> DemoTemplate:
    """The run's demo, made by `dudao demo` as an operator would: the first process that asks makes it, the
    others wait for it and read where it is."""
    from django.db import connection

    run_dir = Path(os.environ[RUN_DIR])
    vendor = connection.vendor
    home = run_dir / f"demo-{vendor}"
    with open(run_dir / "demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = home / "demo.json"
        if record.exists():
            return DemoTemplate.read(record)
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir()
        if vendor == "sqlite":
            template = DemoTemplate(database=str(home / "dudao.sqlite3"), media=str(home / "media"))
            url = ""
        else:
            assert vendor == "postgresql", vendor
            name = f"test_{connection.settings_dict['NAME']}_demo_{os.getpid()}"  # unique on this machine
            template = DemoTemplate(database=name, media=str(home / "media"), server_url=os.environ["DATABASE_URL"])
            template._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
            url = _with_database(template.server_url, name)
        try:
            _dudao_demo(home, url)
        except BaseException:
            template.remove()
            raise
        template.quick_passwords()
        if "bucket_name" in _demo_storage().get("OPTIONS", {}):
            template = dataclasses.replace(template, media_keys=tuple(_keys(storages_create(_demo_storage()))))
        template.write(record)
        return template


@dataclass(frozen=True)
class InitialisedHome:
    """An embedded home (SQLite, local files) just after `dudao init`, made once per run: what init printed, and
    copies of it for the tests of the command line that start from a new installation (migrating an empty
    database takes about 20 s, so each such test would pay it again)."""

    path: Path
    stderr: bytes

    def copy(self, target: Path) -> Path:
        shutil.copytree(self.path, target, dirs_exist_ok=True)
        return target


@pytest.fixture(scope="session")
def initialised_home() -> InitialisedHome:
    run_dir = Path(os.environ[RUN_DIR])
    home, record = run_dir / "initialised-home", run_dir / "initialised-home.stderr"
    with open(run_dir / "init.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir()
            # The embedded default (the run's database removed), in English like the tests of the command line.
            record.write_bytes(_dudao("init", home, lang="en_US.UTF-8", timeout=300))
        return InitialisedHome(home, record.read_bytes())


@pytest.fixture
def fresh_home(initialised_home, tmp_path) -> Path:
    """A new embedded installation of this test's own (a copy of the run's initialised home)."""
    return initialised_home.copy(tmp_path / "home")


class _TestDatabase:
    """This process's test database: a copy of the demo, put back after a test that committed."""

    def __init__(self, connection, template: DemoTemplate, blocker):
        self.connection, self.template, self.blocker = connection, template, blocker
        self.destroyed = False
        self.old_name = connection.settings_dict["NAME"]
        if template.server_url:
            test_name = connection.settings_dict.get("TEST", {}).get("NAME") or f"test_{self.old_name}"
            self.name = f"{test_name}_{os.getpid()}"  # test_<name>[_gw<n>]_<pid>: unique on this machine
        else:
            # Django's in-memory test database, shared by the threads of this process.
            self.name = f"file:memorydb_{connection.alias}?mode=memory&cache=shared"

    def create(self) -> None:
        self.connection.close()
        self.connection.settings_dict["NAME"] = self.name
        self.restore()

    def restore(self) -> None:
        from django.contrib.contenttypes.models import ContentType

        if self.destroyed:
            return
        with self.blocker.unblock():
            if self.template.server_url:
                self.connection.close()
                self.template.clone(self.name)
            else:
                self.connection.ensure_connection()
                self.template.copy_into(self.connection.connection)
        ContentType.objects.clear_cache()  # a flush made new rows (and ids) that the copy replaced

    def destroy(self) -> None:
        self.destroyed = True
        self.connection.close()
        if self.template.server_url:
            self.template.drop(self.name)
        self.connection.settings_dict["NAME"] = self.old_name


@pytest.fixture(scope="session")
def django_db_setup(django_db_modify_db_settings, django_db_blocker, demo_template, _files_in_temporary_folders):
    """Replaces pytest-django's: the test database is a copy of the run's demo instead of a migrated one."""
    from django.conf import settings
    from django.db import connection

    database = _TestDatabase(connection, demo_template, django_db_blocker)
    database.create()
    demo_template.provide_media(Path(settings.MEDIA_ROOT))
    yield database
    with django_db_blocker.unblock():
        database.destroy()


def _commits(item) -> bool:
    """Whether the test runs outside a rolled-back transaction (pytest-django's rule)."""
    from pytest_django.fixtures import validate_django_db

    marker = item.get_closest_marker("django_db")
    if marker is not None:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        if transaction or reset_sequences:
            return True
    return bool({"transactional_db", "live_server"} & set(item.fixturenames))


_COMMITTED = pytest.StashKey["_TestDatabase"]()


@pytest.fixture(autouse=True)
def _demo_again_after_commits(request):
    """A test that commits ends with pytest-django emptying the database (its flush); the demo is then copied
    back (see pytest_runtest_teardown), so every test starts from the demo whatever ran before it."""
    if _commits(request.node):
        request.node.stash[_COMMITTED] = request.getfixturevalue("django_db_setup")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield  # every fixture of the test is torn down: the flush is done
    database = item.stash.get(_COMMITTED, None)
    if database is not None and nextitem is not None:
        database.restore()
    return result


@pytest.fixture
def jingtai_csv() -> bytes:
    return JINGTAI_CSV.read_bytes()


@pytest.fixture
def demo_data(transactional_db):
    """For tests that commit (transaction=True): the demo is there (each such test gets it back afterwards)."""
    assert User.objects.filter(username="demo_office").exists()


@pytest.fixture
def users(db) -> dict[str, User]:
    return {role: User.objects.get(username=name) for role, name in DEMO_USERS.items()}


@pytest.fixture
def client_for(db):
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def rendered_each_time(settings):
    """For tests that count a page's queries: every request renders the page (none is kept, dudao.core.kept)."""
    settings.KEPT_PAGES_SECONDS = 0


@pytest.fixture
def empty_org(db):
    """Remove all organisation data inside the test's transaction, for tests that start from nothing."""
    from django.apps import apps

    from dudao.accounts.models import User as UserModel
    from dudao.audit.models import AuditEvent, AuditHead
    from dudao.campaigns.models import Campaign
    from dudao.drone.models import Batch, DronePhoto
    from dudao.inspections.models import Checklist, Inspection
    from dudao.interviews.models import Interview
    from dudao.notifications.models import Notification
    from dudao.org.models import GroupMember, Person, Post, Unit, WorkingGroup
    from dudao.photos.models import Photo
    from dudao.problems.models import Category, Problem
    from dudao.ranking.models import Entry, RankingSettings, Result, Round, Submission

    # Models of the later apps (exposure items, plan tasks, practices, notices, reports, bulletins, interviews, notification deliveries) refer to
    # problems, units, rounds, interviews and notifications: they go first, most dependent last-declared first.
    for label in ("recheck", "mobilise", "exposure", "plan", "grids", "practices", "notices", "reports", "bulletins",
                  "interviews", "notifications"):
        for model in reversed(list(apps.get_app_config(label).get_models())):
            if model is not Notification:
                model.objects.all().delete()
    for model in (Problem, DronePhoto, Batch, Inspection, Checklist, Category, Photo, Notification, Interview, Result,
                  Entry, Submission, Round, RankingSettings):
        model.objects.all().delete()
    AuditEvent.objects.all().delete()
    GroupMember.objects.all().delete()
    WorkingGroup.objects.all().delete()
    Post.objects.all().delete()
    UserModel.objects.all().delete()
    Person.objects.all().delete()
    Campaign.objects.all().delete()
    AuditEvent.objects.all().delete()
    AuditHead.objects.all().delete()  # nothing happened yet: the log starts again from its first entry
    for level in ("grid", "group", "village", "community", "town", "county"):
        Unit.objects.filter(level=level).delete()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: Django's LocaleMiddleware activates a request's language in the
    thread and leaves it there, which would make a later test depend on an earlier one's Accept-Language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def villages_by_their_points(db):
    """For tests that place drone photos by the villages' points: the demo's synthetic boundaries (every village
    has one) are removed, stamped like a real change, since the placement index and the county's box are kept
    until a unit changes. The tests of placement by boundary draw their own."""
    from django.utils import timezone

    from dudao.org.models import Unit

    Unit.objects.update(boundary=None, boundary_datum="", boundary_synthetic=False, updated_at=timezone.now())
