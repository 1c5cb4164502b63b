"""Metric filters evaluated locally: values, dimensions, and what PutMetricFilter refuses."""

import pytest

from cwquery.metrics import (
    DIMENSIONS_NOT_SUPPORTED,
    Datapoint,
    MetricFilter,
    MetricFilterError,
    MetricTransformation,
)

APACHE = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'


def transformation(value: str, **dimensions: str) -> MetricTransformation:
    return MetricTransformation("M", "N", value, dimensions=dimensions)


def test_json_value_and_dimension() -> None:  # spec §9 #50, #51
    metric = MetricFilter("{ $.latency = * }", transformation("$.latency", kind="$.requestType"))
    assert metric.datapoint('{"latency": 50, "requestType": "GET"}') == Datapoint(
        50.0, {"kind": "GET"}
    )
    assert metric.datapoint('{"latency": 50}') is None  # a dimension with nothing to fill it
    assert metric.datapoint('{"other": 1}') is None  # no match


def test_delimited_named_and_positional_references() -> None:
    pattern = "[ip, server, username, timestamp, request, status_code, bytes > 1000]"
    metric = MetricFilter(pattern, transformation("$bytes", server="$server"))
    assert metric.datapoint(APACHE) == Datapoint(1534.0, {"server": "Prod"})
    positional = MetricFilter("[..., size]", transformation("$6"))
    assert positional.datapoint(APACHE) == Datapoint(404.0, {})
    named_by_position = MetricFilter(pattern, transformation("$7"))  # $7 is also $bytes
    assert named_by_position.datapoint(APACHE) == Datapoint(1534.0, {})


def test_number_literal_value_for_any_pattern() -> None:
    assert MetricFilter("ERROR", transformation("1")).datapoint("ERROR x") == Datapoint(1.0, {})
    assert MetricFilter("ERROR", transformation("1.5")).datapoint("INFO") is None


def test_non_numeric_values_publish_nothing() -> None:
    metric = MetricFilter("{ $.v = * }", transformation("$.v"))
    assert metric.datapoint('{"v": "fast"}') is None
    assert metric.datapoint('{"v": true}') is None
    assert metric.datapoint('{"v": " 12 "}') is None  # E2: the whole text must be a number
    assert metric.datapoint('{"v": "12"}') == Datapoint(12.0, {})
    assert metric.datapoint('{"v": 1e400}') is None  # not finite
    assert metric.datapoint('{"v": "3e108"}') is None  # beyond 2**360


@pytest.mark.parametrize(
    ("pattern", "value", "dimensions", "message"),
    [
        ("ERROR", "1", {"a": "$.a"}, DIMENSIONS_NOT_SUPPORTED),
        ("%ERR%", "1", {"a": "$.a"}, DIMENSIONS_NOT_SUPPORTED),
        ("{ $.a = 1 }", "1", {"a": "$.a", "b": "$.b", "c": "$.c", "d": "$.d"}, "at most 3"),
        ("{ $.a = 1 }", "value", {}, "not a number"),
        ("{ $.a = 1 }", "$size", {}, "not a number"),
        ("[a, b]", "$.a", {}, "not a number"),
        ("[a, b]", "$c", {}, "names no field"),
        ("ERROR", "$.a", {}, "not a number"),
    ],
)
def test_refused_transformations(
    pattern: str, value: str, dimensions: dict[str, str], message: str
) -> None:
    with pytest.raises(MetricFilterError, match=message.replace("(", r"\(")):
        MetricFilter(pattern, MetricTransformation("M", "N", value, dimensions=dimensions))


def test_default_value_cannot_come_with_dimensions() -> None:
    with pytest.raises(MetricFilterError, match="default value"):
        MetricFilter(
            "{ $.a = 1 }",
            MetricTransformation("M", "N", "1", default_value=0.0, dimensions={"a": "$.a"}),
        )


def test_from_api_reads_the_service_shape() -> None:
    parsed = MetricTransformation.from_api(
        {
            "metricName": "M",
            "metricNamespace": "N",
            "metricValue": "$.x",
            "defaultValue": 0.0,
            "unit": "Count",
        }
    )
    assert parsed == MetricTransformation("M", "N", "$.x", default_value=0.0, unit="Count")
