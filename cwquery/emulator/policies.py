"""Account-level policies (``PutAccountPolicy``, ``DescribeAccountPolicies``,
``DeleteAccountPolicy``), which moto lacks, with their ``selectionCriteria`` (spec §4).

* Criteria are checked for the policy type (:func:`cwquery.selection.parse_criteria`).
* ``SUBSCRIPTION_FILTER_POLICY``: one per account (a second name is
  ``LimitExceededException``); it delivers, on top of the groups' own filters, every selected
  group's matching events with ``"policyLevel": "ACCOUNT_LEVEL_POLICY"``, never those of its
  destination Lambda function's own log group (recursion prevention, S1).
* ``TRANSFORMER_POLICY``, ``FIELD_INDEX_POLICY``: at most 20 scoped policies of a kind, whose
  prefixes may not overlap; :func:`transformer_policy_for` and :func:`field_index_policies_for`
  say which apply to a group (a scoped policy before an unscoped one).
* ``METRIC_EXTRACTION_POLICY``: one unscoped policy or up to 5 scoped ones, at most one
  ``NOT IN``, no two overlapping (T35). ``RETENTION_POLICY``: criteria may overlap; ``dryRun``
  only for this type. ``DATA_PROTECTION_POLICY`` takes no criteria.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from typing import Any

from moto.logs.exceptions import ResourceNotFoundException

from cwquery.emulator.errors import (
    SUBSCRIPTION_FILTER,
    InvalidParameterException,
    compile_pattern,
    limit_exceeded,
)
from cwquery.emulator.handlers import request_reader
from cwquery.emulator.subscriptions import Options, check_options, deliver_batch
from cwquery.selection import (
    FIELD_INDEX_POLICY,
    METRIC_EXTRACTION_POLICY,
    RETENTION_POLICY,
    SUBSCRIPTION_FILTER_POLICY,
    TRANSFORMER_POLICY,
    Criteria,
    SelectionError,
    criteria_overlap,
    parse_criteria,
)
from cwquery.subscriptions import ACCOUNT_LEVEL_POLICY
from cwquery.transformers import TransformerError, validate

_POLICIES = "_cwquery_account_policies"
_LOCK = threading.RLock()
#: Scoped policies of one kind, per type (§4).
MAX_SCOPED = {TRANSFORMER_POLICY: 20, FIELD_INDEX_POLICY: 20, METRIC_EXTRACTION_POLICY: 5}
#: Types whose scoped policies may not overlap.
NO_OVERLAP = (TRANSFORMER_POLICY, FIELD_INDEX_POLICY, METRIC_EXTRACTION_POLICY)


def _store(backend: Any) -> dict[tuple[str, str], dict[str, Any]]:
    store: dict[tuple[str, str], dict[str, Any]] = backend.__dict__.setdefault(_POLICIES, {})
    return store


def policies(backend: Any, policy_type: str) -> list[dict[str, Any]]:
    """The account policies of one type, in the order they were first put."""
    with _LOCK:
        return [p for (kind, _), p in _store(backend).items() if kind == policy_type]


def put_account_policy(response: Any) -> str:
    """``PutAccountPolicy``: check, store, answer ``{"accountPolicy": ...}``."""
    param = request_reader(response)
    backend = response.logs_backend
    name, kind = param("policyName"), param("policyType")
    document_text = param("policyDocument")
    text = param("selectionCriteria")
    if param("dryRun") and kind != RETENTION_POLICY:
        raise InvalidParameterException("dryRun is valid only for RETENTION_POLICY")
    try:
        criteria = parse_criteria(text, kind)
    except SelectionError as err:
        raise InvalidParameterException(f"selectionCriteria: {err.message}") from None
    document = _document(document_text, kind)
    with _LOCK:
        others = [p for p in policies(backend, kind) if p["policyName"] != name]
        _check_quota(kind, criteria, others)
        policy: dict[str, Any] = {
            "policyName": name,
            "policyDocument": document_text,
            "lastUpdatedTime": int(time.time() * 1000),
            "policyType": kind,
            "scope": param("scope") or "ALL",
            "accountId": backend.account_id,
        }
        if text:
            policy["selectionCriteria"] = text
        if not param("dryRun"):
            _store(backend)[(kind, name)] = policy
        policy["_criteria"], policy["_document"] = criteria, document
    return json.dumps({"accountPolicy": _public(policy)})


def describe_account_policies(response: Any) -> str:
    """``DescribeAccountPolicies`` of one type, optionally one name."""
    param = request_reader(response)
    name = param("policyName")
    found = [
        _public(p)
        for p in policies(response.logs_backend, param("policyType"))
        if name is None or p["policyName"] == name
    ]
    return json.dumps({"accountPolicies": found})


def delete_account_policy(response: Any) -> str:
    """``DeleteAccountPolicy``; ``ResourceNotFoundException`` for a policy that is not there."""
    param = request_reader(response)
    key = (param("policyType"), param("policyName"))
    with _LOCK:
        store = _store(response.logs_backend)
        if key not in store:
            raise ResourceNotFoundException(f"Policy with name [{key[1]}] does not exist")
        if not param("dryRun"):
            del store[key]
    return ""


def _public(policy: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in policy.items() if not key.startswith("_")}


def _document(text: Any, kind: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except (TypeError, ValueError):
        raise InvalidParameterException("policyDocument is not valid JSON") from None
    if not isinstance(document, dict):
        raise InvalidParameterException("policyDocument must be a JSON object")
    if kind == SUBSCRIPTION_FILTER_POLICY:
        destination = document.get("DestinationArn")
        if not isinstance(destination, str) or destination.count(":") < 5:
            raise InvalidParameterException("policyDocument needs a DestinationArn")
        compile_pattern(document.get("FilterPattern") or "", SUBSCRIPTION_FILTER)
        check_options(Options(distribution=document.get("Distribution") or "ByLogStream"))
    if kind == TRANSFORMER_POLICY:
        try:  # the configuration PutTransformer would take (spec §4)
            validate(document.get("transformerConfig"))
        except TransformerError as err:
            raise InvalidParameterException(f"transformerConfig: {err}") from None
    return document


def _check_quota(kind: str, criteria: Criteria, others: Sequence[dict[str, Any]]) -> None:
    if kind == SUBSCRIPTION_FILTER_POLICY and others:
        raise limit_exceeded("Only one SUBSCRIPTION_FILTER_POLICY is allowed per account")
    if kind not in NO_OVERLAP:
        return
    same_kind = [p for p in others if _data_source(p["_criteria"]) == _data_source(criteria)]
    scoped = [p for p in same_kind if p["_criteria"].clauses]
    if criteria.clauses and len(scoped) >= MAX_SCOPED[kind]:
        raise limit_exceeded(f"At most {MAX_SCOPED[kind]} scoped {kind} policies are allowed")
    if kind == METRIC_EXTRACTION_POLICY:
        excluding = [p for p in others if _excludes(p["_criteria"])]
        if _excludes(criteria) and excluding:
            raise limit_exceeded("Only one METRIC_EXTRACTION_POLICY with NOT IN is allowed")
        checked = same_kind
    else:
        if not criteria.clauses or _data_source(criteria):
            return
        checked = scoped
    for other in checked:
        if criteria_overlap(criteria, other["_criteria"]):
            raise InvalidParameterException(
                f"selectionCriteria overlaps the {kind} {other['policyName']!r}"
            )


def _data_source(criteria: Criteria) -> bool:
    return any(clause.field == "DataSourceName" for clause in criteria.clauses)


def _excludes(criteria: Criteria) -> bool:
    return any(clause.operator == "NOT IN" for clause in criteria.clauses)


def _covering(backend: Any, kind: str, group_name: str) -> list[dict[str, Any]]:
    found = [
        p
        for p in policies(backend, kind)
        if not _data_source(p["_criteria"]) and p["_criteria"].selects(group_name)
    ]
    return sorted(found, key=lambda p: not p["_criteria"].clauses)  # scoped first


def transformer_policy_for(backend: Any, group_name: str) -> list[dict[str, Any]] | None:
    """The ``transformerConfig`` of the account transformer policy covering a log group."""
    for policy in _covering(backend, TRANSFORMER_POLICY, group_name):
        config = policy["_document"].get("transformerConfig")
        if isinstance(config, list):
            return config
    return None


def field_index_policies_for(backend: Any, group_name: str) -> list[dict[str, Any]]:
    """The documents of the account field-index policies (prefix or unscoped) covering a group."""
    return [p["_document"] for p in _covering(backend, FIELD_INDEX_POLICY, group_name)]


def deliver_account_policies(stream: Any, new_events: Sequence[Any]) -> None:
    """The account subscription policy's delivery of moto's newly put ``LogEvent`` objects."""
    from moto.logs.models import logs_backends

    if not new_events:
        return
    backend = logs_backends[stream.account_id][stream.region]
    group_name = stream.log_group.name
    events = [
        {"id": e.event_id, "timestamp": e.timestamp, "message": e.message} for e in new_events
    ]
    for policy in policies(backend, SUBSCRIPTION_FILTER_POLICY):
        document = policy["_document"]
        destination = str(document["DestinationArn"])
        if not policy["_criteria"].selects(group_name) or _own_group(destination, group_name):
            continue
        deliver_batch(
            stream,
            events,
            pattern=document.get("FilterPattern") or "",
            destination_arn=destination,
            filter_name=policy["policyName"],
            options=Options(distribution=document.get("Distribution") or "ByLogStream"),
            policy_level=ACCOUNT_LEVEL_POLICY,
        )


def _own_group(destination_arn: str, group_name: str) -> bool:
    """Is ``group_name`` the destination function's own log group, or the destination itself?"""
    parts = destination_arn.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return group_name == f"/aws/lambda/{parts[6]}"
    if len(parts) >= 7 and parts[2] == "logs" and parts[5] == "log-group":
        return group_name == parts[6]
    return False
