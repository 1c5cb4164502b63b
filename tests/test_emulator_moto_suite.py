"""moto's own CloudWatch Logs tests stay green with the emulator switched on.

moto's ``tests/test_logs`` (of the installed moto release, taken from its source distribution on
the package index at test time and cached; none of it is committed) runs twice in a subprocess:
as moto ships, and with cwquery's emulator installed for every test (tests/moto_suite_plugin.py).
Every test whose outcome changes must be listed in tests/moto_suite_differences.json with the
evidence that moto's expectation is wrong; any other change fails, and so does a listed
entry that no longer changes.

Offline: point ``CWQUERY_MOTO_SUITE`` at a folder holding moto's ``tests/`` (an unpacked sdist).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import moto
import pytest

import cwquery

SUITE_ENV = "CWQUERY_MOTO_SUITE"
DIFFERENCES = Path(__file__).parent / "moto_suite_differences.json"
PLUGIN_DIR = Path(__file__).parent
#: moto's tests import these from its ``tests`` package, next to ``test_logs``.
SUPPORT_FILES = ("__init__.py", "conftest.py", "markers.py")
#: Why a listed difference is right: ``moto-error`` (moto contradicts the service) or ``decision``
#: (the service's answer is not on record; a binding decision of the specification settles it).
#: Either way the test must change exactly as listed.
STATUSES = ("moto-error", "decision")
SUITE_TIMEOUT_S = 900
#: The markers moto's own configuration registers (its pyproject.toml is not unpacked).
MOTO_PYTEST_INI = """[pytest]
markers =
    network: requires network connection
    requires_docker: requires running docker
    aws_verified: verified against AWS
    requires_clean_slate: requires a clean slate
"""


def _pip(*arguments: str, cwd: Path) -> None:
    command = [sys.executable, "-m", "pip", *arguments]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({done.returncode}); offline, set {SUITE_ENV} to a "
            f"folder holding moto's tests/\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )


def _extract_logs_tests(sdist: Path, target: Path, version: str) -> None:
    """Unpack ``tests/{__init__,conftest,markers}.py`` and ``tests/test_logs/`` only."""
    prefix = f"moto-{version}/tests/"
    with tarfile.open(sdist) as archive:
        members = []
        for member in archive.getmembers():
            inner = member.name.removeprefix(prefix)
            if inner == member.name or not member.isfile() or ".." in Path(inner).parts:
                continue
            if inner in SUPPORT_FILES or inner.startswith("test_logs/"):
                member.name = "tests/" + inner
                members.append(member)
        if hasattr(tarfile, "data_filter"):
            archive.extractall(target, members=members, filter="data")
        else:  # pragma: no cover - Python without extraction filters; names checked above
            archive.extractall(target, members=members)
    if not (target / "tests" / "test_logs" / "test_logs.py").is_file():
        raise AssertionError(f"{sdist.name} holds no tests/test_logs/test_logs.py")


def obtain_suite(cache: Path, version: str) -> Path:
    """A folder holding the logs part of moto ``version``'s ``tests/``, fetched once."""
    given = os.environ.get(SUITE_ENV)
    if given:
        return Path(given)
    root = cache / f"moto-{version}"
    if (root / "tests" / "test_logs" / "test_logs.py").is_file():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as work:
        download = Path(work) / "download"
        _pip(
            "download", f"moto=={version}", "--no-deps", "--no-binary", ":all:",
            "-d", str(download), cwd=Path(work),
        )  # fmt: skip
        sdists = sorted(download.glob("moto-*.tar.gz"))
        assert len(sdists) == 1, f"pip download gave {sorted(p.name for p in download.iterdir())}"
        unpacked = Path(work) / "suite"
        _extract_logs_tests(sdists[0], unpacked, version)
        try:
            os.replace(unpacked, root)
        except OSError:  # another run put it there first
            if not (root / "tests" / "test_logs" / "test_logs.py").is_file():
                raise
    return root


def start_suite(
    root: Path, report: Path, extra_path: list[Path], *, emulated: bool
) -> subprocess.Popen[str]:
    """Start moto's logs tests in a subprocess that writes ``{node id: outcome}`` to ``report``."""
    ini = report.with_suffix(".ini")
    ini.write_text(MOTO_PYTEST_INI, encoding="utf-8")
    project = Path(cwquery.__file__).resolve().parent.parent
    path = [str(project), str(PLUGIN_DIR), *map(str, extra_path)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        PYTHONPATH=os.pathsep.join(path),
        TESTS_SKIP_REQUIRES_DOCKER="1",
        CWQUERY_MOTO_SUITE_EMULATOR="1" if emulated else "0",
        CWQUERY_MOTO_SUITE_REPORT=str(report),
    )
    command = [
        sys.executable, "-m", "pytest", "-c", str(ini), "--rootdir", str(root),
        "-p", "moto_suite_plugin", "-p", "no:cwquery", "-p", "no:cacheprovider",
        "-p", "no:randomly", "-q", "--no-header", "--tb=line", "-W", "ignore::DeprecationWarning",
        "tests/test_logs",
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish_suite(process: subprocess.Popen[str], report: Path) -> dict[str, str]:
    """Wait for a run started by :func:`start_suite`; its outcomes."""
    try:
        output, _ = process.communicate(timeout=SUITE_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    if not report.is_file():
        raise AssertionError(f"moto's suite did not run:\n{output[-3000:]}")
    outcomes: dict[str, str] = json.loads(report.read_text(encoding="utf-8"))
    return outcomes


def load_differences(text: str) -> dict[str, dict[str, Any]]:
    """The listed differences by node id, each checked for its fields.

    >>> load_differences('{"differences": [{"test": "t", "without": "passed", "with": "failed",'
    ...                  ' "status": "decision", "why": "w", "evidence": "e"}]}')["t"]["status"]
    'decision'
    """
    listed: dict[str, dict[str, Any]] = {}
    for entry in json.loads(text)["differences"]:
        missing = {"test", "without", "with", "status", "why", "evidence"} - set(entry)
        if missing or entry["status"] not in STATUSES or not entry["evidence"].strip():
            raise ValueError(f"moto_suite_differences.json: incomplete entry {entry}")
        if entry["test"] in listed:
            raise ValueError(f"moto_suite_differences.json lists {entry['test']} twice")
        listed[entry["test"]] = entry
    return listed


def unexplained(
    without: dict[str, str], emulated: dict[str, str], listed: dict[str, dict[str, Any]]
) -> list[str]:
    """Problems: outcome changes not listed as they happened, and stale entries.

    >>> entry = {"without": "passed", "with": "failed", "status": "moto-error"}
    >>> unexplained({"a": "passed", "b": "passed"}, {"a": "failed", "b": "failed"}, {"a": entry})
    ['b: passed without the emulator, failed with it, and not listed']
    >>> unexplained({"a": "passed"}, {"a": "passed"}, {"a": entry})
    ['listed a no longer changes (passed both ways): remove its entry']
    """
    problems = []
    for node in sorted(set(without) | set(emulated)):
        before, after = without.get(node, "absent"), emulated.get(node, "absent")
        entry = listed.get(node)
        if before == after:
            if entry is not None:
                problems.append(
                    f"listed {node} no longer changes ({before} both ways): remove its entry"
                )
            continue
        if entry is None:
            problems.append(
                f"{node}: {before} without the emulator, {after} with it, and not listed"
            )
        elif (entry["without"], entry["with"]) != (before, after):
            problems.append(
                f"{node}: {before} -> {after}, listed as {entry['without']} -> {entry['with']}"
            )
    for node in sorted(set(listed) - set(without) - set(emulated)):
        problems.append(f"listed {node} did not run")
    return problems


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    cache = tmp_path_factory.getbasetemp().parent / "cwquery-moto-suite"
    root = obtain_suite(cache, moto.__version__)
    extra: list[Path] = []  # freezegun, which moto's tests import, is in the test extra
    reports = tmp_path_factory.mktemp("moto-suite")
    # Both runs at once: each is mostly waiting on moto's own sleeps.
    plain = start_suite(root, reports / "without.json", extra, emulated=False)
    patched = start_suite(root, reports / "with.json", extra, emulated=True)
    without = finish_suite(plain, reports / "without.json")
    emulated = finish_suite(patched, reports / "with.json")
    yield without, emulated
    shutil.rmtree(reports, ignore_errors=True)


def _count(outcomes: dict[str, str], outcome: str) -> int:
    return sum(1 for value in outcomes.values() if value == outcome)


def test_moto_suite_ran_whole(outcomes: tuple[dict[str, str], dict[str, str]]) -> None:
    without, emulated = outcomes
    for name, found in (("without", without), ("with", emulated)):
        broken = [node for node, outcome in found.items() if outcome == "collection-error"]
        assert not broken, f"moto's suite {name} the emulator: collection errors {broken}"
    assert len(without) >= 100, f"only {len(without)} moto tests ran"
    assert set(without) == set(emulated)


def test_every_changed_outcome_is_a_listed_moto_error(
    outcomes: tuple[dict[str, str], dict[str, str]],
) -> None:
    without, emulated = outcomes
    listed = load_differences(DIFFERENCES.read_text(encoding="utf-8"))
    problems = unexplained(without, emulated, listed)
    summary = (
        f"moto {moto.__version__} logs tests: {len(without)} run; without the emulator "
        f"{_count(without, 'passed')} passed, {_count(without, 'failed')} failed; with it "
        f"{_count(emulated, 'passed')} passed, {_count(emulated, 'failed')} failed"
    )
    print(summary)
    assert not problems, summary + "\n" + "\n".join(problems)
