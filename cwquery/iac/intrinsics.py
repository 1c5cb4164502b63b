"""CloudFormation values that can be known without deploying: plain strings, ``Fn::Sub`` without
``${…}``, and ``Fn::Join`` of plain strings; anything else is resolved at deploy time and says so.

>>> from cwquery.iac.locate import read_yaml
>>> doc = read_yaml("a: !Sub 'x'\\nb: !Join ['-', [p, q]]\\nc: !Ref G\\n")[0]
>>> [resolve_string(doc.items[key], key)[::2] for key in "abc"]
[('x', None), ('p-q', None), (None, 'Ref is resolved at deploy time')]
"""

from __future__ import annotations

from cwquery.iac.locate import Doc, DocList, DocMap, DocScalar, Located

__all__ = ["resolve_string", "scalar_text"]


def resolve_string(node: Doc, what: str) -> tuple[str | None, Located | None, str | None]:
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
        texts = [scalar_text(part) for part in parts.items] if isinstance(parts, DocList) else []
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


def scalar_text(node: Doc | None) -> str | None:
    """The text of a scalar that has a value (not null), else ``None``."""
    return node.value if isinstance(node, DocScalar) and node.kind != "null" else None
