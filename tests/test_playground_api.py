"""The playground's JSON API: answers that agree with the library, and clear 4xx refusals."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

import cwquery
import cwquery.logs.sources
from cwquery.metrics import MetricFilter, MetricTransformation
from cwquery.playground import api
from cwquery.playground.server import STATIC, TOKEN_HEADER, create_app

LOGS = Path(__file__).parent.parent / "examples" / "logs"


@pytest.fixture
def client() -> Iterator[FlaskClient]:
    yield create_app(api.read_files([str(LOGS / "access.log")])).test_client()


def post(client: FlaskClient, path: str, body: Any) -> tuple[int, Any]:
    response = client.post(path, json=body)
    return response.status_code, response.get_json()


def upload(client: FlaskClient, path: str, data: bytes) -> Any:
    """POST a file to ``/api/read`` as the page does, with the token ``/api/samples`` gives."""
    token = client.get("/api/samples").get_json()["token"]
    return client.post(path, data=data, headers={TOKEN_HEADER: token})


@pytest.mark.parametrize(
    ("pattern", "kind"),
    [
        ("ERROR -DEBUG", "term"),
        ("{ $.latency > 1000 }", "JSON"),
        ("[ip, ..., status = 5*, bytes]", "space-delimited"),
        ("%ERROR|FATAL%", "regex"),
        ("", "match everything"),
    ],
)
def test_the_kind_and_canonical_form_of_a_valid_pattern(
    client: FlaskClient, pattern: str, kind: str
) -> None:
    status, answer = post(client, "/api/match", {"pattern": pattern, "lines": []})
    assert status == 200
    assert answer["pattern"]["valid"] is True
    assert answer["pattern"]["kind"] == kind
    assert answer["pattern"]["canonical"] == cwquery.render(cwquery.parse(pattern))


def test_an_invalid_pattern_answers_its_error_with_the_caret_view(client: FlaskClient) -> None:
    pattern = '{ $.level == "ERROR" }'
    with pytest.raises(cwquery.PatternError) as raised:
        cwquery.parse(pattern)
    status, answer = post(client, "/api/match", {"pattern": pattern, "lines": ["x"]})
    assert status == 200  # the request is fine; the pattern is not
    error = answer["pattern"]["error"]
    assert answer["pattern"]["valid"] is False and "matched" not in answer
    assert (error["code"], error["offset"], error["column"]) == ("syntax", 11, 12)
    assert error["hint"] == raised.value.hint
    text, marks = error["caret"]
    assert text == pattern and marks.index("^") == error["column"] - 1
    assert error["text"] == str(raised.value)


def test_lint_warnings_and_metric_warnings_come_with_the_check(client: FlaskClient) -> None:
    _, answer = post(client, "/api/match", {"pattern": "?ERROR ?WARN request-id", "lines": []})
    codes = [w["code"] for w in answer["pattern"]["warnings"]]
    assert codes == ["ignored-optional-terms", "unquoted-punctuation"]
    punctuation = answer["pattern"]["warnings"][1]
    assert punctuation["caret"][1].index("^") == punctuation["offset"] == 20
    metric = {"value": "$.latency", "dimensions": {"level": "$.level"}}
    _, answer = post(client, "/api/match", {"pattern": "ERROR", "lines": [], "metric": metric})
    found = {(w["code"], w["target"]) for w in answer["pattern"]["warnings"]}
    assert ("dimensions-on-term-pattern", "dimension:level") in found


@pytest.mark.parametrize(
    ("pattern", "log"),
    [
        ('{ $.level = "ERROR" || $.latency > 2000 }', "app.jsonl"),
        ("[ip, id, user, timestamp, request, status = 5*, bytes]", "access.log"),
        ("?ERROR ?Timeout", "lambda.log"),
        ("%order 10[0-4]%", "lambda.log"),
    ],
)
def test_matches_are_the_matchers(client: FlaskClient, pattern: str, log: str) -> None:
    lines = [event.message for event in cwquery.logs.sources.read_events(LOGS / log)]
    status, answer = post(client, "/api/match", {"pattern": pattern, "lines": lines})
    assert status == 200 and answer["total"] == len(lines)
    matcher = cwquery.compile(pattern)
    expected = [i for i, line in enumerate(lines) if matcher.matches(line)]
    assert answer["matched"] == expected
    assert 0 < len(expected) < len(lines)


def test_json_patterns_count_the_lines_that_are_not_json(client: FlaskClient) -> None:
    lines = ['{"a": 2}', "plain text", '{"a": 0}', "[1, 2]"]
    _, answer = post(client, "/api/match", {"pattern": "{ $.a > 1 }", "lines": lines})
    assert answer["matched"] == [0] and answer["notJson"] == 2


def test_a_metric_sums_the_datapoints_of_the_matching_lines(client: FlaskClient) -> None:
    lines = ['{"ms": 5, "op": "get"}', '{"ms": 7, "op": "put"}', '{"ms": "slow", "op": "x"}']
    body = {"pattern": "{ $.ms = * }", "lines": lines, "metric": {"value": "$.ms"}}
    _, answer = post(client, "/api/match", body)
    assert answer["metric"] == {"datapoints": 2, "sum": 12.0}
    body["pattern"] = "ms"
    body["metric"] = {"value": "1", "dimensions": {"op": "$.op"}}
    _, answer = post(client, "/api/match", body)
    assert answer["metric"] == {"error": "The specified filter pattern does not support dimensions"}


def test_explain_agrees_with_the_library(client: FlaskClient) -> None:
    pattern = '{ $.latency > 1000 && $.level = "ERROR" }'
    line = '{"latency": 50, "level": "ERROR"}'
    status, answer = post(client, "/api/explain", {"pattern": pattern, "line": line, "number": 7})
    assert status == 200
    expected = cwquery.explain(pattern, line)
    assert answer["matched"] is False
    assert answer["explanation"] == expected.to_dict()
    assert answer["text"] == str(expected)
    assert answer["testMetricFilter"] is None and "fields" not in answer


def test_explain_gives_the_test_metric_filter_record_and_token_fields(client: FlaskClient) -> None:
    pattern = "[ip, user, ..., status = 5*, bytes]"
    line = '10.0.0.1 bob "GET / HTTP/1.1" extra 503 7702'
    _, answer = post(client, "/api/explain", {"pattern": pattern, "line": line, "number": 3})
    record = cwquery.test_metric_filter(pattern, ["a", "b", line])["matches"][0]
    assert answer["testMetricFilter"] == record
    fields = [(t["position"], t["value"], t["field"]) for t in answer["fields"]]
    assert fields == [
        (1, "10.0.0.1", "ip"),
        (2, "bob", "user"),
        (3, "GET / HTTP/1.1", "..."),
        (4, "extra", "..."),
        (5, "503", "status"),
        (6, "7702", "bytes"),
    ]
    _, short = post(client, "/api/explain", {"pattern": pattern, "line": "a b"})
    assert [t["assigned"] for t in short["fields"]] == [False, False]


def test_explain_gives_the_datapoint_a_metric_filter_publishes(client: FlaskClient) -> None:
    pattern = "{ $.latency > 100 }"
    metric: dict[str, Any] = {"value": "$.latency", "dimensions": {"level": "$.level"}}
    line = '{"latency": 150, "level": "WARN"}'
    _, answer = post(client, "/api/explain", {"pattern": pattern, "line": line, "metric": metric})
    transformation = MetricTransformation("m", "n", "$.latency", None, {"level": "$.level"})
    point = MetricFilter(pattern, transformation).datapoint(line)
    assert point is not None
    assert answer["datapoint"] == {"value": point.value, "dimensions": point.dimensions}
    metric = {"value": "$.latency", "defaultValue": 0}
    miss = '{"latency": 5}'
    _, answer = post(client, "/api/explain", {"pattern": pattern, "line": miss, "metric": metric})
    assert answer["datapoint"]["value"] is None
    assert "does not match" in answer["datapoint"]["reason"]
    assert "default value 0" in answer["datapoint"]["reason"]


def test_samples_read_like_cwquery_test_reads_files(client: FlaskClient) -> None:
    export = json.dumps({"events": [{"message": "one", "timestamp": 1}, {"message": "two"}]})
    response = upload(client, "/api/read?name=export.json", export.encode())
    assert response.status_code == 200 and response.get_json()["lines"] == ["one", "two"]
    s3_export = b"2024-05-01T10:00:00.000Z hello\n2024-05-01T10:00:01.000Z world\n"
    response = upload(client, "/api/read?name=000000.gz", gzip.compress(s3_export))
    assert response.get_json()["lines"] == ["hello", "world"]
    pasted = "a\r\n\r\n  b\n"
    assert upload(client, "/api/read", pasted.encode()).get_json()["lines"] == ["a", "  b"]


def test_the_files_given_on_the_command_line_are_the_first_samples(client: FlaskClient) -> None:
    answer = client.get("/api/samples").get_json()
    expected = [e.message for e in cwquery.logs.sources.read_events(LOGS / "access.log")]
    assert answer["lines"] == expected
    assert answer["sources"] == [{"name": str(LOGS / "access.log"), "count": len(expected)}]
    assert answer["limits"] == {"bytes": api.MAX_SAMPLE_BYTES, "lines": api.MAX_SAMPLE_LINES}
    assert len(answer["token"]) >= 32


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"lines": []}, "the request needs 'pattern'"),
        ({"pattern": 3}, "'pattern' must be a string"),
        ({"pattern": "x", "lines": "a\nb"}, "'lines' must be a list of strings"),
        ({"pattern": "x", "lines": [1]}, "'lines' must be a list of strings"),
        ({"pattern": "x", "metric": "1"}, "metric must be an object"),
        ({"pattern": "x", "metric": {"value": 1}}, "metric.value must be a string"),
        ({"pattern": "x", "metric": {"value": "1", "dimensions": ["a"]}}, "metric.dimensions"),
        ({"pattern": "x", "metric": {"value": "1", "defaultValue": "0"}}, "metric.defaultValue"),
        ([1, 2], "the request body must be a JSON object"),
    ],
)
def test_bad_requests_get_a_400_saying_what_is_wrong(
    client: FlaskClient, body: Any, message: str
) -> None:
    status, answer = post(client, "/api/match", body)
    assert status == 400
    assert answer["error"].startswith(message)


def test_explain_needs_a_line_and_a_sensible_number(client: FlaskClient) -> None:
    assert post(client, "/api/explain", {"pattern": "x"}) == (
        400,
        {"error": "the request needs 'line'"},
    )
    status, answer = post(client, "/api/explain", {"pattern": "x", "line": "x", "number": 0})
    assert status == 400 and "number" in answer["error"]


def test_other_bad_requests_get_json_answers_too(client: FlaskClient) -> None:
    response = client.post("/api/match", data="pattern=x")
    assert response.status_code == 415 and "application/json" in response.get_json()["error"]
    response = client.post("/api/match", data="{not json", content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.get_json()["error"]
    response = client.get("/api/match")
    assert response.status_code == 405 and response.is_json
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.is_json
    compressed = gzip.compress(b"2024-01-01T00:00:00.000Z ERROR x\n" * 1000)
    truncated = compressed[: len(compressed) // 2]  # an S3 export cut short
    response = upload(client, "/api/read?name=x.gz", truncated)
    assert response.status_code == 400 and "truncated or corrupt" in response.get_json()["error"]


def test_samples_over_the_limits_are_refused_with_a_message(client: FlaskClient) -> None:
    too_many = ["a"] * (api.MAX_SAMPLE_LINES + 1)
    status, answer = post(client, "/api/match", {"pattern": "a", "lines": too_many})
    assert status == 413 and f"{api.MAX_SAMPLE_LINES:,}" in answer["error"]
    long_lines = ["x" * 1024 * 1024] * 9
    status, answer = post(client, "/api/match", {"pattern": "a", "lines": long_lines})
    assert status == 413 and "larger than 8 MiB" in answer["error"]
    response = upload(client, "/api/read?name=big.log", b"y\n" * (api.MAX_SAMPLE_BYTES // 2 + 1))
    assert response.status_code == 413 and "larger than 8 MiB" in response.get_json()["error"]
    lines = b"z\n" * (api.MAX_SAMPLE_LINES + 1)
    response = upload(client, "/api/read?name=many.log", lines)
    assert response.status_code == 413 and "more than 50,000 lines" in response.get_json()["error"]
    huge = b"q" * (2 * api.MAX_SAMPLE_BYTES + 128 * 1024)
    response = upload(client, "/api/read?name=huge.log", huge)
    assert response.status_code == 413 and "too large" in response.get_json()["error"]


def test_only_loopback_names_are_answered(client: FlaskClient) -> None:
    assert client.get("/api/samples", headers={"Host": "localhost:8642"}).status_code == 200
    assert client.get("/api/samples", headers={"Host": "[::1]:8642"}).status_code == 200
    response = client.get("/api/samples", headers={"Host": "attacker.example:8642"})
    assert response.status_code == 403 and "loopback" in response.get_json()["error"]
    open_app = create_app(loopback_only=False).test_client()
    assert open_app.get("/api/samples", headers={"Host": "box.lan:8642"}).status_code == 200


def test_the_page_and_its_assets_are_served_and_load_nothing_from_elsewhere(
    client: FlaskClient,
) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == ["/static/app.css", "/static/app.js", "/static/favicon.svg"]
    for asset in assets:
        assert client.get(asset).status_code == 200
    for name in ("index.html", "app.js", "app.css"):
        text = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://|//cdn|@import", text), name
