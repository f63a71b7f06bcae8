"""Working-day deadlines on the Chinese calendar, across holidays and 调休 make-up days."""

import datetime as dt

import pytest

from data_access import workdays


def test_spring_festival_2025_with_makeup_days():
    # 2025: holiday 1-28 … 2-4; Sunday 1-26 and Saturday 2-8 are make-up working days
    assert workdays.is_workday(dt.date(2025, 1, 26)) and workdays.is_makeup_workday(dt.date(2025, 1, 26))
    assert not workdays.is_workday(dt.date(2025, 1, 29))
    assert workdays.holiday_name(dt.date(2025, 1, 29)) == "春节"
    # dispatched Monday 1-27: working days after are 2-5, 2-6, 2-7 → 3 working days end on 2-7
    assert workdays.add_workdays(dt.datetime(2025, 1, 27, 10), 3) == dt.datetime(2025, 2, 7, 23, 59, 59)
    # 1 working day from Friday 2-7 is the make-up Saturday 2-8
    assert workdays.add_workdays(dt.datetime(2025, 2, 7, 16), 1).date() == dt.date(2025, 2, 8)


def test_national_day_2024():
    # holiday 10-1 … 10-7; Sunday 9-29 and Saturday 10-12 are make-up days
    assert workdays.is_makeup_workday(dt.date(2024, 9, 29))
    assert workdays.add_workdays(dt.datetime(2024, 9, 30, 9), 1).date() == dt.date(2024, 10, 8)
    assert workdays.add_workdays(dt.datetime(2024, 9, 30, 9), 5).date() == dt.date(2024, 10, 12)


@pytest.mark.parametrize(("start", "end", "n"), [
    (dt.date(2024, 9, 27), dt.date(2024, 10, 8), 3),  # 9-29 (make-up), 9-30, 10-8
    (dt.date(2025, 1, 24), dt.date(2025, 2, 10), 7),  # 1-26, 1-27, 2-5, 2-6, 2-7, 2-8, 2-10
])
def test_workdays_between(start, end, n):
    assert workdays.workdays_between(start, end) == n


def test_zero_days_is_the_start_itself_and_negative_is_refused():
    start = dt.datetime(2025, 3, 3, 9)
    assert workdays.add_workdays(start, 0) == start
    with pytest.raises(ValueError):
        workdays.add_workdays(start, -1)


def test_beyond_published_years_falls_back_to_weekdays():
    last = workdays.supported_range()[1]
    far = dt.date(last.year + 2, 6, 1)
    assert workdays.is_workday(far) == (far.weekday() < 5)
