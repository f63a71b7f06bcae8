"""Entity deterioration: a live market entity named in more complaints lately than its own history and its
county × industry peers make likely — a dated change for the worse, what an entity lead warns about.

The expected count of a recent window comes from a Gamma–Poisson model of the entity's own complaint rate:
the prior is centred on its peers' rate (live entities of its county and industry) with the weight of
``prior_days`` days, updated by its own complaints over the ``history_days`` before the window; the tail
probability of the recent count under the posterior predictive (negative binomial) is the evidence. An
entity with a long bad record has a high own rate, so the same count is no surprise for it; one with a clean
record that is suddenly named again and again is. The lead's reason says so in plain Chinese.

Evidence tiers (:mod:`risk_models.calibration`): a flag on ``min_count`` = 2 complaints is an early lead, one on
``full_count`` = 3 a full one; each tier's level is its own measured
precision, so a deteriorating entity is a lead at its second complaint, at the level that evidence earns,
and the same lead rises when the third arrives.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.stats import nbinom

from risk_models import calibration, wording


class DeteriorationDetector:
    """Flags entities whose recent complaint count is improbably high against their own history and peers.

    Parameters
    ----------
    windows : tuple of int
        Lengths (days) of the recent windows tested, each ending on the as-of day; the smallest p-value
        counts, multiplied by the number of windows (Bonferroni).
    history_days : int
        The entity's own history: the days just before the recent window.
    prior_days : float
        Weight of the peers' rate in the entity's rate, in days of the entity's own observation.
    min_count : int
        Complaints needed in the recent window before a flag (fewer never make a lead): the early tier.
    full_count : int
        Complaints in the flagging window from which the flag is of the full evidence tier.
    alpha : float
        Largest (Bonferroni-adjusted) tail probability that flags.
    early_alpha : float
        The same for a flag of the early tier (fewer than ``full_count`` complaints in the window): two
        complaints are a lead only where the entity's own record and its peers make them very unlikely.
    episode_gap_days : int
        Flag days of an entity less than this apart form one episode (one lead).
    """

    def __init__(self, *, windows: tuple[int, ...] = (14, 30, 60), history_days: int = 365,
                 prior_days: float = 180.0, min_count: int = 2, full_count: int = 3, alpha: float = 1e-4, early_alpha: float = 4e-5,
                 episode_gap_days: int = 30):
        self.windows = windows
        self.history_days = history_days
        self.prior_days = prior_days
        self.min_count = min_count
        self.full_count = full_count
        self.alpha = alpha
        self.early_alpha = early_alpha
        self.episode_gap_days = episode_gap_days

    def scan(self, complaints: pd.DataFrame, entities: pd.DataFrame, days: list[dt.date]) -> pd.DataFrame:
        """Every (entity, as-of day) that flags, for each day in ``days`` with the data up to that day.

        ``complaints``: one row per complaint naming an entity (``uscc``, ``day``); ``entities``: the live
        register (``uscc``, ``region_code``, ``industry_code``). Returns ``uscc``, ``day``, the flagging
        ``window``, the ``recent`` count in it, ``expected`` count, ``own_per_30`` and ``peer_per_30`` (the entity's and
        its peers' complaints per 30 days over the history), ``history_count`` and ``p_value``.
        """
        columns = ["uscc", "day", "window", "recent", "expected", "own_per_30", "peer_per_30", "history_count",
                   "p_value"]
        ent = entities.drop_duplicates("uscc")[["uscc", "region_code", "industry_code"]]
        c = complaints[complaints["uscc"].isin(set(ent["uscc"]))]
        if c.empty or not days:
            return pd.DataFrame(columns=columns)
        cday = pd.to_datetime(c["day"]).to_numpy("datetime64[D]").astype(np.int64)
        qdays = np.array([np.datetime64(d, "D").astype(np.int64) for d in days])
        longest = max(self.windows)
        # only entities with min_count complaints in some recent window can flag
        near = c[(cday > qdays.min() - longest) & (cday <= qdays.max())]
        candidates = near["uscc"].value_counts()
        candidates = candidates[candidates >= self.min_count].index
        if candidates.empty:
            return pd.DataFrame(columns=columns)
        pool_of = ent.set_index("uscc")[["region_code", "industry_code"]].apply(tuple, axis=1)
        pool_size = pool_of.value_counts()
        wanted = set(pool_of[candidates])
        by_pool = pd.Series(cday).groupby(pool_of.reindex(c["uscc"]).to_numpy())
        pool_days = {key: np.sort(days_.to_numpy()) for key, days_ in by_pool if key in wanted}
        rows = []
        for uscc in candidates:
            own = np.sort(cday[(c["uscc"] == uscc).to_numpy()])
            key = pool_of[uscc]
            # per evidence tier, the smallest tail over the windows that hold enough complaints for it
            best_p = {tier: np.full(len(qdays), np.inf) for tier in (self.min_count, self.full_count)}
            best = {tier: [None] * len(qdays) for tier in best_p}
            for w in self.windows:
                recent = _between(own, qdays - w, qdays)
                hist_lo, hist_hi = qdays - w - self.history_days, qdays - w
                history = _between(own, hist_lo, hist_hi)
                peer_rate = _between(pool_days[key], hist_lo, hist_hi) / (pool_size[key] * self.history_days)
                shape = peer_rate * self.prior_days + history
                rate = self.prior_days + self.history_days
                p = nbinom.sf(recent - 1, np.maximum(shape, 1e-9), rate / (rate + w))
                for tier in best_p:
                    for j in np.flatnonzero((recent >= tier) & (p < best_p[tier])):
                        best_p[tier][j] = p[j]
                        best[tier][j] = (w, int(recent[j]), float(w * shape[j] / rate),
                                         float(history[j] * 30 / self.history_days), float(peer_rate[j] * 30),
                                         int(history[j]))
            # a full-tier flag at alpha, else an early one at the stricter early_alpha
            full_p, early_p = best_p[self.full_count] * len(self.windows), best_p[self.min_count] * len(self.windows)
            use_full = full_p <= self.alpha
            adjusted = np.where(use_full, full_p, early_p)
            best = [best[self.full_count][j] if use_full[j] else best[self.min_count][j] for j in range(len(qdays))]
            for j in np.flatnonzero(use_full | (early_p <= self.early_alpha)):
                rows.append((uscc, days[j], *best[j], float(adjusted[j])))
        return pd.DataFrame(rows, columns=columns).sort_values(["day", "uscc"], ignore_index=True)

    def episodes(self, flags: pd.DataFrame) -> pd.DataFrame:
        """One row per episode (flag days of an entity less than ``episode_gap_days`` apart): the first flag
        day's row, with ``lead_day`` (that day), ``last_day``, ``tier`` (the highest evidence tier the episode
        reached) and ``full_day`` (its first flag day of the full tier, ``None`` if none)."""
        if flags.empty:
            return flags.assign(lead_day=pd.Series(dtype=object), last_day=pd.Series(dtype=object),
                                tier=pd.Series(dtype=object), full_day=pd.Series(dtype=object))
        f = flags.sort_values(["uscc", "day"], ignore_index=True)
        day = pd.to_datetime(f["day"])
        new = (f["uscc"] != f["uscc"].shift()) | (day.diff().dt.days >= self.episode_gap_days)
        f["episode"] = new.cumsum()
        first = f.groupby("episode").head(1).set_index("episode")
        full = f[f["recent"] >= self.full_count].groupby("episode")["day"].min().reindex(first.index)
        return first.assign(lead_day=first["day"], last_day=f.groupby("episode")["day"].max(),
                            full_day=full.astype(object).where(full.notna(), None),
                            tier=np.where(full.notna(), calibration.FULL_TIER, calibration.EARLY_TIER)
                            ).reset_index(drop=True)


def _between(sorted_days: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per query: events with day in (lo, hi]."""
    return np.searchsorted(sorted_days, hi, "right") - np.searchsorted(sorted_days, lo, "right")


def reason(name: str, row) -> str:
    """Plain-Chinese why of a flag, e.g. 近30天被投诉12次，为其前一年月均的4.0倍."""
    own = (f"为其前一年月均（{row.own_per_30:.1f}次）的{row.recent / row.own_per_30 * 30 / row.window:.1f}倍"
           if row.history_count else "其前一年未被投诉")
    return (f"{name}近{row.window}天被投诉{row.recent}次，{own}；按其自身记录和同区县同行业主体"
            f"（月均{wording.count_text(row.peer_per_30)}次）估计应约{wording.count_text(row.expected)}次，"
            f"偶然达到这一数量的概率{wording.chance_text(row.p_value)}")
