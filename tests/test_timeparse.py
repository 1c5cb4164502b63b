"""Time parsing for the AWS commands: durations, ISO 8601, epoch milliseconds, datetimes."""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cwquery.aws.timeparse import (
    format_millis,
    parse_duration,
    parse_iso8601,
    to_millis,
    utc_day,
)

NOW = 1_714_564_800_000  # 2024-05-01T12:00:00Z


@pytest.mark.parametrize(
    ("text", "millis"),
    [
        ("500ms", 500),
        ("30s", 30_000),
        ("15m", 900_000),
        ("2h", 7_200_000),
        ("2h30m", 9_000_000),
        ("1d", 86_400_000),
        ("1w2d", 9 * 86_400_000),
        ("1h 30m", 5_400_000),
        ("30m2h", 9_000_000),
    ],
)
def test_durations(text: str, millis: int) -> None:
    assert parse_duration(text) == millis


@pytest.mark.parametrize("text", ["", "15", "m", "15x", "1.5h", "-1h", "15 minutes"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", "2024-05-01T00:00:00+00:00"),
        ("2024-05-01T12:30", "2024-05-01T12:30:00+00:00"),
        ("2024-05-01 12:30:15", "2024-05-01T12:30:15+00:00"),
        ("2024-05-01T12:30:15Z", "2024-05-01T12:30:15+00:00"),
        ("2024-05-01T12:30:15.5z", "2024-05-01T12:30:15.500000+00:00"),
        ("2024-05-01T12:30:15,25+02:00", "2024-05-01T12:30:15.250000+02:00"),
        ("2024-05-01T12:30:15-0530", "2024-05-01T12:30:15-05:30"),
        ("2024-05-01T12:30:15+01", "2024-05-01T12:30:15+01:00"),
        ("2024-05-01T12:30:15.123456789Z", "2024-05-01T12:30:15.123456+00:00"),
    ],
)
def test_iso8601(text: str, expected: str) -> None:
    assert parse_iso8601(text).isoformat() == expected


@pytest.mark.parametrize("text", ["2024-5-1", "2024-05-01T", "01/05/2024", "2024-13-01", "x"])
def test_bad_iso8601(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso8601(text)


def test_to_millis_forms() -> None:
    assert to_millis("2024-05-01T12:00:00Z") == NOW
    assert to_millis("2024-05-01T14:00:00+02:00") == NOW
    assert to_millis(datetime(2024, 5, 1, 12)) == NOW  # naive: UTC
    assert to_millis(datetime(2024, 5, 1, 14, tzinfo=timezone(timedelta(hours=2)))) == NOW
    assert to_millis(date(2024, 5, 1)) == NOW - 12 * 3_600_000
    assert to_millis(NOW) == NOW
    assert to_millis(float(NOW) + 0.7) == NOW
    assert to_millis(str(NOW)) == NOW
    assert to_millis("now", now=NOW) == NOW
    assert to_millis("15m", now=NOW) == NOW - 900_000
    assert to_millis("2h30m ago", now=NOW) == NOW - 9_000_000
    assert to_millis(" 1d ", now=NOW) == NOW - 86_400_000


def test_to_millis_uses_the_clock_for_relative_times() -> None:
    before = to_millis("now")
    assert before - 60_000 - 5_000 <= to_millis("1m") <= to_millis("now") - 60_000


@pytest.mark.parametrize("value", ["yesterday", "1h from now", "", -5])
def test_to_millis_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        to_millis(value)  # type: ignore[arg-type]


def test_to_millis_rejects_bool() -> None:
    with pytest.raises(TypeError):
        to_millis(True)


def test_format_and_day() -> None:
    assert format_millis(NOW + 7) == "2024-05-01T12:00:00.007Z"
    assert format_millis(0) == "1970-01-01T00:00:00.000Z"
    assert utc_day(NOW) == "20240501"
    assert utc_day(to_millis("2024-05-01T23:59:59.999-01:00")) == "20240502"


@given(st.integers(min_value=0, max_value=253_402_300_799_999))
def test_format_round_trips(millis: int) -> None:
    assert to_millis(format_millis(millis)) == millis
