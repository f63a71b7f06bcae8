"""Quality of government replies to complaints: relevance, completeness, timeliness.

- ``relevance``: cosine of word TF-IDF vectors (jieba tokens, sublinear tf, idf over all
  complaints and replies) of the complaint (title + body) and its reply, 0-1.
- ``completeness``: weighted share of structural cue groups found in the reply (see
  :data:`COMPLETENESS_CUES`): verification (经核实…), action/result (已处理…), legal or policy
  basis (依据…), follow-up plan (下一步…), contact (联系电话…), courtesy (感谢…), 0-1.
- ``timeliness``: 1 when the reply came within ``sla_days`` of the complaint, then halving every
  ``half_life_days``; NaN when either time is missing or the reply predates the complaint.
- ``quality``: weighted mean of the three (weights renormalised over the available parts).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from text_mining.tokenizer import tokenize

__all__ = ["COMPLETENESS_CUES", "relevance", "relevance_vs_shuffled", "score_replies"]

# group -> (weight, pattern). Weights sum to 1.
COMPLETENESS_CUES: dict[str, tuple[float, str]] = {
    "verification": (
        0.25,
        r"经核实|经核查|经调查|经查|调查核实|核实情况|现场查看|实地查看|实地调查|调查了解|经了解|走访",
    ),
    "action": (
        0.25,
        r"已处理|已经处理|已整改|已责令|已督促|已安排|已完成|已解决|已协调|已落实|已拆除|已修复|已清理|责令|整改|处罚|立案|查处(?![理置])",
    ),
    "basis": (0.2, r"依据|根据《|按照《|《[^》]{2,30}》|相关规定|有关规定|政策规定|条例|管理办法"),
    "plan": (0.1, r"下一步|将继续|将进一步|计划|预计|争取|尽快|加强|持续"),
    "contact": (0.1, r"联系电话|咨询电话|联系人|联系方式|电话[:：]?\s*\d|(?<![A-Za-z\d])\d{7,}"),
    "courtesy": (0.1, r"您好|感谢|谢谢|欢迎|理解|支持"),
}
_CUE_PATTERNS = {k: re.compile(p) for k, (_, p) in COMPLETENESS_CUES.items()}


def _analyzer(tokens):
    return tokens


def relevance(complaints, replies) -> np.ndarray:
    """Row-wise TF-IDF cosine between ``complaints[i]`` and ``replies[i]`` (sequences of str)."""
    complaints, replies = list(complaints), list(replies)
    if len(complaints) != len(replies):
        raise ValueError("complaints and replies must have the same length")
    if not complaints:
        return np.zeros(0)
    return _relevance_matrices(complaints, replies)[0]


def _relevance_matrices(complaints: list, replies: list, complaint_tokens: list | None = None):
    """Relevance plus the l2-normalised TF-IDF rows of complaints and replies."""
    if complaint_tokens is None:
        complaint_tokens = [tokenize(t) if isinstance(t, str) else [] for t in complaints]
    r_tok = [tokenize(t) if isinstance(t, str) else [] for t in replies]
    # One pass over both sides: the rows equal fit(...) then transform of each side, at half the counting.
    both = TfidfVectorizer(analyzer=_analyzer, sublinear_tf=True).fit_transform(list(complaint_tokens) + r_tok)
    a, b = both[:len(complaint_tokens)], both[len(complaint_tokens):]
    return np.asarray(a.multiply(b).sum(axis=1)).ravel(), a, b


def _completeness(reply: str) -> tuple[float, str]:
    if not isinstance(reply, str) or not reply:
        return 0.0, ""
    hit = [k for k, pat in _CUE_PATTERNS.items() if pat.search(reply)]
    return sum(COMPLETENESS_CUES[k][0] for k in hit), ",".join(hit)


def score_replies(
    df: pd.DataFrame,
    *,
    title_col: str = "title",
    body_col: str = "body",
    reply_col: str = "reply",
    time_col: str | None = "time",
    reply_time_col: str | None = "reply_time",
    sla_days: float = 15.0,
    half_life_days: float = 30.0,
    weights: tuple[float, float, float] = (0.4, 0.4, 0.2),
    complaint_tokens: list[list[str]] | None = None,
) -> pd.DataFrame:
    """Score every (complaint, reply) pair.

    Input: ``df`` with ``reply_col`` and at least one of ``title_col``/``body_col``; optional
    ``time_col`` and ``reply_time_col`` (datetime or parseable strings) for timeliness.
    ``weights`` are for (relevance, completeness, timeliness). ``complaint_tokens``: each row's
    ``tokenize(title + "。" + body)`` when the caller already has them, so the text is segmented once.

    Returns a copy of ``df`` plus ``relevance`` (0-1), ``completeness`` (0-1), ``cues``
    (comma-separated cue groups found), ``reply_chars`` (int), ``delay_days`` (float),
    ``timeliness`` (0-1 or NaN) and ``quality`` (0-1).
    """
    if reply_col not in df.columns:
        raise ValueError(f"score_replies needs column {reply_col!r}")
    if title_col not in df.columns and body_col not in df.columns:
        raise ValueError(f"score_replies needs {title_col!r} or {body_col!r}")
    out = df.copy()
    title = out[title_col].fillna("").astype(str) if title_col in out else ""
    body = out[body_col].fillna("").astype(str) if body_col in out else ""
    complaint = (title + "。" + body).tolist()
    replies = out[reply_col].where(out[reply_col].notna(), "").astype(str).tolist()
    if complaint_tokens is not None and len(complaint_tokens) != len(out):
        raise ValueError("complaint_tokens must have one entry per row")
    rel = _relevance_matrices(complaint, replies, complaint_tokens)[0] if len(out) else np.zeros(0)
    out["relevance"] = np.clip(rel, 0.0, 1.0)
    comp = [_completeness(r) for r in replies]
    out["completeness"] = [c for c, _ in comp]
    out["cues"] = [h for _, h in comp]
    out["reply_chars"] = [len(r) for r in replies]
    if time_col and reply_time_col and time_col in out and reply_time_col in out:
        delay = (
            pd.to_datetime(out[reply_time_col], errors="coerce")
            - pd.to_datetime(out[time_col], errors="coerce")
        ) / pd.Timedelta(days=1)
        delay = delay.where(delay >= 0)
        out["delay_days"] = delay
        out["timeliness"] = np.where(
            delay.isna(), np.nan, np.power(0.5, np.clip(delay.fillna(0) - sla_days, 0, None) / half_life_days)
        )
    else:
        out["delay_days"] = np.nan
        out["timeliness"] = np.nan
    parts = np.column_stack([out["relevance"], out["completeness"], out["timeliness"]]).astype(float)
    w = np.broadcast_to(np.asarray(weights, dtype=float), parts.shape)
    w = np.where(np.isnan(parts), 0.0, w)
    out["quality"] = np.nansum(parts * w, axis=1) / np.where(w.sum(axis=1) > 0, w.sum(axis=1), 1.0)
    return out


def relevance_vs_shuffled(
    df: pd.DataFrame,
    *,
    title_col: str = "title",
    body_col: str = "body",
    reply_col: str = "reply",
    random_state: int = 0,
) -> dict[str, float]:
    """Sanity check: relevance of true (complaint, reply) pairs vs. randomly re-paired ones.

    Returns ``true_mean``, ``shuffled_mean``, ``true_median``, ``shuffled_median`` and ``auc``
    (probability that a true pair scores above a shuffled pair).
    """
    rng = np.random.default_rng(random_state)
    complaint = (df[title_col].fillna("").astype(str) + "。" + df[body_col].fillna("").astype(str)).tolist()
    replies = df[reply_col].where(df[reply_col].notna(), "").astype(str).tolist()
    true, a, b = _relevance_matrices(complaint, replies)
    shuf = np.asarray(a.multiply(b[rng.permutation(len(replies))]).sum(axis=1)).ravel()
    ranks = pd.Series(np.concatenate([true, shuf])).rank().to_numpy()
    n1 = len(true)
    auc = (ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * len(shuf))
    return {
        "true_mean": float(true.mean()),
        "shuffled_mean": float(shuf.mean()),
        "true_median": float(np.median(true)),
        "shuffled_median": float(np.median(shuf)),
        "auc": float(auc),
    }
