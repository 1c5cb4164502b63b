"""Build hook: write the grammar's LALR parser module into the package (see cwquery/lalr.py).

It runs for a wheel and for an editable install, and writes ``cwquery/_lalr_generated.py`` into
the source tree (ignored by git, so it is added to the wheel as a build artifact). For an
editable install it also writes the module's bytecode, which the installed package would
otherwise compile on every start under ``PYTHONDONTWRITEBYTECODE``.
"""

from __future__ import annotations

import importlib.util
import os
import py_compile
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class LalrModuleHook(BuildHookInterface):  # type: ignore[type-arg]
    """Generates ``cwquery/_lalr_generated.py`` from ``grammar/filter_pattern.lark``."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        lalr = _lalr(self.root)
        path = _module_path(self.root, lalr)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(lalr.generate(lalr.grammar_text()))
        os.replace(temporary, path)
        if version == "editable":
            py_compile.compile(path, cfile=importlib.util.cache_from_source(path), doraise=True)
        build_data["artifacts"].append(f"/cwquery/{lalr.BUILT_MODULE}.py")

    def clean(self, versions: list[str]) -> None:
        path = _module_path(self.root, _lalr(self.root))
        if os.path.exists(path):
            os.remove(path)


def _lalr(root: str) -> ModuleType:
    """``cwquery/lalr.py`` by itself: importing the package would need its dependencies."""
    spec = importlib.util.spec_from_file_location(
        "cwquery_build_lalr", os.path.join(root, "cwquery", "lalr.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _module_path(root: str, lalr: ModuleType) -> str:
    return os.path.join(root, "cwquery", f"{lalr.BUILT_MODULE}.py")
