"""``PutMetricFilter``'s newer members (§3.3): ``fieldSelectionCriteria``,
``emitSystemFieldDimensions`` and ``applyOnTransformedLogs``, checked and stored with moto's
filter; :mod:`cwquery.emulator.publishing` honours them.

* ``fieldSelectionCriteria``: the selection language over ``@aws.account`` / ``@aws.region``
  (:mod:`cwquery.selection`); a group's own events have its account and Region (T29).
* ``emitSystemFieldDimensions``: ``@aws.account`` / ``@aws.region``, added as dimensions; with
  the transformation's own dimensions at most 3.
* ``applyOnTransformedLogs``: stored as given (T34).
"""

from __future__ import annotations

from typing import Any

from cwquery.emulator.errors import InvalidParameterException
from cwquery.emulator.handlers import request_reader
from cwquery.selection import FIELD_SELECTION, SYSTEM_FIELDS, SelectionError, parse_criteria

#: Dimensions of one metric filter, its own and the emitted system fields together.
MAX_DIMENSIONS = 3


def put_metric_filter(response: Any) -> str:
    """``PutMetricFilter`` reading every member of the service model."""
    param = request_reader(response)
    transformations = param("metricTransformations") or []
    criteria = param("fieldSelectionCriteria")
    emitted = list(param("emitSystemFieldDimensions") or [])
    check(criteria, emitted, transformations)
    backend = response.logs_backend
    name, group = param("filterName"), param("logGroupName")
    backend.put_metric_filter(name, param("filterPattern"), group, transformations)
    for stored in backend.filters.metric_filters:
        if stored.get("filterName") == name and stored.get("logGroupName") == group:
            stored["applyOnTransformedLogs"] = bool(param("applyOnTransformedLogs") or False)
            if criteria is not None:
                stored["fieldSelectionCriteria"] = criteria
            if emitted:
                stored["emitSystemFieldDimensions"] = emitted
    return ""


def check(criteria: str | None, emitted: list[Any], transformations: list[Any]) -> None:
    """``InvalidParameterException`` for members the service refuses."""
    try:
        parse_criteria(criteria, FIELD_SELECTION)
    except SelectionError as err:
        raise InvalidParameterException(f"fieldSelectionCriteria: {err.message}") from None
    for field in emitted:
        if field not in SYSTEM_FIELDS:
            raise InvalidParameterException(
                f"emitSystemFieldDimensions: {field!r} is not one of {', '.join(SYSTEM_FIELDS)}"
            )
    if len(set(emitted)) != len(emitted):
        raise InvalidParameterException("emitSystemFieldDimensions names a field twice")
    own = transformations[0].get("dimensions") if transformations else None
    count = len(own or {}) + len(emitted)
    if count > MAX_DIMENSIONS:
        raise InvalidParameterException(
            f"A metric filter has at most {MAX_DIMENSIONS} dimensions, emitted system fields "
            f"included; this one has {count}"
        )
