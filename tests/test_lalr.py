"""The generated LALR runtime (cwquery.lalr): made once into the cache folder, then imported
from there without the ``lark`` package; made again when damaged; in memory when the cache
folder cannot be written. Each case runs in a fresh interpreter with its own cache folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cwquery import lalr

RUN = """
import json, sys
import cwquery
from cwquery.errors import PatternSyntaxError
tree = str(cwquery.parse('{ $.a = 1 && $.b IS TRUE }'))
try:
    cwquery.parse('{ $.a = }')
except PatternSyntaxError as err:
    error = str(err)
print(json.dumps({"tree": tree, "error": error, "modules": sorted(sys.modules)}))
"""


def run(cache: Path, **env: str) -> dict[str, object]:
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache), **env}
    done = subprocess.run(
        [sys.executable, "-c", RUN],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=environment,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def generated(cache: Path) -> list[Path]:
    return sorted((cache / "cwquery").glob("_cwquery_lalr_*.py"))


def loaded(modules: object, package: str) -> bool:
    assert isinstance(modules, list)
    return any(name == package or name.startswith(package + ".") for name in modules)


def test_made_once_then_imported_without_lark(tmp_path: Path) -> None:
    first = run(tmp_path, PYTHONDONTWRITEBYTECODE="1")
    assert first["tree"] == "{ $.a = 1 && $.b IS TRUE }"
    assert "^" in str(first["error"])
    [module] = generated(tmp_path)
    # the bytecode is written even when Python is told not to write any
    assert list((module.parent / "__pycache__").glob(module.stem + ".*.pyc"))
    written = module.stat().st_mtime_ns
    second = run(tmp_path)
    assert (second["tree"], second["error"]) == (first["tree"], first["error"])
    assert not loaded(second["modules"], "lark")
    # nor the third-party regex module, which Lark's runtime would import only to measure
    # terminals while building tables (cwquery.lalr._OPTIONAL_REGEX)
    assert not loaded(second["modules"], "regex")
    assert module.stat().st_mtime_ns == written
    assert generated(tmp_path) == [module]


def test_a_damaged_module_is_made_again(tmp_path: Path) -> None:
    first = run(tmp_path)
    [module] = generated(tmp_path)
    for pyc in (module.parent / "__pycache__").glob("*.pyc"):
        pyc.unlink()
    module.write_text("def broken(:\n", encoding="utf-8")
    again = run(tmp_path)
    assert (again["tree"], again["error"]) == (first["tree"], first["error"])
    assert "Lark_StandAlone" in module.read_text(encoding="utf-8")


def test_an_unwritable_cache_folder_still_parses(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    result = run(not_a_folder)
    assert result["tree"] == "{ $.a = 1 && $.b IS TRUE }"
    assert "^" in str(result["error"])


def test_the_name_follows_the_grammar_and_the_start_rules() -> None:
    grammar = lalr.grammar_text()
    name = lalr._key(grammar, ("term_pattern",))
    assert name == lalr._key(grammar, ("term_pattern",))
    assert name != lalr._key(grammar + "\n", ("term_pattern",))
    assert name != lalr._key(grammar, ("term_pattern", "json_pattern"))
