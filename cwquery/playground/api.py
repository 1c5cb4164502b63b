"""The playground's answers, as plain dictionaries: what a pattern is, which sample lines it
matches, why one line matches or not, and the lines of a sample file. The web server
(:mod:`cwquery.playground.server`) only turns requests into calls of these functions.

Every answer comes from the library (parser, matcher, ``explain``, metric filters, lint), so
the page shows exactly what ``cwquery test`` and ``cwquery check`` say.

>>> answer = check_pattern("{ $.level = ERROR }")
>>> answer["valid"], answer["kind"], answer["canonical"]
(True, 'JSON', '{ $.level = "ERROR" }')
>>> bad = check_pattern("{ $.level == 1 }")["error"]
>>> bad["column"], bad["caret"]
(12, ['{ $.level == 1 }', '           ^'])
>>> match_lines("ERROR", ["INFO a", "ERROR b"])["matched"]
[1]
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cwquery import PatternError, compile
from cwquery.ast import DelimitedPattern, JsonPattern, MatchAll, Pattern, RegexPattern, TermPattern
from cwquery.compiler import Matcher
from cwquery.delimited import FieldLayout, split_tokens
from cwquery.errors import CWQueryError, caret_view
from cwquery.iac.lint import Diagnostic, lint_metric, lint_pattern
from cwquery.logs.lines import count_line_ends
from cwquery.logs.sources import LogEvent, SourceError, read_events
from cwquery.metrics import MetricFilter, MetricFilterError, MetricTransformation
from cwquery.plan import plan_for
from cwquery.semantics import EVENT_NUMBER_BASE

#: The most sample text one request may carry (lines, or a file to read), in bytes.
MAX_SAMPLE_BYTES = 8 * 1024 * 1024
#: The most sample lines one request may carry.
MAX_SAMPLE_LINES = 50_000
#: How much a gzip upload is decompressed at a time before the limits are checked again.
_PIECE = 256 * 1024

_KINDS: dict[type[Pattern], str] = {
    TermPattern: "term",
    JsonPattern: "JSON",
    DelimitedPattern: "space-delimited",
    RegexPattern: "regex",
    MatchAll: "match everything",
}


class ApiError(CWQueryError):
    """A request the playground refuses: ``status`` is the HTTP status, ``str()`` the reason."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class MetricSpec:
    """What the page's metric fields hold: a metric value and up to three dimensions."""

    value: str
    dimensions: dict[str, str] = field(default_factory=dict)
    default_value: float | None = None

    @classmethod
    def from_json(cls, data: Any) -> MetricSpec | None:
        """Read ``{"value": ..., "dimensions": {...}, "defaultValue": ...}``; ``None`` (or an
        empty value) means no metric.

        >>> MetricSpec.from_json({"value": "$.ms", "dimensions": {"op": "$.op"}})
        MetricSpec(value='$.ms', dimensions={'op': '$.op'}, default_value=None)
        >>> MetricSpec.from_json({"value": 3})
        Traceback (most recent call last):
        ...
        cwquery.playground.api.ApiError: metric.value must be a string
        """
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ApiError("metric must be an object")
        value = data.get("value", "")
        if not isinstance(value, str):
            raise ApiError("metric.value must be a string")
        dimensions = data.get("dimensions") or {}
        if not isinstance(dimensions, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in dimensions.items()
        ):
            raise ApiError("metric.dimensions must map names to strings")
        default = data.get("defaultValue")
        if default is not None and (
            isinstance(default, bool) or not isinstance(default, int | float)
        ):
            raise ApiError("metric.defaultValue must be a number or null")
        dimensions = {k.strip(): v for k, v in dimensions.items() if k.strip()}
        if not value.strip():
            return None
        return cls(value, dimensions, None if default is None else float(default))

    def transformation(self) -> MetricTransformation:
        """The transformation a metric filter with these fields would have."""
        return MetricTransformation(
            "PlaygroundMetric", "Playground", self.value, self.default_value, self.dimensions
        )


# --------------------------------------------------------------------------- the pattern


def check_pattern(pattern: str, metric: MetricSpec | None = None) -> dict[str, Any]:
    """Whether ``pattern`` is valid; its kind, canonical form and lint warnings, or its error
    with the caret view (the pattern's line and a caret line under the problem).

    >>> [w["code"] for w in check_pattern("?ERROR ?WARN timeout")["warnings"]]
    ['ignored-optional-terms']
    """
    try:
        matcher = compile(pattern)
    except PatternError as err:
        return {"valid": False, "error": error_dict(err)}
    return _valid(matcher, pattern, metric)


def _valid(matcher: Matcher, pattern: str, metric: MetricSpec | None) -> dict[str, Any]:
    warnings = [_diagnostic(d, pattern) for d in lint_pattern(pattern)]
    if metric is not None:
        dimensions = list(metric.dimensions.items())
        found = lint_metric(matcher.pattern, metric.value, dimensions, metric.default_value)
        warnings += [_diagnostic(d, pattern) for d in found]
    return {
        "valid": True,
        "kind": _KINDS.get(type(matcher.pattern), type(matcher.pattern).__name__),
        "canonical": matcher.text,
        "warnings": warnings,
    }


def error_dict(err: PatternError) -> dict[str, Any]:
    """A pattern error for the page: its fields and the caret view as two lines."""
    answer = err.to_dict()
    answer["length"] = err.length
    answer["caret"] = list(caret_view(err.pattern, err.offset, err.length))
    answer["text"] = str(err)
    return answer


def _diagnostic(diagnostic: Diagnostic, pattern: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "target": diagnostic.target,
    }
    if diagnostic.target is None:
        answer["offset"] = diagnostic.offset
        answer["caret"] = list(caret_view(pattern, diagnostic.offset, diagnostic.length))
    return answer


# --------------------------------------------------------------------------- sample lines


def match_lines(pattern: str, lines: list[str], metric: MetricSpec | None = None) -> dict[str, Any]:
    """The pattern's check, and which lines (0-based indexes) it matches, with counts; with a
    metric, how many datapoints the matching lines publish and their sum.

    >>> answer = match_lines("{ $.a > 1 }", ['{"a": 2}', "text"], MetricSpec("$.a"))
    >>> answer["matched"], answer["notJson"], answer["metric"]
    ([0], 1, {'datapoints': 1, 'sum': 2.0})
    """
    try:
        matcher = compile(pattern)
    except PatternError as err:
        return {"pattern": {"valid": False, "error": error_dict(err)}, "total": len(lines)}
    verdict = plan_for(matcher.pattern).verdict
    verdicts = [verdict(line) for line in lines]  # one parse a line: match, and whether JSON
    matched = [index for index, hit in enumerate(verdicts) if hit]
    answer: dict[str, Any] = {
        "pattern": _valid(matcher, pattern, metric),
        "total": len(lines),
        "matched": matched,
    }
    if isinstance(matcher.pattern, JsonPattern):
        answer["notJson"] = verdicts.count(None)
    if metric is not None:
        answer["metric"] = _metric_summary(matcher, metric, (lines[i] for i in matched))
    return answer


def _metric_summary(matcher: Matcher, metric: MetricSpec, lines: Iterable[str]) -> dict[str, Any]:
    try:
        metric_filter = MetricFilter(matcher.pattern, metric.transformation())
    except MetricFilterError as err:
        return {"error": str(err)}
    values = [point.value for point in map(metric_filter.datapoint, lines) if point is not None]
    return {"datapoints": len(values), "sum": sum(values)}


def explain_line(
    pattern: str, line: str, number: int = EVENT_NUMBER_BASE, metric: MetricSpec | None = None
) -> dict[str, Any]:
    """Why ``line`` (the ``number``-th sample line, from 1) matches or not: the explanation,
    the field each token goes to (space-delimited patterns), the ``TestMetricFilter`` record
    of a match, and the datapoint it publishes.

    >>> answer = explain_line("[ip, status = 5*]", "10.0.0.1 503", 4)
    >>> answer["matched"], answer["testMetricFilter"]["extractedValues"]
    (True, {'$ip': '10.0.0.1', '$status': '503'})
    >>> [(t["position"], t["value"], t["field"]) for t in answer["fields"]]
    [(1, '10.0.0.1', 'ip'), (2, '503', 'status')]
    """
    try:
        matcher = compile(pattern)
    except PatternError as err:
        return {"pattern": {"valid": False, "error": error_dict(err)}}
    plan = plan_for(matcher.pattern)
    explanation = plan.explain(line)
    values = plan.extract(line)
    answer: dict[str, Any] = {
        "pattern": {"valid": True, "canonical": matcher.text},
        "number": number,
        "matched": explanation.matched,
        "explanation": explanation.to_dict(),
        "text": str(explanation),
        "testMetricFilter": None
        if values is None
        else {"eventNumber": number, "eventMessage": line, "extractedValues": values},
    }
    if isinstance(matcher.pattern, DelimitedPattern):
        answer["fields"] = token_fields(matcher.pattern, line)
    if metric is not None:
        answer["datapoint"] = _datapoint(matcher, metric, line)
    return answer


def token_fields(pattern: DelimitedPattern, line: str) -> list[dict[str, Any]]:
    """Each token of ``line`` (1-based position), its value, and the field it goes to: the
    field's name, ``None`` for an unnamed field, or ``"..."`` under the ellipsis. A last field
    that takes the rest of the line shows that rest as its value; with too few tokens for the
    pattern, no token has a field.

    >>> from cwquery import parse
    >>> [(t["value"], t["field"]) for t in token_fields(parse("[a, ...]"), "x y z")]
    [('x', 'a'), ('y', '...'), ('z', '...')]
    """
    layout = FieldLayout.of(pattern)
    tokens = split_tokens(line)
    values = layout.values_by_position(line)
    if values is None:
        return [
            {"position": i + 1, "value": token, "field": None, "assigned": False}
            for i, token in enumerate(tokens)
        ]
    names = layout.names_by_position(len(tokens))
    return [
        {
            "position": position + 1,
            "value": value,
            "field": names.get(position, "..."),
            "assigned": True,
        }
        for position, value in values.items()
    ]


def _datapoint(matcher: Matcher, metric: MetricSpec, line: str) -> dict[str, Any]:
    try:
        metric_filter = MetricFilter(matcher.pattern, metric.transformation())
    except MetricFilterError as err:
        return {"error": str(err)}
    point = metric_filter.datapoint(line)
    if point is not None:
        return {"value": point.value, "dimensions": point.dimensions}
    if not matcher.matches(line):
        reason = "the line does not match, so it publishes nothing"
        if metric.default_value is not None:
            reason += (
                f" (a minute with events but no match reports the default value "
                f"{metric.default_value:g})"
            )
    else:
        reason = "the line matches, but its metric value is not a number or a dimension is empty"
    return {"value": None, "reason": reason}


# --------------------------------------------------------------------------- reading samples


def read_sample(name: str, data: bytes) -> list[str]:
    """The messages of an uploaded or pasted file (see :func:`read_sample_events`).

    >>> read_sample("x.json", b'{"events": [{"message": "a"}, {"message": "b"}]}')
    ['a', 'b']
    """
    return [event.message for event in read_sample_events(name, data)]


def read_sample_events(name: str, data: bytes) -> list[LogEvent]:
    """The events of an uploaded or pasted file, read as ``cwquery test`` reads files: text
    or JSON lines, a CloudWatch export (``{"events": [...]}`` or a JSON array), or the gzip
    file of an S3 export (``<time> <message>`` lines), split into lines as files are
    (:mod:`cwquery.logs.lines`). The limits count bytes and line ends, blank lines included, and a
    gzip file is refused as soon as its decompressed text passes them (a small file of blank
    lines can hold gigabytes).

    >>> read_sample_events("x.json", b'{"events": [{"message": "a", "timestamp": 5}]}')
    [LogEvent(message='a', timestamp=5, stream=None)]
    >>> [e.message for e in read_sample_events("pasted", b"one\\n\\ntwo\\r\\n")]
    ['one', 'two']
    """
    if len(data) > MAX_SAMPLE_BYTES:
        raise ApiError(_too_big(), 413)
    if data[:2] == b"\x1f\x8b":
        text = gunzip_within_limits(data).decode("utf-8", errors="replace")
        return _collect(read_events(io.StringIO(text), input_format="s3-export"))
    _check_line_ends(count_line_ends(data))
    text = data.decode("utf-8", errors="replace")
    return _collect(read_events(io.StringIO(text)))


def gunzip_within_limits(data: bytes) -> bytes:
    """The decompressed bytes of a gzip file (members back to back), decompressed a piece at
    a time: a 413 :class:`ApiError` as soon as they pass :data:`MAX_SAMPLE_BYTES` or hold more
    than :data:`MAX_SAMPLE_LINES` line ends, a 400 one when the file is truncated or corrupt.

    >>> import gzip
    >>> gunzip_within_limits(gzip.compress(b"a\\n") + gzip.compress(b"b\\n"))
    b'a\\nb\\n'
    >>> gunzip_within_limits(gzip.compress(b"\\n" * (MAX_SAMPLE_LINES + 1)))
    Traceback (most recent call last):
    ...
    cwquery.playground.api.ApiError: the sample has more than 50,000 lines (blank ones \
included); use a smaller one
    """
    pieces: list[bytes] = []
    size = line_ends = 0
    cut_crlf = False
    rest = data
    try:
        while rest:
            inflater = zlib.decompressobj(wbits=31)  # a gzip header and trailer
            pending = rest
            while not inflater.eof:
                piece = inflater.decompress(pending, _PIECE)
                pending = inflater.unconsumed_tail
                if not piece and not pending:
                    raise ApiError("cannot read the gzip file: truncated or corrupt")
                size += len(piece)
                if size > MAX_SAMPLE_BYTES:
                    raise ApiError(_too_big(), 413)
                line_ends += count_line_ends(piece) - (cut_crlf and piece[:1] == b"\n")
                cut_crlf = piece[-1:] == b"\r"  # a "\r\n" cut between pieces is one line end
                _check_line_ends(line_ends)
                pieces.append(piece)
            rest = inflater.unused_data.lstrip(b"\0")  # gzip allows zero padding after members
    except zlib.error as err:
        raise ApiError(f"cannot read the gzip file: truncated or corrupt ({err})") from None
    return b"".join(pieces)


def _check_line_ends(count: int) -> None:
    if count > MAX_SAMPLE_LINES:
        raise ApiError(
            f"the sample has more than {MAX_SAMPLE_LINES:,} lines (blank ones included); "
            "use a smaller one",
            413,
        )


def read_files(paths: Iterable[str]) -> list[dict[str, Any]]:
    """The messages of files named on the command line: ``[{"name", "lines", "events"}]``
    (``events``: :func:`event_fields` of each line).

    Raises:
        ApiError: a file holds too much, or an export entry has no message.
        OSError: a file cannot be read.
    """
    found = []
    total = 0
    for path in paths:
        events = _collect(read_events(path), already=total)
        total += len(events)
        lines = [event.message for event in events]
        found.append({"name": path, "lines": lines, "events": event_fields(events)})
    return found


def event_fields(events: Iterable[LogEvent]) -> list[dict[str, Any] | None]:
    """What the reader knows of each event besides its message, as event keys
    (``timestamp``, ``logStreamName``, ``ingestionTime``); ``None`` when nothing.

    >>> event_fields([LogEvent("a", 5, "s"), LogEvent("b")])
    [{'timestamp': 5, 'logStreamName': 's'}, None]
    """
    found: list[dict[str, Any] | None] = []
    for event in events:
        known = {"timestamp": event.timestamp, "logStreamName": event.stream}
        known["ingestionTime"] = event.ingestion
        known = {key: value for key, value in known.items() if value is not None}
        found.append(known or None)
    return found


def _collect(events: Iterator[LogEvent], already: int = 0) -> list[LogEvent]:
    """``events``, refusing more than the limits allow."""
    lines: list[LogEvent] = []
    size = 0
    try:
        for event in events:
            size += len(event.message) + 1
            if len(lines) + already >= MAX_SAMPLE_LINES:
                raise ApiError(
                    f"the sample has more than {MAX_SAMPLE_LINES:,} lines; use a smaller one",
                    413,
                )
            if size > MAX_SAMPLE_BYTES:
                raise ApiError(_too_big(), 413)
            lines.append(event)
    except SourceError as err:
        raise ApiError(str(err)) from err
    return lines


def _too_big() -> str:
    return f"the sample is larger than {MAX_SAMPLE_BYTES // (1024 * 1024)} MiB; use a smaller one"


# --------------------------------------------------------------------------- requests


def text_field(body: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    """A string member of a request body, or an :class:`ApiError` naming what is wrong.

    >>> text_field({"pattern": 1}, "pattern")
    Traceback (most recent call last):
    ...
    cwquery.playground.api.ApiError: 'pattern' must be a string
    """
    if name not in body:
        if required:
            raise ApiError(f"the request needs {name!r}")
        return ""
    value = body[name]
    if not isinstance(value, str):
        raise ApiError(f"{name!r} must be a string")
    return value


def lines_field(body: Mapping[str, Any]) -> list[str]:
    """The ``lines`` member: a list of strings within the limits."""
    lines = body.get("lines", [])
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise ApiError("'lines' must be a list of strings")
    if len(lines) > MAX_SAMPLE_LINES:
        raise ApiError(
            f"the sample has {len(lines):,} lines; the limit is {MAX_SAMPLE_LINES:,}", 413
        )
    if sum(len(line) + 1 for line in lines) > MAX_SAMPLE_BYTES:
        raise ApiError(_too_big(), 413)
    return lines
