"""The house plan (issue 10, docs/adr/0006): imports run interfaces → domain → policy/core.

Walks every module of the package with ``ast`` (imports inside functions included, since a
lazy import is still a dependency) and fails naming each import that runs the wrong way or
closes a circle. The rules are checked on the real tree and, so that a broken checker cannot
pass silently, on small planted trees.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import casedesk

ROOT = Path(casedesk.__file__).parent

INTERFACES = {"portal", "console", "api"}
KIT = {"web"}
OUTER = {"cli", "demo", "config"}  # entry points: may import anything
GROUND = {"policy", "core"}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["casedesk", *parts])


def _imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every casedesk import in the file, relative ones resolved."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("casedesk."):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("casedesk"):
                continue
            yield node.lineno, target
            for alias in node.names:  # ``from pkg import submodule`` depends on the submodule
                yield node.lineno, f"{target}.{alias.name}"


def import_graph(root: Path) -> dict[str, list[tuple[int, str]]]:
    """Each module of the tree → the casedesk modules it imports (those that exist)."""
    files = {_module_name(p, root): p for p in root.rglob("*.py") if "migrations" not in p.parts}
    graph: dict[str, list[tuple[int, str]]] = {}
    for module, path in files.items():
        edges: dict[str, int] = {}
        for line, target in _imports(path, module):
            while target not in files and "." in target:  # a name inside a module
                target = target.rpartition(".")[0]
            if target in files and target != module:
                edges.setdefault(target, line)
        graph[module] = [(line, target) for target, line in edges.items()]
    return graph


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layering_violations(graph: dict[str, list[tuple[int, str]]], root: Path) -> list[str]:
    bad = []
    for module, edges in sorted(graph.items()):
        src = _top(module)
        for line, target in edges:
            dst = _top(target)
            if src == dst or src in OUTER or not src:
                continue
            why = ""
            if src == "policy":
                why = "policy/ imports nothing of casedesk"
            elif src == "core" and dst != "policy":
                why = "core/ is the ground layer: it imports only policy"
            elif src in INTERFACES and dst in INTERFACES:
                why = "one interface never borrows from another (share the web kit instead)"
            elif src in KIT and dst in INTERFACES:
                why = "the web kit serves the interfaces; it never imports one"
            elif src not in INTERFACES | KIT and dst in INTERFACES | KIT | OUTER:
                why = "a domain app never imports an interface"
            if why:
                bad.append(f"{module} (line {line}) imports {target}: {why}")
    return bad


def import_cycles(graph: dict[str, list[tuple[int, str]]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted({t for _, t in graph[start]})))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted({t for _, t in graph.get(child, [])}))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def _package_inits(graph: dict[str, list[tuple[int, str]]]) -> set[str]:
    return {m for m in graph if (ROOT / Path(*m.split(".")[1:]) / "__init__.py").exists()}


def test_imports_run_downward() -> None:
    bad = layering_violations(import_graph(ROOT), ROOT)
    assert not bad, "imports against the house plan:\n" + "\n".join(bad)


def test_no_import_circles() -> None:
    graph = import_graph(ROOT)
    # A package's __init__ re-exporting its own submodules is not a circle of dependencies.
    inits = _package_inits(graph)
    pruned = {
        m: [(n, t) for n, t in edges if not (t in inits and m.startswith(t + "."))]
        for m, edges in graph.items()
    }
    cycles = import_cycles(pruned)
    assert not cycles, "import circles:\n" + "\n".join(" ↔ ".join(c) for c in cycles)


def test_no_module_needs_scrolling() -> None:
    long = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for p in ROOT.rglob("*.py")
        if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > 500
    ]
    assert not long, "modules over 500 lines:\n" + "\n".join(long)


def test_domain_apps_hold_no_pages() -> None:
    """Views, page forms, URL maps and page templates live in interface packages only."""
    domain = [
        d
        for d in ROOT.iterdir()
        if d.is_dir() and (d / "__init__.py").exists() and d.name not in INTERFACES | KIT | OUTER
    ]
    found = []
    for app in domain:
        for name in ("views.py", "forms.py", "urls.py", "templatetags"):
            if (app / name).exists():
                found.append(f"{app.name}/{name}")
        templates = app / "templates"
        if templates.exists():
            # Only e-mail templates (rendered by the outbox, never served) may stay in a domain.
            pages = [t for t in templates.rglob("*.html") if app.name != "notifications"]
            found += [str(t.relative_to(ROOT)) for t in pages]
    assert not found, "pages inside domain apps:\n" + "\n".join(sorted(found))


def test_every_package_says_what_it_is() -> None:
    silent = []
    for init in ROOT.rglob("__init__.py"):
        if {"migrations", "commands", "management"} & set(init.parts):
            continue
        doc = ast.get_docstring(ast.parse(init.read_text()))
        if not doc or len(doc) < 20:
            silent.append(str(init.relative_to(ROOT)))
    assert not silent, "packages without a docstring:\n" + "\n".join(sorted(silent))


# --- the checker itself, on planted trees ------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "casedesk"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for d in [root, *root.rglob("*")]:
        if d.is_dir() and not (d / "__init__.py").exists():
            (d / "__init__.py").write_text("")
    return root


def test_checker_names_each_wrong_way_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "cases/services.py": "from casedesk.portal.forms import X\n",
            "policy/rules.py": "def f():\n    from casedesk.cases import models\n",
            "console/views.py": "from casedesk.portal import forms\n",
            "web/access.py": "from casedesk.console.views import y\n",
            "files/tus.py": "from casedesk.api.security import BearerAuth\n",
            "portal/forms.py": "X = 1\n",
            "api/security.py": "BearerAuth = 1\n",
            "cases/models.py": "",
            "portal/ok.py": "from casedesk.web.access import z\nfrom casedesk.cases import x\n",
            "cli.py": "from casedesk.portal import forms\n",
        },
    )
    bad = layering_violations(import_graph(root), root)
    pairs = {(b.split(" (")[0], b.split(" imports ")[1].split(":")[0]) for b in bad}
    assert pairs == {
        ("casedesk.cases.services", "casedesk.portal.forms"),
        ("casedesk.console.views", "casedesk.portal"),
        ("casedesk.console.views", "casedesk.portal.forms"),
        ("casedesk.files.tus", "casedesk.api.security"),
        ("casedesk.policy.rules", "casedesk.cases"),
        ("casedesk.policy.rules", "casedesk.cases.models"),
        ("casedesk.web.access", "casedesk.console.views"),
    }
    assert "imports casedesk.portal.forms: a domain app never imports an interface" in bad[0]
    assert all("(line 2)" in b for b in bad if b.startswith("casedesk.policy.rules"))


def test_checker_finds_circles_through_lazy_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "dropbox/server.py": "from .session import S\n",
            "dropbox/session.py": "def f():\n    from . import server\n",
            "dropbox/fine.py": "from .server import x\n",
        },
    )
    assert import_cycles(import_graph(root)) == [
        ["casedesk.dropbox.server", "casedesk.dropbox.session"]
    ]


def test_policy_imports_only_the_standard_library_holidays_and_itself() -> None:
    outside = set()
    for path in (ROOT / "policy").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if name.startswith("casedesk.policy") or top in {"__future__", "holidays"}:
                    continue
                if top not in sys.stdlib_module_names:
                    outside.add(f"{path.relative_to(ROOT)}: {name}")
    assert not outside, "policy/ is plain Python:\n" + "\n".join(sorted(outside))


def test_the_graph_counts_function_level_and_type_checking_imports() -> None:
    graph = {m: {t for _, t in edges} for m, edges in import_graph(ROOT).items()}
    # server.py imports sftp_session at the top, cli.py imports server inside a function,
    # sla/services.py imports policy.defaults inside a function.
    assert "casedesk.dropbox.sftp_session" in graph["casedesk.dropbox.server"]
    assert "casedesk.dropbox.server" in graph["casedesk.cli"]
    assert "casedesk.policy.defaults" in graph["casedesk.sla.services"]
