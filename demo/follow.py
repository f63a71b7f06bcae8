"""`bianjian demo --follow`: keep adding new 12345 work orders so a demo wall visibly moves.

A simulated clock starts at the warehouse's latest accepted order and runs ``speed`` times faster than
real time; each real second adds on average ``rate / 60`` new orders stamped on that clock. Orders are
composed with the demo generator's text functions, written with the bulk loader in one transaction per
batch (so a wall sees whole batches), and ``agg_daily_complaints`` is incremented for their day, county
and category so the trend needs no pipeline run.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, update

from data_access import codes, workdays
from data_access.bulk import insert_frame
from data_access.reference import DEPT_CODE_BY_KEY, county_government_code
from data_access.schema import DailyComplaintCount, HotlineTicket
from demo import complaint_text, names, places
from demo.exchange import SRC_SYSTEM
from demo.hotline import HANDLE_DAYS, URBAN_FACTOR

_TOPICS = complaint_text.TOPICS
_CATEGORY_WEIGHT = {name: weight for name, weight, _ in codes.HOTLINE_CATEGORIES}
_CATEGORY_DEPT = {name: key for name, _, key in codes.HOTLINE_CATEGORIES}
# A topic's chance = its category's Kaifeng volume × its share within the category (as the generator).
_TOPIC_P = np.array([_CATEGORY_WEIGHT[t.category] * t.weight
                     / sum(u.weight for u in _TOPICS if u.category == t.category) for t in _TOPICS])
_TOPIC_P /= _TOPIC_P.sum()
_COUNTY_P = np.array([c.population * (URBAN_FACTOR if c.urban else 1.0) for c in codes.COUNTIES])
_COUNTY_P /= _COUNTY_P.sum()


def _order(rnd: random.Random, np_rng: np.random.Generator, ticket_id: int, accepted: dt.datetime,
           batch: str) -> dict:
    topic = _TOPICS[np_rng.choice(len(_TOPICS), p=_TOPIC_P)]
    county = codes.COUNTIES[np_rng.choice(len(codes.COUNTIES), p=_COUNTY_P)].code
    appeal = rnd.choices(list(topic.appeal_weights), weights=list(topic.appeal_weights.values()))[0]
    address, township, _spot = places.address_parts(rnd, county, None, topic.addr_kind)
    title, content = complaint_text.compose_hotline(rnd, topic, county, None, address, appeal_type=appeal)
    key = _CATEGORY_DEPT[topic.category]
    dispatched = accepted + dt.timedelta(minutes=rnd.randint(5, 60))
    order_no = f"KF{accepted:%Y%m%d}{ticket_id:07d}"
    return {
        "ticket_id": ticket_id, "src_system": SRC_SYSTEM, "src_id": order_no, "load_batch": batch, "loaded_at": dt.datetime.now(),
        "order_no": order_no, "channel": rnd.choice(codes.CHANNELS[:4]), "appeal_type": appeal,
        "category_code": codes.HOTLINE_CATEGORY_CODE_BY_NAME[topic.category], "topic": topic.key,
        "title": title, "content": content, "caller_name": names.person_name(rnd), "caller_phone": names.phone(rnd),
        "region_code": county, "township_code": _township_code(county, township), "address": address,
        "is_urgent": False, "handle_mode": "TRANSFER",
        "main_dept_code": county_government_code(county) if key == "LOCAL" else DEPT_CODE_BY_KEY[key],
        "accepted_at": accepted, "dispatched_at": dispatched,
        "sign_deadline": workdays.add_workdays(dispatched, 1),
        "handle_deadline": workdays.add_workdays(dispatched, HANDLE_DAYS.get(appeal, 10)),
        "status": "待签收", "return_count": 0, "redo_count": 0, "extension_days": 0, "is_repeat": False,
        "updated_at": dispatched,
    }


def _township_code(county: str, township_name: str) -> str | None:
    return next((t.code for t in codes.TOWNSHIPS if t.county_code == county and t.name == township_name), None)


def add_orders(conn: Connection, times: list[dt.datetime], *, rnd: random.Random, np_rng: np.random.Generator
               ) -> pd.DataFrame:
    """Insert one new 待签收 work order per moment in ``times`` and count them into agg_daily_complaints.

    Returns the inserted orders (ticket_id, order_no, accepted_at, region_code, category_code, title).
    """
    if not times:
        return pd.DataFrame(columns=["ticket_id", "order_no", "accepted_at", "region_code", "category_code", "title"])
    first_id = (conn.scalar(select(func.max(HotlineTicket.ticket_id))) or 0) + 1
    batch = f"follow-{dt.datetime.now():%Y%m%d%H%M%S%f}"
    df = pd.DataFrame([_order(rnd, np_rng, first_id + i, moment, batch) for i, moment in enumerate(sorted(times))])
    insert_frame(conn, "fact_hotline_ticket", df)
    _count_into_daily(conn, df)
    return df[["ticket_id", "order_no", "accepted_at", "region_code", "category_code", "title"]]


def _count_into_daily(conn: Connection, orders: pd.DataFrame) -> None:
    """Add the orders to ``agg_daily_complaints`` (update the cell, or insert it when it is new)."""
    t = DailyComplaintCount
    cells = orders.assign(day=orders["accepted_at"].dt.date).groupby(["day", "region_code", "category_code"]).size()
    for (day, region, category), k in cells.items():
        hit = conn.execute(update(t).where(t.day == day, t.region_code == region, t.category_code == category)
                           .values(n=t.n + int(k))).rowcount
        if not hit:
            conn.execute(insert(t).values(day=day, region_code=region, category_code=category, n=int(k)))


def follow(engine: Engine, *, rate: float = 30.0, speed: float = 60.0, seed: int | None = None,
           stop: threading.Event | None = None, report: Callable[[pd.DataFrame], None] = lambda _df: None) -> int:
    """Add orders until ``stop`` is set (or the process is interrupted); returns how many were added.

    ``rate`` is new orders per real minute; ``speed`` how many simulated seconds pass per real second.
    """
    if rate <= 0 or speed <= 0:
        raise ValueError("rate and speed must be positive")
    stop = stop or threading.Event()
    rnd, np_rng = random.Random(seed), np.random.default_rng(seed)
    with engine.connect() as conn:
        clock = conn.scalar(select(func.max(HotlineTicket.accepted_at))) or dt.datetime.now()
    added = 0
    last = time.monotonic()
    while not stop.wait(1.0):
        now = time.monotonic()
        span = dt.timedelta(seconds=(now - last) * speed)
        last = now
        k = int(np_rng.poisson(rate / 60 * span.total_seconds() / speed))
        times = [clock + span * float(u) for u in np_rng.random(k)]
        clock += span
        with engine.begin() as conn:
            orders = add_orders(conn, times, rnd=rnd, np_rng=np_rng)
        added += len(orders)
        report(orders)
    return added
