"""Terraform resources of given types with their attributes as written, for rules that look
at the resources around a filter (log groups, Lambda functions): a string literal gives its
value (``${…}`` kept), any other expression its text; attributes of nested blocks are named
``block.attribute``.

>>> text = 'resource "aws_lambda_function" "f" {\\n  function_name = "api"\\n'
>>> text += '  logging_config {\\n    log_format = "JSON"\\n  }\\n}\\n'
>>> (resource,) = tf_resources(text, ("aws_lambda_function",))
>>> resource.name, resource.values
('f', {'function_name': 'api', 'logging_config.log_format': 'JSON'})
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field

from cwquery.iac.documents import terraform_json_resources
from cwquery.iac.hcl import HclBlock, hcl_string_at, read_hcl_blocks
from cwquery.iac.locate import DocList, DocMap, DocScalar, DocumentError, read_json

__all__ = ["TfResource", "tf_json_resources", "tf_resources"]


@dataclass(frozen=True)
class TfResource:
    """``resource "kind" "name"`` and its attributes (see the module's description)."""

    kind: str
    name: str
    values: dict[str, str] = field(default_factory=dict)


def tf_resources(text: str, kinds: Container[str]) -> list[TfResource]:
    """The resources of ``kinds`` in a ``.tf`` file; none when the block reader cannot follow
    the file (the filter scan reports such files)."""
    try:
        blocks = read_hcl_blocks(text).blocks
    except DocumentError:
        return []
    found = []
    for block in blocks:
        if block.type != "resource" or len(block.labels) != 2 or block.labels[0] not in kinds:
            continue
        values = _values(text, block, "")
        for nested in block.blocks:
            values.update(_values(text, nested, nested.type + "."))
        found.append(TfResource(block.labels[0], block.labels[1], values))
    return found


def _values(text: str, block: HclBlock, prefix: str) -> dict[str, str]:
    values = {}
    for name, place in block.attributes.items():
        literal = hcl_string_at(text, place.start, place.end)
        values[prefix + name] = literal.value if literal else text[place.start : place.end]
    return values


def tf_json_resources(text: str, kinds: Container[str]) -> list[TfResource]:
    """The same for a ``.tf.json`` configuration or a plan or state (values resolved there).

    >>> plan = ('{"format_version": "1.2", "values": {"root_module": {"resources": [{"address":'
    ...         ' "module.m.aws_cloudwatch_log_group.g", "type": "aws_cloudwatch_log_group",'
    ...         ' "values": {"name": "/a", "log_group_class": "INFREQUENT_ACCESS"}}]}}}')
    >>> [(r.name, r.values) for r in tf_json_resources(plan, ("aws_cloudwatch_log_group",))]
    [('g', {'name': '/a', 'log_group_class': 'INFREQUENT_ACCESS'})]
    """
    try:
        document = read_json(text)
    except DocumentError:
        return []
    if not isinstance(document, DocMap):
        return []
    found = []
    for kind, name, body, _ in terraform_json_resources(document, kinds):
        values = _json_values(body, "")
        for key, nested in body.items.items():
            first = nested.items[0] if isinstance(nested, DocList) and nested.items else nested
            if isinstance(first, DocMap):
                values.update(_json_values(first, key + "."))
        found.append(TfResource(kind, name.rpartition(kind + ".")[2], values))
    return found


def _json_values(body: DocMap, prefix: str) -> dict[str, str]:
    return {
        prefix + key: node.value
        for key, node in body.items.items()
        if isinstance(node, DocScalar) and node.kind == "str"
    }
