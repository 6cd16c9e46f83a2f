"""The house plan's structural rules (issue 10; architecture.md conventions 11 and "Layers"),
checked on the source text so they hold for code no test happens to import.

- Modules stay small: past ~500 lines a module becomes a package (migrations excepted).
- No import circle between casedesk modules, counting imports inside functions and under
  ``TYPE_CHECKING``: a circle hidden in a lazy import is still two modules that cannot be
  understood, tested or moved apart.
- ``policy/`` is plain Python: the standard library, ``holidays`` and itself.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "casedesk"
MAX_LINES = 500


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package ``__init__``), migrations left out."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _imports(name: str, path: Path, is_package: bool, modules: set[str]) -> set[str]:
    """Every absolute name ``path`` imports, wherever the import statement stands.

    ``from pkg import sub`` names the submodule ``pkg.sub`` when there is one: ``pkg`` was
    already being imported as its parent, which is no edge of its own.
    """
    here = name if is_package else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.add(full if full in modules else base)
    return names


def _graph() -> dict[str, set[str]]:
    """Module -> the casedesk modules it imports (``from m import name`` counts as ``m``)."""
    modules = _modules()

    def owner(imported: str) -> str | None:
        while imported and imported not in modules:
            imported = imported.rpartition(".")[0]
        return imported or None

    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        imported = _imports(name, path, is_package, set(modules))
        targets = {owner(i) for i in imported if i.startswith("casedesk")}
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_modules_stay_under_500_lines():
    long = {
        str(path.relative_to(SRC)): lines
        for path, _ in _modules().values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_import_circles_even_through_lazy_imports():
    assert _circles(_graph()) == []


def test_the_circle_finder_sees_a_lazy_circle():
    # The check above must not pass because the finder is blind.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]


def test_the_graph_counts_function_level_and_type_checking_imports():
    graph = _graph()
    # server.py imports sftp_session at the top, cli.py imports server inside a function,
    # sla/services.py imports policy.defaults inside a function.
    assert "casedesk.dropbox.sftp_session" in graph["casedesk.dropbox.server"]
    assert "casedesk.dropbox.server" in graph["casedesk.cli"]
    assert "casedesk.policy.defaults" in graph["casedesk.sla.services"]


def test_policy_imports_only_the_standard_library_holidays_and_itself():
    modules = _modules()
    outside: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        if not name.startswith("casedesk.policy"):
            continue
        for imported in _imports(name, path, is_package, set(modules)):
            top = imported.partition(".")[0]
            if imported.startswith("casedesk.policy") or top == "__future__":
                continue
            if top in sys.stdlib_module_names or top == "holidays":
                continue
            outside.setdefault(name, set()).add(imported)
    assert outside == {}
