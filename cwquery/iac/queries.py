"""Logs Insights queries in infrastructure code: ``AWS::Logs::QueryDefinition`` (``QueryString``),
Terraform ``aws_cloudwatch_query_definition`` (``query_string``, in ``.tf``, ``.tf.json`` and
plan or state JSON), and the ``log`` widgets of
dashboard bodies (``AWS::CloudWatch::Dashboard`` ``DashboardBody``, Terraform
``aws_cloudwatch_dashboard`` ``dashboard_body``), each a site whose ``language`` is
:data:`INSIGHTS`. A widget's query is placed inside the body's JSON, through the file's quoting.

>>> from cwquery.iac.locate import SourceText, read_yaml
>>> text = ("Resources:\\n  Q:\\n    Type: AWS::Logs::QueryDefinition\\n    Properties:\\n"
...         "      Name: errors\\n      QueryString: fields @message | limit 5\\n")
>>> [(s.kind, s.name, s.text, s.language, s.position(9))
...  for s in cfn_query_sites(Source("t.yaml", SourceText(text)), read_yaml(text)[0])]
[('AWS::Logs::QueryDefinition', 'Q', 'fields @message | limit 5', 'insights', (6, 29, True))]
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cwquery.iac.documents import located_inside, terraform_json_resources
from cwquery.iac.hcl import hcl_interpolates, hcl_string_at, read_hcl_blocks
from cwquery.iac.intrinsics import cfn_resources, resolve_string, scalar_text
from cwquery.iac.locate import Doc, DocList, DocMap, DocScalar, DocumentError, Located, read_json
from cwquery.iac.sites import INSIGHTS, PatternSite, Source

__all__ = [
    "CFN_DASHBOARD",
    "CFN_QUERY_DEFINITION",
    "TF_DASHBOARD",
    "TF_QUERY_DEFINITION",
    "cfn_query_sites",
    "dashboard_sites",
    "terraform_json_query_sites",
    "terraform_query_sites",
]

CFN_QUERY_DEFINITION = "AWS::Logs::QueryDefinition"
CFN_DASHBOARD = "AWS::CloudWatch::Dashboard"
TF_QUERY_DEFINITION = "aws_cloudwatch_query_definition"
TF_DASHBOARD = "aws_cloudwatch_dashboard"


def _site(
    source: Source, kind: str, name: str, text: str | None, located: Located | None, why: str | None
) -> PatternSite:
    return PatternSite(source, kind, name, text, located, why, language=INSIGHTS)


def cfn_query_sites(source: Source, document: DocMap) -> Iterator[PatternSite]:
    """The queries of a CloudFormation template's query definitions and dashboards."""
    resources = document.items.get("Resources")
    if not isinstance(resources, DocMap):
        return
    for logical_id, kind, properties in cfn_resources(resources):
        if kind not in (CFN_QUERY_DEFINITION, CFN_DASHBOARD):
            continue
        if kind == CFN_QUERY_DEFINITION and "QueryString" in properties.items:
            text, located, why = resolve_string(properties.items["QueryString"], "QueryString")
            yield _site(source, kind, logical_id, text, located, why)
        elif kind == CFN_DASHBOARD and "DashboardBody" in properties.items:
            node = properties.items["DashboardBody"]
            body, outer, why = resolve_string(node, "DashboardBody")
            if body is None and outer is not None and why and why.startswith("Fn::Sub"):
                body = _SUBSTITUTION.sub(lambda m: "_" * len(m.group()), outer.value)
                why = None
            yield from dashboard_sites(source, kind, logical_id, body, outer, why)


def dashboard_sites(
    source: Source,
    kind: str,
    name: str,
    body: str | None,
    outer: Located | None,
    why: str | None,
) -> Iterator[PatternSite]:
    """One site per ``log`` widget query of a dashboard body (JSON text written at ``outer``);
    one unresolved site when the body is computed or not JSON."""
    if body is None or outer is None:
        yield _site(source, kind, name, None, outer, why or "the dashboard body is computed")
        return
    try:
        document = read_json(body)
    except DocumentError as err:
        yield _site(
            source, kind, name, None, outer, f"the dashboard body is not JSON: {err.message}"
        )
        return
    widgets = document.items.get("widgets") if isinstance(document, DocMap) else None
    for index, widget in enumerate(widgets.items if isinstance(widgets, DocList) else []):
        query = _widget_query(widget)
        if query is not None and _blanked(body, query, outer):
            why = "Fn::Sub with ${…} in the query is resolved at deploy time"
            yield _site(source, kind, f"{name}.widgets[{index}]", None, outer, why)
        elif query is not None:
            located = located_inside(outer, body, query)
            yield _site(source, kind, f"{name}.widgets[{index}]", query.value, located, None)


#: ``${…}`` of an ``Fn::Sub`` body: blanked to as many ``_`` (the offsets stay the same), so the
#: JSON around the queries can be read; a query that held one is left unchecked
_SUBSTITUTION = re.compile(r"\$\{[^}]*\}")


def _blanked(body: str, query: DocScalar, outer: Located) -> bool:
    """Whether a ``${…}`` was blanked inside the query's JSON string."""
    written = outer.value[query.located.start : query.located.end]
    return written != body[query.located.start : query.located.end]


def _widget_query(widget: Doc) -> DocScalar | None:
    if not isinstance(widget, DocMap) or scalar_text(widget.items.get("type")) != "log":
        return None
    properties = widget.items.get("properties")
    query = properties.items.get("query") if isinstance(properties, DocMap) else None
    return query if isinstance(query, DocScalar) and query.kind == "str" else None


def terraform_query_sites(source: Source) -> Iterator[PatternSite]:
    """The queries of a Terraform file's query definitions and dashboards, where they are
    string literals or heredocs (an expression such as ``jsonencode(…)`` is left unchecked)."""
    text = source.text.text
    if TF_QUERY_DEFINITION not in text and TF_DASHBOARD not in text:
        return
    try:
        blocks = read_hcl_blocks(text).blocks
    except DocumentError:
        return  # the filter-pattern scan of the same file reports it
    for block in blocks:
        if block.type != "resource" or len(block.labels) != 2:
            continue
        kind, label = block.labels
        attribute = {TF_QUERY_DEFINITION: "query_string", TF_DASHBOARD: "dashboard_body"}.get(kind)
        place = block.attributes.get(attribute or "")
        if place is None:
            continue
        name = f"{kind}.{label}"
        located = hcl_string_at(text, place.start, place.end)
        why = None
        if located is None:
            why = f"{attribute} is an expression resolved at plan time"
        elif hcl_interpolates(text, located):
            why = "Terraform interpolation ${…} is resolved at plan time"
        if why is not None:
            where = located or Located("", place.start, place.start)
            if kind == TF_DASHBOARD:
                yield from dashboard_sites(source, kind, name, None, where, why)
            else:
                yield _site(source, kind, name, None, where, why)
            continue
        assert located is not None
        if kind == TF_QUERY_DEFINITION:
            yield _site(source, kind, name, located.value, located, None)
        else:
            yield from dashboard_sites(source, kind, name, located.value, located, None)


_TF_ATTRIBUTE = {TF_QUERY_DEFINITION: "query_string", TF_DASHBOARD: "dashboard_body"}


def terraform_json_query_sites(source: Source, document: DocMap) -> Iterator[PatternSite]:
    """The queries of a ``.tf.json`` file, or of a plan or state (``planned_values``/``values``,
    child modules included)."""
    for kind, name, body, _ in terraform_json_resources(document, _TF_ATTRIBUTE):
        yield from _json_resource(source, kind, name, body)


def _json_resource(source: Source, kind: str, name: str, body: DocMap) -> Iterator[PatternSite]:
    attribute = _TF_ATTRIBUTE[kind]
    node = body.items.get(attribute)
    if node is None:
        return
    text: str | None = None
    located = Located("", node.start, node.start)
    why: str | None = f"{attribute} is not a string (known only after apply, or an expression)"
    if isinstance(node, DocScalar) and node.kind == "str":
        located = node.located
        if "${" in node.value:
            why = f"{attribute} holds Terraform interpolation ${{…}}"
        else:
            text, why = node.value, None
    if kind == TF_QUERY_DEFINITION:
        yield _site(source, kind, name, text, located, why)
    else:
        yield from dashboard_sites(source, kind, name, text, located, why)
