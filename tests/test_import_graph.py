"""The project's modules import each other without a cycle, counting imports inside functions too.

Imports under ``if TYPE_CHECKING:`` are for annotations only and are left out. A module's
package ``__init__`` is not an edge of its own: ``import optimize.milp`` runs
``optimize/__init__.py``, whose public names load on first use.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "optimize", "branchlab")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> set[str]:
    """Project modules a file imports, anywhere but under ``if TYPE_CHECKING:``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m.split(".")[0] in PACKAGES}


def graph() -> dict[str, set[str]]:
    """Module → the project modules it imports (package faces excluded as targets)."""
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).glob("*.py")]
    modules = {_module(p) for p in files}
    out = {}
    for path in files:
        name = _module(path)
        if name in PACKAGES:
            continue  # the lazy package faces (PEP 562) import nothing at module level
        targets = _imports(ast.parse(path.read_text(encoding="utf-8")))
        out[name] = {t for t in targets if t in modules and t not in PACKAGES and t != name}
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    groups: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return groups


def test_the_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    edges = graph()
    assert len(edges) > 40
    assert cycles(edges) == []


def test_sim_never_imports_optimize_or_the_cli() -> None:
    for module, targets in graph().items():
        if module.startswith("sim."):
            assert not {t for t in targets if t.startswith(("optimize", "branchlab"))}, module
