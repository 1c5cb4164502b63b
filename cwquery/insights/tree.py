"""The typed tree of a Logs Insights query: frozen dataclasses, one per expression form and per
command, that an evaluator walks. ``==`` compares meaning (spans and source text are left
out); ``str(node)`` is the canonical text (:mod:`cwquery.insights.render`).

>>> from cwquery.insights import parse
>>> query = parse("filter level = 'ERROR' | stats count(*) as n by bin(5m)")
>>> [type(node).__name__ for node in walk(query)][:6]
['Query', 'Filter', 'Compare', 'Field', 'String', 'Stats']
>>> str(query)
'filter level = "ERROR" | stats count(*) as n by bin(5m)'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field

from cwquery.insights.functions import NOT_RUN

__all__ = [
    "Access",
    "Binary",
    "Boolean",
    "Call",
    "Command",
    "Compare",
    "Dedup",
    "Display",
    "Expr",
    "Field",
    "Fields",
    "Filter",
    "In",
    "Item",
    "Json",
    "Like",
    "Limit",
    "ListLiteral",
    "Negate",
    "Node",
    "Not",
    "Number",
    "Opaque",
    "Parse",
    "Period",
    "Query",
    "Regex",
    "Sort",
    "SortKey",
    "Star",
    "Stats",
    "String",
    "Unnest",
    "walk",
]

#: ``(start, end)`` character offsets in the query text, end exclusive.
Span = tuple[int, int]
_NO_SPAN: Span = (0, 0)


@dataclass(frozen=True)
class Node:
    """Base of every node; ``span`` is where it is written (not compared)."""

    span: Span = field(default=_NO_SPAN, compare=False, repr=False, kw_only=True)

    def __str__(self) -> str:
        from cwquery.insights.render import render  # the single rendering implementation

        return render(self)

    def children(self) -> tuple[Node, ...]:
        """The nodes directly below this one, in source order."""
        below: list[Node] = []
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Node):
                below.append(value)
            elif isinstance(value, tuple):
                below += [entry for entry in value if isinstance(entry, Node)]
        return tuple(below)


def walk(node: Node, *, subqueries: bool = True) -> Iterator[Node]:
    """``node`` and every node below it, depth first, in source order (with a stack); without
    ``subqueries``, a :class:`Query` below ``node`` is yielded but not entered."""
    pending = [node]
    root = node
    while pending:
        node = pending.pop()
        yield node
        if subqueries or node is root or not isinstance(node, Query):
            pending += reversed(node.children())


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Field(Node):
    """A field by name (``@message``, ``user.id``, a backticked ``foo-bar``); case-sensitive."""

    name: str


@dataclass(frozen=True)
class Access(Node):
    """A member (``key`` a string) or list item (``key`` an int, 0-based) of a MAP or LIST
    value: ``m.users[1]``, ``jsonParse(s).startTime`` (spec §4.4)."""

    target: Expr
    key: str | int


@dataclass(frozen=True)
class String(Node):
    """A string literal, escapes resolved (I4)."""

    value: str


@dataclass(frozen=True)
class Number(Node):
    """A number literal as written (I5: digits with an optional fraction)."""

    text: str

    @property
    def value(self) -> float:
        """The number's value."""
        return float(self.text)


@dataclass(frozen=True)
class Boolean(Node):
    """``true`` or ``false`` (I76)."""

    value: bool


@dataclass(frozen=True)
class Regex(Node):
    """A ``/regex/`` literal: ``source`` is the text between the slashes, ``\\/`` kept."""

    source: str

    @property
    def pattern(self) -> str:
        """The RE2 pattern (``\\/`` read as ``/``)."""
        return self.source.replace("\\/", "/")


@dataclass(frozen=True)
class Period(Node):
    """A time period for ``bin``, ``datefloor``, ``dateceil``: ``count`` and canonical
    ``unit`` (``ms s m h d w mo q y``); ``text`` is as written (column names keep it, I64)."""

    count: int
    unit: str
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class ListLiteral(Node):
    """``[a, b, …]`` (mixed types allowed)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Star(Node):
    """The ``*`` of ``count(*)``."""


@dataclass(frozen=True)
class Call(Node):
    """A function call; ``name`` is the canonical spelling of :mod:`cwquery.insights.functions`."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Negate(Node):
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic (``^ * / % + -``) or logic (``and``, ``or``)."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Not(Node):
    """``not condition``."""

    operand: Expr


@dataclass(frozen=True)
class Compare(Node):
    """``= != < <= > >=`` (``==`` is read as ``=``, I71)."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Like(Node):
    """``subject [not] like "text"|/re/`` or ``subject =~ /re/`` (``negated`` False)."""

    subject: Expr
    pattern: String | Regex
    negated: bool = False


@dataclass(frozen=True)
class In(Node):
    """``subject [not] in [a, b, …]``, or ``subject [not] in (subquery)`` when ``values`` is a
    :class:`Query` (the subqueries page; parsed, not run locally, spec §10)."""

    subject: Expr
    values: ListLiteral | Query
    negated: bool = False


Expr = (
    Field
    | Access
    | String
    | Number
    | Boolean
    | Regex
    | Period
    | ListLiteral
    | Star
    | Call
    | Negate
    | Binary
    | Not
    | Compare
    | Like
    | In
)


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Item(Node):
    """An expression with an optional ``as`` alias; ``text`` is its source text, blanks trimmed
    (an unaliased column is named by it, I38)."""

    expr: Expr
    alias: str | None = None
    text: str = field(default="", compare=False, repr=False)

    @property
    def column(self) -> str:
        """The column this item makes: its alias, else its written text (else canonical)."""
        return self.alias or self.text or str(self.expr)


@dataclass(frozen=True)
class Fields(Node):
    """``fields item, …``."""

    items: tuple[Item, ...]


@dataclass(frozen=True)
class Display(Node):
    """``display item, …``."""

    items: tuple[Item, ...]


@dataclass(frozen=True)
class Filter(Node):
    """``filter condition`` (also spelled ``where``); ``index`` for ``filterIndex`` (I54)."""

    condition: Expr
    index: bool = False


@dataclass(frozen=True)
class Stats(Node):
    """``stats item, … [by item, … [offset period]]`` (``offset``: the time-series page's
    shift of the bins, parsed, not run locally)."""

    items: tuple[Item, ...]
    by: tuple[Item, ...] = ()
    offset: Period | None = None


@dataclass(frozen=True)
class SortKey(Node):
    """One ``sort`` key; ascending unless ``descending`` (I45)."""

    expr: Expr
    descending: bool = False


@dataclass(frozen=True)
class Sort(Node):
    """``sort key [asc|desc], …`` (``sort by`` is the same, I72)."""

    keys: tuple[SortKey, ...]


@dataclass(frozen=True)
class Limit(Node):
    """``limit N``; ``mode`` ``limit`` (also ``head``), ``any`` (``limit any N``, I67) or
    ``tail`` (the last N rows, I11)."""

    count: int
    mode: str = "limit"


@dataclass(frozen=True)
class Dedup(Node):
    """``dedup field, …``."""

    fields: tuple[Expr, ...]


@dataclass(frozen=True)
class Parse(Node):
    """``parse [source] …``: ``mode`` ``glob`` (``pattern`` a String), ``regex`` (a Regex,
    ``multi`` for one row per match), ``logfmt`` or ``csv`` (no pattern). ``aliases`` are the
    ``as`` names (empty for a regex with named groups only); ``source`` defaults to
    ``@message``."""

    mode: str
    source: Expr | None
    pattern: String | Regex | None
    aliases: tuple[str, ...] = ()
    multi: bool = False


@dataclass(frozen=True)
class Json(Node):
    """``json field=f "key.sub" as a`` (spec §13.8)."""

    source: Field
    path: str
    alias: str


@dataclass(frozen=True)
class Unnest(Node):
    """``unnest field into name``."""

    expr: Expr
    into: str


@dataclass(frozen=True)
class Opaque(Node):
    """A command cwquery parses by name and balanced brackets only and cannot run locally
    (``unmask``, ``pattern``, ``SOURCE``, … spec §10, I54): ``name`` in lower case, ``text``
    the rest of the command as written."""

    name: str
    text: str = ""


Command = Fields | Display | Filter | Stats | Sort | Limit | Dedup | Parse | Json | Unnest | Opaque


@dataclass(frozen=True)
class Query(Node):
    """A whole query: its commands in pipe order."""

    commands: tuple[Command, ...]

    @property
    def unsupported(self) -> tuple[Opaque, ...]:
        """The commands ``run`` refuses (spec §10)."""
        return tuple(command for command in self.commands if isinstance(command, Opaque))

    def refused(self) -> list[tuple[str, Span]]:
        """What ``run`` refuses before reading an event, in source order, each as a phrase
        and where it is written: the commands of spec §10, subqueries, and the hashing and
        time-series functions (I54, I68)."""
        found: list[tuple[str, Span]] = []
        for node in walk(self, subqueries=False):
            if isinstance(node, Opaque):
                found.append((f"the {node.name} command", node.span))
            elif isinstance(node, In) and isinstance(node.values, Query):
                found.append(("a subquery", node.values.span))
            elif isinstance(node, Call) and node.name.lower() in NOT_RUN:
                found.append((f"the function {node.name}()", node.span))
            elif isinstance(node, Stats) and node.offset is not None:
                found.append(("a stats offset", node.offset.span))
        return sorted(found, key=lambda item: item[1])
