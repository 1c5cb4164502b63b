"""The ``cwquery`` command line: one group, one module per family of commands."""

from __future__ import annotations

import click

from cwquery import __version__
from cwquery.cli import cloudwatch, evaluate, patterns
from cwquery.cli.conformance import conformance
from cwquery.cli.emulator import emulator
from cwquery.cli.playground import playground


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cwquery")
def main() -> None:
    """Write, check, test and run CloudWatch Logs filter patterns."""


main.add_command(patterns.check)
main.add_command(patterns.fmt)
main.add_command(patterns.equal)
main.add_command(evaluate.test_command)
main.add_command(emulator)
main.add_command(cloudwatch.filter_command)
main.add_command(cloudwatch.ship)
main.add_command(playground)
main.add_command(conformance)
