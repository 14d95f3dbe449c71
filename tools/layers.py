"""The import layers of ``workbench`` (ARCHITECTURE.md: arrows point down only), read from the source.

Every ``import`` of one of our modules, at the top of a module or inside a function, is an edge; imports under
``if TYPE_CHECKING:`` are not (they never run), nor those in a module's ``__getattr__`` that finds a moved name
at its old place (listed apart: :func:`moved`). Each module sits on one floor; a module may import its own
floor and those below, never above, and the analyses never import the file I/O modules. tests/test_layers.py
asserts both rules and that the graph has no cycle.

    .venv/bin/python tools/layers.py            # floors, edges that break a rule, cycles
    .venv/bin/python tools/layers.py --edges    # every edge as "a -> b" (lazy ones marked *)
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "workbench"

#: floors, lowest first: (name, module prefixes). A module belongs to the floor of its longest matching prefix.
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "workbench.text",
            "workbench.staff",
            "workbench.errors",
            "workbench.reference",
            "workbench.results",
            "workbench.files",
            "workbench.shared_cache",
        ),
    ),
    (
        "inventory",
        (
            "workbench.inventory",
            "workbench.samples",
            "workbench.synth",
            "workbench.tabular",
            "workbench.sheets",
            "workbench.sheetkit",
            "workbench.datamap_sheets",
            "workbench.autosave",
            "workbench.xlsx_stream",
        ),
    ),
    (
        "analyses",
        (
            "workbench.classify",
            "workbench.auth",
            "workbench.cost",
            "workbench.plan",
            "workbench.datamap",
            "workbench.options",
            "workbench.overview",
            "workbench.geo",
        ),
    ),
    ("charts", ("workbench.charts",)),
    (
        "exports",
        (
            "workbench.report",
            "workbench.report_datamap",
            "workbench.report_vision",
            "workbench.exports",
            "workbench.deck",
            "workbench.vision_docx",
            "workbench.batch",
            "workbench.plan_sheet",
        ),
    ),
    ("widgets", ("workbench.widgets",)),
    ("front ends", ("workbench.cli", "workbench.dashboard_server", "workbench")),
]

#: reading and writing files: the analyses never import these (ARCHITECTURE.md: "Analyses never import charts,
#: widgets or I/O"); the prefecture file's models (inventory.models …) are not I/O
FILE_IO = (
    "workbench.files",
    "workbench.inventory.yamlio",
    "workbench.sheets",
    "workbench.datamap_sheets",
    "workbench.sheetkit",
    "workbench.tabular",
    "workbench.autosave",
    "workbench.samples",
    "workbench.xlsx_stream",
)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    lazy: bool  # inside a function

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}{'*' if self.lazy else ''}  (line {self.line})"


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Module name → file, for every .py file of the package."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in known else None


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, known: dict[str, Path]) -> None:
        self.module, self.known, self.depth = module, known, 0
        self.base = module.split(".") if is_package else module.split(".")[:-1]
        self.edges: list[Edge] = []
        self.guarded: list[Edge] = []
        self.moved: list[Edge] = []

    def _add(self, target: str, line: int) -> None:
        resolved = _resolve(target, self.known)
        if resolved and resolved != self.module:
            self.edges.append(Edge(self.module, resolved, line, self.depth > 0))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if self.depth == 0 and node.name == "__getattr__":
            # a module's __getattr__: names that moved to another module, found for callers outside the library
            before = len(self.edges)
            self.depth += 1
            self.generic_visit(node)
            self.depth -= 1
            found = self.edges[before:]
            del self.edges[before:]
            self.moved += [e for e in found if e.target != "?dynamic"]
            self.edges += [e for e in found if e.target == "?dynamic"]  # importlib stays an edge: hidden
            return
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for child in node.orelse:  # only the else branch runs
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == "workbench":
                self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.base[: len(self.base) - (node.level - 1)]
            mod = ".".join(base + ([node.module] if node.module else []))
        else:
            mod = node.module or ""
        if mod.split(".")[0] != "workbench":
            return
        for alias in node.names:
            sub = f"{mod}.{alias.name}"
            self._add(sub if sub in self.known else mod, node.lineno)

    def visit_Try(self, node: ast.Try) -> None:
        caught = {
            n.id if isinstance(n, ast.Name) else getattr(n, "attr", "")
            for h in node.handlers
            if h.type is not None
            for n in ([h.type] if not isinstance(h.type, ast.Tuple) else h.type.elts)
        }
        if caught & {"ImportError", "ModuleNotFoundError"}:
            before = len(self.edges)
            for child in node.body:
                self.visit(child)
            for e in self.edges[before:]:  # an import of ours that may silently be missing
                self.guarded.append(e)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("import_module", "__import__"):  # an import the reader cannot see
            self.edges.append(Edge(self.module, "?dynamic", node.lineno, self.depth > 0))
        self.generic_visit(node)


def _visit(package: Path) -> list[_Imports]:
    known = modules(package)
    out = []
    for name, path in known.items():
        visitor = _Imports(name, path.name == "__init__.py", known)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        out.append(visitor)
    return out


def edges(package: Path = PACKAGE) -> list[Edge]:
    """Every import between our modules (TYPE_CHECKING imports left out)."""
    return [e for v in _visit(package) for e in v.edges]


def moved(package: Path = PACKAGE) -> list[Edge]:
    """Imports inside a module's ``__getattr__``: a name that moved away, still found where it was for code
    outside the library (``workbench.plan.plan_xlsx`` → ``workbench.plan_sheet``). Left out of :func:`edges`;
    tests/test_layers.py checks that nothing of ours reaches a moved name by its old place."""
    return [e for v in _visit(package) for e in v.moved]


def guarded(package: Path = PACKAGE) -> list[Edge]:
    """Imports of our own modules inside ``try: … except ImportError`` (a module of ours is never missing)."""
    return [e for v in _visit(package) for e in v.guarded]


def floor(module: str) -> int:
    """The floor number of a module (0 = base)."""
    best, length = None, -1
    for i, (_, prefixes) in enumerate(FLOORS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > length:
                best, length = i, len(p)
    if best is None:
        raise KeyError(f"{module} is on no floor (tools/layers.py FLOORS)")
    return best


def upward(all_edges: list[Edge]) -> list[Edge]:
    """Edges that import a higher floor, or that an analysis uses to import file I/O, or dynamic imports."""
    analyses = [i for i, (name, _) in enumerate(FLOORS) if name == "analyses"][0]
    bad = []
    for e in all_edges:
        if e.target == "?dynamic":
            bad.append(e)
        elif floor(e.target) > floor(e.source):
            bad.append(e)
        elif floor(e.source) == analyses and any(
            e.target == m or e.target.startswith(m + ".") for m in FILE_IO
        ):
            bad.append(e)
    return bad


class _Tarjan:
    """Strongly connected components (Tarjan 1972)."""

    def __init__(self, graph: dict[str, set[str]]) -> None:
        self.graph = graph
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.stack: list[str] = []
        self.on: set[str] = set()
        self.components: list[list[str]] = []

    def visit(self, v: str) -> None:
        self.index[v] = self.low[v] = len(self.index)
        self.stack.append(v)
        self.on.add(v)
        for w in sorted(self.graph[v]):
            if w not in self.index:
                self.visit(w)
                self.low[v] = min(self.low[v], self.low[w])
            elif w in self.on:
                self.low[v] = min(self.low[v], self.index[w])
        if self.low[v] == self.index[v]:
            self._pop(v)

    def _pop(self, v: str) -> None:
        comp = []
        while True:
            w = self.stack.pop()
            self.on.discard(w)
            comp.append(w)
            if w == v:
                break
        self.components.append(sorted(comp))


def cycles(all_edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module, each sorted."""
    graph: dict[str, set[str]] = {}
    for e in all_edges:
        if e.target != "?dynamic":
            graph.setdefault(e.source, set()).add(e.target)
            graph.setdefault(e.target, set())
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    t = _Tarjan(graph)
    for v in sorted(graph):
        if v not in t.index:
            t.visit(v)
    return sorted(c for c in t.components if len(c) > 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", action="store_true", help="print every edge")
    ap.add_argument(
        "--package", type=Path, default=PACKAGE, help="another copy of workbench/ (e.g. an old one)"
    )
    args = ap.parse_args(argv)
    all_edges = edges(args.package)
    if args.edges:
        for e in sorted(all_edges, key=lambda e: (e.source, e.target)):
            print(e)
        return 0
    for i, (name, _) in enumerate(FLOORS):
        members = sorted(m for m in modules(args.package) if floor(m) == i)
        print(f"{i} {name}: {', '.join(members)}")
    bad, loops, tried = upward(all_edges), cycles(all_edges), guarded(args.package)
    print(f"\nupward, dynamic or analysis → file I/O imports: {len(bad)}")
    for e in bad:
        print(f"  {e}")
    print(f"imports of ours under try/except ImportError: {len(tried)}")
    for e in tried:
        print(f"  {e}")
    print(f"names found at their old place (module __getattr__, not edges): {len(moved(args.package))}")
    for e in moved(args.package):
        print(f"  {e}")
    print(f"cycles: {len(loops)}")
    for c in loops:
        print(f"  {' ⇄ '.join(c)}")
    return 1 if bad or loops or tried else 0


if __name__ == "__main__":
    sys.exit(main())
