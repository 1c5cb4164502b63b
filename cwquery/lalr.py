"""The LALR parser of the grammar, generated when the package is built.

``lark.tools.standalone`` turns the grammar (``grammar/filter_pattern.lark``, the single source
of truth) into one Python module: Lark's LALR runtime, its exceptions and tokens, and this
grammar's tables. The build (``hatch_build.py``, a hatchling hook run for a wheel and for an
editable install) writes it into the package as ``cwquery/_lalr_generated.py``; it is never
committed, since it holds Lark's own code. A start imports that module, so it imports neither
the ``lark`` package nor its grammar loader, and nothing is written at run time.

The module holds the :func:`key` of what it was made from. When it is missing, or its key is
not the grammar's (a source checkout used without reinstalling, or a grammar edited since), the
module is generated in memory for the process with the installed Lark, and never written.

Three changes to the generated text make its import quicker and change nothing else: it starts
with ``from __future__ import annotations``, it does not import the optional ``regex`` module
(see :data:`_OPTIONAL_REGEX`), nor ``pickle`` and its company (see :data:`_CACHE_IMPORTS`).

>>> tree = lalr_runtime().Lark_StandAlone().parse("ERROR -DEBUG", start="term_pattern")
>>> [token.type for token in tree.children]
['WORD', 'EXCLUDED_WORD']
"""

from __future__ import annotations

import functools
import importlib
import io
import os
import sys
import zlib
from types import ModuleType

GRAMMAR_FILE = "filter_pattern.lark"

#: The generated module's name inside the package (``hatch_build.py`` writes it).
BUILT_MODULE = "_lalr_generated"

#: The grammar's start rules, one per pattern kind (``cwquery.parser`` picks one per pattern).
START_RULES = ("json_pattern", "delimited_pattern", "regex_pattern", "term_pattern")

#: The options the tables are built with (the transformer is given when the parser is made).
_OPTIONS = {"parser": "lalr", "lexer": "contextual", "maybe_placeholders": True}

#: How :func:`generate` edits Lark's text; changed whenever it does, so that modules made the
#: old way no longer carry the current key.
_RECIPE = "3"


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


def key(grammar: str) -> str:
    """What a generated module is made from, in 16 hex digits: the grammar, the start rules,
    the options and the recipe (two checksums; ``hashlib`` would cost a start more than both).

    >>> key("a: 'x'") == key("a: 'x'") != key("a: 'y'")
    True
    """
    material = "\0".join((_RECIPE, repr(sorted(_OPTIONS.items())), *START_RULES, grammar))
    data = material.encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


@functools.cache
def lalr_runtime() -> ModuleType:
    """The generated module: the built one when it was made from the current grammar, else one
    made in memory. Its ``Lark_StandAlone(**options)`` makes a parser, and it holds Lark's
    exception and token classes for that parser."""
    grammar = grammar_text()
    built = _built_module()
    if built is not None and getattr(built, "KEY", None) == key(grammar):
        return built
    return _module_from_source(f"{_package()}._lalr_in_memory", generate(grammar))


def _package() -> str:
    return __name__.rpartition(".")[0] or "cwquery"


def _built_module() -> ModuleType | None:
    """The module the build wrote, or ``None`` when there is none (or it does not import)."""
    name = f"{_package()}.{BUILT_MODULE}"
    try:
        return importlib.import_module(name)
    except (ImportError, SyntaxError):  # not built, or damaged
        return None


#: Lark's runtime imports the third-party ``regex`` module when it is installed (python-hcl2
#: installs it), only to measure the width of a terminal's regex while tables are built. The
#: generated module holds the widths already and never measures one, so it goes without: the
#: import alone costs more than the rest of the module.
_OPTIONAL_REGEX = (
    "try:\n    import regex\n    _has_regex = True\nexcept ImportError:\n    _has_regex = False\n"
)


#: Lark's runtime imports ``pickle``, ``zlib`` and ``base64`` for its grammar cache and its
#: ``save``/``load``, which a generated parser never uses (``pickle`` and what it imports cost a
#: start a few milliseconds).
_CACHE_IMPORTS = "import pickle, zlib, base64\n"


def generate(grammar: str) -> str:
    """The generated module's source, from Lark's own generator (``lark`` must be installed).

    Its first lines record the key and Lark's version; ``mypy`` is told not to check it.
    """
    import lark
    from lark.tools.standalone import gen_standalone

    out = io.StringIO()
    out.write(
        "# mypy: ignore-errors\n"
        "# Generated from grammar/filter_pattern.lark by cwquery.lalr (see hatch_build.py).\n"
        "# Made again at every build; not to be edited or committed.\n"
        # its annotations are never read, so they stay unevaluated text (a quicker import)
        "from __future__ import annotations\n\n"
        f"KEY = {key(grammar)!r}\n"
        f"LARK_VERSION = {lark.__version__!r}\n\n"
    )
    parser = lark.Lark(grammar, start=list(START_RULES), **_OPTIONS)
    gen_standalone(parser, out=out)  # type: ignore[no-untyped-call]
    text = out.getvalue().replace(_OPTIONAL_REGEX, "_has_regex = False\n", 1)
    return text.replace(_CACHE_IMPORTS, "", 1)


def _module_from_source(name: str, source: str) -> ModuleType:
    module = ModuleType(name)
    sys.modules[name] = module  # its classes name it as their module
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module
