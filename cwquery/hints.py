"""Words and hints for syntax errors: grammar terminal names in the user's language, and fixes
for the mistakes people make most often with filter patterns.

>>> hint_for("{ $.a = 1 AND $.b = 2 }", 10, "AND", {"RBRACE"}, "json_pattern")
'join conditions with && (and) or || (or), not AND'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: Grammar terminals in words. Terminals missing here are shown as their literal text.
TERMINAL_NAMES: dict[str, str] = {
    "WORD": "a term",
    "OPTIONAL_WORD": "a term",
    "EXCLUDED_WORD": "a term",
    "QUOTED": "a quoted string",
    "OPTIONAL_QUOTED": "a term",
    "EXCLUDED_QUOTED": "a term",
    "DETACHED_EXCLUDED_WORD": "a term",
    "DETACHED_EXCLUDED_QUOTED": "a term",
    "REGEX": "a %regex%",
    "SELECTOR": "a selector such as $.field",
    "OPERATOR": "an operator (= != < > <= >=)",
    "TRUTH_TEST": "TRUE, FALSE or NULL",
    "IS": "IS",
    "NOT": "NOT EXISTS",
    "EXISTS": "EXISTS",
    "ELLIPSIS": "'...'",
    "FIELD_NAME": "a field name",
    "BARE_VALUE": "a value",
    "$END": "the end of the pattern",
}
_ORDER = list(dict.fromkeys(TERMINAL_NAMES.values()))

_WORD_AT = re.compile(r"[A-Za-z0-9_$.@:/*+-]+|[=!<>]+|&+|\|+|\S")
_KEYWORDS = ("IS", "NOT", "NULL", "TRUE", "FALSE", "EXISTS")
_LOGICAL_WORDS = {"AND": "&&", "OR": "||"}
#: What can stand where a value is missing: closing brackets, a comma, a logical operator.
_CLOSERS = frozenset(("}", "]", ")", ",", "&&", "||", "&", "|"))
_NAME = re.compile(r"[A-Za-z0-9_@-]+")
_BARE_VALUE_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.*:/+-"
)


def word_at(text: str, offset: int) -> str:
    """The token-like run of characters that starts at ``offset``."""
    match = _WORD_AT.match(text, offset)
    return match.group(0) if match else ""


def describe_found(found: str) -> str:
    """``'x'``, or "end of pattern" for nothing."""
    if not found:
        return "end of pattern"
    return "'" + (found if len(found) <= 24 else found[:21] + "...") + "'"


def describe_expected(names: Iterable[str], terminal_text: Callable[[str], str | None]) -> str:
    """ "an operator, IS or NOT EXISTS" for a set of terminal names."""
    words = set()
    for name in names:
        word = TERMINAL_NAMES.get(name)
        if word is None:
            text = terminal_text(name)
            word = f"'{text}'" if text else name.lower()
        words.add(word)
    ordered = sorted(words, key=lambda w: (_ORDER.index(w) if w in _ORDER else len(_ORDER), w))
    if len(ordered) <= 1:
        return "".join(ordered)
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


def unbalanced(text: str, opening: str, closing: str) -> str | None:
    """A hint when brackets, braces or parentheses do not pair up."""
    opened, closed = text.count(opening), text.count(closing)
    if opened > closed:
        missing = opened - closed
        return f"{missing} '{opening}' {'is' if missing == 1 else 'are'} never closed"
    if closed > opened:
        return f"a '{closing}' has no matching '{opening}'"
    return None


#: Quotes that word processors, chat apps and web pages put in place of ``"`` and ``'``.
TYPOGRAPHIC_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u2018\u2019\u201a\u201b\u2032"


def typographic_quote(text: str) -> str | None:
    """A hint when ``text`` holds a typographic quote, as pasted from a document.

    >>> typographic_quote('\u201ctimed out\u201d')
    'this is a typographic quote (\u201c), as documents and chat apps write them: filter \
patterns take straight double quotes, "like this"'
    >>> typographic_quote('"timed out"') is None
    True
    """
    for char in text:
        if char in TYPOGRAPHIC_QUOTES:
            return (
                f"this is a typographic quote ({char}), as documents and chat apps write them: "
                'filter patterns take straight double quotes, "like this"'
            )
    return None


#: A JSON object after tab-separated fields: Lambda's text log format
#: (``2024-05-01T12:00:00.000Z<TAB>request-id<TAB>INFO<TAB>{...}``)
_PREFIXED_JSON = re.compile(r"(?:[^\t\n{]+\t){2,4}(\{.*\})\s*", re.S)


def prefixed_json(message: str) -> str | None:
    """A hint when a message that is not JSON is a JSON object behind tab-separated fields,
    as AWS Lambda writes log lines in its text format.

    >>> print(prefixed_json('2024-05-01T12:00:00.000Z\\tc0ffee\\tERROR\\t{"a": 1}'))
    the message is JSON behind tab-separated fields (Lambda's text log format: time, request \
id, level), so JSON patterns never match it; match it with a space-delimited pattern such as \
[time, request_id, level = ERROR, ...] or with terms, or switch the function to Lambda's JSON \
log format (LoggingConfig LogFormat: JSON)
    >>> prefixed_json("plain text") is None
    True
    """
    match = _PREFIXED_JSON.fullmatch(message)
    if match is None:
        return None
    return (
        "the message is JSON behind tab-separated fields (Lambda's text log format: time, "
        "request id, level), so JSON patterns never match it; match it with a space-delimited "
        "pattern such as [time, request_id, level = ERROR, ...] or with terms, or switch the "
        "function to Lambda's JSON log format (LoggingConfig LogFormat: JSON)"
    )


def hint_for(text: str, offset: int, found: str, expected: set[str], start: str) -> str | None:
    """The most useful advice for a syntax error, or ``None`` when none applies."""
    if found[:1] in TYPOGRAPHIC_QUOTES and found[:1]:
        return typographic_quote(found)
    upper = found.upper()
    previous = text[:offset].rstrip()[-1:]
    if found.startswith("==") or (found.startswith("=") and previous == "="):
        return "comparisons use a single '=': write $.field = value"
    if upper in _LOGICAL_WORDS and found.isalpha():
        return f"join conditions with && (and) or || (or), not {found}"
    if found == "&" or found == "|":
        return "the logical operators are written && and ||"
    if found.startswith("'"):
        return 'strings are written in double quotes: "value"; single quotes are not allowed'
    if found == "EXISTS":
        return (
            "there is no EXISTS test: write $.field = * to require a field, or "
            "$.field NOT EXISTS to require its absence"
        )
    if found == "NOT" and text[:offset].rstrip().endswith("IS"):
        return "there is no IS NOT: write $.field != value, or $.field NOT EXISTS"
    if upper in _KEYWORDS and found != upper:
        return f"keywords are written in upper case: {upper}"
    if found.startswith('"'):
        return 'this quote is never closed; inside quotes write \\" for a quote character'
    if "SELECTOR" in expected:
        return _selector_hint(text, offset, found)
    if start == "term_pattern" and found == "-":
        return (
            "a '-' excludes the term or phrase after it (-ERROR, -\"a phrase\"); it cannot "
            "stand before nothing, another '-' or a '?'"
        )
    if start == "term_pattern" and found == "?":
        return "write '?' directly before its term, with no blank: ?ERROR"
    if start == "regex_pattern":
        return "a regex pattern is written %regex% and must be the whole pattern"
    if found.startswith("%") and "REGEX" in expected:
        return "a %regex% needs a closing %"
    if start == "json_pattern" and found in ("", ")", "}") and "BARE_VALUE" not in expected:
        return unbalanced(text, "(", ")") or unbalanced(text, "{", "}")
    if "BARE_VALUE" in expected and (not found or found in _CLOSERS):
        return 'the value is missing: write a number, a "string", * or a %regex% after the operator'
    if "BARE_VALUE" in expected or (offset > 0 and text[offset - 1] in _BARE_VALUE_CHARACTERS):
        return (
            "unquoted values may contain only letters, digits and _ . * : / + -; "
            'put other values (an e-mail address with @ too) in double quotes: "value"'
        )
    if start == "delimited_pattern" and found == "(":
        return "parentheses are not allowed in a space-delimited field; && binds tighter than ||"
    return None


def _selector_hint(text: str, offset: int, found: str) -> str | None:
    if not found or found == "}":
        return 'a JSON pattern needs at least one condition, e.g. { $.level = "ERROR" }'
    if text.startswith('$.["', offset):
        return "bracket keys use single quotes: $.['dotted.key']"
    if found.startswith("$"):
        return "selectors are written $.name, $.name[0], $.name[*], $.* or $.['dotted.name']"
    if _NAME.fullmatch(found):
        return f"selectors start with '$.': write $.{found}"
    return None
