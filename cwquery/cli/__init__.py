"""The ``cwquery`` command line: one group, one module per family of commands.

Each command's module is imported only when that command runs (or help lists it), so
``cwquery test`` never loads the infrastructure scanner, the linter or boto3.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

import click

from cwquery import __version__
from cwquery.cli.common import Group

#: Command name -> (module under cwquery.cli, attribute), in the order help lists them.
_COMMANDS = {
    "check": ("patterns", "check"),
    "fmt": ("patterns", "fmt"),
    "equal": ("patterns", "equal"),
    "quote": ("quote", "quote_command"),
    "covers": ("coverage", "covers_command"),
    "cis": ("cis", "cis_command"),
    "test": ("evaluate", "test_command"),
    "insights": ("insights", "insights_command"),
    "to-insights": ("translate", "to_insights_command"),
    "emulator": ("emulator", "emulator"),
    "filter": ("cloudwatch", "filter_command"),
    "tail": ("tail", "tail_command"),
    "ship": ("cloudwatch", "ship"),
    "playground": ("playground", "playground"),
    "transform": ("transform", "transform_command"),
    "backtest": ("backtest", "backtest_command"),
    "conformance": ("conformance", "conformance"),
    "payload": ("payload", "payload_command"),
}


class _LazyCommands(MutableMapping[str, click.Command]):
    """``Group.commands`` whose entries import their module when first looked up."""

    def __init__(self) -> None:
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded and name in _COMMANDS:
            module, attribute = _COMMANDS[name]
            command = getattr(importlib.import_module(f"cwquery.cli.{module}"), attribute)
            assert isinstance(command, click.Command)
            self._loaded[name] = command
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*_COMMANDS, *(name for name in self._loaded if name not in _COMMANDS)])

    def __len__(self) -> int:
        return len(set(_COMMANDS) | set(self._loaded))


class _LazyGroup(Group):
    """A group whose commands are imported on first use."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.commands = _LazyCommands()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cwquery")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def main(debug: bool) -> None:
    """Write, check, test and run CloudWatch Logs filter patterns.

    Exit status, for every command: 0 yes (valid, something matched), 1 no (nothing matched,
    or findings under --strict), 2 any error; 141 when the reader closed the output pipe.
    """
