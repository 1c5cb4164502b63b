"""One error root: every exception cwquery defines derives from ``cwquery.CWQueryError``, and a
command reports any other exception as an internal error."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable

import pytest
from click.testing import CliRunner

import cwquery
from cwquery import CWQueryError
from cwquery.aws import filter_events
from cwquery.aws.timeparse import parse_duration, to_millis
from cwquery.cli import main

#: A build artifact, generated from the grammar; it defines Lark's own errors, not cwquery's.
_GENERATED = "cwquery._lalr_generated"


def _modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(cwquery.__path__, prefix="cwquery.")
        if info.name != _GENERATED
    ]
    return ["cwquery", *names]


def _exception_classes() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for name in _modules():
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
                and not attribute.startswith("_")
            ):
                found.append(value)
    return found


def test_the_walk_sees_every_family() -> None:
    """The walk below reaches the sub-packages, so an empty or short list cannot pass it."""
    modules = {cls.__module__.split(".")[1] for cls in _exception_classes()}
    assert {"errors", "aws", "backtest", "emulator", "iac", "playground", "cli"} <= modules


def test_every_exception_cwquery_defines_derives_from_the_root() -> None:
    outside = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _exception_classes()
        if not issubclass(cls, CWQueryError)
    ]
    assert outside == []


def test_the_root_is_public() -> None:
    assert "CWQueryError" in cwquery.__all__
    assert cwquery.CWQueryError is CWQueryError


@pytest.mark.parametrize(
    ("module", "name", "base"),
    [
        ("cwquery.backtest.engine", "BacktestError", ValueError),
        ("cwquery.backtest.series", "StatisticError", ValueError),
        ("cwquery.emulator.errors", "EmulatorError", RuntimeError),
        ("cwquery.aws.shipformat", "MalformedLine", ValueError),
        ("cwquery.regex", "RegexProblem", ValueError),
        ("cwquery.iac.locate", "DocumentError", ValueError),
        ("cwquery.aws.timeparse", "TimeFormatError", ValueError),
        ("cwquery.aws.client", "RequestError", ValueError),
    ],
)
def test_the_old_base_is_kept(module: str, name: str, base: type[Exception]) -> None:
    """Callers that catch ``ValueError`` or ``RuntimeError`` keep working."""
    assert issubclass(getattr(importlib.import_module(module), name), base)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: to_millis("yesterday"), "cannot read 'yesterday' as a time"),
        (lambda: parse_duration("soon"), "not a duration: 'soon'"),
        (lambda: list(filter_events("ERROR", [], client=object())), "give at least one log group"),
        (lambda: list(filter_events("ERROR", "g", client=object(), limit=0)), "at least 1"),
    ],
)
def test_input_errors_of_the_aws_layer_are_root_errors(
    call: Callable[[], object], message: str
) -> None:
    """What a person typed wrong (a time, an argument) is refused with the root, not a bare
    ``ValueError`` that a command could not tell from a bug."""
    with pytest.raises(CWQueryError, match=re.escape(message)):
        call()


def test_a_bug_in_a_command_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``ValueError`` that no cwquery code raised on purpose is not shown as an input error."""

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr("cwquery.aws.filter_events", broken)
    result = CliRunner().invoke(main, ["filter", "ERROR", "-g", "app", "--region", "us-east-1"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: internal error (ValueError): a bug; run with --debug for the traceback"
    )


def test_an_input_error_in_a_command_stays_a_plain_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other side of the rule: an error cwquery raises on purpose is one plain line."""

    def refuses(*args: object, **kwargs: object) -> None:
        raise CWQueryError("no log group matches 'app*'")

    monkeypatch.setattr("cwquery.aws.filter_events", refuses)
    result = CliRunner().invoke(main, ["filter", "ERROR", "-g", "app", "--region", "us-east-1"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no log group matches 'app*'"


def test_arguments_the_aws_layer_refuses_stay_plain_errors() -> None:
    """``filter_events`` refuses a start after the end before any call, with a root error."""
    result = CliRunner().invoke(
        main,
        ["filter", "ERROR", "-g", "app", "--region", "us-east-1", "--since", "1h", "--until", "2h"],
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: start is after end"


@pytest.mark.parametrize("command", ["filter", "tail", "backtest", "conformance"])
def test_a_malformed_endpoint_is_an_input_error(command: str) -> None:
    """botocore refuses it with a plain ``ValueError``; the commands show it as bad input."""
    arguments = {
        "filter": ["filter", "ERROR", "-g", "app"],
        "tail": ["tail", "ERROR", "-g", "app"],
        "backtest": ["backtest", "--log-group", "app", "-p", "ERROR"],
        "conformance": ["conformance"],
    }[command]
    result = CliRunner().invoke(
        main, [*arguments, "--region", "us-east-1", "--endpoint-url", "not a url"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: Invalid value for '--endpoint-url': Invalid endpoint: not a url"
    )
