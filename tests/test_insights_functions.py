"""cwquery.insights.run: the scalar functions of spec §5 (I23-I28, I64, I68, I69), one case
each, over one event."""

from __future__ import annotations

from typing import Any

import pytest

from cwquery.insights import run

BASE = 1_709_287_200_000  # 2024-03-01 10:00:00 UTC


def events(*messages: str) -> list[dict[str, Any]]:
    return [
        {"timestamp": BASE + index * 1000, "message": message, "logStreamName": "s"}
        for index, message in enumerate(messages)
    ]


def rows(query: str, source: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {item["field"]: item["value"] for item in row if item["field"] != "@ptr"}
        for row in run(query, source)["results"]
    ]


# --------------------------------------------------------------------------- functions


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("coalesce(nope, 'b', 'c')", "b"),
        ("isblank('  ')", "1"),
        ("concat('a', nope, 1)", "a1"),
        ("ltrim('  a ')", "a "),
        ("substr('abc', 5)", ""),
        ("substr('abc', 1, -1)", ""),
        ("substr('abc', 1)", "bc"),
        ("strlen('héllo')", "5"),
        ("tolower('AbC')", "abc"),
        ("strcontains('Hello', 'ELL', true)", "1"),
        ("strcontains('Hello', 'ELL')", "0"),
        ("startsWith('abc', 'ab')", "1"),
        ("endsWith('abc', 'ab')", "0"),
        ("fromMillis(1709366400000)", "2024-03-02 08:00:00.000"),
        ("datefloor(@timestamp, 1h)", "2024-03-01 10:00:00.000"),
        ("dateceil(@timestamp, 1h)", "2024-03-01 10:00:00.000"),  # on a boundary (I26)
        ("dateceil(fromMillis(toMillis(@timestamp) + 1), 1h)", "2024-03-01 11:00:00.000"),
        ("datefloor(@timestamp, 1w)", "2024-02-26 00:00:00.000"),
        ("datefloor(@timestamp, 1mo)", "2024-03-01 00:00:00.000"),
        ("datefloor(@timestamp, 1q)", "2024-01-01 00:00:00.000"),
        ("datefloor(@timestamp, 1y)", "2024-01-01 00:00:00.000"),
        ("isValidIpV6('::1')", "1"),
        ("isValidIp('999.1.1.1')", "0"),
        ("isIpInSubnet('10.1.2.3', '10.0.0.0/8')", "1"),
        ("isIpv6InSubnet('10.1.2.3', '::/0')", "0"),
        ("isPrivateIP('10.0.0.1')", "1"),
        ("isPublicIP('8.8.8.8')", "1"),
        ('jsonStringify(jsonParse(\'{"a": [1, "é"]}\'))', '{"a":[1,"é"]}'),
        ("jsonParse('[1,2]')[1]", "2"),
        ("round(2.5)", "3"),
        ("round(-2.5)", "-3"),
        ("round(3.14159, 2)", "3.14"),
        ("toInt('-3.9')", "-3"),
        ("toInt('99999999999')", None),
        ("toLong('99999999999')", "99999999999"),
        ("toNumber('x')", None),
        ("case(1 = 2, 'a', 2 = 2, 'b', 'c')", "b"),
        ("case(1 = 2, 'a', 'c')", "c"),
        ("if(nope = 1, 'a', 'b')", "b"),
        ("isNumeric('12.5')", "1"),
        ("messageSize('é')", "2"),
        ("jsonArraySize('[1,2,3]')", "3"),
        ("jsonArraySize('{}')", None),
        ("jsonArrayContains('[\"a\",\"b\"]', 'b')", "1"),
        ("jsonArrayContains('[]', 'b')", "0"),
        ("ipv4ToNumber('1.0.0.1')", "16777217"),
        ("regexReplace('a1b22', '\\\\d+', '#')", "a#b#"),
        ("urlencode('a b/c')", "a%20b%2Fc"),
        ("urldecode('a%20b')", "a b"),
        ("base64encode('hi')", "aGk="),
        ("base64decode('aGk=')", "hi"),
        ("base64decode('***')", None),
        ("jsonStringify(split('a,b', ','))", '["a","b"]'),
        ("hexToDec('0xff')", "255"),
        ("decToHex(-255)", "-0xff"),
        ("hexToAscii('6869')", "hi"),
        ("haversine(0, 0, 0, 1)", "111.19492664455873"),
        ("formatDate(@timestamp, '%Y/%m/%d %H')", "2024/03/01 10"),
        ("parseDate('2024-03-01T10:00:00', \"yyyy-MM-dd'T'HH:mm:ss\")", str(BASE)),
        ("toupper(jsonParse('{\"a\":1}'))", None),
        # §5 functions without a case until now
        ("isValidIpV4('192.0.2.1')", "1"),
        ("isValidIpV4('::1')", "0"),
        ("toDouble('12.50')", "12.5"),
        ("toDouble('1e3')", None),  # I5: no exponent in §3.2 numbers
        ("strftime(@timestamp, '%H:%M')", "10:00"),  # an alias of formatDate
        ("formatDate(@timestamp, '%H:%M', 'Asia/Tokyo')", "19:00"),
        ("isReservedIP('240.0.0.1')", "1"),
        ("isReservedIP('8.8.8.8')", "0"),
        ("isReservedIP('not an ip')", "0"),  # I27
        ("log(-1)", None),  # I14
        ("sqrt(-4)", None),
        ("sqrt(16)", "4"),
        ("isempty('')", "1"),
        ("isempty(nope)", "1"),
        ("isempty(' ')", "0"),
        ("coalesce(nope, other)", None),
    ],
)
def test_function(expr: str, expected: str | None) -> None:
    found = rows(f"fields {expr} as v | display v", events("x"))
    assert found == [{"v": expected} if expected is not None else {}]


def test_period_caps_apply_to_datefloor() -> None:
    """I64: 300s works as 60s."""
    source = events("x")
    source[0]["timestamp"] = BASE + 150_000
    found = rows("fields datefloor(@timestamp, 300s) as v | display v", source)
    assert found == [{"v": "2024-03-01 10:02:00.000"}]


def test_structure_members_and_logfmt() -> None:
    source = events('level=warn msg="disk \\"full\\"" code=7 flag')
    found = rows(
        "parse @message logfmt as m | fields m.level, m.msg, m.code + 1 as c, m.flag", source
    )
    assert found == [{"m.level": "warn", "m.msg": 'disk "full"', "c": "8", "m.flag": ""}]


def test_csv_parse_quotes_and_missing_values() -> None:
    source = events('a,"b,c",""""')
    found = rows("parse @message csv as x, y, z, w | display x, y, z, w", source)
    assert found == [{"x": "a", "y": "b,c", "z": '"'}]


def test_json_command_and_unnest() -> None:
    source = events(
        '{"body": "{\\"user\\": {\\"name\\": \\"ann\\"}, \\"tags\\": [\\"x\\", \\"y\\"]}"}'
    )
    found = rows('json field=body "user.name" as who | display who', source)
    assert found == [{"who": "ann"}]
    found = rows(
        "fields jsonParse(body) as d | fields d.tags as tags | unnest tags into tag | display tag",
        source,
    )
    assert found == [{"tag": "x"}, {"tag": "y"}]


def test_now_and_the_query_window() -> None:
    """§5: now() is the query's start in epoch seconds; queryStartTime/EndTime/TimeRange are
    the window in epoch ms, null where ``run`` is unbounded (I68)."""
    from cwquery.insights import run

    query = (
        "fields now() as n, queryStartTime() as s, queryEndTime() as e, "
        "queryTimeRange() as r | display n, s, e, r"
    )
    bounded = run(query, events("x"), start=BASE // 1000, end=BASE // 1000 + 60)
    row = {item["field"]: item["value"] for item in bounded["results"][0]}
    assert (row["s"], row["e"], row["r"]) == (str(BASE), str(BASE + 60_000), "60000")
    assert row["n"].isdigit() and len(row["n"]) == 10  # seconds, not milliseconds
    assert rows(query.replace("now() as n, ", "").replace("n, ", ""), events("x")) == [{}]
