"""The scorecard's table as HTML (notebook 08): one row per finding, a cell per tier."""
from __future__ import annotations

from html import escape

import pandas as pd


def scorecard_html(table: pd.DataFrame, tiers: tuple[str, ...]) -> str:
    """``table``: :func:`cosmotransfer.scorecard.table`. Each tier's cell shows its number and, in
    bold, its verdict; the last columns give the row's verdict and a link to the chapter's page."""
    head = "".join(f"<th>{escape(c)}</th>" for c in ("finding", "paper", *tiers, "verdict", "shown in"))
    body = []
    for finding, r in table.iterrows():
        cells = [escape(finding), escape(r["paper"])]
        for t in tiers:
            verdict = r[f"{t} verdict"]
            cells.append(f"{escape(r[t])}<br><b>{escape(verdict)}</b>")
        cells.append(f"<b>{escape(r['verdict'])}</b>")
        cells.append(f'<a href="{escape(r["chapter"])}.html">{escape(r["chapter"])}</a>')
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
