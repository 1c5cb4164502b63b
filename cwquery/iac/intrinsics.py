"""CloudFormation values that can be known without deploying: plain strings, ``Fn::Sub`` without
``${…}``, and ``Fn::Join`` of plain strings; anything else is resolved at deploy time and says so.

>>> from cwquery.iac.locate import read_yaml
>>> doc = read_yaml("a: !Sub 'x'\\nb: !Join ['-', [p, q]]\\nc: !Ref G\\n")[0]
>>> [resolve_string(doc.items[key], key)[::2] for key in "abc"]
[('x', None), ('p-q', None), (None, 'Ref is resolved at deploy time')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from cwquery.iac.locate import Doc, DocList, DocMap, DocScalar, Located

__all__ = [
    "Resolved",
    "TemplateContext",
    "cfn_resources",
    "resolve_string",
    "resolve_values",
    "scalar_text",
]


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


def cfn_resources(resources: Doc | None) -> Iterator[tuple[str, str | None, DocMap]]:
    """``(logical id, Type, Properties)`` of each resource of a template's ``Resources`` that
    is a mapping with a ``Properties`` mapping.

    >>> from cwquery.iac.locate import read_yaml
    >>> document = read_yaml("Resources:\\n  G: {Type: AWS::Logs::LogGroup, Properties: {}}\\n")
    >>> [(name, kind) for name, kind, _ in cfn_resources(document[0].items["Resources"])]
    [('G', 'AWS::Logs::LogGroup')]
    """
    if not isinstance(resources, DocMap):
        return
    for logical_id, resource in resources.items.items():
        if not isinstance(resource, DocMap):
            continue
        properties = resource.items.get("Properties")
        if isinstance(properties, DocMap):
            yield logical_id, scalar_text(resource.items.get("Type")), properties


# --------------------------------------------------------------------------- with the template


@dataclass(frozen=True)
class Resolved:
    """One value a property can take: its text and place, or why it is not known; ``notes``
    say what it was resolved with (a parameter's default, a condition's branch)."""

    text: str | None
    located: Located | None
    unresolved: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TemplateContext:
    """What a template declares that intrinsic functions read: ``Parameters`` and
    ``Mappings``."""

    parameters: dict[str, Doc]
    mappings: Doc | None = None
    #: calls left while resolving one property (YAML aliases can make a small file a huge tree)
    budget: list[int] = field(default_factory=lambda: [0], compare=False)

    @classmethod
    def of(cls, document: DocMap) -> TemplateContext:
        """The context of a template document."""
        parameters = document.items.get("Parameters")
        found = dict(parameters.items) if isinstance(parameters, DocMap) else {}
        return cls(found, document.items.get("Mappings"))


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
#: A value nested deeper than this is not resolved (a hostile template cannot recurse forever).
_MAX_DEPTH = 32
#: Intrinsic functions resolved for one property, at most.
_MAX_CALLS = 1000
#: Values one property can take (branches of ``Fn::If``), at most.
_MAX_BRANCHES = 16


def resolve_values(
    node: Doc, what: str, context: TemplateContext, depth: int = 0
) -> list[Resolved]:
    """Every value a string property can take without deploying: one, or one per literal
    branch of ``Fn::If`` (both when both are literal), resolving ``Ref`` to a parameter's
    ``Default``, ``Fn::Sub`` with parameters and its own variables, ``Fn::Join`` and
    ``Fn::FindInMap`` over the template's ``Mappings``.

    >>> from cwquery.iac.locate import read_yaml
    >>> doc = read_yaml("Parameters: {P: {Default: x}}\\nv: !If [C, !Ref P, y]\\n")[0]
    >>> [(r.text, r.notes) for r in resolve_values(doc.items["v"], "v", TemplateContext.of(doc))]
    [('x', ('when condition C is true', 'checked with the default value of parameter P')), \
('y', ('when condition C is false',))]
    """
    if depth == 0:
        context.budget[0] = _MAX_CALLS
    context.budget[0] -= 1
    function = _intrinsic(node)
    if function is None or depth > _MAX_DEPTH or context.budget[0] < 0:
        return [Resolved(*resolve_string(node, what))]
    name, argument = function
    if name == "Fn::If" and isinstance(argument, DocList) and len(argument.items) == 3:
        condition = scalar_text(argument.items[0]) or "(unnamed)"
        found = []
        for branch, truth in ((argument.items[1], "true"), (argument.items[2], "false")):
            if _is_no_value(branch):
                continue
            note = f"when condition {condition} is {truth}"
            for value in resolve_values(branch, what, context, depth + 1):
                found.append(
                    Resolved(value.text, value.located, value.unresolved, (note, *value.notes))
                )
        if len(found) > _MAX_BRANCHES:
            reason = f"Fn::If with more than {_MAX_BRANCHES} branches is resolved at deploy time"
            return [_unresolved(node, reason)]
        return found
    if name == "Ref":
        return [_parameter(argument, what, node, context)]
    if name == "Fn::Sub":
        return [_sub(argument, what, node, context, depth)]
    if name == "Fn::Join":
        return [_join(argument, what, node, context, depth)]
    if name == "Fn::FindInMap":
        return [_find_in_map(argument, what, node, context, depth)]
    return [Resolved(*resolve_string(node, what))]


def _is_no_value(node: Doc) -> bool:
    function = _intrinsic(node)
    return (
        function is not None and function[0] == "Ref" and scalar_text(function[1]) == "AWS::NoValue"
    )


def _unresolved(node: Doc, reason: str) -> Resolved:
    return Resolved(None, Located("", node.start, node.start), reason)


def _parameter(argument: Doc, what: str, node: Doc, context: TemplateContext) -> Resolved:
    name = scalar_text(argument)
    declared = context.parameters.get(name or "")
    default = declared.items.get("Default") if isinstance(declared, DocMap) else None
    if name is None or not isinstance(default, DocScalar) or default.kind == "null":
        return _unresolved(node, "Ref is resolved at deploy time")
    note = f"checked with the default value of parameter {name}"
    return Resolved(default.value, default.located, None, (note,))


def _single(node: Doc, what: str, context: TemplateContext, depth: int) -> Resolved:
    values = resolve_values(node, what, context, depth + 1)
    if len(values) != 1:
        return _unresolved(node, "Fn::If inside another function is resolved at deploy time")
    return values[0]


def _sub(argument: Doc, what: str, node: Doc, context: TemplateContext, depth: int) -> Resolved:
    template, variables = argument, None
    if isinstance(argument, DocList) and argument.items:
        template = argument.items[0]
        variables = argument.items[1] if len(argument.items) > 1 else None
    if not isinstance(template, DocScalar) or "${" not in template.value:
        return Resolved(*resolve_string(node, what))
    notes: list[str] = []
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        given = variables.items.get(name) if isinstance(variables, DocMap) else None
        value = (
            _single(given, what, context, depth)
            if given is not None
            else _parameter(DocScalar(name, template.located), what, node, context)
        )
        if value.text is None:
            missing.append(name)
            return ""
        notes.extend(n for n in value.notes if n not in notes)
        return value.text

    text = _SUB_VARIABLE.sub(substitute, template.value)
    if missing:
        return _unresolved(template, f"Fn::Sub with ${{{missing[0]}}} is resolved at deploy time")
    return Resolved(text, Located(text, template.start, template.start), None, tuple(notes))


def _join(argument: Doc, what: str, node: Doc, context: TemplateContext, depth: int) -> Resolved:
    if not isinstance(argument, DocList) or len(argument.items) != 2:
        return _unresolved(node, "Fn::Join is resolved at deploy time")
    delimiter, parts = argument.items
    if not isinstance(delimiter, DocScalar) or not isinstance(parts, DocList):
        return _unresolved(node, "Fn::Join is resolved at deploy time")
    texts: list[str] = []
    notes: list[str] = []
    for part in parts.items:
        value = _single(part, what, context, depth)
        if value.text is None:
            return _unresolved(node, value.unresolved or "Fn::Join is resolved at deploy time")
        texts.append(value.text)
        notes.extend(n for n in value.notes if n not in notes)
    joined = delimiter.value.join(texts)
    return Resolved(joined, Located(joined, node.start, node.start), None, tuple(notes))


def _find_in_map(
    argument: Doc, what: str, node: Doc, context: TemplateContext, depth: int
) -> Resolved:
    if not isinstance(argument, DocList) or len(argument.items) != 3:
        return _unresolved(node, "Fn::FindInMap is resolved at deploy time")
    current: Doc | None = context.mappings
    notes: list[str] = []
    for key in argument.items:
        value = _single(key, what, context, depth)
        if value.text is None or not isinstance(current, DocMap):
            return _unresolved(node, "Fn::FindInMap is resolved at deploy time")
        notes.extend(n for n in value.notes if n not in notes)
        current = current.items.get(value.text)
    if not isinstance(current, DocScalar) or current.tag is not None or current.kind == "null":
        return _unresolved(node, "Fn::FindInMap finds no string in Mappings")
    return Resolved(current.value, current.located, None, tuple(notes))
