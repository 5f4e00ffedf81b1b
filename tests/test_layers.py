"""The layers (docs/decisions/0008-layers.md): every import between Dudao's apps points down.

A walk over the source's imports (every ``import`` and ``from … import``, at module level or inside functions):
- an app's domain modules (models, services, selectors, access, lifecycle, tasks, jobs, …) import only their own
  app and the apps of lower layers; never an app of their own layer or above, and never a page module;
- the page modules (views, urls, forms, commands, templatetags) and the top apps (site, api, demo) may use any
  app's domain modules, but no other app's page modules;
- ``core`` imports no app.
It needs no database. A failure names each offending import with its file and line.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dudao"

# Bottom to top. An app may import the apps of the layers below its own, not those beside or above it.
LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("worker",),
    ("audit",),
    ("accounts",),
    ("org",),
    ("campaigns",),
    ("photos", "notifications"),
    ("ranking", "problems"),
    ("interviews", "inspections", "drone", "reports", "practices", "notices", "grids"),
    ("bulletins", "exposure", "plan", "recheck", "mobilise"),
    ("publication",),
]
# The top: they use any app and nothing imports them.
TOP = ("site", "api", "demo", "maps", "dashboard", "trends", "portal", "backup")
# Module names (a file, or a package folder) that are pages or entry points rather than domain code.
PAGE_MODULES = {"views", "urls", "forms", "management", "templatetags", "apps"}
NOT_CHECKED = {"migrations"}


def layer_of(app: str) -> int:
    for number, apps in enumerate(LAYERS):
        if app in apps:
            return number
    if app in TOP:
        return len(LAYERS)
    raise KeyError(app)


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    app: str  # the importing module's app
    page: bool  # the importing module is a page module
    target: str  # the dotted name imported


def _is_page(parts: tuple[str, ...]) -> bool:
    return any(part.removesuffix(".py") in PAGE_MODULES for part in parts[1:])


def dudao_imports(root: Path = SRC) -> list[Import]:
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if len(parts) < 2 or any(part in NOT_CHECKED for part in parts):
            continue  # settings, urls, wsgi of the project itself sit above every app
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("dudao."):
                    found.append(Import(path, node.lineno, parts[0], _is_page(parts), name))
    return found


def _target(name: str, root: Path) -> tuple[str, bool] | None:
    """The app a dotted name belongs to and whether it names one of its page modules; None outside the apps."""
    parts = name.split(".")[1:]
    if not parts or not (root / parts[0]).is_dir():
        return None
    return parts[0], _is_page(tuple(parts[:1]) + tuple(parts[1:]))


def violations(root: Path = SRC) -> list[str]:
    bad = []
    for imp in dudao_imports(root):
        target = _target(imp.target, root)
        if target is None:
            continue
        app, page = target
        where = f"{imp.path.relative_to(root.parent)}:{imp.line} imports {imp.target}"
        if app == imp.app:
            if page and not imp.page:
                bad.append(f"{where}: a domain module imports a page module")
            continue
        if page:
            bad.append(f"{where}: only {app} itself may import its page modules")
            continue
        if imp.app in TOP or imp.page:
            if app in TOP:
                bad.append(f"{where}: nothing imports the top app {app}")
            continue
        mine, theirs = layer_of(imp.app), layer_of(app)
        if theirs >= mine:
            side = "beside" if theirs == mine else "above"
            bad.append(f"{where}: {imp.app} (layer {mine}) may not import {app} (layer {theirs}, {side} it)")
    return bad


def test_every_app_has_a_layer():
    apps = {path.name for path in SRC.iterdir() if (path / "__init__.py").exists()}
    placed = {app for layer in LAYERS for app in layer} | set(TOP)
    assert apps - {"locale", "static"} == placed


def test_imports_point_down():
    bad = violations()
    assert not bad, "Imports against the layers (docs/decisions/0008-layers.md):\n" + "\n".join(bad)


def test_core_imports_no_app():
    assert [i for i in dudao_imports() if i.app == "core" and (_target(i.target, SRC) or ("core",))[0] != "core"] == []


def test_the_round_knows_nothing_of_what_publishing_it_causes():
    """Not even its pages: the round's buttons that publish are dudao.publication's, the week's interviews
    dudao.interviews' page. (Its command, `dudao ranking … publish`, is an entry point on top of every app.)"""
    ranking = {(_target(i.target, SRC) or ("",))[0] for i in dudao_imports()
               if i.app == "ranking" and "management" not in i.path.parts}
    assert ranking & {"interviews", "bulletins", "notifications", "publication"} == set()


def test_interview_is_defined_by_the_interviews_app():
    from dudao.interviews.models import Interview

    assert (Interview.__module__, Interview._meta.app_label, Interview._meta.db_table) == (
        "dudao.interviews.models", "interviews", "ranking_interview")


@pytest.fixture
def planted(tmp_path):
    """A copy of the source tree in which each test plants one bad import."""
    import shutil

    root = tmp_path / "dudao"
    shutil.copytree(SRC, root, ignore=shutil.ignore_patterns("__pycache__", "static", "locale", "templates"))
    return root


def _plant(root: Path, relative: str, line: str) -> None:
    path = root / relative
    path.write_text(path.read_text(encoding="utf-8") + f"\n\ndef _planted():\n    {line}\n", encoding="utf-8")


def test_an_upward_import_is_named_with_its_file_and_line(planted):
    _plant(planted, "ranking/services.py", "from dudao.bulletins.services import bulletin_generate")
    line = len((planted / "ranking/services.py").read_text(encoding="utf-8").splitlines())
    assert violations(planted) == [
        f"dudao/ranking/services.py:{line} imports dudao.bulletins.services: ranking (layer 7) may not import "
        "bulletins (layer 9, above it)",
        f"dudao/ranking/services.py:{line} imports dudao.bulletins.services.bulletin_generate: ranking (layer 7) "
        "may not import bulletins (layer 9, above it)",
    ]


def test_an_import_beside_and_into_core_are_named(planted):
    _plant(planted, "problems/models.py", "import dudao.ranking.models")
    _plant(planted, "core/tables.py", "import dudao.org.models")
    problems = len((planted / "problems/models.py").read_text(encoding="utf-8").splitlines())
    core = len((planted / "core/tables.py").read_text(encoding="utf-8").splitlines())
    assert violations(planted) == [
        f"dudao/core/tables.py:{core} imports dudao.org.models: core (layer 0) may not import org (layer 4, "
        "above it)",
        f"dudao/problems/models.py:{problems} imports dudao.ranking.models: problems (layer 7) may not import "
        "ranking (layer 7, beside it)",
    ]


def test_a_domain_module_may_not_use_pages(planted):
    _plant(planted, "bulletins/services.py", "from dudao.ranking.views import tier_styles")
    _plant(planted, "bulletins/content.py", "from dudao.bulletins import views")
    content = len((planted / "bulletins/content.py").read_text(encoding="utf-8").splitlines())
    services = len((planted / "bulletins/services.py").read_text(encoding="utf-8").splitlines())
    assert violations(planted) == [
        f"dudao/bulletins/content.py:{content} imports dudao.bulletins.views: a domain module imports a page module",
        f"dudao/bulletins/services.py:{services} imports dudao.ranking.views: only ranking itself may import its "
        "page modules",
        f"dudao/bulletins/services.py:{services} imports dudao.ranking.views.tier_styles: only ranking itself may "
        "import its page modules",
    ]
