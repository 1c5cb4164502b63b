# mypy: disable-error-code="arg-type,list-item,type-var"
# (this file passes wrong argument types on purpose)
"""Library calls given the wrong types say which type they expect."""

from __future__ import annotations

from typing import Any

import pytest

import cwquery


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: cwquery.compile(b"ERROR"), "compile() expects the pattern as str"),
        (lambda: cwquery.matches(b"ERROR", "ERROR x"), "not bytes; decode the bytes first"),
        (lambda: cwquery.matches("ERROR", b"ERROR x"), "matches() expects the message as str"),
        (lambda: cwquery.matches("ERROR", None), "matches() expects the message as str, not None"),
        (lambda: cwquery.explain("ERROR", None), "explain() expects the message as str"),
        (lambda: cwquery.test_metric_filter("ERROR", "ERROR x"), "not one str"),
        (lambda: cwquery.test_metric_filter("ERROR", [1]), "expects the message as str, not int"),
        (
            lambda: list(cwquery.compile("x").filter([{"msg": "x"}])),
            "filter() expects str messages or mappings with a str 'message'",
        ),
    ],
)
def test_wrong_argument_types_name_the_expected_type(call: Any, text: str) -> None:
    with pytest.raises(TypeError, match=text.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_right_types_still_work() -> None:
    assert cwquery.matches("ERROR", "ERROR x")
    assert list(cwquery.compile("x").filter(["x", {"message": "x y"}, "y"])) == [
        "x",
        {"message": "x y"},
    ]


def test_builder_errors_show_the_selector_that_was_written() -> None:
    from cwquery import builder
    from cwquery.errors import PatternError

    with pytest.raises(PatternError) as caught:
        builder.is_null("status")
    assert caught.value.pattern == "status"
    assert "NOT EXISTS" not in str(caught.value)
    assert "hint: selectors start with '$.': write $.status" in str(caught.value)
