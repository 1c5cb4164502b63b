"""The built-in parsers for vended logs (spec §2.2): VPC flow logs, Route 53 query logs,
CloudFront access logs, RDS PostgreSQL lines and WAF records."""

from __future__ import annotations

import functools
import re
import urllib.parse
from typing import Any, Final

from cwquery.transformers.event import Event
from cwquery.transformers.parsers import loads

VPC_FIELDS: Final = [
    "version",
    "accountId",
    "interfaceId",
    "srcAddr",
    "dstAddr",
    "srcPort",
    "dstPort",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "logStatus",
]
_VPC_NUMBERS: Final = frozenset(
    ["version", "srcPort", "dstPort", "protocol", "packets", "bytes", "start", "end"]
)

ROUTE53_FIELDS: Final = [
    "version",
    "queryTimestamp",
    "hostZoneId",
    "queryName",
    "queryType",
    "responseCode",
    "protocol",
    "edgeLocation",
    "resolverIp",
    "ednsClientSubnet",
]

CLOUDFRONT_FIELDS: Final = [
    "date",
    "time",
    "x-edge-location",
    "sc-bytes",
    "c-ip",
    "cs-method",
    "cs(Host)",
    "cs-uri-stem",
    "sc-status",
    "cs(Referer)",
    "cs(User-Agent)",
    "cs-uri-query",
    "cs(Cookie)",
    "x-edge-result-type",
    "x-edge-request-id",
    "x-host-header",
    "cs-protocol",
    "cs-bytes",
    "time-taken",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-response-result-type",
    "cs-protocol-version",
    "fle-status",
    "fle-encrypted-fields",
    "c-port",
    "time-to-first-byte",
    "x-edge-detailed-result-type",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
]
#: The fewest fields a CloudFront line may have (the older standard formats end earlier).
_CLOUDFRONT_MIN_FIELDS: Final = 24
_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
_POSTGRES = (
    r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [A-Za-z0-9+-]+):(.*?):(.*?)@(.*?)"
    r":\[(\d+)\]:([A-Z0-9]+):(?s:.*)"
)
POSTGRES_FIELDS: Final = ("logTime", "srcIp", "userName", "dbName", "processId", "logLevel")


def _number(text: str) -> Any:
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return text


def parse_vpc(config: dict[str, Any], event: Event) -> None:
    """parseVPC: the 14 default fields; numbers as numbers; ``-`` fields omitted (T6)."""
    values = event.message.split()
    if len(values) != len(VPC_FIELDS):
        return
    record: dict[str, Any] = {}
    for name, value in zip(VPC_FIELDS, values, strict=True):
        if value == "-":
            continue
        record[name] = _number(value) if name in _VPC_NUMBERS else value
    event.merge(record, None, overwrite=True)


def parse_route53(config: dict[str, Any], event: Event) -> None:
    """parseRoute53: the 10 fields of a public DNS query log line; ``version`` a number."""
    values = event.message.split()
    if len(values) != len(ROUTE53_FIELDS):
        return
    record: dict[str, Any] = dict(zip(ROUTE53_FIELDS, values, strict=True))
    record["version"] = _number(record["version"])
    event.merge(record, None, overwrite=True)


def parse_cloudfront(config: dict[str, Any], event: Event) -> None:
    """parseCloudfront: tab-separated W3C fields, URL-decoded, numbers as numbers, ``-`` kept."""
    if event.message.startswith("#"):
        return
    values = event.message.rstrip("\n").split("\t")
    if not _CLOUDFRONT_MIN_FIELDS <= len(values) <= len(CLOUDFRONT_FIELDS):
        return
    record = {
        name: _number(urllib.parse.unquote(value))
        for name, value in zip(CLOUDFRONT_FIELDS, values, strict=False)
    }
    event.merge(record, None, overwrite=True)


@functools.lru_cache(maxsize=1)
def _postgres_program() -> Any:
    import re2

    return re2.compile(_POSTGRES)


def parse_postgres(config: dict[str, Any], event: Event) -> None:
    """parsePostgres: the six prefix fields; the text after the level is not kept (T10)."""
    try:
        found = _postgres_program().fullmatch(event.message)
    except UnicodeEncodeError:
        return
    if found is None:
        return
    event.merge(dict(zip(POSTGRES_FIELDS, found.groups(), strict=True)), None, overwrite=True)


def _pairs(items: Any, *, key: str, value: str | None) -> Any:
    """A list of ``{name, value}`` objects as one object; anything else unchanged."""
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return items
    merged: dict[str, Any] = {}
    for item in items:
        if value is None:
            merged.update(item)
        elif key in item:
            merged[str(item[key])] = item.get(value)
    return merged


def parse_waf(config: dict[str, Any], event: Event) -> None:
    """parseWAF: the record's keys to the root, headers and labels as objects."""
    try:
        record = loads(event.message)
    except (ValueError, RecursionError):
        return
    if not isinstance(record, dict):
        return
    request = record.get("httpRequest")
    if isinstance(request, dict) and "headers" in request:
        request["headers"] = _pairs(request["headers"], key="name", value="value")
    if "labels" in record:
        record["labels"] = _pairs(record["labels"], key="name", value=None)
    event.merge(record, None, overwrite=True)
