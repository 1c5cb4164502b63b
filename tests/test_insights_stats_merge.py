"""stats accumulators merge: a stats over rows split in any way, each part accumulated on its
own and the parts merged, answers exactly as one pass over every row (what Spark relies on,
cwquery.spark_insights), and sums do not depend on the order rows come in."""

from __future__ import annotations

import itertools
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cwquery.insights import parse, run
from cwquery.insights.expressions import Context
from cwquery.insights.stats import accumulate, finish, merge_groups

QUERY = (
    "stats count(*) as n, count(v) as c, count_distinct(v) as d, sum(v) as s, avg(v) as a, "
    "stddev(v) as sd, min(v) as lo, max(v) as hi, pct(v, 90) as p, median(v) as m, "
    "earliest(v) as e, latest(v) as l, sortsFirst(v) as f, sortsLast(v) as z by k"
)

values = st.one_of(
    st.none(),
    st.sampled_from(["1", "1.0", "01", "2.50", "x", "b2", "b10", "-3", "1e3"]),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.integers(-(10**17), 10**17).map(str),
)
rows = st.lists(
    st.tuples(st.sampled_from(["a", "b", None]), values, st.integers(0, 3)), max_size=40
)


def _rows(found: list[tuple[Any, Any, int]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, (key, value, moment) in enumerate(found):
        row: dict[str, Any] = {"@timestamp": moment}
        if key is not None:
            row["k"] = key
        if value is not None:
            row["v"] = value
        out.append(_Indexed(row, index))
    return out


class _Indexed(dict[str, Any]):
    """A row that knows its input index, as the engine's event rows do."""

    def __init__(self, fields: dict[str, Any], index: int) -> None:
        super().__init__(fields)
        self.order = (fields["@timestamp"], index)


@settings(max_examples=200)
@given(rows, st.lists(st.integers(0, 40), max_size=4), st.randoms(use_true_random=False))
def test_split_and_merged_equals_one_pass(
    found: list[tuple[Any, Any, int]], cuts: list[int], chance: random.Random
) -> None:
    stats = parse(QUERY).commands[0]
    context = Context()
    every = _rows(found)
    whole = finish(stats, accumulate(stats, every, context), context)  # type: ignore[arg-type]
    bounds = sorted({0, len(every), *(c for c in cuts if c <= len(every))})
    parts = [every[a:b] for a, b in itertools.pairwise(bounds)]
    chance.shuffle(parts)  # workers finish in any order
    merged: Any = {}
    for part in parts:
        merged = merge_groups(merged, accumulate(stats, part, context))  # type: ignore[arg-type]
    assert finish(stats, merged, context) == whole  # type: ignore[arg-type]


def test_sums_do_not_depend_on_the_order_of_rows() -> None:
    """A naive running sum gives 0 over these rows in either order; the exact sum gives 1
    (the correctly rounded total) in both."""
    forward: list[dict[str, Any]] = [
        {"timestamp": i, "message": message}
        for i, message in enumerate(
            ['{"v": 10000000000000000}', '{"v": 1}', '{"v": -10000000000000000}']
        )
    ]
    backward = [{**event, "timestamp": 2 - event["timestamp"]} for event in reversed(forward)]
    query = "stats sum(v) as s, avg(v) as a, stddev(v) as d"
    assert run(query, forward)["results"] == run(query, backward)["results"]
    cells = {item["field"]: item["value"] for item in run(query, forward)["results"][0]}
    assert cells["s"] == "1"


def test_max_keeps_the_first_row_of_equal_values_and_latest_the_last() -> None:
    """I33: the winning row's own text; among equal numbers the first row's. I35: latest on
    equal times takes the last ingested."""
    events = [
        {"timestamp": 5, "message": '{"v": 2.50, "w": "a"}'},
        {"timestamp": 5, "message": '{"v": 2.5, "w": "b"}'},
    ]
    cells = {
        item["field"]: item["value"]
        for item in run("stats max(v) as m, latest(w) as l, earliest(w) as e", events)["results"][0]
    }
    assert cells == {"m": "2.50", "l": "b", "e": "a"}
