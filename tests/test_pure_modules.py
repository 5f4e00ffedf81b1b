"""The pure cores import nothing from Django (docs/decisions/0003)."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dudao"
PURE = [
    "core/tables.py", "org/unitfile.py", "org/peoplefile.py", "org/geojson.py", "audit/chain.py", "ranking/engine.py",
    "ranking/sourcefile.py", "core/weeks.py", "core/geo.py", "problems/lifecycle.py", "inspections/scoring.py",
    "photos/imaging.py", "drone/aerial.py", "drone/placement.py", "core/lifecycle.py", "ranking/lifecycle.py",
    "interviews/lifecycle.py", "core/workdays.py", "backup/archive.py", "reports/lifecycle.py",
    "practices/lifecycle.py", "notices/lifecycle.py", "notices/documents.py",
    "exposure/imaging.py", "exposure/lifecycle.py", "grids/courtyards.py", "recheck/sampling.py",
]
# Pure modules may build on other pure modules.
ALLOWED_DUDAO = {"dudao.core.tables", "dudao.org.unitfile", "dudao.core", "dudao.core.geo", "dudao.photos",
                 "dudao.photos.imaging", "dudao.core.lifecycle", "dudao.core.workdays"}


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_django(module):
    tree = ast.parse((SRC / module).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not {name for name in imported if name == "django" or name.startswith("django.")}
    assert {name for name in imported if name.startswith("dudao")} <= ALLOWED_DUDAO
