"""A filter pattern as a Logs Insights query that selects exactly the same events, or the reason
none does (docs/insights.md, "From a filter pattern").

Exact translations exist for the text family: terms and phrases (D26: a case-sensitive substring
of the raw message, which is what ``@message like "text"`` tests), exclusions, ``?`` terms (D3),
match-all (D2) and ``%regex%`` patterns (D23: the body's RE2 equivalent, the one the filter
side runs, searched by ``like /…/``), and space-delimited patterns without conditions (a regex
that counts the message's tokens as D14 splits them). JSON patterns and space-delimited ones with
conditions are refused with a reason: Insights reads their events by other rules (spec §9, §13),
and an approximate answer is worse than none.

>>> to_insights('ERROR -DEBUG').query
'filter @message like "ERROR" and @message not like "DEBUG"'
>>> to_insights('?ERROR ?WARN').query
'filter @message like "ERROR" or @message like "WARN"'
>>> to_insights('%^ab+c\\\\s%').query
'filter @message like /^ab+c[\\\\t\\\\n ]/'
>>> print(to_insights('{ $.level = "ERROR" }').reason)  # doctest: +ELLIPSIS
a JSON pattern matches only a message that is, whole, one JSON object (D10)...
"""

from __future__ import annotations

from collections.abc import Sequence

from cwquery import ast
from cwquery.insights.parser import MAX_QUERY_LENGTH
from cwquery.parser import parse
from cwquery.regex import to_re2

__all__ = ["MATCH_ALL_QUERY", "MAX_COUNTED_TOKENS", "Translation", "to_insights"]

#: The query for a pattern that matches every event: no filter, the default columns.
MATCH_ALL_QUERY = "fields @timestamp, @message"

_JSON_REASON = (
    "a JSON pattern matches only a message that is, whole, one JSON object (D10), while Logs "
    "Insights discovers the fields of the first JSON object found anywhere in a message, text "
    "before or after it included (insights spec §9.2), and only its first 200 fields (§9.3); "
    "no filter on discovered fields tells these events apart"
)
_DELIMITED_REASON = (
    "a space-delimited pattern with conditions tests tokens split at runs of blanks, a "
    '"…" or […] group being one token (D14), lets the last field take the rest of the message '
    "(D15) and compares any token that spells a number as a number (D27); Logs Insights' parse "
    "globs match the first occurrence lazily (insights spec §13.1) and its comparisons read "
    "numbers by other rules (§3.3), so no query selects the same events"
)
#: What a JSON construct adds to the reason (the first one met in the pattern is named).
_JSON_DETAILS: tuple[tuple[type[ast.Node], str], ...] = (
    (
        ast.JsonIs,
        "; besides, Insights reads a JSON null as a missing field (I19), so IS NULL and "
        "NOT EXISTS cannot be told apart",
    ),
    (
        ast.AnyIndex,
        "; besides, Insights has no wildcard over flattened names, which [*] needs (D8)",
    ),
    (
        ast.AnyKey,
        "; besides, Insights has no wildcard over flattened names, which .* needs (D8)",
    ),
    (
        ast.Number,
        "; besides, a JSON number keeps its source text in Insights (I19) while a filter "
        "pattern compares its shortest spelling (D12)",
    ),
)


class Translation:
    """The outcome of :func:`to_insights`: ``query`` when an exact translation exists, else
    ``reason`` (exactly one of the two is set)."""

    __slots__ = ("pattern", "query", "reason")

    def __init__(self, pattern: str, query: str | None, reason: str | None) -> None:
        if (query is None) == (reason is None):
            raise ValueError("a Translation has either a query or a reason")
        self.pattern = pattern
        self.query = query
        self.reason = reason

    @property
    def exact(self) -> bool:
        """True when :attr:`query` selects exactly the events the pattern matches."""
        return self.query is not None

    def as_dict(self) -> dict[str, str | bool | None]:
        """The fields as JSON would show them."""
        return {
            "pattern": self.pattern,
            "exact": self.exact,
            "query": self.query,
            "reason": self.reason,
        }

    def __repr__(self) -> str:
        shown = f"query={self.query!r}" if self.exact else f"reason={self.reason!r}"
        return f"Translation(pattern={self.pattern!r}, {shown})"


def to_insights(pattern: str | ast.Pattern) -> Translation:
    """The Logs Insights query selecting exactly the events ``pattern`` matches, or the reason
    none exists.

    Raises:
        PatternError: the text is not a valid pattern.
    """
    tree = parse(pattern) if isinstance(pattern, str) else pattern
    text = pattern if isinstance(pattern, str) else str(tree)
    if isinstance(tree, ast.MatchAll):
        return Translation(text, MATCH_ALL_QUERY, None)
    if isinstance(tree, ast.TermPattern):
        return _checked(text, f"filter {_terms(tree.terms)}")
    if isinstance(tree, ast.RegexPattern):
        return _checked(text, f"filter @message like {regex_literal(tree.regex.source)}")
    if isinstance(tree, ast.JsonPattern):
        return Translation(text, None, _JSON_REASON + _json_detail(tree))
    if isinstance(tree, ast.DelimitedPattern):
        return _delimited(text, tree)
    raise TypeError(f"not a filter pattern: {type(tree).__name__}")


def _checked(text: str, query: str) -> Translation:
    """The translation to ``query``, or a refusal when the query is too long to send."""
    if len(query) > MAX_QUERY_LENGTH:
        return Translation(
            text,
            None,
            f"the query would be {len(query)} characters long; Logs Insights accepts at "
            f"most {MAX_QUERY_LENGTH}",
        )
    return Translation(text, query, None)


def _delimited(text: str, tree: ast.DelimitedPattern) -> Translation:
    """A space-delimited pattern without conditions matches when the message has at least as
    many tokens as the pattern has fields besides ``...`` (D14, D15): a regex counts them,
    reading each token as the splitter does (a group when it starts with ``"`` or ``[``, else a
    run of non-blanks). A pattern with a condition has no translation."""
    if any(isinstance(f, ast.Field) and f.condition is not None for f in tree.fields):
        return Translation(text, None, _DELIMITED_REASON)
    slots = sum(isinstance(f, ast.Field) for f in tree.fields)
    if slots == 0:
        return Translation(text, MATCH_ALL_QUERY, None)
    if slots > MAX_COUNTED_TOKENS:
        return Translation(
            text,
            None,
            f"the pattern needs {slots} tokens; a query counts at most {MAX_COUNTED_TOKENS} "
            "in one regex",
        )
    return _checked(text, f"filter @message like /{_at_least_tokens(slots)}/")


#: The most tokens one translated regex counts (RE2 builds one copy of the token per count).
MAX_COUNTED_TOKENS = 100
#: D14 in RE2: the blanks, and one token with the blanks after it. A group runs to its closing
#: character or the end; a plain token is a run of non-blanks that starts with neither grouping
#: character and ends at a blank or the end, so the regex cannot cut tokens another way.
_BLANK = "[\\t\\n\\r ]"
_TOKEN = (
    f'(?:"[^"]*(?:"|$)|\\[[^\\]]*(?:\\]|$)|[^\\t\\n\\r "\\[][^\\t\\n\\r ]*(?:{_BLANK}+|$)){_BLANK}*'
)


def _at_least_tokens(count: int) -> str:
    """The regex of a message holding at least ``count`` tokens (D14).

    >>> import re2
    >>> [bool(re2.search(_at_least_tokens(2), m)) for m in ("a b", '"a b"', '"a"b', "[a b", " a ")]
    [True, False, True, False, False]
    """
    return f"^{_BLANK}*(?:{_TOKEN}){{{count}}}"


def _terms(terms: Sequence[ast.Term]) -> str:
    """The condition of a term pattern: required and excluded terms joined by ``and``, or,
    when every term is optional, the optional ones joined by ``or`` (D3: ``?`` terms next to
    other terms are ignored). A repeated term is written once."""
    kept = [term for term in terms if term.kind is not ast.TermKind.OPTIONAL]
    if not kept:
        tests = [f"@message like {string_literal(term.text)}" for term in terms]
        return _joined("or", list(dict.fromkeys(tests)))
    tests = [
        f"@message {'not like' if term.kind is ast.TermKind.EXCLUDED else 'like'} "
        f"{string_literal(term.text)}"
        for term in kept
    ]
    return _joined("and", list(dict.fromkeys(tests)))


#: A chain of more operands than this is written as a balanced tree of parentheses: the
#: Insights parser refuses operators nested deeper than its limit, and a long flat chain nests
#: one level per operand.
_FLAT_CHAIN = 32


def _joined(operator: str, tests: list[str]) -> str:
    """``tests`` joined by ``operator`` (``and`` and ``or`` are associative), as a balanced tree
    when the chain is long.

    >>> _joined("or", ["a", "b", "c"])
    'a or b or c'
    >>> _joined("or", [str(n) for n in range(40)]).count("(")
    2
    """
    if len(tests) <= _FLAT_CHAIN:
        return f" {operator} ".join(tests)
    half = len(tests) // 2
    return f"({_joined(operator, tests[:half])}) {operator} ({_joined(operator, tests[half:])})"


def _json_detail(tree: ast.JsonPattern) -> str:
    nodes = list(ast.walk(tree))
    for kind, detail in _JSON_DETAILS:
        if any(isinstance(node, kind) for node in nodes):
            return detail
    return ""


def string_literal(text: str) -> str:
    """``text`` as an Insights string literal (I4 escapes), or, when it holds a control
    character other than newline and tab, as a ``/regex/`` that matches exactly that text.

    >>> print(string_literal('say "hi" \\\\o/'))
    "say \\"hi\\" \\\\o/"
    >>> print(string_literal("a\\rb"))
    /a\\x{d}b/
    """
    if any(_is_control(char) and char not in "\n\t" for char in text):
        return "/" + "".join(_regex_char(char) for char in text) + "/"
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


def regex_literal(body: str) -> str:
    """A valid ``%…%`` body as an Insights ``/regex/`` with the same matches: its RE2 form
    (``\\s`` is tab, space and newline, ``{,n}`` is ``{0,n}``) with ``/`` escaped."""
    source = to_re2(body)
    out: list[str] = []
    index = 0
    while index < len(source):
        if source[index] == "\\":  # an escape stays whole: \/ is already a slash
            out.append(source[index : index + 2])
            index += 2
            continue
        out.append("\\/" if source[index] == "/" else source[index])
        index += 1
    return "/" + "".join(out) + "/"


def _is_control(char: str) -> bool:
    return ord(char) < 0x20 or ord(char) == 0x7F


def _regex_char(char: str) -> str:
    if char.isascii() and (char.isalnum() or char in " _"):
        return char
    return f"\\x{{{ord(char):x}}}"
