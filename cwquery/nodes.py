"""The nodes of a filter pattern's syntax tree, as value objects; :mod:`cwquery.ast` is the
module to import them from, with the walk over a tree and the joining of conditions.

Nodes are immutable and have slots: they compare and hash by value, so a parsed tree equals a
built one and compiled matchers can be cached by tree. Source positions (``span``) and spelling
details that do not change the meaning (``quoted``) are kept for error messages and the linter
but take no part in equality; ``span`` is not shown by ``repr`` either. (They are written out
rather than made by :mod:`dataclasses`, whose generated code takes a while to build at every
start.)
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, Union

if TYPE_CHECKING:  # type checkers treat the nodes as frozen dataclasses: fields are read-only
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**options: object) -> Any:
        return lambda cls: cls


@dataclass_transform(frozen_default=True)
class _Value:
    """Immutable fields with value semantics: the fields are the ``__slots__``, set once by
    ``__init__``. All of them but ``span`` appear in ``repr``; all but ``span`` and ``quoted``
    take part in ``==`` and ``hash``.

    >>> Term("a", quoted=True, span=Span(0, 3)) == Term("a")
    True
    >>> Term("a", quoted=True, span=Span(0, 3))
    Term(text='a', kind=<TermKind.REQUIRED: ''>, quoted=True)
    """

    __slots__ = ()
    _shown: ClassVar[tuple[str, ...]] = ()
    #: the compared fields of a node (one value, or a tuple of several), read in C
    _compared: ClassVar[Callable[[Any], object]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: tuple[str, ...] = cls.__slots__
        shown = tuple(name for name in fields if name != "span")
        compared = [name for name in shown if name != "quoted"]
        cls._shown = shown
        cls._compared = attrgetter(*compared) if compared else staticmethod(_no_fields)

    def _set(self, **fields: object) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        compared = type(self)._compared
        return bool(compared(self) == compared(other))

    def __hash__(self) -> int:
        return hash(type(self)._compared(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: {type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: {type(self).__name__} is frozen")

    def __reduce__(self) -> tuple[Any, ...]:
        fields: tuple[str, ...] = self.__slots__
        return _restore, (type(self), tuple(getattr(self, name) for name in fields))


def _no_fields(node: object) -> tuple[()]:
    return ()


def _restore(cls: type[_Value], values: tuple[object, ...]) -> _Value:
    """A node again from its fields (for pickle and copy)."""
    node = object.__new__(cls)
    fields: tuple[str, ...] = cls.__slots__
    node._set(**dict(zip(fields, values, strict=True)))
    return node


class Span(_Value):
    """Half-open character range ``[start, end)`` in the pattern text (0-based)."""

    __slots__ = ("start", "end")
    start: int
    end: int

    def __init__(self, start: int, end: int) -> None:
        self._set(start=start, end=end)


class Node(_Value):
    """Base of every tree node; ``str(node)`` is its canonical text."""

    __slots__ = ()

    def __str__(self) -> str:
        from cwquery.renderer import render  # the single rendering implementation

        return render(self)

    def children(self) -> tuple[Node, ...]:
        """The nodes directly below this one, in source order (none for a leaf)."""
        return ()


class Pattern(Node):
    """Base of the five root nodes."""

    __slots__ = ()


# --------------------------------------------------------------------------- text family


class TermKind(Enum):
    """How a term takes part in a term pattern (spec §2.2)."""

    REQUIRED = ""
    OPTIONAL = "?"
    EXCLUDED = "-"


class MatchAll(Pattern):
    """The pattern that matches every event: empty, blank or a blank quoted phrase (D2)."""

    __slots__ = ("span",)
    span: Span | None

    def __init__(self, *, span: Span | None = None) -> None:
        self._set(span=span)


class Term(Node):
    """One item of a term pattern: a word or phrase, found as a case-sensitive substring."""

    __slots__ = ("text", "kind", "quoted", "span")
    text: str
    kind: TermKind
    quoted: bool
    span: Span | None

    def __init__(
        self,
        text: str,
        kind: TermKind = TermKind.REQUIRED,
        quoted: bool = False,
        *,
        span: Span | None = None,
    ) -> None:
        self._set(text=text, kind=kind, quoted=quoted, span=span)


class TermPattern(Pattern):
    """Terms separated by blanks: all required terms, none of the excluded, or any optional."""

    __slots__ = ("terms", "span")
    terms: tuple[Term, ...]
    span: Span | None

    def __init__(self, terms: tuple[Term, ...], *, span: Span | None = None) -> None:
        self._set(terms=terms, span=span)
        if not self.terms:
            raise ValueError("a TermPattern needs at least one term; use MatchAll")

    def children(self) -> tuple[Node, ...]:
        return self.terms


class Regex(Node):
    """A ``%…%`` regular expression; ``source`` is the text between the ``%`` signs."""

    __slots__ = ("source", "span")
    source: str
    span: Span | None

    def __init__(self, source: str, *, span: Span | None = None) -> None:
        self._set(source=source, span=span)


class RegexPattern(Pattern):
    """A standalone regex pattern, searched for anywhere in the message."""

    __slots__ = ("regex", "span")
    regex: Regex
    span: Span | None

    def __init__(self, regex: Regex, *, span: Span | None = None) -> None:
        self._set(regex=regex, span=span)

    def children(self) -> tuple[Node, ...]:
        return (self.regex,)


# --------------------------------------------------------------------------- JSON family


class Key(Node):
    """Selector step ``.name`` (or ``.['dotted.name']``)."""

    __slots__ = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        self._set(name=name)


class Index(Node):
    """Selector step ``[N]``, zero-based."""

    __slots__ = ("index",)
    index: int

    def __init__(self, index: int) -> None:
        self._set(index=index)


class AnyKey(Node):
    """Selector step ``.*``: every value of an object."""

    __slots__ = ()


class AnyIndex(Node):
    """Selector step ``[*]``: every element of an array."""

    __slots__ = ()


Step = Union[Key, Index, AnyKey, AnyIndex]


class Selector(Node):
    """``$`` followed by one or more steps."""

    __slots__ = ("steps", "span")
    steps: tuple[Step, ...]
    span: Span | None

    def __init__(self, steps: tuple[Step, ...], *, span: Span | None = None) -> None:
        self._set(steps=steps, span=span)
        if not self.steps:
            raise ValueError("a Selector needs at least one step")

    def children(self) -> tuple[Node, ...]:
        return self.steps


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


class String(Node):
    """A string value. A leading and/or trailing ``*`` is a wildcard (D25)."""

    __slots__ = ("text", "quoted", "span")
    text: str
    quoted: bool
    span: Span | None

    def __init__(self, text: str, quoted: bool = True, *, span: Span | None = None) -> None:
        self._set(text=text, quoted=quoted, span=span)


class Number(Node):
    """An unquoted number value, kept as written (``+1000``, ``1e3``) because D12 compares the
    literal's text with JSON strings."""

    __slots__ = ("text", "span")
    text: str
    span: Span | None

    def __init__(self, text: str, *, span: Span | None = None) -> None:
        self._set(text=text, span=span)


Value = Union[String, Number, Regex]


class TruthTest(Enum):
    """What ``IS`` tests for."""

    TRUE = "TRUE"
    FALSE = "FALSE"
    NULL = "NULL"


class JsonCompare(Node):
    """``selector op value``."""

    __slots__ = ("selector", "op", "value", "span")
    selector: Selector
    op: Operator
    value: Value
    span: Span | None

    def __init__(
        self, selector: Selector, op: Operator, value: Value, *, span: Span | None = None
    ) -> None:
        self._set(selector=selector, op=op, value=value, span=span)

    def children(self) -> tuple[Node, ...]:
        return (self.selector, self.value)


class JsonIs(Node):
    """``selector IS TRUE|FALSE|NULL``."""

    __slots__ = ("selector", "test", "span")
    selector: Selector
    test: TruthTest
    span: Span | None

    def __init__(self, selector: Selector, test: TruthTest, *, span: Span | None = None) -> None:
        self._set(selector=selector, test=test, span=span)

    def children(self) -> tuple[Node, ...]:
        return (self.selector,)


class JsonNotExists(Node):
    """``selector NOT EXISTS``."""

    __slots__ = ("selector", "span")
    selector: Selector
    span: Span | None

    def __init__(self, selector: Selector, *, span: Span | None = None) -> None:
        self._set(selector=selector, span=span)

    def children(self) -> tuple[Node, ...]:
        return (self.selector,)


C = TypeVar("C", bound=Node)


class And(Node, Generic[C]):
    """All operands hold (``&&``)."""

    __slots__ = ("operands", "span")
    operands: tuple[C, ...]
    span: Span | None

    def __init__(self, operands: tuple[C, ...], *, span: Span | None = None) -> None:
        self._set(operands=operands, span=span)
        _check_operands(self, self.operands)

    def children(self) -> tuple[Node, ...]:
        return self.operands


class Or(Node, Generic[C]):
    """At least one operand holds (``||``)."""

    __slots__ = ("operands", "span")
    operands: tuple[C, ...]
    span: Span | None

    def __init__(self, operands: tuple[C, ...], *, span: Span | None = None) -> None:
        self._set(operands=operands, span=span)
        _check_operands(self, self.operands)

    def children(self) -> tuple[Node, ...]:
        return self.operands


def _check_operands(node: Node, operands: tuple[Node, ...]) -> None:
    if len(operands) < 2:
        raise ValueError(f"{type(node).__name__} needs at least two operands")
    if any(type(operand) is type(node) for operand in operands):
        raise ValueError(f"{type(node).__name__} operands must be flattened")


JsonCondition = Union[JsonCompare, JsonIs, JsonNotExists]
JsonExpr = Union[JsonCompare, JsonIs, JsonNotExists, "And[JsonExpr]", "Or[JsonExpr]"]


class JsonPattern(Pattern):
    """``{ expression }``: conditions on the fields of a JSON event."""

    __slots__ = ("expr", "span")
    expr: JsonExpr
    span: Span | None

    def __init__(self, expr: JsonExpr, *, span: Span | None = None) -> None:
        self._set(expr=expr, span=span)

    def children(self) -> tuple[Node, ...]:
        return (self.expr,)


# --------------------------------------------------------------------------- delimited family


class FieldCompare(Node):
    """``op value`` applied to the value of the enclosing field."""

    __slots__ = ("op", "value", "span")
    op: Operator
    value: Value
    span: Span | None

    def __init__(self, op: Operator, value: Value, *, span: Span | None = None) -> None:
        self._set(op=op, value=value, span=span)

    def children(self) -> tuple[Node, ...]:
        return (self.value,)


FieldCondition = Union[FieldCompare, "And[FieldCondition]", "Or[FieldCondition]"]


class Field(Node):
    """One slot of a space-delimited pattern: named or not, with an optional condition."""

    __slots__ = ("name", "condition", "span")
    name: str | None
    condition: FieldCondition | None
    span: Span | None

    def __init__(
        self,
        name: str | None = None,
        condition: FieldCondition | None = None,
        *,
        span: Span | None = None,
    ) -> None:
        self._set(name=name, condition=condition, span=span)
        if self.condition is not None and self.name is None:
            raise ValueError("a condition needs a named field")
        if not _is_field_dnf(self.condition):
            raise ValueError("field conditions cannot put || inside && (slots have no parentheses)")

    def children(self) -> tuple[Node, ...]:
        return () if self.condition is None else (self.condition,)


def _is_field_dnf(condition: Node | None) -> bool:
    """A slot's condition is an Or of Ands of comparisons, since slots have no parentheses."""
    if isinstance(condition, Or):
        return all(
            _is_field_dnf(operand) and not isinstance(operand, Or) for operand in condition.operands
        )
    if isinstance(condition, And):
        return all(isinstance(operand, FieldCompare) for operand in condition.operands)
    return condition is None or isinstance(condition, FieldCompare)


class EllipsisField(Node):
    """``...``: any number of tokens, possibly none."""

    __slots__ = ("span",)
    span: Span | None

    def __init__(self, *, span: Span | None = None) -> None:
        self._set(span=span)


class DelimitedPattern(Pattern):
    """``[field, field, ...]``: conditions on the blank-separated tokens of the message."""

    __slots__ = ("fields", "span")
    fields: tuple[Field | EllipsisField, ...]
    span: Span | None

    def __init__(
        self, fields: tuple[Field | EllipsisField, ...], *, span: Span | None = None
    ) -> None:
        self._set(fields=fields, span=span)
        if self.fields == (Field(),):
            raise ValueError("a lone unnamed field cannot be written; [] has no fields at all")

    def children(self) -> tuple[Node, ...]:
        return self.fields


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
