"""explain(): structured and readable, and its per-condition checks combine to its verdict."""

from __future__ import annotations

import itertools

import fastpath_strategies
import pytest
import reference
from hypothesis import event, given, reject
from hypothesis import strategies as st
from strategies import patterns
from test_evaluator import messages

import cwquery
from cwquery import PatternError, compiler, explain, parse, render
from cwquery import explanation as explaining
from cwquery.ast import (
    And,
    DelimitedPattern,
    JsonCompare,
    JsonPattern,
    Key,
    MatchAll,
    Node,
    Number,
    Operator,
    Or,
    Pattern,
    RegexPattern,
    Selector,
    TermKind,
    TermPattern,
    walk,
)
from cwquery.explanation import Check, Explanation


def test_json_explanation_shows_values_found() -> None:
    result = explain(
        '{ $.latency > 1000 && $.level = "ERROR" }', '{"latency": 50, "level": "ERROR"}'
    )
    assert not result.matched
    group = result.checks[0]
    assert group.condition == "all of" and group.result is False
    assert [(c.condition, c.found, c.result) for c in group.children] == [
        ("$.latency > 1000", "50", False),
        ('$.level = "ERROR"', '"ERROR"', True),
    ]
    assert "$.latency > 1000: 50 → false" in str(result)


def test_missing_and_not_json_are_named() -> None:
    assert "missing → false" in str(explain("{ $.x = 1 }", '{"y": 1}'))
    text = str(explain("{ $.x = 1 }", "plain text"))
    assert "not a JSON object" in text and text.startswith("no match")


def test_term_explanation_marks_ignored_optional_terms() -> None:  # D3
    result = explain("?ERROR ?ARGUMENTS REQUEST", "[INFO] REQUEST FAILED")
    assert result.matched
    assert any("ignored" in note for note in result.notes)
    assert [c.result for c in result.checks] == [True, None, None]


def test_delimited_explanation_shows_token_values() -> None:
    line = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /x HTTP/1.0" 404 1534'
    text = str(explain("[ip, id, user, timestamp, request, status_code = 4*, bytes > 2000]", line))
    assert 'status_code = "4*": "404" → true' in text
    assert 'bytes > 2000: "1534" → false' in text
    short = explain("[a, b, c]", "x y")
    assert "2 tokens" in short.notes[0]


def test_regex_explanation_shows_the_match() -> None:
    assert 'matched "ERROR" at 3' in str(explain("%ERR.R%", "an ERROR here"))


def test_to_dict() -> None:
    data = explain("{ $.a = 1 }", '{"a": 1}').to_dict()
    assert data["matched"] is True
    assert data["checks"] == [{"condition": "$.a = 1", "found": "1", "result": True}]


# ------------------------------------------------------------------ checks combine to the verdict
# The recombination below reads only the leaves of the explanation (what each condition found,
# or its result) and combines them by the syntax tree's own structure: the term rule (D3), the
# and/or of JSON expressions, every field of a delimited pattern. Each leaf is also checked
# against the reference interpretation, so that two wrong leaves cannot cancel out.


def _terms(tree: TermPattern, checks: tuple[Check, ...], message: str) -> bool:
    by_condition = {check.condition: check for check in checks}
    assert set(by_condition) == {render(term) for term in tree.terms}
    counted = [t for t in tree.terms if t.kind is not TermKind.OPTIONAL]
    leaves = []
    for term in counted or tree.terms:
        check = by_condition[render(term)]
        assert check.found in ("found", "not found")
        found = check.found == "found"
        assert found is (term.text in message)
        leaf = found is not (term.kind is TermKind.EXCLUDED)  # a -term holds when absent
        assert check.result is leaf
        leaves.append(leaf)
    if counted:  # D3: ?terms beside plain or -terms are not looked for
        optional = [t for t in tree.terms if t.kind is TermKind.OPTIONAL]
        assert all(by_condition[render(t)].result is None for t in optional)
        return all(leaves)
    return any(leaves)


def _json(node: Node, check: Check, document: object) -> bool:
    """Walk the JSON expression and its check tree together; return the recombined result."""
    if isinstance(node, And | Or):
        assert check.condition == ("all of" if isinstance(node, And) else "any of")
        assert len(check.children) == len(node.operands)
        results = [
            _json(o, c, document) for o, c in zip(node.operands, check.children, strict=True)
        ]
        combined = all(results) if isinstance(node, And) else any(results)
        assert check.result is combined, check  # the group's own result agrees with its parts
        return combined
    assert not check.children and check.condition == render(node)
    leaf = reference.json_condition(node, document)
    assert check.result is leaf, (render(node), document)
    return leaf


def _delimited(tree: DelimitedPattern, checks: tuple[Check, ...], message: str) -> bool:
    assigned = reference.field_values(tree, message)
    if assigned is None:  # fewer tokens than the pattern has fields
        assert checks == ()
        return False
    conditioned = [(f, v) for f, v in assigned if f.condition is not None]
    assert [c.condition for c in checks] == [render(f) for f, _ in conditioned]
    for check, (field, value) in zip(checks, conditioned, strict=True):
        assert check.result is reference.field_condition(field.condition, value), (check, value)
    return all(check.result is True for check in checks)


def recombined(tree: Pattern, explanation: Explanation, message: str) -> bool:
    """The verdict the explanation's leaves give when combined by ``tree``'s structure."""
    checks = explanation.checks
    event(f"kind: {type(tree).__name__}")
    if isinstance(tree, MatchAll):
        assert checks == ()
        return True
    if isinstance(tree, RegexPattern):
        (check,) = checks
        assert check.condition == render(tree.regex)
        found = check.found != "no match"
        assert check.result is found
        return found
    if isinstance(tree, TermPattern):
        return _terms(tree, checks, message)
    if isinstance(tree, JsonPattern):
        document = reference.read_json(message)
        if not isinstance(document, dict):
            assert checks == ()
            event("JSON pattern on a message that is not JSON")
            return False
        (check,) = checks
        return _json(tree.expr, check, document)
    assert isinstance(tree, DelimitedPattern)
    return _delimited(tree, checks, message)


def check_explanation(tree: Pattern, message: str) -> None:
    explanation = explain(tree, message)
    verdict = recombined(tree, explanation, message)
    event(f"leaf checks: {'some' if explanation.checks else 'none'}")
    expected = reference.matches(tree, message)
    event(f"verdict: {verdict}")
    assert verdict is explanation.matched is expected, (render(tree), message, explanation)


@given(patterns, messages)
def test_checks_combine_to_the_verdict(tree: Pattern, message: str) -> None:
    check_explanation(tree, message)


@given(fastpath_strategies.patterns, st.data())
def test_checks_combine_to_the_verdict_on_messages_built_for_the_pattern(
    tree: Pattern, data: st.DataObject
) -> None:
    try:
        pattern = parse(render(tree))
    except PatternError:  # over a limit (two regexes, three wildcard selectors)
        reject()
    for message in data.draw(fastpath_strategies.messages_for(pattern)):
        check_explanation(pattern, message)


# ------------------------------------------------------------------ compiled once per pattern


#: Names no other test uses, so that no explainer is cached for these patterns yet.
_FRESH = itertools.count()


def _deep(depth: int, prefix: str) -> JsonPattern:
    """``{ $.k200 = 1 || ($.k199 = 1 && ($.k198 = 1 || ...)) }``, ``depth`` groups deep, the
    keys named ``prefix`` + level."""

    def leaf(level: int) -> JsonCompare:
        return JsonCompare(Selector((Key(f"{prefix}{level}"),)), Operator.EQ, Number("1"))

    expr: Node = leaf(0)
    for level in range(1, depth + 1):
        kind = And if level % 2 else Or
        expr = kind((leaf(level), expr))
    return JsonPattern(expr)  # type: ignore[arg-type]


def _count_calls(
    monkeypatch: pytest.MonkeyPatch, module: object, name: str, *also: object
) -> list[object]:
    """Every argument the named function is called with, from now on, in ``module`` and
    ``also`` (the real function still runs)."""
    real = getattr(module, name)
    calls: list[object] = []

    def counting(node: object) -> object:
        calls.append(node)
        return real(node)

    for holder in (module, *also):
        monkeypatch.setattr(holder, name, counting)
    return calls


def test_a_deep_json_pattern_is_compiled_once_not_per_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    k = f"deep{next(_FRESH)}_"
    tree = _deep(200, k)
    cwquery.compile(tree)  # the matcher's own predicate, compiled before counting
    conditions = sum(isinstance(n, JsonCompare | And | Or) for n in walk(tree.expr))
    calls = _count_calls(monkeypatch, compiler, "compile_json", explaining)
    messages = [
        f'{{"{k}0": 1, "{k}1": 1}}',
        f'{{"{k}200": 1}}',
        "{}",
        "not JSON",
        f'{{"{k}199": 1}}',
    ]
    first = [explain(tree, message) for message in messages]
    compiled = len(calls)
    assert 0 < compiled <= conditions
    assert len(set(calls)) == compiled  # no condition compiled twice
    again = [explain(tree, message) for message in messages]
    assert len(calls) == compiled  # the second round walks what the first built
    assert first == again
    assert [e.matched for e in first] == [cwquery.matches(tree, m) for m in messages]
    assert first[1].checks[0].result is True and len(first[1].checks[0].children) == 2


def test_delimited_conditions_are_compiled_once_not_per_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    n = next(_FRESH)
    pattern = f"[ip, status{n} = 5* || status{n} = 404, bytes{n} > 1000, ...]"
    cwquery.compile(pattern)
    calls = _count_calls(monkeypatch, explaining, "compile_field_condition")
    lines = ["1.2.3.4 503 2000 x", "1.2.3.4 404 10", "1.2.3.4 200 5000", "short"]
    results = [[c.result for c in explain(pattern, line).checks] for line in lines]
    assert results == [[True, True], [True, False], [False, True], []]
    assert len(calls) == 2
