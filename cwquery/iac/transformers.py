"""Log transformers in CloudFormation templates: each ``AWS::Logs::Transformer``'s
``TransformerConfig`` checked as PutTransformer checks it (:func:`cwquery.transformers.validate`),
the finding placed at the offending processor; and metric or subscription filters with
``ApplyOnTransformedLogs: true`` on a log group that no transformer of the template applies to.

>>> from cwquery.iac.locate import SourceText, read_yaml
>>> text = ("Resources:\\n  T:\\n    Type: AWS::Logs::Transformer\\n    Properties:\\n"
...         "      LogGroupIdentifier: /app\\n      TransformerConfig:\\n"
...         "        - RenameKeys: {Entries: [{Key: a, RenameTo: b}]}\\n")
>>> source = Source("t.yaml", SourceText(text))
>>> [(f.code, f.line, f.column) for f in transformer_findings(
...     transformer_sites(source, read_yaml(text)[0]))]
[('invalid-transformer', 7, 11)]
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from cwquery.iac.findings import Finding
from cwquery.iac.intrinsics import cfn_resources, resolve_string, scalar_text
from cwquery.iac.locate import Doc, DocList, DocMap, DocScalar
from cwquery.iac.sites import Source

__all__ = [
    "CFN_TRANSFORMER",
    "TransformerSite",
    "group_of_arn",
    "transformer_findings",
    "transformer_sites",
]

CFN_TRANSFORMER = "AWS::Logs::Transformer"
_FILTERS = ("AWS::Logs::MetricFilter", "AWS::Logs::SubscriptionFilter")
_ARN_GROUP = ":log-group:"


class _Unresolved(Exception):
    """A value computed at deploy time."""


@dataclass(frozen=True)
class TransformerSite:
    """A transformer resource (``flag`` False) or a filter reading transformed logs (``flag``
    True) in one template: where it is written, and the log group it names."""

    source: Source
    kind: str
    name: str
    start: int
    log_group: Hashable | None
    flag: bool = False
    #: the processor list in the API's shape; ``None`` when computed at deploy time
    config: list[Any] | None = None
    #: where each processor is written
    processors: tuple[int, ...] = ()
    unresolved: str | None = None

    @property
    def resource(self) -> str:
        """The resource as reports name it, as :attr:`PatternSite.resource` does: a Terraform
        address alone, else the kind and the logical id.

        >>> TransformerSite(None, "aws_x", "aws_x.t", 0, None).resource
        'aws_x.t'
        """
        return self.name if f"{self.kind}." in self.name else f"{self.kind} {self.name}"


def transformer_sites(source: Source, document: DocMap) -> Iterator[TransformerSite]:
    """The transformers of a CloudFormation template, and its filters with
    ``ApplyOnTransformedLogs: true``."""
    resources = document.items.get("Resources")
    if not isinstance(resources, DocMap):
        return
    names = _group_names(resources)
    for logical_id, kind, properties in cfn_resources(resources):
        if kind == CFN_TRANSFORMER:
            yield _transformer(source, logical_id, properties, names)
        elif kind in _FILTERS:
            flag = properties.items.get("ApplyOnTransformedLogs")
            if isinstance(flag, DocScalar) and flag.value.lower() == "true":
                group = _group(properties.items.get("LogGroupName"), names)
                yield TransformerSite(source, str(kind), logical_id, flag.start, group, flag=True)


def _transformer(
    source: Source, logical_id: str, properties: DocMap, names: dict[str, str]
) -> TransformerSite:
    group = _group(properties.items.get("LogGroupIdentifier"), names)
    node = properties.items.get("TransformerConfig")
    start = node.start if node is not None else properties.start
    site = TransformerSite(source, CFN_TRANSFORMER, logical_id, start, group)
    if not isinstance(node, DocList):
        return replace(site, unresolved="TransformerConfig is not a list")
    try:
        config = [_api_shape(item) for item in node.items]
    except _Unresolved as why:
        return replace(site, unresolved=str(why))
    return replace(site, config=config, processors=tuple(item.start for item in node.items))


def _api_shape(node: Doc) -> Any:
    """A CloudFormation value in the API's shape: ``ParseJSON`` -> ``parseJSON``,
    ``RenameTo`` -> ``renameTo``, YAML numbers and booleans as numbers and booleans."""
    if node.tag or (
        isinstance(node, DocMap)
        and len(node.items) == 1
        and next(iter(node.items)).startswith(("Ref", "Fn::"))
    ):
        raise _Unresolved("a TransformerConfig value is resolved at deploy time")
    if isinstance(node, DocMap):
        return {key[:1].lower() + key[1:]: _api_shape(value) for key, value in node.items.items()}
    if isinstance(node, DocList):
        return [_api_shape(item) for item in node.items]
    if node.kind == "bool":
        return node.value.lower() == "true"
    if node.kind == "null":
        return None
    if node.kind == "number":
        try:
            return int(node.value)
        except ValueError:
            return float(node.value)
    return node.value


def _group_names(resources: DocMap) -> dict[str, str]:
    """Logical id -> literal name of the template's ``AWS::Logs::LogGroup`` resources."""
    names: dict[str, str] = {}
    for logical_id, kind, properties in cfn_resources(resources):
        if kind != "AWS::Logs::LogGroup":
            continue
        name = properties.items.get("LogGroupName")
        text = resolve_string(name, "LogGroupName")[0] if name is not None else None
        if text:
            names[logical_id] = text
    return names


def _group(node: Doc | None, names: dict[str, str]) -> Hashable | None:
    """The log group a property names: its literal name when known, else ``("ref", id)`` for
    ``Ref`` / ``GetAtt …Arn`` of a group of the template; ``None`` when it cannot be told."""
    if node is None:
        return None
    reference = _reference(node)
    if reference is not None:
        return names.get(reference, ("ref", reference))
    text = resolve_string(node, "LogGroupName")[0]
    return None if text is None else group_of_arn(text)


def group_of_arn(text: str) -> str:
    """A log group's name from its ARN (with or without ``:*``); a name stays as it is.

    >>> group_of_arn("arn:aws:logs:us-east-1:123456789012:log-group:/app:*")
    '/app'
    """
    if text.startswith("arn:") and _ARN_GROUP in text:
        return text.split(_ARN_GROUP, 1)[1].removesuffix(":*")
    return text


def _reference(node: Doc) -> str | None:
    """The logical id of ``!Ref X``, ``!GetAtt X.Arn`` and their JSON forms."""
    if isinstance(node, DocScalar) and node.tag in ("!Ref", "!GetAtt"):
        return node.value.split(".")[0]
    if isinstance(node, DocList) and node.tag == "!GetAtt" and node.items:
        return scalar_text(node.items[0])
    if isinstance(node, DocMap) and len(node.items) == 1:
        key, value = next(iter(node.items.items()))
        if key == "Ref":
            return scalar_text(value)
        if key == "Fn::GetAtt":
            if isinstance(value, DocList) and value.items:
                return scalar_text(value.items[0])
            text = scalar_text(value)
            return text.split(".")[0] if text else None
    return None


def transformer_findings(sites: Iterable[TransformerSite]) -> list[Finding]:
    """Invalid transformers (errors), unchecked ones (notes), and filters with
    ``ApplyOnTransformedLogs`` on a group no transformer of the same template applies to
    (warnings)."""
    from cwquery.transformers import TransformerError, validate

    sites = list(sites)
    findings: list[Finding] = []
    transformed = {
        (_unit(site), site.log_group)
        for site in sites
        if not site.flag and site.log_group is not None
    }
    for site in sites:
        if site.flag:
            if site.log_group is not None and (_unit(site), site.log_group) not in transformed:
                where = (
                    "aws_cloudwatch_log_transformer in this module"
                    if _terraform(site)
                    else "AWS::Logs::Transformer in this template"
                )
                findings.append(
                    _finding(
                        site,
                        site.start,
                        "no-transformer",
                        f"ApplyOnTransformedLogs is true, but no {where} applies to the log "
                        "group: the filter sees the original events",
                        "a transformer made elsewhere (another stack, an account policy) still "
                        "applies; otherwise remove the flag or add the transformer",
                    )
                )
            continue
        if site.config is None:
            why = f"{site.unresolved}; the transformer was not checked"
            findings.append(_finding(site, site.start, "unresolved-pattern", why))
            continue
        try:
            validate(site.config)
        except TransformerError as err:
            at = site.start if err.processor is None else site.processors[err.processor]
            findings.append(_finding(site, at, "invalid-transformer", str(err)))
    return findings


def _terraform(site: TransformerSite) -> bool:
    return (site.source.path or "").endswith(".tf")


def _unit(site: TransformerSite) -> str | None:
    """What one deployment reads: a template, or a Terraform module (every ``.tf`` file of a
    folder)."""
    path = site.source.path
    return os.path.dirname(path) if path and _terraform(site) else path


def _finding(
    site: TransformerSite, offset: int, code: str, message: str, hint: str | None = None
) -> Finding:
    text = site.source.text
    line, column = text.position(offset)
    return Finding(
        code=code,
        message=message,
        path=site.source.path,
        line=line,
        column=column,
        hint=hint,
        source_line=text.line(line),
        resource=site.resource,
    )
