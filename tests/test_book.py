"""The book: the table of contents matches the pages, and the whole book builds offline with warnings as errors.

The build executes every notebook (as the README's first command does) into a temporary folder, so it never
touches a reader's own ``_build``.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


def source_of(stem: str) -> Path | None:
    for suffix in (".md", ".ipynb"):
        if (ROOT / (stem + suffix)).exists():
            return ROOT / (stem + suffix)
    return None


def test_toc_lists_only_existing_pages():
    missing = [f for f in toc_files() if source_of(f) is None]
    assert not missing, f"_toc.yml names pages that do not exist: {missing}"


def test_every_page_is_in_the_toc():
    listed = {source_of(f) for f in toc_files()}
    pages = [p for p in (ROOT / "book").rglob("*") if p.suffix in (".md", ".ipynb")
             and ".ipynb_checkpoints" not in p.parts]
    orphans = [str(p.relative_to(ROOT)) for p in pages if p not in listed]
    assert not orphans, f"pages under book/ missing from _toc.yml: {orphans}"


@pytest.fixture(scope="session")
def book_build(request, tmp_path_factory) -> tuple[Path, str]:
    """Build the book once for this session: ``(html folder, build log)``.

    The build reads executed notebooks from the jupyter-cache that nbval filled in this session
    (``tests/notebook_runs.py``), so a notebook that passed under nbval is not executed again.
    """
    out = tmp_path_factory.mktemp("book")
    runs = request.config.pluginmanager.get_plugin("dlcourse-notebook-runs")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config.setdefault("execute", {})["cache"] = str(runs.cache_dir)
    config_file = out / "_config.yml"
    config_file.write_text(yaml.safe_dump(config))
    # A non-interactive MPLBACKEND would make the kernels drop every figure from the built pages.
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    result = subprocess.run(
        [str(JUPYTER_BOOK), "build", str(ROOT), "--path-output", str(out), "--config", str(config_file), "--all",
         "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=1800, env=env)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return out / "_build" / "html", log


@pytest.fixture(scope="session")
def built_book(book_build) -> Path:
    return book_build[0]


def executed_in_build(log: str) -> list[str]:
    """Notebooks the build executed itself (myst-nb logs ``<path>: Executing notebook ...``)."""
    return [str(Path(p).resolve().relative_to(ROOT)) for p in
            re.findall(r"^(\S+\.ipynb): Executing notebook", log, flags=re.MULTILINE)]


def test_notebooks_nbval_ran_are_cache_hits_for_the_build(request):
    """The executed notebooks the plugin stored match the source notebooks as the book build reads them."""
    import nbformat
    from jupyter_cache import get_cache

    runs = request.config.pluginmanager.get_plugin("dlcourse-notebook-runs")
    stored = [path for path, run in runs.runs.items() if run.stored]
    if not stored:
        pytest.skip("no notebook ran under nbval in this session")
    cache = get_cache(str(runs.cache_dir))
    for path in stored:
        record = cache.match_cache_notebook(nbformat.read(ROOT / path, as_version=4))
        executed = cache.get_cache_bundle(record.pk).nb
        code = [c for c in executed.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code), f"{path}: a code cell was stored unexecuted"
        assert any(c.outputs for c in code), f"{path}: the stored notebook has no outputs"


@pytest.mark.slow
def test_build_executes_no_notebook_twice(request, book_build):
    """Each notebook runs once per test command: nbval ran it, so the build must take it from the cache."""
    runs = request.config.pluginmanager.get_plugin("dlcourse-notebook-runs")
    stored = {path for path, run in runs.runs.items() if run.stored}
    executed = executed_in_build(book_build[1])
    twice = sorted(set(executed) & stored)
    assert not twice, f"the book build executed again notebooks nbval had already run: {twice}"
    runs.build_executions = executed  # shown in the table printed at the end of the run


@pytest.mark.slow
def test_book_builds_every_page(built_book):
    for stem in toc_files():
        page = built_book / (stem + ".html")
        assert page.exists(), f"{page} was not built"


@pytest.mark.slow
def test_math_is_served_locally_and_nothing_is_fetched(built_book):
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").exists()
    external = re.compile(r"""<(?:script|link|img|iframe)[^>]+(?:src|href)=["'](?:https?:)?//""")
    for page in built_book.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        hits = external.findall(text)
        assert not hits, f"{page.relative_to(built_book)} loads resources from the network: {hits[:3]}"


@pytest.mark.slow
def test_executed_notebooks_show_figures(built_book):
    for stem in toc_files():
        source = source_of(stem)
        if source.suffix == ".ipynb" and "matplotlib" in source.read_text():
            html = (built_book / (stem + ".html")).read_text(encoding="utf-8")
            assert re.search(r"<img[^>]+\.png", html), f"{stem}: no figure in the built page"


@pytest.mark.slow
def test_a_failed_notebook_fails_every_rebuild(tmp_path):
    """The README's build command, run twice on a tiny book whose notebook fails, must fail both times.

    Without ``--all``, Sphinx sees no changed source the second time, keeps the stale page and reports success.
    """
    import nbformat

    readme = (ROOT / "README.md").read_text()
    command = re.search(r"jupyter-book build \. ([^\n`]*)", readme).group(1).split()
    (tmp_path / "_config.yml").write_text("title: t\nexecute:\n  execute_notebooks: cache\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Page"),
                                         nbformat.v4.new_code_cell("assert False, 'failing on purpose'")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "page.ipynb")
    for attempt in (1, 2):
        result = subprocess.run([str(JUPYTER_BOOK), "build", str(tmp_path), *command], capture_output=True,
                                text=True, timeout=600)
        assert result.returncode != 0, f"build {attempt} reported success although the notebook fails"


def test_no_duplicate_bibliography_keys_or_glossary_terms():
    """Chapters add to these shared files; a key or term defined twice breaks the build (warnings are errors)."""
    from collections import Counter

    keys = re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "book" / "references.bib").read_text(), flags=re.M)
    assert len(keys) > 50
    assert not [k for k, n in Counter(keys).items() if n > 1], "duplicate BibTeX keys"
    text = (ROOT / "book" / "glossary.md").read_text()
    block = text[text.index("```{glossary}"):].splitlines()[1:]
    terms = [line.strip().lower() for line in block if line and not line[0].isspace() and not line.startswith("```")]
    assert len(terms) > 20
    assert not [t for t, n in Counter(terms).items() if n > 1], "duplicate glossary terms"


def test_glossary_terms_are_separated_by_blank_lines():
    """Sphinx needs an empty line before each glossary term (a union merge of two appends can lose it)."""
    text = (ROOT / "book" / "glossary.md").read_text()
    lines = text[text.index("```{glossary}"):].splitlines()
    for before, line in zip(lines[1:], lines[2:]):
        if line and not line[0].isspace() and not line.startswith("```"):
            assert before.strip() == "", f"glossary term {line!r} must follow an empty line"
