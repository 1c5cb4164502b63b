"""cwquery.insights.run: the worked examples of the compliance file run and compared exactly,
then one test per command, function and null rule of the spec, and properties of stats and
sort."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cwquery import PatternError
from cwquery.insights import QueryError, QueryUnsupportedError, run

SUITE = Path(__file__).parent / "compliance" / "insights"
EXAMPLES = json.loads((SUITE / "examples.json").read_text(encoding="utf-8"))
BASE = 1_709_287_200_000  # 2024-03-01 10:00:00 timezone.utc


def _millis(text: str) -> int:
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def _example_events(name: str) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": _millis(event["timestamp"]),
            "message": event["message"],
            "logStreamName": event.get("logStreamName"),
        }
        for event in EXAMPLES["eventSets"][name]
    ]


def pairs(result: dict[str, Any]) -> list[list[list[str]]]:
    """The rows without ``@ptr``, as the compliance file writes them."""
    return [
        [[item["field"], item["value"]] for item in row if item["field"] != "@ptr"]
        for row in result["results"]
    ]


def events(*messages: str, step: int = 1000) -> list[dict[str, Any]]:
    """Events one ``step`` apart, oldest first, in stream ``s``."""
    return [
        {"timestamp": BASE + index * step, "message": message, "logStreamName": "s"}
        for index, message in enumerate(messages)
    ]


def rows(query: str, source: list[dict[str, Any]], **options: Any) -> list[dict[str, str]]:
    return [dict(map(tuple, row)) for row in pairs(run(query, source, **options))]  # type: ignore[arg-type]


# --------------------------------------------------------------------------- compliance


def _run_cases() -> list[Any]:
    return [pytest.param(case, id=case["id"]) for case in EXAMPLES["cases"] if "rows" in case]


@pytest.mark.parametrize("case", _run_cases())
def test_worked_example(case: dict[str, Any]) -> None:
    result = run(case["query"], _example_events(case["events"]))
    assert pairs(result) == case["rows"]
    assert result["status"] == "Complete"
    for row in result["results"]:  # @ptr, when present, is last (I22)
        names = [item["field"] for item in row]
        assert "@ptr" not in names[:-1]


def test_every_accepted_example_runs_or_says_why_not() -> None:
    for case in EXAMPLES["cases"]:
        if "canonical" in case:
            assert ("rows" in case) != ("noRun" in case), case.get("id")


@pytest.mark.parametrize(
    "case", [c for c in EXAMPLES["cases"] if "error" in c], ids=lambda c: c["id"]
)
def test_rejected_example_is_refused_by_run(case: dict[str, Any]) -> None:
    with pytest.raises(QueryError) as caught:
        run(case["query"], _example_events("A"))
    assert caught.value.code == case["error"]


PARSING = json.loads((SUITE / "parsing.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "case",
    [c for c in PARSING["cases"] if "runError" in c],
    ids=lambda c: c["comment"][:40],
)
def test_parsed_but_not_run_is_refused_before_any_event(case: dict[str, Any]) -> None:
    """Spec §5, §10 (I54, I68): subqueries, hashing and time-series functions parse, and
    ``run`` refuses them before it reads an event."""

    def never() -> Any:
        raise AssertionError("run read an event")
        yield  # pragma: no cover

    with pytest.raises(QueryUnsupportedError) as caught:
        run(case["query"], never())
    assert caught.value.code == case["runError"]


# --------------------------------------------------------------------------- statistics


def test_statistics_count_scanned_matched_and_bytes() -> None:
    """§11.3, I55: 3 * (16 + 31) = 141 reproduces the published response."""
    source = events("Test BENCHMARK 1", "Test BENCHMARK 2", "Test BENCHMARK 3")
    result = run("fields @timestamp, @message | filter @message like '3'", source)
    assert result["statistics"] == {
        "recordsMatched": 1.0,
        "recordsScanned": 3.0,
        "bytesScanned": 141.0,
    }


def test_records_matched_counts_events_before_limit_and_stats() -> None:
    source = events("E a", "E b", "x", "E c")
    assert run("filter @message like 'E' | limit 1", source)["statistics"]["recordsMatched"] == 3
    result = run("filter @message like 'E' | stats count(*) as n", source)
    assert result["statistics"]["recordsMatched"] == 3  # I42


def test_multi_parse_rows_of_one_event_count_once() -> None:
    source = events("ip=1 ip=2 ip=3")
    result = run(r"parse @message /ip=(\d)/ as ip multi | display ip", source)
    assert pairs(result) == [[["ip", "1"]], [["ip", "2"]], [["ip", "3"]]]
    assert result["statistics"]["recordsMatched"] == 1


def test_start_and_end_are_inclusive_epoch_seconds() -> None:
    source = events("a", "b", "c", "d")  # one second apart from BASE
    found = rows("fields @message", source, start=BASE / 1000 + 1, end=BASE / 1000 + 2)
    assert [row["@message"] for row in found] == ["c", "b"]
    result = run("fields @message", source, start=BASE / 1000 + 1, end=BASE / 1000 + 2)
    assert result["statistics"]["recordsScanned"] == 2


def test_query_time_functions_read_the_window() -> None:
    source = events("a")
    found = rows(
        "fields queryStartTime() as s, queryTimeRange() as r | display s, r",
        source,
        start=BASE / 1000,
        end=BASE / 1000 + 60,
    )
    assert found == [{"s": str(BASE), "r": "60000"}]
    assert rows("fields queryStartTime() as s | display s", source) == [{}]


# --------------------------------------------------------------------------- system fields


def test_system_fields_and_log_group() -> None:
    source = [{"timestamp": BASE, "message": "m", "logStreamName": "st", "ingestionTime": BASE + 5}]
    found = rows("fields @log, @logStream, @ingestionTime", source, log_group="/app")
    assert found == [
        {
            "@log": "123456789012:/app",
            "@logStream": "st",
            "@ingestionTime": "2024-03-01 10:00:00.005",
        }
    ]
    source[0]["logGroupName"] = "/own"
    assert rows("fields @log", source, log_group="/app") == [{"@log": "123456789012:/own"}]


def test_default_columns_are_timestamp_and_message() -> None:
    """I8: without fields/display/stats; parse adds none."""
    found = rows('parse @message "a=*" as a', events("a=1"))
    assert found == [{"@timestamp": "2024-03-01 10:00:00.000", "@message": "a=1"}]


def test_default_order_is_newest_first_and_later_ingested_first_on_ties() -> None:
    """§7.3, I46."""
    source = events("old", "same-1", "same-2", step=0)
    source[0]["timestamp"] -= 1
    assert [row["@message"] for row in rows("fields @message", source)] == [
        "same-2",
        "same-1",
        "old",
    ]


# --------------------------------------------------------------------------- discovery


def test_json_discovery_flattens_and_keeps_number_text() -> None:
    source = events('{"a": {"b": 12.50, "c": [1, {"d": true}]}, "n": null, "@k": "v"}')
    found = rows("fields a.b, a.c.0, a.c.1.d, n, @@k", source)
    assert found == [{"a.b": "12.50", "a.c.0": "1", "a.c.1.d": "true", "@@k": "v"}]


def test_json_string_holding_json_is_opaque() -> None:
    """§9.1: dots do not reach into a string; jsonParse does."""
    source = events(json.dumps({"data": '{"startTime": 1234}'}))
    assert rows("fields data.startTime", source) == [{}]
    assert rows("fields jsonParse(data).startTime as s", source) == [{"s": "1234"}]


def test_embedded_json_fragment_is_discovered() -> None:
    """I50: the first embedded object, after a prefix."""
    source = events('2024-01-01T00:00:00Z id INFO {broken {"k": 1, "j": "x"} tail')
    assert rows("fields k, j", source) == [{"k": "1", "j": "x"}]


def test_json_discovery_stops_at_200_fields() -> None:
    """§9.3, I51."""
    document = {f"f{index}": index for index in range(250)}
    source = events(json.dumps(document))
    assert rows("fields f199, f200", source) == [{"f199": "199"}]


def test_json_duplicate_keys_last_wins() -> None:
    assert rows("fields a", events('{"a": 1, "a": 2}')) == [{"a": "2"}]


def test_lambda_report_fields() -> None:
    report = (
        "REPORT RequestId: r-9\tDuration: 102.25 ms\tBilled Duration: 103 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 60 MB\tInit Duration: 180.51 ms\t"
    )
    found = rows(
        "fields @type, @requestId, @duration, @billedDuration, @memorySize, @maxMemoryUsed, "
        "@initDuration",
        events(report),
    )
    assert found == [
        {
            "@type": "REPORT",
            "@requestId": "r-9",
            "@duration": "102.25",
            "@billedDuration": "103",
            "@memorySize": "128000000",
            "@maxMemoryUsed": "60000000",
            "@initDuration": "180.51",
        }
    ]


def test_route53_fields() -> None:
    line = "1.0 2017-12-13T08:15:50.235Z Z123412341234 example.com A NOERROR UDP FRA6 192.168.1.1 -"
    found = rows("fields queryName, queryType, responseCode, resolverIp", events(line))
    assert found == [
        {
            "queryName": "example.com",
            "queryType": "A",
            "responseCode": "NOERROR",
            "resolverIp": "192.168.1.1",
        }
    ]


def test_vpc_recognition_needs_the_token_shapes() -> None:
    """I53: 14 tokens, version 2, an eni- interface, an action."""
    line = "2 123456789012 eni-1 192.0.2.10 10.0.0.5 443 49152 6 10 8400 1 2 MAYBE OK"
    assert rows("fields srcAddr", events(line)) == [{}]


# --------------------------------------------------------------------------- nulls and types


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("x != 1", ["1", "2"]),  # 3.7: no x, never selected
        ("not x = 1", ["1", "2"]),
        ("x not in [3]", ["2"]),
        ("x = 1 or y = 1", ["1", "3"]),
        ("not (x = 1 and y = 2)", ["1", "2", "3"]),  # false and null = false
        ("not (x = 3 and z = 1)", ["2"]),  # true and null = null; not null = null
        ("ispresent(x)", ["1", "2"]),
        ("isempty(x)", ["3"]),
    ],
)
def test_three_valued_filters(condition: str, expected: list[str]) -> None:
    """I9: a row survives only on true."""
    source = events('{"i": 1, "x": 3, "y": 1}', '{"i": 2, "x": 2}', '{"i": 3, "y": 1}')
    found = rows(f"filter {condition} | sort i | fields i", source)
    assert [row["i"] for row in found] == expected


def test_comparison_of_text_and_numbers() -> None:
    """I15: numeric against a number literal, text otherwise; relational mixed → null."""
    source = events('{"v": "17"}', '{"v": "17.0"}', '{"v": "abc"}', '{"v": 9}')
    assert len(rows("filter v = 17", source)) == 2
    assert len(rows('filter v = "17"', source)) == 1
    assert [r["v"] for r in rows("filter v < 10 | fields v", source)] == ["9"]
    assert [r["v"] for r in rows('filter v > "a" | fields v', source)] == ["abc"]


def test_boolean_literals_match_json_booleans_and_text() -> None:
    """I76."""
    source = events('{"ok": true}', '{"ok": false}', '{"ok": "true"}')
    assert len(rows("filter ok = true", source)) == 2
    assert len(rows("filter ok = false", source)) == 1


def test_arithmetic_nulls_and_number_text() -> None:
    """I14, I20."""
    found = rows(
        "fields 1 / 0 as z, 10 % 0 as m, 'a' + 1 as s, 0.1 + 0.2 as f, 10 / 4 as q, "
        "1 / 3 as t, sqrt(-1) as r, log(0) as l, 2 ^ -1 as h, 0.000001 as tiny | limit 1",
        events("x"),
    )
    assert found == [
        {
            "f": "0.30000000000000004",
            "q": "2.5",
            "t": "0.3333333333333333",
            "h": "0.5",
            "tiny": "0.000001",
        }
    ]


def test_like_forms_and_case_insensitive_regex() -> None:
    source = events("Error one", "error two", "fine")
    assert len(rows("filter @message like 'Error'", source)) == 1
    assert len(rows("filter @message like /(?i)error/", source)) == 2
    assert len(rows("filter @message =~ /o$/", source)) == 1
    assert len(rows("filter @message not like /error/", source)) == 2


def test_truthiness_of_values_as_conditions() -> None:
    """I16."""
    source = events('{"s": ""}', '{"s": "x"}', '{"s": 0}', '{"s": 2}')
    assert len(rows("filter strlen(s)", source)) == 3
    assert len(rows("filter s", source)) == 3  # text is true when non-empty, "0" included


# --------------------------------------------------------------------------- commands


def test_glob_parse_is_unanchored_lazy_and_the_final_star_greedy() -> None:
    """I60, I61."""
    source = events("pre [a] x=1 y=2 rest", "no match here")
    found = rows('parse @message "[*] x=* *" as a, b, c | display a, b, c', source)
    assert found == [{}, {"a": "a", "b": "1", "c": "y=2 rest"}]


def test_parse_without_match_leaves_discovered_field() -> None:
    """I61."""
    source = events('{"a": "json"}')
    assert rows('parse @message "zzz=*" as a | display a', source) == [{"a": "json"}]


def test_regex_optional_group_that_took_no_part_is_null() -> None:
    found = rows(r"parse @message /(?<a>x)(?<b>y)?/ | display a, b", events("x"))
    assert found == [{"a": "x"}]


def test_sort_order_of_the_sort_page() -> None:
    """§7.1: the page's own ascending example, nulls last."""
    order = ["!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A", "A9876fghj",
             "a12345hfh", "0", "01", "1", "2", "3"]  # fmt: skip
    shuffled = order[::-1]  # events oldest first: the default order (newest first) is `order`
    source = events(*[json.dumps({"v": value}) for value in shuffled], '{"w": 1}')
    found = [row.get("v") for row in rows("fields v | sort v asc", source)]
    assert found[:-1] == ["!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A",
                          "A9876fghj", "a12345hfh", "0", "01", "1", "2", "3"]  # fmt: skip
    assert found[-1] is None
    descending = [row.get("v") for row in rows("fields v | sort v desc", source)]
    assert descending[-1] is None and descending[0] == "3"


def test_sort_several_keys_and_stability() -> None:
    source = events(
        '{"a": 1, "b": 1, "i": 1}', '{"a": 0, "b": 2, "i": 2}', '{"a": 1, "b": 2, "i": 3}'
    )
    found = rows("sort a desc, b desc | fields i", source)
    assert [row["i"] for row in found] == ["3", "1", "2"]


def test_limit_tail_and_head() -> None:
    source = events("a", "b", "c", "d")
    assert [r["@message"] for r in rows("fields @message | limit 2", source)] == ["d", "c"]
    assert [r["@message"] for r in rows("fields @message | tail 2", source)] == ["b", "a"]
    assert [r["@message"] for r in rows("fields @message | head 1", source)] == ["d"]
    assert [r["@message"] for r in rows("fields @message | limit any 1", source)] == ["d"]


def test_result_cap_without_limit() -> None:
    """§2.7: at most 10,000 rows without limit."""
    source = events(*(["x"] * 10_005), step=1)
    result = run("fields @message", source)
    assert len(result["results"]) == 10_000
    assert result["statistics"]["recordsMatched"] == 10_005


def test_filter_after_sort_keeps_the_order() -> None:
    source = events('{"v": 3}', '{"v": 1}', '{"v": 2}')
    found = rows("fields v | sort v asc | filter v > 1 | limit 5", source)
    assert [row["v"] for row in found] == ["2", "3"]


def test_display_expressions_and_last_display_wins() -> None:
    source = events('{"level": "ERROR"}')
    found = rows('display level = "ERROR" as isError | display level, level = "ERROR" as e', source)
    assert found == [{"level": "ERROR", "e": "1"}]


def test_stats_items_by_columns_null_group_and_order() -> None:
    """I38, I39: by columns first; a null key is its own group, last."""
    source = events('{"k": "b", "v": 2}', '{"k": "a", "v": 4}', '{"v": 6}', '{"k": "a", "v": 1}')
    found = rows("stats sum(v) as s, avg(v) by k", source)
    assert found == [{"k": "a", "s": "5", "avg(v)": "2.5"}, {"k": "b", "s": "2", "avg(v)": "2"},
                     {"s": "6", "avg(v)": "6"}]  # fmt: skip


def test_stats_over_nothing_gives_no_rows() -> None:
    """I40."""
    assert rows("stats count(*) as n", events("a"), start=0, end=1) == []
    assert rows("filter x = 1 | stats count(*) as n", events("a")) == []


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("stddev(v)", "1.5811388300841898"),
        ("pct(v, 50)", "3"),
        ("pct(v, 0)", "1"),
        ("median(v)", "3"),
        ("percentile(v, 100)", "5"),
        ("min(v)", "1"),
        ("max(v)", "5"),
        ("sum(nope)", None),
        ("earliest(v)", "1"),
        ("latest(v)", "5"),
        ("sortsFirst(t)", "a9"),
        ("sortsLast(t)", "b"),
        ("count_distinct(t)", "3"),
        ("count(t)", "4"),
        ("ceil(avg(v)) + 0.5", "3.5"),
    ],
)
def test_aggregate(item: str, expected: str | None) -> None:
    source = events(
        '{"v": 1, "t": "b"}', '{"v": 2, "t": "a9"}', '{"v": 3, "t": "a10"}', '{"v": 4, "t": "b"}',
        '{"v": 5}'
    )  # fmt: skip
    found = rows(f"stats {item} as r", source)
    assert found == [{"r": expected} if expected is not None else {}]


def test_min_prefers_numbers_and_keeps_the_event_text() -> None:
    """I33."""
    source = events('{"v": "zzz"}', '{"v": 12.50}', '{"v": "3.0"}')
    assert rows("stats min(v) as lo, max(v) as hi", source) == [{"lo": "3.0", "hi": "12.50"}]


def test_sort_by_an_aggregate_column_after_stats() -> None:
    source = events('{"k": "a"}', '{"k": "b"}', '{"k": "b"}')
    found = rows("stats count(*) by k | sort count(*) desc", source)
    assert found == [{"k": "b", "count(*)": "2"}, {"k": "a", "count(*)": "1"}]


def test_bin_weeks_start_on_monday() -> None:
    """I37: 2024-03-01 is a Friday."""
    assert rows("stats count(*) as n by bin(1w)", events("x")) == [
        {"bin(1w)": "2024-02-26 00:00:00.000", "n": "1"}
    ]


def test_dedup_after_sort_keeps_first_per_value() -> None:
    source = events('{"s": "a", "i": 1}', '{"s": "b", "i": 2}', '{"s": "a", "i": 3}')
    found = rows("fields s, i | sort i asc | dedup s", source)
    assert [row["i"] for row in found] == ["1", "2"]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "query",
    [
        "pattern @message",
        "fields a | anomaly",
        "SOURCE logGroups() | fields a",
        "fields a | unmask(@message)",
    ],
)
def test_unsupported_commands_are_refused(query: str) -> None:
    with pytest.raises(QueryUnsupportedError) as caught:
        run(query, events("x"))
    assert isinstance(caught.value, PatternError)
    assert caught.value.code == "unsupported"
    assert caught.value.pattern == query


def test_filter_index_runs_as_filter() -> None:
    """I54."""
    assert len(rows("filterIndex @message like 'a'", events("a", "b"))) == 1


@pytest.mark.parametrize(
    "query",
    [
        "fields jsonParse(@message) as m | sort m",
        "fields jsonParse(@message) as m | dedup m",
        "fields jsonParse(@message) as m | stats count(*) by m",
        "fields jsonParse(@message) as m | stats max(m) as x",
    ],
)
def test_structures_as_keys_are_refused(query: str) -> None:
    """I65."""
    with pytest.raises(QueryUnsupportedError):
        run(query, events('{"a": 1}'))


def test_structure_compared_is_false() -> None:
    """§4.4."""
    source = events('{"a": 1}')
    assert rows("filter jsonParse(@message) = 'x'", source) == []
    assert rows("filter jsonParse(@message) != 'x'", source) == []


# --------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3_600_000), st.sampled_from(["E x", "ok", "E"])),
        max_size=40,
    )
)
def test_binned_counts_sum_to_the_filtered_events(data: list[tuple[int, str]]) -> None:
    source = [{"timestamp": BASE + offset, "message": message} for offset, message in data]
    result = run("filter @message like 'E' | stats count(*) as n by bin(5m)", source)
    total = sum(int(value) for row in pairs(result) for name, value in row if name == "n")
    assert total == sum(1 for _, message in data if "E" in message)
    assert total == result["statistics"]["recordsMatched"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(-5, 5), st.sampled_from(["a", "b1", "b10", "", "9"])), max_size=30
    ),
    st.integers(1, 10),
    st.booleans(),
)
def test_sort_then_limit_equals_full_sort_then_slice(
    values: list[Any], count: int, descending: bool
) -> None:
    source = events(*[json.dumps({"v": value, "i": index}) for index, value in enumerate(values)])
    way = "desc" if descending else "asc"
    whole = pairs(run(f"fields v, i | sort v {way}", source))
    head = pairs(run(f"fields v, i | sort v {way} | limit {count}", source))
    assert head == whole[:count]


def test_earliest_and_latest_ties_follow_ingestion_even_after_a_sort() -> None:
    """I35: same time, first / last ingested, whatever order the rows arrive in."""
    source = events('{"v": "first"}', '{"v": "second"}', '{"v": "third"}', step=0)
    query = "sort v desc | stats earliest(v) as e, latest(v) as l"
    assert rows(query, source) == [{"e": "first", "l": "third"}]


def test_a_refused_tree_puts_the_caret_in_its_canonical_text() -> None:
    """A tree does not keep the text it was parsed from: the error shows the canonical text,
    with the caret under what is refused there."""
    from cwquery.insights import parse

    tree = parse("FIELDS   @message   |   anomaly")
    with pytest.raises(QueryUnsupportedError) as caught:
        run(tree, [])
    assert caught.value.pattern == "fields @message | anomaly"
    assert caught.value.column == len("fields @message | ") + 1
