"""The Simplified Chinese catalogue: complete, consistent, compiled, and used by the pages and the command line.

The .mo file is a build product: scripts/setup.sh (and so scripts/test.sh) compiles it, as does
`scripts/i18n.sh compile`.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

import dudao
from dudao.accounts.models import Role
from dudao.org import peoplefile
from dudao.org.models import PostRole

REPO = Path(__file__).resolve().parents[1]
LOCALE_DIR = Path(dudao.__file__).resolve().parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LOCALE_DIR / "django.po"
MO = LOCALE_DIR / "django.mo"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], text[1:-1])


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: flags, msgid, msgid_plural and msgstr (a list: one per plural form)."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        entry: dict = {"flags": set(), "msgstr": []}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if key == "msgstr":
                    entry["msgstr"][-1] += _unquote(line)
                else:
                    entry[key] += _unquote(line)
            else:
                keyword, value = line.split(" ", 1)
                if keyword.startswith("msgstr"):
                    key = "msgstr"
                    entry["msgstr"].append(_unquote(value))
                else:
                    key = keyword
                    entry[key] = _unquote(value)
        entries.append(entry)
    return entries


def test_msgfmt_reports_every_message_translated_and_none_fuzzy():
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext (msgfmt) is not installed")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [msgfmt, "--statistics", "-c", "-o", os.devnull, str(PO)], capture_output=True, text=True, check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, report
    assert re.fullmatch(r"\d+ translated messages?\.", report), report


def test_catalogue_header_and_entries():
    header, *entries = read_po(PO)
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "Language: zh_Hans\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header["msgstr"][0]
    assert len(entries) > 100  # the parser found the catalogue, not an empty file
    for entry in entries:
        msgid, translations = entry["msgid"], entry["msgstr"]
        assert "fuzzy" not in entry["flags"], msgid
        assert len(translations) == 1, f"one form only in Chinese: {msgid!r}"
        assert translations[0].strip(), f"untranslated: {msgid!r}"
        sources = [msgid] + ([entry["msgid_plural"]] if "msgid_plural" in entry else [])
        for source in sources:
            assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(translations[0])), msgid
            assert TAG.findall(source) == TAG.findall(translations[0]), msgid


def test_compiled_catalogue_matches_the_po_file():
    assert MO.exists(), "the catalogue is not compiled: run scripts/i18n.sh compile"
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in read_po(PO)[1:]:
        if "msgid_plural" in entry:
            got = compiled.ngettext(entry["msgid"], entry["msgid_plural"], 2)
        elif "msgctxt" in entry:
            got = compiled.pgettext(entry["msgctxt"], entry["msgid"])
        else:
            got = compiled.gettext(entry["msgid"])
        assert got == entry["msgstr"][0], f"{entry['msgid']!r}: the .mo is stale, run scripts/i18n.sh compile"


def test_domain_terms_use_the_glossary():
    with translation.override("zh-hans"):
        roles = {code: str(label) for code, label in Role.choices}
        posts = {code: str(label) for code, label in PostRole.choices}
        assert translation.gettext("Dudao") == "督导"
        assert translation.gettext("Sign in") == "登录"
    assert roles == {
        "county_admin": "县级管理员", "office": "领导小组办公室", "leader": "领导", "inspector": "督查人员",
        "town_staff": "乡镇工作人员", "village_staff": "村（社区）工作人员", "grid": "网格人员",
    }
    # The post names in the import template and the ones the pages show are the same words.
    assert posts == peoplefile.ROLE_NAMES_ZH


def test_sign_in_page_is_chinese_by_default(db, client):
    response = client.get("/accounts/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'lang="zh-hans"' in body
    assert "登录" in body and "用户名" in body and "密码" in body
    assert "Sign in" not in body


def test_sign_in_page_follows_the_browser_language(db, client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'lang="en"' in body
    assert "Sign in" in body and "Username" in body
    assert "登录" not in body


def test_sign_in_error_is_chinese(db, client):
    response = client.post("/accounts/login/", {"username": "nobody", "password": "wrong password"})
    assert response.status_code == 401
    assert "用户名或密码错误。" in response.content.decode()


def _run_cli(tmp_path: Path, locale: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    env["DUDAO_HOME"] = str(tmp_path)
    if locale:
        env["LANG"] = locale
    dudao_cmd = Path(sys.executable).parent / "dudao"
    if not dudao_cmd.exists():
        dudao_cmd = REPO / ".venv" / "bin" / "dudao"
    return subprocess.run(  # noqa: S603 - fixed arguments
        [str(dudao_cmd), "units", "import", "/nonexistent.csv"], capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=120, check=False,
    )


@pytest.mark.parametrize(
    ("locale", "expected", "absent"),
    [
        ("en_US.UTF-8", "Cannot read /nonexistent.csv: ", "无法读取"),
        ("zh_CN.UTF-8", "无法读取 /nonexistent.csv：", "Cannot read"),
        (None, "无法读取 /nonexistent.csv：", "Cannot read"),
    ],
)
def test_command_line_speaks_the_locale_language(tmp_path, locale, expected, absent):
    result = _run_cli(tmp_path, locale)
    assert result.returncode != 0
    assert expected in result.stderr
    assert absent not in result.stderr
