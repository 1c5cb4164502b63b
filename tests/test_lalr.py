"""The LALR parser module (cwquery.lalr): written into the package at build time and imported
from there without the ``lark`` package; made in memory, never on disk, when it is missing,
damaged or made from another grammar. The run-time cases use a copy of the package in a fresh
interpreter whose home and cache folders are empty, and check that they stay empty."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import cwquery
from cwquery import lalr, parser
from cwquery.cli.conformance import DEFAULT_CASES, load_cases

PACKAGE = Path(cwquery.__file__).parent
BUILT = PACKAGE / f"{lalr.BUILT_MODULE}.py"

RUN = """
import json, sys
import cwquery.cli
from cwquery.errors import PatternSyntaxError
from cwquery.lalr import lalr_runtime
tree = str(cwquery.parse('{ $.a = 1 && $.b NOT EXISTS }'))
try:
    cwquery.parse('{ $.a = }')
except PatternSyntaxError as err:
    error = str(err)
try:
    cwquery.cli.main(["test", "-q", "{ $.a = 1 }", sys.argv[1]], prog_name="cwquery")
except SystemExit:
    pass
print(json.dumps({"tree": tree, "error": error, "runtime": lalr_runtime().__name__,
                  "modules": sorted(sys.modules)}))
"""

EXPECTED_TREE = "{ $.a = 1 && $.b NOT EXISTS }"


def package_copy(root: Path, built: str | None) -> Path:
    """The package and its grammar under ``root/src``, with ``built`` as the built module."""
    source = root / "src"
    shutil.copytree(
        PACKAGE,
        source / "cwquery",
        ignore=shutil.ignore_patterns("__pycache__", f"{lalr.BUILT_MODULE}.py"),
    )
    shutil.copytree(PACKAGE.parent / "grammar", source / "grammar")
    if built is not None:
        (source / "cwquery" / f"{lalr.BUILT_MODULE}.py").write_text(built, encoding="utf-8")
    return source


def files_under(folder: Path) -> dict[str, int]:
    return {str(path.relative_to(folder)): path.stat().st_mtime_ns for path in folder.rglob("*")}


def run(root: Path, built: str | None) -> dict[str, object]:
    """Parse, fail to parse and run ``cwquery test`` from a package copy; check that nothing
    was written under the home folder, the cache folder or the package."""
    source = package_copy(root, built)
    home, cache = root / "home", root / "cache"
    home.mkdir()
    cache.mkdir()
    logs = root / "app.log"
    logs.write_text('{"a": 1}\n', encoding="utf-8")
    before = files_under(source)
    environment = {
        **os.environ,
        "PYTHONPATH": str(source),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(cache),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(logs)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=environment,
        cwd=root,
    )
    assert list(home.rglob("*")) == []
    assert list(cache.rglob("*")) == []
    assert files_under(source) == before
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    assert result["tree"] == EXPECTED_TREE
    assert "^" in str(result["error"])
    return result


def loaded(modules: object, package: str) -> bool:
    assert isinstance(modules, list)
    return any(name == package or name.startswith(package + ".") for name in modules)


def test_the_built_module_is_imported_without_lark(tmp_path: Path) -> None:
    result = run(tmp_path, lalr.generate(lalr.grammar_text()))
    assert result["runtime"] == f"cwquery.{lalr.BUILT_MODULE}"
    assert not loaded(result["modules"], "lark")
    # nor the third-party regex module, which Lark's runtime would import only to measure
    # terminals while building tables (cwquery.lalr._OPTIONAL_REGEX), nor pickle, which it
    # would import for its grammar cache (cwquery.lalr._CACHE_IMPORTS)
    assert not loaded(result["modules"], "regex")
    assert not loaded(result["modules"], "pickle")
    for name in ("multiprocessing", "cwquery.explanation"):
        assert not loaded(result["modules"], name), name


def test_without_a_built_module_it_is_made_in_memory(tmp_path: Path) -> None:
    result = run(tmp_path, None)
    assert result["runtime"] == "cwquery._lalr_in_memory"


def test_a_module_built_from_another_grammar_is_not_used(tmp_path: Path) -> None:
    grammar = lalr.grammar_text()
    other = grammar.replace('"NOT" "EXISTS"', '"NOT" "THERE"')
    assert other != grammar
    result = run(tmp_path, lalr.generate(other))  # its tables cannot read NOT EXISTS
    assert result["runtime"] == "cwquery._lalr_in_memory"


def test_a_damaged_built_module_is_not_used(tmp_path: Path) -> None:
    result = run(tmp_path, "def broken(:\n")
    assert result["runtime"] == "cwquery._lalr_in_memory"


def reading(runtime: ModuleType, text: str) -> object:
    """What the module's parser makes of a pattern: its tree, or the kind and place of its
    error (raw Lark trees, so that no transformer hides a difference)."""
    stripped = text.strip()
    start = parser._START_RULES.get(stripped[:1], parser._DEFAULT_START)

    def shape(node: object) -> object:
        if isinstance(node, runtime.Token):
            return (node.type, str(node), node.start_pos)
        if isinstance(node, runtime.Tree):
            return (str(node.data), [shape(child) for child in node.children])
        return repr(node)

    try:
        return shape(runtime.Lark_StandAlone().parse(text, start=start))
    except runtime.UnexpectedInput as err:
        return (type(err).__name__, err.pos_in_stream, sorted(getattr(err, "expected", ())))


def module(name: str, text: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    made = ModuleType(name)
    monkeypatch.setitem(sys.modules, name, made)  # its dataclasses look their module up
    exec(compile(text, f"<{name}>", "exec"), made.__dict__)
    return made


def test_the_built_module_matches_the_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    """The module the build wrote into this package (by an install or an editable install) is
    there, was made from today's grammar, and reads every compliance pattern as a module
    generated again from the grammar does (the text itself differs: Lark numbers states in
    hash order)."""
    reinstall = "install the package again (pip install -e .) to build it"
    assert BUILT.is_file(), f"no parser module at {BUILT}: {reinstall}"
    built = module("cwquery_lalr_built", BUILT.read_text(encoding="utf-8"), monkeypatch)
    assert lalr.key(lalr.grammar_text()) == built.KEY, f"{BUILT} is stale: {reinstall}"
    fresh = module("cwquery_lalr_fresh", lalr.generate(lalr.grammar_text()), monkeypatch)
    patterns = sorted({case.pattern for case in load_cases([DEFAULT_CASES])})
    assert len(patterns) > 300
    for text in patterns:
        assert reading(built, text) == reading(fresh, text), text


def test_the_key_follows_what_the_module_is_made_from() -> None:
    grammar = lalr.grammar_text()
    assert lalr.key(grammar) == lalr.key(grammar)
    assert lalr.key(grammar) != lalr.key(grammar + "\n")
    assert f"KEY = {lalr.key(grammar)!r}" in lalr.generate(grammar)


def test_the_module_holds_every_start_rule_the_parser_picks() -> None:
    assert {*parser._START_RULES.values(), parser._DEFAULT_START} == set(lalr.START_RULES)
