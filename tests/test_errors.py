"""Error reports: stable codes, positions, the caret layout and hints for common mistakes."""

import re

import pytest

from cwquery import PatternError, PatternLimitError, PatternSyntaxError, RegexError, parse


def error_of(text: str) -> PatternError:
    with pytest.raises(PatternError) as info:
        parse(text)
    return info.value


def test_layout_is_message_position_source_caret_hint() -> None:
    err = error_of('{ $.level == "ERROR" }')
    assert str(err) == (
        "unexpected '='; expected a quoted string, a %regex% or a value (line 1, column 12)\n"
        '  { $.level == "ERROR" }\n'
        "             ^\n"
        "hint: comparisons use a single '=': write $.field = value"
    )
    assert (err.code, err.offset, err.line, err.column) == ("syntax", 11, 1, 12)
    assert err.pattern == '{ $.level == "ERROR" }'
    assert err.service_message == "Invalid filter pattern"


def test_caret_spans_the_offending_token() -> None:
    err = error_of("{ $.a = 1 AND $.b = 2 }")
    assert str(err).splitlines()[2] == "  " + " " * 10 + "^^^"


def test_line_and_column_on_multi_line_patterns() -> None:
    err = error_of("{\n  $.a = 1\n  && $.b == 2\n}")
    assert (err.line, err.column) == (3, 11)
    assert str(err).splitlines()[1] == "    && $.b == 2"
    assert str(err).splitlines()[2] == "  " + " " * 10 + "^"


def test_long_lines_are_cut_around_the_caret() -> None:
    text = "{ " + " && ".join(f"$.field{i} = {i}" for i in range(40)) + " && $.x == 1 }"
    lines = str(error_of(text)).splitlines()
    assert lines[1].startswith("  ...") and len(lines[1]) < 90
    caret = lines[2].index("^")
    assert lines[1][caret : caret + 1] == "="


def test_end_of_input_points_after_the_last_character() -> None:
    err = error_of("{ $.a = 1 &&   ")
    assert err.offset == len("{ $.a = 1 &&")
    err = error_of("ERROR -")
    assert err.offset == 6


@pytest.mark.parametrize(
    ("text", "hint_part"),
    [
        ("{ $.a = 1 AND $.b = 2 }", "&&"),
        ("{ $.a = 1 OR $.b = 2 }", "||"),
        ("{ $.a = 1 and $.b = 2 }", "&&"),
        ("{ $.a = 1 & $.b = 2 }", "&&"),
        ("{ $.a == 1 }", "single '='"),
        ("{ $.a = 'x' }", "double quotes"),
        ("{$.userIdentity.type = 'Root'}", "double quotes"),
        ("{ level = 1 }", "write $.level"),
        ("{ $.a EXISTS }", "$.field = *"),  # D21
        ("{ $.a IS NOT NULL }", "NOT EXISTS"),  # D21
        ("{ $.a is null }", "upper case"),  # D18
        ("{ $.a IS null }", "upper case"),
        ("{ $.a not exists }", "upper case"),
        ("{ $.a = 1", "never closed"),
        ("{ ($.a = 1 }", "'(' is never closed"),
        ("{ $.a = 1) }", "no matching '('"),
        ("{ $.a = 1 }}", "no matching '{'"),
        ("[a, b", '"[ERROR]"'),
        ("%a(b)%", "\\x28"),
        ("{ $.a = %x(y)% }", "\\x28"),
        ('"open', "never closed"),
        ("ERROR - -x", "excludes the term or phrase after it"),  # D4
        ("ERROR -", "cannot stand before nothing"),
        ("ERROR ?", "directly before"),
        ("ERROR %x%", "whole pattern"),  # D6
        ('{ $.["a"] = 1 }', "single quotes"),  # D7
        ("{ $.a = b!c }", "double quotes"),  # D11
        ("{}", "at least one condition"),
        ("{ $.a = }", "value is missing"),
        ("{ $.a = || $.b = 1 }", "value is missing"),
        ("[a = , b]", "value is missing"),
        ("{ $.a > abc }", "numbers"),  # D12
        ("[a = 1 && b = 2]", "its own field"),  # D13
    ],
)
def test_hints_for_common_mistakes(text: str, hint_part: str) -> None:
    err = error_of(text)
    assert err.hint is not None and hint_part in err.hint, str(err)


@pytest.mark.parametrize(
    ("text", "error_class", "service_message"),
    [
        (
            "{ $.a = 1",
            PatternSyntaxError,
            "If a filter pattern starts with '{' it must end with '}'",
        ),
        ("[a, ..., b, ...]", PatternLimitError, "Duplicate field '...'"),
        ("%something!%", RegexError, "Invalid character(s) in term '!'"),  # D17
        ("“ERROR”", PatternSyntaxError, "Invalid character(s) in term '“”'"),
        ("[a = %(x)%]", RegexError, "Invalid character(s) in term '('"),
        ('""', PatternSyntaxError, "Invalid character(s) in term '\"\"'"),  # D2
        ("?Status: timeout", PatternSyntaxError, "Invalid character(s) in term ':'"),  # D5
        ("{ $.a == 1 }", PatternSyntaxError, "Invalid filter pattern"),
    ],
)
def test_service_texts(text: str, error_class: type, service_message: str) -> None:
    err = error_of(text)
    assert type(err) is error_class
    assert err.service_message == service_message


@pytest.mark.parametrize(
    ("text", "code", "offset"),
    [
        ("%something!%", "invalid-regex", 10),
        ("%ab\\qc%", "invalid-regex", 3),
        ("%a\\x4%", "invalid-regex", 2),
        ("%[a%", "invalid-regex", 1),
        ("%%", "invalid-regex", 1),
        ("%é%", "invalid-regex", 1),
        ("x" * 1025, "limit", 1024),
        ("{ $.a[*].b.* = 1 }", "limit", 2),
        ("{ $.a = %x% && $.b = %y% || $.c != %z% }", "limit", 35),
        ("[a = %x%, b = %y%, c = %z%]", "limit", 23),
        ("{ $.a[*] = 1 && $.b[*] = 1 && $.c.* = 1 && $.d[*] = 1 }", "limit", 43),
        ("[..., a, ...]", "limit", 9),
        ("ERR\u0001OR", "syntax", 3),
    ],
)
def test_codes_and_offsets(text: str, code: str, offset: int) -> None:
    err = error_of(text)
    assert (err.code, err.offset) == (code, offset)


def test_limits_allow_exactly_the_quota() -> None:
    parse("x" * 1024)
    parse("{ $.a = %x% && $.b = %y% }")
    parse("{ $.a[*] = 1 && $.b[*] = 1 && $.c.* = 1 && $.d = 1 }")


_LARK_WORDS = re.compile(r"\$END|__ANON|LPAR|RPAR|LBRACE|RBRACE|LSQB|RSQB|COMMA|Token\(|lark")


@pytest.mark.parametrize(
    "text",
    [
        "{ (",
        "{ $.a",
        "{ $.a = 1 ||",
        "[a,",
        "[a b]",
        "[a = 1 b]",
        "{ $.a IS }",
        "{ ) }",
        "%",
        "[a=]",
        "{ $.a[x] = 1 }",
        "{ $. = 1 }",
        "[a, b] c",
        "{ $.a = 1 } x",
    ],
)
def test_no_parser_internals_reach_the_user(text: str) -> None:
    err = error_of(text)
    assert not _LARK_WORDS.search(str(err)), str(err)
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


def test_to_dict_is_json_ready() -> None:
    info = error_of("{ $.a == 1 }").to_dict()
    assert info["code"] == "syntax" and info["line"] == 1 and info["column"] == 8
    assert set(info) == {
        "code",
        "message",
        "offset",
        "line",
        "column",
        "hint",
        "serviceMessage",
        "pattern",
    }
