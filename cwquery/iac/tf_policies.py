"""The filter pattern of a Terraform ``aws_cloudwatch_log_account_policy`` of type
``SUBSCRIPTION_FILTER_POLICY``, read like its CloudFormation twin ``AWS::Logs::AccountPolicy``
(:func:`cwquery.iac.documents.account_policy_site`): from the JSON of ``policy_document``, a
string literal, a heredoc or ``jsonencode`` of a literal object, and placed inside it.

>>> from cwquery.iac.locate import SourceText
>>> text = ('resource "aws_cloudwatch_log_account_policy" "p" {\\n'
...         '  policy_type = "SUBSCRIPTION_FILTER_POLICY"\\n'
...         '  policy_document = jsonencode({ FilterPattern = "ERROR" })\\n}\\n')
>>> source = Source("a.tf", SourceText(text))
>>> [(s.name, s.text, s.position()) for s in terraform_policy_sites(source)]
[('aws_cloudwatch_log_account_policy.p', 'ERROR', (3, 50, True))]
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cwquery.iac.documents import policy_document_site, terraform_json_resources
from cwquery.iac.hcl import (
    HclBlock,
    hcl_interpolates,
    hcl_string_at,
    hcl_string_from,
    read_hcl_blocks,
)
from cwquery.iac.locate import DocMap, DocScalar, DocumentError, Located
from cwquery.iac.sites import PatternSite, Source

__all__ = ["TF_ACCOUNT_POLICY", "terraform_json_policy_sites", "terraform_policy_sites"]

TF_ACCOUNT_POLICY = "aws_cloudwatch_log_account_policy"
_SUBSCRIPTION_POLICY = "SUBSCRIPTION_FILTER_POLICY"
#: ``FilterPattern = "`` (or ``"FilterPattern": "``) inside ``jsonencode({…})``.
_ENCODED_KEY = re.compile(r'(?:^|[\s{,])"?FilterPattern"?\s*[=:]\s*(?=")')


def terraform_policy_sites(source: Source) -> Iterator[PatternSite]:
    """The subscription filter policies of a ``.tf`` file (a file the block reader cannot
    follow is left to the filter scan, which reports it)."""
    text = source.text.text
    if TF_ACCOUNT_POLICY not in text:
        return
    try:
        blocks = read_hcl_blocks(text).blocks
    except DocumentError:
        return
    for block in blocks:
        if block.type == "resource" and block.labels[:1] == (TF_ACCOUNT_POLICY,):
            site = _hcl_policy(source, block)
            if site is not None:
                yield site


def _hcl_policy(source: Source, block: HclBlock) -> PatternSite | None:
    text = source.text.text
    name = f"{TF_ACCOUNT_POLICY}.{block.labels[-1]}"
    kind_place = block.attributes.get("policy_type")
    kind = hcl_string_at(text, kind_place.start, kind_place.end) if kind_place else None
    if kind is None or kind.value != _SUBSCRIPTION_POLICY:
        return None
    place = block.attributes.get("policy_document")
    if place is None:
        return None
    literal = hcl_string_at(text, place.start, place.end)
    if literal is not None:
        if hcl_interpolates(text, literal):
            reason = "policy_document holds Terraform interpolation ${…}"
            return PatternSite(source, TF_ACCOUNT_POLICY, name, None, literal, reason)
        return _in_document(source, name, literal, literal.value)
    raw = text[place.start : place.end]
    if re.match(r"jsonencode\s*\(", raw):
        key = _ENCODED_KEY.search(text, place.start, place.end)
        pattern = hcl_string_from(text, key.end()) if key else None
        if pattern is None:
            reason = "the policy document has no FilterPattern string literal"
            return PatternSite(source, TF_ACCOUNT_POLICY, name, None, _at(place.start), reason)
        if hcl_interpolates(text, pattern):
            reason = "FilterPattern holds Terraform interpolation ${…}"
            return PatternSite(source, TF_ACCOUNT_POLICY, name, None, pattern, reason)
        return PatternSite(source, TF_ACCOUNT_POLICY, name, pattern.value, pattern)
    reason = "policy_document is an expression resolved at plan time"
    return PatternSite(source, TF_ACCOUNT_POLICY, name, None, _at(place.start), reason)


def terraform_json_policy_sites(source: Source, document: DocMap) -> Iterator[PatternSite]:
    """The subscription filter policies of a ``.tf.json`` file, or of a plan or state (where
    ``jsonencode`` has been evaluated to a string)."""
    for _, name, body, _ in terraform_json_resources(document, (TF_ACCOUNT_POLICY,)):
        kind = body.items.get("policy_type")
        if not (isinstance(kind, DocScalar) and kind.value == _SUBSCRIPTION_POLICY):
            continue
        node = body.items.get("policy_document")
        if not isinstance(node, DocScalar) or node.kind != "str":
            reason = "policy_document is known only after apply"
            yield PatternSite(source, TF_ACCOUNT_POLICY, name, None, _at(body.start), reason)
        elif "${" in node.value:
            reason = "policy_document holds Terraform interpolation ${…}"
            yield PatternSite(source, TF_ACCOUNT_POLICY, name, None, node.located, reason)
        else:
            yield _in_document(source, name, node.located, node.value)


def _in_document(source: Source, name: str, outer: Located, document: str) -> PatternSite:
    """The ``FilterPattern`` of a policy document written at ``outer``."""
    return policy_document_site(source, TF_ACCOUNT_POLICY, name, outer, document, "policy_document")


def _at(offset: int) -> Located:
    return Located("", offset, offset)
