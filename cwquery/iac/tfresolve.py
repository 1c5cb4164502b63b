"""Filter patterns of Terraform resources whose pattern is an expression: evaluated where it can
be known without deploying (:mod:`cwquery.iac.tfmodule`), one site per ``for_each`` key
(``aws_cloudwatch_log_metric_filter.x["key"]``), per branch of a conditional whose condition
is not known, and per resource of a module of the same repository called with literal inputs
(``module.m.aws_cloudwatch_log_metric_filter.x["key"]``). Variable defaults used and
conditions assumed are the site's notes; what cannot be known stays unresolved.

A site's pattern is placed where its text is written: in the ``locals`` map, in the YAML file
a module reads, or at the start of the attribute when it is computed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Iterator
from typing import Any

from cwquery.iac.hcl import HclBlock
from cwquery.iac.hcleval import Text, Unknown
from cwquery.iac.hclexpr import Template, parse_expression
from cwquery.iac.locate import DocumentError, Located
from cwquery.iac.sites import Metric, PatternSite, Reference, Source, metric_number
from cwquery.iac.tfmodule import (
    Instance,
    ModuleScope,
    TfFile,
    TfModule,
    alternatives,
    assumed_note,
    block_instances,
    evaluate_attribute,
    load_module,
    local_module_calls,
)

__all__ = ["metric_names", "module_call_sites", "resolved_sites", "without_repeats"]


def resolved_sites(
    file: TfFile, block: HclBlock, attribute: str, scope: ModuleScope, metric: bool
) -> Iterator[PatternSite]:
    """The sites of one filter resource block, its pattern ``attribute`` evaluated."""
    kind = block.labels[0]
    place = block.attributes[attribute]
    start = Located("", place.start, place.start)
    for instance in block_instances(file, block, scope):
        if instance.unresolved is not None:
            yield PatternSite(
                file.source, kind, instance.address, None, start, instance.unresolved,
                notes=instance.notes,
            )  # fmt: skip
            continue
        try:
            node = parse_expression(file.source.text.text, place.start, place.end)
        except DocumentError as err:
            reason = f"{attribute} cannot be read: {err.message}"
            yield PatternSite(file.source, kind, instance.address, None, start, reason)
            continue
        inner = instance.scope.bound({})
        inner.assumed = set(instance.scope.assumed)
        transformation = _metric(instance) if metric else None
        group, label = _log_group(instance, file)
        for value, notes, assumed in alternatives(node, inner):
            what = "Terraform interpolation ${…}" if isinstance(node, Template) else attribute
            source, text, located, unresolved = _pattern(file.source, start, what, value)
            all_notes = (*instance.notes, *notes)
            if assumed and text is not None:
                all_notes += (assumed_note(assumed),)
            yield PatternSite(
                source, kind, instance.address, text, located, unresolved, transformation,
                group, label, notes=all_notes,
            )  # fmt: skip


def _pattern(
    source: Source, start: Located, what: str, value: Any
) -> tuple[Source, str | None, Located, str | None]:
    if isinstance(value, Unknown):
        return source, None, start, f"{what} is computed at deploy time: {value.reason}"
    if isinstance(value, Text):
        return value.source, str(value), value.located, None
    if isinstance(value, bool) or value is None or not isinstance(value, str | int | float):
        return source, None, start, f"{what} is not a string"
    text = value if isinstance(value, str) else str(value)
    return source, text, Located(text, start.start, start.start), None


def _metric(instance: Instance) -> Metric | None:
    blocks = [b for b in instance.block.blocks if b.type == "metric_transformation"]
    if not blocks:
        return None
    value, _ = evaluate_attribute(instance, "value", blocks[0])
    default, _ = evaluate_attribute(instance, "default_value", blocks[0])
    dimensions, _ = evaluate_attribute(instance, "dimensions", blocks[0])
    pairs = []
    if isinstance(dimensions, dict):
        pairs = [(str(key), _reference(item, instance)) for key, item in dimensions.items()]
    number = None if not isinstance(default, int | float | str) else str(default)
    name, namespace, unit = metric_names(instance, blocks[0], ("name", "namespace", "unit"))
    return Metric(
        _reference(value, instance) if value is not None else None,
        tuple(pairs),
        metric_number(None if isinstance(default, bool) else number),
        name,
        namespace,
        unit,
    )


def metric_names(
    instance: Instance, block: HclBlock, attributes: tuple[str, ...] = ("name", "namespace")
) -> list[Reference | None]:
    """String attributes (``name``, ``namespace``, ``unit``) of a ``metric_transformation``
    block of the instance, evaluated as the pattern is (a value that is not a string stays
    unknown); ``None`` for one not written."""
    found: list[Reference | None] = []
    for attribute in attributes:
        value, _ = evaluate_attribute(instance, attribute, block)
        if value is None:
            found.append(None)
        elif isinstance(value, str):
            found.append(_reference(value, instance))
        else:
            found.append(Reference(None, None))
    return found


def _reference(value: Any, instance: Instance) -> Reference:
    if isinstance(value, Text) and value.source is instance.file.source:
        return Reference(str(value), value.located)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return Reference(str(value), None)
    return Reference(None, None)


def _log_group(instance: Instance, file: TfFile) -> tuple[Hashable | None, str | None]:
    place = instance.block.attributes.get("log_group_name")
    if place is None:
        return None, None
    value, assumed = evaluate_attribute(instance, "log_group_name")
    if isinstance(value, str) and not assumed:
        return ("name", str(value)), str(value)
    written = " ".join(file.source.text.text[place.start : place.end].split())
    return ("expr", instance.scope.module.folder, written), written


def module_call_sites(
    module: TfModule, scope: ModuleScope, files: list[TfFile], kinds: dict[str, str]
) -> Iterator[PatternSite]:
    """The filter sites of the modules that ``files`` call from the same repository, with the
    inputs they give (and of the modules those call)."""
    for _, callee, callee_scope in local_module_calls(module, scope, files):
        yield from module_sites(callee, callee_scope, kinds)


def module_sites(
    module: TfModule, scope: ModuleScope, kinds: dict[str, str]
) -> Iterator[PatternSite]:
    """Every filter site of a module in ``scope`` (its calls followed)."""
    for file, block in module.resources():
        attribute = kinds.get(block.labels[0])
        if attribute is not None and attribute in block.attributes:
            metric = block.labels[0] == "aws_cloudwatch_log_metric_filter"
            yield from resolved_sites(file, block, attribute, scope, metric)
    yield from module_call_sites(module, scope, module.files, kinds)


_MODULE_PREFIX = re.compile(r"^(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)+")


def without_repeats(sites: list[PatternSite]) -> list[PatternSite]:
    """Sites found through a module call that repeat the module's own site (same resource,
    same text, same place) are left out: the module's resource is reported once."""
    own = {_signature(site) for site in sites if not _MODULE_PREFIX.match(site.name)}
    kept = []
    for site in sites:
        prefixed = _MODULE_PREFIX.match(site.name) is not None
        if prefixed and _signature(site, _MODULE_PREFIX.sub("", site.name)) in own:
            continue
        kept.append(site)
    return kept


def _signature(site: PatternSite, name: str | None = None) -> tuple[object, ...]:
    path = os.path.realpath(site.source.path) if site.source.path else None
    start = site.located.start if site.located else None
    return (name or site.name, site.text, site.unresolved, path, start)


def module_of(file: TfFile, folder: str) -> tuple[TfModule, ModuleScope]:
    """The module a scanned file belongs to (``folder`` ``""``: the file alone), and its
    scope."""
    module = load_module(folder, file)
    return module, ModuleScope(module)
