"""Patterns in JSON documents beyond CloudFormation: Terraform JSON (``*.tf.json``), Terraform
plan and state JSON (``terraform show -json``, where variables are resolved), and the
subscription filter policy inside ``AWS::Logs::AccountPolicy``.

>>> from cwquery.iac.scan import scan_text
>>> plan = ('{"format_version": "1.2", "planned_values": {"root_module": {"resources": ['
...         '{"address": "aws_cloudwatch_log_subscription_filter.f", "type": '
...         '"aws_cloudwatch_log_subscription_filter", "values": {"filter_pattern": "ERROR", '
...         '"log_group_name": "/app"}}]}}}')
>>> [(s.name, s.text) for s in scan_text(plan, "plan.json").sites]
[('aws_cloudwatch_log_subscription_filter.f', 'ERROR')]
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterator

from cwquery.iac.intrinsics import resolve_string
from cwquery.iac.locate import Doc, DocList, DocMap, DocScalar, DocumentError, Located, read_json
from cwquery.iac.sites import Metric, PatternSite, Reference, Source
from cwquery.iac.terraform import TF_ANOMALY_DETECTOR, TF_METRIC_FILTER, TF_SUBSCRIPTION_FILTER

__all__ = [
    "ACCOUNT_POLICY",
    "account_policy_site",
    "is_terraform_json",
    "located_inside",
    "policy_document_site",
    "terraform_json_resources",
    "terraform_json_sites",
]

ACCOUNT_POLICY = "AWS::Logs::AccountPolicy"
_ATTRIBUTE = {
    TF_METRIC_FILTER: "pattern",
    TF_SUBSCRIPTION_FILTER: "filter_pattern",
    TF_ANOMALY_DETECTOR: "filter_pattern",
}


def is_terraform_json(document: DocMap) -> bool:
    """A Terraform JSON configuration (``resource``) or plan/state (``format_version``)."""
    return "resource" in document.items or "format_version" in document.items


def terraform_json_sites(source: Source, document: DocMap) -> Iterator[PatternSite]:
    """The filter resources of a ``.tf.json`` file, or of a plan or state."""
    folder = os.path.dirname(source.path or "")
    for kind, name, body, planned in terraform_json_resources(document, _ATTRIBUTE):
        scope = ("plan", source.path) if planned else ("expr", folder)
        yield _site(source, kind, name, body, scope)


def terraform_json_resources(
    document: DocMap, kinds: Container[str]
) -> Iterator[tuple[str, str, DocMap, bool]]:
    """``(kind, name, body, planned)`` for each resource of one of ``kinds``: in a ``.tf.json``
    configuration (``kind.label``, ``planned`` false), or in a plan or state's
    ``planned_values``/``values`` modules, child modules included (its address, ``planned``
    true)."""
    resource = document.items.get("resource")
    for block in resource.items if isinstance(resource, DocList) else [resource]:
        if not isinstance(block, DocMap):
            continue
        for kind, named in block.items.items():
            if kind in kinds and isinstance(named, DocMap):
                for label, body in named.items.items():
                    if isinstance(body, DocMap):
                        yield kind, f"{kind}.{label}", body, False
    for key in ("planned_values", "values"):
        values = document.items.get(key)
        module = values.items.get("root_module") if isinstance(values, DocMap) else None
        if isinstance(module, DocMap):
            yield from _module_resources(module, kinds)


def _module_resources(
    module: DocMap, kinds: Container[str]
) -> Iterator[tuple[str, str, DocMap, bool]]:
    resources = module.items.get("resources")
    for entry in resources.items if isinstance(resources, DocList) else []:
        if not isinstance(entry, DocMap):
            continue
        kind, address = _text(entry.items.get("type")), _text(entry.items.get("address"))
        body = entry.items.get("values")
        if kind is not None and kind in kinds and isinstance(body, DocMap):
            yield kind, address or kind, body, True
    children = module.items.get("child_modules")
    for child in children.items if isinstance(children, DocList) else []:
        if isinstance(child, DocMap):
            yield from _module_resources(child, kinds)


def _site(
    source: Source, kind: str, name: str, body: DocMap, scope: tuple[str, str | None]
) -> PatternSite:
    attribute = _ATTRIBUTE[kind]
    node = body.items.get(attribute)
    text, located, unresolved = _string(node, attribute, body.start)
    group_text, _, _ = _string(body.items.get("log_group_name"), "log_group_name", body.start)
    group = None
    if group_text is not None:
        group = ("name", group_text) if "${" not in group_text else ("expr", *scope, group_text)
    metric = _metric(body) if kind == TF_METRIC_FILTER else None
    return PatternSite(source, kind, name, text, located, unresolved, metric, group, group_text)


def _string(node: Doc | None, what: str, start: int) -> tuple[str | None, Located, str | None]:
    if isinstance(node, DocScalar) and node.kind == "str":
        if "${" in node.value:
            return None, node.located, f"{what} holds Terraform interpolation ${{…}}"
        return node.value, node.located, None
    if node is None or (isinstance(node, DocScalar) and node.kind == "null"):
        where = node.located.start if isinstance(node, DocScalar) else start
        return None, Located("", where, where), f"{what} is known only after apply"
    return None, Located("", start, start), f"{what} is not a string"


def _metric(body: DocMap) -> Metric | None:
    listed = body.items.get("metric_transformation")
    values = listed.items[0] if isinstance(listed, DocList) and listed.items else listed
    if not isinstance(values, DocMap):
        return None
    value = None
    if "value" in values.items:
        text, located, _ = _string(values.items["value"], "value", values.start)
        value = Reference(text, located)
    dimensions = []
    mapping = values.items.get("dimensions")
    if isinstance(mapping, DocMap):
        for key, node in mapping.items.items():
            text, located, _ = _string(node, "dimension", values.start)
            dimensions.append((key, Reference(text, located)))
    default = values.items.get("default_value")
    number = default.value if isinstance(default, DocScalar) and default.kind == "number" else None
    names: list[Reference | None] = []
    for attribute in ("name", "namespace", "unit"):
        written = values.items.get(attribute)
        text, located, _ = _string(written, attribute, values.start)
        names.append(None if written is None else Reference(text, located if text else None))
    return Metric(value, tuple(dimensions), None if number is None else float(number), *names)


def _text(node: Doc | None) -> str | None:
    return node.value if isinstance(node, DocScalar) and node.kind == "str" else None


# --------------------------------------------------------------------------- account policies


def account_policy_site(source: Source, name: str, properties: DocMap) -> PatternSite | None:
    """The ``FilterPattern`` of a ``SUBSCRIPTION_FILTER_POLICY`` account policy, read from the
    JSON of its ``PolicyDocument`` and placed inside it where the document is a literal."""
    if _text(properties.items.get("PolicyType")) != "SUBSCRIPTION_FILTER_POLICY":
        return None
    node = properties.items.get("PolicyDocument")
    if node is None:
        return None
    if isinstance(node, DocMap) and node.tag is None and "FilterPattern" in node.items:
        written = node.items["FilterPattern"]
        text, located, unresolved = _string(written, "FilterPattern", node.start)
        return PatternSite(source, ACCOUNT_POLICY, name, text, located, unresolved)
    document, outer, unresolved = resolve_string(node, "PolicyDocument")
    if document is None or outer is None:
        return PatternSite(source, ACCOUNT_POLICY, name, None, outer, unresolved)
    return policy_document_site(source, ACCOUNT_POLICY, name, outer, document, "PolicyDocument")


def policy_document_site(
    source: Source, kind: str, name: str, outer: Located, document: str, attribute: str
) -> PatternSite:
    """The ``FilterPattern`` of an account policy's JSON ``document`` (the text of the string
    written at ``outer``, the ``attribute`` it was read from), placed inside it.

    >>> from cwquery.iac.locate import SourceText
    >>> text = '"{\\"FilterPattern\\": \\"ERROR\\"}"'
    >>> outer = Located('{"FilterPattern": "ERROR"}', 0, len(text))
    >>> source = Source(None, SourceText(text))
    >>> site = policy_document_site(source, "k", "n", outer, outer.value, "d")
    >>> site.text, site.unresolved
    ('ERROR', None)
    """
    try:
        policy = read_json(document)
    except DocumentError as err:
        reason = f"{attribute} is not JSON: {err.message}"
        return PatternSite(source, kind, name, None, outer, reason)
    pattern = policy.items.get("FilterPattern") if isinstance(policy, DocMap) else None
    if not isinstance(pattern, DocScalar) or pattern.kind != "str":
        reason = "the policy document has no FilterPattern string"
        return PatternSite(source, kind, name, None, outer, reason)
    located = located_inside(outer, document, pattern)
    return PatternSite(source, kind, name, pattern.value, located)


def located_inside(outer: Located, document: str, pattern: DocScalar) -> Located:
    """Where the characters of a string inside a JSON document (a policy, a dashboard body)
    are in the file: through the document's JSON string escapes, then through the file's own
    quoting of the document (written at ``outer``)."""
    inner = pattern.located.offsets(document)

    def decode(source: str, located: Located) -> tuple[int, ...] | None:
        outside = outer.offsets(source)
        if inner is None or outside is None:
            return None
        return tuple(outside[index] for index in inner)

    start = outer.start
    return Located(pattern.value, start, start, decode)
