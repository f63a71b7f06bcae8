"""SpikeLeadRule: which alarm episodes of the spike detector become leads, and on which day (pure
function of a detector output frame; no database)."""

from __future__ import annotations

import pandas as pd

from risk_models.spike_leads import SpikeLeadRule

DAYS = pd.date_range("2026-01-01", periods=60, freq="D")


def _series(district: str, counts: dict[int, int], alarms: set[int], base: int = 0) -> pd.DataFrame:
    """A detector output frame of one county × category: ``base`` complaints a day, ``counts`` overrides
    by day index, ``alarms`` the day indexes the detector flagged."""
    n = [counts.get(i, base) for i in range(len(DAYS))]
    return pd.DataFrame({"district": district, "category": "HC01", "date": DAYS, "count": n,
                         "alarm": [int(i in alarms) for i in range(len(DAYS))]})


def test_a_lone_small_alarm_is_no_lead_and_a_burst_is():
    quiet = _series("410202", {40: 3}, {40})  # three complaints once, then nothing
    burst = _series("410203", {40: 3, 41: 4, 42: 6}, {40})  # keeps coming: excess 3, 7, 13
    out = SpikeLeadRule(min_excess=5).episodes(pd.concat([quiet, burst]))
    assert out["district"].tolist() == ["410203"]
    (row,) = out.itertuples()
    assert row.first_alarm == DAYS[40] and row.lead_day == DAYS[41] and row.excess == 7.0


def test_excess_is_measured_against_the_usual_level():
    busy = _series("410202", {40: 6}, {40}, base=2)  # 6 against a usual 2 a day: excess 4
    assert SpikeLeadRule(min_excess=5).episodes(busy).empty
    (row,) = SpikeLeadRule(min_excess=4).episodes(busy).itertuples()
    assert row.baseline == 2.0 and row.lead_day == DAYS[40]


def test_the_excess_must_build_up_within_confirm_days():
    slow = _series("410202", {40: 3, 41: 1, 42: 1, 43: 5}, {40})
    assert SpikeLeadRule(min_excess=6, confirm_days=3).episodes(slow).empty
    assert SpikeLeadRule(min_excess=6, confirm_days=4).episodes(slow)["lead_day"].tolist() == [DAYS[43]]


def test_alarms_close_together_are_one_episode_and_far_apart_two():
    frame = _series("410202", {20: 8, 23: 8, 50: 8}, {20, 23, 50})
    out = SpikeLeadRule(min_excess=5, gap_days=7).episodes(frame)
    assert out["first_alarm"].tolist() == [DAYS[20], DAYS[50]]
    assert out["last_alarm"].tolist() == [DAYS[23], DAYS[50]]


def test_a_later_alarm_of_an_episode_can_qualify_it():
    frame = _series("410202", {20: 3, 24: 9}, {20, 24})
    (row,) = SpikeLeadRule(min_excess=5).episodes(frame).itertuples()
    assert row.first_alarm == DAYS[20] and row.lead_day == DAYS[24]


def test_no_alarms_no_episodes():
    out = SpikeLeadRule().episodes(_series("410202", {}, set()))
    assert out.empty and list(out.columns) == ["district", "category", "first_alarm", "lead_day", "last_alarm",
                                               "baseline", "excess"]
