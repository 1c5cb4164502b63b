"""Logs Insights in the emulator: ``StartQuery``, ``GetQueryResults``, ``StopQuery``,
``DescribeQueries`` and query definitions, answered by :func:`cwquery.insights.run` over the
events moto stores (spec §11, I55, I56, I70).

moto runs only ``fields``, ``limit`` and ``sort`` and ignores every other command; these handlers
replace its and add the operations it lacks. :mod:`cwquery.emulator.patch` sets them on
``LogsResponse`` (:data:`HANDLERS`). Queries and definitions live on moto's backend object, so
moto's reset clears them.

A query runs when it is started, over the events stored at that moment, and is ``Complete`` on
the first ``GetQueryResults`` (I56) unless :func:`simulate_phases` asks for ``Scheduled`` and
``Running`` answers first.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import contextlib
import heapq
import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from moto.logs.exceptions import LogsClientError

from cwquery.emulator.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
    invalid_token,
)
from cwquery.emulator.handlers import check_length, find_group, request_reader
from cwquery.emulator.index import index_of
from cwquery.insights import QueryError, QueryUnsupportedError, parse, run

__all__ = [
    "DEFAULT_LIMIT",
    "HANDLERS",
    "MAX_LOG_GROUPS",
    "MAX_PAGE_ROWS",
    "malformed_query",
    "simulate_phases",
]

#: StartQuery: at most 50 groups in ``logGroupNames`` or ``logGroupIdentifiers`` (spec §11.1).
MAX_LOG_GROUPS = 50
#: StartQuery's ``limit`` when none is given (spec §11.1).
DEFAULT_LIMIT = 10_000
#: GetQueryResults: rows per page, the default and the maximum of ``maxItems`` (I70).
MAX_PAGE_ROWS = 10_000
#: DescribeQueries / DescribeQueryDefinitions: entries per page when ``maxResults`` is absent.
DEFAULT_MAX_RESULTS = 1000
#: The only query language the emulator runs.
LANGUAGE = "CWLI"
#: Statuses a query may pass through before ``Complete`` (:func:`simulate_phases`).
PHASES = ("Scheduled", "Running")

ONE_GROUP_PARAMETER = (
    "Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be provided, "
    "unless the query string starts with SOURCE."
)
END_BEFORE_START = "endTime must be greater than or equal to startTime."
NO_SUCH_QUERY = "The specified query does not exist."
NO_SUCH_DEFINITION = "The specified query definition does not exist."
CANNOT_RUN = "cwquery cannot run this query locally: "
OTHER_LANGUAGE = "cwquery's emulator runs only the Logs Insights query language (CWLI), not "

_STATE_ATTRIBUTE = "_cwquery_insights"
_TIMESTAMP = itemgetter(0)
_LOCK = threading.RLock()
_phases: tuple[str, ...] = ()


def malformed_query(err: QueryError) -> LogsClientError:
    """HTTP 400 ``MalformedQueryException`` with the parser's service text and
    ``queryCompileError.location`` (spec §11.2); moto has no such exception class."""
    message = err.service_message or err.message
    refusal = LogsClientError("MalformedQueryException", message)
    location = {"startCharOffset": err.offset, "endCharOffset": err.offset + err.length}
    refusal.description = json.dumps(
        {
            "__type": "MalformedQueryException",
            "message": message,
            "queryCompileError": {"location": location, "message": message},
        }
    )
    return refusal


@dataclass
class _Query:
    query_id: str
    query_string: str
    group_names: list[str]
    created: int
    answer: dict[str, Any]
    phases: list[str]  # statuses still to report before ``Complete``
    status: str = "Complete"


@dataclass
class _State:
    queries: dict[str, _Query] = field(default_factory=dict)
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)


def _state(backend: Any) -> _State:
    with _LOCK:
        state: _State = backend.__dict__.setdefault(_STATE_ATTRIBUTE, _State())
    return state


@contextlib.contextmanager
def simulate_phases(*statuses: str) -> Iterator[None]:
    """Queries started inside answer ``statuses`` (each ``Scheduled`` or ``Running``), one per
    ``GetQueryResults``, with no rows, before ``Complete``. Deterministic: no clock involved.

    Raises:
        ValueError: a status other than ``Scheduled`` or ``Running``.
    """
    global _phases
    unknown = [status for status in statuses if status not in PHASES]
    if unknown:
        raise ValueError(f"phases are {' and '.join(PHASES)}, not {', '.join(unknown)}")
    with _LOCK:
        before, _phases = _phases, tuple(statuses)
    try:
        yield
    finally:
        with _LOCK:
            _phases = before


# ------------------------------------------------------------------ queries


def start_query(response: Any) -> str:
    """``StartQuery``: check the request, run the query over the stored events, return its id."""
    param = request_reader(response)
    language = param("queryLanguage")
    if language not in (None, LANGUAGE):
        raise InvalidParameterException(OTHER_LANGUAGE + str(language))
    query_string: str = param("queryString") or ""
    start: int = param("startTime")
    end: int = param("endTime")
    limit = param("limit") or DEFAULT_LIMIT
    backend = response.logs_backend
    groups = _query_groups(backend, param, query_string)
    if end < start:
        raise InvalidParameterException(END_BEFORE_START)
    try:
        tree = parse(query_string)
    except QueryError as err:
        raise malformed_query(err) from err
    events = _events(groups, start * 1000, end * 1000 + 999)
    try:
        answer = run(tree, events, start=start, end=end)
    except QueryUnsupportedError as err:
        raise InvalidParameterException(CANNOT_RUN + err.message) from err
    answer["results"] = answer["results"][:limit]
    phases = _phases
    query = _Query(
        query_id=str(uuid.uuid4()),
        query_string=query_string,
        group_names=[group.name for group in groups],
        created=int(time.time() * 1000),
        answer=answer,
        phases=list(phases[1:]),
        status=phases[0] if phases else "Complete",
    )
    with _LOCK:
        _state(backend).queries[query.query_id] = query
    return json.dumps({"queryId": query.query_id})


def _query_groups(backend: Any, param: Any, query_string: str) -> list[Any]:
    name = param("logGroupName")
    names = param("logGroupNames")
    identifiers = param("logGroupIdentifiers")
    given = [value for value in (name, names, identifiers) if value is not None]
    if len(given) > 1 or (not given and not query_string.lstrip().upper().startswith("SOURCE")):
        raise InvalidParameterException(ONE_GROUP_PARAMETER)
    if names is not None:
        check_length("logGroupNames", names, 1, MAX_LOG_GROUPS)
        return [find_group(backend, each, None) for each in names]
    if identifiers is not None:
        check_length("logGroupIdentifiers", identifiers, 1, MAX_LOG_GROUPS)
        return [find_group(backend, None, each) for each in identifiers]
    if name is not None:
        return [find_group(backend, name, None)]
    return []  # SOURCE: the query names its groups; run refuses SOURCE as unsupported (I54)


def _events(groups: Sequence[Any], low: int, high: int) -> Iterator[dict[str, Any]]:
    """The events of ``groups`` with timestamps in ``low..high`` (ms, inclusive), in the
    service's order across groups (timestamp, ingestion time, put order), one at a time; a group
    named twice is read once."""
    runs = []
    seen: set[int] = set()
    for group in groups:
        if id(group) in seen:
            continue
        seen.add(id(group))
        index = index_of(group)
        index.sync(group.streams)
        with index.lock:
            entries = index.entries
        first = bisect.bisect_left(entries, low, key=_TIMESTAMP)
        last = bisect.bisect_right(entries, high, key=_TIMESTAMP)
        runs.append([(entry, group.name) for entry in entries[first:last]])
    for entry, name in heapq.merge(*runs, key=lambda item: item[0][:3]):
        yield {
            "timestamp": entry[0],
            "ingestionTime": entry[1],
            "logStreamName": entry[3],
            "message": entry[4].message,
            "logGroupName": name,
        }


def get_query_results(response: Any) -> str:
    """``GetQueryResults``: the query's status, statistics and a page of its rows."""
    param = request_reader(response)
    query = _find_query(response.logs_backend, param("queryId"))
    with _LOCK:
        status = query.status
        if status in PHASES:  # the next call reports the next phase
            query.status = query.phases.pop(0) if query.phases else "Complete"
    body: dict[str, Any] = {"queryLanguage": LANGUAGE, "status": status}
    if status != "Complete":
        body["results"] = []
        body["statistics"] = {"recordsMatched": 0.0, "recordsScanned": 0.0, "bytesScanned": 0.0}
        return json.dumps(body)
    rows = query.answer["results"]
    size = param("maxItems") or MAX_PAGE_ROWS
    offset = _page_offset(param("nextToken"), query.query_id)
    body["results"] = rows[offset : offset + size]
    body["statistics"] = query.answer["statistics"]
    if offset + size < len(rows):
        body["nextToken"] = _token(query.query_id, offset + size)
    return json.dumps(body)


def stop_query(response: Any) -> str:
    """``StopQuery``: ``success`` is true only for a query that had not finished."""
    param = request_reader(response)
    query = _find_query(response.logs_backend, param("queryId"))
    with _LOCK:
        running = query.status in PHASES
        if running:
            query.status = "Cancelled"
            query.phases.clear()
    return json.dumps({"success": running})


def describe_queries(response: Any) -> str:
    """``DescribeQueries``: the Region's queries, oldest first, by group and status."""
    param = request_reader(response)
    backend = response.logs_backend
    name = param("logGroupName")
    status = param("status")
    if name is not None:
        find_group(backend, name, None)
    with _LOCK:
        queries = list(_state(backend).queries.values())
    chosen = [
        {
            "queryLanguage": LANGUAGE,
            "queryId": query.query_id,
            "queryString": query.query_string,
            "status": query.status,
            "createTime": query.created,
            **({"logGroupName": query.group_names[0]} if query.group_names else {}),
        }
        for query in queries
        if (name is None or name in query.group_names) and status in (None, query.status)
    ]
    return json.dumps(_paged("queries", chosen, param))


def _find_query(backend: Any, query_id: Any) -> _Query:
    with _LOCK:
        query = _state(backend).queries.get(query_id)
    if query is None:
        raise ResourceNotFoundException(NO_SUCH_QUERY)
    return query


# ------------------------------------------------------------------ query definitions


def put_query_definition(response: Any) -> str:
    """``PutQueryDefinition``: a new definition, or an update when ``queryDefinitionId`` names
    one; the query string must parse (``InvalidParameterException`` with the parser's text)."""
    param = request_reader(response)
    language = param("queryLanguage")
    if language not in (None, LANGUAGE):
        raise InvalidParameterException(OTHER_LANGUAGE + str(language))
    query_string: str = param("queryString")
    try:
        parse(query_string)
    except QueryError as err:
        raise InvalidParameterException(err.service_message or err.message) from err
    definitions = _state(response.logs_backend).definitions
    definition_id = param("queryDefinitionId")
    with _LOCK:
        if definition_id is not None and definition_id not in definitions:
            raise ResourceNotFoundException(NO_SUCH_DEFINITION)
        definition_id = definition_id or str(uuid.uuid4())
        definition: dict[str, Any] = {
            "queryLanguage": LANGUAGE,
            "queryDefinitionId": definition_id,
            "name": param("name"),
            "queryString": query_string,
            "lastModified": int(time.time() * 1000),
        }
        if param("logGroupNames"):
            definition["logGroupNames"] = list(param("logGroupNames"))
        if param("parameters"):
            definition["parameters"] = list(param("parameters"))
        definitions[definition_id] = definition
    return json.dumps({"queryDefinitionId": definition_id})


def describe_query_definitions(response: Any) -> str:
    """``DescribeQueryDefinitions``: by name, optionally those starting with a prefix."""
    param = request_reader(response)
    prefix = param("queryDefinitionNamePrefix") or ""
    with _LOCK:
        definitions = list(_state(response.logs_backend).definitions.values())
    chosen = sorted(
        (d for d in definitions if d["name"].startswith(prefix)),
        key=lambda d: (d["name"], d["queryDefinitionId"]),
    )
    return json.dumps(_paged("queryDefinitions", chosen, param))


def delete_query_definition(response: Any) -> str:
    """``DeleteQueryDefinition``."""
    param = request_reader(response)
    with _LOCK:
        removed = _state(response.logs_backend).definitions.pop(param("queryDefinitionId"), None)
    if removed is None:
        raise ResourceNotFoundException(NO_SUCH_DEFINITION)
    return json.dumps({"success": True})


# ------------------------------------------------------------------ paging


def _paged(member: str, items: list[dict[str, Any]], param: Any) -> dict[str, Any]:
    size = param("maxResults") or DEFAULT_MAX_RESULTS
    offset = _page_offset(param("nextToken"), member)
    body: dict[str, Any] = {member: items[offset : offset + size]}
    if offset + size < len(items):
        body["nextToken"] = _token(member, offset + size)
    return body


def _token(scope: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{scope}\n{offset}".encode()).decode()


def _page_offset(token: Any, scope: str) -> int:
    """The row a ``nextToken`` points at (0 without one); a token for another query or list,
    or one that does not decode, is refused."""
    if token is None:
        return 0
    try:
        owner, offset = base64.urlsafe_b64decode(str(token)).decode().split("\n")
        if owner == scope and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise invalid_token()


#: ``LogsResponse`` attribute name → handler; moto has the first three.
HANDLERS = {
    "start_query": start_query,
    "get_query_results": get_query_results,
    "describe_queries": describe_queries,
    "stop_query": stop_query,
    "put_query_definition": put_query_definition,
    "describe_query_definitions": describe_query_definitions,
    "delete_query_definition": delete_query_definition,
}
#: The handlers that replace moto's own (the others are added).
MOTO_HANDLERS = frozenset({"start_query", "get_query_results", "describe_queries"})
