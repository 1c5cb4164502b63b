# mypy: disable-error-code="no-any-return,arg-type"
# (Hypothesis builds syntax trees generically; the trees are checked when they are parsed back)
"""Hypothesis strategies for checking fast paths against the reference interpretation (D32).

Patterns and messages share one small vocabulary, so messages often contain exactly what a
pattern looks for, spelled the ways that break shortcuts: numbers written differently (``1e2``
for ``100.0``), huge and non-finite numbers, long digit runs, ``\\u0041`` escapes and ``\\/``,
duplicate keys, blanks with CR and LF, quotes inside values, and the literals the raw-text
rejection looks for next to almost-matching text.
"""

from __future__ import annotations

from collections.abc import Callable
from random import Random

from hypothesis import strategies as st
from reference_dialect import spells_number

from cwquery import ast
from cwquery.ast import walk

KEYS = ["a", "b", "c.d", "é"]
STRINGS = [
    "x",
    "X",
    "xx",
    "x y",
    "ERROR",
    "ERR",
    "1",
    "100",
    "1e2",
    "100.0",
    "-0",
    "inf",
    "Infinity",
    "NaN",
    'a"b',
    "a\\b",
    "/",
    "a/b",
    "é",
    "",
    "1e+16",
    "12345678901234567890123",
    "true",
    "null",
    "1.0",
    "-0.0",
    "1e-05",
    "1.5",
    "0.1",
    "1.2345678901234568e+22",
]
NUMBER_TEXTS = [
    "0",
    "-0",
    "1",
    "-1",
    "12",
    "100",
    "100.0",
    "1e2",
    "1E2",
    "1.5",
    "0.1",
    "1e-999",
    "1e16",
    "9007199254740992",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "1" * 25,
    "9" * 400,
    "1e999",
    "-1e999",
]
REGEXES = [
    "x",
    "^x",
    "x$",
    "^1",
    "0$",
    r"\d+",
    "[0-9]{3,}",
    "a|b",
    r"\S",
    r"[\S]",
    "x.y",
    "^$",
    r"\x22",
    "é"[:0] + "e",
    r"\s",
]

# ----------------------------------------------------------------------------- patterns

_words = st.sampled_from([*STRINGS[:6], "1", "a", "b", "/", 'a"b', "x\r\ny", " "])
_term_texts = st.one_of(_words, st.sampled_from(KEYS), st.sampled_from(NUMBER_TEXTS[:8]))
terms = st.builds(ast.Term, _term_texts.filter(bool), st.sampled_from(ast.TermKind))
term_patterns = st.lists(terms, min_size=1, max_size=4).map(lambda t: ast.TermPattern(tuple(t)))

_NUMBER_LIKE = [text for text in STRINGS if text and all(c in "0123456789.eE+-" for c in text)]
_string_values = st.one_of(
    st.sampled_from(STRINGS),
    st.sampled_from(_NUMBER_LIKE),  # strings a JSON number's text may equal (D12)
    st.sampled_from(_NUMBER_LIKE),
    st.sampled_from(STRINGS).map(lambda s: "*" + s),
    st.sampled_from(STRINGS).map(lambda s: s + "*"),
    st.sampled_from(STRINGS).map(lambda s: "*" + s + "*"),
    st.just("*"),
).map(ast.String)
_number_values = st.sampled_from(NUMBER_TEXTS).map(ast.Number)
_regex_values = st.sampled_from(REGEXES).map(ast.Regex)
_operators = st.sampled_from([ast.Operator.EQ] * 4 + [ast.Operator.NE] * 2 + list(ast.Operator))


@st.composite
def _comparison(draw: st.DrawFn) -> tuple[ast.Operator, ast.Value]:
    op = draw(_operators)
    if op.is_relational:
        return op, draw(_number_values)
    return op, draw(st.one_of(_string_values, _number_values, _regex_values))


_keys = st.sampled_from(KEYS).map(ast.Key)
_steps = st.one_of(
    _keys, _keys, st.just(ast.AnyKey()), st.just(ast.AnyIndex()), st.integers(0, 2).map(ast.Index)
)


@st.composite
def selectors(draw: st.DrawFn) -> ast.Selector:
    first = draw(st.one_of(_keys, _keys, _keys, st.just(ast.AnyKey())))
    rest = draw(st.lists(_steps, max_size=1))
    steps = [first, *rest]
    wildcards = [i for i, s in enumerate(steps) if isinstance(s, ast.AnyKey | ast.AnyIndex)]
    for index in wildcards[1:]:  # one wildcard per selector (D24)
        steps[index] = ast.Key("a")
    return ast.Selector(tuple(steps))


_json_conditions = st.one_of(
    st.builds(lambda s, c: ast.JsonCompare(s, *c), selectors(), _comparison()),
    st.builds(lambda s, c: ast.JsonCompare(s, *c), selectors(), _comparison()),
    st.builds(ast.JsonIs, selectors(), st.sampled_from(list(ast.TruthTest))),
    st.builds(ast.JsonNotExists, selectors()),
)


def _flat(kind: type, operands: list[ast.Node]) -> ast.Node:
    flat: list[ast.Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else (operand,))  # type: ignore[attr-defined]
    return kind(tuple(flat))


_json_exprs = st.recursive(
    _json_conditions,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda ops: _flat(ast.And, ops)),
        st.lists(inner, min_size=2, max_size=3).map(lambda ops: _flat(ast.Or, ops)),
    ),
    max_leaves=3,
)
json_patterns = _json_exprs.map(ast.JsonPattern)

_field_compares = _comparison().map(lambda c: ast.FieldCompare(*c))
_field_conditions = st.one_of(
    _field_compares,
    _field_compares,
    st.lists(_field_compares, min_size=2, max_size=2).map(lambda ops: ast.And(tuple(ops))),
    st.lists(_field_compares, min_size=2, max_size=2).map(lambda ops: ast.Or(tuple(ops))),
)
_fields = st.one_of(
    st.just(ast.Field()),
    st.builds(ast.Field, st.sampled_from(["f", "g", "h"])),
    st.builds(ast.Field, st.sampled_from(["f", "g", "h"]), _field_conditions),
    st.builds(ast.Field, st.sampled_from(["f", "g", "h"]), _field_conditions),
)


@st.composite
def delimited_patterns(draw: st.DrawFn) -> ast.DelimitedPattern:
    chosen = draw(st.lists(_fields, max_size=4))
    if draw(st.booleans()):
        chosen.insert(draw(st.integers(0, len(chosen))), ast.EllipsisField())
    if chosen == [ast.Field()]:
        chosen = []
    return ast.DelimitedPattern(tuple(chosen))


regex_patterns = st.sampled_from(REGEXES).map(lambda r: ast.RegexPattern(ast.Regex(r)))

patterns = st.one_of(
    term_patterns,
    regex_patterns,
    json_patterns,
    json_patterns,
    delimited_patterns(),
    delimited_patterns(),
)

# ----------------------------------------------------------------------------- messages
# Messages are built from one drawn random generator: far cheaper than nested strategies.

_BLANK_RUNS = ["", " ", "  ", "\t", "\n", "\r\n", "\t\n", " \r"]
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_string(rng: Random, text: str) -> str:
    """``text`` as a JSON string, each character written plainly or escaped (``\\u0041``,
    ``\\/``) at random."""
    rate = 0.0 if rng.random() < 0.7 else 0.4  # most strings plain, some full of escapes
    out = ['"']
    for char in text:
        escape = rng.random() < rate
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char] if escape or char in '"\\' or char < " " else char)
        elif char == "/" and escape:
            out.append("\\/")
        elif escape or ord(char) < 0x20:
            out.append(f"\\u{ord(char):04{rng.choice('xX')}}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def json_value(rng: Random, words: tuple[str, ...], depth: int = 0) -> str:
    """A JSON value; strings and numbers come from ``words`` (a pattern's literals) half of the
    time."""
    kind = rng.randrange(10 if depth < 2 else 6)
    if kind == 2 and rng.random() < 0.3:
        return '"\\ud800x"'  # a lone surrogate: orjson refuses it, the fallback reader runs
    if kind <= 2:
        return json_string(rng, rng.choice(words if words and rng.random() < 0.5 else STRINGS))
    if kind <= 4:
        numbers = [w for w in words if spells_number(w)]
        return rng.choice(numbers if numbers and rng.random() < 0.5 else NUMBER_TEXTS)
    if kind == 5:
        return rng.choice(["true", "false", "null"])
    if kind <= 7:
        return (
            "[" + ",".join(json_value(rng, words, depth + 1) for _ in range(rng.randrange(4))) + "]"
        )
    return json_object(rng, words, depth + 1)


def json_object(rng: Random, words: tuple[str, ...], depth: int = 0) -> str:
    """An object whose keys repeat at times (the last one wins, D10)."""
    blank = rng.choice(_BLANK_RUNS)
    pairs = [
        f"{json_string(rng, rng.choice(KEYS))}{blank}:{blank}{json_value(rng, words, depth)}"
        for _ in range(rng.randrange(5))
    ]
    return "{" + blank + ("," + blank).join(pairs) + blank + "}"


def spellings(text: str) -> list[str]:
    """Other ways to write the number ``text`` in JSON (``1e2``, ``100.0``, ``1.000000e+02``)."""
    if not spells_number(text):
        return []
    value = float(text)
    found = [text.lstrip("+"), repr(value), f"{value:e}", f"{value:E}", f"{value:.0e}"]
    if value.is_integer() and abs(value) < 1e20:
        found += [str(int(value)), f"{int(value)}.0", f"{int(value)}.00"]
    return [s for s in dict.fromkeys(found) if "inf" not in s and "nan" not in s]


def _leaf(rng: Random, node: ast.Node, words: tuple[str, ...]) -> str:
    """A JSON value that may satisfy ``node`` (a condition of the pattern)."""
    if isinstance(node, ast.JsonCompare) and rng.random() < 0.7:
        value = node.value
        if isinstance(value, ast.Number):
            return rng.choice([*spellings(value.text), json_string(rng, value.text)])
        if isinstance(value, ast.String):
            others = spellings(value.text.strip("*"))[1:]
            if rng.random() < 0.5:  # a number whose text the string may be (1e2 for "100.0")
                return rng.choice(others or NUMBER_TEXTS)
            text = value.text.strip("*") if len(value.text) > 1 else "x"
            return json_string(rng, rng.choice(["", "x"]) + text + rng.choice(["", "y"]))
    if isinstance(node, ast.JsonIs) and rng.random() < 0.7:
        return node.test.value.lower()
    return json_value(rng, words, 1)


def _at(rng: Random, steps: tuple[ast.Step, ...], leaf: str) -> str:
    """A JSON value in which the selector ``steps`` reach ``leaf``."""
    if not steps:
        return leaf
    step, inner = steps[0], _at(rng, steps[1:], leaf)
    if isinstance(step, ast.Key):
        return "{" + json_string(rng, step.name) + ":" + inner + "}"
    if isinstance(step, ast.AnyKey):
        return "{" + json_string(rng, rng.choice(KEYS)) + ":" + inner + "}"
    before = [
        json_value(rng, (), 2)
        for _ in range(step.index if isinstance(step, ast.Index) else rng.randrange(2))
    ]
    return "[" + ",".join([*before, inner]) + "]"


def targeted_json_message(rng: Random, words: tuple[str, ...], conditions: list[ast.Node]) -> str:
    """An object built so that some of the pattern's selectors reach values that may satisfy
    their conditions, among random other keys."""
    pairs = []
    for condition in rng.sample(conditions, min(len(conditions), rng.randrange(1, 4))):
        selector = condition.selector  # type: ignore[attr-defined]
        document = _at(rng, selector.steps, _leaf(rng, condition, words))
        pairs.append(document[1:-1] if document.startswith("{") else None)
    pairs = [pair for pair in pairs if pair]
    pairs += [
        f"{json_string(rng, rng.choice(KEYS))}:{json_value(rng, words, 1)}"
        for _ in range(rng.randrange(3))
    ]
    rng.shuffle(pairs)
    blank = rng.choice(_BLANK_RUNS)
    return rng.choice(_BLANK_RUNS) + "{" + blank + ("," + blank).join(pairs) + "}" + blank


def json_message(rng: Random, words: tuple[str, ...]) -> str:
    document = json_object(rng, words)
    wrap = rng.randrange(10)
    if wrap == 0:
        return "2024-01-01T00:00:00Z id INFO " + document  # text before JSON (D10)
    if wrap == 1:
        return "[" + document + "]"
    return rng.choice(_BLANK_RUNS) + document + rng.choice(_BLANK_RUNS)


_TOKENS = [
    "x",
    "ERROR",
    "ERR",
    "1",
    "12",
    "1e2",
    "100.0",
    "-5",
    "+3",
    "1e999",
    "-1e999",
    "9" * 400,
    "9" * 4400,
    "9007199254740993",
    "0x10",
    "a*b",
    '"x y"',
    '"ERROR"',
    "[a b]",
    "[x]",
    '"unclosed',
    "[unclosed",
    'ab"cd',
    "é",
    "inf",
    '"1"',
    "a/b",
    "*",
    '""',
    "[]",
]


def delimited_message(rng: Random, words: tuple[str, ...]) -> str:
    pool = [*_TOKENS, *(w for w in STRINGS if w), *(w for w in words if w)]
    parts = [rng.choice(_BLANK_RUNS)]
    for _ in range(rng.randrange(1, 8)):
        token = rng.choice(pool)
        if rng.random() < 0.2:
            token = rng.choice('"[') + token + rng.choice(['"', "]", ""])
        parts += [token, rng.choice(_BLANK_RUNS[1:])]
    if rng.random() < 0.5:
        parts[-1] = rng.choice(["", "\t\n", "  "])
    return "".join(parts)


def text_message(rng: Random, words: tuple[str, ...]) -> str:
    pool = [*STRINGS, *KEYS, *words]
    separator = rng.choice(_BLANK_RUNS)
    return separator.join(rng.choice(pool) for _ in range(rng.randrange(6))) or "x"


def literal_words(tree: ast.Pattern) -> tuple[str, ...]:
    """The texts a pattern looks for (terms, string values without their wildcards, number
    literals), for messages that contain them."""
    if isinstance(tree, ast.TermPattern):
        return tuple(term.text for term in tree.terms)
    if not isinstance(tree, ast.JsonPattern | ast.DelimitedPattern):
        return ()
    found = []
    for node in walk(tree):
        if isinstance(node, ast.String):
            found.append(node.text.strip("*") if len(node.text) > 1 else node.text)
        elif isinstance(node, ast.Number):
            found.append(node.text)
    return tuple(dict.fromkeys(found))


def messages_for(tree: ast.Pattern) -> st.SearchStrategy[list[str]]:
    """One to four messages, most of the kind the pattern reads, built around its literals."""
    words = literal_words(tree)
    main: Callable[[Random, tuple[str, ...]], str]
    if isinstance(tree, ast.JsonPattern):
        conditions = [
            node
            for node in walk(tree)
            if isinstance(node, ast.JsonCompare | ast.JsonIs | ast.JsonNotExists)
        ]

        def main(rng: Random, words: tuple[str, ...]) -> str:
            if rng.random() < 0.7:
                return targeted_json_message(rng, words, conditions)
            return json_message(rng, words)

    elif isinstance(tree, ast.DelimitedPattern):
        main = delimited_message
    else:
        main = text_message
    builders = [main, main, main, json_message, delimited_message]

    def build(rng: Random) -> list[str]:
        return [rng.choice(builders)(rng, words) for _ in range(rng.randrange(1, 5))]

    return st.randoms(use_true_random=False).map(build)
