"""A Terraform module (the ``.tf`` files of one folder) as far as it can be evaluated without
deploying: its ``locals``, its variables' defaults (or the literal inputs a calling ``module``
block gives them; for the root module, the values of its variable files override the
defaults: :mod:`cwquery.iac.tfvars`), and each resource's ``for_each`` or ``count`` instances
(:func:`resource_instances`, with ``each.key``/``each.value`` or ``count.index`` bound).

>>> import tempfile, pathlib
>>> folder = tempfile.mkdtemp()
>>> _ = pathlib.Path(folder, "main.tf").write_text(
...     'locals {\\n  m = { a = "x" }\\n}\\n'
...     'resource "t" "n" {\\n  for_each = local.m\\n  p = each.value\\n}\\n')
>>> module = load_module(folder)
>>> [(i.address, evaluate_attribute(i, "p")[0]) for i in resource_instances(module, "t", "n")]
[('t.n["a"]', 'x')]
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cwquery.iac.hcl import HclAttribute, HclBlock, read_hcl_blocks
from cwquery.iac.hcleval import EvalError, Scope, Unknown, evaluate, read_text_file
from cwquery.iac.hclexpr import Conditional, Node, parse_expression
from cwquery.iac.hclfunctions import repository_of
from cwquery.iac.locate import DocumentError
from cwquery.iac.sites import Source
from cwquery.iac.tfvars import Given, root_values

__all__ = [
    "Instance",
    "ModuleScope",
    "TfModule",
    "alternatives",
    "assumed_note",
    "block_instances",
    "evaluate_attribute",
    "load_module",
    "local_module_calls",
    "resource_instances",
]

#: ``module`` block arguments that are not inputs of the module.
_META = frozenset(("source", "version", "providers", "depends_on", "count", "for_each"))
#: Modules calling modules are followed this deep.
MAX_MODULE_DEPTH = 4
#: Values one expression can take (branches of conditionals not known here), at most.
MAX_BRANCHES = 16


@dataclass
class TfFile:
    """One ``.tf`` file and its blocks."""

    source: Source
    root: HclBlock


@dataclass
class TfModule:
    """The files of one folder, with its variables and locals found."""

    folder: str
    files: list[TfFile]
    variables: dict[str, tuple[TfFile, HclBlock]] = field(default_factory=dict)
    locals: dict[str, tuple[TfFile, HclAttribute]] = field(default_factory=dict)
    #: files read by ``file()`` while evaluating, by path
    sources: dict[str, Source] = field(default_factory=dict)
    #: values of its variable files when it is the root module (read when first needed)
    given: dict[str, Given] | Given | None = None

    def resources(self) -> Iterator[tuple[TfFile, HclBlock]]:
        """``resource`` blocks, file by file."""
        for file in self.files:
            for block in file.root.blocks:
                if block.type == "resource" and len(block.labels) == 2:
                    yield file, block


def load_module(folder: str, given: TfFile | None = None) -> TfModule:
    """The module in ``folder``; ``given`` is a file already read (its text may differ from the
    disk). Files that cannot be read are left out (what they define is unknown)."""
    files: list[TfFile] = []
    given_path = os.path.realpath(given.source.path) if given and given.source.path else None
    names = sorted(os.listdir(folder)) if folder and os.path.isdir(folder) else []
    for name in names:
        path = os.path.join(folder, name)
        if not name.endswith(".tf") or not os.path.isfile(path):
            continue
        if given_path is not None and os.path.realpath(path) == given_path:
            continue
        file = _read_file(path)
        if file is not None:
            files.append(file)
    if given is not None:
        files.append(given)
    module = TfModule(folder, files)
    for file in files:
        for block in file.root.blocks:
            if block.type == "variable" and len(block.labels) == 1:
                module.variables[block.labels[0]] = (file, block)
            elif block.type == "locals":
                for name, attribute in block.attributes.items():
                    module.locals[name] = (file, attribute)
    return module


#: Files read by :func:`load_module`, by path and stamp (each file of a folder reads the others).
_READ: dict[tuple[str, int, int], TfFile | None] = {}


def _read_file(path: str) -> TfFile | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    key = (os.path.realpath(path), info.st_mtime_ns, info.st_size)
    if key not in _READ:
        if len(_READ) > 512:
            _READ.clear()
        try:
            source = read_text_file(path, {})
            _READ[key] = TfFile(source, read_hcl_blocks(source.text.text))
        except (EvalError, DocumentError):
            _READ[key] = None
    return _READ[key]


class ModuleScope(Scope):
    """Names in a module: ``var`` (inputs, else the root module's variable files, else
    defaults), ``local``, ``each``,
    ``count.index``, ``path.module`` and ``path.root``."""

    def __init__(
        self,
        module: TfModule,
        *,
        inputs: dict[str, tuple[Any, frozenset[str]]] | None = None,
        root_folder: str | None = None,
        address: str = "",
        depth: int = 0,
    ) -> None:
        super().__init__()
        self.module = module
        self.inputs = inputs or {}
        self.root_folder = module.folder if root_folder is None else root_folder
        self.address = address
        self.depth = depth
        self.each: tuple[Any, Any] | None = None
        self.count: int | None = None
        self.sources = module.sources
        self._locals: dict[str, tuple[Any, frozenset[str]] | None] = {}

    def base_folder(self) -> str | None:
        return self.root_folder or "."

    def fresh(self, source: Source | None) -> ModuleScope:
        """This module's scope for an expression in ``source``: no ``for`` names, no
        ``each``, its own ``assumed``; locals shared."""
        child = self.bound({})
        assert isinstance(child, ModuleScope)
        child.names, child.assumed, child.source = {}, set(), source
        child.each = child.count = None
        return child

    def reference(self, root: str, attribute: str, node: Node) -> Any:
        if root == "var":
            return self._variable(attribute)
        if root == "local":
            return self._local(attribute)
        if root == "each":
            if self.each is None or attribute not in ("key", "value"):
                return Unknown(f"each.{attribute} is not known here")
            return self.each[0] if attribute == "key" else self.each[1]
        if root == "count" and attribute == "index" and self.count is not None:
            return self.count
        if root == "path" and attribute == "module":  # as Terraform gives it: from the root
            return os.path.relpath(self.module.folder or ".", self.root_folder or ".")
        if root == "path" and attribute == "root":
            return "."
        return Unknown(f"{root}.{attribute} is known only after apply")

    def _variable(self, name: str) -> Any:
        if name in self.inputs:
            value, assumed = self.inputs[name]
            self.assumed |= assumed
            return value
        found = self.module.variables.get(name)
        if found is None:
            return Unknown(f"var.{name} is not declared")
        if self.depth == 0:  # the root module: its variable files set values
            given = self._given(name)
            if given is not None:
                if not isinstance(given.value, Unknown):
                    self.assumed.add(f"var.{name} from {given.file}")
                return given.value
        file, block = found
        place = block.attributes.get("default")
        if place is None:
            return Unknown(f"var.{name} has no default value")
        value = _evaluated(file, place, self.fresh(file.source))
        if not isinstance(value, Unknown):
            self.assumed.add(f"var.{name}")
        return value

    def _given(self, name: str) -> Given | None:
        if self.module.given is None:
            folder = self.module.folder
            self.module.given = root_values(folder) if folder and os.path.isdir(folder) else {}
        given = self.module.given
        return given if isinstance(given, Given) else given.get(name)

    def _local(self, name: str) -> Any:
        if name in self._locals:
            cached = self._locals[name]
            if cached is None:
                return Unknown(f"local.{name} refers to itself")
            value, assumed = cached
            self.assumed |= assumed
            return value
        found = self.module.locals.get(name)
        if found is None:
            return Unknown(f"local.{name} is not defined")
        self._locals[name] = None
        file, place = found
        inner = self.fresh(file.source)
        value = _evaluated(file, place, inner)
        self._locals[name] = (value, frozenset(inner.assumed))
        self.assumed |= inner.assumed
        return value


def _evaluated(file: TfFile, place: HclAttribute, scope: Scope) -> Any:
    try:
        node = parse_expression(file.source.text.text, place.start, place.end)
    except DocumentError as err:
        return Unknown(f"an expression cannot be read: {err.message}")
    return _value(node, scope)


def _value(node: Node, scope: Scope) -> Any:
    try:
        return evaluate(node, scope)
    except EvalError as err:
        return Unknown(f"it would not evaluate: {err}")
    except RecursionError:
        return Unknown("it is nested too deeply")


@dataclass
class Instance:
    """One instance of a resource: its address, the block, the scope with ``each`` or
    ``count`` bound, and how it was found (notes: conditions assumed)."""

    address: str
    file: TfFile
    block: HclBlock
    scope: ModuleScope
    notes: tuple[str, ...] = ()
    #: why the instances cannot be known (then this is the only one, without ``each``)
    unresolved: str | None = None


def resource_instances(
    module: TfModule, kind: str, name: str, scope: ModuleScope | None = None
) -> Iterator[Instance]:
    """The instances of ``resource "kind" "name"``: one per ``for_each`` key or ``count``
    index where these are known; one :attr:`Instance.unresolved` instance where not."""
    scope = scope or ModuleScope(module)
    for file, block in module.resources():
        if block.labels == (kind, name):
            yield from block_instances(file, block, scope)


def block_instances(file: TfFile, block: HclBlock, scope: ModuleScope) -> Iterator[Instance]:
    """The instances of one resource block (see :func:`resource_instances`)."""
    base = f"{scope.address}{block.labels[0]}.{block.labels[1]}"
    meta = "for_each" if "for_each" in block.attributes else "count"
    place = block.attributes.get(meta)
    if place is None:
        yield Instance(base, file, block, scope.fresh(file.source))
        return
    outer = scope.fresh(file.source)
    try:
        node = parse_expression(file.source.text.text, place.start, place.end)
    except DocumentError as err:
        yield Instance(base, file, block, outer, unresolved=f"{meta}: {err.message}")
        return
    for value, notes, assumed in alternatives(node, outer):
        if isinstance(value, Unknown):
            reason = f"{meta} is computed at deploy time ({value.reason})"
            yield Instance(base, file, block, outer, notes, reason)
            continue
        keys = _keys(meta, value)
        if isinstance(keys, str):
            yield Instance(base, file, block, outer, notes, f"{meta}: {keys}")
            continue
        if not keys and assumed:
            used = assumed_note(assumed).removeprefix("checked ")
            reason = f"{meta} is empty {used}: no resource is made unless a caller gives one"
            yield Instance(base, file, block, outer, notes, reason)
        for key, item in keys:
            inner = scope.fresh(file.source)
            inner.assumed |= assumed
            if meta == "count":
                inner.count = key
                suffix = f"[{key}]" if len(keys) > 1 else ""  # one instance: named once
            else:
                inner.each = (key, item)
                suffix = f"[{json.dumps(key, ensure_ascii=False)}]"
            yield Instance(base + suffix, file, block, inner, notes)


#: A ``count`` above this is not expanded (the resource stays unresolved).
MAX_COUNT = 10_000


def _keys(meta: str, value: Any) -> list[tuple[Any, Any]] | str:
    if meta == "count":
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            return "count is not a whole number"  # ``not >=`` also refuses NaN
        if value > MAX_COUNT:
            return f"count is above {MAX_COUNT}: its instances are not expanded"
        if value != int(value):
            return "count is not a whole number"
        return [(index, index) for index in range(int(value))]
    if isinstance(value, dict):
        return [(key, value[key]) for key in sorted(value)]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [(item, item) for item in sorted(set(value))]
    return "for_each is neither a map nor a set of strings"


def alternatives(node: Node, scope: Scope) -> list[tuple[Any, tuple[str, ...], frozenset[str]]]:
    """``(value, notes, assumed)`` for each value the expression can take: one, unless it is a
    conditional whose condition is not known here, when each branch is one (an empty
    collection, which makes nothing, is left out)."""
    if isinstance(node, Conditional):
        test = _value(node.test, scope)
        if isinstance(test, Unknown):
            condition = (
                scope.source.text.text[node.test.start : node.test.end]
                if (scope.source)
                else "the condition"
            )
            found, empty = [], []
            for branch, truth in ((node.yes, "true"), (node.no, "false")):
                for value, notes, assumed in alternatives(branch, scope):
                    note = f"when {' '.join(condition.split())} is {truth}"
                    if isinstance(value, dict | list) and not value:
                        empty.append((value, notes, assumed))
                    else:
                        found.append((value, (note, *notes), assumed))
            if len(found) > MAX_BRANCHES:
                reason = f"a conditional with more than {MAX_BRANCHES} branches is not followed"
                return [(Unknown(reason), (), frozenset(scope.assumed))]
            return found or [({}, (), frozenset().union(*(a for _, _, a in empty)))]
    value = _value(node, scope)
    return [(value, (), frozenset(scope.assumed))]


def evaluate_attribute(instance: Instance, name: str, block: HclBlock | None = None) -> Any:
    """``(value, assumed)`` of an attribute of the instance (or of a nested ``block``):
    ``(None, …)`` when absent."""
    place = (block or instance.block).attributes.get(name)
    if place is None:
        return None, frozenset()
    scope = instance.scope.bound({})
    scope.assumed = set(instance.scope.assumed)
    value = _evaluated(instance.file, place, scope)
    return value, frozenset(scope.assumed)


def assumed_note(assumed: frozenset[str] | set[str]) -> str:
    """``checked with the default value(s) of var.a, var.b`` (and ``var.c from
    terraform.tfvars`` for a value of a variable file)."""
    names = sorted(n for n in assumed if " from " not in n)
    plural = "s" if len(names) > 1 else ""
    parts = [f"the default value{plural} of {', '.join(names)}"] if names else []
    parts += sorted(n for n in assumed if " from " in n)
    return f"checked with {', '.join(parts)}"


def local_module_calls(
    module: TfModule, scope: ModuleScope, files: list[TfFile] | None = None
) -> Iterator[tuple[str, TfModule, ModuleScope]]:
    """``(name, callee, callee's scope)`` for each ``module`` block of ``module`` whose
    ``source`` is a folder of the same repository (``./…`` or ``../…``), its inputs evaluated
    in the caller (and the defaults that decide its ``count`` of 1 as their own); a block with
    ``for_each``, or a ``count`` other than 1, is not followed."""
    if scope.depth >= MAX_MODULE_DEPTH:
        return
    for file in module.files if files is None else files:
        for block in file.root.blocks:
            if block.type != "module" or len(block.labels) != 1:
                continue
            caller = scope.fresh(file.source)
            if "for_each" in block.attributes or not _made(file, block, caller):
                continue
            source = (
                _evaluated(file, block.attributes["source"], caller)
                if ("source" in block.attributes)
                else None
            )
            if not isinstance(source, str) or not source.startswith(("./", "../")):
                continue
            folder = os.path.normpath(os.path.join(module.folder or ".", source))
            if not os.path.isdir(folder) or not _in_repository(folder, scope):
                continue
            inputs: dict[str, tuple[Any, frozenset[str]]] = {}
            made = frozenset(caller.assumed)
            for name, place in block.attributes.items():
                if name in _META:
                    continue
                inner = scope.fresh(file.source)
                value = _evaluated(file, place, inner)
                inputs[name] = (value, frozenset(inner.assumed) | made)
            callee = load_module(folder)
            callee.sources = module.sources
            address = f"{scope.address}module.{block.labels[0]}."
            callee_scope = ModuleScope(
                callee,
                inputs=inputs,
                root_folder=scope.root_folder,
                address=address,
                depth=scope.depth + 1,
            )
            yield block.labels[0], callee, callee_scope


def _in_repository(folder: str, scope: ModuleScope) -> bool:
    """Whether a module folder lies in the root module's repository (as ``file()`` reads)."""
    root = repository_of(scope.base_folder() or ".")
    return os.path.commonpath([os.path.realpath(folder), root]) == root


def _made(file: TfFile, block: HclBlock, scope: ModuleScope) -> bool:
    """Whether a ``module`` block makes its module once: no ``count``, or a ``count`` of 1
    (with the defaults it uses recorded in ``scope``)."""
    place = block.attributes.get("count")
    count = None if place is None else _evaluated(file, place, scope)
    return place is None or (count == 1 and not isinstance(count, bool))
