"""What the demo's generation steps share: the run's state (``Context``) and its writes, planted-truth rows,
and the time, place and name helpers every source uses."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from data_access import codes, workdays
from data_access.bulk import insert_frame
from demo.exchange import SOURCE_BY_TABLE, SRC_SYSTEM, Exchange

DAY = np.timedelta64(1, "D")
HOUR = np.timedelta64(1, "h")
MINUTE = np.timedelta64(1, "m")

TOWNSHIPS_BY_COUNTY: dict[str, list[codes.Township]] = {}
for _t in codes.TOWNSHIPS:
    TOWNSHIPS_BY_COUNTY.setdefault(_t.county_code, []).append(_t)


def random_township(rnd: random.Random, county_code: str) -> codes.Township:
    """A township of the county, uniformly."""
    towns = TOWNSHIPS_BY_COUNTY[county_code]
    return towns[rnd.randrange(len(towns))]


@dataclass
class Context:
    """State shared by the generation steps."""

    conn: Connection
    np_rng: np.random.Generator
    rnd: random.Random
    scale: float
    start: dt.date
    end: dt.date
    batch: str
    loaded_at: dt.datetime
    progress: Callable[[str], None]
    counts: dict[str, int]
    exchange: Exchange | None = None  # None: every row in one load (``batch`` at ``loaded_at``)
    last_id: dict[str, int] = field(default_factory=dict)  # the highest surrogate key handed out, per table

    def new_ids(self, table: str, n: int) -> np.ndarray:
        """``n`` fresh surrogate keys for ``table``. Counted apart from the rows written, which can be fewer:
        the exchange drops rows that arrive after the end day, so keys taken from the row count collided with
        kept rows of an earlier write (scale 1.0: UNIQUE constraint failed: fact_hotline_event.event_id)."""
        first = self.last_id.get(table, 0) + 1
        self.last_id[table] = first + n - 1
        return np.arange(first, first + n)

    @property
    def as_of(self) -> np.datetime64:
        """The moment the data describe: the end of ``end``."""
        return np.datetime64(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()))

    def write(self, table: str, df: pd.DataFrame, lineage: bool = True) -> None:
        if lineage and self.exchange is not None and table in SOURCE_BY_TABLE:
            df = self.exchange.stamp(self.conn, table, df)
        elif lineage:
            df = df.assign(src_system=SRC_SYSTEM, load_batch=self.batch, loaded_at=self.loaded_at)
        self.counts[table] = self.counts.get(table, 0) + insert_frame(self.conn, table, df)


class WorkdayIndex:
    """Vectorised working-day arithmetic over the demo period (numpy searchsorted on a cumulative count)."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.first = np.datetime64(first, "D")
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        self.cum = np.cumsum([workdays.is_workday(d) for d in days])

    def add(self, moments: np.ndarray, n: np.ndarray) -> np.ndarray:
        """End of the n-th working day after each moment (n ≥ 1)."""
        idx = (moments.astype("datetime64[D]") - self.first).astype(int)
        target = self.cum[idx] + n
        day_idx = np.searchsorted(self.cum, target)
        return self.first + day_idx.astype("timedelta64[D]") + np.timedelta64(86399, "s")


def random_times(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Office-hours-weighted moments on the given days."""
    hour_weights = np.array([1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 12, 9, 10, 13, 14, 13, 11, 8, 6, 5, 4, 3, 2], float)
    hours = rng.choice(24, size=len(days), p=hour_weights / hour_weights.sum())
    seconds = rng.integers(0, 3600, size=len(days))
    return days.astype("datetime64[s]") + hours * np.timedelta64(3600, "s") + seconds * np.timedelta64(1, "s")


def to_py(arr: np.ndarray) -> pd.Series:
    """datetime64 values as a pandas datetime Series (NaT stays NaT), as the bulk writer takes them."""
    return pd.Series(pd.to_datetime(arr))


_DIGITS = "零一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """2 → 二, 12 → 十二, 20 → 二十 (branch ordinals as registers write them); 100 and above stay digits."""
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return str(n)


def numbered(name: str, taken: set[str]) -> str:
    """A same-name outlet's registered name: 汴京烟酒店第二分店, 开封市某某有限公司第二分公司."""
    branch = "分公司" if name.endswith("公司") else "分店"
    n = 2
    while f"{name}第{_chinese_number(n)}{branch}" in taken:
        n += 1
    return f"{name}第{_chinese_number(n)}{branch}"


def plant(ctx: Context, rows: list[dict]) -> None:
    """Write planted ground-truth rows to ``truth_planted_event`` (fresh ids)."""
    if not rows:
        return
    df = pd.DataFrame(rows)
    df.insert(0, "planted_id", ctx.new_ids("truth_planted_event", len(df)))
    for col in ("region_code", "category_code", "subject_uscc", "dept_code", "name"):
        if col not in df:
            df[col] = None
    ctx.write("truth_planted_event", df, lineage=False)

