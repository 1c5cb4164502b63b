"""``cwquery check --fix`` where the fix is not certain: the file is left byte for byte as it
was (or only its certain edits are made)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_fix import TF, cfn_yaml

from cwquery.cli import main
from cwquery.iac.fix import fix_files, fix_text

#: Patterns that are not canonical, or not patterns, written where no fix is certain.
UNCERTAIN_YAML = {
    "folded over two lines": ">-\n        {($.a=1)\n        &&($.b=2)}",
    "a literal block": "|\n        {($.a=1)}",
    "Fn::Join": "!Join ['', ['{($.a=', '1)}']]",
    "a mapping that is no pattern": "{ $.a: 1 }",
    "a tagged mapping": "!Sub { $.a = 1 }",
    "an invalid pattern": "'{ ($.a = 1 }'",
    "a reference": "!Ref Pattern",
    "a Sub with a variable": "!Sub '{($.a=${X})}'",
    "canonical over the length limit": "'{" + "||".join(f"$.a={i}" for i in range(127)) + "}'",
}


@pytest.mark.parametrize("literal", UNCERTAIN_YAML.values(), ids=UNCERTAIN_YAML.keys())
def test_uncertain_yaml_is_untouched(literal: str) -> None:
    text = cfn_yaml(literal)
    assert fix_text(text, "t.yaml") == (text, [])


UNCERTAIN_TF = {
    "a heredoc": "<<-EOT\n    {($.a=1)}\n  EOT",
    "an interpolation": '"{($.a=${var.x})}"',
    "an expression": 'format("{($.a=%s)}", "1")',
}


@pytest.mark.parametrize("expression", UNCERTAIN_TF.values(), ids=UNCERTAIN_TF.keys())
def test_uncertain_terraform_is_untouched(expression: str) -> None:
    text = TF.format(pattern=expression)
    assert fix_text(text, "main.tf") == (text, [])


def test_a_yaml_alias_is_fixed_once_for_both_sites() -> None:
    text = cfn_yaml("&p '{($.a=1)}'", "*p")
    fixed, edits = fix_text(text, "t.yaml")
    assert len(edits) == 1
    assert fixed == cfn_yaml("&p '{ $.a = 1 }'", "*p")


def test_only_the_certain_site_of_a_file_changes() -> None:
    text = cfn_yaml("!Join ['', ['{($.a=', '1)}']]", "'{($.b=2)}'", "{ $.c: 1 }")
    fixed, edits = fix_text(text, "t.yaml")
    assert len(edits) == 1
    assert fixed == cfn_yaml("!Join ['', ['{($.a=', '1)}']]", "'{ $.b = 2 }'", "{ $.c: 1 }")


def test_lone_carriage_returns(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    data = cfn_yaml("'{($.a=1)}'").replace("\n", "\r").encode()
    path.write_bytes(data)
    assert fix_files([str(path)]) == []
    assert path.read_bytes() == data


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    data = cfn_yaml("'{($.a=1)}'", "'caf\xe9'").encode("latin-1")
    path.write_bytes(data)
    assert fix_files([str(path)]) == []
    assert path.read_bytes() == data


def test_unreadable_document_is_untouched(tmp_path: Path) -> None:
    path = tmp_path / "t.template.json"
    data = b'{"Resources": {"F": {"Type": "AWS::Logs::MetricFilter", "Properties": {"FilterPa'
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["check", "--fix", str(path)])
    assert result.exit_code == 1
    assert path.read_bytes() == data


def test_bom_crlf_mode_and_symlink_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    text = cfn_yaml("'{($.a=1)}'").replace("\n", "\r\n")
    target.write_bytes(b"\xef\xbb\xbf" + text.encode())
    os.chmod(target, 0o640)
    link = tmp_path / "t.yaml"
    link.symlink_to(target)
    (done,) = fix_files([str(link)])
    assert len(done.edits) == 1
    assert link.is_symlink()
    assert (
        target.read_bytes() == b"\xef\xbb\xbf" + text.replace("{($.a=1)}", "{ $.a = 1 }").encode()
    )
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_stdin_is_never_fixed() -> None:
    result = CliRunner().invoke(main, ["check", "--fix", "-"], input="{($.a=1)}\n")
    assert result.exit_code == 0
    assert "fixed" not in result.stderr
