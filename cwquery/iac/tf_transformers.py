"""Log transformers in Terraform ``.tf`` files, ``.tf.json`` files and plans:
``aws_cloudwatch_log_transformer`` blocks read into the API's shape for
:mod:`cwquery.iac.transformers`, and the metric and subscription filters with
``apply_on_transformed_logs = true``.

Blocks and attributes are snake case (``transformer_config { parse_json {} }``,
``overwrite_if_exists``); an ``entry`` or ``entries`` block is one item of the processor's
``entries``. Values that are not literals (references, functions, interpolation) leave the
transformer unchecked.

>>> from cwquery.iac.locate import SourceText
>>> text = ('resource "aws_cloudwatch_log_transformer" "t" {\\n  log_group_arn = "/a"\\n'
...         '  transformer_config {\\n    trim_string { with_keys = ["k"] }\\n  }\\n}\\n')
>>> site, = terraform_transformer_sites(Source("main.tf", SourceText(text)))
>>> site.config, site.log_group
([{'trimString': {'withKeys': ['k']}}], '/a')
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Hashable, Iterator
from dataclasses import replace
from typing import Any

from cwquery.iac.documents import terraform_json_resources
from cwquery.iac.hcl import HclBlock, hcl_interpolates, hcl_string_at, read_hcl_blocks
from cwquery.iac.hcleval import EvalError, Scope, Unknown, evaluate
from cwquery.iac.hclexpr import parse_expression
from cwquery.iac.locate import Doc, DocList, DocMap, DocScalar, DocumentError
from cwquery.iac.sites import Source
from cwquery.iac.tfmodule import TfFile, load_module
from cwquery.iac.transformers import TransformerSite, group_of_arn

__all__ = ["TF_TRANSFORMER", "terraform_json_transformer_sites", "terraform_transformer_sites"]

TF_TRANSFORMER = "aws_cloudwatch_log_transformer"
_TF_FILTERS = {
    "aws_cloudwatch_log_metric_filter": "log_group_name",
    "aws_cloudwatch_log_subscription_filter": "log_group_name",
}
#: Processor names whose API spelling is not the plain camel case of the block name.
_SPELLED = {
    "parse_json": "parseJSON",
    "parse_vpc": "parseVPC",
    "parse_waf": "parseWAF",
    "parse_to_ocsf": "parseToOCSF",
}
_REFERENCE = re.compile(r"(aws_cloudwatch_log_group\.[A-Za-z_][A-Za-z0-9_-]*)\.(?:name|arn|id)")


class _NotLiteral(Exception):
    """A value Terraform computes."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def terraform_transformer_sites(source: Source) -> Iterator[TransformerSite]:
    """The transformers of one ``.tf`` file, and its filters with
    ``apply_on_transformed_logs = true``."""
    text = source.text.text
    if TF_TRANSFORMER not in text and "apply_on_transformed_logs" not in text:
        return
    try:
        blocks = read_hcl_blocks(text).blocks
    except DocumentError:
        return  # the filter-pattern scan of the same file reports it
    siblings = _sibling_files(source)
    names: dict[str, str] = {}
    for file in siblings:
        names.update(_group_names(file.source.text.text, file.root.blocks))
    names.update(_group_names(text, blocks))
    elsewhere = {  # the groups the module's other files give a transformer
        _group(file.source.text.text, block, _group_attribute(block), names)
        for file in siblings
        for block in file.root.blocks
        if block.type == "resource" and block.labels[:1] == (TF_TRANSFORMER,)
    }
    for block in blocks:
        if block.type != "resource" or len(block.labels) != 2:
            continue
        kind, label = block.labels
        if kind == TF_TRANSFORMER:
            yield _transformer(source, block, label, names)
        elif kind in _TF_FILTERS and "apply_on_transformed_logs" in block.attributes:
            flag = block.attributes["apply_on_transformed_logs"]
            if text[flag.start : flag.end].strip() == "true":
                group = _group(text, block, _TF_FILTERS[kind], names)
                if group is not None and group in elsewhere:
                    continue  # a transformer of another file of the module applies
                yield TransformerSite(source, kind, f"{kind}.{label}", flag.start, group, flag=True)


def _transformer(
    source: Source, block: HclBlock, label: str, names: dict[str, str]
) -> TransformerSite:
    text = source.text.text
    group = _group(text, block, _group_attribute(block), names)
    configs = [child for child in block.blocks if child.type == "transformer_config"]
    start = configs[0].start if configs else block.start
    site = TransformerSite(source, TF_TRANSFORMER, f"{TF_TRANSFORMER}.{label}", start, group)
    if not configs:
        return replace(site, unresolved="no transformer_config block")
    try:
        config = [_processor(text, child) for child in configs]
    except _NotLiteral as why:
        return replace(site, unresolved=str(why))
    starts = tuple(child.blocks[0].start if child.blocks else child.start for child in configs)
    return replace(site, config=config, processors=starts)


def _processor(text: str, config: HclBlock) -> dict[str, Any]:
    """One ``transformer_config`` block: ``{processorName: {members}}`` (several processor
    blocks in one config stay several keys, which validation refuses)."""
    out: dict[str, Any] = {}
    for child in config.blocks:
        out[_SPELLED.get(child.type, _camel(child.type))] = _body(text, child)
    return out


def _body(text: str, block: HclBlock) -> dict[str, Any]:
    body: dict[str, Any] = {
        _camel(name): _literal(text, place.start, place.end)
        for name, place in block.attributes.items()
    }
    for child in block.blocks:
        if child.type in ("entry", "entries"):
            body.setdefault("entries", []).append(_body(text, child))
        else:
            body[_camel(child.type)] = _body(text, child)
    return body


def _literal(text: str, start: int, end: int) -> Any:
    """The value of a literal (string, number, boolean, list, object), read by the expression
    reader the filters' values go through; else :class:`_NotLiteral`."""
    try:
        value = evaluate(parse_expression(text, start, end), Scope())
    except (DocumentError, EvalError) as err:
        raise _NotLiteral(f"a transformer_config value cannot be read: {err}") from None
    if isinstance(value, Unknown):
        raise _NotLiteral(f"a transformer_config value is resolved at plan time: {value.reason}")
    return value


def _sibling_files(source: Source) -> list[TfFile]:
    """The other ``.tf`` files of the file's module (its folder, as Terraform reads it)."""
    path = source.path
    if not path or not os.path.isfile(path):
        return []
    given = TfFile(source, HclBlock("", (), 0))
    module = load_module(os.path.dirname(path) or ".", given)
    return [file for file in module.files if file is not given]


def _group_attribute(block: HclBlock) -> str:
    return "log_group_arn" if "log_group_arn" in block.attributes else "log_group_identifier"


def _group_names(text: str, blocks: list[HclBlock]) -> dict[str, str]:
    """``aws_cloudwatch_log_group.<label>`` -> its literal ``name``."""
    names: dict[str, str] = {}
    for block in blocks:
        if block.type == "resource" and block.labels[:1] == ("aws_cloudwatch_log_group",):
            place = block.attributes.get("name")
            located = hcl_string_at(text, place.start, place.end) if place else None
            if located is not None and not hcl_interpolates(text, located):
                names[f"aws_cloudwatch_log_group.{block.labels[1]}"] = located.value
    return names


def _group(text: str, block: HclBlock, attribute: str, names: dict[str, str]) -> Hashable | None:
    """The log group an attribute names: a literal name or ARN, or a reference to a log group
    resource of the file; ``None`` when it cannot be told."""
    place = block.attributes.get(attribute)
    if place is None:
        return None
    written = text[place.start : place.end].strip()
    reference = _REFERENCE.fullmatch(written)
    if reference is not None:
        return names.get(reference.group(1), ("ref", reference.group(1)))
    located = hcl_string_at(text, place.start, place.end)
    if located is None or hcl_interpolates(text, located):
        return None
    return group_of_arn(located.value)


# --------------------------------------------------------------------------- Terraform JSON


def terraform_json_transformer_sites(source: Source, document: DocMap) -> Iterator[TransformerSite]:
    """The transformers of a Terraform JSON configuration (``.tf.json``: a block is an object
    or a list of objects, strings may interpolate) or of a plan or state (``terraform show
    -json``: values resolved, absent blocks ``[]`` and absent attributes ``null``), and their
    filters with ``apply_on_transformed_logs`` true."""
    kinds = (TF_TRANSFORMER, *_TF_FILTERS)
    found = list(terraform_json_resources(document, kinds))
    names: dict[str, str] = {}
    for _, name, body, _ in terraform_json_resources(document, ("aws_cloudwatch_log_group",)):
        written = body.items.get("name")
        if isinstance(written, DocScalar) and written.kind == "str" and "${" not in written.value:
            names[name] = written.value
    unknown = _unknown_after_apply(document)
    for kind, name, body, planned in found:
        label = name if planned else name.split(".", 1)[1]
        if kind == TF_TRANSFORMER:
            group = _json_group(body, ("log_group_arn", "log_group_identifier"), names, planned)
            yield _json_transformer(source, label, body, group, planned, name in unknown)
            continue
        flag = body.items.get("apply_on_transformed_logs")
        if isinstance(flag, DocScalar) and flag.kind == "bool" and flag.value == "true":
            group = _json_group(body, (_TF_FILTERS[kind],), names, planned)
            yield TransformerSite(source, kind, label, flag.start, group, flag=True)


def _json_transformer(
    source: Source, label: str, body: DocMap, group: Hashable | None, planned: bool, unknown: bool
) -> TransformerSite:
    node = body.items.get("transformer_config")
    configs = _blocks(node)
    start = node.start if node is not None else body.start
    site = TransformerSite(source, TF_TRANSFORMER, label, start, group)
    if unknown:
        return replace(site, unresolved="transformer_config is known only after apply")
    if not configs:
        return replace(site, unresolved="no transformer_config block")
    config, starts = [], []
    try:
        for item in configs:
            processors = [(k, v) for k, v in item.items.items() if not _absent(v)]
            config.append({_api_name(k): _json_body(_blocks(v), planned) for k, v in processors})
            starts.append(item.start)
    except _NotLiteral as why:
        return replace(site, unresolved=str(why))
    return replace(site, config=config, processors=tuple(starts))


def _api_name(block: str) -> str:
    return _SPELLED.get(block, _camel(block))


def _blocks(node: Doc | None) -> list[DocMap]:
    """A nested block in JSON: one object, or a list of objects."""
    items = node.items if isinstance(node, DocList) else [node]
    return [item for item in items if isinstance(item, DocMap)]


def _absent(node: Doc) -> bool:
    """An attribute or block a plan writes although it is not set (``null``, ``[]``)."""
    return (isinstance(node, DocScalar) and node.kind == "null") or (
        isinstance(node, DocList) and not node.items
    )


def _json_body(blocks: list[DocMap], planned: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for block in blocks[-1:]:  # as in HCL, a processor written twice keeps its last block
        for name, node in block.items.items():
            if _absent(node):
                continue
            nested = _blocks(node)
            whole = isinstance(node, DocList) and len(nested) == len(node.items)
            if nested and (isinstance(node, DocMap) or whole):
                if name in ("entry", "entries"):
                    body["entries"] = [_json_body([item], planned) for item in nested]
                else:
                    body[_camel(name)] = _json_body(nested, planned)
            else:
                body[_camel(name)] = _json_literal(node, planned)
    return body


def _json_literal(node: Doc, planned: bool) -> Any:
    if isinstance(node, DocList):
        return [_json_literal(item, planned) for item in node.items]
    if not isinstance(node, DocScalar):
        raise _NotLiteral("a transformer_config value is not a literal")
    if node.kind == "str":
        if not planned and "${" in node.value:
            raise _NotLiteral("transformer_config holds Terraform interpolation ${…}")
        return node.value
    return json.loads(node.value)  # a number, true or false


def _json_group(
    body: DocMap, attributes: tuple[str, ...], names: dict[str, str], planned: bool
) -> Hashable | None:
    node = next((body.items[a] for a in attributes if a in body.items), None)
    if not isinstance(node, DocScalar) or node.kind != "str":
        return None
    if planned:
        return group_of_arn(node.value)
    reference = _REFERENCE.fullmatch(node.value.removeprefix("${").removesuffix("}"))
    if node.value.startswith("${") and reference is not None:
        group = reference.group(1)
        return names.get(group, ("ref", group))
    return None if "${" in node.value else group_of_arn(node.value)


def _unknown_after_apply(document: DocMap) -> set[str]:
    """Addresses of a plan's transformers whose ``transformer_config`` holds a value known
    only after apply (a plan writes it ``null``, like an absent one)."""
    unknown: set[str] = set()
    changes = document.items.get("resource_changes")
    for change in changes.items if isinstance(changes, DocList) else []:
        if not isinstance(change, DocMap):
            continue
        address, after = change.items.get("address"), change.items.get("change")
        marks = after.items.get("after_unknown") if isinstance(after, DocMap) else None
        config = marks.items.get("transformer_config") if isinstance(marks, DocMap) else None
        if isinstance(address, DocScalar) and config is not None and _any_true(config):
            unknown.add(address.value)
    return unknown


def _any_true(node: Doc) -> bool:
    if isinstance(node, DocScalar):
        return node.kind == "bool" and node.value == "true"
    values = node.items.values() if isinstance(node, DocMap) else node.items
    return any(_any_true(item) for item in values)
