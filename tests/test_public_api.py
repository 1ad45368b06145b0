"""The public API (issue 13): `kg.__all__` names the features, and the package imports them without a cycle."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE

import kg

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ["build", "etl", "load", "open_store", "cluster", "shortest_paths", "coauthors", "validate", "export"]


def test_all_names_the_features() -> None:
    assert set(FEATURES) <= set(kg.__all__)
    for name in kg.__all__:
        assert hasattr(kg, name), f"kg.__all__ names {name!r}, which kg does not have"
    for name in FEATURES:
        assert inspect.isfunction(getattr(kg, name)), f"kg.{name} is not the feature's function"


def test_the_features_work_from_the_package(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([EXAMPLE], store)
    with kg.open_store(store) as backend:
        assert isinstance(backend, kg.Backend)
        assert len(kg.cluster(backend, "Liyuan Liu").papers) == 21
        assert kg.shortest_paths(backend, "Yiping Wang", "Hong Chen 0004", by="cluster").distance == 2
        assert kg.coauthors(backend, "liyuan-liu-a").coauthors


# Packages whose __init__ imports their modules' functions: a module under one importing the package
# itself (even inside a function) closes an import cycle.
REEXPORTING = {"kg": ROOT / "kg", "kg.paths": ROOT / "kg" / "paths"}


def _imports_its_package(path: Path) -> list[str]:
    mine = {name for name, folder in REEXPORTING.items() if folder in path.parents}
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in mine:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.ImportFrom) and node.level > 0 and not node.module:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from . import ...")
        elif isinstance(node, ast.Import):
            found += [f"{path.relative_to(ROOT)}:{node.lineno}: import {a.name}" for a in node.names if a.name in mine]
    return found


def test_no_module_imports_its_package() -> None:
    """kg/__init__ and kg/paths/__init__ import the features; their modules import each other directly."""
    modules = [p for p in sorted((ROOT / "kg").rglob("*.py")) if p.name != "__init__.py"]
    found = [hit for path in modules for hit in _imports_its_package(path)]
    assert not found, "import the module itself (from kg.x import y, import kg.x as x): " + "; ".join(found)


@pytest.mark.parametrize("first", ["kg.paths", "kg.cluster", "kg.backend", "kg.void", "kg.server.calls", "kg.cli"])
def test_any_entry_point_imports_first(first: str) -> None:
    """Imported first in a fresh interpreter, each entry point loads (no partially initialised module)."""
    done = subprocess.run([sys.executable, "-c", f"import {first}; import kg; assert kg.open_store"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_readme_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme.split("The commands are thin clients of the library", 1)[1]
    code = after.split("```python\n", 1)[1].split("```", 1)[0]
    kg.build([EXAMPLE], tmp_path / "store")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out.split() == ["21", "2"]
