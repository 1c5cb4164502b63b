"""The selection-criteria language of account policies and of ``fieldSelectionCriteria``.

Grammar (T30)::

    criteria := clause (("AND" | "OR") clause)*
    clause   := FIELD op value
    op       := "=" | "!=" | "IN" | "NOT IN"
    value    := STRING | "[" (STRING ("," STRING)*)? "]"

Keywords are upper case, blanks around operators optional, strings are double-quoted JSON
strings. ``AND`` binds tighter than ``OR``. Which fields and operators a criteria may use
depends on where it is written (:data:`FORMS`); anything else is an ``InvalidParameterException``
with cwquery's text (T30). Matching (T31): ``LogGroupName`` is an exact, case-sensitive name,
``LogGroupNamePrefix`` a prefix, ``NOT IN`` excludes, an empty list is valid.

>>> criteria = parse_criteria('LogGroupName NOT IN ["/aws/lambda/forwarder"]',
...                           "SUBSCRIPTION_FILTER_POLICY")
>>> criteria.selects("/app/api"), criteria.selects("/aws/lambda/forwarder")
(True, False)
>>> parse_criteria('@aws.region = "us-east-1"', FIELD_SELECTION).matches(
...     {"@aws.region": "us-east-1"})
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from cwquery.errors import CWQueryError, caret_view

#: Where a criteria is written: the policy types of PutAccountPolicy, and the filters' member.
SUBSCRIPTION_FILTER_POLICY = "SUBSCRIPTION_FILTER_POLICY"
TRANSFORMER_POLICY = "TRANSFORMER_POLICY"
FIELD_INDEX_POLICY = "FIELD_INDEX_POLICY"
RETENTION_POLICY = "RETENTION_POLICY"
METRIC_EXTRACTION_POLICY = "METRIC_EXTRACTION_POLICY"
DATA_PROTECTION_POLICY = "DATA_PROTECTION_POLICY"
FIELD_SELECTION = "fieldSelectionCriteria"

#: Longest criteria: 25 KB of UTF-8 for a policy, 2000 characters for ``fieldSelectionCriteria``.
MAX_POLICY_BYTES = 25 * 1024
MAX_FIELD_SELECTION_CHARACTERS = 2000
#: Values in one list of a metric-extraction policy.
MAX_METRIC_EXTRACTION_VALUES = 50

#: The system fields ``fieldSelectionCriteria`` reads (§3.3).
SYSTEM_FIELDS = ("@aws.account", "@aws.region")

#: The clause shapes each place accepts: ``(field, operator)`` pairs, and for the field index
#: policy the one two-clause form. ``None``: no criteria at all.
_ONE_CLAUSE: dict[str, frozenset[tuple[str, str]]] = {
    SUBSCRIPTION_FILTER_POLICY: frozenset({("LogGroupName", "NOT IN")}),
    TRANSFORMER_POLICY: frozenset({("LogGroupNamePrefix", "IN")}),
    FIELD_INDEX_POLICY: frozenset({("LogGroupNamePrefix", "IN")}),
    RETENTION_POLICY: frozenset({("LogGroupNamePrefix", "IN")}),
    METRIC_EXTRACTION_POLICY: frozenset(
        {
            ("LogGroupName", "IN"),
            ("LogGroupName", "NOT IN"),
            ("LogGroupNamePrefix", "IN"),
            ("LogGroupNamePrefix", "NOT IN"),
        }
    ),
}
#: Human descriptions of the accepted forms, used in error texts.
FORMS: dict[str, str] = {
    SUBSCRIPTION_FILTER_POLICY: 'LogGroupName NOT IN ["..."]',
    TRANSFORMER_POLICY: 'LogGroupNamePrefix IN ["..."]',
    FIELD_INDEX_POLICY: (
        'LogGroupNamePrefix IN ["..."] or DataSourceName = "..." AND DataSourceType = "..."'
    ),
    RETENTION_POLICY: 'LogGroupNamePrefix IN ["..."]',
    METRIC_EXTRACTION_POLICY: 'LogGroupName or LogGroupNamePrefix, IN or NOT IN ["..."]',
    FIELD_SELECTION: "@aws.account or @aws.region with =, !=, IN, NOT IN, AND, OR",
}

_TOKEN = re.compile(
    r"""(?P<blank>\s+)
      | (?P<string>"(?:[^"\\\x00-\x1f]|\\.)*")
      | (?P<word>[@A-Za-z_][A-Za-z0-9_.@-]*)
      | (?P<op>!=|=)
      | (?P<punct>[\[\],])""",
    re.VERBOSE,
)


class SelectionError(CWQueryError, ValueError):
    """A criteria the service refuses (``InvalidParameterException``).

    Attributes:
        code: ``syntax`` (not the grammar), ``form`` (a field or operator this place does not
            take), ``limit`` (too long, too many values).
        message: one line saying what is wrong.
        criteria: the whole text; ``offset``: 0-based position of the problem.
    """

    service_exception: ClassVar[str] = "InvalidParameterException"

    def __init__(self, code: str, message: str, criteria: str, offset: int) -> None:
        self.code = code
        self.message = message
        self.criteria = criteria
        self.offset = max(0, min(offset, len(criteria)))
        text, caret = caret_view(criteria, self.offset, 1) if criteria else ("", "^")
        super().__init__(f"{message} (column {self.offset + 1})\n  {text}\n  {caret}")


@dataclass(frozen=True, slots=True)
class Clause:
    """``field op value``; ``values`` holds one string for ``=``/``!=``."""

    field: str
    operator: str
    values: tuple[str, ...]

    def holds(self, actual: str | None) -> bool:
        """Does the clause hold for a field whose value is ``actual`` (``None``: absent)?"""
        if self.field == "LogGroupNamePrefix":
            found = actual is not None and any(actual.startswith(v) for v in self.values)
        else:
            found = actual is not None and actual in self.values
        return not found if self.operator in ("!=", "NOT IN") else found


@dataclass(frozen=True, slots=True)
class Criteria:
    """A parsed criteria: ``OR`` of ``AND`` groups of clauses (no clause: everything)."""

    text: str
    alternatives: tuple[tuple[Clause, ...], ...]

    def matches(self, fields: Mapping[str, str]) -> bool:
        """Does an event or group with these field values satisfy the criteria?"""
        if not self.alternatives:
            return True
        return any(
            all(clause.holds(fields.get(clause.field)) for clause in group)
            for group in self.alternatives
        )

    def selects(self, log_group: str) -> bool:
        """Does a policy with this criteria cover the log group named ``log_group``?"""
        return self.matches({"LogGroupName": log_group, "LogGroupNamePrefix": log_group})

    @property
    def clauses(self) -> tuple[Clause, ...]:
        """Every clause, in order."""
        return tuple(clause for group in self.alternatives for clause in group)


def parse_criteria(text: str | None, place: str = FIELD_SELECTION) -> Criteria:
    """Parse and check ``text`` for ``place`` (a policy type or :data:`FIELD_SELECTION`).

    An absent or empty criteria selects everything.

    >>> parse_criteria('LogGroupNamePrefix IN ["/app"]', "TRANSFORMER_POLICY").selects("/app/api")
    True
    >>> parse_criteria(None).matches({})
    True

    Raises:
        SelectionError: the text is not the grammar, names a field or operator ``place`` does
            not take, or breaks a length limit.
    """
    text = text or ""
    _check_length(text, place)
    if not text.strip():
        return Criteria(text, ())
    if place == DATA_PROTECTION_POLICY:
        raise SelectionError("form", "DATA_PROTECTION_POLICY takes no selectionCriteria", text, 0)
    if place != FIELD_SELECTION and place not in _ONE_CLAUSE:
        raise SelectionError("form", f"unknown policy type {place!r}", text, 0)
    parser = _Parser(text)
    alternatives, joins = parser.criteria()
    criteria = Criteria(text, alternatives)
    _check_form(criteria, joins, place, parser.offsets)
    return criteria


def prefixes_overlap(left: Iterable[str], right: Iterable[str]) -> tuple[str, str] | None:
    """The first pair of prefixes, one from each side, where one starts with the other.

    >>> prefixes_overlap(["my-log"], ["my-logging", "other"])
    ('my-log', 'my-logging')
    >>> prefixes_overlap(["/app/"], ["/apps/"]) is None
    True
    """
    others = list(right)
    for a in left:
        for b in others:
            if a.startswith(b) or b.startswith(a):
                return a, b
    return None


def criteria_overlap(first: Criteria, second: Criteria) -> bool:
    """Could two log-group policies of one type both cover some log group (§4)?

    An unscoped policy overlaps every other. Two ``IN`` policies overlap when a name equals a
    name, a prefix starts a name, or one prefix starts the other. An ``IN`` and a ``NOT IN``
    policy do not overlap only if every ``IN`` value lies inside some ``NOT IN`` value (a name
    equal to an excluded name or under an excluded prefix; a prefix under an excluded prefix).
    Two ``NOT IN`` policies always overlap.

    >>> overlap = lambda a, b: criteria_overlap(parse_criteria(a, METRIC_EXTRACTION_POLICY),
    ...                                         parse_criteria(b, METRIC_EXTRACTION_POLICY))
    >>> overlap('LogGroupNamePrefix NOT IN ["/aws/lambda"]', 'LogGroupName IN ["/aws/lambda/f"]')
    False
    >>> overlap('LogGroupNamePrefix NOT IN ["/aws/lambda"]', 'LogGroupNamePrefix IN ["/aws"]')
    True
    """
    if len(first.clauses) != 1 or len(second.clauses) != 1:
        return True
    a, b = first.clauses[0], second.clauses[0]
    a_out, b_out = a.operator == "NOT IN", b.operator == "NOT IN"
    if a_out and b_out:
        return True
    if a_out or b_out:
        inside, outside = (b, a) if a_out else (a, b)
        return not all(_value_inside(inside.field, v, outside) for v in inside.values)
    return any(_values_meet(a.field, x, b.field, y) for x in a.values for y in b.values)


def _value_inside(field: str, value: str, excluded: Clause) -> bool:
    if excluded.field == "LogGroupNamePrefix":
        return any(value.startswith(prefix) for prefix in excluded.values)
    return field == "LogGroupName" and value in excluded.values


def _values_meet(field_a: str, a: str, field_b: str, b: str) -> bool:
    prefix_a, prefix_b = field_a == "LogGroupNamePrefix", field_b == "LogGroupNamePrefix"
    if prefix_a and prefix_b:
        return a.startswith(b) or b.startswith(a)
    if prefix_a:
        return b.startswith(a)
    if prefix_b:
        return a.startswith(b)
    return a == b


def _check_length(text: str, place: str) -> None:
    if place == FIELD_SELECTION:
        if len(text) > MAX_FIELD_SELECTION_CHARACTERS:
            raise SelectionError(
                "limit",
                f"fieldSelectionCriteria is {len(text)} characters, more than "
                f"{MAX_FIELD_SELECTION_CHARACTERS}",
                text,
                MAX_FIELD_SELECTION_CHARACTERS,
            )
    elif len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        raise SelectionError(
            "limit", f"selectionCriteria is longer than {MAX_POLICY_BYTES} bytes", text, 0
        )


def _check_form(criteria: Criteria, joins: list[str], place: str, offsets: dict[int, int]) -> None:
    clauses = criteria.clauses
    text = criteria.text
    if place == FIELD_SELECTION:
        for index, clause in enumerate(clauses):
            if clause.field not in SYSTEM_FIELDS:
                raise SelectionError(
                    "form",
                    f"fieldSelectionCriteria cannot select on {clause.field}: use " + FORMS[place],
                    text,
                    offsets[index],
                )
        return
    if place == FIELD_INDEX_POLICY and len(clauses) == 2 and joins == ["AND"]:
        first, second = clauses
        if (first.field, first.operator, second.field, second.operator) == (
            "DataSourceName",
            "=",
            "DataSourceType",
            "=",
        ):
            return
    if len(clauses) != 1:
        raise SelectionError(
            "form",
            f"{place} takes one clause: {FORMS[place]}",
            text,
            offsets[1] if len(clauses) > 1 else 0,
        )
    clause = clauses[0]
    if (clause.field, clause.operator) not in _ONE_CLAUSE[place]:
        raise SelectionError(
            "form",
            f"{place} does not take {clause.field} {clause.operator}: use {FORMS[place]}",
            text,
            offsets[0],
        )
    if place == METRIC_EXTRACTION_POLICY and len(clause.values) > MAX_METRIC_EXTRACTION_VALUES:
        raise SelectionError(
            "limit",
            f"{len(clause.values)} values, more than {MAX_METRIC_EXTRACTION_VALUES}",
            text,
            offsets[0],
        )


class _Parser:
    """A recursive-descent reader over the token list, recording clause offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        self.position = 0
        self.offsets: dict[int, int] = {}
        offset = 0
        while offset < len(text):
            found = _TOKEN.match(text, offset)
            if found is None:
                raise SelectionError(
                    "syntax", f"unexpected character {text[offset]!r}", text, offset
                )
            kind = found.lastgroup or ""
            if kind != "blank":
                self.tokens.append((kind, found.group(), offset))
            offset = found.end()

    def _peek(self) -> tuple[str, str, int]:
        if self.position < len(self.tokens):
            return self.tokens[self.position]
        return ("end", "", len(self.text))

    def _take(self) -> tuple[str, str, int]:
        token = self._peek()
        self.position += 1
        return token

    def _fail(self, expected: str) -> SelectionError:
        kind, value, offset = self._peek()
        found = "the end of the criteria" if kind == "end" else repr(value)
        return SelectionError("syntax", f"expected {expected}, found {found}", self.text, offset)

    def criteria(self) -> tuple[tuple[tuple[Clause, ...], ...], list[str]]:
        groups: list[list[Clause]] = [[self.clause()]]
        joins: list[str] = []
        while self._peek()[0] != "end":
            kind, value, _ = self._peek()
            if kind != "word" or value not in ("AND", "OR"):
                raise self._fail("AND or OR")
            self._take()
            joins.append(value)
            clause = self.clause()
            if value == "AND":
                groups[-1].append(clause)
            else:
                groups.append([clause])
        return tuple(tuple(group) for group in groups), joins

    def clause(self) -> Clause:
        kind, field, offset = self._peek()
        if kind != "word" or field in ("AND", "OR", "IN", "NOT"):
            raise self._fail("a field name")
        self.offsets[len(self.offsets)] = offset
        self._take()
        kind, value, _ = self._peek()
        if kind == "op":
            self._take()
            return Clause(field, value, (self.string(),))
        if (kind, value) == ("word", "IN"):
            self._take()
            return Clause(field, "IN", self.string_list())
        if (kind, value) == ("word", "NOT"):
            self._take()
            if self._peek()[:2] != ("word", "IN"):
                raise self._fail("IN after NOT")
            self._take()
            return Clause(field, "NOT IN", self.string_list())
        raise self._fail("=, !=, IN or NOT IN")

    def string(self) -> str:
        kind, value, _ = self._peek()
        if kind != "string":
            raise self._fail("a double-quoted string")
        try:
            decoded = json.loads(value)
        except ValueError:
            raise self._fail("a string with valid escapes") from None
        self._take()
        assert isinstance(decoded, str)
        return decoded

    def string_list(self) -> tuple[str, ...]:
        if self._peek()[:2] != ("punct", "["):
            raise self._fail("'['")
        self._take()
        values: list[str] = []
        if self._peek()[:2] == ("punct", "]"):
            self._take()
            return ()
        while True:
            values.append(self.string())
            kind, value, _ = self._peek()
            if (kind, value) == ("punct", "]"):
                self._take()
                return tuple(values)
            if (kind, value) != ("punct", ","):
                raise self._fail("',' or ']'")
            self._take()
