"""Parsing: which tree each kind of pattern becomes, rule by rule (spec §1-§5, D1-D28)."""

import pytest

from cwquery import PatternError, parse
from cwquery.ast import (
    And,
    AnyIndex,
    AnyKey,
    DelimitedPattern,
    EllipsisField,
    Field,
    FieldCompare,
    Index,
    JsonCompare,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    Key,
    MatchAll,
    Number,
    Operator,
    Or,
    Regex,
    RegexPattern,
    Selector,
    Span,
    String,
    Term,
    TermKind,
    TermPattern,
    TruthTest,
)

R, OPT, X = TermKind.REQUIRED, TermKind.OPTIONAL, TermKind.EXCLUDED


def terms(*items: tuple[str, TermKind]) -> TermPattern:
    return TermPattern(tuple(Term(text, kind) for text, kind in items))


def sel(*names: str) -> Selector:
    return Selector(tuple(Key(name) for name in names))


@pytest.mark.parametrize("text", ["", "   ", "\t\n", '" "', '"   "', '  " "  '])
def test_match_all_forms(text: str) -> None:  # D2
    assert parse(text) == MatchAll()


def test_lone_blank_exclusion_is_not_match_all() -> None:
    assert parse('-" "') == terms((" ", X))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ERROR", terms(("ERROR", R))),
        ("ERROR ARGUMENTS", terms(("ERROR", R), ("ARGUMENTS", R))),
        ("?ERROR ?WARN", terms(("ERROR", OPT), ("WARN", OPT))),
        ("ERROR -ARGUMENTS", terms(("ERROR", R), ("ARGUMENTS", X))),
        ('"INTERNAL SERVER ERROR"', terms(("INTERNAL SERVER ERROR", R))),
        ('"Term1" "Term2"', terms(("Term1", R), ("Term2", R))),
        ('?"Task timed out" -"a b"', terms(("Task timed out", OPT), ("a b", X))),
        ('"\\"foo\\" he said"', terms(('"foo" he said', R))),
        ('"back\\\\slash"', terms(("back\\slash", R))),
        ('"keep \\n as written"', terms(("keep \\n as written", R))),
        ("  ERROR\t\nWARN  ", terms(("ERROR", R), ("WARN", R))),  # D1
        ("request-id-123", terms(("request", R), ("id", X), ("123", X))),  # D5
        ('"foo.bar" "50%" "a?b"', terms(("foo.bar", R), ("50%", R), ("a?b", R))),  # D5
        ('"%x%"', terms(("%x%", R))),  # D6: quoted regex is a phrase
    ],
)
def test_term_patterns(text: str, expected: TermPattern) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"ERROR" - "Exiting"', terms(("ERROR", R), ("Exiting", X))),  # AWS's 2018 page
        ('- "cwlogs.push.publisher"', terms(("cwlogs.push.publisher", X))),  # sent to moto
        ("ERROR - Exiting", terms(("ERROR", R), ("Exiting", X))),
        ('ERROR -\t\n "a b"', terms(("ERROR", R), ("a b", X))),
        ("ERROR- x", terms(("ERROR", R), ("x", X))),  # a '-' at the end of a word
        ("- request-id", terms(("request", X), ("id", X))),
        ("?a - b", terms(("a", OPT), ("b", X))),
    ],
)
def test_detached_minus_excludes_the_next_item(text: str, expected: TermPattern) -> None:  # D4
    assert parse(text) == expected


def test_a_detached_exclusion_spans_from_its_minus() -> None:  # D4
    tree = parse('ERROR -  "a b"')
    assert isinstance(tree, TermPattern) and tree.terms[1].span == Span(6, 14)
    assert tree.terms[1].quoted


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("-", 0),
        ("ERROR -", 6),
        ("ERROR -  ", 6),
        ("ERROR - -x", 6),
        ("ERROR - - x", 6),
        ("ERROR - ?x", 6),
        ("ERROR ?", 6),
        ("? ERROR", 0),
        ('"ERROR"- x', 7),
    ],
)
def test_detached_prefixes_that_stay_errors(text: str, offset: int) -> None:  # D4
    with pytest.raises(PatternError) as info:
        parse(text)
    assert (info.value.code, info.value.offset) == ("syntax", offset)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Malware scan timed out for notification.id",
            terms(
                ("Malware", R),
                ("scan", R),
                ("timed", R),
                ("out", R),
                ("for", R),
                ("notification.id", R),
            ),
        ),
        ("?example.com SERVFAIL", terms(("example.com", OPT), ("SERVFAIL", R))),
        ("/api/v1?a=b 50%", terms(("/api/v1?a=b", R), ("50%", R))),
        ("a?b [ERROR] it's", terms(("a?b", R), ("[ERROR]", R), ("it's", R))),
        ("-x.y-z!", terms(("x.y", X), ("z!", X))),
        ("...", terms(("...", R))),
    ],
)
def test_bare_terms_hold_dots_and_unevidenced_punctuation(
    text: str, expected: TermPattern
) -> None:  # D5, revised 2026-12-07
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "chars", "offset"),
    [
        ("notification.id:", ":", 15),
        ("a/b$c", "$", 3),
        ("x(y)", "()", 1),
        ("a`b@c\\d,e", "`@\\,", 1),
        ("na\u00efve", "\u00ef", 2),
        ("a\x01b", "\x01", 1),
        ("a\x7fb", "\x7f", 1),
    ],
)
def test_characters_the_service_refuses_stay_errors(text: str, chars: str, offset: int) -> None:
    with pytest.raises(PatternError) as info:
        parse(text)
    assert info.value.service_message == f"Invalid character(s) in term '{chars}'"
    assert (info.value.code, info.value.offset) == ("syntax", offset)


def test_quoted_flag_is_kept_but_not_compared() -> None:
    quoted, bare = parse('"ERROR"'), parse("ERROR")
    assert quoted == bare
    assert isinstance(quoted, TermPattern) and quoted.terms[0].quoted
    assert isinstance(bare, TermPattern) and not bare.terms[0].quoted


def test_spans_point_into_the_source_and_do_not_affect_equality() -> None:
    tree = parse("  ERROR -WARN")
    assert isinstance(tree, TermPattern)
    assert tree.terms[0].span == Span(2, 7)
    assert tree.terms[1].span == Span(8, 13)
    assert tree == terms(("ERROR", R), ("WARN", X))


def test_standalone_regex() -> None:
    assert parse("%AUTHORIZED%  ") == RegexPattern(Regex("AUTHORIZED"))


@pytest.mark.parametrize(
    ("text", "selector"),
    [
        ("$.eventType", sel("eventType")),
        ("$.objectList[1].id", Selector((Key("objectList"), Index(1), Key("id")))),
        ("$.coordinates[0][1]", Selector((Key("coordinates"), Index(0), Index(1)))),
        ("$.arrayKey[*]", Selector((Key("arrayKey"), AnyIndex()))),
        ("$.*", Selector((AnyKey(),))),
        ("$.['cluster.name']", sel("cluster.name")),
        ("$.a.['b c'].d", sel("a", "b c", "d")),
        ("$.with-dash_and_9", sel("with-dash_and_9")),
    ],
)
def test_selectors(text: str, selector: Selector) -> None:
    tree = parse(f"{{ {text} NOT EXISTS }}")
    assert tree == JsonPattern(JsonNotExists(selector))


@pytest.mark.parametrize(
    ("value_text", "value"),
    [
        ('"UpdateTrail"', String("UpdateTrail")),
        ("UpdateTrail", String("UpdateTrail")),
        ("123.123.*", String("123.123.*")),  # D11
        ("kms.amazonaws.com", String("kms.amazonaws.com")),
        ("*UnauthorizedOperation", String("*UnauthorizedOperation")),
        ("a:b/c+e-f", String("a:b/c+e-f")),
        ('"a@b"', String("a@b")),  # D11: @ only inside quotes
        ("1", Number("1")),
        ("+1000", Number("+1000")),
        ("-5.5", Number("-5.5")),
        ("10e3", Number("10e3")),
        ("1E-3", Number("1E-3")),  # D22
        ('"400"', String("400")),  # D22: a quoted number is a string
        ("%Trail%", Regex("Trail")),
        ('"%bar%"', String("%bar%")),  # quoted regex is literal text
        ("*", String("*")),
    ],
)
def test_json_values(value_text: str, value: object) -> None:
    assert parse(f"{{ $.a = {value_text} }}") == JsonPattern(
        JsonCompare(sel("a"), Operator.EQ, value)  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("op", ["=", "!=", "<", ">", "<=", ">="])
def test_operators_with_and_without_blanks(op: str) -> None:
    assert parse(f"{{$.a{op}5}}") == parse(f"{{ $.a {op} 5 }}")
    assert parse(f"{{ $.a {op} 5 }}") == JsonPattern(
        JsonCompare(sel("a"), Operator(op), Number("5"))
    )


@pytest.mark.parametrize("test", ["TRUE", "FALSE", "NULL"])
def test_is_tests(test: str) -> None:
    assert parse(f"{{ $.a IS {test} }}") == JsonPattern(JsonIs(sel("a"), TruthTest(test)))


def test_and_binds_tighter_than_or() -> None:
    a, b, c = (JsonCompare(sel(n), Operator.EQ, Number("1")) for n in "abc")
    assert parse("{ $.a = 1 || $.b = 1 && $.c = 1 }") == JsonPattern(Or((a, And((b, c)))))
    assert parse("{ ($.a = 1 || $.b = 1) && $.c = 1 }") == JsonPattern(And((Or((a, b)), c)))


def test_and_or_are_flattened_and_redundant_parentheses_dropped() -> None:
    a, b, c = (JsonCompare(sel(n), Operator.EQ, Number("1")) for n in "abc")
    assert parse("{ (($.a = 1) && ($.b = 1)) && $.c = 1 }") == JsonPattern(And((a, b, c)))
    assert parse("{ $.a = 1 || ($.b = 1 || ($.c = 1)) }") == JsonPattern(Or((a, b, c)))
    assert parse("{ ((($.a = 1))) }") == JsonPattern(a)


def test_cis_style_pattern_without_blanks() -> None:
    tree = parse("{($.eventName=DeleteGroupPolicy)||($.eventName=PutUserPolicy)}")
    assert str(tree) == '{ $.eventName = "DeleteGroupPolicy" || $.eventName = "PutUserPolicy" }'


def test_space_delimited_fields() -> None:
    tree = parse("[ip, user, ..., status_code = 4* && status_code != 403, bytes > 1000,]")
    assert tree == DelimitedPattern(
        (
            Field("ip"),
            Field("user"),
            EllipsisField(),
            Field(
                "status_code",
                And(
                    (
                        FieldCompare(Operator.EQ, String("4*")),
                        FieldCompare(Operator.NE, Number("403")),
                    )
                ),
            ),
            Field("bytes", FieldCompare(Operator.GT, Number("1000"))),
            Field(),
        )
    )


def test_delimited_or_and_precedence() -> None:  # D13
    tree = parse("[w1 = ERROR || w1 = WARN && w1 != x, w2]")
    assert isinstance(tree, DelimitedPattern)
    condition = tree.fields[0].condition  # type: ignore[union-attr]
    assert isinstance(condition, Or) and isinstance(condition.operands[1], And)


@pytest.mark.parametrize(
    ("text", "count"), [("[]", 0), ("[ ]", 0), ("[,]", 2), ("[a,]", 2), ("[...]", 1)]
)
def test_delimited_field_counts(text: str, count: int) -> None:
    tree = parse(text)
    assert isinstance(tree, DelimitedPattern) and len(tree.fields) == count


def test_delimited_values() -> None:
    tree = parse('[a=%127\\.0\\.0\\.[1-9]%, b="*-*", c=-3]')
    assert isinstance(tree, DelimitedPattern)
    assert [f.condition.value for f in tree.fields] == [  # type: ignore[union-attr]
        Regex("127\\.0\\.0\\.[1-9]"),
        String("*-*"),
        Number("-3"),
    ]


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        parse(b"ERROR")  # type: ignore[arg-type]


def test_ast_invariants_are_enforced() -> None:
    a = JsonCompare(sel("a"), Operator.EQ, Number("1"))
    with pytest.raises(ValueError):
        And((a,))
    with pytest.raises(ValueError):
        And((And((a, a)), a))
    with pytest.raises(ValueError):
        Field(None, FieldCompare(Operator.EQ, Number("1")))
    with pytest.raises(ValueError):
        TermPattern(())
    compare = FieldCompare(Operator.EQ, Number("1"))
    with pytest.raises(ValueError):  # || inside && cannot be written in a slot
        Field("a", And((Or((compare, compare)), compare)))


def test_nodes_are_immutable_and_hashable() -> None:
    tree = parse('{ $.a = "x" }')
    assert isinstance(tree, JsonPattern)
    with pytest.raises(AttributeError):
        tree.expr = tree.expr  # type: ignore[misc]  # frozen: assigning is the point of the test
    assert hash(tree) == hash(parse('{$.a="x"}'))
    assert len({tree, parse('{$.a="x"}')}) == 1


def test_str_of_any_node_is_its_canonical_text() -> None:
    tree = parse("{ $.a = x && ($.b > 1 || $.c IS NULL) }")
    assert str(tree) == '{ $.a = "x" && ($.b > 1 || $.c IS NULL) }'
    assert isinstance(tree, JsonPattern) and isinstance(tree.expr, And)
    assert str(tree.expr.operands[1]) == "$.b > 1 || $.c IS NULL"


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        parse("{ $.a = }")
    assert issubclass(PatternError, ValueError)


def test_every_reader_sees_the_detached_exclusion() -> None:  # D4
    """The matcher, TestMetricFilter, explain, the block scanner and the normal form read the
    tree, so a detached '-' excludes for all of them as the attached one does."""
    from cwquery import compile, explain, normalize
    from cwquery.logs.blocks import BlockScanner

    messages = ["ERROR disk full", "ERROR Exiting now", "INFO Exiting", "INFO ok"]
    detached, attached = '"ERROR" - "Exiting"', "ERROR -Exiting"
    assert [compile(detached).matches(m) for m in messages] == [True, False, False, False]
    assert compile(detached).test(messages) == compile(attached).test(messages)
    why = explain(detached, messages[1])
    assert not why.matched and str(why).endswith("-Exiting: found → false")
    block = "\n".join(messages).encode() + b"\n"
    assert BlockScanner(detached).scan(block).matched == 1
    assert normalize(detached) == normalize(attached)
    assert [
        compile('- "cwlogs.push.publisher"').matches(m) for m in ("a", "x cwlogs.push.publisher")
    ] == [True, False]
