"""The variable values Terraform loads by itself in a root module's folder:
``terraform.tfvars``, then ``terraform.tfvars.json``, then the ``*.auto.tfvars`` and
``*.auto.tfvars.json`` files in lexical order of their names, each file overriding the ones
before it and the variables' defaults. Terraform reads them only for the root module, never
for a module it calls.

>>> import tempfile, pathlib
>>> folder = tempfile.mkdtemp()
>>> _ = pathlib.Path(folder, "terraform.tfvars").write_text('a = "x"\\nb = 1\\n')
>>> _ = pathlib.Path(folder, "b.auto.tfvars.json").write_text('{"b": 2}')
>>> values = root_values(folder)
>>> {name: (given.value, given.file) for name, given in values.items()}
{'a': ('x', 'terraform.tfvars'), 'b': (2, 'b.auto.tfvars.json')}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from cwquery.iac.hcl import read_hcl_blocks
from cwquery.iac.hcleval import EvalError, Scope, Unknown, evaluate, read_text_file
from cwquery.iac.hclexpr import parse_expression
from cwquery.iac.locate import DocumentError

__all__ = ["Given", "root_values", "variable_files"]


@dataclass(frozen=True)
class Given:
    """A variable's value from a variable file (an :class:`Unknown` when the file cannot be
    read), and the file's name."""

    value: Any
    file: str


def variable_files(folder: str) -> list[str]:
    """The names of the variable files Terraform loads in ``folder``, in loading order."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    auto = [n for n in names if n.endswith((".auto.tfvars", ".auto.tfvars.json"))]
    first = [n for n in ("terraform.tfvars", "terraform.tfvars.json") if n in names]
    return [n for n in first + auto if os.path.isfile(os.path.join(folder, n))]


def root_values(folder: str) -> dict[str, Given] | Given:
    """Each variable set by the variable files of ``folder``, with the value of the last file
    that sets it; one unknown :class:`Given` for every variable when a file cannot be read
    (Terraform would stop there)."""
    values: dict[str, Given] = {}
    for name in variable_files(folder):
        path = os.path.join(folder, name)
        try:
            found = _json_file(path) if name.endswith(".json") else _hcl_file(path)
        except (EvalError, DocumentError, ValueError, RecursionError) as err:
            reason = f"{name} cannot be read: {getattr(err, 'message', err)}"
            return Given(Unknown(reason), name)
        values.update((key, Given(value, name)) for key, value in found.items())
    return values


def _hcl_file(path: str) -> dict[str, Any]:
    source = read_text_file(path, {})
    root = read_hcl_blocks(source.text.text)
    found: dict[str, Any] = {}
    for name, place in root.attributes.items():
        scope = Scope()  # no ``var`` or ``local``: a variable file holds values only
        scope.source = source
        node = parse_expression(source.text.text, place.start, place.end)
        try:
            found[name] = evaluate(node, scope)
        except EvalError as err:
            found[name] = Unknown(f"{os.path.basename(path)}: it would not evaluate: {err}")
    return found


def _json_file(path: str) -> dict[str, Any]:
    value = json.loads(read_text_file(path, {}).text.text)
    if not isinstance(value, dict):
        raise ValueError("it is not a JSON object")
    return value
