"""``validate(config)``: every PutTransformer rule of spec §1.1, raising
:class:`TransformerError` with the processor's index (T14, T16)."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any, Final

from cwquery.transformers import converters, grok, mutators
from cwquery.transformers.errors import LIMIT, MISSING, ORDER, SYNTAX, TransformerError
from cwquery.transformers.paths import MAX_DEPTH

MAX_PROCESSORS: Final = 20
MAX_PARSERS: Final = 5
VENDED_PARSERS: Final = ("parseCloudfront", "parseRoute53", "parsePostgres", "parseVPC", "parseWAF")
CONFIGURABLE_PARSERS: Final = ("parseJSON", "grok", "csv", "parseKeyValue", "parseToOCSF")
PARSERS: Final = frozenset(VENDED_PARSERS + CONFIGURABLE_PARSERS)
#: Processors of which a transformer may hold only one.
SINGLE_USE: Final = ("grok", "addKeys", "copyValue")
MAX_BACK_REFERENCES: Final = 10
MAX_GROUP_REFERENCES: Final = 2
_MAPPING_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Member:
    """One member of a processor or entry: its kind and constraints."""

    kind: str  # "str", "bool", "enum", "list", "entries"
    required: bool = False
    max_length: int = 128
    path: bool = False
    choices: tuple[str, ...] = ()
    max_items: int = 0
    min_items: int = 1
    item: Member | None = None
    members: dict[str, Member] = field(default_factory=dict)


def _s(max_length: int = 128, *, required: bool = False, path: bool = False) -> Member:
    return Member("str", required=required, max_length=max_length, path=path)


_PATH = _s(path=True)
_PATH_REQUIRED = _s(required=True, path=True)
_OVERWRITE = Member("bool")


def _entries(max_items: int, **members: Member) -> Member:
    return Member("entries", required=True, max_items=max_items, members=members)


def _with_keys(max_items: int) -> dict[str, Member]:
    return {"withKeys": Member("list", required=True, max_items=max_items, item=_PATH)}


_SOURCE_ONLY: Final = {"source": _PATH}

#: Processor type -> its members (service model, spec §1.1).
SCHEMA: Final[dict[str, dict[str, Member]]] = {
    "parseJSON": {"source": _PATH, "destination": _PATH},
    "grok": {"source": _PATH, "match": _s(512, required=True)},
    "csv": {
        "source": _PATH,
        "destination": _PATH,
        "delimiter": _s(2),
        "quoteCharacter": _s(1),
        "columns": Member("list", max_items=100, min_items=0, item=_s()),
    },
    "parseKeyValue": {
        "source": _PATH,
        "destination": _PATH,
        "fieldDelimiter": _s(),
        "keyValueDelimiter": _s(),
        "keyPrefix": _s(),
        "nonMatchValue": _s(),
        "overwriteIfExists": _OVERWRITE,
    },
    "parseToOCSF": {
        "source": _PATH,
        "eventSource": Member(
            "enum",
            required=True,
            choices=("CloudTrail", "Route53Resolver", "VPCFlow", "EKSAudit", "AWSWAF"),
        ),
        "ocsfVersion": Member("enum", required=True, choices=("V1.1", "V1.5")),
        "mappingVersion": _s(10),
    },
    **{name: dict(_SOURCE_ONLY) for name in VENDED_PARSERS},
    "lowerCaseString": _with_keys(10),
    "upperCaseString": _with_keys(10),
    "trimString": _with_keys(10),
    "splitString": {
        "entries": _entries(10, source=_PATH_REQUIRED, delimiter=_s(required=True)),
    },
    "substituteString": {
        "entries": _entries(
            10, source=_PATH_REQUIRED, **{"from": _s(required=True), "to": _s(required=True)}
        ),
    },
    "addKeys": {
        "entries": _entries(
            5, key=_PATH_REQUIRED, value=_s(256, required=True), overwriteIfExists=_OVERWRITE
        ),
    },
    "deleteKeys": _with_keys(5),
    "moveKeys": {
        "entries": _entries(
            5, source=_PATH_REQUIRED, target=_PATH_REQUIRED, overwriteIfExists=_OVERWRITE
        ),
    },
    "renameKeys": {
        "entries": _entries(
            5, key=_PATH_REQUIRED, renameTo=_s(required=True), overwriteIfExists=_OVERWRITE
        ),
    },
    "copyValue": {
        "entries": _entries(
            5, source=_PATH_REQUIRED, target=_PATH_REQUIRED, overwriteIfExists=_OVERWRITE
        ),
    },
    "listToMap": {
        "source": _PATH_REQUIRED,
        "key": _s(required=True),
        "valueKey": _s(),
        "target": _PATH,
        "flatten": Member("bool"),
        "flattenedElement": Member("enum", choices=("first", "last")),
    },
    "typeConverter": {
        "entries": _entries(
            5,
            key=_PATH_REQUIRED,
            type=Member("enum", required=True, choices=("integer", "double", "string", "boolean")),
        ),
    },
    "dateTimeConverter": {
        "source": _PATH_REQUIRED,
        "target": _PATH_REQUIRED,
        "targetFormat": _s(64),
        "matchPatterns": Member("list", required=True, max_items=5, item=_s()),
        "sourceTimezone": _s(),
        "targetTimezone": _s(),
        "locale": _s(),
    },
}


def _check_member(where: str, member: Member, value: Any, index: int) -> None:
    """One member's type and constraints."""
    if member.kind == "bool":
        if not isinstance(value, bool):
            raise TransformerError(SYNTAX, f"{where} must be true or false", index)
        return
    if member.kind in ("str", "enum"):
        if not isinstance(value, str):
            raise TransformerError(SYNTAX, f"{where} must be a string", index)
        if member.kind == "enum":
            if value not in member.choices:
                allowed = ", ".join(member.choices)
                raise TransformerError(SYNTAX, f"{where} must be one of: {allowed}", index)
            return
        if not value:
            raise TransformerError(LIMIT, f"{where} must be at least 1 character", index)
        if len(value) > member.max_length:
            raise TransformerError(
                LIMIT, f"{where} must be at most {member.max_length} characters", index
            )
        if member.path and value.count(".") >= MAX_DEPTH:
            raise TransformerError(
                LIMIT, f"{where} {value!r} is nested deeper than {MAX_DEPTH} levels", index
            )
        return
    if not isinstance(value, list):
        raise TransformerError(SYNTAX, f"{where} must be a list", index)
    if len(value) < member.min_items:
        raise TransformerError(LIMIT, f"{where} must hold at least {member.min_items} item", index)
    if len(value) > member.max_items:
        raise TransformerError(LIMIT, f"{where} may hold at most {member.max_items} items", index)
    for position, item in enumerate(value):
        if member.kind == "list":
            assert member.item is not None
            _check_member(f"{where}[{position}]", member.item, item, index)
        else:
            _check_object(f"{where}[{position}]", member.members, item, index)


def _check_object(where: str, schema: dict[str, Member], value: Any, index: int) -> None:
    """An object's required members and each known member (unknown ones are ignored, T14)."""
    if not isinstance(value, dict):
        raise TransformerError(SYNTAX, f"{where} must be an object", index)
    for name, member in schema.items():
        if name not in value or value[name] is None:
            if member.required:
                raise TransformerError(MISSING, f"{where}.{name} is required", index)
            continue
        _check_member(f"{where}.{name}", member, value[name], index)


def _kind(element: Any, index: int) -> tuple[str, dict[str, Any]]:
    """The one processor type a list element names (T14)."""
    if not isinstance(element, dict):
        raise TransformerError(SYNTAX, "a processor must be an object", index)
    named = [key for key in element if element[key] is not None]
    known = [key for key in named if key in SCHEMA]
    if len(named) != 1 or len(known) != 1:
        unknown = [key for key in named if key not in SCHEMA]
        if unknown:
            raise TransformerError(SYNTAX, f"unknown processor type {unknown[0]!r}", index)
        raise TransformerError(SYNTAX, "a processor must name exactly one processor type", index)
    return known[0], element[known[0]]


def _check_specific(kind: str, body: dict[str, Any], index: int) -> None:
    """The rules beyond member shapes: csv delimiters, regexes, grok, date patterns, enums."""
    delimiter = body.get("delimiter", ",") if kind == "csv" else ","
    if len(delimiter) == 2 and delimiter not in ("\\t", "\\s"):
        raise TransformerError(SYNTAX, "csv.delimiter must be one character, or \\t or \\s", index)
    if kind == "grok":
        try:
            grok.compile_match(body["match"])
        except TransformerError as err:
            raise TransformerError(err.code, err.message, index) from None
    if kind == "listToMap" and body.get("flatten") is True and not body.get("flattenedElement"):
        raise TransformerError(
            MISSING, "listToMap.flattenedElement is required when flatten is true", index
        )
    version = body.get("mappingVersion", "1.0") if kind == "parseToOCSF" else "1.0"
    if not _MAPPING_VERSION.fullmatch(version):
        raise TransformerError(
            SYNTAX, "parseToOCSF.mappingVersion must look like 1.2 or 1.2.3", index
        )
    if kind in VENDED_PARSERS and body.get("source", "@message") != "@message":
        raise TransformerError(SYNTAX, f"{kind}.source must be @message", index)
    if kind == "substituteString":
        for position, entry in enumerate(body["entries"]):
            _check_substitution(f"substituteString.entries[{position}]", entry, index)
    if kind == "dateTimeConverter":
        _check_dates(body, index)


def _check_substitution(where: str, entry: dict[str, Any], index: int) -> None:
    try:
        pattern = mutators.java_pattern(entry["from"])
    except re.error as err:
        raise TransformerError(SYNTAX, f"{where}.from is not a valid regex: {err}", index) from None
    references = mutators.replacement_references(entry["to"])
    if len(references) > MAX_BACK_REFERENCES:
        raise TransformerError(
            LIMIT, f"{where}.to has more than {MAX_BACK_REFERENCES} back-references", index
        )
    for name in set(references):
        if references.count(name) > MAX_GROUP_REFERENCES:
            raise TransformerError(
                LIMIT, f"{where}.to refers to group {name} more than twice", index
            )
        known = int(name) <= pattern.groups if name.isdigit() else name in pattern.groupindex
        if not known:
            raise TransformerError(SYNTAX, f"{where}.to refers to a missing group {name}", index)


def _check_dates(body: dict[str, Any], index: int) -> None:
    patterns = [*body["matchPatterns"], body.get("targetFormat", converters.DEFAULT_TARGET_FORMAT)]
    for pattern in patterns:
        try:
            converters.tokens(pattern)
        except ValueError as err:
            raise TransformerError(
                SYNTAX, f"dateTimeConverter: invalid pattern {pattern!r}: {err}", index
            ) from None
    for member in ("sourceTimezone", "targetTimezone"):
        name = body.get(member)
        if name is None or name.upper() in ("UTC", "GMT", "Z"):
            continue
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise TransformerError(
                SYNTAX, f"dateTimeConverter.{member}: unknown time zone {name!r}", index
            ) from None


def validate(config: Any) -> None:
    """Raise :class:`TransformerError` unless PutTransformer would accept ``config``.

    >>> validate([{"parseJSON": {}}, {"lowerCaseString": {"withKeys": ["level"]}}])
    >>> try:
    ...     validate([{"csv": {"delimiter": ";;"}}])
    ... except TransformerError as err:
    ...     print(err.code, err.processor)
    syntax 0
    """
    if not isinstance(config, list):
        raise TransformerError(SYNTAX, "the transformer configuration must be a list of processors")
    if not 1 <= len(config) <= MAX_PROCESSORS:
        raise TransformerError(
            LIMIT, f"a transformer holds 1 to {MAX_PROCESSORS} processors, not {len(config)}"
        )
    kinds: list[str] = []
    bodies: list[dict[str, Any]] = []
    for index, element in enumerate(config):
        kind, body = _kind(element, index)
        _check_object(kind, SCHEMA[kind], body, index)
        _check_specific(kind, body, index)
        kinds.append(kind)
        bodies.append(body)
    _check_order(kinds, bodies)


def _check_order(kinds: list[str], bodies: list[dict[str, Any]]) -> None:
    """The transformer-wide rules: parser first, parser and single-use counts, vended first."""
    if kinds[0] not in PARSERS:
        raise TransformerError(ORDER, f"the first processor must be a parser, not {kinds[0]}", 0)
    if kinds[0] == "parseJSON" and bodies[0].get("source", "@message") != "@message":
        raise TransformerError(ORDER, "the first parseJSON must read @message", 0)
    parsers = [n for n, kind in enumerate(kinds) if kind in PARSERS]
    if len(parsers) > MAX_PARSERS:
        raise TransformerError(
            LIMIT, f"at most {MAX_PARSERS} parsers are allowed, not {len(parsers)}", parsers[-1]
        )
    for n, kind in enumerate(kinds):
        if kind in VENDED_PARSERS and n > 0:
            raise TransformerError(ORDER, f"{kind} must be the first processor", n)
    for name in SINGLE_USE:
        uses = [n for n, kind in enumerate(kinds) if kind == name]
        if len(uses) > 1:
            raise TransformerError(LIMIT, f"at most one {name} processor is allowed", uses[1])
