"""The structure of kg/: no import cycle among its modules.

Every import counts: at the top of a module, inside a function and under `if TYPE_CHECKING:`.
`from kg import x` depends on the package `kg` itself (its __init__), as well as on `kg.x` when
that is a module: a package's __init__ that imports its own modules and a module that imports
through the package make a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def modules(root: Path, package: str = "kg") -> dict[str, Path]:
    """Dotted module name -> file, for every .py under root/package (a package is its __init__)."""
    found: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The module `name` is, or is in (kg.iris.Minter -> kg.iris)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(root: Path, package: str = "kg") -> dict[str, set[str]]:
    """Module -> the modules of `package` it imports, anywhere in its text."""
    known = modules(root, package)
    graph: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = module.split(".") if is_package else module.split(".")[:-1]
                    here = here[: len(here) - node.level + 1]
                    base = ".".join(here + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                found = _resolve(target, known)
                if found is not None and found != module and (found == package or found.startswith(package + ".")):
                    graph[module].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


# Packages whose internal cycles are not checked: none (kg.server's went with kg.server.serve moving to
# kg.server.prefork). A package that needs an exception goes here, with the reason.
UNCHECKED: tuple[str, ...] = ()


def _inside(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_no_import_cycle_among_kg_modules() -> None:
    found = [c for c in cycles(import_graph(ROOT)) if not any(all(_inside(p, m) for m in c) for p in UNCHECKED)]
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_check_sees_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    """The check itself: a cycle closed only by an import inside a function, or only under
    TYPE_CHECKING, or through the package's __init__, is found."""
    pkg = tmp_path / "kg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from kg.a import A\n")
    (pkg / "a.py").write_text("A = 1\n\ndef f():\n    from kg.b import B\n    return B\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import A\nB = 2\n")
    (pkg / "c.py").write_text("from kg import b\n")
    (pkg / "sub" / "__init__.py").write_text("from . import d\n")
    (pkg / "sub" / "d.py").write_text("from ..b import B\n")
    assert cycles(import_graph(tmp_path)) == [["kg.a", "kg.b"]]
    (pkg / "b.py").write_text("from kg import c\nB = 2\n")
    assert cycles(import_graph(tmp_path)) == [["kg", "kg.a", "kg.b", "kg.c"]]
    (pkg / "a.py").write_text("A = 1\n")
    (pkg / "b.py").write_text("B = 2\n")
    (pkg / "sub" / "d.py").write_text("from kg.sub import e\n")
    (pkg / "sub" / "e.py").write_text("")
    assert cycles(import_graph(tmp_path)) == [["kg.sub", "kg.sub.d"]]
