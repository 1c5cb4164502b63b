"""The LALR parser of the grammar, without loading Lark's grammar compiler on every start.

``lark.tools.standalone`` turns the grammar (``grammar/filter_pattern.lark``, the single source
of truth) into one Python module: Lark's LALR runtime, its exceptions and tokens, and this
grammar's tables. The module is generated on first use into the user's cache folder
(``$XDG_CACHE_HOME/cwquery`` or ``~/.cache/cwquery``), named by everything it depends on (the
grammar, the installed Lark, this module, the Python version), compiled there, and imported from
there afterwards, so a start imports neither the ``lark`` package nor its grammar loader. When
the cache folder cannot be written, the module is generated in memory for the process.

Two changes to the generated text make its import quicker and change nothing else: it starts
with ``from __future__ import annotations``, and it does not import the optional ``regex``
module (see :data:`_OPTIONAL_REGEX`).

>>> runtime = lalr_runtime(("term_pattern",))
>>> tree = runtime.Lark_StandAlone().parse("ERROR -DEBUG", start="term_pattern")
>>> [token.type for token in tree.children]
['WORD', 'EXCLUDED_WORD']
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
import sys
import zlib
from types import ModuleType

GRAMMAR_FILE = "filter_pattern.lark"

#: The options the tables are built with (the transformer is given when the parser is made).
_OPTIONS = {"parser": "lalr", "lexer": "contextual", "maybe_placeholders": True}


def grammar_text() -> str:
    """The grammar, from the installed package or, in a source checkout, from ``grammar/``.

    >>> grammar_text().startswith("// CloudWatch Logs filter pattern grammar")
    True
    """
    here = os.path.dirname(os.path.realpath(__file__))
    packaged = os.path.join(here, "grammar", GRAMMAR_FILE)
    path = (
        packaged if os.path.isfile(packaged) else os.path.join(here, "..", "grammar", GRAMMAR_FILE)
    )
    with open(path, encoding="utf-8") as grammar:
        return grammar.read()


@functools.cache
def lalr_runtime(start: tuple[str, ...]) -> ModuleType:
    """The generated module for the start rules ``start``; its ``Lark_StandAlone(**options)``
    makes a parser, and it holds Lark's exception and token classes for that parser."""
    grammar = grammar_text()
    name = f"_cwquery_lalr_{_key(grammar, start)}"
    folder = _cache_folder()
    if folder is None:
        return _module_from_source(name, _generate(grammar, start))
    path = os.path.join(folder, f"{name}.py")
    if not os.path.isfile(path):
        _write(path, _generate(grammar, start))
    try:
        return _import(name, path)
    except (ImportError, SyntaxError, ValueError):  # a damaged file: made again
        _write(path, _generate(grammar, start))
        return _import(name, path)


def _key(grammar: str, start: tuple[str, ...]) -> str:
    """A name that changes whenever the generated module would: the grammar, the options,
    the installed Lark (its files' location and time), this module (how the module is made)
    and the Python version."""
    spec = importlib.util.find_spec("lark")
    origin = spec.origin if spec and spec.origin else ""
    stamps = [str(os.stat(path).st_mtime_ns) for path in (origin, __file__) if path]
    parts = (grammar, repr(sorted(_OPTIONS.items())), *start, origin, *stamps, sys.version)
    return f"{zlib.crc32('|'.join(parts).encode()):08x}"


def _cache_folder() -> str | None:
    """The user's cache folder for cwquery, made if need be; ``None`` when it cannot be."""
    root = os.environ.get("XDG_CACHE_HOME")
    if not root:
        home = os.path.expanduser("~")
        if home == "~":  # no home folder
            return None
        root = os.path.join(home, ".cache")
    folder = os.path.join(root, "cwquery")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


#: Lark's runtime imports the third-party ``regex`` module when it is installed (python-hcl2
#: installs it), only to measure the width of a terminal's regex while tables are built. The
#: generated module holds the widths already and never measures one, so it goes without: the
#: import alone costs more than the rest of the module.
_OPTIONAL_REGEX = (
    "try:\n    import regex\n    _has_regex = True\nexcept ImportError:\n    _has_regex = False\n"
)


def _generate(grammar: str, start: tuple[str, ...]) -> str:
    """The standalone module's source, from Lark's own generator."""
    from lark import Lark
    from lark.tools.standalone import gen_standalone

    # its annotations are never read, so they stay unevaluated text (a quicker import)
    out = io.StringIO("from __future__ import annotations\n\n")
    out.seek(0, io.SEEK_END)
    gen_standalone(Lark(grammar, start=list(start), **_OPTIONS), out=out)  # type: ignore[no-untyped-call]
    return out.getvalue().replace(_OPTIONAL_REGEX, "_has_regex = False\n", 1)


def _write(path: str, source: str) -> None:
    """Write the module and its bytecode (also when ``PYTHONDONTWRITEBYTECODE`` is set, since
    compiling it takes longer than everything else at start)."""
    import py_compile

    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(source)
    os.replace(temporary, path)
    py_compile.compile(path, cfile=importlib.util.cache_from_source(path), doraise=True)


def _import(name: str, path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its classes name it as their module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _module_from_source(name: str, source: str) -> ModuleType:
    module = ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module
