"""``load_json_fallback`` answers as the parse-everything version it replaced, on every text orjson
refuses (the only texts it is given): malformed objects, lone surrogates escaped or not,
``NaN``, numbers beyond the double range, deep nesting."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import orjson
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cwquery.numbers import json_number
from cwquery.semantics import MAX_JSON_DEPTH, NOT_JSON, json_depth, load_json_fallback

# --- the function as it was, kept as the reference -----------------------------------------------

_REFUSED = object()
_MARGIN = 100
_LOCK = threading.Lock()


def _frames() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


def _constant(name: str) -> None:
    raise ValueError(name)


def reference_fallback(message: str) -> Any:
    """Every text beginning with ``{`` parsed by the standard library, within the depth."""
    if not message.lstrip().startswith("{"):
        return _REFUSED
    openers = message.count("[") + message.count("{")
    if openers > MAX_JSON_DEPTH and json_depth(message) > MAX_JSON_DEPTH:
        return _REFUSED
    with _LOCK:
        limit = sys.getrecursionlimit()
        needed = _frames() + min(openers, MAX_JSON_DEPTH) + _MARGIN
        if needed > limit:
            sys.setrecursionlimit(needed)
        try:
            return json.loads(
                message, parse_constant=_constant, parse_int=json_number, parse_float=json_number
            )
        except (ValueError, RecursionError):
            return _REFUSED
        finally:
            if needed > limit and sys.getrecursionlimit() == needed:
                sys.setrecursionlimit(limit)


# --- texts near JSON -----------------------------------------------------------------------------

ATOMS = [
    "1", "-0", "2.5e3", "1e308", "1e309", "-1e400", "1.7976931348623157e308",
    "1.7976931348623159e308", "2e-400", "9" * 25, "-" + "9" * 400, "NaN", "Infinity",
    "-Infinity", "true", "false", "null", '"x"', '"\\ud800"', '"\\uDC00x"', '"\\ud83d\\ude00"',
    '"\ud800"', '"\ud83d\ude00"', '"\\u00e9"', '"\\n"', '"\\/"', '"\\\\ud800"', '"\x01"', '"é"',
    '"😀"', "1.", ".5", "01", '"\\x"', "'a'",
]  # fmt: skip
KEYS = ['"a"', '"b"', '"\\ud800"', '"\ud800"', "a", "1"]

values = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
        | st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        )
    ),
    max_leaves=8,
)
objects = st.lists(st.tuples(st.sampled_from(KEYS), values), max_size=4).map(
    lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
)


@st.composite
def near_json(draw: st.DrawFn) -> str:
    text = draw(objects)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "delete", "cut"]))
        if how == "insert":
            text = text[:at] + draw(st.sampled_from(list('{}[],:" \\ud8x\n'))) + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at]
    before = draw(st.sampled_from(["", " ", "\n\t", "x"]))
    after = draw(st.sampled_from(["", " ", " x", "}", "\n"]))
    return before + text + after


def refused_by_orjson(text: str) -> bool:
    try:
        orjson.loads(text)
    except ValueError:
        return True
    return False


def same(ours: Any, theirs: Any) -> bool:
    if ours is NOT_JSON or theirs is _REFUSED:
        return ours is NOT_JSON and theirs is _REFUSED
    return repr(ours) == repr(theirs)  # repr: NaN never, and 1 and 1.0 apart


@settings(max_examples=1500, suppress_health_check=[HealthCheck.filter_too_much])
@given(near_json())
def test_the_fallback_answers_as_the_reference(text: str) -> None:
    assume(refused_by_orjson(text))
    assert same(load_json_fallback(text), reference_fallback(text))


def test_what_only_the_standard_library_reads_is_still_read() -> None:
    for text in ['{"a": "\\ud800"}', '{"a": "\ud800"}', '{"\\uDFFF": [1]}']:
        assert refused_by_orjson(text)
        assert load_json_fallback(text) == reference_fallback(text) != _REFUSED


def test_deep_nesting_is_decided_as_before() -> None:
    answers = []
    for depth in (MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 5):
        for tail in ('"\\ud800"', "1", "1,"):
            text = '{"a":' + "[" * depth + tail + "]" * depth + "}"
            if refused_by_orjson(text):
                answers.append((load_json_fallback(text), reference_fallback(text)))
    assert any(theirs is not _REFUSED for _, theirs in answers)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)  # to compare the documents, not to read them
    try:
        assert all(same(ours, theirs) for ours, theirs in answers)
    finally:
        sys.setrecursionlimit(limit)
