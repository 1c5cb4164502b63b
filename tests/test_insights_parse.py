"""cwquery.insights.parse: one test per command form and per rejection, with the exact texts,
and the Logs Insights compliance files (tests/compliance/insights) run through the parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cwquery import CWQueryError, PatternError
from cwquery.insights import InsightsQueryError, QueryError, parse, render
from cwquery.insights import tree as t

SUITE = Path(__file__).parent / "compliance" / "insights"
SCHEMA = json.loads((SUITE / "schema.json").read_text(encoding="utf-8"))
FILES = sorted(path for path in SUITE.glob("*.json") if path.name != "schema.json")


def _cases() -> list[Any]:
    found = []
    for path in FILES:
        for number, case in enumerate(json.loads(path.read_text(encoding="utf-8"))["cases"]):
            label = case.get("id") or f"{path.stem}[{number}]"
            found.append(pytest.param(case, id=label))
    return found


def error_of(query: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        parse(query)
    return caught.value


# --------------------------------------------------------------------------- compliance


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_compliance_file_follows_the_schema(path: Path) -> None:
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), SCHEMA)


@pytest.mark.parametrize("case", _cases())
def test_compliance_case(case: dict[str, Any]) -> None:
    if "error" in case:
        err = error_of(case["query"])
        assert (err.code, err.offset) == (case["error"], case["offset"])
        if "serviceMessage" in case:
            assert err.service_message.startswith(case["serviceMessage"])
        return
    tree = parse(case["query"])
    assert render(tree) == case["canonical"]
    assert parse(case["canonical"]) == tree


def test_every_worked_example_is_a_case() -> None:
    examples = json.loads((SUITE / "examples.json").read_text(encoding="utf-8"))
    assert [case["id"] for case in examples["cases"]] == [
        f"W{n}" for n in (*range(1, 31), *range(32, 37), 39, 41, 42, 31, 37, 38, 40)
    ]
    sets = examples["eventSets"]
    assert all(case["events"] in sets for case in examples["cases"] if "events" in case)


# --------------------------------------------------------------------------- the error type


def test_query_error_is_a_pattern_error_under_the_root() -> None:
    err = error_of("fields")
    assert isinstance(err, PatternError) and isinstance(err, CWQueryError)
    assert InsightsQueryError is QueryError


def test_error_carries_line_column_caret_and_hint() -> None:
    err = error_of("fields a\n| feilds b")
    assert (err.line, err.column, err.offset) == (2, 3, 11)
    assert str(err) == (
        "unexpected 'feilds': a command name was expected (line 2, column 3)\n"
        "  | feilds b\n"
        "    ^^^^^^\n"
        "hint: did you mean fields?"
    )


# --------------------------------------------------------------------------- commands


def test_fields_with_aliases_backticks_and_system_fields() -> None:
    query = parse("fields @timestamp, `foo-bar` as fb, user.id")
    (command,) = query.commands
    assert command == t.Fields(
        (
            t.Item(t.Field("@timestamp")),
            t.Item(t.Field("foo-bar"), "fb"),
            t.Item(t.Field("user.id")),
        )
    )
    assert [item.column for item in command.items] == ["@timestamp", "fb", "user.id"]


def test_display_keeps_expressions_and_aliases() -> None:
    (command,) = parse('DISPLAY msg, type = "ERROR" as isError').commands
    assert command == t.Display(
        (
            t.Item(t.Field("msg")),
            t.Item(t.Compare("=", t.Field("type"), t.String("ERROR")), "isError"),
        )
    )


def test_filter_where_and_filter_index() -> None:
    assert parse("where a = 1") == parse("filter a == 1")
    assert parse("filterIndex a = 1").commands[0] == t.Filter(
        t.Compare("=", t.Field("a"), t.Number("1")), index=True
    )


def test_stats_items_and_groups_keep_their_written_text() -> None:
    (stats,) = parse("stats count( * ) , avg(ms) as a by bin(5m), level").commands
    assert isinstance(stats, t.Stats)
    assert [item.column for item in stats.items] == ["count( * )", "a"]
    assert [item.column for item in stats.by] == ["bin(5m)", "level"]
    assert stats.by[0].expr == t.Call("bin", (t.Period(5, "m"),))


def test_sort_directions_and_sort_by() -> None:
    (sort,) = parse("sort by a, b DESC, c asc").commands
    assert sort == t.Sort(
        (t.SortKey(t.Field("a")), t.SortKey(t.Field("b"), True), t.SortKey(t.Field("c")))
    )


def test_limit_head_tail_and_limit_any() -> None:
    assert [parse(q).commands[0] for q in ("limit 5", "head 5", "limit any 5", "tail 5")] == [
        t.Limit(5),
        t.Limit(5),
        t.Limit(5, "any"),
        t.Limit(5, "tail"),
    ]


def test_dedup_followed_by_limit() -> None:
    assert parse("dedup a, b | limit 3").commands[0] == t.Dedup((t.Field("a"), t.Field("b")))


def test_parse_glob_regex_logfmt_csv() -> None:
    glob, regex, multi, logfmt, csv = parse(
        'parse "[*] *" as a, b | parse msg /(?<c>\\d+)/ | parse /(x)/ as d multi'
        " | parse logfmt as m | parse body csv as e, f"
    ).commands
    assert glob == t.Parse("glob", None, t.String("[*] *"), ("a", "b"))
    assert regex == t.Parse("regex", t.Field("msg"), t.Regex("(?<c>\\d+)"))
    assert multi == t.Parse("regex", None, t.Regex("(x)"), ("d",), multi=True)
    assert logfmt == t.Parse("logfmt", None, None, ("m",))
    assert csv == t.Parse("csv", t.Field("body"), None, ("e", "f"))


def test_json_and_unnest() -> None:
    json_command, unnest = parse('json field=p "user.name" as u | unnest m.users into x').commands
    assert json_command == t.Json(t.Field("p"), "user.name", "u")
    assert unnest == t.Unnest(t.Field("m.users"), "x")


def test_commands_not_run_locally_are_parsed_and_listed() -> None:
    query = parse("SOURCE logGroups(namePrefix: ['a|b']) | unmask(@message) | pattern @message")
    assert [(c.name, c.text) for c in query.unsupported] == [
        ("source", "logGroups(namePrefix: ['a|b'])"),
        ("unmask", "(@message)"),
        ("pattern", "@message"),
    ]


def test_source_within_its_documented_limits() -> None:
    accounts = ", ".join(f"'{n:012}'" for n in range(20))
    parse(
        f"SOURCE logGroups(namePrefix: ['a', 'b', 'c', 'd', 'e'], accountIdentifiers: [{accounts}])"
    )


def test_a_dashboard_source_string_is_a_source_command() -> None:
    query = parse("SOURCE '/aws/lambda/app' | fields @message")
    assert query.unsupported == (t.Opaque("source", "'/aws/lambda/app'"),)


# --------------------------------------------------------------------------- expressions


def test_precedence_of_section_3_1() -> None:
    (fields,) = parse("fields -2 ^ 2, 2 + 3 * 4, not a = 1 and b or c").commands
    assert isinstance(fields, t.Fields)
    power, arithmetic, logic = (item.expr for item in fields.items)
    assert power == t.Negate(t.Binary("^", t.Number("2"), t.Number("2")))
    assert arithmetic == t.Binary("+", t.Number("2"), t.Binary("*", t.Number("3"), t.Number("4")))
    assert logic == t.Binary(
        "or",
        t.Binary("and", t.Not(t.Compare("=", t.Field("a"), t.Number("1"))), t.Field("b")),
        t.Field("c"),
    )


def test_power_is_right_associative() -> None:
    expr = parse("fields 2 ^ 3 ^ 2").commands[0].items[0].expr  # type: ignore[union-attr]
    assert expr == t.Binary("^", t.Number("2"), t.Binary("^", t.Number("3"), t.Number("2")))


def test_like_in_and_regex_match() -> None:
    (command,) = parse('filter a not like "x" and b =~ /y/ and c not in [1, "z"]').commands
    assert [
        type(node).__name__ for node in t.walk(command) if isinstance(node, (t.Like, t.In))
    ] == [
        "Like",
        "Like",
        "In",
    ]
    assert parse("filter b =~ /y/") == parse("filter b like /y/")


def test_division_after_a_backticked_field_is_not_a_regex() -> None:
    (command,) = parse("fields `a-b` / 2 / `c`").commands
    assert command == t.Fields(
        (t.Item(t.Binary("/", t.Binary("/", t.Field("a-b"), t.Number("2")), t.Field("c"))),)
    )


def test_strings_escapes_and_hash_inside_literals() -> None:
    (command,) = parse("filter a = 'it\\'s # \\d\\n' # a comment").commands
    assert command == t.Filter(t.Compare("=", t.Field("a"), t.String("it's # \\d\n")))


def test_member_and_index_access() -> None:
    items = parse("fields m.`user.id`, m.users[1].action, jsonParse(s).k").commands[0].items  # type: ignore[union-attr]
    assert [item.expr for item in items] == [
        t.Access(t.Field("m"), "user.id"),
        t.Access(t.Access(t.Field("m.users"), 1), "action"),
        t.Access(t.Call("jsonParse", (t.Field("s"),)), "k"),
    ]


def test_function_names_are_case_insensitive_and_keep_one_spelling() -> None:
    assert parse("fields ISPRESENT(a), isPresent(a)") == parse("fields ispresent(a), ispresent(a)")
    assert str(parse("fields TOMILLIS(@timestamp)")) == "fields toMillis(@timestamp)"


def test_true_false_are_literals_and_backticks_make_them_fields() -> None:
    (command,) = parse("filter `true` = TRUE").commands
    assert command == t.Filter(t.Compare("=", t.Field("true"), t.Boolean(True)))


def test_keywords_of_other_places_are_plain_field_names() -> None:
    query = parse("filter source = 1 and fields = 2 and limit = 3 | fields stats")
    assert [node.name for node in t.walk(query) if isinstance(node, t.Field)] == [
        "source",
        "fields",
        "limit",
        "stats",
    ]


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ("", "syntax", "the query is empty"),
        ("fields a |", "syntax", "the query ends too early; expected a command"),
        ("fields (a", "syntax", "the query ends too early; expected ')'"),
        ("fields a | count(*)", "syntax", "unexpected 'count': a command name was expected"),
        ("fields a | | limit 1", "syntax", "a command is missing between two '|'"),
        ('filter a = "x', "syntax", "unexpected character '\"'"),
        (
            "fields 1e3",
            "syntax",
            "unexpected 'e3'; expected an operator, ')', ',', ']', 'as', 'asc', 'by', …",
        ),
        ("limit 2.5", "syntax", "limit takes a whole number, not 2.5"),
        ("limit 0", "limit", "limit must be between 1 and 100,000, not 0"),
        ("fields nope(a)", "syntax", "unknown function 'nope'"),
        ("fields substr(a)", "syntax", "substr() takes 2 to 3 arguments, not 1"),
        (
            "fields count(a)",
            "syntax",
            "count() is an aggregate function; it is only valid in stats",
        ),
        ("fields bin(a)", "syntax", "argument 1 of bin() is a time period such as 5m or 1h"),
        (
            "fields strlen(5m)",
            "syntax",
            "a time period is only valid in bin(), datefloor() and dateceil()",
        ),
        ("fields strlen(*)", "syntax", "'*' is only valid in count(*)"),
        ("stats pct(a, 120)", "syntax", "the percentile of pct() is a number from 0 to 100"),
        (
            "stats level",
            "syntax",
            "the field 'level' is used in stats outside an aggregate function",
        ),
        ("stats count(*) by max(a)", "syntax", "max() aggregates; it cannot group rows after by"),
        ('filter isIpInSubnet(a, "300.0.0.0/8")', "syntax", "'300.0.0.0/8' is not a CIDR block"),
        (
            'fields regexReplace(a, "(", "")',
            "invalid-regex",
            "the regex is not valid RE2: missing ): (",
        ),
        (
            "filter a like /(?=x)/",
            "invalid-regex",
            "the regex is not valid RE2: invalid perl operator: (?=",
        ),
        ('parse "* *" as a', "syntax", "the pattern has 2 '*' but 1 alias follow as"),
        ("parse /(a)(b)/ as x", "syntax", "the regex has 2 capturing groups but 1 alias follow as"),
        ("parse /a/", "syntax", "a regex parse needs named groups (?<name>…) or an as list"),
        ("fields a = /x/", "syntax", "a /regex/ is only valid after like or =~, and in parse"),
        (
            "fields a as b | fields c as b",
            "redefined",
            "the field 'b' is already defined by this query",
        ),
        (
            "parse /(?<x>a)/ | stats count(*) as x",
            "redefined",
            "the field 'x' is already defined by this query",
        ),
        ("dedup a | filter a = 1", "syntax", "only limit may follow dedup"),
        (
            "stats count(*) as a | stats count(*) as b | stats count(*) as c",
            "syntax",
            "a query may hold at most two stats commands",
        ),
        (
            "stats count(*) as a | limit 5 | stats sum(a)",
            "syntax",
            "with two stats commands, limit must come after the second",
        ),
        (
            "stats count(*) as a by k | filter m = 1 | stats sum(a)",
            "syntax",
            "'m' is not a field of the first stats' rows",
        ),
        ("unmask(@message", "syntax", "'(' is not closed"),
        (
            "SOURCE logGroups(namePrefix: ['a', 'b', 'c', 'd', 'e', 'f'])",
            "limit",
            "SOURCE logGroups() takes at most 5 namePrefix values, not 6",
        ),
        ("fields ``", "syntax", "a `field name` cannot be empty"),
        (
            "x" * 10_001,
            "limit",
            "the query is 10001 characters long; the service takes at most 10000",
        ),
    ],
)
def test_rejections_and_their_messages(query: str, code: str, message: str) -> None:
    err = error_of(query)
    assert (err.code, err.message) == (code, message)


def test_redefinition_has_the_service_text_with_its_character_range() -> None:
    err = error_of("fields a as b | fields c as b")
    assert err.service_message == "Ephemeral field is already defined: b ([23,29])"


def test_system_and_discovered_fields_may_be_relisted_and_overwritten() -> None:
    parse("fields @message, level | fields @message, level | parse @message '* *' as level, x")


def test_a_named_group_repeated_as_its_alias_is_one_definition() -> None:
    parse("parse /(?<who>\\w+)/ as who | display who")


def test_aggregates_after_a_stats_name_its_columns() -> None:
    parse("stats count(*) by level | sort count(*) desc | display level, count(*)")


def test_two_stats_may_use_what_the_first_produced() -> None:
    parse(
        "stats count(*) as c by bin(5m) as @t | fields c * 2 as d"
        " | stats max(d) by dateceil(@t, 10m)"
    )
    parse("stats max(@timestamp) as @timestamp | stats count(*) by bin(1h)")
    assert error_of("stats count(*) as c by k | stats count(*) by bin(1h)").message.startswith(
        "bin() in the second stats reads @timestamp"
    )


def test_the_command_line_starts_without_the_insights_grammar() -> None:
    code = (
        "import sys, cwquery.cli, cwquery.iac.scan, cwquery.iac.findings; "
        "print(sorted(m for m in sys.modules if m.startswith(('cwquery.insights', 'lark'))))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert shown.stdout.strip() == "[]"
