"""The pre-commit hooks, run by the real pre-commit with ``try-repo`` (pre-commit installs this
repository into its own environment, as a user's configuration would)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
TEMPLATE = """Resources:
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: /app/prod
      FilterPattern: '%timed out {index}%'
      MetricTransformations:
        - MetricName: Timeouts{index}
          MetricNamespace: App
          MetricValue: "1"
"""

pytestmark = pytest.mark.skipif(
    not PRE_COMMIT.exists() or shutil.which("git") is None, reason="needs pre-commit and git"
)


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this repository's tracked files (tests left out, but for the compliance suite
    the package is built with), committed, for try-repo."""
    copy = tmp_path_factory.mktemp("cwquery-repo")
    files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in files:
        source = ROOT / name
        wheel_part = name.startswith("tests/compliance/")  # the wheel ships the suite
        if source.is_file() and (wheel_part or not name.startswith("tests/")):
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    _git(copy, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "hooks")
    return copy


def _try_repo(hook_repo: Path, work: Path, hook: str) -> subprocess.CompletedProcess[str]:
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(hook_repo.parent / "pre-commit-home")}
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(hook_repo), hook, "--all-files", "--verbose"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def test_the_check_hook_counts_regex_filters_across_all_files(
    hook_repo: Path, tmp_path: Path
) -> None:
    # six files, one regex filter each on the same log group: only a single process that sees
    # every file can tell that the sixth is one too many (require_serial: true)
    for index in range(6):
        (tmp_path / f"stack{index}.yaml").write_text(TEMPLATE.format(index=index))
    result = _try_repo(hook_repo, tmp_path, "cwquery-check")
    output = result.stdout + result.stderr
    assert "too-many-regex-filters" in output, output
    assert "6 filters with a regex on log group /app/prod" in output


def test_the_check_hook_fails_on_the_broken_examples(hook_repo: Path, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "infra" / "broken", tmp_path / "infra")
    result = _try_repo(hook_repo, tmp_path, "cwquery-check")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "cloudformation.yaml:12:34: syntax" in output
    assert "Failed" in output
