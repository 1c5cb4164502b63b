"""Each transformer processor on its own (spec §2), beyond the worked examples."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cwquery.transformers import Transformer, TransformerError, test_transformer

PJ: dict[str, Any] = {"parseJSON": {}}


def run(config: list[dict[str, Any]], message: str, **context: str) -> Any:
    """The transformed event, parsed when structured."""
    text = Transformer(config, **context).transform(message)
    return json.loads(text) if text.startswith("{") and text != message else text


# parsers


def test_parse_json_destination_takes_any_value() -> None:
    assert run([{"parseJSON": {"destination": "d"}}], "[1,2]") == {"d": [1, 2]}


def test_parse_json_rejects_nan_as_not_json() -> None:
    assert run([PJ], '{"a": NaN}') == '{"a": NaN}'


def test_parse_json_non_object_without_destination_stays_unstructured() -> None:
    assert run([PJ], "42") == "42"


def test_parse_json_of_a_non_string_field_changes_nothing() -> None:
    config = [PJ, {"parseJSON": {"source": "n", "destination": "x"}}]
    assert run(config, '{"n": 5}') == {"n": 5}


def test_output_is_compact_and_keeps_non_ascii() -> None:
    assert Transformer([PJ]).transform('{ "é" : "ü" }') == '{"é":"ü"}'


def test_grok_extra_fields_follow_the_capture() -> None:
    config = [{"grok": {"match": "%{HOSTPORT:hp}"}}]
    assert list(run(config, "example.com:80")) == ["hp", "PORT"]
    assert run(config, "example.com:80") == {"hp": "example.com:80", "PORT": "80"}


def test_grok_quotedstring_drops_quotes_and_syslogprog_adds_pid() -> None:
    config = [{"grok": {"match": "%{QUOTEDSTRING:q} %{SYSLOGPROG}: %{GREEDYDATA:m}"}}]
    assert run(config, '"hi there" sshd[12]: bad') == {
        "q": "hi there",
        "program": "sshd",
        "pid": "12",
        "m": "bad",
    }


def test_grok_syslogfacility() -> None:
    config = [{"grok": {"match": "%{SYSLOGFACILITY} %{WORD:w}"}}]
    assert run(config, "<4.6> x") == {"facility": "4", "priority": "6", "w": "x"}


def test_grok_data_is_lazy_and_does_not_cross_newlines() -> None:
    config = [{"grok": {"match": "%{DATA:a}-%{GREEDYDATA:b}"}}]
    assert run(config, "x-y-z") == {"a": "x", "b": "y-z"}
    assert run(config, "x\n-y") == "x\n-y"
    multi = [{"grok": {"match": "%{WORD:a} %{GREEDYDATA_MULTILINE:b}"}}]
    assert run(multi, "a b\nc") == {"a": "a", "b": "b\nc"}


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("IPV6", "2001:db8::1"),
        ("IPV6", "::ffff:10.0.0.1"),
        ("IP", "fe80::1"),
        ("MAC", "00:1a:2b:3c:4d:5e"),
        ("CISCOMAC", "001a.2b3c.4d5e"),
        ("UUID", "123e4567-e89b-12d3-a456-426614174000"),
        ("ARN", "arn:aws:sqs:us-east-1:123456789012:queue"),
        ("URI", "https://user@example.com:8443/a/b?c=1"),
        ("TIMESTAMP_ISO8601", "2024-01-02T03:04:05.678+01:00"),
        ("HTTPDATE", "10/Oct/2000:13:55:36 -0700"),
        ("SYSLOGTIMESTAMP", "Jan  5 09:30:01"),
        ("LOGLEVEL", "WARNING"),
        ("DATESTAMP_RFC2822", "Sun, 05 Jan 2025 09:30:00 +0000"),
        ("DATESTAMP_EVENTLOG", "20250105093000"),
        ("UNIXPATH", "/var/log/syslog"),
        ("WINPATH", "C:\\Windows\\system32"),
        ("TTY", "/dev/pts/3"),
        ("URN", "urn:isbn:0451450523"),
        ("BASE16NUM", "0x1F"),
        ("NUMBER", "-3.25"),
    ],
)
def test_grok_catalogue_patterns_match_their_examples(pattern: str, text: str) -> None:
    assert run([{"grok": {"match": f"%{{{pattern}:v}}"}}], text) == {"v": text}


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("IPV4", "10.1.2.300"),
        ("ARN", "arn:aws:s3:::bucket"),
        ("ARN", "arn:gcp:x:y:z:w"),
        ("POSINT", "0"),
        ("WORD", "two words"),
        ("UUID", "123e4567-e89b-12d3-a456"),
    ],
)
def test_grok_catalogue_patterns_refuse(pattern: str, text: str) -> None:
    assert run([{"grok": {"match": f"%{{{pattern}:v}}"}}], text) == text


def test_grok_apache_access_log_fixed_fields() -> None:
    line = (
        '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 '
        '"http://example.com/start.html" "Mozilla/4.08"'
    )
    assert run([{"grok": {"match": "%{APACHE_ACCESS_LOG}"}}], line) == {
        "remote_host": "127.0.0.1",
        "auth_user": "frank",
        "timestamp": "2000-10-10T20:55:36.000Z",
        "http_method": "GET",
        "request": "/apache_pb.gif",
        "http_version": "1.0",
        "status_code": 200,
        "response_size": 2326,
        "referrer": "http://example.com/start.html",
        "agent": "Mozilla/4.08",
    }


def test_grok_nginx_access_log_then_greedydata() -> None:
    line = (
        '192.168.1.1 - - [05/Jan/2025:09:30:00 +0000] "POST /api HTTP/1.1" 503 0 "-" "curl/8"'
        " rt=0.5"
    )
    found = run([{"grok": {"match": "%{NGINX_ACCESS_LOG} %{GREEDYDATA:rest}"}}], line)
    assert found["status_code"] == 503
    assert found["rest"] == "rt=0.5"
    assert "auth_user" not in found  # a '-' placeholder is omitted (T6)


def test_grok_syslog5424_omits_the_dash_procid() -> None:
    line = (
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        '[exampleSDID@32473 iut="3"] An application event'
    )
    assert run([{"grok": {"match": "%{SYSLOG5424}"}}], line) == {
        "pri": 165,
        "version": 1,
        "timestamp": "2003-10-11T22:14:15.003Z",
        "hostname": "mymachine.example.com",
        "app": "evntslog",
        "msg_id": "ID47",
        "structured_data": '[exampleSDID@32473 iut="3"]',
        "message": "An application event",
    }


def test_csv_doubled_quote_other_quote_character_and_destination() -> None:
    assert run([{"csv": {}}], '"say ""hi""",x') == {"column_1": 'say "hi"', "column_2": "x"}
    config = [{"csv": {"quoteCharacter": "'", "delimiter": ";", "destination": "r"}}]
    assert run(config, "'a;b';c") == {"r": {"column_1": "a;b", "column_2": "c"}}


def test_csv_surplus_names_are_absent_and_space_delimiter() -> None:
    config = [{"csv": {"delimiter": "\\s", "columns": ["a", "b", "c"]}}]
    assert run(config, "1 2") == {"a": "1", "b": "2"}


def test_parse_key_value_non_match_value_and_duplicates() -> None:
    config = [{"parseKeyValue": {"nonMatchValue": "none"}}]
    assert run(config, "a=1&&flag&a=2") == {"a": "1", "flag": "none"}
    overwrite = [{"parseKeyValue": {"overwriteIfExists": True, "destination": "kv"}}]
    assert run(overwrite, "a=1&a=2") == {"kv": {"a": "2"}}


def test_parse_key_value_without_pairs_stays_unstructured() -> None:
    assert run([{"parseKeyValue": {}}], "nothing here") == "nothing here"


def test_parse_to_ocsf_is_validated_not_emulated() -> None:
    config = [{"parseToOCSF": {"eventSource": "VPCFlow", "ocsfVersion": "V1.1"}}]
    Transformer(config)
    with pytest.raises(TransformerError) as caught:
        test_transformer(config, ["x"])
    assert (caught.value.code, caught.value.processor) == ("unsupported", 0)


# vended-log parsers


def test_parse_vpc_numbers_and_dash_fields() -> None:
    line = "2 123456789010 eni-1 - - - - - - - 1700000000 1700000060 - NODATA"
    assert run([{"parseVPC": {}}], line) == {
        "version": 2,
        "accountId": "123456789010",
        "interfaceId": "eni-1",
        "start": 1700000000,
        "end": 1700000060,
        "logStatus": "NODATA",
    }
    assert run([{"parseVPC": {}}], "not a flow log") == "not a flow log"


def test_parse_route53() -> None:
    line = "1.0 2017-12-13T08:16:02.130Z Z123412341234 example.com A NOERROR UDP FRA6 192.0.2.1 -"
    found = run([{"parseRoute53": {}}], line)
    assert found["version"] == 1.0
    assert found["queryName"] == "example.com"
    assert found["ednsClientSubnet"] == "-"


def test_parse_cloudfront_decodes_and_types() -> None:
    values = ["2019-12-04", "21:02:31", "LAX1", "392", "192.0.2.100", "GET", "d111.net"]
    values += ["/index.html", "200", "-", "Mozilla/5.0%20(Windows)", "-", "-", "Hit"]
    values += ["SOX4xw==", "d111.net", "https", "23", "0.001", "-", "TLSv1.2", "ECDHE"]
    values += ["Hit", "HTTP/2.0"]
    found = run([{"parseCloudfront": {}}], "\t".join(values))
    assert found["sc-bytes"] == 392
    assert found["time-taken"] == 0.001
    assert found["cs(User-Agent)"] == "Mozilla/5.0 (Windows)"
    assert found["cs(Referer)"] == "-"
    assert "sc-range-end" not in found


def test_parse_postgres_keeps_the_six_prefix_fields() -> None:
    line = (
        '2019-03-10 03:54:59 UTC:10.0.0.123(52834):postgres@logs:[20175]:ERROR: column "x" '
        "does not exist"
    )
    assert run([{"parsePostgres": {}}], line) == {
        "logTime": "2019-03-10 03:54:59 UTC",
        "srcIp": "10.0.0.123(52834)",
        "userName": "postgres",
        "dbName": "logs",
        "processId": "20175",
        "logLevel": "ERROR",
    }


def test_parse_waf_headers_and_labels_become_objects() -> None:
    record = {
        "action": "BLOCK",
        "httpRequest": {"headers": [{"name": "Host", "value": "a.com"}], "uri": "/"},
        "labels": [{"name": "awswaf:managed:x"}],
    }
    assert run([{"parseWAF": {}}], json.dumps(record)) == {
        "action": "BLOCK",
        "httpRequest": {"headers": {"Host": "a.com"}, "uri": "/"},
        "labels": {"name": "awswaf:managed:x"},
    }


# mutators


def test_string_mutators() -> None:
    config = [
        PJ,
        {"lowerCaseString": {"withKeys": ["a"]}},
        {"trimString": {"withKeys": ["b.c"]}},
    ]
    assert run(config, '{"a": "MiXed", "b": {"c": "  x \\t"}}') == {"a": "mixed", "b": {"c": "x"}}


def test_substitute_named_groups_and_references() -> None:
    entry = {"source": "d", "from": "(?<y>\\d{4})-(\\d{2})", "to": "$2/${y}"}
    assert run([PJ, {"substituteString": {"entries": [entry]}}], '{"d": "2025-01"}') == {
        "d": "01/2025"
    }


def test_move_keys_onto_a_non_object_is_skipped_and_overwrite() -> None:
    config = [PJ, {"moveKeys": {"entries": [{"source": "a", "target": "t"}]}}]
    assert run(config, '{"a": 1, "t": 5}') == {"a": 1, "t": 5}
    kept = [PJ, {"moveKeys": {"entries": [{"source": "a", "target": "t"}]}}]
    assert run(kept, '{"a": 1, "t": {"a": 2}}') == {"a": 1, "t": {"a": 2}}
    over = [
        PJ,
        {"moveKeys": {"entries": [{"source": "a", "target": "t", "overwriteIfExists": True}]}},
    ]
    assert run(over, '{"a": 1, "t": {"a": 2}}') == {"t": {"a": 1}}


def test_rename_keeps_place_in_nested_object_and_overwrites_when_asked() -> None:
    config = [PJ, {"renameKeys": {"entries": [{"key": "a.b", "renameTo": "z"}]}}]
    assert run(config, '{"a": {"b": 1, "c": 2}}') == {"a": {"c": 2, "z": 1}}
    over = [
        PJ,
        {"renameKeys": {"entries": [{"key": "x", "renameTo": "y", "overwriteIfExists": True}]}},
    ]
    assert run(over, '{"x": 1, "y": 2}') == {"y": 1}


def test_copy_value_metadata_from_keywords_only() -> None:
    config = [PJ, {"copyValue": {"entries": [{"source": "@logGroupName", "target": "g"}]}}]
    assert run(config, '{"a": 1}', log_group="/app/api") == {"a": 1, "g": "/app/api"}
    assert run(config, '{"a": 1}') == {"a": 1}


def test_copy_value_deep_copies() -> None:
    config = [
        PJ,
        {"copyValue": {"entries": [{"source": "o", "target": "p"}]}},
        {"addKeys": {"entries": [{"key": "p.n", "value": "v"}]}},
    ]
    assert run(config, '{"o": {}}') == {"o": {}, "p": {"n": "v"}}


def test_writer_through_a_non_object_is_skipped() -> None:
    config = [PJ, {"addKeys": {"entries": [{"key": "a.b", "value": "v"}]}}]
    assert run(config, '{"a": 1}') == {"a": 1}
    assert run(config, '{"z": 1}') == {"z": 1, "a": {"b": "v"}}


def test_list_to_map_flatten_first_and_existing_target() -> None:
    config = [
        PJ,
        {
            "listToMap": {
                "source": "l",
                "key": "k",
                "valueKey": "v",
                "flatten": True,
                "flattenedElement": "first",
            }
        },
    ]
    assert run(config, '{"l": [{"k": "a", "v": 1}, {"k": "a", "v": 2}, {"v": 3}]}')["a"] == 1


def test_mutators_after_a_failed_parser_still_build_an_event() -> None:
    config = [PJ, {"addKeys": {"entries": [{"key": "team", "value": "pay"}]}}]
    assert run(config, "plain") == {"team": "pay"}


# converters


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("integer", "42", 42),
        ("integer", 4.0, 4),
        ("integer", "abc", "abc"),
        ("double", 3, 3.0),
        ("double", "abc", "abc"),
        ("double", "1e999", "1e999"),
        ("string", True, "true"),
        ("string", 2.5, "2.5"),
        ("boolean", "False", False),
        ("boolean", "yes", "yes"),
        ("boolean", 1, 1),
    ],
)
def test_type_converter(kind: str, value: Any, expected: Any) -> None:
    config = [PJ, {"typeConverter": {"entries": [{"key": "v", "type": kind}]}}]
    result = run(config, json.dumps({"v": value}))["v"]
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("patterns", "text", "extra", "expected"),
    [
        (["yyyy-MM-dd HH:mm:ss"], "2025-01-05 09:30:00", {}, "2025-01-05T09:30:00.000Z"),
        (["dd MMM yyyy"], "05 Jan 2025", {}, "2025-01-05T00:00:00.000Z"),
        (
            ["x", "yyyy-MM-dd'T'HH:mm:ssXXX"],
            "2025-01-05T10:00:00+01:00",
            {},
            "2025-01-05T09:00:00.000Z",
        ),
        (
            ["yyyy-MM-dd HH:mm"],
            "2025-07-01 12:00",
            {"sourceTimezone": "Europe/Paris", "targetFormat": "HH:mm z"},
            "10:00 UTC",
        ),
        (["hh:mm a"], "01:15 PM", {"targetFormat": "HH:mm"}, "13:15"),
        (["yyyy-MM-dd HH:mm:ss.SSS"], "2025-01-05 09:30:00.123", {}, "2025-01-05T09:30:00.123Z"),
    ],
)
def test_date_time_converter(
    patterns: list[str], text: str, extra: dict[str, str], expected: str
) -> None:
    body = {"source": "t", "target": "o", "matchPatterns": patterns, **extra}
    assert run([PJ, {"dateTimeConverter": body}], json.dumps({"t": text}))["o"] == expected


def test_date_time_converter_reads_ascii_digits_only() -> None:
    body = {"source": "t", "target": "o", "matchPatterns": ["yyyy-MM-dd"]}
    assert run([PJ, {"dateTimeConverter": body}], '{"t": "\u0662025-01-05"}') == {
        "t": "\u0662025-01-05"
    }


def test_date_time_converter_no_pattern_reads_changes_nothing() -> None:
    body = {"source": "t", "target": "o", "matchPatterns": ["yyyy"]}
    assert run([PJ, {"dateTimeConverter": body}], '{"t": "soon"}') == {"t": "soon"}


def test_test_transformer_message_count_and_empty_message() -> None:
    with pytest.raises(TransformerError):
        test_transformer([PJ], [])
    with pytest.raises(TransformerError):
        test_transformer([PJ], ["x"] * 51)
    with pytest.raises(TransformerError):
        test_transformer([PJ], [""])
    assert len(test_transformer([PJ], ["x"] * 50)["transformedLogs"]) == 50
