"""A short soak of the real ``cwquery ship --follow`` against the real ``cwquery emulator``:
rename and copytruncate rotations (with gzip), 5 ``kill -9`` restarts, poison lines.
Nothing may be lost, and resends stay within one batch per kill.

The long run is ``python benchmarks/ship_soak.py`` (the same code, more lines and kills).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "ship_soak.py"


def load_soak() -> Any:
    spec = importlib.util.spec_from_file_location("ship_soak", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ship_soak"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_rotations_and_kills_lose_nothing_and_resend_at_most_a_batch_per_kill(
    tmp_path: Path,
) -> None:
    soak = load_soak()
    figures = soak.soak(tmp_path, lines=2_500, kills=5, seconds=10.0, every=250, batch=20, seed=5)
    report = figures.text()
    assert figures.kills >= 5, report
    assert figures.rotations["rename"] >= 2 and figures.rotations["copytruncate"] >= 2, report
    assert figures.lost == 0, report
    assert figures.duplicated <= figures.bound, report
    assert figures.loss_warnings == [], report
    assert figures.dead_letters >= figures.poison > 0, report
