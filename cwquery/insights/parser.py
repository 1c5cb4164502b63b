"""Query text to tree: Lark's LALR parser over ``insights.lark``, then the static checks of
:mod:`cwquery.insights.checks`.

The grammar is loaded with Lark at run time, once, the first time a query is parsed, rather
than generated into a module at build time as the filter-pattern grammar is
(:mod:`cwquery.lalr`): queries are parsed by ``cwquery check`` and the Insights commands only,
never on the start-up path of ``cwquery test``, which does not import this package; building
the tables takes a few tens of milliseconds once per process, and keeping one build step and
one generated module avoids a second artifact that can go stale against its grammar.

>>> parse("fields @timestamp, @message | sort @timestamp desc | limit 20")
Query(commands=(Fields(items=(Item(expr=Field(name='@timestamp'), alias=None), \
Item(expr=Field(name='@message'), alias=None))), Sort(keys=(SortKey(expr=Field(name='@timestamp'), \
descending=True),)), Limit(count=20, mode='limit')))
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

from cwquery.insights import tree as t
from cwquery.insights.checks import check_query
from cwquery.insights.errors import (
    COMMAND_EXPECTED,
    QueryLimitError,
    QuerySyntaxError,
    mismatched,
)
from cwquery.insights.functions import PERIOD_UNITS, close_names, lookup

__all__ = ["MAX_DEPTH", "MAX_QUERY_LENGTH", "parse"]

#: spec §11.1: ``queryString`` is at most 10,000 characters
MAX_QUERY_LENGTH = 10_000

#: how deep an expression may nest (operators, calls, lists): the tree is built, compared and
#: rendered by recursion, and real queries stay far below it
MAX_DEPTH = 200

_COMMAND_TERMINALS = frozenset({"FIELDS", "FILTER", "STATS", "PARSE", "OPAQUE_COMMAND"})

#: how a terminal is named in a syntax error
_WORDS = {
    "NAME": "a field name",
    "QNAME": "a `field name`",
    "STRING": "a string",
    "REGEX": "a /regex/",
    "NUMBER": "a number",
    "PERIOD": "a time period",
    "CMP": "a comparison",
    "_PIPE": "'|'",
    "$END": "the end of the query",
    "COMMA": "','",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
}


@functools.cache
def _parser() -> Any:
    import lark  # only when a query is parsed (see the module's docstring)

    path = os.path.join(os.path.dirname(__file__), "insights.lark")
    with open(path, encoding="utf-8") as grammar:
        return lark.Lark(
            grammar.read(), parser="lalr", lexer="contextual", propagate_positions=True
        )


def parse(query: str) -> t.Query:
    """The tree of ``query``, or :class:`~cwquery.insights.QueryError` where the service would
    reject it (syntax, and the checks of spec §12.3)."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryLimitError(
            f"the query is {len(query)} characters long; the service takes at most "
            f"{MAX_QUERY_LENGTH}",
            query,
            MAX_QUERY_LENGTH,
        )
    import lark

    try:
        parsed = _parser().parse(query)
    except lark.exceptions.UnexpectedInput as err:
        raise _syntax_error(query, err) from None
    _check_depth(query, parsed)
    result = t.Query(
        tuple(_Build(query).command(child) for child in parsed.children), span=(0, len(query))
    )
    check_query(result, query)
    return result


def _check_depth(query: str, parsed: Any) -> None:
    """Refuse a query nested deeper than :data:`MAX_DEPTH` (counted without a stack)."""
    pending = [(parsed, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            start = 0 if node.meta.empty else node.meta.start_pos
            raise QueryLimitError(
                f"the query nests more than {MAX_DEPTH} levels deep",
                query,
                start,
                hint="split long chains of operators, or use in [...] for many alternatives",
            )
        pending += [(child, depth + 1) for child in node.children if hasattr(child, "children")]


def _syntax_error(query: str, err: Any) -> QuerySyntaxError:
    import lark

    if isinstance(err, lark.exceptions.UnexpectedCharacters):
        offset = int(err.pos_in_stream or 0)
        char = query[offset]
        message = f"unexpected character {char!r}"
        hint = _character_hint(char)
        return QuerySyntaxError(
            message,
            query,
            offset,
            hint=hint,
            service_message=f"token recognition error at: '{char}'",
        )
    token = getattr(err, "token", None)
    expected = set(getattr(err, "expected", ()) or ())
    if token is None or token.type == "$END":
        offset = len(query)
        if not re.sub(r"#[^\n]*", "", query).strip():
            return QuerySyntaxError(
                "the query is empty",
                query,
                offset,
                hint=_EMPTY_HINT,
                service_message=mismatched("<EOF>", COMMAND_EXPECTED),
            )
        at_command = bool(expected & _COMMAND_TERMINALS)
        wanted = "a command" if at_command else _expected(expected, plain=True)
        return QuerySyntaxError(
            f"the query ends too early; expected {wanted}",
            query,
            offset,
            hint="a command or an expression is missing at the end",
            service_message=mismatched("<EOF>", _expected(expected)),
        )
    offset, text = token.start_pos, str(token)
    if expected & _COMMAND_TERMINALS or token.type == "OPAQUE_TEXT":
        # the root lexer may have read more than one word as an opaque command's text
        text = re.match(r"[A-Za-z0-9_@.]+|\S", text).group()  # type: ignore[union-attr]
    length = max(1, len(text))
    if expected & _COMMAND_TERMINALS:
        if text == "|":
            return QuerySyntaxError(
                "a command is missing between two '|'",
                query,
                offset,
                hint="remove the extra '|'",
                service_message=mismatched("|", "K_STATS"),
            )
        hint = (
            "each part between '|' starts with a command: fields, display, filter, stats, "
            "sort, limit, dedup, parse"
        )
        function = lookup(text)
        if function is not None and function.kind == "aggregate":
            hint = f"aggregate functions go inside stats: stats {text}(…)"
        elif close_names_command(text):
            hint = f"did you mean {close_names_command(text)}?"
        return QuerySyntaxError(
            f"unexpected {text!r}: a command name was expected",
            query,
            offset,
            length=length,
            hint=hint,
            service_message=mismatched(text, COMMAND_EXPECTED),
        )
    hint = None
    previous = query[offset - 1 : offset]
    if text[:1] in "eE" and text[1:2].isdigit() and previous.isdigit():
        hint = "numbers have no exponent: write 1000, not 1e3 (I5)"
    else:
        import difflib

        close = difflib.get_close_matches(text.lower(), _OPERATOR_WORDS, n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else None
    return QuerySyntaxError(
        f"unexpected {text!r}; expected {_expected(expected, plain=True)}",
        query,
        offset,
        length=length,
        hint=hint,
        service_message=mismatched(text, _expected(expected)),
    )


_OPERATOR_WORDS = ("like", "and", "not", "in", "as", "by", "desc", "asc", "into", "multi")

_EMPTY_HINT = "a query runs at least one command, e.g. fields @timestamp, @message"

_COMMANDS = (
    "fields",
    "display",
    "filter",
    "where",
    "stats",
    "sort",
    "limit",
    "dedup",
    "parse",
    "json",
    "unnest",
    "head",
    "tail",
)


def close_names_command(word: str) -> str | None:
    """The command ``word`` looks like a misspelling of, if any.

    >>> close_names_command("feilds")
    'fields'
    """
    import difflib

    found = difflib.get_close_matches(word.lower(), _COMMANDS, n=1, cutoff=0.7)
    return found[0] if found else None


def _character_hint(char: str) -> str | None:
    if char == '"' or char == "'":
        return "a string is not closed"
    if char == "`":
        return "a `field name` is not closed"
    if char == "/":
        return "a /regex/ is not closed"
    return None


_OPERATORS = frozenset(
    {
        "CMP",
        "MATCH",
        "PLUS",
        "MINUS",
        "STAR",
        "SLASH",
        "PERCENT",
        "CARET",
        "AND",
        "OR",
        "LIKE",
        "IN",
    }
)
#: terminals not worth naming after an operand (member access and the like)
_QUIET = frozenset({"DOT", "LSQB", "QNAME", "NOT"})


def _expected(expected: set[str], *, plain: bool = False) -> str:
    """The expected terminals in words: all of them for the service's shape, or a short list
    (operators summed up) for cwquery's own message."""
    if not plain:
        return "{" + ", ".join(sorted(_WORDS.get(n, n.strip("_").lower()) for n in expected)) + "}"
    names = set(expected)
    if "NAME" not in names:
        names -= _QUIET
    words = []
    if names & _OPERATORS:
        words.append("an operator")
        names -= _OPERATORS
    words += sorted(_WORDS.get(n, repr(n.strip("_").lower())) for n in names)
    return ", ".join(words[:7]) + (", …" if len(words) > 7 else "")


class _Build:
    """Lark's parse tree to :mod:`cwquery.insights.tree` nodes."""

    def __init__(self, query: str) -> None:
        self.query = query

    def span(self, node: Any) -> t.Span:
        if hasattr(node, "start_pos"):
            return (node.start_pos, node.end_pos)
        meta = node.meta
        return (0, 0) if meta.empty else (meta.start_pos, meta.end_pos)

    def error(self, message: str, node: Any, hint: str | None = None) -> QuerySyntaxError:
        start, end = self.span(node)
        return QuerySyntaxError(message, self.query, start, length=end - start, hint=hint)

    # ----------------------------------------------------------------------- commands

    def command(self, node: Any) -> t.Command:
        kind = node.data
        span = self.span(node)
        parts = node.children
        if kind in ("fields", "display"):
            items = tuple(self.item(child) for child in parts[1:])
            return (t.Fields if kind == "fields" else t.Display)(items, span=span)
        if kind == "filter":
            index = parts[0].type == "FILTERINDEX"
            return t.Filter(self.expr(parts[1]), index, span=span)
        if kind == "stats":
            groups = parts[2].children if len(parts) > 2 else []
            offset = _period(str(parts[4]), self.span(parts[4])) if len(parts) > 4 else None
            return t.Stats(
                tuple(map(self.item, parts[1].children)),
                tuple(map(self.item, groups)),
                offset,
                span=span,
            )
        if kind == "sort":
            return t.Sort(tuple(self.sort_key(child) for child in parts[1:]), span=span)
        if kind == "limit":
            return self.limit(node)
        if kind == "dedup":
            return t.Dedup(tuple(self.expr(child) for child in parts[1:]), span=span)
        if kind.startswith("parse_"):
            return self.parse_command(node)
        if kind == "json":
            _, _, equals, source, path, alias = parts
            if str(equals) != "=":
                raise self.error(f"unexpected {str(equals)!r}; write json field=name", equals)
            return t.Json(self.field(source), _string(str(path)), self.name(alias), span=span)
        if kind == "unnest":
            return t.Unnest(self.expr(parts[1]), self.name(parts[3]), span=span)
        return self.opaque(node)

    def item(self, node: Any) -> t.Item:
        expr_node = node.children[0]
        alias = self.name(node.children[1]) if len(node.children) > 1 else None
        start, end = self.span(expr_node)
        return t.Item(
            self.expr(expr_node), alias, self.query[start:end].strip(), span=self.span(node)
        )

    def sort_key(self, node: Any) -> t.SortKey:
        descending = len(node.children) > 1 and node.children[1].type == "DESC"
        return t.SortKey(self.expr(node.children[0]), descending, span=self.span(node))

    def limit(self, node: Any) -> t.Limit:
        keyword = node.children[0].type
        number = node.children[-1]
        mode = "tail" if keyword == "TAIL" else "any" if len(node.children) == 3 else "limit"
        text = str(number)
        if "." in text:
            raise self.error(f"limit takes a whole number, not {text}", number)
        return t.Limit(int(text), mode, span=self.span(node))

    def parse_command(self, node: Any) -> t.Parse:
        mode = node.data.removeprefix("parse_")
        source: t.Expr | None = None
        pattern: t.String | t.Regex | None = None
        aliases: tuple[str, ...] = ()
        multi = False
        for child in node.children[1:]:
            kind = getattr(child, "type", None) or child.data
            if kind == "source":
                source = self.field(child)
            elif kind == "STRING":
                pattern = t.String(_string(str(child)), span=self.span(child))
            elif kind == "REGEX":
                pattern = t.Regex(str(child)[1:-1], span=self.span(child))
            elif kind == "names":
                aliases = tuple(self.name(name) for name in child.children)
            elif kind == "MULTI":
                multi = True
        return t.Parse(mode, source, pattern, aliases, multi, span=self.span(node))

    def opaque(self, node: Any) -> t.Opaque:
        name = str(node.children[0]).lower()
        text = str(node.children[1]).strip() if len(node.children) > 1 else ""
        problem = _unbalanced(text)
        if problem is not None:
            start = self.span(node.children[1])[0] if len(node.children) > 1 else 0
            start += len(str(node.children[1])) - len(str(node.children[1]).lstrip())
            raise QuerySyntaxError(problem[0], self.query, start + problem[1])
        return t.Opaque(name, text, span=self.span(node))

    # ----------------------------------------------------------------------- names

    def name(self, node: Any) -> str:
        token = node.children[0] if hasattr(node, "children") else node
        text = str(token)
        if token.type == "QNAME":
            text = text[1:-1].replace("``", "`")
            if not text:
                raise self.error("a `field name` cannot be empty", token)
        return text

    def field(self, node: Any) -> t.Field:
        return t.Field(self.name(node), span=self.span(node))

    # ----------------------------------------------------------------------- expressions

    def expr(self, node: Any) -> t.Expr:
        span = self.span(node)
        kind = node.data if hasattr(node, "data") else node.type
        parts: Any = getattr(node, "children", ())
        if kind == "field":
            return self.field(node)
        if kind == "string":
            return t.String(_string(str(parts[0])), span=span)
        if kind == "number":
            return t.Number(str(parts[0]), span=span)
        if kind in ("true", "false"):
            return t.Boolean(kind == "true", span=span)
        if kind == "regex":
            return t.Regex(str(parts[0])[1:-1], span=span)
        if kind == "period":
            return _period(str(parts[0]), span)
        if kind == "list":
            return t.ListLiteral(tuple(self.expr(c) for c in parts if c is not None), span=span)
        if kind == "call":
            return self.call(node)
        if kind == "negate":
            return t.Negate(self.expr(parts[1]), span=span)
        if kind == "binary":
            return t.Binary(str(parts[1]), self.expr(parts[0]), self.expr(parts[2]), span=span)
        if kind in ("or_op", "and_op"):
            op = kind.removesuffix("_op")
            return t.Binary(op, self.expr(parts[0]), self.expr(parts[2]), span=span)
        if kind == "not_op":
            return t.Not(self.expr(parts[1]), span=span)
        if kind == "compare":
            op = "=" if str(parts[1]) == "==" else str(parts[1])
            return t.Compare(op, self.expr(parts[0]), self.expr(parts[2]), span=span)
        if kind in ("like", "match"):
            negated = len(parts) == 4
            literal = parts[-1]
            pattern: t.String | t.Regex = (
                t.Regex(str(literal)[1:-1], span=self.span(literal))
                if literal.type == "REGEX"
                else t.String(_string(str(literal)), span=self.span(literal))
            )
            return t.Like(self.expr(parts[0]), pattern, negated, span=span)
        if kind == "in_list":
            negated = len(parts) == 4
            values = self.expr(parts[-1])
            assert isinstance(values, t.ListLiteral)
            return t.In(self.expr(parts[0]), values, negated, span=span)
        if kind == "in_query":
            negated = len(parts) == 4
            inner = parts[-1]
            query = t.Query(tuple(map(self.command, inner.children)), span=self.span(inner))
            return t.In(self.expr(parts[0]), query, negated, span=span)
        if kind == "index":
            return t.Access(self.expr(parts[0]), _index(self, parts[1]), span=span)
        if kind == "member":
            return self.member(node)
        raise AssertionError(f"unknown grammar node {kind}")  # pragma: no cover

    def member(self, node: Any) -> t.Expr:
        """``target.key`` (a dotted bare key is a chain of members), or a backticked key right
        after a name ending in '.' (``m.`user.id```)."""
        parts = node.children
        target, key = parts[0], parts[-1]
        span = self.span(node)
        inner = self.expr(target)
        if len(parts) == 2:
            follows_dot = self.query[self.span(key)[0] - 1] == "."
            if isinstance(inner, t.Field) and inner.name.endswith(".") and follows_dot:
                inner = t.Field(inner.name[:-1], span=inner.span)
            elif not (isinstance(inner, t.Access) and follows_dot):
                raise self.error("a `field name` cannot follow an expression here", key)
            return t.Access(inner, self.name(key), span=span)
        token = key.children[0]
        if token.type == "QNAME":
            return t.Access(inner, self.name(key), span=span)
        for member in str(token).split("."):
            if member:
                inner = t.Access(inner, member, span=span)
        return inner

    def call(self, node: Any) -> t.Call:
        token, arguments = node.children
        function = lookup(str(token))
        if function is None:
            close = close_names(str(token))
            hint = f"did you mean {' or '.join(close)}?" if close else None
            raise self.error(f"unknown function {str(token)!r}", token, hint)
        args: tuple[t.Expr, ...] = ()
        if arguments is not None:
            if (
                len(arguments.children) == 1
                and getattr(arguments.children[0], "type", "") == "STAR"
            ):
                args = (t.Star(span=self.span(arguments.children[0])),)
            else:
                args = tuple(self.expr(child) for child in arguments.children)
        return t.Call(function.name, args, span=self.span(node))


def _index(build: _Build, token: Any) -> int:
    text = str(token)
    if "." in text:
        raise build.error(f"a list index is a whole number, not {text}", token)
    return int(text)


def _period(text: str, span: t.Span) -> t.Period:
    digits = len(text) - len(text.lstrip("0123456789"))
    unit = PERIOD_UNITS[text[digits:].lower()]
    return t.Period(int(text[:digits]), unit, text, span=span)


_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}


def _string(literal: str) -> str:
    """A string literal's value (I4: ``\\" \\' \\\\ \\n \\t``; other backslashes kept).

    >>> _string(r'"a\\"b\\d"')
    'a"b\\\\d'
    """
    body, out, index = literal[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body) and body[index + 1] in _ESCAPES:
            out.append(_ESCAPES[body[index + 1]])
            index += 2
            continue
        if char == "\\" and index + 1 < len(body):
            out.append(body[index : index + 2])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


_PAIRS = {"(": ")", "[": "]", "{": "}"}


def _unbalanced(text: str) -> tuple[str, int] | None:
    """Where the brackets of an opaque command's text do not balance (quotes skipped)."""
    stack: list[tuple[str, int]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in "\"'`":
            end = index + 1
            while end < len(text) and text[end] != char:
                end += 2 if text[end] == "\\" and char != "`" else 1
            index = end + 1
            continue
        if char in _PAIRS:
            stack.append((_PAIRS[char], index))
        elif char in ")]}":
            if not stack or stack[-1][0] != char:
                return f"unbalanced {char!r}", index
            stack.pop()
        index += 1
    if stack:
        return f"{text[stack[-1][1]]!r} is not closed", stack[-1][1]
    return None
