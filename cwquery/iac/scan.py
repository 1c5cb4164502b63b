"""Find filter patterns in infrastructure code, each with the place it is written.

================================  ==============================================================
file                              where patterns are found
================================  ==============================================================
CloudFormation YAML/JSON, SAM,    ``AWS::Logs::MetricFilter`` and ``AWS::Logs::SubscriptionFilter``
``cdk.out/*.template.json``       ``FilterPattern`` (with the metric transformation and the log
                                  group); SAM functions' ``CloudWatchLogs`` events
``serverless.yml``                ``functions.*.events[].cloudwatchLog.filter``, and the
                                  CloudFormation under ``resources``
Terraform ``.tf``                 ``aws_cloudwatch_log_metric_filter.pattern``,
                                  ``aws_cloudwatch_log_subscription_filter.filter_pattern``
``*.patterns`` (or any file       one pattern per line; blank lines and lines starting with
named on the command line)        ``#`` are skipped
================================  ==============================================================

A value computed at deploy time (``!Ref``, ``!Sub`` with ``${…}``, Terraform ``${…}``,
serverless variables) cannot be checked: its site has ``text`` ``None`` and says why in
``unresolved``. A ``!Sub`` without substitutions, and ``!Join`` of plain strings, are checked.

>>> result = scan_text("Resources:\\n  F:\\n    Type: AWS::Logs::SubscriptionFilter\\n"
...                    "    Properties:\\n      FilterPattern: !Sub '{ $.a = 1 }'\\n", "t.yaml")
>>> site = result.sites[0]
>>> site.kind, site.name, site.text, site.position()
('AWS::Logs::SubscriptionFilter', 'F', '{ $.a = 1 }', (5, 27, True))
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import stat
import sys
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cwquery.iac.hcl import (
    HclBlock,
    hcl_interpolates,
    hcl_string_at,
    hcl_string_from,
    read_hcl_blocks,
)
from cwquery.iac.locate import (
    Doc,
    DocList,
    DocMap,
    DocScalar,
    Located,
    SourceError,
    SourceText,
    read_json,
    read_yaml,
)

__all__ = [
    "FileProblem",
    "Metric",
    "PatternSite",
    "Reference",
    "ScanResult",
    "Source",
    "argument_site",
    "format_of",
    "scan_paths",
    "scan_text",
]

METRIC_FILTER = "AWS::Logs::MetricFilter"
SUBSCRIPTION_FILTER = "AWS::Logs::SubscriptionFilter"
SAM_FUNCTION = "AWS::Serverless::Function"
TF_METRIC_FILTER = "aws_cloudwatch_log_metric_filter"
TF_SUBSCRIPTION_FILTER = "aws_cloudwatch_log_subscription_filter"
_TF_PATTERN_ATTRIBUTE = {TF_METRIC_FILTER: "pattern", TF_SUBSCRIPTION_FILTER: "filter_pattern"}

#: File name endings and the reader for them; other files are read only when named explicitly.
_FORMATS = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".template": "template",
    ".tf": "terraform",
    ".patterns": "patterns",
}
#: Folders never entered: dependencies, caches, and build output that copies templates.
_SKIPPED_DIRECTORIES = frozenset(
    ("node_modules", "__pycache__", "venv", ".aws-sam", ".terraform", ".git", ".venv")
)
#: Text that marks a file that cannot be read as one that should have been: other JSON and
#: YAML files (package.json, tsconfig.json with comments, Helm templates) are passed over.
_TEMPLATE_MARKERS = ("AWS::", "cloudwatchLog", "aws_cloudwatch_log_")
#: Text that every JSON or YAML file with a pattern holds (a filter resource's type, SAM's
#: ``CloudWatchLogs`` events, serverless' ``cloudwatchLog``, the pattern's key); a file with none
#: of these, none of the markers above and no backslash (an escape could spell any of them) is
#: not parsed at all.
_PATTERN_MARKERS = ("Logs::", "cloudwatch", "CloudWatch", "FilterPattern", "filter_pattern", "\\")


@dataclass(frozen=True)
class Source:
    """A file (``path``) or a pattern given on the command line (``path`` ``None``)."""

    path: str | None
    text: SourceText


@dataclass(frozen=True)
class Reference:
    """A ``metricValue`` or dimension value: ``text`` is ``None`` when it is computed at deploy
    time; ``located`` is where it is written, when known."""

    text: str | None
    located: Located | None


@dataclass(frozen=True)
class Metric:
    """What a metric filter publishes (``metricTransformations[0]``)."""

    value: Reference | None
    dimensions: tuple[tuple[str, Reference], ...] = ()
    default_value: float | None = None


@dataclass(frozen=True)
class PatternSite:
    """One filter pattern in a file: the resource it belongs to, its text and its place."""

    source: Source
    kind: str
    name: str
    text: str | None
    located: Located | None
    unresolved: str | None = None
    metric: Metric | None = None
    #: the log group the filter is on: ``("name", name)`` for a literal name (the same group in
    #: every file), else ``("expr", scope, expression)`` (the same group within one template,
    #: or one Terraform folder)
    log_group: Hashable | None = None
    log_group_label: str | None = None

    def position(
        self, index: int | None = None, located: Located | None = None
    ) -> tuple[int, int, bool]:
        """``(line, column, exact)`` of character ``index`` of the pattern (or of the start of
        ``located``, by default the pattern's literal); ``exact`` is False when only the
        literal's start is known."""
        target = located or self.located
        if target is None:
            return 1, 1, False
        if index is None:
            return (*self.source.text.position(target.start), True)
        offsets = target.offsets(self.source.text.text)
        if offsets is None:
            return (*self.source.text.position(target.start), False)
        return (*self.source.text.position(offsets[min(index, len(offsets) - 1)]), True)


@dataclass(frozen=True)
class FileProblem:
    """A file that should hold patterns but cannot be read."""

    source: Source
    offset: int
    message: str


@dataclass
class ScanResult:
    """Sites found, files that could not be read, and how many files were read."""

    sites: list[PatternSite] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    files: int = 0

    def extend(self, other: ScanResult) -> None:
        """Add another result to this one."""
        self.sites += other.sites
        self.problems += other.problems
        self.files += other.files


def argument_site(text: str, number: int) -> PatternSite:
    """A pattern given on the command line, as a site of its own.

    >>> argument_site("ERROR", 1).position(3)
    (1, 4, True)
    """
    located = Located.plain(text, 0)
    return PatternSite(
        Source(None, SourceText(text)), "argument", f"pattern {number}", text, located
    )


def format_of(path: str) -> str | None:
    """The reader for a file name, or ``None`` for files that are not read when found in a
    folder.

    >>> format_of("cdk.out/App.template.json"), format_of("main.tf"), format_of("README.md")
    ('json', 'terraform', None)
    """
    return _FORMATS.get(os.path.splitext(path)[1].lower())


def scan_paths(paths: Iterable[str]) -> ScanResult:
    """Scan files and folders (folders recursively, in name order, skipping hidden folders
    and dependencies). A file named explicitly is read even when its ending is unknown: as one
    pattern per line. ``-`` reads patterns from standard input."""
    result = ScanResult()
    seen: set[str] = set()  # a file reached twice (overlapping arguments) is read once
    for path in paths:
        if path == "-":
            result.extend(scan_text(sys.stdin.read(), "<stdin>", "patterns"))
            continue
        files = _walk(path) if os.path.isdir(path) else iter([path])
        for file in files:
            real = os.path.realpath(file)
            if real not in seen:
                seen.add(real)
                result.extend(_scan_file(file, explicit=file == path))
    return result


def _walk(folder: str) -> Iterator[str]:
    for root, directories, files in os.walk(folder):
        directories[:] = sorted(
            d
            for d in directories
            if d not in _SKIPPED_DIRECTORIES
            and not d.startswith(".")
            and not (d.startswith("asset.") and os.path.basename(root) == "cdk.out")
        )
        for name in sorted(files):
            if format_of(name):
                yield os.path.join(root, name)


def _scan_file(path: str, *, explicit: bool) -> ScanResult:
    """One file; a file that cannot be read (dangling link, link loop, FIFO or device, no
    permission) is a problem reported for it, and the scan goes on."""
    kind = format_of(path) or ("patterns" if explicit else None)
    if kind is None:
        return ScanResult()
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            return _unreadable(path, f"not a regular file ({_file_kind(mode)})")
        text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    except OSError as err:
        reason = "a symbolic link that leads nowhere" if os.path.islink(path) else err.strerror
        return _unreadable(path, f"cannot be read: {reason or err}")
    return scan_text(text, path, kind)


def _unreadable(path: str, message: str) -> ScanResult:
    source = Source(path, SourceText(""))
    return ScanResult(problems=[FileProblem(source, 0, message)], files=1)


def _file_kind(mode: int) -> str:
    """
    >>> _file_kind(stat.S_IFIFO)
    'a FIFO'
    """
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def scan_text(text: str, path: str, kind: str | None = None) -> ScanResult:
    """Scan the text of one file; ``kind`` is ``yaml``, ``json``, ``template`` (either),
    ``terraform`` or ``patterns`` (default: from the file name)."""
    source = Source(path, SourceText(text))
    kind = kind or format_of(path) or "patterns"
    result = ScanResult(files=1)
    if kind == "template":
        kind = "json" if text.lstrip().startswith("{") else "yaml"
    if kind in ("json", "yaml") and not _may_hold_patterns(text):
        return result
    with _collector_paused():
        _read_sites(source, kind, result)
    return result


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading a big template makes objects by the hundred thousand and almost no cyclic
    garbage, yet each of them would trigger and be traversed by the cycle collector over and
    over (it doubled the time of a 10,000-resource template): the collector rests while one
    file is read, and catches up afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_sites(source: Source, kind: str, result: ScanResult) -> None:
    text, path = source.text.text, source.path or ""
    try:
        if kind == "patterns":
            result.sites = list(_pattern_lines(source))
        elif kind == "terraform":
            result.sites = list(_terraform(source, os.path.dirname(path)))
        else:
            documents = [read_json(text)] if kind == "json" else read_yaml(text)
            for document in documents:
                result.sites += _document(source, document)
    except SourceError as err:
        if any(marker in text for marker in _TEMPLATE_MARKERS):
            result.problems.append(FileProblem(source, err.offset, err.message))


def _may_hold_patterns(text: str) -> bool:
    """Whether a JSON or YAML file can hold a pattern, or be a template worth a problem report.

    >>> _may_hold_patterns('{"name": "app", "lockfileVersion": 3}')
    False
    """
    return any(marker in text for marker in _PATTERN_MARKERS + _TEMPLATE_MARKERS)


def _pattern_lines(source: Source) -> Iterator[PatternSite]:
    offset = 0
    for number, line in enumerate(source.text.text.split("\n"), 1):
        text = line.rstrip("\r")
        if text.strip() and not text.lstrip().startswith("#"):
            located = Located.plain(text, offset)
            yield PatternSite(source, "patterns file", f"line {number}", text, located)
        offset += len(line) + 1


# --------------------------------------------------------------------------- CloudFormation


def _document(source: Source, document: Doc) -> list[PatternSite]:
    if not isinstance(document, DocMap):
        return []
    sites: list[PatternSite] = []
    from cwquery.iac import documents  # it builds on this module

    if documents.is_terraform_json(document):
        return list(documents.terraform_json_sites(source, document))
    resources = document.items.get("Resources")
    if isinstance(resources, DocMap):
        sites += _resources(source, resources)
    functions = document.items.get("functions")
    if "service" in document.items and isinstance(functions, DocMap):
        sites += _serverless(source, functions)
        extra = document.items.get("resources")
        if isinstance(extra, DocMap) and isinstance(extra.items.get("Resources"), DocMap):
            sites += _resources(source, extra.items["Resources"])  # type: ignore[arg-type]
    return sites


def _resources(source: Source, resources: DocMap) -> Iterator[PatternSite]:
    for logical_id, resource in resources.items.items():
        if not isinstance(resource, DocMap):
            continue
        kind = _scalar_text(resource.items.get("Type"))
        properties = resource.items.get("Properties")
        if not isinstance(properties, DocMap):
            continue
        if kind in (METRIC_FILTER, SUBSCRIPTION_FILTER):
            metric = _cfn_metric(properties) if kind == METRIC_FILTER else None
            site = _cfn_site(source, kind, logical_id, properties, metric)
            if site:
                yield site
        elif kind == SAM_FUNCTION:
            yield from _sam_events(source, logical_id, properties)
        elif kind == "AWS::Logs::AccountPolicy":
            from cwquery.iac.documents import account_policy_site

            policy = account_policy_site(source, logical_id, properties)
            if policy:
                yield policy


def _sam_events(source: Source, function: str, properties: DocMap) -> Iterator[PatternSite]:
    events = properties.items.get("Events")
    if not isinstance(events, DocMap):
        return
    for name, event in events.items.items():
        if (
            not isinstance(event, DocMap)
            or _scalar_text(event.items.get("Type")) != "CloudWatchLogs"
        ):
            continue
        event_properties = event.items.get("Properties")
        if isinstance(event_properties, DocMap):
            kind = f"{SAM_FUNCTION} CloudWatchLogs event"
            site = _cfn_site(source, kind, f"{function}.Events.{name}", event_properties, None)
            if site:
                yield site


def _cfn_site(
    source: Source, kind: str, name: str, properties: DocMap, metric: Metric | None
) -> PatternSite | None:
    node = properties.items.get("FilterPattern")
    if node is None:
        return None
    text, located, unresolved = _resolved(node, "FilterPattern")
    group, label = _log_group(source, properties.items.get("LogGroupName"))
    return PatternSite(source, kind, name, text, located, unresolved, metric, group, label)


def _cfn_metric(properties: DocMap) -> Metric | None:
    transformations = properties.items.get("MetricTransformations")
    if not isinstance(transformations, DocList) or not transformations.items:
        return None
    first = transformations.items[0]
    if not isinstance(first, DocMap):
        return None
    value = first.items.get("MetricValue")
    dimensions = []
    listed = first.items.get("Dimensions")
    for item in listed.items if isinstance(listed, DocList) else []:
        if isinstance(item, DocMap):
            key = _scalar_text(item.items.get("Key"))
            reference = item.items.get("Value")
            if key is not None and reference is not None:
                dimensions.append((key, _reference(reference)))
    return Metric(
        _reference(value) if value is not None else None,
        tuple(dimensions),
        _number(_scalar_text(first.items.get("DefaultValue"))),
    )


def _reference(node: Doc) -> Reference:
    text, located, _ = _resolved(node, "value")
    return Reference(text, located)


def _resolved(node: Doc, what: str) -> tuple[str | None, Located | None, str | None]:
    """``(text, where, why unresolved)`` of a string property, resolving the intrinsic
    functions that can be resolved without deploying (``Fn::Sub`` without ``${}``, and
    ``Fn::Join`` of plain strings)."""
    function = _intrinsic(node)
    if function is None:  # a plain value
        if isinstance(node, DocScalar):
            if node.kind == "null":
                return None, node.located, f"{what} has no value"
            return node.value, node.located, None
        return None, Located("", node.start, node.start), f"{what} is not a string"
    name, argument = function
    if name == "Fn::Sub":
        template = (
            argument.items[0] if isinstance(argument, DocList) and argument.items else argument
        )
        if isinstance(template, DocScalar):
            if "${" in template.value:
                return None, template.located, "Fn::Sub with ${…} is resolved at deploy time"
            return template.value, template.located, None
    if name == "Fn::Join" and isinstance(argument, DocList) and len(argument.items) == 2:
        delimiter, parts = argument.items
        texts = [_scalar_text(part) for part in parts.items] if isinstance(parts, DocList) else []
        plain = isinstance(parts, DocList) and all(
            isinstance(part, DocScalar) and part.tag is None for part in parts.items
        )
        if plain and isinstance(delimiter, DocScalar) and None not in texts:
            joined = delimiter.value.join(t for t in texts if t is not None)
            return joined, Located(joined, node.start, node.start), None
    return None, Located("", node.start, node.start), f"{name} is resolved at deploy time"


def _intrinsic(node: Doc) -> tuple[str, Doc] | None:
    """``(function name, argument)`` of ``!Fn arg`` or ``{"Fn::…": arg}``, else ``None``."""
    if node.tag:
        name = node.tag[1:]
        return ("Ref" if name == "Ref" else f"Fn::{name}"), node
    if isinstance(node, DocMap) and len(node.items) == 1:
        (key, argument), *_ = node.items.items()
        if key == "Ref" or key.startswith("Fn::"):
            return key, argument
    return None


def _log_group(source: Source, node: Doc | None) -> tuple[Hashable | None, str | None]:
    if node is None:
        return None, None
    text, _, _ = _resolved(node, "LogGroupName")
    if text is not None:
        return ("name", text), text
    label = _plain(node)
    return ("expr", source.path, label), label


def _plain(node: Doc) -> str:
    """A document node as compact text, for naming a log group given as an expression."""
    if isinstance(node, DocScalar):
        return f"{node.tag} {node.value}" if node.tag else node.value
    if isinstance(node, DocList):
        items = ", ".join(_plain(item) for item in node.items)
        return f"{node.tag} [{items}]" if node.tag else f"[{items}]"
    items = ", ".join(f"{key}: {_plain(value)}" for key, value in node.items.items())
    return f"{node.tag} {{{items}}}" if node.tag else f"{{{items}}}"


def _scalar_text(node: Doc | None) -> str | None:
    return node.value if isinstance(node, DocScalar) and node.kind != "null" else None


def _number(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


# --------------------------------------------------------------------------- serverless


def _serverless(source: Source, functions: DocMap) -> Iterator[PatternSite]:
    for function, definition in functions.items.items():
        events = definition.items.get("events") if isinstance(definition, DocMap) else None
        for index, event in enumerate(events.items if isinstance(events, DocList) else []):
            settings = event.items.get("cloudwatchLog") if isinstance(event, DocMap) else None
            if not isinstance(settings, DocMap) or "filter" not in settings.items:
                continue
            text, located, unresolved = _resolved(settings.items["filter"], "filter")
            if text is not None and "${" in text:
                text, unresolved = None, "serverless variables ${…} are resolved at deploy time"
            group, label = _log_group(source, settings.items.get("logGroup"))
            name = f"functions.{function}.events[{index}].cloudwatchLog"
            kind = "serverless cloudwatchLog event"
            yield PatternSite(source, kind, name, text, located, unresolved, None, group, label)


# --------------------------------------------------------------------------- Terraform


def _terraform(source: Source, folder: str) -> Iterator[PatternSite]:
    """Filter resources placed by the block reader, their values read from the text where they
    are literals, and by python-hcl2 (slower, and then for the whole file) where they are not
    or where the block reader cannot follow the file."""
    text = source.text.text
    if not any(kind in text for kind in _TF_PATTERN_ATTRIBUTE):
        return
    try:
        blocks = {
            (b.labels[0], b.labels[1]): b
            for b in read_hcl_blocks(text).blocks
            if b.type == "resource" and len(b.labels) == 2
        }
    except SourceError:
        blocks = {}
    values = _literal_values(text, blocks) if blocks else None
    if values is None:
        values = _hcl_values(text)
    for (kind, name), body in values.items():
        attribute = _TF_PATTERN_ATTRIBUTE.get(kind)
        if attribute is None or attribute not in body:
            continue
        block = blocks.get((kind, name)) or _header(text, kind, name)
        pattern, located, unresolved = _tf_string(text, block, attribute, body.get(attribute))
        metric = _tf_metric(text, block, body) if kind == TF_METRIC_FILTER else None
        group, label = _tf_log_group(folder, body.get("log_group_name"))
        yield PatternSite(
            source, kind, f"{kind}.{name}", pattern, located, unresolved, metric, group, label
        )


#: A number literal whose value python-hcl2 would give as it is written.
_HCL_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _literal_values(
    text: str, blocks: dict[tuple[str, str], HclBlock]
) -> dict[tuple[str, str], dict[str, Any]] | None:
    """The filter resources' values as python-hcl2 would give them, when every value the scan
    reads is a literal the block reader can read alone; else ``None``."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for (kind, name), block in blocks.items():
        attribute = _TF_PATTERN_ATTRIBUTE.get(kind)
        if attribute is None:
            continue
        body = _literal_body(text, block, attribute, "log_group_name")
        if body is None:
            return None
        transformations = [b for b in block.blocks if b.type == "metric_transformation"]
        if kind == TF_METRIC_FILTER and (
            "metric_transformation" in block.attributes
            or any("dimensions" in b.attributes for b in transformations)
        ):
            return None
        if transformations:
            first = _literal_body(text, transformations[0], "value", "default_value")
            if first is None:
                return None
            body["metric_transformation"] = [first]
        found[(kind, name)] = body
    return found


def _literal_body(text: str, block: HclBlock, located: str, valued: str) -> dict[str, Any] | None:
    """``{name: value}`` for the two attributes when the block reader can read them alone, else
    ``None``: ``located`` (read from the text by :func:`_tf_string`) must be a string literal or
    heredoc; ``valued`` (whose value is used as python-hcl2 gives it) a plain string literal
    (no interpolation or escape) or a number."""
    body: dict[str, Any] = {}
    place = block.attributes.get(located)
    if place is not None:
        literal = hcl_string_at(text, place.start, place.end)
        if literal is None:
            return None
        body[located] = literal.value
    place = block.attributes.get(valued)
    if place is not None:
        raw = text[place.start : place.end]
        if _HCL_NUMBER.fullmatch(raw):
            body[valued] = float(raw) if "." in raw else int(raw)
            return body
        plain = raw.startswith('"') and not any(mark in raw for mark in ("\\", "${", "%{"))
        literal = hcl_string_at(text, place.start, place.end) if plain else None
        if literal is None:
            return None
        body[valued] = literal.value
    return body


def _header(text: str, kind: str, name: str) -> HclBlock:
    """A block placed at its ``resource "kind" "name"`` line, without attributes."""
    header = re.search(rf'resource\s+"{re.escape(kind)}"\s+"{re.escape(name)}"', text)
    return HclBlock("resource", (kind, name), header.start() if header else 0)


def _hcl_values(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The filter resources' attribute values, as python-hcl2 reads them."""
    try:
        data = _hcl_load(text)
    except Exception as err:  # python-hcl2 raises Lark's exceptions, and others
        line = getattr(err, "line", None)
        offset = SourceText(text).offset(line) if isinstance(line, int) and line > 0 else 0
        raise SourceError(f"not valid Terraform: {str(err).splitlines()[0]}", offset) from None
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in data.get("resource", []):
        for kind, resources in entry.items():
            for name, body in resources.items():
                found[(_unquoted(kind), _unquoted(name))] = body
    return found


def _hcl_load(text: str) -> dict[str, Any]:
    import hcl2  # only for files the block reader cannot read alone (a slow import)

    try:
        from hcl2.utils import SerializationOptions
    except ImportError:  # pragma: no cover - python-hcl2 7 has no options and strips quotes
        return dict(hcl2.loads(text))
    options = SerializationOptions(
        with_comments=False, strip_string_quotes=True, preserve_heredocs=False
    )
    return dict(hcl2.loads(text, serialization_options=options))


def _unquoted(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _tf_string(
    text: str, block: HclBlock, attribute: str, value: Any
) -> tuple[str | None, Located | None, str | None]:
    """A string attribute, read from the text where it is a literal, else python-hcl2's value
    (then only its start is known)."""
    place = block.attributes.get(attribute)
    located = hcl_string_at(text, place.start, place.end) if place else None
    if located is not None:  # a literal: read here exactly, escapes and heredocs included
        if hcl_interpolates(text, located):
            return None, located, "Terraform interpolation ${…} is resolved at plan time"
        return located.value, located, None
    start = place.start if place else block.start
    if not isinstance(value, str) or "${" in value:
        return (
            None,
            Located("", start, start),
            f"{attribute} is an expression resolved at plan time",
        )
    return value, Located(value, start, start), None


def _tf_metric(text: str, block: HclBlock, body: dict[str, Any]) -> Metric | None:
    listed = body.get("metric_transformation")
    values = listed[0] if isinstance(listed, list) and listed else listed
    if not isinstance(values, dict):
        return None
    transformations = [b for b in block.blocks if b.type == "metric_transformation"]
    place = transformations[0] if transformations else block
    value = None
    if "value" in values:
        metric_value, located, _ = _tf_string(text, place, "value", values["value"])
        value = Reference(metric_value, located)
    dimensions = []
    mapping = values.get("dimensions")
    area = place.attributes.get("dimensions")
    if isinstance(mapping, dict):
        for key, reference in mapping.items():
            if key.startswith("__"):
                continue
            located = _tf_entry(text, area.start, area.end, _unquoted(key)) if area else None
            literal = isinstance(reference, str) and "${" not in reference
            dimensions.append((_unquoted(key), Reference(reference if literal else None, located)))
    default = values.get("default_value")
    return Metric(value, tuple(dimensions), _number(None if default is None else str(default)))


def _tf_entry(text: str, start: int, end: int, key: str) -> Located | None:
    """The string value of ``key = "…"`` inside an object expression."""
    entry = re.compile(rf'(?:^|[\s{{,])"?{re.escape(key)}"?\s*[=:]\s*(?=")')
    match = entry.search(text, start, end)
    return hcl_string_from(text, match.end()) if match else None


def _tf_log_group(folder: str, value: Any) -> tuple[Hashable | None, str | None]:
    if not isinstance(value, str):
        return None, None
    if "${" in value:
        return ("expr", folder, value), value
    return ("name", value), value
