"""The dark video-wall theme: every colour, font and risk-level mark of the wall, declared once.

A wall is read from across a room and nobody hovers on it, so a risk level is never told by colour
alone: each level has a shape mark and a label as well (▲红 ◆橙 ●黄 ■蓝), used the same way in the
KPI counters, the map, the ticker and the lists (declared once in ui.levels, shared with every page).
assets/wall.css holds no colour of its own: it reads the CSS custom properties below, which the wall page
sets on its root element.
"""

from __future__ import annotations

from ui.levels import LEVEL_ORDER, LEVEL_STYLES, level_label  # noqa: F401 (the wall reads levels here)

# The design canvas: everything is laid out at this size and scaled to the physical wall.
CANVAS_WIDTH = 1920
CANVAS_HEIGHT = 1080

BACKGROUND = "#06122b"
PANEL = "#0b1d3d"
PANEL_BORDER = "#1e4c8f"
GRID = "#1a3566"
TEXT = "#e6f0ff"
TEXT_MUTED = "#8fa8cc"
ACCENT = "#35c3ff"
BAND = "rgba(53, 195, 255, 0.18)"
GOOD = "#3ddc97"
NO_RISK = "#16325e"  # a county with no open lead
FONT_FAMILY = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'

# CSS custom properties the wall page sets on its root element for assets/wall.css.
CSS_VARIABLES: dict[str, str] = {
    "--wall-bg": BACKGROUND, "--wall-panel": PANEL, "--wall-border": PANEL_BORDER, "--wall-text": TEXT,
    "--wall-muted": TEXT_MUTED, "--wall-accent": ACCENT, "--wall-good": GOOD,
    "--wall-alert": LEVEL_STYLES["RED"].colour, "--wall-warn": LEVEL_STYLES["ORANGE"].colour,
    "--wall-font": FONT_FAMILY,
}
ALERT_LEVELS: tuple[str, ...] = ("RED", "ORANGE")  # levels announced on the ticker


def base_layout(width: int, height: int, **extra) -> dict:
    """Plotly layout shared by every wall figure: fixed pixel size (the canvas is fixed, so figures never
    resize, even while a carousel screen is hidden), transparent paper, large type."""
    layout = {
        "width": width, "height": height, "autosize": False,
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT_FAMILY, "color": TEXT, "size": 18},
        "margin": {"l": 56, "r": 16, "t": 16, "b": 40},
        "showlegend": False,
        "transition": {"duration": 0},
    }
    layout.update(extra)
    return layout


def axis(**extra) -> dict:
    style = {"gridcolor": GRID, "zerolinecolor": GRID, "linecolor": GRID, "tickfont": {"color": TEXT_MUTED, "size": 16}}
    style.update(extra)
    return style


# dcc.Graph config for the wall: a static SVG (no hover, no mode bar, no resize handling).
GRAPH_CONFIG = {"staticPlot": True, "displayModeBar": False, "responsive": False}
