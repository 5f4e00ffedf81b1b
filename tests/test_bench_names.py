"""The benches and evidence scripts are not run by the suite (they take minutes each), but the names they take from
one another must exist: bench/evidence.py once imported BIN and free_port from leaders_load after they had moved
to common.py, and every evidence script failed at its first line until someone ran one. Read statically, in
milliseconds: `from M import N` and `M.N` for every bench module M."""

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def _missing(trees: dict[str, ast.Module]) -> list[str]:
    defined = {name: _defined(tree) for name, tree in trees.items()}
    missing = []
    for name, tree in sorted(trees.items()):
        modules: dict[str, str] = {}  # a bench module imported whole, by the name it is used under
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in trees:
                missing += [f"{name}: {node.module}.{a.name}" for a in node.names if a.name not in defined[node.module]]
            elif isinstance(node, ast.Import):
                modules.update({a.asname or a.name: a.name for a in node.names if a.name in trees})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr not in defined[modules[node.value.id]]):
                missing.append(f"{name}: {modules[node.value.id]}.{node.attr}")
    return missing


def test_every_name_a_bench_takes_from_another_bench_module_exists():
    trees = {path.stem: ast.parse(path.read_text(encoding="utf-8")) for path in BENCH.glob("*.py")}
    assert {"common", "evidence", "leaders_load", "load"} <= set(trees)
    assert _missing(trees) == []


def test_a_name_that_moved_away_is_reported():
    trees = {"common": ast.parse("BIN = 1\ndef free_port(): pass\n"),
             "leaders_load": ast.parse("from common import BIN\nWORKERS = 3\n"),
             "evidence": ast.parse("from leaders_load import BIN, free_port\nimport leaders_load as base\n"
                                   "base.WORKERS, base.gone\n")}
    assert _missing(trees) == ["evidence: leaders_load.free_port", "evidence: leaders_load.gone"]
