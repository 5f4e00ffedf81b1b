"""What the evidence scripts share (bench/upload_fuzz.py, concurrent_submissions.py, kill_publish.py,
audit_tamper.py, kill_worker.py): a fresh DUDAO_HOME with the demo, Django set up on it in this process, the real
server (gunicorn) started on loopback, signed-in sessions and API tokens, and the final verdict line.

The demo is made by `dudao demo` as an operator would (bench/backup_restore.py's `dudao()`); on SQLite,
DUDAO_BENCH_CACHE=DIR keeps it (database and media) and later runs start from that copy (the demo alone takes
a minute or two). With DATABASE_URL the scratch PostgreSQL database is emptied (its schema dropped) first.
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from backup_restore import dudao  # noqa: F401 (re-exported: the scripts run dudao commands through it)
from common import BIN, free_port  # bench/common.py

CACHE = os.environ.get("DUDAO_BENCH_CACHE", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")


def cli_env(home: Path) -> dict[str, str]:
    """The environment of a `dudao` command on ``home``: English messages (the scripts read them)."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    return env | {"DUDAO_HOME": str(home), "LANG": "en_US.UTF-8", "DJANGO_SETTINGS_MODULE": "dudao.settings"}


def empty_postgresql() -> None:
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def demo_home(name: str) -> Path:
    """A new temporary DUDAO_HOME holding the demo (SQLite, or the emptied DATABASE_URL)."""
    home = Path(tempfile.mkdtemp(prefix=f"dudao-evidence-{name}-"))
    atexit.register(shutil.rmtree, home, True)  # removed when the script ends
    started = time.monotonic()
    kept = Path(CACHE) / "evidence-demo" if CACHE and not DATABASE_URL else None
    if kept is not None and (kept / "dudao.sqlite3").exists():
        shutil.copytree(kept, home, dirs_exist_ok=True)
        dudao(cli_env(home), "migrate", "-v", "0")  # the code measured may have migrations the copy has not
        print(f"demo copied from {kept}", flush=True)
        return home
    if DATABASE_URL:
        empty_postgresql()
    dudao(cli_env(home), "demo")
    print(f"demo built in {time.monotonic() - started:.0f} s ({'PostgreSQL' if DATABASE_URL else 'SQLite'})",
          flush=True)
    if kept is not None:
        shutil.copytree(home, kept, dirs_exist_ok=True)
    return home


def use(home: Path) -> None:
    """Set Django up in this process on ``home`` (once, before any model is imported)."""
    os.environ["DUDAO_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")
    import django

    django.setup()


def server(home: Path, *, workers: int, threads: int = 1, log_name: str = "server.log",
           env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """gunicorn on a free loopback port, the queue's worker a separate service (DUDAO_WORKER=separate);
    (the process, its base URL) once /healthz answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(home / log_name, "a")  # noqa: SIM115 (the server's, closed when it ends)
    process = subprocess.Popen([str(BIN / "gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}",
                                "--workers", str(workers), "--threads", str(threads), "--timeout", "120",
                                "dudao.wsgi"],
                               env=cli_env(home) | {"DUDAO_WORKER": "separate"} | (env or {}),
                               stdout=subprocess.DEVNULL,
                               stderr=log)
    atexit.register(process.terminate)  # however the script ends (gunicorn then stops its workers)
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()  # noqa: S310 (loopback)
            return process, base
        except OSError:
            if process.poll() is not None:
                sys.exit(f"the server stopped:\n{(home / log_name).read_text()[-3000:]}")
            time.sleep(0.2)
    sys.exit("the server did not answer /healthz in 60 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def session_cookie(username: str) -> str:
    """A signed-in session of ``username`` (as the sign-in page makes it), for a browser-like client."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from dudao.accounts.models import User

    user = User.objects.get(username=username)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    assert store.session_key is not None
    return store.session_key


def api_token(username: str) -> str:
    from dudao.accounts import services as accounts
    from dudao.accounts.access import SYSTEM
    from dudao.accounts.models import User

    return accounts.token_create(actor=SYSTEM, user=User.objects.get(username=username))


def verdict(ok: bool, what: str) -> None:
    """The target, then the last line alone ("met" or "NOT met") and the exit code: 0 when it is met."""
    print(f"target: {what}", flush=True)
    print("met" if ok else "NOT met", flush=True)
    sys.exit(0 if ok else 1)
