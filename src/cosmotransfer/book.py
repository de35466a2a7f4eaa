"""Execute the notebooks with papermill and render the book with Jupyter Book 1.x.

The chapters are the ``book/NN_*`` entries of ``_toc.yml`` whose Jupytext source
``notebooks/NN_*.py`` exists. Each source is converted to ``.ipynb``, executed by papermill with
``SCALE`` (and any other parameters) injected into its ``parameters`` cell, and written to
``book/NN_*.ipynb`` (git-ignored); Jupyter Book then builds the HTML with execution off and
warnings as errors.

``out`` builds a separate copy of the book (config, toc, prose pages and executed notebooks)
in another folder, so the smoke-scale build of the tests never overwrites the published book.
Every figure a chapter publishes is saved under ``<book>/_build/figures/<id>.png`` and ``.pdf``; the
table behind it, where it has one, under ``<book>/book/downloads/<id>.csv`` (provenance ``.json``),
which the page links.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import paths
from .config import get_scale

BOOK_FILES = ("_config.yml", "_toc.yml")
#: The MathJax bundle the book loads (``mathjax_path`` in ``_config.yml``): TeX input, SVG output
#: and every TeX extension in one file, so nothing is fetched from a CDN or loaded on demand.
MATHJAX_BUNDLE = "tex-svg-full.js"


def install_mathjax(target: Path) -> Path:
    """Copy MathJax 3 from the ``django-static-mathjax`` wheel to ``target/_static/mathjax/``.

    Sphinx would otherwise point every page at a CDN, and the equations of a book built or read
    offline would show as raw TeX. Returns the copied file.
    """
    from importlib.util import find_spec

    spec = find_spec("mathjax")
    src = None if spec is None else Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5" / MATHJAX_BUNDLE
    if src is None or not src.is_file():
        raise FileNotFoundError("MathJax is missing: install the book extra (pip install -e '.[book]'), "
                                "which brings the django-static-mathjax wheel")
    dest = target / "_static" / "mathjax" / MATHJAX_BUNDLE
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    return dest


def chapters(root: Path = paths.ROOT) -> list[str]:
    """Notebook chapter names (e.g. ``01_data``) in the order of ``_toc.yml``."""
    toc = (root / "_toc.yml").read_text()
    names = re.findall(r"file:\s*book/(\d\d_\w+)", toc)
    return [n for n in names if (root / "notebooks" / f"{n}.py").is_file()]


def execute_notebook(name: str, dest: Path, parameters: dict) -> float:
    """Convert ``notebooks/<name>.py`` and execute it into ``dest/<name>.ipynb``; returns seconds.

    The executed notebook is written to a temporary file first and moved into place only when
    every cell ran, so a failed run leaves no half-executed chapter behind.
    """
    import jupytext
    import papermill

    nb = jupytext.read(paths.NOTEBOOKS_DIR / f"{name}.py")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    dest.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / f"{name}.ipynb", Path(tmp) / f"{name}.out.ipynb"
        jupytext.write(nb, src)
        papermill.execute_notebook(str(src), str(out), parameters=parameters, kernel_name="python3",
                                   cwd=str(paths.ROOT), progress_bar=False)
        show_parameters_once(out, parameters)
        shutil.move(out, dest / f"{name}.ipynb")
    return time.perf_counter() - t0


def show_parameters_once(path: Path, parameters: dict) -> None:
    """The rendered chapter shows its parameters once, with the values it ran with: the
    ``parameters`` cell's assignments take the injected values, and papermill's injected cell is
    tagged ``remove-cell`` (Jupyter Book drops it from the page; the notebook keeps it)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
        elif "parameters" in tags:
            for key, value in parameters.items():
                cell.source = re.sub(rf"^{re.escape(key)}\s*=.*$", f"{key} = {value!r}", cell.source, flags=re.M)
    nbformat.write(nb, path)


def resolve_chapters(selectors: list[str], root: Path = paths.ROOT) -> list[str]:
    """Chapter names from selectors: a full name (``03_neutrinos``) or its number (``03``, ``3``);
    ConfigError naming the chapters otherwise."""
    from .config import ConfigError

    names = chapters(root)
    out = []
    for sel in selectors:
        hits = [n for n in names if n == sel or (sel.isdigit() and n.split("_", 1)[0] == f"{int(sel):02d}")]
        if not hits:
            raise ConfigError(f"unknown chapter {sel!r}; valid chapters: {', '.join(names)}")
        out += hits
    return out


def parse_parameters(items: list[str]) -> dict:
    """``["SEED=1", "NWLH_PK=a.npy"]`` → ``{"SEED": 1, "NWLH_PK": "a.npy"}`` (Python literals where
    they parse, strings otherwise); ConfigError for an item without ``=``."""
    import ast

    from .config import ConfigError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise ConfigError(f"parameter {item!r} is not NAME=VALUE, e.g. -p SEED=1")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def build_book(scale: str = "book", out: Path | None = None, notebooks: list[str] | None = None,
               parameters: dict | None = None) -> Path | None:
    """Execute the chapters (default: all; ``notebooks``: only these) at ``scale`` with ``parameters``
    and build the HTML; returns the ``_build/html`` folder, or ``None`` when only some chapters were
    executed and the others have never been (the HTML needs every chapter)."""
    get_scale(scale)  # fail early, with the valid names, on an unknown scale
    root = paths.ROOT
    target = root if out is None else Path(out).resolve()
    if target != root:
        target.mkdir(parents=True, exist_ok=True)
        for f in BOOK_FILES:
            shutil.copy2(root / f, target / f)
        (target / "book").mkdir(exist_ok=True)
        for page in (root / "book").glob("*.md"):
            shutil.copy2(page, target / "book" / page.name)
    if get_scale(scale).name == "smoke":  # loaders only load: make what the smoke scale reads first
        from .simulate import ensure_smoke_suites

        ensure_smoke_suites()
    params = {"SCALE": scale, **(parameters or {})}
    names = notebooks or chapters(root)
    timings = {}
    # the kernels inherit the environment: figures.publish saves into this book's _build/figures
    where = {"COSMOTRANSFER_FIGURES": target / "_build" / "figures", "COSMOTRANSFER_DOWNLOADS": target / "book" / "downloads"}
    saved = {k: os.environ.get(k) for k in where}
    os.environ.update({k: str(v) for k, v in where.items()})
    try:
        for name in names:
            print(f"[book] executing {name} (SCALE={scale}) …", flush=True)
            timings[name] = execute_notebook(name, target / "book", params)
            print(f"[book] {name}: {timings[name]:.1f} s", flush=True)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k)
            else:
                os.environ[k] = v
    missing = [n for n in chapters(root) if not (target / "book" / f"{n}.ipynb").is_file()]
    if missing:
        print(f"[book] executed {', '.join(names)}; the HTML needs every chapter — not yet executed here: "
              f"{', '.join(missing)} (run without --only once)", flush=True)
        return None
    install_mathjax(target)
    t0 = time.perf_counter()
    # -W: warnings are errors (a broken glue or reference fails the build); --keep-going lists them all
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    jb = Path(sys.executable).with_name("jupyter-book")  # the console script of this environment
    subprocess.run([str(jb), "build", str(target), "--all", "-W", "--keep-going", "-q"], check=True, env=env)
    timings["jupyter-book build"] = time.perf_counter() - t0
    for k, v in timings.items():
        print(f"[book] {k:28s} {v:7.1f} s")
    return target / "_build" / "html"
