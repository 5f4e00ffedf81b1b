"""Settings come only from the environment, each documented once."""

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from dudao.env import VARIABLES, ConfigError, env_bool, env_int, secret_key

ROOT = Path(__file__).resolve().parents[1]


def test_env_example_and_readme_document_every_variable():
    example = {line.split("=")[0].lstrip("# ").strip() for line in (ROOT / ".env.example").read_text().splitlines()
               if re.match(r"^#? ?[A-Z][A-Z0-9_]*=", line)}
    assert example == set(VARIABLES)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in VARIABLES if f"`{name}`" not in readme] == []


def test_code_reads_no_undocumented_variable():
    read = set()
    for path in (ROOT / "src" / "dudao").rglob("*.py"):
        read |= set(re.findall(r"env_(?:str|bool|int|list)\(\"([A-Z0-9_]+)\"", path.read_text(encoding="utf-8")))
        read |= set(re.findall(r"_declared\(\"([A-Z_]+)\"\)", path.read_text(encoding="utf-8")))
    assert read <= set(VARIABLES)


def test_bad_values_fail_loudly(monkeypatch):
    monkeypatch.setenv("DUDAO_DEBUG", "maybe")
    with pytest.raises(ConfigError):
        env_bool("DUDAO_DEBUG", False)
    monkeypatch.setenv("DUDAO_SESSION_MINUTES", "0")
    with pytest.raises(ConfigError):
        env_int("DUDAO_SESSION_MINUTES", 30)


def test_secret_key_has_no_default_but_a_per_install_random_one(tmp_path, monkeypatch):
    monkeypatch.delenv("DUDAO_SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) >= 60 and secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    other = tmp_path / "other"
    other.mkdir()
    assert secret_key(other) != first
    monkeypatch.setenv("DUDAO_SECRET_KEY", "short")
    with pytest.raises(ConfigError):
        secret_key(tmp_path)


def test_debug_is_off_by_default():
    from django.conf import settings

    assert settings.DEBUG is False


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dudao.settings'; django.setup();"
            "from django.db import connection; c=connection.cursor(); c.execute('PRAGMA journal_mode');"
            "print(c.fetchone()[0], connection.settings_dict['OPTIONS']['transaction_mode'])")
    env = {"DUDAO_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["wal", "IMMEDIATE"]


def test_the_database_and_media_are_not_world_readable(tmp_path):
    """A fresh home's database, WAL and stored files are the installation's own; an existing home's database,
    created world-readable by an earlier version, is closed at the next start."""
    home = tmp_path / "home"
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dudao.settings'; django.setup();"
            "from django.db import connection; c=connection.cursor(); c.execute('CREATE TABLE t (x)');"
            "c.execute('INSERT INTO t VALUES (1)');"
            "from django.core.files.base import ContentFile; from django.core.files.storage import default_storage;"
            "print(default_storage.save('photos/2026/a.jpg', ContentFile(b'x')));"
            "print(oct(os.stat(connection.settings_dict['NAME'] + '-wal').st_mode & 0o777))")
    env = {"DUDAO_HOME": str(home), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    modes = {str(p.relative_to(home)): p.stat().st_mode & 0o777
             for p in [home, *home.rglob("*")] if p.name not in ("static", "secret_key")}
    assert out.stdout.split() == ["photos/2026/a.jpg", "0o640"]  # the WAL, while the connection is open
    assert {name: mode for name, mode in modes.items() if mode & 0o007} == {}
    assert (modes["dudao.sqlite3"], modes["media/photos/2026/a.jpg"], modes["media/photos"]) == (0o640, 0o640, 0o750)
    (home / "dudao.sqlite3").chmod(0o644)
    home.chmod(0o755)
    subprocess.run([sys.executable, "-c", code.replace("CREATE TABLE t (x)", "SELECT 1")], env=env, check=True,
                   capture_output=True)
    assert ((home / "dudao.sqlite3").stat().st_mode & 0o777, home.stat().st_mode & 0o777) == (0o640, 0o750)


def _deploy_check(home, **variables):
    """The warnings of `dudao check --deploy` run with only these variables (and a home) in the environment."""
    env = {"DUDAO_HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **variables}
    out = subprocess.run([sys.executable, "-m", "dudao", "check", "--deploy"], env=env, capture_output=True,
                         text=True, check=True)
    return sorted(re.findall(r"\((security\.[A-Z]\d+)\)", out.stdout + out.stderr)), out.stdout + out.stderr


# docs/operations.md, "Production settings": the variables a county sets behind its HTTPS proxy.
PRODUCTION = {"DUDAO_SECRET_KEY": secrets.token_urlsafe(48), "DUDAO_ALLOWED_HOSTS": "dudao.example.gov.cn",
              "DUDAO_CSRF_TRUSTED_ORIGINS": "https://dudao.example.gov.cn", "DUDAO_SECURE_COOKIES": "1",
              "DUDAO_HSTS_SECONDS": "31536000", "DUDAO_SSL_REDIRECT": "1", "DUDAO_PROXY_SSL_HEADER": "1",
              "DUDAO_TRUSTED_PROXIES": "127.0.0.1"}


def test_the_documented_production_settings_pass_the_deploy_check_without_a_warning(tmp_path):
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide.split("## Production settings", 1)[1].split("\n## ", 1)[0]
    assert [f"{name}={value}" for name, value in PRODUCTION.items() if name != "DUDAO_SECRET_KEY"
            and f"{name}={value}" not in section] == []
    warnings, output = _deploy_check(tmp_path, **PRODUCTION)
    assert warnings == []
    assert "System check identified no issues (1 silenced)." in output  # security.W021, HSTS preload


def test_the_embedded_defaults_leave_https_to_the_deployer_and_the_deploy_check_says_so(tmp_path):
    assert _deploy_check(tmp_path)[0] == ["security.W004", "security.W008", "security.W012", "security.W016"]
    with_cookies = {name: PRODUCTION[name] for name in ("DUDAO_ALLOWED_HOSTS", "DUDAO_SECURE_COOKIES")}
    assert _deploy_check(tmp_path, **with_cookies)[0] == ["security.W004", "security.W008"]


def test_https_settings_behind_the_proxy(tmp_path):
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dudao.settings'; django.setup();"
            "from django.test import Client; c=Client();"
            "r=c.get('/healthz'); print(r.status_code);"
            "r=c.get('/public/'); print(r.status_code, r.headers.get('Location'));"
            "r=c.get('/healthz', headers={'X-Forwarded-Proto': 'https', 'Host': 'testserver'});"
            "print(r.status_code, r.headers['Strict-Transport-Security'])")
    env = {"DUDAO_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", **PRODUCTION, "DUDAO_ALLOWED_HOSTS": "testserver"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["200", "301 https://testserver/public/",
                                      "200 max-age=31536000; includeSubDomains"]
