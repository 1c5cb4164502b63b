"""``cwquery cis``: the Security Hub CloudWatch.1-14 (CIS) controls against the metric filters
and alarms in infrastructure code."""

from __future__ import annotations

import sys

import click

from cwquery.cli.common import EXIT_NO, EXIT_OK, fail, out
from cwquery.iac import cis, cis_report


@click.command("cis")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help='json: {"controls": [...]}; sarif: one result per control not covered with an alarm.',
)
def cis_command(paths: tuple[str, ...], output_format: str) -> None:
    """Check the CIS / Security Hub CloudWatch.1-CloudWatch.14 controls against the metric
    filters and alarms in templates and Terraform (the files 'cwquery check' reads; default:
    the current folder).

    A control is covered by a metric filter that matches every event its reference pattern
    matches (the meaning is compared, not the text), with an alarm on the filter's metric.
    Statuses: covered, no-alarm, not-covered (with the event the closest filter misses).
    Exit 0 when every control is covered with an alarm, 1 otherwise, 2 on errors.

    \b
    Examples:
      cwquery cis infra/ cdk.out/
      cwquery cis --format json terraform/ | jq '.controls[] | select(.status != "covered")'
    """
    try:
        found = cis.filters_from_paths(paths or ["."])
    except cis.CisScanError as err:
        fail(str(err))
    for problem in found.problems:
        line, _ = problem.source.text.position(problem.offset)
        click.echo(f"warning: {problem.source.path}:{line}: {problem.message}", err=True)
    for path, resource, reason in found.skipped:
        click.echo(f"note: {path}: {resource} not checked: {reason}", err=True)
    for path, resource, reason in found.unlinked:
        click.echo(f"note: {path}: {resource} not read by the alarm scan: {reason}", err=True)
    results = cis.check_controls(found.filters)
    if output_format == "json":
        out(cis_report.json_report(results))
    elif output_format == "sarif":
        out(cis_report.sarif_report(results, found.read[0] if found.read else None))
    else:
        out(cis_report.text_report(results, found))
    sys.exit(EXIT_OK if cis_report.passed(results) else EXIT_NO)
