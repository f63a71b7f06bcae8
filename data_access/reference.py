"""Seeding the reference dimensions (regions, departments, code lists, calendar) from ``codes``.

Idempotent: ``bianjian init`` may run any number of times; rows are upserted by primary key.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import codes, uscc, workdays
from data_access.schema import (
    CreditMeasure,
    Department,
    HotlineCategory,
    Region,
    UrbanCategory,
    Workday,
)

CALENDAR_FIRST = dt.date(2018, 1, 1)
CALENDAR_LAST = dt.date(2028, 12, 31)


def department_code(dept: codes.Department) -> str:
    """The department's synthetic 机关 USCC: 11 + region + 8-digit body + check characters."""
    region = dept.key[3:] if dept.kind == "GOV" else codes.CITY_CODE
    return uscc.make("11", region, f"{dept.seq:08d}")


DEPT_CODE_BY_KEY = {d.key: department_code(d) for d in codes.DEPARTMENTS}
DEPT_SHORT_NAME_BY_CODE = {DEPT_CODE_BY_KEY[d.key]: d.short_name for d in codes.DEPARTMENTS}


def county_government_code(county_code: str) -> str:
    return DEPT_CODE_BY_KEY[f"GOV{county_code}"]


def urban_category_code(kind: str, major: str, minor_index: int) -> str:
    return f"{'B' if kind == '部件' else 'E'}{major}{minor_index + 1:02d}"


def region_rows() -> list[dict]:
    rows = [{"region_code": codes.CITY_CODE, "name": codes.CITY_NAME, "level": "CITY", "parent_code": None,
             "is_virtual": False, "is_province_direct": False, "population": 4_824_016}]
    rows += [{"region_code": c.code, "name": c.name, "level": c.level, "parent_code": codes.CITY_CODE,
              "is_virtual": c.is_virtual, "is_province_direct": c.province_direct, "population": c.population}
             for c in codes.COUNTIES]
    rows += [{"region_code": t.code, "name": t.name, "level": t.level, "parent_code": t.county_code,
              "is_virtual": False, "is_province_direct": False, "population": None} for t in codes.TOWNSHIPS]
    return rows


def department_rows() -> list[dict]:
    return [{"dept_code": DEPT_CODE_BY_KEY[d.key], "dept_key": d.key, "name": d.name, "short_name": d.short_name,
             "kind": d.kind, "region_code": d.key[3:] if d.kind == "GOV" else codes.CITY_CODE}
            for d in codes.DEPARTMENTS]


def hotline_category_rows() -> list[dict]:
    return [{"cat_code": codes.hotline_category_code(i), "name": name, "level": 1, "parent_code": None,
             "default_dept_key": dept, "demo_weight": weight}
            for i, (name, weight, dept) in enumerate(codes.HOTLINE_CATEGORIES)]


def urban_category_rows() -> list[dict]:
    return [{"cat_code": urban_category_code(kind, major, j), "kind": kind, "major_code": major,
             "major_name": major_name, "minor_name": minor, "limit_hours": hours,
             "default_dept_code": DEPT_CODE_BY_KEY[dept]}
            for kind, major, major_name, minors, hours, dept in codes.URBAN_CATEGORIES
            for j, minor in enumerate(minors)]


def credit_measure_rows() -> list[dict]:
    return [{"measure_code": c, "name": n, "direction": d} for c, n, d in codes.CREDIT_MEASURES]


SEEDS = (
    (Region, region_rows), (Department, department_rows), (HotlineCategory, hotline_category_rows),
    (UrbanCategory, urban_category_rows), (CreditMeasure, credit_measure_rows),
    (Workday, lambda: workdays.calendar_rows(CALENDAR_FIRST, CALENDAR_LAST)),
)


def seed_reference(session: Session) -> dict[str, int]:
    """Upsert every reference dimension; returns rows per table."""
    counts = {}
    for model, make_rows in SEEDS:
        rows = make_rows()
        pk = model.__mapper__.primary_key[0].name
        existing = set(session.scalars(select(getattr(model, pk))))
        for row in rows:
            if row[pk] in existing:
                session.merge(model(**row))
            else:
                session.add(model(**row))
        counts[model.__table__.name] = len(rows)
    return counts
