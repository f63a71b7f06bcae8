"""Risk levels as users see them: one shape mark, colour and label per level (▲红 ◆橙 ●黄 ■蓝), declared once
and used by the wall, the lead queue, 部门待办 and the lead page. A level is never told by colour alone."""

from __future__ import annotations

from dataclasses import dataclass

from dash import html

from data_access.codes import LEAD_LEVELS


@dataclass(frozen=True)
class LevelStyle:
    level: str  # RED / ORANGE / YELLOW / BLUE (data_access.codes.LEAD_LEVELS keys)
    mark: str  # shape drawn next to the label
    colour: str
    symbol: str  # plotly marker symbol with the same shape

    @property
    def label(self) -> str:
        """Shape and Chinese name, e.g. ``▲红``."""
        return f"{self.mark}{LEAD_LEVELS[self.level]}"


LEVEL_STYLES: dict[str, LevelStyle] = {
    "RED": LevelStyle("RED", "▲", "#ff4d4f", "triangle-up"),
    "ORANGE": LevelStyle("ORANGE", "◆", "#ff9f1a", "diamond"),
    "YELLOW": LevelStyle("YELLOW", "●", "#ffd836", "circle"),
    "BLUE": LevelStyle("BLUE", "■", "#3d8bff", "square"),
}
LEVEL_ORDER: tuple[str, ...] = tuple(LEVEL_STYLES)  # most severe first
BADGE_INK = "#06122b"  # dark text, readable on all four fills (and the wall's background colour)
# A lead's raw detector score: it orders leads of one kind; across kinds the level (calibrated on checked
# leads) is what compares, so it must not read as a probability of being real (the queue and the lead page).
SCORE_LABEL = "检测分值"
SCORE_HINT = "模型或规则给出的原始分值，只在同类线索之间可比；等级依据同类线索的核查属实率，跨类请看等级"


def level_label(level: str) -> str:
    return LEVEL_STYLES[level].label


def badge_style(level: str) -> dict:
    """Inline style of a level badge: the level's colour as fill, dark ink."""
    return {"backgroundColor": LEVEL_STYLES[level].colour, "color": BADGE_INK, "fontWeight": 700,
            "padding": "0.1em 0.45em", "borderRadius": "0.3em", "whiteSpace": "nowrap", "display": "inline-block",
            "alignSelf": "center", "lineHeight": 1.3}


def level_badge(level: str, *, className: str = "", **kwargs) -> html.Span:
    """The level badge: ``▲红`` on the level's colour. Unknown codes show as they are, unstyled."""
    if level not in LEVEL_STYLES:
        return html.Span(str(level), className=f"level-badge {className}".strip(), **kwargs)
    return html.Span(level_label(level), className=f"level-badge {className}".strip(), style=badge_style(level),
                     **kwargs)


def grid_column(**extra) -> dict:
    """AG Grid column definition for a ``level`` field: the same label and colours, sorted by severity
    server-side (``queries_leads`` orders levels RED → BLUE)."""
    return {"field": "level", "headerName": "等级", "width": 90,
            "valueFormatter": {"function": f"({ {lv: s.label for lv, s in LEVEL_STYLES.items()} })"
                                           "[params.value] || params.value"},
            "cellStyle": {"styleConditions": [
                {"condition": f"params.value == '{lv}'", "style": {
                    "backgroundColor": s.colour, "color": BADGE_INK, "fontWeight": 700}}
                for lv, s in LEVEL_STYLES.items()]},
            **extra}
