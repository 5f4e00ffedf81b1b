"""Evidence: backup → wipe → restore gives back the same installation (docs/operations.md, the restore drill).

Run: .venv/bin/python bench/backup_restore.py   (after scripts/setup.sh --dev; loopback only, a few minutes)
It builds the demo in a fresh temporary DUDAO_HOME (SQLite; set DATABASE_URL to an empty scratch PostgreSQL
database to measure PostgreSQL: its tables are dropped at the wipe), then:
1. records every published week's `dudao ranking export` and every media file's SHA-256;
2. runs `dudao backup -o FILE` while a writer process keeps changing the database (an account's role changed in a loop,
   each change audit-logged), as a running server would;
3. wipes the installation (database and media), then `dudao restore FILE`;
4. compares the exports and the checksums, and checks the audit chain.
It prints the figures (rows, media files, archive size, seconds, writes during the backup, the export hash) and
exits non-zero if anything differs. DUDAO_BENCH_TIMEOUT bounds each step (seconds, default 900).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

BIN = Path(sysconfig.get_path("scripts"))
TIMEOUT = int(os.environ.get("DUDAO_BENCH_TIMEOUT", "900"))
WRITER = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")
django.setup()
from django.core.management import call_command
n = 0
while not os.path.exists(os.environ["STOP"]):
    call_command("users", "set", "bench_writer", "--role", ("leader", "office")[n % 2], verbosity=0)
    n += 1
print(n)
"""


def dudao(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "dudao"), *args], env=env, capture_output=True, timeout=TIMEOUT, check=False)
    if result.returncode != 0:
        sys.exit(f"dudao {' '.join(args)} failed:\n{result.stderr.decode(errors='replace')}")
    return result


def published_weeks(env: dict[str, str]) -> list[str]:
    code = ("from dudao.ranking.models import Round;"
            "print(' '.join(sorted(set(Round.objects.filter(status='published').values_list('week', flat=True)))))")
    return dudao(env, "shell", "--no-imports", "-c", code).stdout.decode().split()


def exports(env: dict[str, str], weeks: list[str]) -> str:
    digest = hashlib.sha256()
    for week in weeks:
        digest.update(dudao(env, "ranking", "export", "--week", week, "--format", "json").stdout)
    return digest.hexdigest()


def media(home: Path) -> dict[str, str]:
    root = home / "media"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def wipe(home: Path, database_url: str) -> None:
    if database_url:
        import psycopg

        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    else:
        for name in ("dudao.sqlite3", "dudao.sqlite3-wal", "dudao.sqlite3-shm"):
            (home / name).unlink(missing_ok=True)
    shutil.rmtree(home / "media", ignore_errors=True)


def main() -> None:
    database_url = os.environ.get("DATABASE_URL", "")
    work = Path(tempfile.mkdtemp(prefix="dudao-bench-backup-"))
    home = work / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update(DUDAO_HOME=str(home), LANG="en_US.UTF-8")
    try:
        started = time.monotonic()
        dudao(env, "demo")
        print(f"demo built in {time.monotonic() - started:.0f} s ({'PostgreSQL' if database_url else 'SQLite'})")
        weeks = published_weeks(env)
        before_exports, before_media = exports(env, weeks), media(home)

        archive = work / "dudao.tar"
        stop = work / "stop"
        writer = subprocess.Popen([sys.executable, "-c", WRITER], env={**env, "STOP": str(stop)},  # noqa: S603
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(3)  # the writer is writing (Django set up) before the backup starts
        started = time.monotonic()
        made = dudao(env, "backup", "-o", str(archive))
        backup_seconds = time.monotonic() - started
        stop.touch()
        out, err = writer.communicate(timeout=TIMEOUT)
        if writer.returncode != 0:
            sys.exit(f"the writer failed:\n{err.decode(errors='replace')}")
        writes = int(out.decode().strip() or 0)

        wipe(home, database_url)
        started = time.monotonic()
        restored = dudao(env, "restore", str(archive))
        restore_seconds = time.monotonic() - started
        after_exports, after_media = exports(env, weeks), media(home)
        verified = restored.stderr.decode().strip().splitlines()[-1]

        print(made.stderr.decode().strip())
        print(restored.stderr.decode().strip())
        print(f"archive                {archive.stat().st_size / 1e6:8.1f} MB")
        print(f"backup                 {backup_seconds:8.1f} s   while the writer made {writes} audit-logged "
              f"changes in {backup_seconds + 3:.0f} s")
        print(f"restore                {restore_seconds:8.1f} s")
        print(f"published weeks        {len(weeks):8d}   exports before {before_exports[:16]}…")
        print(f"                                   exports after  {after_exports[:16]}…")
        print(f"media files            {len(before_media):8d}   identical: {after_media == before_media}")
        same = before_exports == after_exports and before_media == after_media and "intact" in verified
        print("RESULT: identical exports and photos, audit chain intact" if same else "RESULT: DIFFERENT")
        sys.exit(0 if same else 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
