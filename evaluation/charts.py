"""Bulletin charts as PNG bytes (matplotlib, no display), drawn with a CJK font shipped on PyPI.

The font is Noto Sans CJK SC (SIL Open Font License) from the ``mplfonts`` wheel, loaded by file so
rendering never depends on what fonts the machine happens to have.
"""

from __future__ import annotations

import functools
import io
from importlib import resources

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402

FONT_FILE = "NotoSansCJKsc-Regular.otf"
STATUS_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828", "insufficient": "#bdbdbd",
                  "nodata": "#9e9e9e"}


@functools.cache
def cjk_font() -> font_manager.FontProperties:
    path = resources.files("mplfonts") / "fonts" / FONT_FILE
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


def _png(fig) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def ranking_bars(ranking: pd.DataFrame, title: str) -> bytes:
    """Horizontal bars of composite scores coloured by persistence status, with the median as a line."""
    font = cjk_font()
    data = ranking.dropna(subset=["score"]).sort_values("score")
    fig, ax = plt.subplots(figsize=(7.2, max(2.4, 0.28 * len(data) + 1)))
    ax.barh(data["unit_name"], data["score"], color=[STATUS_COLOURS[s] for s in data["status"]])
    if len(data):
        median = float(data["score"].median())
        ax.axvline(median, color="#1565c0", linestyle="--", linewidth=1)
        ax.text(median, len(data) - 0.4, f" 中位数 {median:.1f}", color="#1565c0", fontproperties=font, fontsize=8)
    ax.axvline(100, color="#555555", linewidth=0.8)
    ax.set_title(title, fontproperties=font)
    ax.set_xlabel("综合得分（100 = 全部达标）", fontproperties=font)
    for label in ax.get_yticklabels():
        label.set_fontproperties(font)
        label.set_fontsize(8)
    return _png(fig)


def trend_lines(series: pd.DataFrame, title: str) -> bytes:
    """One line per column of ``series`` (index = months), values as percentages."""
    font = cjk_font()
    fig, ax = plt.subplots(figsize=(7.2, 3.2))
    for column in series.columns:
        ax.plot(series.index, series[column] * 100, marker="o", markersize=3, label=column)
    ax.set_title(title, fontproperties=font)
    ax.set_ylabel("%", fontproperties=font)
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    ax.legend(prop=font_manager.FontProperties(fname=cjk_font().get_file(), size=7), loc="lower left")
    ax.grid(alpha=0.3)
    return _png(fig)
