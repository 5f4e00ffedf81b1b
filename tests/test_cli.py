"""The `dudao` command line (CONTRACTS §1): real processes for exit codes and output discipline, and
call_command for the rest."""

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dudao.accounts.models import ApiToken, User
from dudao.org.models import Unit

DUDAO = str(Path(sys.executable).with_name("dudao"))
JINGTAI_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "jingtai-units.csv"


def dudao(home: Path, *args: str, lang: str = "en_US.UTF-8", stdin: bytes | None = None):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update({"DUDAO_HOME": str(home), "LANG": lang})
    return subprocess.run([DUDAO, *args], env=env, capture_output=True, input=stdin, timeout=120, check=False)


def test_init_is_idempotent_and_import_export_round_trip(initialised_home, tmp_path):
    # The first `dudao init` into an empty home is the run's (conftest.initialised_home); this is a copy of it.
    home = initialised_home.copy(tmp_path / "home")
    second = dudao(home, "init")
    assert second.returncode == 0
    assert b"Created the default campaign" in initialised_home.stderr
    assert b"Created the default campaign" not in second.stderr
    imported = dudao(home, "units", "import", str(JINGTAI_CSV))
    assert imported.returncode == 0, imported.stderr.decode()
    assert imported.stdout == b""
    assert "163 of 163 rows" in imported.stderr.decode()
    assert "163 created, 0 updated, 0 unchanged" in imported.stderr.decode()

    exported = dudao(home, "units", "export")
    assert exported.returncode == 0
    lines = exported.stdout.decode("utf-8-sig").splitlines()
    assert len(lines) == 164
    assert lines[0] == "code,name,level,parent_code,official_name,lon_gcj02,lat_gcj02,lon_wgs84,lat_wgs84,active," \
                       "point_synthetic,description"
    assert "620423103200,大水䃎村,village,620423103000,大水䃎村民委员会,,,,,yes,no," in lines

    xlsx, gb = tmp_path / "units.xlsx", tmp_path / "units-gb.csv"
    assert dudao(home, "units", "export", "-o", str(xlsx)).returncode == 0
    assert xlsx.read_bytes()[:4] == b"PK\x03\x04"
    assert dudao(home, "units", "export", "-o", str(gb), "--encoding", "gb18030", "--chinese-headers").returncode == 0
    gb_text = gb.read_bytes().decode("gb18030")
    assert gb_text.startswith("代码,名称,层级,上级代码")
    assert "大水䃎村,村," in gb_text
    for source in (xlsx, gb):
        fresh = initialised_home.copy(tmp_path / f"fresh-{source.name}")
        assert dudao(fresh, "units", "import", str(source)).returncode == 0
        assert dudao(fresh, "units", "export").stdout == exported.stdout, source.name


def test_refused_import_exits_non_zero_with_rows_and_writes_nothing(fresh_home, tmp_path):
    home = fresh_home
    assert dudao(home, "units", "import", str(JINGTAI_CSV)).returncode == 0
    before = dudao(home, "units", "export").stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,level,parent_code\n620423100200,新名字,village,620423100000\n"
                   "62042310020,甲村,village,620423100000\n620423100299,乙村,村级,620423100000\n", encoding="utf-8")
    result = dudao(home, "units", "import", str(bad))
    assert result.returncode == 1
    assert result.stdout == b""
    err = result.stderr.decode()
    assert "Row 3: code “62042310020” is not a code of 12 digits." in err
    assert "Row 4: The level “村级” is unknown" in err
    assert "Refused: 2 problem(s) found, nothing was written." in err
    assert dudao(home, "units", "export").stdout == before


def test_errors_are_in_chinese_by_default(tmp_path):
    result = dudao(tmp_path, "units", "import", "/nonexistent/units.csv", lang="zh_CN.UTF-8")
    assert result.returncode == 1
    assert "Cannot read" not in result.stderr.decode()


def test_audit_verify_detects_an_altered_entry(fresh_home):
    home = fresh_home
    assert dudao(home, "units", "import", str(JINGTAI_CSV)).returncode == 0
    ok = dudao(home, "audit", "verify")
    assert ok.returncode == 0
    assert b"The audit log is intact" in ok.stdout
    with sqlite3.connect(home / "dudao.sqlite3") as conn:
        seq = conn.execute("SELECT seq FROM audit_auditevent WHERE object_id='620423103200' "
                           "AND action='unit.create'").fetchone()[0]
        conn.execute("UPDATE audit_auditevent SET after = json_set(after, '$.name', '大水村') WHERE seq = ?", (seq,))
    bad = dudao(home, "audit", "verify")
    assert bad.returncode == 1
    assert f"entry #{seq} (unit.create unit:620423103200".encode() in bad.stderr



def test_audit_verify_detects_a_log_cut_at_its_end(fresh_home):
    home = fresh_home
    assert dudao(home, "units", "import", str(JINGTAI_CSV)).returncode == 0
    with sqlite3.connect(home / "dudao.sqlite3") as conn:
        last = conn.execute("SELECT max(seq) FROM audit_auditevent").fetchone()[0]
        conn.execute("DELETE FROM audit_auditevent WHERE seq > ?", (last - 2,))
    bad = dudao(home, "audit", "verify")
    assert bad.returncode == 1
    assert f"The audit log was cut: entry #{last - 1} and every entry after it are missing".encode() in bad.stderr

def test_token_create_prints_once_and_revoke(db):
    user = User.objects.get(username="demo_office")
    out = io.StringIO()
    call_command("token", "create", "demo_office", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("dd_") and len(token) > 40
    record = ApiToken.objects.get(user=user)
    assert record.digest != token and token not in record.digest
    call_command("token", "revoke", "demo_office", stderr=io.StringIO())
    assert ApiToken.objects.get(user=user).revoked_at is not None
    with pytest.raises(CommandError):
        call_command("token", "create", "nobody")


def test_units_import_command_in_process_progress(db, tmp_path, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    path = tmp_path / "rename.csv"
    path.write_text("code,name,level,parent_code\n620423103200,大水䃎新村,village,620423103000\n", encoding="utf-8")
    err = io.StringIO()
    call_command("units", "import", str(path), stderr=err)
    assert Unit.objects.get(code="620423103200").name == "大水䃎新村"
    assert err.getvalue().splitlines() == ["1 of 1 rows", "Units imported: 0 created, 1 updated, 0 unchanged."]


def test_users_set_validates_area(db):
    with pytest.raises(CommandError):
        call_command("users", "set", "clerk", "--role", "town_staff", "--unit", "620423103200", stderr=io.StringIO())
    call_command("users", "set", "clerk", "--role", "town_staff", "--unit", "620423103000", stderr=io.StringIO())
    clerk = User.objects.get(username="clerk")
    assert (clerk.role, clerk.scope_unit.code, clerk.has_usable_password()) == ("town_staff", "620423103000", False)


def test_demo_refuses_an_installation_with_real_data(fresh_home):
    home = fresh_home
    assert dudao(home, "users", "set", "clerk", "--role", "leader").returncode == 0
    result = dudao(home, "demo")
    assert result.returncode == 1
    assert b"holds real people or accounts" in result.stderr
