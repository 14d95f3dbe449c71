"""Check the built HTML reference (`make docs` runs it after `sphinx-build -W`).

- offline: no page, stylesheet or script loads anything from the internet (scripts, stylesheets, fonts, images,
  frames, CSS ``url()``/``@import``); plain links (``<a href>``) to outside pages are allowed;
- complete: every public name of ``workbench`` (``workbench.__all__``) is documented on the API page, every
  Step notebook and every Markdown page of docs/ has its page.

    .venv/bin/python tools/check_docs.py [build/docs/html]

Exit status 1 with one line per problem.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REMOTE = re.compile(r"^\s*(https?:)?//", re.I)
CSS_REMOTE = re.compile(r"""(url\(\s*['"]?\s*(https?:)?//|@import\s+(url\()?\s*['"]?\s*(https?:)?//)""", re.I)
# attributes that make the browser fetch something (an <a href> only navigates when clicked)
FETCHING = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
}


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.remote: list[str] = []
        self.ids: set[str] = set()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        for attr in FETCHING.get(tag, ()):
            value = values.get(attr) or ""
            if REMOTE.match(value):
                self.remote.append(f"<{tag} {attr}={value!r}>")
        if values.get("style") and CSS_REMOTE.search(values["style"] or ""):
            self.remote.append(f"<{tag} style=…> {values['style']!r}")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and CSS_REMOTE.search(data):
            self.remote.append("<style> " + CSS_REMOTE.search(data).group(0))


def _pages(html_dir: Path, problems: list[str]) -> dict[str, set[str]]:
    """The ids of every page; pages that load anything from the internet are problems."""
    ids_by_page: dict[str, set[str]] = {}
    for page in sorted(html_dir.rglob("*.html")):
        scan = _Scan()
        scan.feed(page.read_text(encoding="utf-8"))
        ids_by_page[page.relative_to(html_dir).as_posix()] = scan.ids
        problems += [f"{page.relative_to(html_dir)}: loads from the internet: {r}" for r in scan.remote]
    return ids_by_page


def _assets(html_dir: Path) -> list[str]:
    """Stylesheets that import remote files; scripts that add remote <script>/<link> tags at run time
    (MathJax, require.js, widget managers)."""
    problems = []
    for asset in sorted([*html_dir.rglob("*.css"), *html_dir.rglob("*.js")]):
        text = asset.read_text(encoding="utf-8", errors="replace")
        hit = CSS_REMOTE.search(text) if asset.suffix == ".css" else None
        if hit:
            problems.append(f"{asset.relative_to(html_dir)}: loads from the internet: {hit.group(0)}")
        if asset.suffix != ".js":
            continue
        for m in re.finditer(r"""['"](https?:)?//[^'"\s]+\.(js|css|woff2?|ttf|otf)(\?[^'"]*)?['"]""", text):
            problems.append(f"{asset.relative_to(html_dir)}: refers to a remote asset: {m.group(0)}")
    return problems


def _results_documented(api_ids: set[str]) -> list[str]:
    """The names analysts reach outside ``__all__`` (:data:`EXTRA_NAMES`), and every result class with the table of
    its frame's columns (``.. wb-columns::``)."""
    problems = []
    for name in EXTRA_NAMES:
        if name not in api_ids:
            problems.append(f"api.html: {name} is not documented")
    for cls in result_classes():
        path = f"{cls.__module__}.{cls.__qualname__}"
        documented = {f"{path}", *(f"workbench.{m}.{cls.__qualname__}" for m in ("cost", "plan", "batch"))}
        if not documented & api_ids and f"workbench.{cls.__qualname__}" not in api_ids:
            problems.append(f"api.html: the result class {path} is not documented")
        elif cls.FRAME_COLUMNS and not any(
            i.startswith("columns-") and _tail(i) == cls.__qualname__.lower() for i in api_ids
        ):
            problems.append(f"api.html: the columns of {path}.to_frame() are not listed (.. wb-columns::)")
    return problems


def _coverage(ids_by_page: dict[str, set[str]]) -> list[str]:
    """Every public name on the API page, every notebook and every docs/ page in the reference."""
    import workbench

    problems = []
    api_ids = ids_by_page.get("api.html", set())
    for name in workbench.__all__:
        if f"workbench.{name}" not in api_ids and f"module-workbench.{name}" not in api_ids:
            problems.append(f"api.html: the public name workbench.{name} is not documented")
    problems += _results_documented(api_ids)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if f"_generated/notebooks/{nb.stem}.html" not in ids_by_page:
            problems.append(f"notebook {nb.name}: no page in the reference")
    for md in sorted((ROOT / "docs").glob("*.md")):
        if md.name != "README.md" and f"{md.stem}.html" not in ids_by_page:
            problems.append(f"docs/{md.name}: no page in the reference")
    return problems


#: names outside ``workbench.__all__`` an analyst reaches for: documented on the API page too
EXTRA_NAMES = (
    "workbench.batch.run_batch",
    "workbench.reference.municipalities_of",
    "workbench.reference.data_dir",
    "module-workbench.charts",
    "workbench.charts.cost.shares_by_rule",
    "workbench.cost.sensitivity",
    "workbench.overview.overview",
)


def result_classes() -> list[type]:
    """Every analysis result class (:class:`workbench.results.Result` and its subclasses' subclasses) of the modules
    an analyst imports."""
    import workbench  # noqa: F401
    import workbench.batch  # noqa: F401
    import workbench.cost  # noqa: F401
    import workbench.overview  # noqa: F401
    import workbench.plan  # noqa: F401
    from workbench.results import Result

    out, todo = [], list(Result.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("workbench.") and "widgets" not in cls.__module__:
            out.append(cls)
        todo += cls.__subclasses__()
    return sorted(out, key=lambda c: (c.__module__, c.__qualname__))


def _tail(anchor: str) -> str:
    """The class name at the end of a ``columns-…`` anchor (docutils lowercases ids and turns dots into hyphens)."""
    return anchor.rsplit("-", 1)[-1]


def check(html_dir: Path) -> list[str]:
    """Problems of a built reference (empty when it is offline and complete)."""
    if not (html_dir / "index.html").is_file():
        return [f"{html_dir}: no index.html (run make docs)"]
    problems: list[str] = []
    ids_by_page = _pages(html_dir, problems)
    return problems + _assets(html_dir) + _coverage(ids_by_page)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    html_dir = Path(args[0]) if args else ROOT / "build" / "docs" / "html"
    problems = check(html_dir)
    for p in problems:
        print(f"docs: {p}", file=sys.stderr)
    if problems:
        return 1
    pages = len(list(html_dir.rglob("*.html")))
    print(f"docs ok: {pages} pages in {html_dir}, offline, every public name documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
