"""Metric filters evaluated locally (spec §6.1): which value and dimensions an event publishes.

>>> transformation = MetricTransformation("Latency", "App", "$.latency",
...                                       dimensions={"type": "$.requestType"})
>>> metric_filter = MetricFilter("{ $.latency = * }", transformation)
>>> metric_filter.datapoint('{"latency": 50, "requestType": "GET"}')
Datapoint(value=50.0, dimensions={'type': 'GET'})
>>> MetricFilter("ERROR", transformation)
Traceback (most recent call last):
...
cwquery.metrics.MetricFilterError: The specified filter pattern does not support dimensions
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cwquery import semantics
from cwquery.ast import DelimitedPattern, EllipsisField, JsonPattern, Pattern
from cwquery.compiler import Matcher, compile
from cwquery.delimited import FieldLayout
from cwquery.errors import CWQueryError
from cwquery.numbers import NUMBER_SYNTAX, token_number
from cwquery.parser import parse_selector
from cwquery.selectors import has_wildcard_step, selector_function

MAX_DIMENSIONS = 3
MAX_METRIC_VALUE_LENGTH = 100
#: Dimension values are 1 to 255 characters; a longer one publishes nothing (E3).
MAX_DIMENSION_VALUE_LENGTH = 255
#: Sample values CloudWatch accepts: finite, magnitude at most 2**360 (E2).
MAX_SAMPLE_MAGNITUDE = 2.0**360
#: Why a matching event publishes nothing (:meth:`MetricFilter.outcome`).
NO_VALUE = "value"
NO_DIMENSION = "dimension"
#: The service's text when a term pattern is given dimensions (spec §8).
DIMENSIONS_NOT_SUPPORTED = "The specified filter pattern does not support dimensions"

_FIELD_REFERENCE = re.compile(r"\$([A-Za-z0-9_\-]+)")


class MetricFilterError(CWQueryError, ValueError):
    """A metric transformation the service would refuse; ``str(err)`` is the service's text."""


@dataclass(frozen=True)
class MetricTransformation:
    """``PutMetricFilter``'s ``metricTransformations[0]``."""

    metric_name: str
    metric_namespace: str
    metric_value: str
    default_value: float | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    unit: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> MetricTransformation:
        """Build from the API's camelCase dictionary."""
        return cls(
            metric_name=data["metricName"],
            metric_namespace=data["metricNamespace"],
            metric_value=data["metricValue"],
            default_value=data.get("defaultValue"),
            dimensions=dict(data.get("dimensions") or {}),
            unit=data.get("unit"),
        )


@dataclass(frozen=True)
class Datapoint:
    """What one matching event contributes to the metric."""

    value: float
    dimensions: dict[str, str]


class MetricFilter:
    """A pattern with its transformation, checked as ``PutMetricFilter`` checks them."""

    def __init__(self, pattern: str | Pattern, transformation: MetricTransformation) -> None:
        self.matcher: Matcher = compile(pattern)
        self.transformation = transformation
        check_transformation(self.matcher.pattern, transformation)
        self._value = _reference(self.matcher.pattern, transformation.metric_value)
        self._dimensions = {
            name: _reference(self.matcher.pattern, reference)
            for name, reference in transformation.dimensions.items()
        }

    @property
    def constant_value(self) -> float | None:
        """The value every match publishes when ``metricValue`` is a literal and there are no
        dimensions (then a match needs no further reading), else ``None``.

        >>> MetricFilter("ERROR", MetricTransformation("E", "App", "1")).constant_value
        1.0
        """
        if self.transformation.dimensions:
            return None
        value = self.transformation.metric_value.strip()
        return float(value) if NUMBER_SYNTAX.fullmatch(value) else None

    def datapoint(self, message: str) -> Datapoint | None:
        """The datapoint a matching event publishes, or ``None``: no match, or a value or
        dimension that cannot be read as required (a non-numeric value publishes nothing)."""
        outcome = self.outcome(message)
        return outcome if isinstance(outcome, Datapoint) else None

    def outcome(self, message: str) -> Datapoint | str | None:
        """What one event gives: ``None`` when it does not match, its :class:`Datapoint`, or,
        for a match that publishes nothing, why: :data:`NO_VALUE` (E2) or :data:`NO_DIMENSION`
        (E3).

        >>> metric = MetricFilter("{ $.v = * }", MetricTransformation("V", "App", "$.v"))
        >>> metric.outcome('{"v": "80"}'), metric.outcome('{"v": "slow"}'), metric.outcome("x")
        (Datapoint(value=80.0, dimensions={}), 'value', None)
        """
        if not self.matcher.matches(message):
            return None
        return self.read(message)

    def read(self, message: str) -> Datapoint | str:
        """:meth:`outcome` for a message already known to match."""
        context = _Context(message)
        value = _as_number(self._value(context))
        if value is None:
            return NO_VALUE
        dimensions = {}
        for name, read in self._dimensions.items():
            text = _as_text(read(context))
            if text is None or not 0 < len(text) <= MAX_DIMENSION_VALUE_LENGTH:
                return NO_DIMENSION
            dimensions[name] = text
        return Datapoint(value, dimensions)


def check_transformation(pattern: Pattern, transformation: MetricTransformation) -> None:
    """Raise :class:`MetricFilterError` for a transformation the service refuses (spec §6.1)."""
    structured = isinstance(pattern, JsonPattern | DelimitedPattern)
    if transformation.dimensions and not structured:
        raise MetricFilterError(DIMENSIONS_NOT_SUPPORTED)
    if len(transformation.dimensions) > MAX_DIMENSIONS:
        raise MetricFilterError(f"A metric filter can have at most {MAX_DIMENSIONS} dimensions")
    if transformation.dimensions and transformation.default_value is not None:
        raise MetricFilterError("A metric filter with dimensions cannot have a default value")
    if len(transformation.metric_value) > MAX_METRIC_VALUE_LENGTH:
        raise MetricFilterError("metricValue is longer than 100 characters")
    _reference(pattern, transformation.metric_value)
    for reference in transformation.dimensions.values():
        _reference(pattern, reference)


class _Context:
    """One message, parsed at most once for all the references that read it."""

    __slots__ = ("_document", "_named", "_positions", "message")

    def __init__(self, message: str) -> None:
        self.message = message
        self._document: Any = None
        self._positions: dict[int, str] | None = None
        self._named: dict[str, str] | None = None

    def document(self) -> Any:
        if self._document is None:
            self._document = semantics.load_json_event(self.message)
        return self._document

    def positions(self, layout: FieldLayout) -> dict[int, str]:
        if self._positions is None:
            self._positions = layout.values_by_position(self.message) or {}
        return self._positions

    def fields(self, layout: FieldLayout) -> dict[str, str]:
        if self._named is None:
            self._named = layout.named(self.positions(layout))
        return self._named


def _reference(pattern: Pattern, reference: str) -> Callable[[_Context], Any]:
    """How to read ``reference`` (a number, ``$.selector``, ``$field`` or ``$N``) from an event."""
    reference = reference.strip()
    if NUMBER_SYNTAX.fullmatch(reference):
        number = float(reference)
        return lambda context: number
    if reference.startswith("$.") and isinstance(pattern, JsonPattern):
        selector = parse_selector(reference)
        resolve = selector_function(selector)
        if has_wildcard_step(selector):
            return lambda context: next(iter(resolve(context.document())), None)
        return lambda context: resolve(context.document())
    match = _FIELD_REFERENCE.fullmatch(reference)
    if match and isinstance(pattern, DelimitedPattern):
        names = {f.name for f in pattern.fields if not isinstance(f, EllipsisField) and f.name}
        name = match.group(1)
        if not (name in names or name.isdigit()):
            raise MetricFilterError(f"'{reference}' names no field of the pattern")
        layout = FieldLayout.of(pattern)
        if name.isdigit():  # $N: the Nth token, whether or not its field has a name
            position = int(name) - 1
            return lambda context: context.positions(layout).get(position)
        key = f"${name}"
        return lambda context: context.fields(layout).get(key)
    raise MetricFilterError(
        f"'{reference}' is not a number, nor a reference this pattern can fill "
        "($.selector for JSON patterns, $field or $N for space-delimited patterns)"
    )


def _as_number(value: Any) -> float | None:
    """E2: a JSON number, or text that is wholly a decimal or exponent number; finite and
    within ±2^360. Booleans, null, objects and arrays are not numbers."""
    parsed = value if semantics.is_number(value) else None
    if type(value) is str:
        parsed = token_number(value)
    if parsed is None:
        return None
    try:
        number = float(parsed)
    except OverflowError:  # an integer too large for a float
        return None
    if not abs(number) <= MAX_SAMPLE_MAGNITUDE:  # NaN fails this test too
        return None
    return number


def _as_text(value: Any) -> str | None:
    if value is True or value is False:
        return "true" if value else "false"
    return semantics.json_text(value)
