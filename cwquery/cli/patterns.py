"""``cwquery check``, ``cwquery fmt`` and ``cwquery equal``: validate, normalise and compare
patterns, given directly or found in infrastructure code."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from cwquery.ast import MatchAll, Pattern
from cwquery.cli.common import EXIT_ERROR, EXIT_NO, EXIT_OK, echo_pattern_error, out
from cwquery.errors import PatternError
from cwquery.iac import fix as fixer
from cwquery.iac import report
from cwquery.iac.findings import (
    Finding,
    check_all,
    check_site,
    check_sites,
    finding_order,
    place,
)
from cwquery.iac.lint import Diagnostic, Severity
from cwquery.iac.scan import format_of, scan_paths
from cwquery.iac.sites import PatternSite, ScanResult, argument_site
from cwquery.limits import MAX_PATTERN_LENGTH
from cwquery.normalizer import normalize
from cwquery.parser import parse
from cwquery.renderer import render

if TYPE_CHECKING:
    from cwquery.insights import Query

_FORMAT_OPTION = click.option(
    "--format",
    "output_format",
    type=click.Choice(report.FORMATS),
    default="text",
    show_default=True,
    help="text: caret views on stderr; json, github (workflow annotations), sarif: on stdout.",
)
_PATTERN_OPTION = click.option(
    "-e",
    "--pattern",
    "extra_patterns",
    multiple=True,
    metavar="PATTERN",
    help="A pattern, even if a file of that name exists (repeatable).",
)


@click.command()
@click.argument("targets", nargs=-1, metavar="[PATTERN | PATH]...")
@_PATTERN_OPTION
@_FORMAT_OPTION
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option(
    "--fix",
    is_flag=True,
    help="Rewrite in place, where the fix is certain, patterns not in canonical form and YAML "
    "patterns that need quotes; then check the files as they are.",
)
def check(
    targets: tuple[str, ...],
    extra_patterns: tuple[str, ...],
    output_format: str,
    strict: bool,
    fix: bool,
) -> None:
    """Check patterns, and the patterns in infrastructure files; exit 1 on errors.

    Each argument is a file or folder when one exists by that name, else a pattern. Folders
    are searched for CloudFormation and SAM templates (YAML or JSON), cdk.out templates,
    serverless.yml, Terraform .tf files and *.patterns files (one pattern per line); a file
    named explicitly is read whatever its ending. '-' reads patterns from stdin.

    Besides errors, warnings flag patterns that do not do what they seem to (ignored ?-terms,
    unquoted punctuation, metric values and dimensions the pattern cannot fill, too many regex
    filters on one log group). Exit 0 when clean, 1 on errors (or warnings with --strict),
    2 on usage errors.

    \b
    Examples:
      cwquery check '{ $.latency > 1000 }' '?ERROR ?WARN'
      cwquery check --format github infra/ cdk.out/
      cwquery check --fix infra/
    """
    sites, scanned = _collect(targets, extra_patterns)
    fixed: list[Finding] = []
    if fix:
        paths = [site.source.path for site in sites if site.source.path not in (None, "<stdin>")]
        fixes = fixer.fix_files(path for path in paths if path is not None)
        sites, fixed = fixer.refreshed(sites, fixes), fixer.fix_findings(fixes)
    checked = check_all(sites, scanned.problems)
    found = checked.findings if fix else fixer.with_needs_quotes(checked.findings, sites)
    if scanned.transformers:  # AWS::Logs::Transformer and ApplyOnTransformedLogs
        from cwquery.iac.transformers import transformer_findings

        found = [*found, *transformer_findings(scanned.transformers)]
    findings = sorted([*found, *fixed], key=finding_order)
    unquoted = sum(finding.code == "needs-quotes" for finding in findings)  # not deploy-time
    summary = report.Summary(
        patterns=sum(site.text is not None for site in sites),
        skipped=sum(site.text is None for site in sites) - unquoted,
        files=scanned.files,
    )
    failed = report.failed(findings, strict=strict)
    _emit(output_format, sites, findings, summary, failed=failed, parsed=checked.parsed)
    sys.exit(EXIT_NO if failed else EXIT_OK)


@click.command()
@click.argument("targets", nargs=-1, metavar="PATTERN... | --check PATH...")
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Report patterns (given or found in files) that are not in canonical form; exit 1 if "
    "there are any. Files are not rewritten (cwquery check --fix does that).",
)
@_PATTERN_OPTION
@_FORMAT_OPTION
def fmt(
    targets: tuple[str, ...],
    check_only: bool,
    extra_patterns: tuple[str, ...],
    output_format: str,
) -> None:
    """Print each PATTERN in canonical form, or with --check report the patterns in files
    that are not.

    Surrounding blanks do not count (CloudWatch trims them).

    \b
    Examples:
      cwquery fmt '{($.a=1)&&($.b=x)}'     # prints { $.a = 1 && $.b = "x" }
      cwquery fmt --check infra/
    """
    if not targets and not extra_patterns:
        raise click.UsageError("give at least one PATTERN (or --check PATH)")
    if not check_only:
        for target in targets:
            if os.path.exists(target):
                raise click.UsageError(
                    f"{target} is a file or folder: use 'cwquery fmt --check {target}' to report "
                    "patterns that are not canonical (or cwquery check --fix to rewrite them), or "
                    f"-e '{target}' to format it as a pattern"
                )
        for pattern in (*targets, *extra_patterns):
            try:
                canonical = render(parse(pattern))
            except PatternError as err:
                echo_pattern_error(err)
                sys.exit(EXIT_ERROR)
            if len(canonical) > MAX_PATTERN_LENGTH:  # never print a pattern the service refuses
                click.echo(f"error: {_too_long(canonical)}", err=True)
                sys.exit(EXIT_ERROR)
            out(canonical)
        return
    sites, scanned = _collect(targets, extra_patterns)
    findings = check_sites([], scanned.problems)
    for site in sites:
        findings += _canonical_findings(site)
    findings.sort(key=lambda f: (f.path is not None, f.path or "", f.line, f.column))
    summary = report.Summary(
        patterns=sum(site.text is not None for site in sites),
        skipped=sum(site.text is None for site in sites),
        files=scanned.files,
        clean="canonical",
    )
    failed = report.failed(findings, strict=False)
    _emit(output_format, sites, findings, summary, failed=failed)
    sys.exit(EXIT_NO if failed else EXIT_OK)


@click.command()
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; only the exit code tells.")
def equal(first: str, second: str, quiet: bool) -> None:
    """Tell whether patterns A and B are the same after normalisation: operand order of && and
    ||, parentheses, quoting, spacing, term order, and ?-terms CloudWatch ignores.

    Exit 0 when they are equal, 1 when they differ (both normal forms are printed), 2 when
    one is not a valid pattern (the error says which: A or B).

    \b
    Example:
      cwquery equal '{($.a=1)&&($.b=x)}' '{ $.b = "x" && $.a = 1 }'
    """
    normal: list[Pattern] = []
    for name, text in (("pattern A", first), ("pattern B", second)):
        try:
            normal.append(normalize(text))
        except PatternError as err:  # both are reported when both are wrong
            echo_pattern_error(err, name)
    if len(normal) < 2:
        sys.exit(EXIT_ERROR)
    normal_a, normal_b = normal
    if normal_a == normal_b:
        if not quiet:
            out(f"equal: {_shown(normal_a)}")
        sys.exit(EXIT_OK)
    if not quiet:
        out(f"different:\n  A: {_shown(normal_a)}\n  B: {_shown(normal_b)}")
    sys.exit(EXIT_NO)


def _shown(pattern: Pattern) -> str:
    return "(the empty pattern: every event)" if isinstance(pattern, MatchAll) else render(pattern)


# --------------------------------------------------------------------------- shared


def _collect(
    targets: Sequence[str], extra_patterns: Sequence[str]
) -> tuple[list[PatternSite], ScanResult]:
    """Patterns given directly (as sites) and the sites found in the files and folders."""
    if not targets and not extra_patterns:
        raise click.UsageError("give at least one PATTERN or PATH")
    paths, patterns = [], []
    for target in targets:
        if target == "-" or os.path.exists(target):
            paths.append(target)
        elif _looks_like_path(target):
            raise click.UsageError(
                f"no such file or folder: {target} (to check it as a pattern, use -e '{target}')"
            )
        else:
            if _BARE_NAME.fullmatch(target):
                click.echo(
                    f"note: no file or folder named {target!r}: checked as a pattern "
                    f"(-e '{target}' says so and silences this note)",
                    err=True,
                )
            patterns.append(target)
    patterns += extra_patterns
    sites = [argument_site(text, number) for number, text in enumerate(patterns, 1)]
    try:
        scanned = scan_paths(paths)
    except OSError as err:
        raise click.UsageError(f"cannot read {err.filename}: {err.strerror}") from None
    return sites + scanned.sites, scanned


#: A word that reads like a file or folder name (``infra``, ``cdk.out``, ``my-stack``).
_BARE_NAME = re.compile(r"[a-z0-9_][a-z0-9_.-]*")


def _looks_like_path(text: str) -> bool:
    """A word with a path separator or a known file ending: a mistyped path is an error, not
    a term pattern that passes."""
    if not text or any(char.isspace() for char in text) or text[0] in '{[%?-"':
        return False
    return "/" in text or os.sep in text or format_of(text) is not None


def _canonical_findings(site: PatternSite) -> list[Finding]:
    tree, findings = check_site(site)
    kept = [f for f in findings if f.severity is Severity.ERROR and f.error is not None]
    kept += [f for f in findings if f.code == "unresolved-pattern"]
    if tree is None or site.text is None or _substituted(site):
        return kept
    canonical = render(tree)
    if site.text.strip() == canonical:
        return kept
    if len(canonical) > MAX_PATTERN_LENGTH:
        diagnostic = Diagnostic(
            "not-canonical", f"not in canonical form, but {_too_long(canonical)}"
        )
        return [*kept, place(site, diagnostic)]
    shown = canonical if canonical else '"" (the empty pattern)'
    diagnostic = Diagnostic("not-canonical", f"not in canonical form; write: {shown}")
    return [*kept, place(site, diagnostic)]


def _substituted(site: PatternSite) -> bool:
    """A pattern resolved through substitution (a default put into a template): it is not
    written as it reads, so there is nothing to rewrite."""
    return bool(site.notes) and (site.located is None or site.located.decode is None)


def _too_long(canonical: str) -> str:
    return (
        f"the canonical form would be {len(canonical)} characters long, over the service's "
        f"limit of {MAX_PATTERN_LENGTH}; keep the shorter spelling or shorten the pattern"
    )


def _emit(
    output_format: str,
    sites: Sequence[PatternSite],
    findings: Sequence[Finding],
    summary: report.Summary,
    *,
    failed: bool,
    parsed: Sequence[Pattern | Query | PatternError | None] | None = None,
) -> None:
    if output_format == "json":
        out(report.json_report(sites, findings, summary, valid=not failed, parsed=parsed))
    elif output_format == "github":
        text = report.github_report(findings)
        if text:
            out(text)
    elif output_format == "sarif":
        out(report.sarif_report(findings))
    else:
        click.echo(report.text_report(findings, summary), err=True)
