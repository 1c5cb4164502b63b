"""``cwquery quote`` and :mod:`cwquery.quoting` on input that breaks naive quoting: every
character class a reader treats specially, bytes that are not UTF-8, over-long patterns."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner
from test_quoting import read_hcl, read_sh, read_yaml_value

from cwquery.cli import main
from cwquery.quoting import quote_hcl, quote_json, quote_sh, quote_yaml

#: Text each reader gives a meaning to: YAML indicators at the start, comment and mapping marks,
#: YAML 1.1 booleans and numbers, line breaks YAML folds (NEL, LS, PS), a BOM, control and C1
#: characters, HCL template marks, shell quotes and expansions, astral characters.
NASTY = [
    *(f"{c}x" for c in "-?:,[]{}#&*!|>'\"%@`"),
    "a: b",
    "a #b",
    "a:",
    "Yes",
    "off",
    "0o17",
    ".inf",
    "1e3",
    "~",
    "<<",
    "=",
    "a\x85b",
    "a\u2028b\u2029c",
    "\ufeffERROR",
    "a\x00b\x07c\x1bd\x7fe\x9ff",
    "  lead and trail  ",
    "\t",
    "${x} %{y} $${z} %%{w} $$$${v}",
    "\\${x}",
    "'\"'\"'",
    "$(rm -rf /) `id` $HOME !! \\",
    "😀 \U0010fffd",
    "",
]


@pytest.mark.parametrize("text", NASTY)
def test_nasty_text_round_trips(text: str) -> None:
    assert read_yaml_value(quote_yaml(text)) == text
    assert read_hcl(quote_hcl(text)) == text
    assert json.loads(quote_json(text)) == text
    if "\x00" not in text:
        assert read_sh(quote_sh(text)) == text


def test_yaml_literal_is_one_line() -> None:
    for text in NASTY:
        literal = quote_yaml(text)
        assert "\n" not in literal and "\r" not in literal, text
        assert yaml.safe_load(f"- {literal}\n- after\n") == [text, "after"]


@pytest.mark.parametrize("data", [b"\xff\xfe ERROR", b'"\xff"', b'{ $.a = "\xc3" }'])
def test_stdin_that_is_not_utf8_is_refused(data: bytes) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cwquery", "quote", "-", "--for", "yaml"],
        input=data,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.startswith(b"error: ") or result.stderr.startswith(b"syntax: ")


def test_over_long_pattern_is_refused() -> None:
    result = CliRunner().invoke(main, ["quote", "-", "--for", "yaml"], input="y" * 200_000)
    assert result.exit_code == 2
    assert result.stderr.startswith("limit:")


def test_empty_pattern_is_an_empty_literal() -> None:
    outputs = [
        CliRunner().invoke(main, ["quote", "", "--for", target]).stdout
        for target in ("sh", "yaml", "hcl", "json", "ts")
    ]
    assert outputs == ["''\n", "''\n", '""\n', '""\n', "''\n"]
