"""Entity leads warn about deterioration: an entity named in complaints far more often lately than its own
history and its county × industry peers make likely (risk_models.deterioration)."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pandas as pd

from risk_models import calibration
from risk_models.deterioration import DeteriorationDetector, reason
from risk_models.wording import chance_text

END = dt.date(2026, 11, 30)
ONSET = END - dt.timedelta(days=40)
START = END - dt.timedelta(days=730)


def _every(days: int, first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=d) for d in range(0, (last - first).days + 1, days)]


def _warehouse() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One county × industry pool of 40 restaurants: 37 quiet ones named now and then, one with a long bad
    record (a complaint every 5 days for two years), one deteriorating from ONSET (a complaint every 5 days
    since, nothing before), one with two complaints lately."""
    entities = pd.DataFrame({"uscc": [f"E{i:02d}" for i in range(40)], "region_code": "410202", "industry_code": "H"})
    rows = [("E00", d) for d in _every(5, START, END)]  # stable, long bad record
    rows += [("E01", d) for d in _every(5, ONSET, END)]  # deteriorating
    rows += [("E02", END - dt.timedelta(days=3)), ("E02", END - dt.timedelta(days=20))]  # two complaints lately
    rows += [(f"E{i:02d}", START + dt.timedelta(days=17 * i)) for i in range(3, 40)]  # quiet ones, once each
    return pd.DataFrame(rows, columns=["uscc", "day"]), entities


def test_a_deteriorating_entity_among_stable_ones_is_found_after_its_onset():
    complaints, entities = _warehouse()
    days = [END - dt.timedelta(days=d) for d in range(119, -1, -1)]
    detector = DeteriorationDetector()
    flags = detector.scan(complaints, entities, days)
    assert set(flags["uscc"]) == {"E01"}
    episodes = detector.episodes(flags)
    assert len(episodes) == 1  # one lead per episode, not one per night
    first = episodes.iloc[0]
    # raised on or after the onset, once its evidence is strong enough: in this busy pool (its peers are named
    # about every fifth month) two complaints are not enough for an early-tier lead, so the third, 10 days
    # after the onset, raises it, of the full tier
    assert ONSET + dt.timedelta(days=10) == first["lead_day"] == first["full_day"] and first["recent"] == 3
    assert first["tier"] == calibration.FULL_TIER
    assert first["history_count"] == 0 and first["p_value"] <= detector.alpha
    assert first["last_day"] == END
    # a looser early tier raises it on the second complaint, 5 days in; the same episode reaches the full tier
    # with the third, and as of the day after the second it is still early
    early = DeteriorationDetector(early_alpha=1e-2)
    (lead,) = early.episodes(early.scan(complaints, entities, days)).itertuples()
    assert (lead.lead_day, lead.full_day, lead.tier) == (ONSET + dt.timedelta(days=5), ONSET + dt.timedelta(days=10),
                                                         calibration.FULL_TIER)
    before = early.episodes(early.scan(complaints, entities, [d for d in days if d <= ONSET + dt.timedelta(days=6)]))
    assert list(before["tier"]) == [calibration.EARLY_TIER] and before["full_day"].iloc[0] is None


def test_a_stable_entity_with_a_long_bad_record_is_not_a_deterioration_lead():
    complaints, entities = _warehouse()
    flags = DeteriorationDetector().scan(complaints, entities, [END])
    recent = complaints[complaints["day"] > END - dt.timedelta(days=30)]["uscc"].value_counts()
    # as many complaints lately as the deteriorating entity, but no more than its own history makes likely
    assert recent["E00"] >= recent["E01"] and "E00" not in set(flags["uscc"])
    # a lower bar finds the deteriorating entity but still not the stable one
    loose = DeteriorationDetector(alpha=1e-2).scan(complaints, entities, [END])
    assert "E00" not in set(loose["uscc"]) and "E01" in set(loose["uscc"])


def test_two_complaints_are_an_early_lead_only_where_they_are_very_unlikely():
    complaints, entities = _warehouse()
    # two complaints in a pool whose peers are named every few months: no lead at the production settings
    assert "E02" not in set(DeteriorationDetector().scan(complaints, entities, [END])["uscc"])
    # a loose early alpha makes them an early-tier flag; the count floor holds them back whatever the alpha
    detector = DeteriorationDetector(early_alpha=0.05)
    flags = detector.scan(complaints, entities, [END])
    e02 = flags[flags["uscc"] == "E02"]
    assert list(e02["recent"]) == [2] and list(detector.episodes(e02)["tier"]) == [calibration.EARLY_TIER]
    floor = DeteriorationDetector(alpha=0.05, early_alpha=0.05, min_count=3)
    assert "E02" not in set(floor.scan(complaints, entities, [END])["uscc"])


def test_the_reason_says_why_in_chinese():
    row = SimpleNamespace(window=30, recent=12, own_per_30=3.0, history_count=36, peer_per_30=0.2, expected=3.1,
                          p_value=2e-5)
    text = reason("某某饭店", row)
    assert text.startswith("某某饭店近30天被投诉12次，为其前一年月均（3.0次）的4.0倍") and "概率约十万分之二" in text
    assert not re.search(r"\de-?\d", text)  # no scientific notation: 约十万分之二, not 2e-5
    fresh = reason("某某饭店", SimpleNamespace(**{**vars(row), "history_count": 0, "own_per_30": 0.0, "p_value": 1e-9}))
    assert "其前一年未被投诉" in fresh and "低于百万分之一" in fresh
    tiny = reason("某某饭店", SimpleNamespace(**{**vars(row), "peer_per_30": 0.0046, "expected": 0.00004}))
    assert "（月均0.0046次）估计应约不足0.0001次" in tiny
    assert [chance_text(p) for p in (0.3, 0.094, 0.0049, 3e-5, 1e-6, 5e-7)] == [
        "约为30%", "约百分之九", "约千分之五", "约十万分之三", "约百万分之一", "低于百万分之一"]
