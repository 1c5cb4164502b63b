"""Findings: each site's pattern checked (parse errors, lint rules, metric transformation
problems, regex quotas across the filters of a log group), or its Logs Insights query parsed,
and placed at its line and column in the file.

>>> from cwquery.iac.scan import scan_text
>>> text = "Resources:\\n  F:\\n    Type: AWS::Logs::SubscriptionFilter\\n    Properties:\\n"
>>> text += "      FilterPattern: '{ $.a = '\\n"
>>> [(f.code, f.line, f.column) for f in check_sites(scan_text(text, "t.yaml").sites)]
[('syntax', 5, 30)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cwquery.ast import Pattern, contains_regex
from cwquery.errors import PatternError
from cwquery.iac.lint import RULES, Diagnostic, Severity, lint_metric, lint_pattern
from cwquery.iac.locate import Located
from cwquery.iac.sites import FILTER_PATTERN, INSIGHTS, FileProblem, PatternSite
from cwquery.limits import regex_filter_quota
from cwquery.parser import parse

if TYPE_CHECKING:
    from cwquery.insights import Query, QueryError

__all__ = [
    "Checked",
    "Finding",
    "Replacement",
    "check_all",
    "check_site",
    "check_sites",
    "place",
]


@dataclass(frozen=True)
class Replacement:
    """Text that replaced a region of a file (``cwquery check --fix``): 1-based lines and
    columns of the file as it was read, the end exclusive."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str


@dataclass(frozen=True)
class Finding:
    """A diagnostic placed in a file (``path`` ``None``: a pattern given on the command line).

    ``line``/``column`` are 1-based; ``exact`` is False when only the start of the pattern's
    string is known (``pattern_offset`` then says where in the pattern). ``source_line`` is the
    line of text the caret goes under."""

    code: str
    message: str
    path: str | None
    line: int
    column: int
    length: int = 1
    hint: str | None = None
    exact: bool = True
    source_line: str = ""
    pattern: str | None = None
    pattern_offset: int | None = None
    resource: str | None = None
    error: PatternError | None = None
    #: the language of the text the finding is in (:data:`~cwquery.iac.sites.INSIGHTS` for a
    #: Logs Insights query)
    language: str = FILTER_PATTERN
    #: the edit that fixed it, when ``check --fix`` did
    replacement: Replacement | None = None

    @property
    def severity(self) -> Severity:
        """The rule's severity."""
        return RULES[self.code].severity


@dataclass(frozen=True)
class Checked:
    """The findings for a list of sites, and what each site's pattern parsed to (in site
    order): its tree, the error that rejects it, or ``None`` for a site without a pattern.
    Reports render these instead of parsing every pattern again."""

    findings: list[Finding]
    parsed: list[Pattern | Query | PatternError | None]


def check_sites(
    sites: Sequence[PatternSite], problems: Iterable[FileProblem] = ()
) -> list[Finding]:
    """Every finding for these sites: pattern errors, lint warnings, metric transformation
    problems, regex quotas per log group, unresolved patterns (notes) and unreadable files.
    Findings are ordered by file and position, command-line patterns first."""
    return check_all(sites, problems).findings


def check_all(sites: Sequence[PatternSite], problems: Iterable[FileProblem] = ()) -> Checked:
    """:func:`check_sites`, with each site's parse outcome kept.

    >>> from cwquery.iac.sites import argument_site
    >>> checked = check_all([argument_site("ERROR", 1), argument_site("{ $.a = ", 2)])
    >>> [type(outcome).__name__ for outcome in checked.parsed]
    ['TermPattern', 'PatternSyntaxError']
    >>> [finding.code for finding in checked.findings]
    ['syntax']
    """
    findings = [_file_problem(problem) for problem in problems]
    parsed: list[Pattern | Query | PatternError | None] = []
    regex_sites: dict[object, list[PatternSite]] = {}
    for site in sites:
        if site.language == INSIGHTS and site.text is not None:
            outcome, site_findings = _check_query(site, site.text)
            findings += site_findings
            parsed.append(outcome)
            continue
        tree, site_findings = check_site(site)
        findings += site_findings
        if tree is None:
            errors = (finding.error for finding in site_findings if finding.error is not None)
            parsed.append(next(errors, None))
            continue
        parsed.append(tree)
        if site.log_group is not None and contains_regex(tree):
            group = regex_sites.setdefault(site.log_group, [])
            if not any(_same_filter(site, other) for other in group):  # Fn::If branches: one
                group.append(site)
    for group_sites in regex_sites.values():
        findings += _regex_quota(group_sites)
    from cwquery.iac.rules_resources import resource_findings  # the rules build on this module

    findings += resource_findings(sites, parsed)
    return Checked(sorted(findings, key=finding_order), parsed)


def check_site(site: PatternSite) -> tuple[Pattern | None, list[Finding]]:
    """The parsed pattern of one site (``None`` when there is none) and its findings."""
    if site.text is None:
        what = "query" if site.language == INSIGHTS else "pattern"
        when = f" ({'; '.join(site.notes)})" if site.notes else ""
        message = f"{site.unresolved}{when}; the {what} was not checked"
        return None, [place(site, Diagnostic("unresolved-pattern", message), at_start=True)]
    notes = [place(site, Diagnostic("resolved-value", n), at_start=True) for n in site.notes]
    if site.language == INSIGHTS:
        return None, notes + _check_query(site, site.text)[1]
    try:
        tree = parse(site.text)
    except PatternError as err:
        diagnostic = Diagnostic(err.code, err.message, err.offset, err.length, err.hint)
        return None, [*notes, place(site, diagnostic, error=err)]
    findings = notes + [place(site, diagnostic) for diagnostic in lint_pattern(site.text)]
    if site.metric is not None:
        metric = site.metric
        dimensions = [(name, reference.text) for name, reference in metric.dimensions]
        value = metric.value.text if metric.value else None
        for diagnostic in lint_metric(tree, value, dimensions, metric.default_value):
            findings.append(place(site, diagnostic, at_start=True))
    return tree, findings


def _check_query(site: PatternSite, text: str) -> tuple[Query | QueryError, list[Finding]]:
    """A Logs Insights query's tree, or the error that rejects it and its finding."""
    from cwquery.insights import QueryError, parse  # only when a file holds a query

    try:
        return parse(text), []
    except QueryError as err:
        diagnostic = Diagnostic(err.code, err.message, err.offset, err.length, err.hint)
        return err, [place(site, diagnostic, error=err)]


def _same_filter(site: PatternSite, other: PatternSite) -> bool:
    """Two values of one filter (branches of a condition), not two filters."""
    return site.name == other.name and site.kind == other.kind and site.source is other.source


def _regex_quota(sites: list[PatternSite]) -> list[Finding]:
    refused, message = regex_filter_quota(sites, str(sites[0].log_group_label))
    if not refused:
        return []
    places = ", ".join(_where(site) for site in sites)
    hint = f"the filters with a regex: {places}"
    diagnostic = Diagnostic("too-many-regex-filters", message, hint=hint)
    return [place(site, diagnostic, at_start=True) for site in refused]


def _where(site: PatternSite) -> str:
    line, column, _ = site.position()
    return f"{site.source.path or site.name}:{line}:{column}"


def place(
    site: PatternSite,
    diagnostic: Diagnostic,
    *,
    at_start: bool = False,
    error: PatternError | None = None,
) -> Finding:
    """A finding for ``diagnostic`` at its place in the file (the pattern's start with
    ``at_start``, or when the diagnostic has no offset)."""
    located = site.located
    index: int | None = None if at_start else diagnostic.offset
    if diagnostic.target and site.metric is not None:
        located = _target(site, diagnostic.target) or located
    line, column, exact = site.position(index, located)
    length = 1
    if exact and index is not None:
        end_line, end_column, _ = site.position(index + diagnostic.length, located)
        length = end_column - column if end_line == line else len(site.source.text.line(line))
    return Finding(
        code=diagnostic.code,
        message=diagnostic.message,
        path=site.source.path,
        line=line,
        column=column,
        length=max(1, length),
        hint=diagnostic.hint,
        exact=exact,
        source_line=site.source.text.line(line),
        pattern=site.text,
        pattern_offset=index,
        resource=site.resource,
        error=error,
        language=site.language,
    )


def _target(site: PatternSite, target: str) -> Located | None:
    metric = site.metric
    if metric is None:
        return None
    if target == "metricValue" and metric.value is not None:
        return metric.value.located
    if target.startswith("dimension:"):
        for name, reference in metric.dimensions:
            if f"dimension:{name}" == target:
                return reference.located
    if target == "transformation" and metric.value is not None:
        return metric.value.located
    return None


def _file_problem(problem: FileProblem) -> Finding:
    line, column = problem.source.text.position(problem.offset)
    return Finding(
        code="unreadable-file",
        message=problem.message,
        path=problem.source.path,
        line=line,
        column=column,
        source_line=problem.source.text.line(line),
    )


def finding_order(finding: Finding) -> tuple[bool, str, int, int, str]:
    """The order findings are reported in: by file and position, command-line patterns first."""
    if finding.path is None:  # command-line patterns keep their order (the sort is stable)
        return False, "", 0, 0, ""
    return True, finding.path, finding.line, finding.column, finding.code
