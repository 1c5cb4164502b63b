"""``cwquery check`` on hostile files: bounded work, every file a finding, the scan goes on."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from cwquery.cli import main
from cwquery.iac.scan import scan_paths

GOOD = (
    "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n"
    "      LogGroupName: /app\n      FilterPattern: '{ $.a = 1 }'\n"
    "      MetricTransformations: [{MetricName: m, MetricNamespace: n, MetricValue: '1'}]\n"
)


def check(*args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(main, ["check", "--format", "json", *args])
    return result.exit_code, json.loads(result.stdout or "{}"), result.stderr


def codes(report: dict[str, object]) -> list[tuple[str, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [(Path(str(f["file"])).name, str(f["code"])) for f in findings]


def alias_bomb(levels: int = 9) -> str:
    lines = ["# AWS::Logs::MetricFilter", 'a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for n in range(1, levels):
        refs = ",".join([f"*a{n - 1}"] * 9)
        lines.append(f"a{n}: &a{n} [{refs}]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_as_unreadable(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(alias_bomb())
    assert len(alias_bomb().encode()) < 1024
    (tmp_path / "good.yaml").write_text(GOOD)
    code, report, _ = check(str(tmp_path))
    assert code == 1
    assert codes(report) == [("bomb.yaml", "unreadable-file")]
    [finding] = report["findings"]  # type: ignore[misc]
    assert "aliases expand" in finding["message"]  # type: ignore[has-type]
    assert report["summary"]["patterns"] == 1  # type: ignore[index]


def test_small_alias_use_is_still_read(tmp_path: Path) -> None:
    text = GOOD + "Defaults: &d {LogGroupName: /app}\nOther: [*d, *d, *d]\n"
    (tmp_path / "t.yaml").write_text(text)
    code, report, _ = check(str(tmp_path))
    assert (code, codes(report)) == (0, [])


def test_a_dangling_link_is_a_finding_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "good.yaml").write_text(GOOD)
    code, report, _ = check(str(tmp_path))
    assert code == 1
    assert codes(report) == [("dangling.yaml", "unreadable-file")]
    assert report["summary"]["patterns"] == 1  # type: ignore[index]


def test_a_symlink_loop_is_a_finding_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "good.yaml").write_text(GOOD)
    code, report, _ = check(str(tmp_path))
    assert code == 1
    assert codes(report) == [("a.yaml", "unreadable-file"), ("b.yaml", "unreadable-file")]


def test_a_fifo_named_yaml_does_not_block_the_scan(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "good.yaml").write_text(GOOD)
    code, report, _ = check(str(tmp_path))
    assert code == 1
    assert codes(report) == [("pipe.yaml", "unreadable-file")]
    assert "not a regular file (a FIFO)" in report["findings"][0]["message"]  # type: ignore[index]


def test_a_missing_path_argument_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path / "infra")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_a_bare_name_that_is_not_a_folder_gets_a_note(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", "infrastructure"])
    assert "no file or folder named 'infrastructure'" in result.stderr
    quiet = CliRunner().invoke(main, ["check", "-e", "infrastructure"])
    assert "note:" not in quiet.stderr


def test_overlapping_arguments_count_each_file_once(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    scanned = scan_paths([str(tmp_path), str(tmp_path / "good.yaml"), str(tmp_path)])
    assert (scanned.files, len(scanned.sites)) == (1, 1)
