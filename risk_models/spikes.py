"""Online spike (surge) detection for count and volume series.

One estimator, :class:`SpikeDetector`, picks its method *per time step* from the history that
is available at that step (the public-health surveillance recipe of ``risk_models.md`` §5.3):

* fewer than ``ets_min_history`` points: CDC EARS C1/C2/C3 (Hutwagner et al.);
* longer histories: a robust online Holt-Winters / ETS(A,N,A) forecast on a variance-stabilised
  scale, alarm on exceedance of the one-sided ``1 - alpha`` prediction interval, plus a CUSUM on
  the standardised one-step residuals (Fricker, Hegler & Dunfee 2008);
* daily data with at least ``farrington_min_history`` days (two years): a Farrington-flexible
  style quasi-Poisson GLM (statsmodels) with trend, day-of-week and annual Fourier terms,
  down-weighting of past outbreaks and a 2/3-power upper prediction limit (Farrington et al.
  1996; Noufaily et al. 2013).

Every decision at time ``t`` uses data up to ``t`` only (the models are refitted on the past
and applied forward), so appending future data never changes past scores or alarms.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["SpikeDetector", "detect_spikes_csv", "detect_spikes_frame"]

_DAY = pd.Timedelta(days=1)

# E[min(Z^2, c^2)] for Z ~ N(0, 1): consistency factor of the clipped variance update.
_CLIP = 2.5
_CLIP_VAR = float(
    (stats.norm.cdf(_CLIP) - stats.norm.cdf(-_CLIP))
    - 2 * _CLIP * stats.norm.pdf(_CLIP)
    + _CLIP**2 * 2 * stats.norm.sf(_CLIP)
)


def _infer_step(index) -> pd.Timedelta | None:
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return None
    return pd.Timedelta(np.median(np.diff(index.asi8))) if len(index) > 1 else None


def _infer_period(step: pd.Timedelta | None) -> int:
    if step is None or step <= pd.Timedelta(0):
        return 1
    if step == _DAY:
        return 7
    if step == 7 * _DAY:
        return 52
    if step < _DAY and (_DAY % step) == pd.Timedelta(0):
        return int(_DAY / step)
    if pd.Timedelta(days=28) <= step <= pd.Timedelta(days=31):
        return 12
    return 1


class SpikeDetector(BaseEstimator):
    """Online upward-spike detector for regularly sampled count or volume series.

    ``X`` has one row per time step, in time order, and one column per series; each column is detected on
    its own with the same parameters (one column is the usual case). A pandas Series is read as one column,
    and a DatetimeIndex on ``X`` sets the sampling step and seasonal period.

    Parameters
    ----------
    method : {"auto", "ears", "ets", "farrington"}, default="auto"
        ``"auto"`` chooses per time step by available history: EARS while fewer than
        ``ets_min_history`` points are known, ETS + CUSUM afterwards, and the Farrington GLM
        for daily data once ``farrington_min_history`` days are known. The other values force
        one method (EARS still covers the warm-up of ETS and Farrington).
    period : int or "auto", default="auto"
        Seasonal period in steps. ``"auto"`` infers it from the timestamps: 7 for daily data,
        steps per day for sub-daily data, 52 for weekly, 12 for monthly, else 1.
    alpha : float, default=0.001
        One-sided level of the prediction interval; the alarm threshold on the standardised
        residual is ``z = Phi^-1(1 - alpha)`` (3.09).
    cusum_k : float, default=1.0
        Reference value (allowance) of the CUSUM on standardised residuals.
    cusum_h : float, default=8.0
        Decision interval of the CUSUM.
    level_smoothing : float, default=0.05
        ETS level smoothing (alpha of Holt-Winters).
    season_smoothing : float, default=0.1
        ETS seasonal smoothing (gamma of Holt-Winters), applied once per season.
    scale_smoothing : float, default=0.005
        Smoothing of the robust residual variance.
    ets_min_history : int, default=56
        Points needed before ETS replaces EARS (at least two seasons are always required).
    farrington_min_history : int, default=730
        Days of daily data needed before the Farrington GLM takes over.
    refit_every : int, default=28
        The Farrington GLM is refitted every ``refit_every`` days on all data before the refit
        day (minus ``guard``) and applied to the following days.
    guard : int, default=7
        Most recent days excluded from each Farrington fit (guard band).
    min_count : float, default=3.0
        An alarm also needs the observed value to reach ``min_count`` (for count data; it
        suppresses alarms on one or two complaints in otherwise empty series).
    cooldown : int or "auto", default="auto"
        After an alarm, further alarms are suppressed for this many steps (``"auto"``: two
        seasonal periods, at least 2 steps). Scores are not suppressed.
    rarity : int, default=14
        Seasons of past (non-EARS) steps whose largest exceedance a single step must beat to
        score ``>= 1`` on its own (0 turns this calibration off); see Notes.
    aggregate : int or "auto", default=1
        Detect on the trailing sum of this many steps (``"auto"``: one hour for sub-hourly data,
        else 1).

    Attributes
    ----------
    period_ : int
        Seasonal period used.
    step_ : pandas.Timedelta or None
        Sampling interval inferred from the index (None for a plain array).
    history_ : pandas.DataFrame of shape (n_steps, n_series)
        The training series; ``X`` passed to :meth:`detect`, :meth:`predict` or :meth:`score_samples`
        continues it.
    z_crit_ : float
        ``Phi^-1(1 - alpha)``.
    result_ : pandas.DataFrame
        Per-step output on the training series (see :meth:`detect`).
    n_features_in_ : int
        Number of series (columns of ``X``).
    feature_names_in_ : ndarray of shape (n_series,)
        Column names of ``X``, when they are all strings.

    See Also
    --------
    detect_spikes_frame : batch helper for long DataFrames of many series.

    Notes
    -----
    The *score* is ``max(z / (z_crit * r), S / cusum_h)`` where ``z`` is the standardised upward
    exceedance of the forecast, ``r >= 1`` the largest ``z / z_crit`` of the previous ``rarity``
    seasons and ``S`` the CUSUM statistic, so ``score >= 1`` means "outside the prediction band
    and the most surprising step of the reference period, or a CUSUM signal". ``predict`` returns 1 for alarms,
    0 otherwise (a 0/1 alarm is what the lead rules consume).

    The detector is online, so it learns a history, not a fixed function of a row: the fitted state is the
    training series, and applying the detector to new steps replays the deterministic recursion over it and
    carries on (the same as resuming from a saved state); no fitted attribute changes. Rows are therefore
    not exchangeable, and the two scikit-learn checks that assume they are (row order and subsets) are
    recorded as expected failures in ``tests/test_risk_spikes.py``.

    References
    ----------
    Hutwagner et al. (2003), EARS; Gelper, Fried & Croux (2010), robust Holt-Winters;
    Fricker, Hegler & Dunfee (2008), Stat Med 27:3407; Farrington et al. (1996), JRSS A
    159:547; Noufaily et al. (2013), Stat Med 32:1206.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> idx = pd.date_range("2024-01-01", periods=200, freq="D")
    >>> y = pd.Series(rng.poisson(5, 200), index=idx)
    >>> y.iloc[150] = 40
    >>> det = SpikeDetector().fit(y)
    >>> int(det.result_["alarm"].iloc[150]), int(det.fit_predict(y)[150])
    (1, 1)
    >>> later = pd.Series(rng.poisson(5, 30), index=pd.date_range("2024-07-19", periods=30, freq="D"))
    >>> later.iloc[10] = 80  # larger than the spike of day 150 (see rarity)
    >>> int(det.predict(later)[10])
    1
    """

    def __init__(
        self,
        *,
        method="auto",
        period="auto",
        alpha=0.001,
        cusum_k=1.0,
        cusum_h=8.0,
        level_smoothing=0.05,
        season_smoothing=0.1,
        scale_smoothing=0.005,
        ets_min_history=56,
        farrington_min_history=730,
        refit_every=28,
        guard=7,
        min_count=3.0,
        cooldown="auto",
        rarity=14,
        aggregate=1,
    ):
        self.method = method
        self.period = period
        self.alpha = alpha
        self.cusum_k = cusum_k
        self.cusum_h = cusum_h
        self.level_smoothing = level_smoothing
        self.season_smoothing = season_smoothing
        self.scale_smoothing = scale_smoothing
        self.ets_min_history = ets_min_history
        self.farrington_min_history = farrington_min_history
        self.refit_every = refit_every
        self.guard = guard
        self.min_count = min_count
        self.cooldown = cooldown
        self.rarity = rarity
        self.aggregate = aggregate

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing step is skipped by the recursions and never alarms
        return tags

    # ------------------------------------------------------------------ public API
    def fit(self, X, y=None):
        """Learn the sampling step and seasonal period and run the online pass over ``X``.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_series), or a pandas Series (one series)
            Consecutive time steps in rows; a DatetimeIndex (sorted if needed) gives the sampling step.
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        frame = _as_frame(X)
        values = validate_data(self, frame if frame is not None else X, dtype=float, ensure_all_finite="allow-nan",
                               ensure_min_samples=2)
        index = frame.index if frame is not None else pd.RangeIndex(len(values))
        self.step_ = _infer_step(index)
        self.period_ = _infer_period(self.step_) if self.period == "auto" else int(self.period)
        self.z_crit_ = float(stats.norm.isf(self.alpha))
        self.history_ = pd.DataFrame(values, index=index, columns=frame.columns if frame is not None else None)
        self.result_ = self._tables([self._run(self.history_.iloc[:, j]) for j in range(values.shape[1])])
        return self

    def detect(self, X=None) -> pd.DataFrame:
        """Per-step table: ``value, expected, lower, upper, score, alarm, method``.

        ``X=None`` returns the result on the training series. Otherwise the rows of ``X`` continue the fitted
        history: the online recursion carries on from its last step, so a step's result is what fitting on
        the history and ``X`` up to that step would give. With a DatetimeIndex, rows dated within the history
        keep the result of the fit and only later rows continue it. For several series the per-series tables
        stand side by side under a column level naming the series.
        """
        check_is_fitted(self)
        if X is None:
            return self.result_.copy()
        frame = _as_frame(X)
        values = validate_data(self, frame if frame is not None else X, dtype=float, ensure_all_finite="allow-nan",
                               reset=False)
        hist = self.history_
        dated = frame is not None and isinstance(frame.index, pd.DatetimeIndex) and isinstance(
            hist.index, pd.DatetimeIndex)
        tables = []
        for j in range(values.shape[1]):
            if dated:
                new = pd.Series(values[:, j], index=frame.index)
                new = new[new.index > hist.index[-1]]
                full = pd.concat([hist.iloc[:, j], new]) if len(new) else hist.iloc[:, j]
                tables.append((self._run(full) if len(new) else self._fitted(j)).reindex(frame.index))
            else:
                full = pd.Series(np.concatenate([hist.iloc[:, j].to_numpy(), values[:, j]]))
                out = self._run(full).iloc[len(hist):]
                out.index = frame.index if frame is not None else pd.RangeIndex(len(values))
                tables.append(out)
        return self._tables(tables)

    def score_samples(self, X):
        """Spike score of each step of ``X`` continuing the history (``>= 1``: outside the band or a CUSUM
        signal); shape (n_steps,) for one series, (n_steps, n_series) for several."""
        return self._column(self.detect(X), "score", float)

    def predict(self, X):
        """0/1 alarm of each step of ``X`` continuing the history; shape as :meth:`score_samples`."""
        return self._column(self.detect(X), "alarm", np.int64)

    def fit_predict(self, X, y=None):
        """0/1 alarm of each step of the training series ``X`` (the online pass of :meth:`fit`)."""
        return self._column(self.fit(X).result_, "alarm", np.int64)

    # ------------------------------------------------------------------ internals
    _CHOICES = {"method": ("auto", "ears", "ets", "farrington")}
    # name: (type, low, high, closed ends); "auto" is also accepted where listed in _AUTO
    _RANGES = {
        "period": (Integral, 1, None, "left"), "alpha": (Real, 0, 0.5, "neither"),
        "cusum_k": (Real, 0, None, "left"), "cusum_h": (Real, 0, None, "neither"),
        "level_smoothing": (Real, 0, 1, "neither"), "season_smoothing": (Real, 0, 1, "left"),
        "scale_smoothing": (Real, 0, 1, "neither"), "ets_min_history": (Integral, 8, None, "left"),
        "farrington_min_history": (Integral, 100, None, "left"), "refit_every": (Integral, 1, None, "left"),
        "guard": (Integral, 0, None, "left"), "min_count": (Real, None, None, "neither"),
        "cooldown": (Integral, 0, None, "left"), "rarity": (Integral, 0, None, "left"),
        "aggregate": (Integral, 1, None, "left"),
    }
    _AUTO = ("period", "cooldown", "aggregate")

    def _check_params(self) -> None:
        for name, choices in self._CHOICES.items():
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {choices}, got {getattr(self, name)!r}")
        for name, (kind, low, high, closed) in self._RANGES.items():
            value = getattr(self, name)
            if name in self._AUTO and value == "auto":
                continue
            ok = isinstance(value, kind) and not isinstance(value, bool) and not (
                isinstance(value, float) and math.isnan(value))
            if ok and low is not None:
                ok = value >= low if closed in ("left", "both") else value > low
            if ok and high is not None:
                ok = value <= high if closed in ("right", "both") else value < high
            if not ok:
                bounds = f"[{low}, {high})" if closed == "left" else f"({low}, {high})"
                auto = ' or "auto"' if name in self._AUTO else ""
                raise ValueError(f"{name} must be a {kind.__name__.lower()} in {bounds}{auto}, got {value!r}")

    def _fitted(self, j: int) -> pd.DataFrame:
        return self.result_ if self.n_features_in_ == 1 else self.result_[self.history_.columns[j]]

    def _tables(self, tables: list[pd.DataFrame]) -> pd.DataFrame:
        if len(tables) == 1:
            return tables[0]
        return pd.concat(tables, axis=1, keys=list(self.history_.columns), names=["series", None])

    def _column(self, table: pd.DataFrame, field: str, dtype) -> np.ndarray:
        if self.n_features_in_ == 1:
            return table[field].to_numpy(dtype)
        return np.column_stack([table[(c, field)].to_numpy(dtype) for c in self.history_.columns])

    def _cooldown(self) -> int:
        return 2 * max(1, self.period_) if self.cooldown == "auto" else int(self.cooldown)

    def _aggregate(self) -> int:
        if self.aggregate != "auto":
            return int(self.aggregate)
        if self.step_ is not None and pd.Timedelta(0) < self.step_ < pd.Timedelta(hours=1):
            return max(1, int(pd.Timedelta(hours=1) / self.step_))
        return 1

    def _run(self, series: pd.Series) -> pd.DataFrame:
        raw = series.to_numpy(dtype=float)
        w = self._aggregate()
        # Sub-hourly data: detect on the trailing one-hour sum (online: uses steps <= t only).
        y = pd.Series(raw).rolling(w, min_periods=1).sum().to_numpy() if w > 1 else raw
        n = len(y)
        nonneg = bool(np.nanmin(y) >= 0) if np.isfinite(y).any() else True
        m = self.period_
        ets_start = max(self.ets_min_history, 2 * m) if m > 1 else self.ets_min_history
        if self.method == "ears":
            ets_start = n
        z, expected, lower, upper, method = _ears(y, self.z_crit_)
        if nonneg:
            lower = np.maximum(lower, 0.0)
        if ets_start < n:
            ez, eexp, elo, eup = _ets(
                y, m, ets_start, self.level_smoothing, self.season_smoothing,
                self.scale_smoothing, self.z_crit_, nonneg,
            )
            sl = slice(ets_start, n)
            z[sl], expected[sl], lower[sl], upper[sl] = ez[sl], eexp[sl], elo[sl], eup[sl]
            method[sl] = "ets"
        daily = self.step_ is not None and self.step_ == _DAY
        if self.method in ("auto", "farrington") and daily and nonneg and n > self.farrington_min_history:
            fz, fexp, flo, fup = _farrington(
                y, series.index, self.farrington_min_history, self.refit_every, self.guard, self.z_crit_
            )
            sl = slice(self.farrington_min_history, n)
            z[sl], expected[sl], lower[sl], upper[sl] = fz[sl], fexp[sl], flo[sl], fup[sl]
            method[sl] = "farrington"
        score, alarm = _decide(
            y, z, self.z_crit_, self.cusum_k, self.cusum_h, self.min_count if nonneg else -np.inf,
            self._cooldown(), self.rarity * max(1, self.period_) if self.rarity else 0,
            ref_mask=method != "ears",  # EARS warm-up z-scores are too noisy to calibrate against
        )
        return pd.DataFrame(
            {"value": raw, "expected": expected, "lower": lower, "upper": upper, "score": score,
             "alarm": alarm, "method": method},
            index=series.index,
        )


# ---------------------------------------------------------------------- helpers
def _as_frame(X) -> pd.DataFrame | None:
    """A pandas input as a DataFrame in time order (a Series as one column); None for other input."""
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if not isinstance(X, pd.DataFrame):
        return None
    if isinstance(X.index, pd.DatetimeIndex) and not X.index.is_monotonic_increasing:
        X = X.sort_index()
    return X


def _decide(y, z, z_crit, k, h, min_count, cooldown, rarity, ref_mask=None):
    """CUSUM on standardised residuals, rarity-normalised score, alarms with a refractory period.

    The exceedance ``z_t / z_crit`` is divided by the largest exceedance of the previous
    ``rarity`` steps (at least 1), so a single step only scores >= 1 when it is outside the band
    *and* the most surprising of that reference period; this calibrates the Gaussian band to
    heavy-tailed residuals. The CUSUM term ``S_t / h`` catches sustained rises.
    """
    from collections import deque

    n = len(y)
    score = np.zeros(n)
    alarm = np.zeros(n, dtype=np.int64)
    s = 0.0
    last = -(10**12)
    zc = np.where(np.isfinite(z), np.clip(z, -5.0, 5.0), 0.0)
    zr = np.where(np.isfinite(z), z, 0.0) / z_crit
    dq: deque = deque()  # sliding maximum of past exceedances z / z_crit
    for t in range(n):
        while dq and dq[0][0] < t - rarity:
            dq.popleft()
        ref = max(1.0, dq[0][1]) if (dq and rarity > 0) else 1.0
        s = max(0.0, s + zc[t] - k)
        c = zr[t]
        sc = max(c / ref, s / h)
        score[t] = sc
        if sc >= 1.0 and np.isfinite(y[t]) and y[t] >= min_count and t - last > cooldown:
            alarm[t] = 1
            last = t
            s = 0.0  # restart the CUSUM after an alarm
        if ref_mask is None or ref_mask[t]:
            while dq and dq[-1][1] <= c:
                dq.pop()
            dq.append((t, c))
    return score, alarm


def _ears(y, z_crit):
    """EARS C1/C2/C3 on the raw scale. Returns z (C2 excess as a z-like value), expected, band, method."""
    s = pd.Series(y)
    base = s.shift(3)  # C2: baseline t-9 .. t-3 (2-day guard band)
    mu = base.rolling(7, min_periods=7).mean()
    sd = base.rolling(7, min_periods=7).std()
    sd = np.maximum(sd.fillna(0.0).to_numpy(), np.maximum(0.2 * np.abs(mu.fillna(0).to_numpy()), 0.5))
    mu = mu.to_numpy()
    c2 = (y - mu) / sd
    c2e = pd.Series(np.maximum(0.0, np.nan_to_num(c2) - 1.0))
    c3 = c2e.rolling(3, min_periods=1).sum().to_numpy()
    # C2 at 3 sd and C3 at 2 are the classical thresholds; map both onto the z_crit scale.
    z = np.fmax(c2 * (z_crit / 3.0), c3 * (z_crit / 2.0))
    z[~np.isfinite(mu)] = np.nan
    upper = mu + 3.0 * sd
    lower = mu - 3.0 * sd
    method = np.array(["ears"] * len(y), dtype=object)
    return z, mu.copy(), lower, upper, method


def _ets(y, m, start, a_level, a_season, a_scale, z_crit, nonneg):
    """Robust online Holt-Winters (additive level + season) on log1p scale for counts.

    One-step forecast f_t uses data < t; the residual is Huber-clipped at 2.5 sigma before the
    state update (so a spike barely moves the baseline); sigma^2 is an exponentially weighted
    clipped mean of squared residuals with a Poisson floor.
    """
    n = len(y)
    u = np.log1p(np.maximum(y, 0.0)) if nonneg else y.astype(float).copy()
    init = u[:start]
    init = init[np.isfinite(init)]
    z = np.full(n, np.nan)
    expected = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    if init.size < 4:
        return z, expected, lower, upper
    mm = max(1, m)
    level = float(np.median(init[-mm:])) if mm > 1 else float(np.median(init[-14:]))
    season = np.zeros(mm)
    if mm > 1:
        tail = u[max(0, start - 4 * mm):start]
        t0 = max(0, start - 4 * mm)
        dev = tail - np.nanmedian(tail)
        for j in range(mm):
            vals = dev[(np.arange(t0, start) % mm) == j]
            vals = vals[np.isfinite(vals)]
            season[j] = np.median(vals) if vals.size else 0.0
        season -= season.mean()
    resid = np.diff(init)
    mad = np.median(np.abs(resid - np.median(resid))) * 1.4826 / math.sqrt(2) if resid.size else 0.0
    var = max(mad, 1e-3) ** 2
    g = a_season
    for t in range(start, n):
        j = t % mm
        f = level + season[j]
        if nonneg:
            mu = max(math.expm1(f), 0.0)
            mu = max(mu, 1.0)
            floor = mu / (1.0 + mu) ** 2 + 0.01  # Poisson variance of log1p(Y), delta method
            sig = math.sqrt(max(var, floor))
        else:
            sig = math.sqrt(max(var, 1e-12))
        expected[t] = max(math.expm1(f), 0.0) if nonneg else f
        upper[t] = math.expm1(f + z_crit * sig) if nonneg else f + z_crit * sig
        lower[t] = max(math.expm1(f - z_crit * sig), 0.0) if nonneg else f - z_crit * sig
        ut = u[t]
        if not np.isfinite(ut):
            continue
        e = ut - f
        zt = e / sig
        z[t] = zt
        ec = max(-_CLIP, min(_CLIP, zt)) * sig
        level += a_level * ec
        if mm > 1:
            season[j] += g * (1 - a_level) * ec
        var = (1 - a_scale) * var + a_scale * min(zt * zt, _CLIP * _CLIP) * sig * sig / _CLIP_VAR
    return z, expected, lower, upper


def _design(t_days: np.ndarray, dow: np.ndarray, trend: bool) -> np.ndarray:
    cols = [np.ones_like(t_days)]
    if trend:
        cols.append(t_days / 365.25)
    for k in (1, 2):
        w = 2 * np.pi * k * t_days / 365.25
        cols += [np.sin(w), np.cos(w)]
    for d in range(1, 7):
        cols.append((dow == d).astype(float))
    return np.column_stack(cols)


def _poisson_irls(X, y, w=None, beta=None, maxiter=25, tol=1e-8):
    """Quasi-Poisson GLM (log link) by IRLS; returns ``beta, cov_beta, phi``.

    Same estimator as ``statsmodels.api.GLM(y, X, family=Poisson(), var_weights=w)
    .fit(scale="X2")`` (tests check the agreement); written out in numpy because the
    city-wide batch refits tens of thousands of small GLMs and statsmodels' per-fit overhead
    (~20 ms) dominates there.
    """
    n, p = X.shape
    w = np.ones(n) if w is None else w
    if beta is None:
        beta = np.zeros(p)
        beta[0] = math.log(max(float(np.average(y, weights=w)), 1e-3))
    dev_old = np.inf
    for _ in range(maxiter):
        eta = np.clip(X @ beta, -30, 30)
        mu = np.exp(eta)
        zw = eta + (y - mu) / mu
        ww = w * mu
        xtw = X.T * ww
        beta = np.linalg.solve(xtw @ X + 1e-10 * np.eye(p), xtw @ zw)
        mu = np.exp(np.clip(X @ beta, -30, 30))
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = 2 * np.sum(w * (np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)))
        if abs(dev - dev_old) <= tol * (abs(dev) + 0.1):
            break
        dev_old = dev
    mu = np.exp(np.clip(X @ beta, -30, 30))
    phi = float(np.sum(w * (y - mu) ** 2 / mu) / max(n - p, 1))
    xtw = X.T * (w * mu)
    cov = np.linalg.pinv(xtw @ X) * phi
    return beta, cov, phi


def _farrington(y, index, min_hist, refit_every, guard, z_crit):
    """Farrington-flexible style quasi-Poisson GLM refitted every ``refit_every`` days.

    Each refit uses all days before ``refit day - guard``: fit with linear trend, annual
    Fourier terms (2 harmonics) and day-of-week factors; down-weight days whose Anscombe
    residual exceeds 2.58 (weight ``r^-2``) and refit; drop the trend unless significant at 5 %.
    The upper limit is the ``1 - alpha`` quantile on the 2/3-power scale (Farrington 1996).
    """
    n = len(y)
    z = np.full(n, np.nan)
    expected = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    t_days = np.arange(n, dtype=float)
    dow = index.dayofweek.to_numpy() if isinstance(index, pd.DatetimeIndex) else (np.arange(n) % 7)
    for r0 in range(min_hist, n, refit_every):
        r1 = min(n, r0 + refit_every)
        fit_end = r0 - guard
        yy = y[:fit_end]
        ok = np.isfinite(yy)
        tt, dd, yy = t_days[:fit_end][ok], dow[:fit_end][ok], yy[ok]
        if yy.sum() <= 0:
            continue
        fit = None
        for use_trend in (True, False):
            Xf = _design(tt, dd, use_trend)
            try:
                beta, cov, phi = _poisson_irls(Xf, yy)
                mu = np.exp(Xf @ beta)
                phi1 = max(1.0, phi)
                # A fitted mean that underflows to 0 gives an infinite residual (weight 0 below) or NaN
                # (weight 1): intended, so numpy's divide warnings would only alarm whoever runs the pipeline.
                with np.errstate(divide="ignore", invalid="ignore"):
                    ans = 1.5 * (np.power(yy, 2 / 3) - np.power(mu, 2 / 3)) / (np.power(mu, 1 / 6) * math.sqrt(phi1))
                w = np.where(ans > 2.58, 1.0 / np.maximum(ans, 1e-9) ** 2, 1.0)
                if (w < 1).any():
                    beta, cov, phi = _poisson_irls(Xf, yy, w=w, beta=beta)
            except np.linalg.LinAlgError:
                continue
            fit = (use_trend, beta, cov, phi)
            if not use_trend:
                break
            se = math.sqrt(max(cov[1, 1], 1e-300))
            if abs(beta[1] / se) > 1.959964:  # keep the trend only if significant
                break
        if fit is None:
            continue
        use_trend, beta, cov, phi = fit
        Xp = _design(t_days[r0:r1], dow[r0:r1], use_trend)
        eta = Xp @ beta
        var_eta = np.einsum("ij,jk,ik->i", Xp, cov, Xp)
        mu0 = np.maximum(np.exp(np.clip(eta, -30, 30)), 1e-6)
        phi = max(1.0, phi)
        var_mu = mu0**2 * var_eta
        sd23 = (2.0 / 3.0) * np.power(mu0, -1 / 3) * np.sqrt(phi * mu0 + var_mu)
        obs = y[r0:r1]
        z[r0:r1] = (np.power(np.maximum(obs, 0), 2 / 3) - np.power(mu0, 2 / 3)) / sd23
        expected[r0:r1] = mu0
        upper[r0:r1] = np.power(np.power(mu0, 2 / 3) + z_crit * sd23, 1.5)
        lower[r0:r1] = np.power(np.maximum(np.power(mu0, 2 / 3) - z_crit * sd23, 0.0), 1.5)
    return z, expected, lower, upper


# ---------------------------------------------------------------------- batch / CSV helpers
def detect_spikes_csv(input_csv, output_csv, *, detector: SpikeDetector | None = None) -> pd.DataFrame:
    """Read ``timestamp,value``, write ``timestamp,value,score,alarm``; returns the output frame."""
    df = pd.read_csv(input_csv)
    missing = {"timestamp", "value"} - set(df.columns)
    if missing:
        raise ValueError(f"input CSV lacks column(s): {', '.join(sorted(missing))}")
    ts = pd.to_datetime(df["timestamp"], errors="raise")
    if ts.duplicated().any():
        raise ValueError("duplicate timestamps in input CSV")
    y = pd.Series(pd.to_numeric(df["value"], errors="raise").to_numpy(dtype=float), index=pd.DatetimeIndex(ts))
    det = SpikeDetector() if detector is None else detector
    res = det.fit(y).detect()
    out = pd.DataFrame(
        {"timestamp": df["timestamp"].to_numpy()[np.argsort(ts.to_numpy(), kind="stable")],
         "value": res["value"].to_numpy(),
         "score": res["score"].round(6).to_numpy(),
         "alarm": res["alarm"].astype(int).to_numpy()}
    )
    out.to_csv(output_csv, index=False)
    return out


def _detect_one(key, g, date, count, params, complete, end):
    s = g.groupby(date)[count].sum().sort_index()
    full_idx = pd.date_range(s.index.min(), end if end is not None else s.index.max(), freq="D")
    s = s.reindex(full_idx, fill_value=0.0).astype(float)
    res = SpikeDetector(**params).fit(s).detect()
    res.index.name = date
    res = res.reset_index()
    if not complete:
        res = res[res[date].isin(set(g[date]))]
    key = key if isinstance(key, tuple) else (key,)
    return key, res


def detect_spikes_frame(df: pd.DataFrame, *, keys=("district", "category"), date="date", count="count",
                        detector: SpikeDetector | None = None, complete=False, n_jobs=1) -> pd.DataFrame:
    """Run one :class:`SpikeDetector` per series of a long frame of daily counts.

    Parameters
    ----------
    df : DataFrame with the ``keys`` columns, a ``date`` column and a ``count`` column; days
        absent from a series count as 0 (the series runs from its first date to the last date
        of the whole frame).
    detector : template whose parameters are used for every series (default ``SpikeDetector()``).
    complete : if True, return every day of every series (for charts); else one row per
        distinct (keys, date) of ``df``.
    n_jobs : 1 or 2 worker processes (joblib).

    Returns
    -------
    DataFrame with ``keys..., date, count, expected, lower, upper, score, alarm, method``.
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    missing = set(keys + [date, count]) - set(df.columns)
    if missing:
        raise ValueError(f"frame lacks column(s): {', '.join(sorted(missing))}")
    data = df[keys + [date, count]].copy()
    data[date] = pd.to_datetime(data[date]).dt.normalize()
    end = data[date].max()
    params = (detector or SpikeDetector()).get_params()
    groups = list(data.groupby(keys, sort=True))
    if n_jobs == 1 or len(groups) < 8:
        results = [_detect_one(k, g, date, count, params, complete, end) for k, g in groups]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, batch_size=max(1, len(groups) // (8 * n_jobs)))(
            delayed(_detect_one)(k, g, date, count, params, complete, end) for k, g in groups
        )
    frames = []
    for key, res in results:
        for name, val in zip(keys, key, strict=False):
            res[name] = val
        frames.append(res)
    out = pd.concat(frames, ignore_index=True).rename(columns={"value": count})
    return out[keys + [date, count, "expected", "lower", "upper", "score", "alarm", "method"]]
