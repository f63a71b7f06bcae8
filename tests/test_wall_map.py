"""The committed Kaifeng geometry and the map figure built on it (pure functions; no browser)."""

from __future__ import annotations

import pandas as pd
import pytest

from data_access import codes
from ui import kaifeng_map, theme


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)) / 2


def test_geojson_has_the_nine_real_divisions_and_no_virtual_zone():
    features = kaifeng_map.districts()["features"]
    real = {c.code: c.name for c in codes.COUNTIES if not c.is_virtual}
    assert {f["id"]: f["properties"]["name"] for f in features} == real
    assert all(f["properties"]["adcode"] == f["id"] for f in features)
    assert kaifeng_map.ZONE_CODE not in {f["id"] for f in features}


def test_rings_wind_clockwise_and_lie_in_kaifeng():
    """plotly's geo choropleth fills the whole globe instead of a county whose exterior ring is
    counter-clockwise; and GCJ-02 Kaifeng lies within 113.8–115.3°E, 34.1–35.1°N."""
    for feature in kaifeng_map.districts()["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            assert _signed_area(polygon[0]) < 0, feature["id"]
            assert all(113.8 < x < 115.3 and 34.1 < y < 35.1 for x, y in polygon[0])


def test_centroids_fall_inside_each_county_bounding_box():
    for feature in kaifeng_map.districts()["features"]:
        ring = feature["geometry"]["coordinates"][0][0]
        x, y = kaifeng_map.centroids()[feature["id"]]
        assert min(p[0] for p in ring) < x < max(p[0] for p in ring)
        assert min(p[1] for p in ring) < y < max(p[1] for p in ring)


def _risk(levels: dict[str, dict[str, int]]) -> pd.DataFrame:
    rows = []
    for c in codes.COUNTIES:
        counts = {lv: levels.get(c.code, {}).get(lv, 0) for lv in codes.LEAD_LEVELS}
        top = next((lv for lv in codes.LEAD_LEVELS if counts[lv]), None)
        rows.append({"region_code": c.code, "name": c.name, **counts, "top_level": top})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("top", "z"), [(None, 0), ("BLUE", 1), ("YELLOW", 2), ("ORANGE", 3), ("RED", 4)])
def test_county_colour_follows_its_most_severe_open_lead(top, z):
    risk = _risk({"410221": {top: 2}} if top else {})
    fig = kaifeng_map.district_risk_figure(risk, width=800, height=600)
    choropleth = fig["data"][0]
    assert choropleth["z"][choropleth["locations"].index("410221")] == z
    # The stepped colour scale gives z its level's colour (and no other level's).
    scale = dict((round(stop, 3), colour) for stop, colour in choropleth["colorscale"][1::2])
    expected = theme.LEVEL_STYLES[top].colour if top else theme.NO_RISK
    assert scale[round((z + 1) / 5, 3)] == expected


def test_labels_carry_level_marks_and_the_zone_is_a_coloured_star():
    risk = _risk({"410221": {"RED": 1, "YELLOW": 3}, kaifeng_map.ZONE_CODE: {"ORANGE": 2}})
    fig = kaifeng_map.district_risk_figure(risk, width=800, height=600)
    labels = dict(zip(kaifeng_map.risk_styling(risk)["labelled"], fig["data"][3]["text"], strict=True))
    assert labels["410221"] == "<b>杞县</b><br>▲1 ●3"
    assert labels[kaifeng_map.ZONE_CODE] == "<b>示范区</b><br>◆2"
    assert labels["410222"].endswith("无在办线索")
    zone = fig["data"][2]
    assert zone["marker"]["symbol"] == "star" and zone["marker"]["color"] == theme.LEVEL_STYLES["ORANGE"].colour


def test_map_range_holds_every_polygon_and_label():
    fig = kaifeng_map.district_risk_figure(_risk({}), width=800, height=600)
    (west, east), (south, north) = fig["layout"]["geo"]["lonaxis"]["range"], fig["layout"]["geo"]["lataxis"]["range"]
    points = [p for f in kaifeng_map.districts()["features"] for poly in f["geometry"]["coordinates"] for p in poly[0]]
    points += list(zip(fig["data"][3]["lon"], fig["data"][3]["lat"], strict=True))
    assert all(west < x < east and south < y < north for x, y in points)
    assert fig["layout"]["geo"]["visible"] is False  # no base map; nothing fetched but our topology


def _rgb(colour: str) -> tuple[int, ...]:
    colour = colour.strip()
    if colour.startswith("#"):
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(float(x)) for x in colour[colour.index("(") + 1:colour.index(")")].split(","))


def test_county_counts_shade_darker_for_more_and_grey_for_no_data():
    """The analyst map: the busiest county is the darkest, a quiet one is still visibly blue, and a county
    without data is grey and named 无数据 in the legend (it used to look like the busiest)."""
    import plotly.colors

    names = {c.code: c.name for c in codes.COUNTIES}
    counts = pd.DataFrame({"code": ["410221", "410222", "410202", "410290"], "n": [2685, 40, 900, 300]})
    counts["name"] = counts["code"].map(names)
    fig = kaifeng_map.county_count_figure(counts, [], highlight="#d9480f", other="#343a40")
    shaded = fig["data"][0]
    colour_of = dict(zip(shaded["locations"], plotly.colors.sample_colorscale(
        shaded["colorscale"], [z / shaded["zmax"] for z in shaded["z"]]), strict=True))
    lightness = {code: sum(_rgb(c)) for code, c in colour_of.items()}
    assert lightness["410221"] < lightness["410202"] < lightness["410222"]  # more = darker
    no_data = next(t for t in fig["data"] if t.get("name") == kaifeng_map.NO_DATA_LABEL)
    polygons = {f["id"] for f in kaifeng_map.districts()["features"]}
    assert set(no_data["locations"]) == polygons - set(counts["code"]) and no_data["showlegend"]
    assert fig["layout"]["showlegend"]
    grey = _rgb(kaifeng_map.NO_DATA_COLOUR)
    assert max(grey) - min(grey) < 10  # a neutral grey, while every shade of the scale is clearly blue
    assert all(_rgb(c)[2] - _rgb(c)[0] > 20 for c in colour_of.values())
