"""The typed, immutable syntax tree of a CloudWatch Logs filter pattern.

Every pattern parses into one of five root nodes, all subclasses of :class:`Pattern`:

======================  ==========================================  =================
root                    written as                                  family
======================  ==========================================  =================
:class:`MatchAll`       empty, blank, or ``" "``                    text
:class:`TermPattern`    ``ERROR ?WARN -DEBUG "a phrase"``           text
:class:`RegexPattern`   ``%ERR(OR)?%`` (the whole pattern)          text
:class:`JsonPattern`    ``{ $.a = 1 && ($.b IS NULL || ...) }``     JSON
:class:`DelimitedPattern` ``[ip, user, ..., status = 4*, bytes]``   space-delimited
======================  ==========================================  =================

Nodes are frozen, slotted dataclasses: they compare and hash by value, so a parsed tree equals a
built one and compiled matchers can be cached by tree. Source positions (``span``) and spelling
details that do not change the meaning (``quoted``) are kept for error messages and the linter but
take no part in equality. ``And``/``Or`` are n-ary and never hold an operand of their own type
(the parser and builder flatten them). Nodes carry no behaviour except ``str(node)``, which is the
canonical text from :func:`cwquery.renderer`.

>>> from cwquery import parse
>>> parse('{ $.level = "ERROR" }') == JsonPattern(
...     JsonCompare(Selector((Key("level"),)), Operator.EQ, String("ERROR")))
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar, Union


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open character range ``[start, end)`` in the pattern text (0-based)."""

    start: int
    end: int


def _span() -> Span | None:
    return field(default=None, compare=False, repr=False, kw_only=True)


class Node:
    """Base of every tree node; ``str(node)`` is its canonical text."""

    __slots__ = ()

    def __str__(self) -> str:
        from cwquery.renderer import render  # the single rendering implementation

        return render(self)


class Pattern(Node):
    """Base of the five root nodes."""

    __slots__ = ()


# --------------------------------------------------------------------------- text family


class TermKind(Enum):
    """How a term takes part in a term pattern (spec §2.2)."""

    REQUIRED = ""
    OPTIONAL = "?"
    EXCLUDED = "-"


@dataclass(frozen=True, slots=True)
class MatchAll(Pattern):
    """The pattern that matches every event: empty, blank or a blank quoted phrase (D2)."""

    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Term(Node):
    """One item of a term pattern: a word or phrase, found as a case-sensitive substring."""

    text: str
    kind: TermKind = TermKind.REQUIRED
    quoted: bool = field(default=False, compare=False)
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class TermPattern(Pattern):
    """Terms separated by blanks: all required terms, none of the excluded, or any optional."""

    terms: tuple[Term, ...]
    span: Span | None = _span()

    def __post_init__(self) -> None:
        if not self.terms:
            raise ValueError("a TermPattern needs at least one term; use MatchAll")


@dataclass(frozen=True, slots=True)
class Regex(Node):
    """A ``%…%`` regular expression; ``source`` is the text between the ``%`` signs."""

    source: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class RegexPattern(Pattern):
    """A standalone regex pattern, searched for anywhere in the message."""

    regex: Regex
    span: Span | None = _span()


# --------------------------------------------------------------------------- JSON family


@dataclass(frozen=True, slots=True)
class Key(Node):
    """Selector step ``.name`` (or ``.['dotted.name']``)."""

    name: str


@dataclass(frozen=True, slots=True)
class Index(Node):
    """Selector step ``[N]``, zero-based."""

    index: int


@dataclass(frozen=True, slots=True)
class AnyKey(Node):
    """Selector step ``.*``: every value of an object."""


@dataclass(frozen=True, slots=True)
class AnyIndex(Node):
    """Selector step ``[*]``: every element of an array."""


Step = Union[Key, Index, AnyKey, AnyIndex]


@dataclass(frozen=True, slots=True)
class Selector(Node):
    """``$`` followed by one or more steps."""

    steps: tuple[Step, ...]
    span: Span | None = _span()

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a Selector needs at least one step")


class Operator(Enum):
    """Comparison operators of JSON and space-delimited conditions."""

    EQ = "="
    NE = "!="
    LT = "<"
    GT = ">"
    LE = "<="
    GE = ">="

    @property
    def is_relational(self) -> bool:
        """True for ``<``, ``>``, ``<=``, ``>=``, which need a number (D12)."""
        return self not in (Operator.EQ, Operator.NE)


@dataclass(frozen=True, slots=True)
class String(Node):
    """A string value. A leading and/or trailing ``*`` is a wildcard (D25)."""

    text: str
    quoted: bool = field(default=True, compare=False)
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Number(Node):
    """An unquoted number value, kept as written (``+1000``, ``1e3``) because D12 compares the
    literal's text with JSON strings."""

    text: str
    span: Span | None = _span()


Value = Union[String, Number, Regex]


class TruthTest(Enum):
    """What ``IS`` tests for."""

    TRUE = "TRUE"
    FALSE = "FALSE"
    NULL = "NULL"


@dataclass(frozen=True, slots=True)
class JsonCompare(Node):
    """``selector op value``."""

    selector: Selector
    op: Operator
    value: Value
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class JsonIs(Node):
    """``selector IS TRUE|FALSE|NULL``."""

    selector: Selector
    test: TruthTest
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class JsonNotExists(Node):
    """``selector NOT EXISTS``."""

    selector: Selector
    span: Span | None = _span()


C = TypeVar("C", bound=Node)


@dataclass(frozen=True, slots=True)
class And(Node, Generic[C]):
    """All operands hold (``&&``)."""

    operands: tuple[C, ...]
    span: Span | None = _span()

    def __post_init__(self) -> None:
        _check_operands(self, self.operands)


@dataclass(frozen=True, slots=True)
class Or(Node, Generic[C]):
    """At least one operand holds (``||``)."""

    operands: tuple[C, ...]
    span: Span | None = _span()

    def __post_init__(self) -> None:
        _check_operands(self, self.operands)


def _check_operands(node: Node, operands: tuple[Node, ...]) -> None:
    if len(operands) < 2:
        raise ValueError(f"{type(node).__name__} needs at least two operands")
    if any(type(operand) is type(node) for operand in operands):
        raise ValueError(f"{type(node).__name__} operands must be flattened")


JsonCondition = Union[JsonCompare, JsonIs, JsonNotExists]
JsonExpr = Union[JsonCompare, JsonIs, JsonNotExists, "And[JsonExpr]", "Or[JsonExpr]"]


@dataclass(frozen=True, slots=True)
class JsonPattern(Pattern):
    """``{ expression }``: conditions on the fields of a JSON event."""

    expr: JsonExpr
    span: Span | None = _span()


# --------------------------------------------------------------------------- delimited family


@dataclass(frozen=True, slots=True)
class FieldCompare(Node):
    """``op value`` applied to the value of the enclosing field."""

    op: Operator
    value: Value
    span: Span | None = _span()


FieldCondition = Union[FieldCompare, "And[FieldCondition]", "Or[FieldCondition]"]


@dataclass(frozen=True, slots=True)
class Field(Node):
    """One slot of a space-delimited pattern: named or not, with an optional condition."""

    name: str | None = None
    condition: FieldCondition | None = None
    span: Span | None = _span()

    def __post_init__(self) -> None:
        if self.condition is not None and self.name is None:
            raise ValueError("a condition needs a named field")
        if not _is_field_dnf(self.condition):
            raise ValueError("field conditions cannot put || inside && (slots have no parentheses)")


def _is_field_dnf(condition: Node | None) -> bool:
    """A slot's condition is an Or of Ands of comparisons, since slots have no parentheses."""
    if isinstance(condition, Or):
        return all(
            _is_field_dnf(operand) and not isinstance(operand, Or) for operand in condition.operands
        )
    if isinstance(condition, And):
        return all(isinstance(operand, FieldCompare) for operand in condition.operands)
    return condition is None or isinstance(condition, FieldCompare)


@dataclass(frozen=True, slots=True)
class EllipsisField(Node):
    """``...``: any number of tokens, possibly none."""

    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class DelimitedPattern(Pattern):
    """``[field, field, ...]``: conditions on the blank-separated tokens of the message."""

    fields: tuple[Field | EllipsisField, ...]
    span: Span | None = _span()

    def __post_init__(self) -> None:
        if self.fields == (Field(),):
            raise ValueError("a lone unnamed field cannot be written; [] has no fields at all")


TextPattern = Union[MatchAll, TermPattern, RegexPattern]

__all__ = [
    "And",
    "AnyIndex",
    "AnyKey",
    "DelimitedPattern",
    "EllipsisField",
    "Field",
    "FieldCompare",
    "FieldCondition",
    "Index",
    "JsonCompare",
    "JsonCondition",
    "JsonExpr",
    "JsonIs",
    "JsonNotExists",
    "JsonPattern",
    "Key",
    "MatchAll",
    "Node",
    "Number",
    "Operator",
    "Or",
    "Pattern",
    "Regex",
    "RegexPattern",
    "Selector",
    "Span",
    "Step",
    "String",
    "Term",
    "TermKind",
    "TermPattern",
    "TextPattern",
    "TruthTest",
    "Value",
]
