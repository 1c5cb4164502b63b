"""Datapoints and alarm histories as a table, CSV or JSON. Numbers are written as Python's
shortest ``repr`` of the float, so two engines that compute the same values print the same
bytes.

>>> from cwquery.backtest.engine import MetricKey, Row
>>> rows = [Row(MetricKey("App", "Errors"), 60_000, {"SampleCount": 2.0, "Sum": 2.0})]
>>> print(to_csv(rows, ["SampleCount", "Sum"]), end="")
namespace,metric,dimensions,unit,timestamp,SampleCount,Sum
App,Errors,,None,1970-01-01T00:01:00Z,2.0,2.0
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from cwquery.backtest.alarms import Alarm, Transition
from cwquery.backtest.engine import Collected, MetricKey, Row


def iso(millis: int) -> str:
    """Epoch ms as ``YYYY-MM-DDTHH:MM:SSZ`` (with milliseconds only when there are any).

    >>> iso(1714564805000), iso(1714564805250)
    ('2024-05-01T12:00:05Z', '2024-05-01T12:00:05.250Z')
    """
    day, into = divmod(millis, _DAY_MS)
    date = _DATES.get(day)
    if date is None:
        date = datetime.fromtimestamp(day * 86_400, tz=timezone.utc).strftime("%Y-%m-%dT")
        if len(_DATES) > 10_000:
            _DATES.clear()
        _DATES[day] = date
    if not into % 60_000:  # a whole minute (every datapoint of a period of minutes)
        return date + _CLOCKS[into // 60_000]
    seconds, fraction = divmod(into, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    text = f"{date}{hour:02d}:{minute:02d}:{second:02d}"
    return text + (f".{fraction:03d}Z" if fraction else "Z")


_DAY_MS = 86_400_000
#: ``HH:MM:00Z`` of each minute of a day
_CLOCKS = [f"{minute // 60:02d}:{minute % 60:02d}:00Z" for minute in range(1440)]
#: :func:`iso`'s dates already written: day since the epoch to ``YYYY-MM-DDT``
_DATES: dict[int, str] = {}


def number(value: float | None) -> str:
    """A statistic as text: shortest ``repr``; empty when there is no value."""
    return "" if value is None else repr(float(value))


def _dimensions(row: Row) -> str:
    return ";".join(f"{k}={v}" for k, v in row.key.dimensions)


def to_csv(rows: Sequence[Row], statistics: Sequence[str]) -> str:
    """One line per datapoint (metric, dimension set, period)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["namespace", "metric", "dimensions", "unit", "timestamp", *statistics])
    lines = [out.getvalue()]
    # a metric's fields as the writer quotes them, once per metric; the timestamp and the
    # numbers never need quoting
    heads: dict[MetricKey, str] = {}
    texts = _Numbers({None: ""})
    # the numbers of a row as text, once per distinct tuple of values (without a zero: 0.0
    # and -0.0 are equal keys but different texts)
    written: dict[tuple[float | None, ...], str] = {}
    key = head = None
    for row in rows:
        if row.key is not key:  # rows come metric by metric
            key = row.key
            head = heads.get(key)
            if head is None:
                head = heads[key] = _csv_fields(
                    [key.namespace, key.name, _dimensions(row), key.unit]
                )
        found = tuple(map(row.stats.get, statistics))
        numbers = written.get(found)
        if numbers is None:
            numbers = "".join(["," + texts[value] for value in found])
            if 0.0 not in found:
                written[found] = numbers
        lines.append(f"{head},{iso(row.start)}{numbers}\n")
    return "".join(lines)


class _Numbers(dict[float | None, str]):
    """:func:`number` of each value, each written once (zeros, whose sign a key would lose,
    and NaN, never equal to itself, are written every time)."""

    def __missing__(self, value: float | None) -> str:
        text = number(value)
        if value and value == value:
            self[value] = text
        return text


def _csv_fields(fields: list[str]) -> str:
    """Fields as the CSV writer writes them within a line (without the line end)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue()[:-1]


def to_table(rows: Sequence[Row], statistics: Sequence[str]) -> str:
    """Aligned columns for a terminal."""
    header = ["timestamp", "metric", *statistics]
    lines = [
        [iso(row.start), row.key.label(), *(number(row.stats.get(s)) or "-" for s in statistics)]
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    return "".join(
        "  ".join(
            cell.rjust(w) if i > 1 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        + "\n"
        for line in [header, *lines]
    )


def history_text(alarm: Alarm, history: Sequence[Transition]) -> str:
    """One line per transition: time, old → new state, reason."""
    lines = [f"alarm {alarm.name}: {len(history)} transition{'s' * (len(history) != 1)}"]
    for item in history:
        lines.append(f"  {iso(item.time)}  {item.old} -> {item.new}  {item.reason}")
    return "\n".join(lines) + "\n"


def transition_json(item: Transition) -> dict[str, Any]:
    """A transition as the JSON output writes it."""
    return {
        "time": iso(item.time),
        "from": item.old,
        "to": item.new,
        "reason": item.reason,
        "datapoints": [
            {"timestamp": iso(p.start), "value": p.value, "sampleCount": p.sample_count}
            for p in item.datapoints
        ],
    }


def to_json(
    rows: Sequence[Row],
    statistics: Sequence[str],
    histories: Mapping[str, tuple[Alarm, Sequence[Transition]]],
    collected: Collected,
) -> str:
    """The whole result: summary counts, datapoints and every alarm's transitions."""
    document = {
        "summary": summary(collected),
        "datapoints": [
            {
                "namespace": row.key.namespace,
                "metric": row.key.name,
                "dimensions": dict(row.key.dimensions),
                "unit": row.key.unit,
                "timestamp": iso(row.start),
                **{name: row.stats.get(name) for name in statistics},
            }
            for row in rows
        ],
        "alarms": [
            {
                "name": name,
                "metric": alarm.metric_name,
                "statistic": alarm.statistic,
                "threshold": alarm.threshold,
                "comparison": alarm.comparison,
                "transitions": [transition_json(t) for t in history],
            }
            for name, (alarm, history) in histories.items()
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def summary(collected: Collected) -> dict[str, Any]:
    """The counts a run reports (E2, E3, E4, E6 and ingestion bounds)."""
    return {
        "events": collected.events,
        "matched": collected.matched,
        "metrics": len(collected.series),
        "noValue": collected.no_value,
        "noDimension": collected.no_dimension,
        "untimed": collected.untimed,
        "outOfRange": collected.out_of_range,
        "rejected": collected.rejected,
        "beforeCreation": collected.before_creation,
        "warnings": list(collected.warnings),
    }


def summary_text(collected: Collected) -> str:
    """The summary as one line for stderr."""
    parts = [
        f"{collected.matched} of {collected.events} events matched",
        f"{len(collected.series)} metric{'s' * (len(collected.series) != 1)}",
    ]
    for count, what in (
        (collected.no_value, "matched without a numeric value (E2)"),
        (collected.no_dimension, "matched without their dimensions (E3)"),
        (collected.untimed, "had no readable time"),
        (collected.out_of_range, "had a time outside 1970 to 9998"),
        (collected.rejected, "were outside the ingestion bounds"),
        (collected.before_creation, "came before the filter's creation (E6)"),
    ):
        if count:
            parts.append(f"{count} {what}")
    return "; ".join(parts)
