"""Every book figure has an ID, one producer, a caption that names it, a row in the design page's
figure map, and saved PNG and PDF files (the showyourwork habit)."""
import importlib
import os
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from cosmotransfer import paths
from cosmotransfer.config import ConfigError
from cosmotransfer.figures import publish
from cosmotransfer.figures.catalog import FIGURES


def _source(chapter: str) -> str:
    return (paths.NOTEBOOKS_DIR / f"{chapter}.py").read_text()


def test_every_figure_is_published_under_its_id_with_a_caption_naming_its_producer():
    for f in FIGURES.values():
        module, function = f.producer.split(".")
        assert callable(getattr(importlib.import_module(f"cosmotransfer.figures.{module}"), function)), f.producer
        src = _source(f.chapter)
        m = re.search(rf"^# ```{{glue:figure}} {re.escape(f.id)}\n# :name: {re.escape(f.id)}\n#\n# (.+)\n# ```$",
                      src, re.M)
        assert m, f"{f.id}: no {{glue:figure}} directive in notebooks/{f.chapter}.py"
        assert f"`figures.{f.producer}`" in m.group(1) and f.data in m.group(1), f.id
        link = f"{{download}}`{f.id}.csv <downloads/{f.id}.csv>`"
        assert (link in m.group(1)) == bool(f.table), f"{f.id}: the caption's download link and the catalog disagree"
        # published by its chapter (the design corners in a loop over the suites)
        assert f'"{f.id}"' in src or (f.id.startswith("fig-01-design-") and 'f"fig-01-design-' in src), f.id
    for nb in sorted(paths.NOTEBOOKS_DIR.glob("*.py")):
        src = nb.read_text()
        assert "plt.show()" not in src, f"{nb.name} shows a figure without an ID"
        for fid in re.findall(r'publish\((?:fig|None), "([^"]+)"', src) + re.findall(r"publish\(None, (fid)\b", src):
            if fid != "fid":
                assert FIGURES[fid].chapter == nb.stem, fid


def test_the_design_page_maps_every_figure_to_its_producer_and_data():
    text = (paths.BOOK_DIR / "design.md").read_text()
    rows = re.findall(r"^\| `(fig-[^`]+)` \| \{doc\}`([^`]+)` \| `([^`]+)` \| (.*) \|$", text, re.M)
    assert rows == [(f.id, f.chapter, f.producer, f.data) for f in FIGURES.values()]


def test_the_downloads_page_lists_every_table():
    text = (paths.BOOK_DIR / "downloads.md").read_text()
    rows = re.findall(r"^\| \{ref\}`(fig-[^`]+)` \| \{doc\}`([^`]+)` \| (.*?) \| \{download\}`CSV <downloads/([^`]+)\.csv>`",
                      text, re.M)
    assert rows == [(f.id, f.chapter, f.table, f.id) for f in FIGURES.values() if f.table]


def test_publish_writes_the_table_behind_a_figure(tmp_path, monkeypatch):
    pytest.importorskip("myst_nb")
    import json

    import pandas as pd

    monkeypatch.setenv("COSMOTRANSFER_FIGURES", str(tmp_path / "fig"))
    monkeypatch.setenv("COSMOTRANSFER_DOWNLOADS", str(tmp_path / "dl"))
    table = pd.DataFrame({"case": ["a"], "N": [50], "mse": [0.1]})
    publish(plt.figure(), "fig-08-predictors", data=table)
    assert pd.read_csv(tmp_path / "dl" / "fig-08-predictors.csv").equals(table)
    meta = json.loads((tmp_path / "dl" / "fig-08-predictors.json").read_text())
    assert meta["producer"] == "cosmotransfer.figures.audit.predictor_vs_ratio"
    publish(None, "fig-05-png-lc", "no local-PNG suite here")  # the page's link still resolves
    assert "no local-PNG suite here" in (tmp_path / "dl" / "fig-05-png-lc.csv").read_text()
    with pytest.raises(ValueError, match="no download"):
        publish(plt.figure(), "fig-01-kgrid", data=table)


def test_publish_saves_png_and_pdf_and_refuses_an_unknown_id(tmp_path, monkeypatch):
    pytest.importorskip("myst_nb")
    monkeypatch.setenv("COSMOTRANSFER_FIGURES", str(tmp_path))
    pdfs = []
    for _ in range(2):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        publish(fig, "fig-01-kgrid")
        pdfs.append((tmp_path / "fig-01-kgrid.pdf").read_bytes())
    assert (tmp_path / "fig-01-kgrid.png").stat().st_size > 0
    assert pdfs[0] == pdfs[1]  # same figure, same bytes
    publish(None, "fig-01-split", "no data here")  # a page whose data is missing still gets its figure
    assert (tmp_path / "fig-01-split.png").is_file()
    with pytest.raises(ConfigError, match="unknown figure ID 'fig-99-x'"):
        publish(plt.figure(), "fig-99-x")
    assert not (tmp_path / "fig-99-x.png").exists()


BOOK = os.environ.get("COSMOTRANSFER_BOOK_DIR")


@pytest.mark.skipif(not BOOK, reason="no built book (set COSMOTRANSFER_BOOK_DIR; `make test` does)")
def test_the_built_book_saved_every_figure():
    out = Path(BOOK) / "_build" / "figures"
    for f in FIGURES.values():
        for ext in ("png", "pdf"):
            assert (out / f"{f.id}.{ext}").stat().st_size > 0, f"{f.id}.{ext}"
    assert {p.stem for p in out.iterdir()} == set(FIGURES)
    downloads = Path(BOOK) / "_build" / "html" / "_downloads"
    served = {p.name for p in downloads.rglob("*") if p.is_file()}
    for f in FIGURES.values():
        if f.table:
            assert {f"{f.id}.csv", f"{f.id}.json"} <= served, f.id
