"""``cwquery.quoting``: every literal reads back, in the language's own reader, as exactly the
pattern it was made from (POSIX sh, PyYAML, python-hcl2 and the project's HCL reader, json,
and Node.js for TypeScript)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import patterns

from cwquery.cli import main
from cwquery.iac.hcl import hcl_string_at
from cwquery.iac.terraform import hcl_load
from cwquery.quoting import (
    TARGETS,
    quote_for,
    quote_hcl,
    quote_json,
    quote_sh,
    quote_ts,
    quote_yaml,
    yaml_plain_safe,
)
from cwquery.renderer import render

#: Generated patterns (valid ones, in canonical form) and arbitrary text, which also covers
#: patterns as users write them.
texts = st.one_of(patterns.map(render), st.text(max_size=40))


def read_sh(literal: str) -> str:
    """The word as ``sh`` reads it."""
    done = subprocess.run(["sh", "-c", f"printf '%s' {literal}"], capture_output=True, check=True)
    return done.stdout.decode("utf-8", "surrogateescape")


def read_yaml_value(literal: str) -> object:
    """The literal as a block mapping's value and as a flow sequence's item."""
    block = yaml.safe_load(f"FilterPattern: {literal}\n")["FilterPattern"]
    flow = yaml.safe_load(f"[{literal}]")[0]
    assert block == flow
    return block


def read_hcl(literal: str) -> str:
    """python-hcl2's value, with the template escapes ``$${``/``%%{`` (which python-hcl2 keeps
    as written and Terraform reads as ``${``/``%{``) undone; the project's HCL reader must agree."""
    text = f"pattern = {literal}\n"
    value = hcl_load(text)["pattern"]
    assert isinstance(value, str)
    undone = value.replace("$${", "${").replace("%%{", "%{")
    located = hcl_string_at(text, len("pattern = "), len(text) - 1)
    assert located is not None and located.value == undone
    return undone


class _Node:
    """One Node.js process that evaluates JavaScript literals (a TypeScript string or template
    literal is JavaScript), one JSON-encoded line in, one JSON line out."""

    _SCRIPT = (
        "const rl = require('readline').createInterface({input: process.stdin});"
        "rl.on('line', (line) => {"
        "  const value = (0, eval)('(' + JSON.parse(line) + ')');"
        "  process.stdout.write(JSON.stringify(typeof value === 'string' ? value : null) + '\\n');"
        "});"
    )

    def __init__(self, node: str) -> None:
        self.process = subprocess.Popen(
            [node, "-e", self._SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="surrogatepass",
        )

    def read(self, literal: str) -> object:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(literal) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


@pytest.fixture(scope="module")
def node() -> Iterator[_Node]:
    found = shutil.which("node") or shutil.which("nodejs")
    if found is None:
        pytest.skip("Node.js is not installed: TypeScript literals are not read back")
    reader = _Node(found)
    yield reader
    reader.close()


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("ERROR", "sh", "'ERROR'"),
        ("it's", "sh", "'it'\\''s'"),
        ("ERROR", "yaml", "ERROR"),
        ("?ERROR ?WARN", "yaml", "'?ERROR ?WARN'"),
        ("{ $.a = 1 }", "yaml", "'{ $.a = 1 }'"),
        ("[ip, user]", "yaml", "'[ip, user]'"),
        ("%ERROR%", "yaml", "'%ERROR%'"),
        ("-ERROR", "yaml", "'-ERROR'"),
        ('"ERROR" "WARN"', "yaml", '\'"ERROR" "WARN"\''),
        ("level: ERROR", "yaml", "'level: ERROR'"),
        ("ERROR #1", "yaml", "'ERROR #1'"),
        ("true", "yaml", "'true'"),
        ("404", "yaml", "'404'"),
        ("it's", "yaml", "it's"),
        ("a\u2028b", "yaml", '"a\\u2028b"'),
        ('{ $.a = "x" }', "hcl", '"{ $.a = \\"x\\" }"'),
        ("${x} %{y} $${z}", "hcl", '"$${x} %%{y} $$${z}"'),
        ("a\\b", "hcl", '"a\\\\b"'),
        ('{ $.a = "é" }', "json", '"{ $.a = \\"é\\" }"'),
        ('{ $.a = "x" }', "ts", "'{ $.a = \"x\" }'"),
        ("it's", "ts", '"it\'s"'),
        ('`it\'s` "${x}"', "ts", '`\\`it\'s\\` "\\${x}"`'),
    ],
)
def test_literals(text: str, target: str, expected: str) -> None:
    assert quote_for(text, target) == expected


def test_yaml_plain_is_used_only_where_the_reader_keeps_the_text() -> None:
    for text in ("ERROR", "Task timed out", "request_id=abc", "http://x.example/a"):
        assert yaml_plain_safe(text), text
    for text in ("a:", "yes", "null", "~", "1.5", "0x1F", "*ERROR", "&a", "!Ref x", "@a", " a"):
        assert not yaml_plain_safe(text), text


# --------------------------------------------------------------------------- round trips


@settings(max_examples=150, deadline=None)
@given(texts)
def test_sh_round_trip(text: str) -> None:
    if "\x00" in text:  # no shell word can hold NUL
        return
    assert read_sh(quote_sh(text)) == text


@settings(max_examples=300, deadline=None)
@given(texts)
def test_yaml_round_trip(text: str) -> None:
    assert read_yaml_value(quote_yaml(text)) == text


@settings(max_examples=300, deadline=None)
@given(texts)
def test_hcl_round_trip(text: str) -> None:
    assert read_hcl(quote_hcl(text)) == text


@settings(max_examples=300, deadline=None)
@given(texts)
def test_json_round_trip(text: str) -> None:
    assert json.loads(quote_json(text)) == text


@settings(max_examples=300, deadline=None)
@given(texts)
def test_ts_round_trip(node: _Node, text: str) -> None:
    assert node.read(quote_ts(text)) == text


def test_every_target_is_tested() -> None:
    assert set(TARGETS) == {"sh", "yaml", "hcl", "json", "ts"}


# --------------------------------------------------------------------------- cwquery quote


def test_quote_command_prints_the_literal() -> None:
    result = CliRunner().invoke(main, ["quote", '{ $.user = "it\'s" }', "--for", "sh"])
    assert result.exit_code == 0
    assert read_sh(result.stdout.removesuffix("\n")) == '{ $.user = "it\'s" }'


def test_quote_command_canonical_and_stdin() -> None:
    result = CliRunner().invoke(
        main, ["quote", "-", "--for", "hcl", "--canonical"], input='{($.a="${x}")}\r\n'
    )
    assert result.exit_code == 0
    assert result.stdout == '"{ $.a = \\"$${x}\\" }"\n'


def test_quote_command_refuses_an_invalid_pattern() -> None:
    result = CliRunner().invoke(main, ["quote", "{ $.a = ", "--for", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "syntax" in result.stderr
