"""投诉分析: daily 12345 complaint counts by county and category (the foundation's end-to-end slice)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.express as px
from dash import Input, Output, callback, dcc, html

from data_access import db, queries

dash.register_page(__name__, path="/complaints", name="投诉分析", order=20)


def layout(region=None, category=None, **_query) -> html.Div:
    with db.session_scope() as session:
        counties = queries.counties(session)
        categories = queries.hotline_categories(session)
    controls = dbc.Row([
        dbc.Col([dbc.Label("区县"), dcc.Dropdown(
            id="complaints-region", multi=True, value=region.split(",") if region else [],
            options=[{"label": r.name, "value": r.region_code} for r in counties.itertuples()],
            placeholder="全部区县")], md=6),
        dbc.Col([dbc.Label("诉求类别"), dcc.Dropdown(
            id="complaints-category", multi=True, value=category.split(",") if category else [],
            options=[{"label": c.name, "value": c.cat_code} for c in categories.itertuples()],
            placeholder="全部类别")], md=6),
    ], className="mb-3")
    return html.Div([html.H3("投诉分析：每日诉求量"), controls,
                     dcc.Loading(dcc.Graph(id="complaints-daily", config={"displaylogo": False}))])


@callback(Output("complaints-daily", "figure"), Input("complaints-region", "value"),
          Input("complaints-category", "value"))
def update_daily(region_codes: list[str] | None, category_codes: list[str] | None):
    """Daily totals per county for the selected counties and categories."""
    with db.session_scope() as session:
        df = queries.daily_complaints(session, region_codes=region_codes or None,
                                      category_codes=category_codes or None, by=("region_code",))
        names = queries.counties(session).set_index("region_code")["name"]
    df["区县"] = df["region_code"].map(names)
    fig = px.line(df, x="day", y="n", color="区县", labels={"day": "日期", "n": "诉求量（件）"})
    fig.update_layout(margin={"l": 40, "r": 10, "t": 30, "b": 40}, legend_title_text="区县", hovermode="x unified")
    return fig
