"""The ``cwquery`` command line: one group, one module per family of commands.

Each command's module is imported only when that command runs (or help lists it), so
``cwquery test`` never loads the infrastructure scanner, the linter or boto3.
"""

from __future__ import annotations

import importlib

import click

from cwquery import __version__
from cwquery.cli.common import Group

#: Command name -> (module under cwquery.cli, attribute), in the order help lists them.
_COMMANDS = {
    "check": ("patterns", "check"),
    "fmt": ("patterns", "fmt"),
    "equal": ("patterns", "equal"),
    "test": ("evaluate", "test_command"),
    "emulator": ("emulator", "emulator"),
    "filter": ("cloudwatch", "filter_command"),
    "ship": ("cloudwatch", "ship"),
    "playground": ("playground", "playground"),
    "backtest": ("backtest", "backtest_command"),
    "conformance": ("conformance", "conformance"),
}


class _LazyGroup(Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*_COMMANDS, *(name for name in super().list_commands(ctx) if name not in _COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS:
            module, attribute = _COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"cwquery.cli.{module}"), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cwquery")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def main(debug: bool) -> None:
    """Write, check, test and run CloudWatch Logs filter patterns.

    Exit status, for every command: 0 yes (valid, something matched), 1 no (nothing matched,
    or findings under --strict), 2 any error; 141 when the reader closed the output pipe.
    """
