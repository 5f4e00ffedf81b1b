"""Shared fixtures. The Jingtai demo is loaded once into the test database; every test runs in a transaction
that is rolled back, so tests may change anything."""

from pathlib import Path

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
def _media_in_a_temporary_folder(tmp_path_factory):
    """Photos the demo and the tests store go to a folder of the session, not to DUDAO_HOME."""
    from django.conf import settings

    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, _media_in_a_temporary_folder):
    from dudao.demo.load import load_demo

    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture
def jingtai_csv() -> bytes:
    return JINGTAI_CSV.read_bytes()


@pytest.fixture
def demo_data(transactional_db):
    """For tests that commit (transaction=True): the first of them empties the database when it ends, so each
    loads the demo again if it is gone."""
    from dudao.demo.load import load_demo

    if not User.objects.filter(username="demo_office").exists():
        load_demo()


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
def empty_org(db):
    """Remove all organisation data inside the test's transaction, for tests that start from nothing."""
    from django.apps import apps

    from dudao.accounts.models import User as UserModel
    from dudao.audit.models import AuditEvent
    from dudao.campaigns.models import Campaign
    from dudao.drone.models import Batch, DronePhoto
    from dudao.inspections.models import Checklist, Inspection
    from dudao.interviews.models import Interview
    from dudao.notifications.models import Notification
    from dudao.org.models import GroupMember, Person, Post, Unit, WorkingGroup
    from dudao.photos.models import Photo
    from dudao.problems.models import Category, Problem
    from dudao.ranking.models import Entry, RankingSettings, Result, Round, Submission

    # Models of the later apps (bulletins, interviews, notification deliveries) refer to rounds, interviews and
    # notifications: they go first, most dependent last-declared first.
    for label in ("bulletins", "interviews", "notifications"):
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
