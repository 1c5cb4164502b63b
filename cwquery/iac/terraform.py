"""Filter patterns in Terraform files: ``aws_cloudwatch_log_metric_filter.pattern`` and
``aws_cloudwatch_log_subscription_filter.filter_pattern`` (and an anomaly detector's), with the
metric transformation and the log group. Literal values are read by the project's block reader
(:mod:`cwquery.iac.hcl`), which also places them; python-hcl2 reads the files where that reader
cannot.

>>> from cwquery.iac.locate import SourceText
>>> text = 'resource "aws_cloudwatch_log_subscription_filter" "s" {\\n  filter_pattern = "E"\\n}\\n'
>>> source = Source("main.tf", SourceText(text))
>>> [(s.name, s.text, s.position()) for s in terraform_sites(source, "")]
[('aws_cloudwatch_log_subscription_filter.s', 'E', (2, 20, True))]
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Iterator
from dataclasses import replace
from typing import Any

from cwquery.iac.hcl import (
    HclBlock,
    hcl_interpolates,
    hcl_string_at,
    hcl_string_from,
    read_hcl_blocks,
)
from cwquery.iac.locate import DocumentError, Located, SourceText
from cwquery.iac.sites import Metric, PatternSite, Reference, Source, metric_number
from cwquery.iac.tfalarms import too_many
from cwquery.iac.tfmodule import ModuleScope, TfFile, TfModule, block_instances
from cwquery.iac.tfresolve import metric_names, module_call_sites, module_of, resolved_sites

__all__ = [
    "TF_ANOMALY_DETECTOR",
    "TF_METRIC_FILTER",
    "TF_SUBSCRIPTION_FILTER",
    "hcl_load",
    "terraform_sites",
]

TF_METRIC_FILTER = "aws_cloudwatch_log_metric_filter"
TF_SUBSCRIPTION_FILTER = "aws_cloudwatch_log_subscription_filter"
TF_ANOMALY_DETECTOR = "aws_cloudwatch_log_anomaly_detector"
_TF_PATTERN_ATTRIBUTE = {
    TF_METRIC_FILTER: "pattern",
    TF_SUBSCRIPTION_FILTER: "filter_pattern",
    TF_ANOMALY_DETECTOR: "filter_pattern",
}


def terraform_sites(source: Source, folder: str) -> Iterator[PatternSite]:
    """Filter resources placed by the block reader, their values read from the text where they
    are literals, and by python-hcl2 (slower, and then for the whole file) where they are not
    or where the block reader cannot follow the file. A pattern that is an expression, and the
    filters of modules the file calls from the same repository, are evaluated
    (:mod:`cwquery.iac.tfresolve`)."""
    text = source.text.text
    calls = "module" in text and "source" in text
    if not calls and not any(kind in text for kind in _TF_PATTERN_ATTRIBUTE):
        return
    try:
        root: HclBlock | None = read_hcl_blocks(text)
    except DocumentError:
        root = None
    blocks = {
        (b.labels[0], b.labels[1]): b
        for b in (root.blocks if root else [])
        if b.type == "resource" and len(b.labels) == 2
    }
    computed = {key for key, block in blocks.items() if _computed(text, block)}
    literal = {key: block for key, block in blocks.items() if key not in computed}
    filters = any(kind in text for kind in _TF_PATTERN_ATTRIBUTE)
    values = _literal_values(text, literal) if root is not None else None
    if values is None:
        values = _hcl_values(text) if filters else {}
    found: list[tuple[int, list[PatternSite]]] = []
    names = _TfMetricNames(source, folder, root)
    for (kind, name), body in values.items():
        attribute = _TF_PATTERN_ATTRIBUTE.get(kind)
        if attribute is None or attribute not in body or (kind, name) in computed:
            continue
        block = blocks.get((kind, name)) or _header(text, kind, name)
        pattern, located, unresolved = _tf_string(text, block, attribute, body.get(attribute))
        metric = _tf_metric(text, block, body) if kind == TF_METRIC_FILTER else None
        if metric is not None:
            metric_name, namespace, unit = names.of(block, body)
            metric = replace(metric, name=metric_name, namespace=namespace, unit=unit)
        group, label = _tf_log_group(folder, body.get("log_group_name"))
        site = PatternSite(
            source, kind, f"{kind}.{name}", pattern, located, unresolved, metric, group, label
        )
        found.append((block.start, [site]))
    if root is not None and (computed or calls):
        found += _evaluated_sites(source, folder, root, computed, blocks)
    for _, sites in sorted(found, key=lambda pair: pair[0]):
        yield from sites


def _computed(text: str, block: HclBlock) -> bool:
    """A filter resource whose pattern is an expression or a template with ``${…}``."""
    attribute = _TF_PATTERN_ATTRIBUTE.get(block.labels[0])
    place = block.attributes.get(attribute) if attribute else None
    if place is None:
        return False
    literal = hcl_string_at(text, place.start, place.end)
    return literal is None or hcl_interpolates(text, literal)


def _evaluated_sites(
    source: Source,
    folder: str,
    root: HclBlock,
    computed: set[tuple[str, str]],
    blocks: dict[tuple[str, str], HclBlock],
) -> list[tuple[int, list[PatternSite]]]:
    """The sites of the filters whose pattern is an expression, and of the filters of the
    modules this file calls, each with the offset of its block in this file."""
    on_disk = bool(source.path) and os.path.isfile(source.path or "")
    file = TfFile(source, root)
    module, scope = module_of(file, (folder or ".") if on_disk else "")
    found = []
    for key in computed:
        block = blocks[key]
        attribute = _TF_PATTERN_ATTRIBUTE[key[0]]
        metric = key[0] == TF_METRIC_FILTER
        found.append((block.start, list(resolved_sites(file, block, attribute, scope, metric))))
    found.append(
        (
            len(source.text.text),
            list(module_call_sites(module, scope, [file], _TF_PATTERN_ATTRIBUTE)),
        )
    )
    return found


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
        data = hcl_load(text)
    except Exception as err:  # python-hcl2 raises Lark's exceptions, and others
        line = getattr(err, "line", None)
        offset = SourceText(text).offset(line) if isinstance(line, int) and line > 0 else 0
        raise DocumentError(f"not valid Terraform: {str(err).splitlines()[0]}", offset) from None
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in data.get("resource", []):
        for kind, resources in entry.items():
            for name, body in resources.items():
                found[(_unquoted(kind), _unquoted(name))] = body
    return found


def hcl_load(text: str) -> dict[str, Any]:
    """A Terraform file as python-hcl2 reads it, with quotes stripped from strings."""
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
    written = values.get("value")
    if isinstance(written, int | float) and not isinstance(written, bool):
        at = place.attributes.get("value")  # value = 1: a number, not a string
        start = at.start if at else place.start
        value = Reference(_number_text(written), Located("", start, start))
    elif "value" in values:
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
    return Metric(
        value, tuple(dimensions), metric_number(None if default is None else str(default))
    )


class _TfMetricNames:
    """The ``name``, ``namespace`` and ``unit`` of a metric filter read by the literal path:
    read from the text where they are literals, else evaluated in the file's module (variable
    defaults, locals) when every instance of the resource gives the same string."""

    def __init__(self, source: Source, folder: str, root: HclBlock | None) -> None:
        self.source, self.folder, self.root = source, folder, root
        self._module: tuple[TfFile, TfModule, ModuleScope] | None = None

    def of(
        self, block: HclBlock, body: dict[str, Any]
    ) -> tuple[Reference | None, Reference | None, Reference | None]:
        text = self.source.text.text
        transformations = [b for b in block.blocks if b.type == "metric_transformation"]
        listed = body.get("metric_transformation")
        values = listed[0] if isinstance(listed, list) and listed else listed
        found: dict[str, Reference | None] = {}
        for attribute in ("name", "namespace", "unit"):
            place = transformations[0].attributes.get(attribute) if transformations else None
            if place is None:
                written = values.get(attribute) if isinstance(values, dict) else None
                plain = isinstance(written, str) and "${" not in written
                found[attribute] = (
                    None if written is None else Reference(written if plain else None, None)
                )
                continue
            literal = hcl_string_at(text, place.start, place.end)
            if literal is not None and not hcl_interpolates(text, literal):
                found[attribute] = Reference(literal.value, literal)
            else:
                found[attribute] = self._evaluated(block, transformations[0], attribute)
        return found["name"], found["namespace"], found["unit"]

    def _evaluated(self, block: HclBlock, transformation: HclBlock, attribute: str) -> Reference:
        if self.root is None:
            return Reference(None, None)
        if self._module is None:
            on_disk = bool(self.source.path) and os.path.isfile(self.source.path or "")
            file = TfFile(self.source, self.root)
            module, scope = module_of(file, (self.folder or ".") if on_disk else "")
            self._module = (file, module, scope)
        file, _, scope = self._module
        if too_many(file, block, scope) is not None:
            return Reference(None, None)
        known: set[str | None] = set()
        for instance in block_instances(file, block, scope):
            if instance.unresolved is not None:
                return Reference(None, None)
            (reference,) = metric_names(instance, transformation, (attribute,))
            known.add(None if reference is None else reference.text)
        if len(known) != 1 or None in known:
            return Reference(None, None)
        return Reference(known.pop(), None)


def _number_text(value: float) -> str:
    """
    >>> _number_text(1), _number_text(2.5), _number_text(3.0)
    ('1', '2.5', '3')
    """
    return str(int(value)) if float(value).is_integer() else str(value)


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
