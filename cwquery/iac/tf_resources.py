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

from cwquery.iac.hcl import HclBlock, hcl_string_at, read_hcl_blocks
from cwquery.iac.locate import DocumentError

__all__ = ["TfResource", "tf_resources"]


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
