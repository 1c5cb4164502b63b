"""The CIS AWS Foundations Benchmark / AWS Security Hub CloudWatch.1-CloudWatch.14 controls,
checked against the metric filters and alarms written in infrastructure code.

The reference patterns are written as Security Hub's "Amazon CloudWatch controls" page gives
them (:data:`SECURITY_HUB_PAGE`), each with the CIS AWS Foundations Benchmark recommendations it
lists as related (v1.2.0 section 3, v1.4.0 section 4; CIS v3.0.0 keeps the recommendations in
its section 4). A control is *covered* by a metric filter that matches every event the
reference matches (``covers(filter, reference).holds is True``): a filter written differently
but meaning the same covers it, a filter narrowed by one condition does not (the event it
misses is given). ``None`` from :func:`~cwquery.coverage.covers` is never taken as covered.

>>> found = filters_from_sites([])
>>> [(r.control.id, r.status) for r in check_controls(found.filters)][:2]
[('CloudWatch.1', 'not-covered'), ('CloudWatch.2', 'not-covered')]
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cwquery.ast import JsonCompare, JsonIs, JsonNotExists, Pattern, walk
from cwquery.compiler import compile
from cwquery.coverage import Coverage, covers
from cwquery.errors import CWQueryError, PatternError
from cwquery.iac import alarms
from cwquery.iac.cloudformation import METRIC_FILTER
from cwquery.iac.hclfunctions import reading_under
from cwquery.iac.scan import folder_files, scan_paths
from cwquery.iac.sites import FILTER_PATTERN, FileProblem, PatternSite
from cwquery.iac.terraform import TF_METRIC_FILTER
from cwquery.parser import parse

__all__ = [
    "CONTROLS",
    "COVERED",
    "NOT_COVERED",
    "NO_ALARM",
    "SECURITY_HUB_PAGE",
    "CandidateFilter",
    "CisScanError",
    "Control",
    "ControlResult",
    "Found",
    "check_controls",
    "filters_from_paths",
    "filters_from_sites",
]

#: Where the reference patterns are written (the English page; each control has an anchor
#: ``#cloudwatch-N``).
SECURITY_HUB_PAGE = (
    "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html"
)

COVERED = "covered"
NO_ALARM = "no-alarm"
NOT_COVERED = "not-covered"


@dataclass(frozen=True)
class Control:
    """One Security Hub control: its id, title, reference pattern and CIS recommendations."""

    id: str
    title: str
    pattern: str
    #: a CloudTrail event the reference matches: a filter that does not match it cannot cover
    #: the control, and is passed over without a search (tests check every reference matches it)
    sample: str
    cis: tuple[str, ...]

    @property
    def url(self) -> str:
        """The control's section of the Security Hub page."""
        return f"{SECURITY_HUB_PAGE}#{self.id.lower().replace('.', '-')}"


def _control(number: int, title: str, pattern: str, sample: str, *cis: str) -> Control:
    return Control(f"CloudWatch.{number}", title, pattern, sample, cis)


#: Security Hub CloudWatch.1-CloudWatch.14, patterns as :data:`SECURITY_HUB_PAGE` gives them.
CONTROLS: tuple[Control, ...] = (
    _control(
        1,
        'A log metric filter and alarm should exist for usage of the "root" user',
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType !="AwsServiceEvent"}',
        '{"userIdentity":{"type":"Root"},"eventType":"AwsApiCall"}',
        "CIS v1.2.0 1.1",
        "CIS v1.2.0 3.3",
        "CIS v1.4.0 1.7",
        "CIS v1.4.0 4.3",
    ),
    _control(
        2,
        "Ensure a log metric filter and alarm exist for unauthorized API calls",
        '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
        '{"errorCode":"AccessDenied"}',
        "CIS v1.2.0 3.1",
    ),
    _control(
        3,
        "Ensure a log metric filter and alarm exist for Management Console sign-in without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
        '{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"},'
        '"userIdentity":{"type":"IAMUser"},"responseElements":{"ConsoleLogin":"Success"}}',
        "CIS v1.2.0 3.2",
    ),
    _control(
        4,
        "Ensure a log metric filter and alarm exist for IAM policy changes",
        "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || "
        "($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || "
        "($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || "
        "($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || "
        "($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || "
        "($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || "
        "($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || "
        "($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}",
        '{"eventName":"DeleteGroupPolicy"}',
        "CIS v1.2.0 3.4",
        "CIS v1.4.0 4.4",
    ),
    _control(
        5,
        "Ensure a log metric filter and alarm exist for CloudTrail AWS Configuration changes",
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || "
        "($.eventName=StartLogging) || ($.eventName=StopLogging)}",
        '{"eventName":"CreateTrail"}',
        "CIS v1.2.0 3.5",
        "CIS v1.4.0 4.5",
    ),
    _control(
        6,
        "Ensure a log metric filter and alarm exist for AWS Management Console authentication "
        "failures",
        '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
        '{"eventName":"ConsoleLogin","errorMessage":"Failed authentication"}',
        "CIS v1.2.0 3.6",
        "CIS v1.4.0 4.6",
    ),
    _control(
        7,
        "Ensure a log metric filter and alarm exist for disabling or scheduled deletion of "
        "customer managed keys",
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || "
        "($.eventName=ScheduleKeyDeletion))}",
        '{"eventSource":"kms.amazonaws.com","eventName":"DisableKey"}',
        "CIS v1.2.0 3.7",
        "CIS v1.4.0 4.7",
    ),
    _control(
        8,
        "Ensure a log metric filter and alarm exist for S3 bucket policy changes",
        "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || "
        "($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || "
        "($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || "
        "($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || "
        "($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}",
        '{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl"}',
        "CIS v1.2.0 3.8",
        "CIS v1.4.0 4.8",
    ),
    _control(
        9,
        "Ensure a log metric filter and alarm exist for AWS Config configuration changes",
        "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || "
        "($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || "
        "($.eventName=PutConfigurationRecorder))}",
        '{"eventSource":"config.amazonaws.com","eventName":"StopConfigurationRecorder"}',
        "CIS v1.2.0 3.9",
        "CIS v1.4.0 4.9",
    ),
    _control(
        10,
        "Ensure a log metric filter and alarm exist for security group changes",
        "{($.eventName=AuthorizeSecurityGroupIngress) || "
        "($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) "
        "|| ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || "
        "($.eventName=DeleteSecurityGroup)}",
        '{"eventName":"AuthorizeSecurityGroupIngress"}',
        "CIS v1.2.0 3.10",
        "CIS v1.4.0 4.10",
    ),
    _control(
        11,
        "Ensure a log metric filter and alarm exist for changes to Network Access Control Lists "
        "(NACL)",
        "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || "
        "($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || "
        "($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}",
        '{"eventName":"CreateNetworkAcl"}',
        "CIS v1.2.0 3.11",
        "CIS v1.4.0 4.11",
    ),
    _control(
        12,
        "Ensure a log metric filter and alarm exist for changes to network gateways",
        "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || "
        "($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || "
        "($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
        '{"eventName":"CreateCustomerGateway"}',
        "CIS v1.2.0 3.12",
        "CIS v1.4.0 4.12",
    ),
    _control(
        13,
        "Ensure a log metric filter and alarm exist for route table changes",
        "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || "
        "($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || "
        "($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || "
        "($.eventName=DisassociateRouteTable)}",
        '{"eventName":"CreateRoute"}',
        "CIS v1.2.0 3.13",
        "CIS v1.4.0 4.13",
    ),
    _control(
        14,
        "Ensure a log metric filter and alarm exist for VPC changes",
        "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) "
        "|| ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) "
        "|| ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) "
        "|| ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || "
        "($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}",
        '{"eventName":"CreateVpc"}',
        "CIS v1.2.0 3.14",
        "CIS v1.4.0 4.14",
    ),
)

_METRIC_FILTER_KINDS = (METRIC_FILTER, TF_METRIC_FILTER)


class CisScanError(CWQueryError):
    """A path that cannot be scanned (the command exits 2)."""


@dataclass(frozen=True)
class CandidateFilter:
    """A metric filter found in a file: its pattern (parsed), place, metric and alarms.

    ``metric`` is ``(namespace, name)``, or ``None`` when the scan could not read it (computed
    at deploy time, or a file the alarm scan does not read); ``alarms`` names the alarms on it.
    """

    path: str
    line: int
    resource: str
    pattern: str
    tree: Pattern
    metric: tuple[str, str] | None = None
    alarms: tuple[str, ...] = ()


@dataclass
class Found:
    """The metric filters that can be checked, and what was passed over, with why."""

    filters: list[CandidateFilter] = field(default_factory=list)
    #: ``(file, resource, reason)`` of metric filters that could not be checked
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    #: the files read, in order
    read: list[str] = field(default_factory=list)
    #: ``(file, resource, reason)`` of alarms, and of filters' metrics, the alarm scan could not
    #: read: a filter whose alarm is among them is reported ``no-alarm``
    unlinked: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def files(self) -> int:
        """How many files were read."""
        return len(self.read)


@dataclass(frozen=True)
class ControlResult:
    """A control's status, the filter it rests on (or the closest one) and, for a filter that
    does not cover the reference, the message that proves it (checked by the matcher)."""

    control: Control
    status: str
    filter: CandidateFilter | None
    counterexample: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The ``--format json`` entry."""
        chosen = self.filter
        return {
            "control": self.control.id,
            "title": self.control.title,
            "status": self.status,
            "filter": None
            if chosen is None
            else {"file": chosen.path, "line": chosen.line, "pattern": chosen.pattern},
            "counterexample": self.counterexample,
        }


# --------------------------------------------------------------------------- scanning


def filters_from_paths(paths: Sequence[str]) -> Found:
    """The metric filters of these files and folders (read as ``cwquery check`` reads them),
    each with its metric and the alarms on it. A file in a folder that cannot be read is a
    problem reported in ``problems``; a path given that is missing, or is neither a folder
    nor a regular file, is a :class:`CisScanError`."""
    files = _files(paths)
    with reading_under(paths):  # both scanners get the folders given, not only the files
        scanned = scan_paths(files)
        unreadable = {os.path.realpath(p.source.path or "") for p in scanned.problems}
        readable = [file for file in files if os.path.realpath(file) not in unreadable]
        try:
            linked = alarms.scan_paths(readable, terraform_filters=False)
        except OSError as err:  # the file changed between the two reads
            raise CisScanError(f"{err.filename}: {err.strerror}") from None
    found = filters_from_sites(scanned.sites, linked)
    found.problems, found.read = scanned.problems, files
    return found


def _files(paths: Iterable[str]) -> list[str]:
    """Every file to read, once each, for both scanners to read the same list."""
    files: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if not os.path.exists(path):
            raise CisScanError(f"{path}: no such file or folder")
        if os.path.isdir(path):
            found: Iterable[str] = folder_files(path)
        elif stat.S_ISREG(os.stat(path).st_mode):
            found = [path]
        else:
            raise CisScanError(f"{path}: not a regular file or a folder")
        for file in found:
            real = os.path.realpath(file)
            if real not in seen:
                seen.add(real)
                files.append(file)
    return files


def filters_from_sites(sites: Iterable[PatternSite], linked: alarms.Found | None = None) -> Found:
    """The metric filter sites whose pattern can be checked, each with its metric (the name
    and namespace the readers resolved) and the alarms the alarm scan
    (:mod:`cwquery.iac.alarms`) found on that metric."""
    watching: dict[tuple[str | None, str | None], list[str]] = {}
    for _, alarm in linked.alarms if linked else []:
        watching.setdefault((alarm.namespace, alarm.metric_name), []).append(alarm.name)
    found = Found()
    for site in sites:
        if site.kind not in _METRIC_FILTER_KINDS or site.language != FILTER_PATTERN:
            continue
        path = site.source.path or ""
        if site.text is None:
            found.skipped.append((path, site.name, site.unresolved or "computed at deploy time"))
            continue
        try:
            tree = parse(site.text)
        except PatternError as err:
            found.skipped.append((path, site.name, f"not a valid pattern: {err.message}"))
            continue
        line = site.position()[0]
        metric = site.metric.key if site.metric else None
        names = tuple(dict.fromkeys(watching.get(metric, []))) if metric else ()
        found.filters.append(CandidateFilter(path, line, site.name, site.text, tree, metric, names))
    found.unlinked += linked.unread if linked else []
    return found


# --------------------------------------------------------------------------- checking


def check_controls(
    filters: Sequence[CandidateFilter], controls: Sequence[Control] = CONTROLS
) -> list[ControlResult]:
    """Each control's result, in the order of ``controls``."""
    prepared = {
        id(candidate): (compile(candidate.tree).matches, _conditions(candidate.tree))
        for candidate in filters
    }
    return [_check(control, parse(control.pattern), filters, prepared) for control in controls]


def _check(
    control: Control,
    reference: Pattern,
    filters: Sequence[CandidateFilter],
    prepared: dict[int, tuple[Callable[[str], bool], frozenset[str]]],
) -> ControlResult:
    covering: list[CandidateFilter] = []
    near: tuple[float, CandidateFilter, Coverage | None] | None = None
    wanted = _conditions(reference)
    for candidate in filters:
        matches, written = prepared[id(candidate)]
        score = _closeness(wanted, written)
        if not matches(control.sample):
            # the sample is an event the reference matches and the filter does not: no search
            if score >= CLOSE and (near is None or score > near[0]):
                near = (score, candidate, None)
            continue
        answer = covers(candidate.tree, reference)
        if answer.holds is True:
            if candidate.alarms:
                alarm = ", ".join(candidate.alarms)
                reason = f"{candidate.resource} covers the reference; alarm: {alarm}"
                return ControlResult(control, COVERED, candidate, None, reason)
            covering.append(candidate)
            continue
        eligible = answer.holds is None or score >= CLOSE
        if eligible and (near is None or score > near[0]):
            near = (score, candidate, answer)
    if covering:
        chosen = covering[0]
        if chosen.metric is None:
            why = "its metric is computed at deploy time or was not read, so no alarm is linked"
        else:
            namespace, name = chosen.metric
            why = f"no alarm watches the metric {namespace}/{name}"
        reason = f"{chosen.resource} covers the reference, but {why}"
        return ControlResult(control, NO_ALARM, chosen, None, reason)
    if near is None:
        reason = "no metric filter matches every event the reference matches"
        return ControlResult(control, NOT_COVERED, None, None, reason)
    _, candidate, known = near
    # passed over on the sample: the search names the event it misses
    shortfall = known or covers(candidate.tree, reference)
    if shortfall.counterexample is None:  # covers() answered None: never taken as covered
        why = shortfall.reason
        reason = f"cannot tell whether {candidate.resource} covers the reference: {why}"
    else:
        reason = f"{candidate.resource} misses an event the reference matches"
    return ControlResult(control, NOT_COVERED, candidate, shortfall.counterexample, reason)


#: How close a filter that does not cover a control must be to be named as the one that falls
#: short: at least half of the comparisons the two patterns write, shared.
CLOSE = 0.5


def _conditions(tree: Pattern) -> frozenset[str]:
    """The comparisons of a JSON pattern, as canonical text (``$.eventName = "DeleteTrail"``)."""
    return frozenset(
        str(node) for node in walk(tree) if isinstance(node, JsonCompare | JsonIs | JsonNotExists)
    )


def _closeness(wanted: frozenset[str], written: frozenset[str]) -> float:
    """The share of the comparisons of the reference and the filter that both make (a
    reference narrowed by one condition of three: 3/4).

    >>> _closeness(_conditions(parse("{ $.a = 1 && $.b = 2 }")), _conditions(parse("{ $.a = 1 }")))
    0.5
    """
    union = wanted | written
    return len(wanted & written) / len(union) if union else 0.0
