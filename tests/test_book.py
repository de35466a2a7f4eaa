"""Checks of a built book: every figure the executed notebooks made is in the HTML, and the data
page renders to a non-blank screenshot in headless Chromium.

`make test` builds the smoke-scale book into .smoke-book and sets COSMOTRANSFER_BOOK_DIR; run
directly, these tests skip unless that variable names a built book.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cosmotransfer.book import chapters

BOOK = os.environ.get("COSMOTRANSFER_BOOK_DIR")
pytestmark = pytest.mark.skipif(not BOOK, reason="no built book (set COSMOTRANSFER_BOOK_DIR; `make test` does)")


@pytest.fixture(scope="module")
def book() -> Path:
    root = Path(BOOK)
    assert (root / "_build" / "html" / "index.html").is_file(), f"{root} holds no built book; run `make test`"
    return root


def _png_outputs(nb_path: Path) -> int:
    """Figures in an executed notebook: shown outputs, and figures glued for a ``{glue:figure}``."""
    nb = json.loads(nb_path.read_text())
    return sum(any(m == "image/png" or m.endswith("/image/png") for m in o.get("data", {}))
               for c in nb["cells"] for o in c.get("outputs", []))


def test_every_chapter_was_executed_and_rendered(book):
    names = chapters()
    assert names, "no chapters in _toc.yml"
    for name in names:
        assert (book / "book" / f"{name}.ipynb").is_file(), name
        assert (book / "_build" / "html" / "book" / f"{name}.html").is_file(), name


@pytest.mark.parametrize("name", chapters())
def test_html_contains_every_figure(book, name):
    n_fig = _png_outputs(book / "book" / f"{name}.ipynb")
    html = (book / "_build" / "html" / "book" / f"{name}.html").read_text()
    imgs = re.findall(r'<img[^>]+src="(\.\./_images/[^"]+\.png)"', html)
    assert len(imgs) >= n_fig, f"{name}: {n_fig} figures in the notebook, {len(imgs)} in the HTML"
    for src in imgs:
        assert (book / "_build" / "html" / "book" / src).resolve().is_file(), src
    if name == "01_data":
        assert n_fig >= 7


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_data_page_screenshot_is_not_blank(book, tmp_path):
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium not installed (apt-get install chromium)")
    png = tmp_path / "data.png"
    page = (book / "_build" / "html" / "book" / "01_data.html").resolve()
    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,6000",
                    f"--screenshot={png}", page.as_uri()], check=True, capture_output=True, timeout=120)
    import matplotlib.image as mpimg

    img = mpimg.imread(png)[..., :3]
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    non_white = (img < 0.9).any(axis=-1).mean()
    assert non_white > 0.03, f"only {non_white:.1%} of the screenshot is not white"
    # text and code are grey; only the figures (blue scatter and histograms) are coloured
    coloured = (img.max(axis=-1) - img.min(axis=-1) > 0.25).mean()
    assert coloured > 0.005, f"only {coloured:.2%} of the screenshot is coloured: are the figures missing?"


def test_pages_load_the_local_mathjax(book):
    """Equations are typeset by the MathJax copied next to the book, never by a CDN."""
    html_dir = book / "_build" / "html"
    assert (html_dir / "_static" / "mathjax" / "tex-svg-full.js").is_file()
    pages = sorted((html_dir / "book").glob("*.html"))
    with_math = [p for p in pages if 'class="math' in p.read_text()]
    assert any(p.name == "01_data.html" for p in with_math)
    for page in with_math:  # Sphinx adds MathJax only to pages with equations
        assert "_static/mathjax/tex-svg-full.js" in page.read_text(), page.name
    for page in pages:
        assert "cdn.jsdelivr.net/npm/mathjax" not in page.read_text(), page.name


def test_equations_are_typeset_offline(book, tmp_path):
    """Headless Chromium with no network: the data page's inline and display math become MathJax
    SVG, and no TeX delimiters are left in the rendered text."""
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium not installed (apt-get install chromium)")
    page = (book / "_build" / "html" / "book" / "01_data.html").resolve()
    out = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          "--proxy-server=127.0.0.1:9", f"--user-data-dir={tmp_path / 'profile'}",
                          "--virtual-time-budget=20000", "--dump-dom", page.as_uri()],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    n_typeset = out.count("<mjx-container")
    assert n_typeset >= 5, f"only {n_typeset} typeset equations in the data page"
    body = re.sub(r"<(script|style)\b.*?</\1>", "", out, flags=re.S)
    text = re.sub(r"<[^>]+>", "", body)
    assert "\\(" not in text and "$$" not in text, "raw TeX left in the rendered data page"


@pytest.mark.parametrize("name", chapters())
def test_parameters_shown_once_with_the_values_that_ran(book, name):
    html = (book / "_build" / "html" / "book" / f"{name}.html").read_text()
    text = re.sub(r"<[^>]+>", "", html)
    assert len(re.findall(r"^\s*SCALE\s*=", text, flags=re.M)) == 1, "the parameters cell is shown twice (or not at all)"
    scale = json.loads((book / "book" / f"{name}.ipynb").read_text())["metadata"]["papermill"]["parameters"]["SCALE"]
    assert re.search(rf"SCALE\s*=\s*(&#39;|'){scale}(&#39;|')", text), f"the page does not show SCALE = {scale!r}"


#: What must never reach a rendered page: warnings, tracebacks, and paths of the build machine.
NOISE = re.compile(r"Warning\b|Traceback|site-packages|(?<![\w.])/(?:work|tmp|home|root|usr|opt)/")


@pytest.mark.parametrize("page", ["intro", "design"] + chapters())
def test_rendered_text_is_clean(book, page):
    html = (book / "_build" / "html" / "book" / f"{page}.html").read_text()
    body = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    text = re.sub(r"<[^>]+>", "", body)
    hits = sorted({m.group(0) for m in NOISE.finditer(text)})
    assert not hits, f"{page}: the rendered page shows {hits}"
    cut = sorted(set(TRUNCATED.findall(text)))
    assert not cut, f"{page}: numbers cut off in their exponent: {cut}"


#: A number in scientific notation whose exponent was cut off (e.g. a table column too narrow).
TRUNCATED = re.compile(r"\d\.\d+e[-+]?(?![-+\d])")


@pytest.mark.parametrize("page", ["intro", "design", "downloads"] + chapters())
def test_every_page_in_a_browser(book, page, tmp_path):
    """Headless Chromium, no network, renders the page (MathJax included): its visible text has no
    warnings, tracebacks or machine paths; every image and every download link resolves to a file."""
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium not installed (apt-get install chromium)")
    path = (book / "_build" / "html" / "book" / f"{page}.html").resolve()
    if page == "intro" and not path.is_file():
        path = (book / "_build" / "html" / "index.html").resolve()
    dom = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          "--proxy-server=127.0.0.1:9", f"--user-data-dir={tmp_path / 'profile'}",
                          "--virtual-time-budget=10000", "--dump-dom", path.as_uri()],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    assert "<main" in dom or "bd-article" in dom, f"{page}: the browser rendered no article"
    body = re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S)
    text = re.sub(r"<[^>]+>", "", body)
    hits = sorted({m.group(0) for m in NOISE.finditer(text)})
    assert not hits, f"{page}: the rendered page shows {hits}"
    for src in re.findall(r'<img[^>]+src="([^"]+)"', body):
        if not src.startswith(("data:", "http")):
            assert (path.parent / src).resolve().is_file(), f"{page}: image {src} is missing"
    for href in re.findall(r'href="([^"#]*_downloads/[^"]+)"', body):
        assert (path.parent / href).resolve().is_file(), f"{page}: download {href} is missing"
