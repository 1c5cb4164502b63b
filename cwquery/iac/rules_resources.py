"""Rules that need the resources around a filter: the log group it is on, and the Lambda
function writing to that group.

- ``filter-on-infrequent-access`` (error): a metric or subscription filter on a log group of the
  ``INFREQUENT_ACCESS`` class (``LogGroupClass``, ``log_group_class``), which the service refuses.
- ``positional-pattern-on-json-logs`` (warning): a space-delimited pattern on the log group of a
  Lambda function whose ``LoggingConfig.LogFormat`` (``logging_config.log_format``) is ``JSON``:
  its lines are JSON objects then, and positional fields stop matching.

A group and a function are linked by the group's name (``/aws/lambda/<FunctionName>``, or the
function's ``LoggingConfig.LogGroup``) or by references in one template or Terraform folder
(``!Ref Group``, ``!Sub /aws/lambda/${Function}``, ``aws_cloudwatch_log_group.g.name``,
``"/aws/lambda/${aws_lambda_function.f.function_name}"``). Files are read again only when they
mention a log class or a log format; Terraform folders are read from disk for the other ``.tf``
files of the filter's folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cwquery.ast import DelimitedPattern, Pattern
from cwquery.iac.cloudformation import node_label
from cwquery.iac.findings import Finding, place
from cwquery.iac.intrinsics import cfn_resources, resolve_string
from cwquery.iac.lambda_json import json_equivalent
from cwquery.iac.lint import Diagnostic
from cwquery.iac.locate import Doc, DocMap, DocumentError, read_json, read_yaml
from cwquery.iac.sites import PatternSite
from cwquery.iac.tf_resources import tf_json_resources, tf_resources

__all__ = ["resource_findings"]

#: Sites that are metric or subscription filters (anomaly detectors and policies are not).
_FILTER_KINDS = frozenset(
    (
        "AWS::Logs::MetricFilter",
        "AWS::Logs::SubscriptionFilter",
        "AWS::Serverless::Function CloudWatchLogs event",
        "serverless cloudwatchLog event",
        "aws_cloudwatch_log_metric_filter",
        "aws_cloudwatch_log_subscription_filter",
    )
)
_MARKERS = ("INFREQUENT_ACCESS", "LogFormat", "log_format")
_INFREQUENT = "INFREQUENT_ACCESS"
_LAMBDA_PREFIX = "/aws/lambda/"
_CFN_REF = re.compile(r"(?:!Ref |\{Ref: )([A-Za-z0-9]+)")
_CFN_LAMBDA_SUB = re.compile(r"/aws/lambda/\$\{([A-Za-z0-9]+)\}")
_CFN_LAMBDA_JOIN = re.compile(r"/aws/lambda/, (?:!Ref |\{Ref: )([A-Za-z0-9]+)")
_TF_GROUP = re.compile(r"\baws_cloudwatch_log_group\.([\w-]+)\.(?:name|id)\b")
_TF_LAMBDA = re.compile(r"/aws/lambda/\$\{aws_lambda_function\.([\w-]+)\.function_name\}")


@dataclass(frozen=True)
class _Group:
    aliases: frozenset[Hashable]
    log_class: str | None
    where: str


@dataclass(frozen=True)
class _Function:
    aliases: frozenset[Hashable]
    log_format: str
    runtime: str | None
    where: str


@dataclass
class _Facts:
    groups: list[_Group]
    functions: list[_Function]


def resource_findings(sites: Sequence[PatternSite], parsed: Sequence[object]) -> list[Finding]:
    """The findings of both rules for the sites (``parsed``: each site's tree, as
    :func:`cwquery.iac.findings.check_all` keeps them)."""
    found: list[Finding] = []
    cache: dict[object, _Facts] = {}
    for site, tree in zip(sites, parsed, strict=False):
        if site.kind not in _FILTER_KINDS or site.log_group is None or site.source.path is None:
            continue
        if not isinstance(tree, Pattern):
            continue
        terraform = site.kind.startswith("aws_")
        scope = os.path.dirname(site.source.path) if terraform else site.source.path
        if (terraform, scope) not in cache:
            cache[(terraform, scope)] = _facts(site, terraform)
        facts = cache[(terraform, scope)]
        if not facts.groups and not facts.functions:
            continue
        aliases = _expand(_site_aliases(site, terraform, scope), facts.groups)
        found += _infrequent(site, aliases, facts.groups)
        if isinstance(tree, DelimitedPattern):
            found += _json_logs(site, tree, aliases, facts.functions)
    return found


def _expand(aliases: frozenset[Hashable], groups: Iterable[_Group]) -> frozenset[Hashable]:
    """The aliases of a filter's group, with those of every group resource it names."""
    everything = set(aliases)
    for group in groups:
        if group.aliases & aliases:
            everything |= group.aliases
    return frozenset(everything)


def _infrequent(
    site: PatternSite, aliases: frozenset[Hashable], groups: list[_Group]
) -> list[Finding]:
    for group in groups:
        if group.log_class == _INFREQUENT and group.aliases & aliases:
            label = site.log_group_label or "the log group"
            diagnostic = Diagnostic(
                "filter-on-infrequent-access",
                f"{label} is of the INFREQUENT_ACCESS log class ({group.where}): CloudWatch "
                "refuses metric and subscription filters on it",
                hint="put the filter on a log group of the STANDARD class (a group's class "
                "cannot change after it is created: make a new group), or query the group with "
                "Logs Insights instead",
            )
            return [place(site, diagnostic, at_start=True)]
    return []


def _json_logs(
    site: PatternSite,
    tree: DelimitedPattern,
    aliases: frozenset[Hashable],
    functions: list[_Function],
) -> list[Finding]:
    for function in functions:
        if function.log_format.upper() != "JSON" or not function.aliases & aliases:
            continue
        translation = json_equivalent(tree, function.runtime)
        fix = (
            f"match the JSON lines instead: {translation}"
            if translation
            else "match the JSON lines with a JSON pattern on $.level, $.requestId, $.timestamp "
            'or $.message (e.g. { $.level = "ERROR" })'
        )
        diagnostic = Diagnostic(
            "positional-pattern-on-json-logs",
            f"{site.log_group_label or 'the log group'} receives the logs of {function.where}, "
            "whose LogFormat is JSON: each line is a JSON object, so this space-delimited "
            "pattern's positional fields no longer match",
            hint=fix + ", or set the function's log format back to Text",
        )
        return [place(site, diagnostic, at_start=True)]
    return []


# --------------------------------------------------------------------------- the filter side


def _site_aliases(site: PatternSite, terraform: bool, scope: str) -> frozenset[Hashable]:
    key = site.log_group
    if isinstance(key, tuple) and key and key[0] == "name":
        return frozenset({("name", key[1])})
    label = site.log_group_label or ""
    found: set[Hashable] = set()
    if terraform:
        found.update(("tf-group", scope, name) for name in _TF_GROUP.findall(label))
        found.update(("tf-lambda", scope, name) for name in _TF_LAMBDA.findall(label))
    else:
        found.update(("cfn-group", scope, name) for name in _CFN_REF.findall(label))
        found.update(("cfn-lambda", scope, name) for name in _CFN_LAMBDA_SUB.findall(label))
        found.update(("cfn-lambda", scope, name) for name in _CFN_LAMBDA_JOIN.findall(label))
    return frozenset(found)


# --------------------------------------------------------------------------- CloudFormation


def _facts(site: PatternSite, terraform: bool) -> _Facts:
    facts = _Facts([], [])
    if terraform:
        for path, text in _folder_texts(site):
            if any(marker in text for marker in _MARKERS):
                _terraform_facts(path, text, os.path.dirname(site.source.path or ""), facts)
        return facts
    text = site.source.text.text
    if not any(marker in text for marker in _MARKERS):
        return facts
    try:
        documents = [read_json(text)] if text.lstrip().startswith("{") else read_yaml(text)
    except DocumentError:
        return facts
    for document in documents:
        if not isinstance(document, DocMap):
            continue
        resources = document.items.get("Resources")
        if isinstance(resources, DocMap):
            shared = _sam_globals(document)
            _cfn_facts(site.source.path or "", resources, facts, shared)
    return facts


def _sam_globals(document: DocMap) -> DocMap | None:
    """``Globals.Function`` of a SAM template: what its functions inherit."""
    shared = document.items.get("Globals")
    function = shared.items.get("Function") if isinstance(shared, DocMap) else None
    return function if isinstance(function, DocMap) else None


def _cfn_facts(path: str, resources: DocMap, facts: _Facts, shared: DocMap | None) -> None:
    for logical_id, kind, properties in cfn_resources(resources):
        where = f"{kind} {logical_id}"
        aliases: set[Hashable]
        if kind == "AWS::Logs::LogGroup":
            aliases = {("cfn-group", path, logical_id)}
            aliases |= _cfn_name_aliases(path, properties.items.get("LogGroupName"))
            log_class = _cfn_text(properties.items.get("LogGroupClass"))
            facts.groups.append(_Group(frozenset(aliases), log_class, where))
        elif kind in ("AWS::Lambda::Function", "AWS::Serverless::Function"):
            inherited = shared if kind == "AWS::Serverless::Function" else None
            config = _merged(properties, inherited, "LoggingConfig")
            log_format = _cfn_text(config.get("LogFormat"))
            if log_format is None:
                continue
            if "LogGroup" in config:
                aliases = _cfn_name_aliases(path, config["LogGroup"])
            else:
                aliases = {("cfn-lambda", path, logical_id)}
                name = _cfn_text(properties.items.get("FunctionName"))
                if name is not None:
                    aliases.add(("name", _LAMBDA_PREFIX + name))
            runtime = _cfn_text(properties.items.get("Runtime"))
            if runtime is None and inherited is not None:
                runtime = _cfn_text(inherited.items.get("Runtime"))
            facts.functions.append(_Function(frozenset(aliases), log_format, runtime, where))


def _merged(properties: DocMap, inherited: DocMap | None, key: str) -> dict[str, Doc]:
    """A map property, over the one SAM's ``Globals`` give (SAM merges maps key by key)."""
    merged: dict[str, Doc] = {}
    for source in (inherited, properties):
        node = source.items.get(key) if source is not None else None
        if isinstance(node, DocMap):
            merged.update(node.items)
    return merged


def _cfn_text(node: Doc | None) -> str | None:
    return None if node is None else resolve_string(node, "value")[0]


def _cfn_name_aliases(path: str, node: Doc | None) -> set[Hashable]:
    """What a log group name written as ``node`` is known as."""
    if node is None:
        return set()
    text = _cfn_text(node)
    if text is not None:
        return {("name", text)}
    label = node_label(node)
    found: set[Hashable] = {("cfn-group", path, name) for name in _CFN_REF.findall(label)}
    found |= {("cfn-lambda", path, name) for name in _CFN_LAMBDA_SUB.findall(label)}
    found |= {("cfn-lambda", path, name) for name in _CFN_LAMBDA_JOIN.findall(label)}
    return found


# --------------------------------------------------------------------------- Terraform


def _folder_texts(site: PatternSite) -> Iterator[tuple[str, str]]:
    """The filter's own file, then the other ``.tf`` files of its folder."""
    path = site.source.path or ""
    yield path, site.source.text.text
    folder = Path(os.path.dirname(path) or ".")
    if not path.endswith(".tf") or not folder.is_dir():
        return
    for other in sorted(folder.glob("*.tf")):
        # a FIFO or device would block the read: only regular files
        if other.is_file() and os.path.realpath(other) != os.path.realpath(path):
            try:
                yield str(other), other.read_text(encoding="utf-8-sig", errors="replace")
            except OSError:
                continue


def _terraform_facts(path: str, text: str, scope: str, facts: _Facts) -> None:
    kinds = ("aws_cloudwatch_log_group", "aws_lambda_function")
    read = tf_json_resources if path.endswith(".json") else tf_resources
    for resource in read(text, kinds):
        where = f"{resource.kind}.{resource.name} ({os.path.basename(path)})"
        if resource.kind == "aws_cloudwatch_log_group":
            aliases: set[Hashable] = {("tf-group", scope, resource.name)}
            aliases |= _tf_name_aliases(scope, resource.values.get("name"))
            log_class = resource.values.get("log_group_class")
            facts.groups.append(_Group(frozenset(aliases), log_class, where))
            continue
        log_format = resource.values.get("logging_config.log_format")
        if log_format is None:
            continue
        if "logging_config.log_group" in resource.values:
            aliases = _tf_name_aliases(scope, resource.values["logging_config.log_group"])
        else:
            aliases = {("tf-lambda", scope, resource.name)}
            name = resource.values.get("function_name")
            if name is not None and "${" not in name:
                aliases.add(("name", _LAMBDA_PREFIX + name))
        runtime = resource.values.get("runtime")
        facts.functions.append(_Function(frozenset(aliases), log_format, runtime, where))


def _tf_name_aliases(scope: str, written: str | None) -> set[Hashable]:
    if written is None:
        return set()
    if "${" not in written and not _TF_GROUP.search(written):
        return {("name", written)}
    found: set[Hashable] = {("tf-group", scope, name) for name in _TF_GROUP.findall(written)}
    found |= {("tf-lambda", scope, name) for name in _TF_LAMBDA.findall(written)}
    return found
