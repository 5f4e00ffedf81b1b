"""Real-browser fixtures: the product runs end to end in a subprocess, exactly as an operator starts it.

One session copies the run's demo (made once per run by ``dudao demo``, see tests/conftest.py: the database and
its media files) into a fresh DUDAO_HOME, starts gunicorn there on a port of 127.0.0.1 that it picks, and one headless
Chromium (Debian's /usr/bin/chromium; never a downloaded browser). Every test gets its own browser context, so
cookies and language never leak between tests. The Django test database is not used.

When the test process has DATABASE_URL (the suite also runs on PostgreSQL), the server gets its own copy
``dudao_e2e_<pid>`` on the same PostgreSQL server, dropped at the end; otherwise a SQLite file in the temp home.
With DUDAO_TEST_SEPARATE_WORKER=1 (scripts/test.sh sets it for the PostgreSQL half) the server runs as at scale:
DUDAO_WORKER=separate, and the background work is done by a `dudao worker` process of its own.
"""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEMO_PASSWORD = "jingtai-demo-2026"
HEALTH_TIMEOUT = 30.0
SCRIPTS = Path(sysconfig.get_path("scripts"))  # the bin directory of the venv running pytest
SERVER_LOG_LINES = 200


# The DATABASES entry of the live server's own database, filled when the server starts (see server_db).
SERVER_DATABASE: dict = {}


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


# gunicorn binds port 0 itself and says which port it got: a port picked beforehand could be taken in between by
# another test run's server, whose /healthz would then answer for ours.
LISTENING = re.compile(rb"Listening at: (http://127\.0\.0\.1:\d+) ")


def _wait_healthy(server: subprocess.Popen, log_path: Path) -> str:
    """The server's base URL once /healthz answers 200."""
    deadline = time.monotonic() + HEALTH_TIMEOUT
    base_url = None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}:\n{log_path.read_text(errors='replace')}")
        if base_url is None:
            listening = LISTENING.search(log_path.read_bytes())
            base_url = listening.group(1).decode() if listening else None
        if base_url is not None:
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310 - 127.0.0.1
                    if response.status == 200:
                        return base_url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not answer 200 within {HEALTH_TIMEOUT:.0f} s:\n"
                       f"{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def live_server_url(demo_template, request) -> Iterator[str]:
    """Base URL of the real product (a copy of the demo, gunicorn with two workers). When tests failed, the end of
    the server's log is written to the run's error output before the server's folder goes (a CI run once saw every
    page of the SQLite half's server answer 500, with nothing to tell why)."""
    home = Path(tempfile.mkdtemp(prefix="dudao-e2e-"))
    env = {**os.environ, "DUDAO_HOME": str(home), "DJANGO_SETTINGS_MODULE": "dudao.settings"}
    for name in ("DUDAO_DEBUG", "DUDAO_LANGUAGE", "DUDAO_ALLOWED_HOSTS", "DUDAO_SECURE_COOKIES"):
        env.pop(name, None)
    database = None
    if demo_template.server_url:
        database = f"dudao_e2e_{os.getpid()}"
        demo_template.clone(database)
        env["DATABASE_URL"] = _with_database(demo_template.server_url, database)
    else:
        env.pop("DATABASE_URL", None)
        demo_template.copy_to_file(home / "dudao.sqlite3")
    demo_template.provide_media(home / "media")
    separate = os.environ.get("DUDAO_TEST_SEPARATE_WORKER", "0") == "1"
    if separate:
        env["DUDAO_WORKER"] = "separate"
    server = worker = None
    log = None
    try:
        log_path = home / "server.log"
        log = log_path.open("wb")
        server = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
            [str(SCRIPTS / "gunicorn"), "--bind", "127.0.0.1:0", "--workers", "2", "--no-control-socket",
             "dudao.wsgi"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        if separate:
            worker = subprocess.Popen(  # noqa: S603 - our own venv's dudao
                [str(SCRIPTS / "dudao"), "worker", "--interval", "1", "--worker-id", "e2e-worker"],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        base_url = _wait_healthy(server, log_path)
        SERVER_DATABASE.clear()
        SERVER_DATABASE.update(dj_database_url.parse(env["DATABASE_URL"]) if env.get("DATABASE_URL") else {
            "ENGINE": "django.db.backends.sqlite3", "NAME": str(home / "dudao.sqlite3"), "OPTIONS": {"timeout": 20}})
        yield base_url
    finally:
        for process in (server, worker):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if log is not None:
            log.close()
            if request.session.testsfailed:
                lines = (home / "server.log").read_text(errors="replace").splitlines()
                sys.__stderr__.write(f"== the end of the browser tests' server log ({home / 'server.log'})\n"
                                     + "\n".join(lines[-SERVER_LOG_LINES:]) + "\n")
        if database is not None:
            demo_template.drop(database)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # the machine may be busy; htmx waits 250 ms before it asks
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, live_server_url):
    """Factory for browser contexts on the live server; all are closed after the test."""
    contexts = []

    def make(**options):
        options.setdefault("locale", "zh-CN")
        options.setdefault("base_url", live_server_url)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a fresh zh-CN context."""
    return new_context().new_page()


# The home page after signing in: the leader's is the dashboard.
HOME_PATHS = ("/", "/dashboard/")


def _sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form, the way a user does, and wait for the home page."""
    page.goto("/accounts/login/")
    form = page.locator("main form[method=post]")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: urlsplit(url).path in HOME_PATHS)


@pytest.fixture(scope="session")
def _signed_in_states() -> dict[str, dict]:
    """Cookies of one form sign-in per demo user, reused by later tests (a password check costs ~1 s)."""
    return {}


@pytest.fixture
def signed_in(new_context, _signed_in_states):
    """signed_in(username, **context_options) -> a page on the home page of a new context, signed in.

    The first call for a user signs in through the form; later calls start from the saved cookies.
    """

    def as_user(username: str, **context_options):
        state = _signed_in_states.get(username)
        if state is None:
            context = new_context(**context_options)
            page = context.new_page()
            _sign_in(page, username)
            _signed_in_states[username] = context.storage_state()
            return page
        page = new_context(storage_state=state, **context_options).new_page()
        page.goto("/")
        assert urlsplit(page.url).path in HOME_PATHS, f"the saved session of {username} no longer signs in"
        return page

    return as_user


@pytest.fixture
def server_db(live_server_url, django_db_blocker, monkeypatch):
    """The connection alias under which a test reads the live server's own database with the ORM, to check
    what the pages show against it."""
    from django.db import connections

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # Playwright's sync API keeps an event loop in this thread
    if "server" not in connections.settings:
        connections.settings["server"] = connections.configure_settings({"default": dict(SERVER_DATABASE)})["default"]
    with django_db_blocker.unblock():
        yield "server"
        connections["server"].close()


@pytest.fixture
def service_worker_in_control():
    """service_worker_in_control(page): waits until the page's service worker controls it (a promise evaluated in the
    page: Playwright's wait_for_function polls by evaluating a string there, which the strict CSP forbids)."""

    def wait(page, timeout_ms: int = 10_000) -> None:
        assert page.evaluate("""timeout => navigator.serviceWorker.controller !== null || new Promise(resolve => {
            navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true), {once: true});
            setTimeout(() => resolve(navigator.serviceWorker.controller !== null), timeout);
        })""", timeout_ms), "no service worker controls the page"

    return wait


def _loaded(image) -> bool:
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


@pytest.fixture
def image_loaded():
    """image_loaded(locator) -> its natural width once the image has loaded (Playwright's wait_for_function would
    evaluate a string in the page, which the strict CSP forbids; a photo from S3 may still be on its way)."""

    def wait(image, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while not _loaded(image):
            assert time.monotonic() < deadline, "the image did not load"
            image.page.wait_for_timeout(100)
        return image.evaluate("img => img.naturalWidth")

    return wait
