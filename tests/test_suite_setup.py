"""The suite's own setup (conftest.py at the root): the heavy and host-tool tests carry their
marks, a deselected file is not imported, a newcomer is told before the run what cannot run, and
the clock-ahead run refuses to start on an unmoved clock."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
HEAVY = {"pyspark", "aws_cdk", "constructs", "selenium", "cwquery.spark", "cwquery.cdk"}


def _root_conftest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def _file_marks(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            return {
                n.attr
                for n in ast.walk(node.value)
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Attribute)
            }
    return set()


def _heavy_imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "importorskip":
            names |= {
                a.value
                for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            }
    return {name for name in names if name in HEAVY or name.split(".")[0] in HEAVY}


def test_every_test_file_with_heavy_imports_is_listed_and_marked() -> None:
    needs = _root_conftest().NEEDS
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        name = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if name in needs:
            assert _file_marks(tree) == set(needs[name].marks), name
        else:
            assert not _heavy_imports(tree), f"{name} imports {_heavy_imports(tree)}: add to NEEDS"


def _pytest(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_deselected_module_is_not_collected() -> None:
    everything = _pytest("--collect-only", "-q", "cwquery/").stdout
    core = _pytest("--collect-only", "-q", "-m", "not slow", "cwquery/").stdout
    assert "cwquery/cdk.py::" in everything
    assert "cwquery/cdk.py::" not in core
    assert "cwquery/parser.py::" in core


def test_missing_host_tools_are_named_before_the_run() -> None:
    bare = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no chromium, no node
    done = _pytest("--collect-only", "-q", "-m", "host", "tests/recent.py", env=bare)
    before = done.stdout.split("tests/recent.py")[0]
    assert "tests/test_playground_browser.py (host): missing chromium, chromedriver" in before
    assert 'pytest -m "not slow and not host"' in before
    quiet = _pytest(
        "--collect-only", "-q", "-m", "not slow and not host", "tests/recent.py", env=bare
    )
    assert "cannot run here" not in quiet.stdout


def test_the_clock_ahead_run_refuses_a_clock_that_was_not_moved() -> None:
    later = str(int(time.time()) + 100 * 86_400)
    done = _pytest("-q", "tests/recent.py", env={**os.environ, "CWQUERY_TEST_CLOCK_AFTER": later})
    assert done.returncode == 4
    assert "the clock was not moved" in done.stderr
