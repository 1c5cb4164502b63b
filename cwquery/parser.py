"""Pattern text to syntax tree: the only module that talks to Lark.

The grammar (``grammar/filter_pattern.lark``, shipped inside the package) becomes Lark's LALR
parser (generated at build time, see :mod:`cwquery.lalr`), whose callbacks build
:mod:`cwquery.ast` nodes directly. Every Lark exception is turned into a
:class:`~cwquery.errors.PatternError` here; no Lark type or terminal name leaves this module.

>>> parse("ERROR -DEBUG")
TermPattern(terms=(Term(text='ERROR', kind=<TermKind.REQUIRED: ''>, quoted=False), \
Term(text='DEBUG', kind=<TermKind.EXCLUDED: '-'>, quoted=False)))
>>> str(parse("{$.latency>1000&&$.level=ERROR}"))
'{ $.latency > 1000 && $.level = "ERROR" }'
"""

from __future__ import annotations

import functools
import itertools
import re
import string
from collections.abc import Iterator
from types import ModuleType
from typing import Any, Protocol

from cwquery import hints, limits
from cwquery.ast import (
    And,
    AnyIndex,
    AnyKey,
    DelimitedPattern,
    EllipsisField,
    Field,
    FieldCompare,
    FieldCondition,
    Index,
    JsonCompare,
    JsonExpr,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    Key,
    MatchAll,
    Number,
    Operator,
    Or,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    Span,
    Step,
    String,
    Term,
    TermKind,
    TermPattern,
    TruthTest,
    Value,
    combine,
)
from cwquery.errors import (
    GENERIC_SERVICE_MESSAGE,
    PatternError,
    PatternLimitError,
    PatternSyntaxError,
    RegexError,
)
from cwquery.lalr import lalr_runtime
from cwquery.numbers import NUMBER_SYNTAX
from cwquery.regex import RegexProblem, check_regex


class _Token(Protocol):
    """What the tree builders read of a Lark token."""

    type: str
    value: str
    start_pos: int | None
    end_pos: int | None


#: Start rule chosen by the first non-blank character (spec §1.2, D1).
_START_RULES = {"{": "json_pattern", "[": "delimited_pattern", "%": "regex_pattern"}
_DEFAULT_START = "term_pattern"

_STEP_SYNTAX = re.compile(r"\.(\*)|\.\['([^']*)'\]|\.([A-Za-z0-9_\-]+)|\[(\*)\]|\[([0-9]+)\]")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def parse(text: str) -> Pattern:
    """Parse a filter pattern into its syntax tree.

    Raises:
        PatternError: (``PatternSyntaxError``, ``RegexError`` or ``PatternLimitError``) when
            CloudWatch Logs would reject the pattern; the error shows where and why.
        TypeError: when ``text`` is not a string.

    >>> parse("")
    MatchAll()
    >>> parse("%ERR(OR)?%")
    Traceback (most recent call last):
    ...
    cwquery.errors.RegexError: '(' is not allowed in a regex (line 1, column 5)
      %ERR(OR)?%
          ^
    hint: CloudWatch regexes have no groups, and escaping does not help: match a literal \
parenthesis with \\x28 or \\x29, and alternatives with | at the top level
    """
    if not isinstance(text, str):
        raise TypeError(f"a filter pattern is a str, not {type(text).__name__}")
    return _parse_text(text)


#: Trees are immutable, so a text read again (``check`` lints, normalises and reports each
#: pattern) shares the first tree; errors are not cached and are raised afresh.
@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> Pattern:
    limits.check_length(text)
    stripped = text.strip()
    if not stripped:
        return MatchAll()
    start = _START_RULES.get(stripped[0], _DEFAULT_START)
    _check_leading_blanks(text, stripped, start)
    _check_closing_bracket(text, stripped, start)
    parser = _parser()
    try:
        pattern: Pattern = parser.parse(text, start=start)
    except _Problem as problem:
        raise problem.error(text) from None
    except _runtime().UnexpectedInput as err:
        raise _syntax_error(text, start, err) from None
    limits.check_pattern(text, pattern)
    return pattern


def parse_selector(text: str) -> Selector:
    """Parse a lone selector such as ``$.a.b[0]`` (a metricValue or dimension reference).

    >>> parse_selector("$.a[*]")
    Selector(steps=(Key(name='a'), AnyIndex()))
    """
    pattern = parse("{ " + text + " NOT EXISTS }")
    assert isinstance(pattern, JsonPattern) and isinstance(pattern.expr, JsonNotExists)
    return pattern.expr.selector


def _runtime() -> ModuleType:
    """Lark's LALR runtime and the grammar's tables (see :mod:`cwquery.lalr`)."""
    return lalr_runtime()


@functools.cache
def _parser() -> Any:
    return _runtime().Lark_StandAlone(transformer=_ToAst())


def _check_leading_blanks(text: str, stripped: str, start: str) -> None:
    """D1: blanks may lead a term pattern, but not a pattern whose first non-blank character is
    ``{``, ``[`` or ``%`` (the service rejects `` {$.ThisFlag IS TRUE}``)."""
    if start == _DEFAULT_START or not text[0].isspace():
        return
    blanks = len(text) - len(text.lstrip())
    raise PatternSyntaxError(
        f"a pattern that starts with {stripped[0]!r} cannot begin with blanks",
        text,
        0,
        length=blanks,
        hint=f"remove the leading blanks: {stripped[:40]}",
        service_message=GENERIC_SERVICE_MESSAGE,
    )


def _check_closing_bracket(text: str, stripped: str, start: str) -> None:
    if start == "json_pattern" and not stripped.endswith("}"):
        message = "If a filter pattern starts with '{' it must end with '}'"
        raise PatternSyntaxError(
            message,
            text,
            len(text.rstrip()),
            hint=hints.unbalanced(stripped, "{", "}"),
            service_message=message,
        )
    if start == "delimited_pattern" and not stripped.endswith("]"):
        raise PatternSyntaxError(
            "a space-delimited pattern that starts with '[' must end with ']'",
            text,
            len(text.rstrip()),
            hint="to search for text that begins with '[', quote it: \"[ERROR]\"",
        )


# --------------------------------------------------------------------------- tree building


class _Problem(Exception):
    """A semantic error found while building the tree; turned into a PatternError by parse()."""

    def __init__(
        self,
        error_class: type[PatternError],
        message: str,
        offset: int,
        length: int = 1,
        hint: str | None = None,
        service_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.message = message
        self.offset = offset
        self.length = length
        self.hint = hint
        self.service_message = service_message

    def error(self, text: str) -> PatternError:
        return self.error_class(
            self.message,
            text,
            self.offset,
            length=self.length,
            hint=self.hint,
            service_message=self.service_message,
        )


def _start(token: _Token) -> int:
    return token.start_pos or 0


def _end(token: _Token) -> int:
    return token.end_pos or 0


def _span(token: _Token) -> Span:
    return Span(_start(token), _end(token))


def _unquote(quoted: str) -> str:
    """The text of a ``"…"`` literal: ``\\"`` is a quote, ``\\\\`` a backslash; other
    backslashes stay as written."""
    return _ESCAPE.sub(lambda m: m.group(1) if m.group(1) in '"\\' else m.group(0), quoted[1:-1])


def _joined_span(nodes: list[Any]) -> Span | None:
    first, last = nodes[0].span, nodes[-1].span
    return Span(first.start, last.end) if first and last else None


def _combine(kind: type[And[Any]] | type[Or[Any]], operands: list[Any]) -> Any:
    """:func:`cwquery.ast.combine`, spanning from the first operand to the last."""
    return combine(kind, operands, span=_joined_span(operands))


_TERM_KINDS = {
    "WORD": (TermKind.REQUIRED, False),
    "OPTIONAL_WORD": (TermKind.OPTIONAL, False),
    "EXCLUDED_WORD": (TermKind.EXCLUDED, False),
    "QUOTED": (TermKind.REQUIRED, True),
    "OPTIONAL_QUOTED": (TermKind.OPTIONAL, True),
    "EXCLUDED_QUOTED": (TermKind.EXCLUDED, True),
    "DETACHED_EXCLUDED_WORD": (TermKind.EXCLUDED, False),
    "DETACHED_EXCLUDED_QUOTED": (TermKind.EXCLUDED, True),
}


def prefix_length(written: str) -> int:
    """How many characters of a written term item come before its term: none, its ``-`` or
    ``?``, or a detached ``-`` and the blanks after it (D4).

    >>> prefix_length("ERROR"), prefix_length('?"a b"'), prefix_length('-  "a b"')
    (0, 1, 3)
    """
    if written[:1] not in ("-", "?"):
        return 0
    return len(written) - len(written[1:].lstrip())


class _ToAst:
    """Lark callbacks, one per rule or alias of the grammar, each returning an AST node (Lark
    calls the method named after a rule or alias as the parser reduces it)."""

    # ----- term and regex patterns

    def term_pattern(self, tokens: list[_Token]) -> Pattern:
        for before, after in itertools.pairwise(tokens):
            _check_separated(before, after)
        terms = tuple(self._term(token) for token in tokens)
        lone = terms[0]
        if (
            len(terms) == 1
            and lone.quoted
            and lone.kind is TermKind.REQUIRED
            and not lone.text.strip()
        ):
            return MatchAll(span=lone.span)  # a lone blank phrase matches everything (D2)
        return TermPattern(terms, span=_joined_span(list(terms)))

    def _term(self, token: _Token) -> Term:
        kind, quoted = _TERM_KINDS[token.type]
        prefix = prefix_length(token.value)
        body = token.value[prefix:]
        if quoted:
            if body == '""':
                raise _Problem(
                    PatternSyntaxError,
                    _invalid_term('""'),
                    _start(token) + prefix,
                    2,
                    hint="an empty phrase is not a term; to match every event use an empty "
                    'pattern or " "',
                    service_message=_invalid_term('""'),
                )
            return Term(_unquote(body), kind, quoted=True, span=_span(token))
        _check_bare_term(body, _start(token) + prefix)
        return Term(body, kind, quoted=False, span=_span(token))

    def regex_pattern(self, tokens: list[_Token]) -> RegexPattern:
        regex = _regex(tokens[0])
        return RegexPattern(regex, span=regex.span)

    # ----- JSON patterns

    def json_pattern(self, operands: list[JsonExpr]) -> JsonPattern:
        expr = _combine(Or, operands)
        return JsonPattern(expr, span=expr.span)

    def json_group(self, operands: list[JsonExpr]) -> JsonExpr:
        return _combine(Or, operands)  # type: ignore[no-any-return]

    def json_and(self, operands: list[JsonExpr]) -> JsonExpr:
        return _combine(And, operands)  # type: ignore[no-any-return]

    def json_compare(self, children: list[_Token]) -> JsonCompare:
        selector_token, operator_token, value_token = children
        operator = Operator(operator_token.value)
        value = _value(value_token, operator)
        return JsonCompare(
            _selector(selector_token),
            operator,
            value,
            span=Span(_start(selector_token), _end(value_token)),
        )

    def json_is(self, children: list[_Token]) -> JsonIs:
        selector_token, test = children
        return JsonIs(
            _selector(selector_token),
            TruthTest(test.value),
            span=Span(_start(selector_token), _end(test)),
        )

    def json_not_exists(self, children: list[_Token]) -> JsonNotExists:
        selector_token = children[0]
        return JsonNotExists(_selector(selector_token), span=_span(selector_token))

    # ----- space-delimited patterns

    def delimited_pattern(self, fields: list[Field | EllipsisField | None]) -> DelimitedPattern:
        if fields == [None]:
            return DelimitedPattern(())  # "[]": no fields at all
        built = tuple(Field() if f is None else f for f in fields)
        ellipses = [f for f in built if isinstance(f, EllipsisField)]
        if len(ellipses) > 1 and ellipses[1].span is not None:
            span = ellipses[1].span
            raise _Problem(
                PatternLimitError,
                "Duplicate field '...'",
                span.start,
                3,
                hint="a space-delimited pattern may contain '...' only once",
                service_message="Duplicate field '...'",
            )
        return DelimitedPattern(built)

    def ellipsis_field(self, tokens: list[_Token]) -> EllipsisField:
        return EllipsisField(span=_span(tokens[0]))

    def named_field(self, tokens: list[_Token]) -> Field:
        return Field(tokens[0].value, span=_span(tokens[0]))

    def conditioned_field(self, children: list[tuple[_Token, FieldCondition]]) -> Field:
        name, condition = children[0]
        return Field(name.value, condition, span=Span(_start(name), condition.span.end))  # type: ignore[union-attr]

    def field_or(self, operands: list[tuple[_Token, FieldCondition]]) -> tuple[_Token, Any]:
        return _field_operands(Or, operands)

    def field_and(self, operands: list[tuple[_Token, FieldCondition]]) -> tuple[_Token, Any]:
        return _field_operands(And, operands)

    def field_compare(self, children: list[_Token]) -> tuple[_Token, FieldCompare]:
        name, operator_token, value_token = children
        operator = Operator(operator_token.value)
        value = _value(value_token, operator)
        return name, FieldCompare(operator, value, span=Span(_start(name), _end(value_token)))


def _field_operands(
    kind: type[And[Any]] | type[Or[Any]], operands: list[tuple[_Token, FieldCondition]]
) -> tuple[_Token, Any]:
    """Conditions of one slot must all name that slot's field (D13)."""
    name = operands[0][0]
    for other, _ in operands[1:]:
        if other.value != name.value:
            raise _Problem(
                PatternSyntaxError,
                f"condition on '{other.value}' inside the field '{name.value}'",
                _start(other),
                len(other.value),
                hint="each comma-separated field holds conditions on itself only; write "
                f"conditions on '{other.value}' in its own field",
            )
    return name, _combine(kind, [condition for _, condition in operands])


_BARE_WORDS = frozenset(("WORD", "OPTIONAL_WORD", "EXCLUDED_WORD", "DETACHED_EXCLUDED_WORD"))
_DASHED = frozenset(("EXCLUDED_WORD", "DETACHED_EXCLUDED_WORD", "DETACHED_EXCLUDED_QUOTED"))


def _check_separated(before: _Token, after: _Token) -> None:
    """Items are separated by blanks; only a '-' inside or at the end of a bare word starts an
    item without them (D5; ``ERROR- x`` is ``ERROR -x``, D4)."""
    if _end(before) != _start(after):
        return
    if before.type in _BARE_WORDS and after.type in _DASHED:
        return
    raise _Problem(
        PatternSyntaxError,
        "terms must be separated by blanks",
        _start(after),
        len(after.value),
        hint='a quoted term ends at its closing quote; to put a quote inside a phrase write \\"',
    )


#: D5: the characters of a bare (unquoted) term. Other printable ASCII punctuation is read as
#: part of the term, and the linter warns (``unquoted-punctuation``); see
#: :data:`REJECTED_TERM_CHARACTERS` for the rest.
BARE_TERM_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_.")

#: D5: the punctuation the service has been seen to refuse in a bare term (``?Status: timeout``
#: gives ``Invalid character(s) in term ':'``). Non-ASCII and control characters are refused
#: too (:func:`rejected_in_term`).
REJECTED_TERM_CHARACTERS = frozenset(':()`@\\,$"')


def rejected_in_term(char: str) -> bool:
    """D5: whether a character makes a bare term an error (rather than a lint warning).

    >>> [rejected_in_term(c) for c in ":./é\x01"]
    [True, False, False, True, True]
    """
    return char in REJECTED_TERM_CHARACTERS or not " " < char < "\x7f"


def _invalid_term(chars: str) -> str:
    """D17: the service's text names the offending characters, not the whole term."""
    return f"Invalid character(s) in term '{chars}'"


def _check_bare_term(body: str, offset: int) -> None:
    """Bare terms: the characters the service refuses are errors (D5), and a ``%regex%`` never
    stands among other terms (D6)."""
    if len(body) >= 2 and body.startswith("%") and body.endswith("%"):
        raise _Problem(
            PatternSyntaxError,
            "a %regex% cannot be combined with other terms",
            offset,
            len(body),
            hint="a regex pattern must be the whole pattern; to search for the text itself, "
            f'quote it: "{body}"',
        )
    bad = [index for index, char in enumerate(body) if rejected_in_term(char)]
    if bad:
        chars = "".join(dict.fromkeys(body[index] for index in bad))
        raise _Problem(
            PatternSyntaxError,
            _invalid_term(chars),
            offset + bad[0],
            hint=hints.typographic_quote(body)
            or "CloudWatch refuses this character in an unquoted term: put the term in "
            f'double quotes, "{body}"',
            service_message=_invalid_term(chars),
        )


def _regex(token: _Token) -> Regex:
    source = token.value[1:-1]
    try:
        check_regex(source)
    except RegexProblem as problem:
        raise _Problem(
            RegexError,
            problem.message,
            _start(token) + 1 + problem.index,
            hint=problem.hint,
            service_message=(
                _invalid_term(problem.chars) if problem.chars else GENERIC_SERVICE_MESSAGE
            ),
        ) from None
    return Regex(source, span=_span(token))


def _value(token: _Token, operator: Operator) -> Value:
    value: Value
    if token.type == "REGEX":
        value = _regex(token)
    elif token.type == "QUOTED":
        value = String(_unquote(token.value), quoted=True, span=_span(token))
    elif NUMBER_SYNTAX.fullmatch(token.value):
        value = Number(token.value, span=_span(token))
    else:
        value = String(token.value, quoted=False, span=_span(token))
    if operator.is_relational and not isinstance(value, Number):
        raise _Problem(
            PatternSyntaxError,
            f"'{operator.value}' needs a number",
            _start(token),
            len(token.value),
            hint="only = and != compare strings; <, >, <= and >= compare numbers "
            "(written unquoted, e.g. 1000 or 1.5e3)",
        )
    return value


def _selector(token: _Token) -> Selector:
    return Selector(tuple(_steps(token.value)), span=_span(token))


def _steps(text: str) -> Iterator[Step]:
    for match in _STEP_SYNTAX.finditer(text, 1):
        any_key, bracket_key, key, any_index, index = match.groups()
        if any_key:
            yield AnyKey()
        elif bracket_key is not None:
            yield Key(bracket_key)
        elif key is not None:
            yield Key(key)
        elif any_index:
            yield AnyIndex()
        else:
            yield Index(int(index))


# --------------------------------------------------------------------------- Lark errors


def _syntax_error(text: str, start: str, err: Any) -> PatternError:
    """Describe a Lark parse failure (an ``UnexpectedInput``) in the user's words, with a hint
    where one is known."""
    lark = _runtime()
    if isinstance(err, lark.UnexpectedToken) and err.token.type != "$END":
        offset = _start(err.token)
        found = hints.word_at(text, offset)
        expected = set(err.accepts or err.expected)
    elif isinstance(err, lark.UnexpectedCharacters):
        offset = err.pos_in_stream or 0
        found = hints.word_at(text, offset)
        expected = set(err.allowed or ())
    else:  # the end of the pattern came too soon (UnexpectedEOF, or a $END token)
        offset, found = len(text.rstrip()), ""
        expected = set(getattr(err, "expected", ()))
    words = hints.describe_expected(expected, _terminal_text)
    message = f"unexpected {hints.describe_found(found)}"
    if words:
        message += f"; expected {words}"
    return PatternSyntaxError(
        message,
        text,
        offset,
        length=len(found) or 1,
        hint=hints.hint_for(text, offset, found, expected, start),
    )


def _terminal_text(name: str) -> str | None:
    """The literal a terminal stands for (``'&&'`` for an anonymous one), if it is a string."""
    try:
        terminal = _parser().get_terminal(name)
    except KeyError:
        return None
    pattern = terminal.pattern
    return str(pattern.value) if pattern.type == "str" else None
