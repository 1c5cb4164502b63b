"""The ``cwquery`` command line: one group, one module per family of commands."""

from __future__ import annotations

import click

from cwquery import __version__
from cwquery.cli import cloudwatch, evaluate, patterns
from cwquery.cli.backtest import backtest_command
from cwquery.cli.common import Group
from cwquery.cli.conformance import conformance
from cwquery.cli.emulator import emulator
from cwquery.cli.playground import playground


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cwquery")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def main(debug: bool) -> None:
    """Write, check, test and run CloudWatch Logs filter patterns.

    Exit status, for every command: 0 yes (valid, something matched), 1 no (nothing matched,
    or findings under --strict), 2 any error; 141 when the reader closed the output pipe.
    """


main.add_command(patterns.check)
main.add_command(patterns.fmt)
main.add_command(patterns.equal)
main.add_command(evaluate.test_command)
main.add_command(emulator)
main.add_command(cloudwatch.filter_command)
main.add_command(cloudwatch.ship)
main.add_command(playground)
main.add_command(backtest_command)
main.add_command(conformance)
