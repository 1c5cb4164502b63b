"""The values of Terraform expressions (:mod:`cwquery.iac.hcleval`): :class:`Unknown` for what
cannot be known without deploying, :class:`Text` for a string written somewhere as it is, and
the :class:`Scope` that says what names mean.

>>> to_string(2.0), to_string(True), shown({"a": [1]})
('2', 'true', '{"a": [1]}')
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from cwquery.errors import CWQueryError
from cwquery.iac.hclexpr import Node
from cwquery.iac.locate import Located, SourceText
from cwquery.iac.sites import Source

__all__ = [
    "MAX_FILE_BYTES",
    "EvalError",
    "Scope",
    "Text",
    "Unknown",
    "read_text_file",
    "shown",
    "to_string",
]

#: Files larger than this are not read by ``file()`` (1 MiB).
MAX_FILE_BYTES = 1 << 20
#: ``fileset`` stops after this many files.


class Unknown:
    """A value known only at plan or apply time, or that this reader does not compute."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


class EvalError(CWQueryError):
    """An expression Terraform would reject (a missing key, a wrong type): ``try`` catches it."""


class Text(str):
    """A string written as it is at ``located`` in ``source``."""

    source: Source
    located: Located

    def __new__(cls, value: str, source: Source, located: Located) -> Text:
        text = super().__new__(cls, value)
        text.source = source
        text.located = located
        return text


class Scope:
    """What names mean while evaluating: ``for`` variables here; ``var``, ``local``,
    ``each``, ``count`` and ``path`` in :meth:`reference` (subclasses). ``assumed`` collects
    the variables whose default values were used."""

    def __init__(self, names: dict[str, Any] | None = None) -> None:
        self.names: dict[str, Any] = names or {}
        self.assumed: set[str] = set()
        #: files read by ``file()``, by path
        self.sources: dict[str, Source] = {}
        #: the file the expressions being evaluated are written in
        self.source: Source | None = None

    def reference(self, root: str, attribute: str, node: Node) -> Any:
        """The value of ``root.attribute`` (``var.x``, ``each.key``…)."""
        return Unknown(f"{root}.{attribute} is known only after apply")

    def base_folder(self) -> str | None:
        """The folder relative file names are read from (the root module), if known."""
        return None

    def bound(self, names: dict[str, Any]) -> Scope:
        """This scope with ``for`` variables added (``assumed`` shared)."""
        child = self.__class__.__new__(self.__class__)
        child.__dict__.update(self.__dict__)
        child.names = {**self.names, **names}
        return child


def to_string(value: Any) -> str:
    """A value as Terraform converts it to a string.

    >>> to_string(True), to_string(2.0), to_string("x")
    ('true', '2', 'x')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return value
    raise EvalError(f"{shown(value)} is not a string")


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def shown(value: Any) -> str:
    """A value in a message."""
    if isinstance(value, Unknown):
        return "(unknown)"
    try:
        return json.dumps(value, ensure_ascii=False)[:80]
    except (TypeError, ValueError):
        return repr(value)[:80]


def read_text_file(path: str, sources: dict[str, Source]) -> Source:
    """A regular file of at most :data:`MAX_FILE_BYTES`, read once per scan."""
    found = sources.get(path)
    if found is not None:
        return found
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            raise EvalError(f"{path} is not a regular file of at most 1 MiB")
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            text = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise EvalError(f"{path} cannot be read: {err.strerror}") from None
    source = sources[path] = Source(path, SourceText(text))
    return source
