"""Figure makers: one function per book figure; each takes computed data and returns a matplotlib
Figure (figure functions only draw).

Every figure of the book has an ID (``fig-<chapter>-<name>``) and a producer, listed in
:data:`cosmotransfer.figures.catalog.FIGURES`. A notebook hands the producer's figure to
:func:`publish`, which saves it as ``<id>.png`` and ``<id>.pdf`` under ``paths.figures_dir()``
(``_build/figures/`` of the book being built) and glues it under its ID; the page shows it with a
``{glue:figure}`` directive whose caption names the producer. Importing this package applies the
book's one matplotlib style (:data:`STYLE`).
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

from .. import paths

#: The book's matplotlib style (every figure, every chapter).
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": "viridis",
    # fixed metadata, so the same figure gives the same PDF bytes
    "pdf.compression": 6,
}
mpl.rcParams.update(STYLE)


def publish(fig: plt.Figure | None, fig_id: str, missing: str = "", data=None) -> None:
    """Save ``fig`` as ``<fig_id>.png`` and ``.pdf`` under :func:`cosmotransfer.paths.figures_dir`
    and glue it under ``fig_id`` for the page's ``{glue:figure}`` directive.

    ``fig_id`` must be in :data:`~cosmotransfer.figures.catalog.FIGURES`. ``fig=None`` (the data is
    not here at this scale) publishes a figure that says so, with ``missing`` as the reason, so the
    page still builds. For a figure whose catalog entry has a ``table``, ``data`` is what it was
    drawn from — a sweep (``.table``, ``.provenance``), a dict of sweeps, or a DataFrame — written
    to :func:`cosmotransfer.paths.downloads_dir` as ``<fig_id>.csv`` with its provenance in
    ``<fig_id>.json`` (a note when the figure could not be made).
    """
    from myst_nb import glue

    from .catalog import get_figure

    entry = get_figure(fig_id)  # an unknown ID is an error, not a silently unlisted figure
    if entry.table:
        _write_download(entry, data, missing if fig is None else "")
    elif data is not None:
        raise ValueError(f"{fig_id} has no download in the figure catalog; give it a table description there")
    if fig is None:
        fig, ax = plt.subplots(figsize=(6, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, f"Not made here: {missing or 'its data is not at this scale'}", ha="center", va="center",
                wrap=True, fontsize=9)
    out = paths.figures_dir()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / f"{fig_id}.png")
    fig.savefig(out / f"{fig_id}.pdf", metadata={"CreationDate": None, "Creator": "cosmotransfer"})
    glue(fig_id, fig, display=False)
    plt.close(fig)


def _write_download(entry, data, missing: str) -> None:
    """``<id>.csv`` (the table) and ``<id>.json`` (what made it) for one figure."""
    import json

    import pandas as pd

    from ..store import atomic_write

    if missing or data is None:
        table = pd.DataFrame({"note": [f"not made here: {missing or 'no data at this scale'}"]})
        provenance = {}
    elif isinstance(data, pd.DataFrame):
        table, provenance = data, {}
    elif isinstance(data, dict):  # several sweeps: one table, the provenance of each
        table = pd.concat([sw.table for sw in data.values()], ignore_index=True)
        provenance = {name: sw.provenance for name, sw in data.items()}
    else:
        table, provenance = data.table, data.provenance
    folder = paths.downloads_dir()
    meta = {"figure": entry.id, "producer": f"cosmotransfer.figures.{entry.producer}", "data": entry.data,
            "columns": entry.table, "provenance": provenance}
    atomic_write(folder / f"{entry.id}.csv", lambda tmp: table.to_csv(tmp, index=False))
    atomic_write(folder / f"{entry.id}.json", lambda tmp: tmp.write_text(json.dumps(meta, indent=1, default=str) + "\n"))
