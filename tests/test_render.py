"""Canonical rendering."""

import pytest

from cwquery import parse, render
from cwquery.ast import (
    And,
    Field,
    FieldCompare,
    JsonCompare,
    JsonPattern,
    Key,
    Number,
    Operator,
    Or,
    Selector,
    String,
)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ('" "', ""),
        ('"ERROR"', "ERROR"),
        ('ERROR   "a b"\t-c ?"d"', 'ERROR "a b" -c ?d'),
        ('"foo.bar"', "foo.bar"),
        ("notification.id", "notification.id"),
        ("a/b", '"a/b"'),
        ('"say \\"hi\\""', '"say \\"hi\\""'),
        ("request-id", "request -id"),
        ("%a|b%  ", "%a|b%"),
        ("{$.a=1}", "{ $.a = 1 }"),
        ("{ $.a = +1.50e3 }", "{ $.a = +1.50e3 }"),
        ("{ $.a = bar }", '{ $.a = "bar" }'),
        ("{ $.['a.b'] = 1 }", "{ $.['a.b'] = 1 }"),
        ("{ $.['ab'] = 1 }", "{ $.ab = 1 }"),
        ("{ ($.a = 1) || ($.b = 2) }", "{ $.a = 1 || $.b = 2 }"),
        ("{ ($.a = 1 || $.b = 2) && $.c = 3 }", "{ ($.a = 1 || $.b = 2) && $.c = 3 }"),
        ("{ $.a = 1 && ($.b = 2 && $.c = 3) }", "{ $.a = 1 && $.b = 2 && $.c = 3 }"),
        ("{ $.x[*] != %a.b% }", "{ $.x[*] != %a.b% }"),
        ("{ $.a IS TRUE || $.b NOT EXISTS }", "{ $.a IS TRUE || $.b NOT EXISTS }"),
        ("[ip,user,...,status=4*,bytes>1000]", '[ip, user, ..., status = "4*", bytes > 1000]'),
        (
            "[..., request=*.html*, status_code=4*,]",
            '[..., request = "*.html*", status_code = "4*",]',
        ),
        ("[,a,,]", "[, a, ,]"),
        ("[ ]", "[]"),
        ("[w1=ERROR||w1=WARN&&w1!=x]", '[w1 = "ERROR" || w1 = "WARN" && w1 != "x"]'),
    ],
)
def test_canonical_forms(text: str, canonical: str) -> None:
    assert render(parse(text)) == canonical
    assert parse(canonical) == parse(text)


def test_built_trees_render() -> None:
    a = JsonCompare(Selector((Key("a"),)), Operator.EQ, String("x"))
    b = JsonCompare(Selector((Key("b"),)), Operator.GT, Number("1"))
    assert render(JsonPattern(And((Or((a, b)), a)))) == '{ ($.a = "x" || $.b > 1) && $.a = "x" }'
    assert render(Field("f", FieldCompare(Operator.NE, String("y")))) == 'f != "y"'


def test_render_rejects_foreign_objects() -> None:
    with pytest.raises(TypeError):
        render("ERROR")  # type: ignore[arg-type]
