"""Coverage of JSON patterns: the events ``b`` matches, one per combination of value regions.

``b`` is walked in disjunctive normal form, one disjunct at a time (depth first over the
operands of ``&&``, an impossible start never extended). For each disjunct, every selector
of both patterns takes, in turn, each representative of its regions
(:mod:`cwquery.coverage_values`) that passes the disjunct's conditions on it; the documents
built from these choices are the models of ``b``. When every region list is exact, the
selectors read separate parts of the event, and no bound was reached (``exact``), a pattern
that matches every model matches every event ``b`` matches.

>>> from cwquery import parse
>>> models = Models(parse("{ $.a = 1 || $.a = x }"), parse("{ $.a > 0 && $.a < 2 }"), str)
>>> [message for _, message in models], models.exact
(['{"a":1.0}', '{"a":0.5}'], True)
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

import orjson

from cwquery.ast import (
    And,
    JsonCompare,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    Key,
    Node,
    Or,
    Selector,
    walk,
)
from cwquery.compiler import compile_json
from cwquery.coverage_values import (
    CONTAINER,
    Domain,
    Elements,
    filler_for,
    json_domain,
    literal_texts,
    place,
    place_elements,
    wildcard_at,
)
from cwquery.selectors import has_wildcard_step, selector_function
from cwquery.semantics import MISSING

__all__ = ["MAX_MODELS", "MAX_REGIONS", "MAX_STEPS", "Models"]

#: Documents tried for one question, over all disjuncts of ``b``, before the answer becomes
#: ``None``.
MAX_MODELS: Final = 20_000
#: Partial disjuncts of ``b``'s normal form looked at before the answer becomes ``None``.
MAX_STEPS: Final = 20_000
#: Regions of a wildcard selector's values beyond which its sets are not all tried (2**n).
MAX_REGIONS: Final = 8

Atom = JsonCompare | JsonIs | JsonNotExists
#: A partial disjunct: for each selector (by position), the bit set of its values allowed.
Masks = dict[int, int]


def atoms_of(node: Node) -> list[Atom]:
    """The conditions (leaves) of a JSON expression, in source order."""
    return [n for n in walk(node) if isinstance(n, JsonCompare | JsonIs | JsonNotExists)]


def holds_alone(atom: Atom, value: Any) -> bool:
    """``atom`` on a document where its selector reads ``value`` and nothing else is set."""
    document: dict[str, Any] = {}
    if value is not MISSING:
        put(document, atom.selector, value)
    return bool(compile_json(atom)(document))


def put(document: dict[str, Any], selector: Selector, value: Any) -> bool:
    """Place a value (or a wildcard selector's :class:`Elements`) in ``document``."""
    if isinstance(value, Elements):
        return place_elements(document, selector, value)
    return place(document, selector, value)


def _separate_wildcard(selector: Selector, selectors: Sequence[Selector]) -> bool:
    """Whether a wildcard selector reads a part of the event no other selector reads: one
    wildcard after at least one key, keys only, and a first key of its own."""
    at = wildcard_at(selector)
    if at is None or at == 0:
        return False
    if not all(isinstance(step, Key) for i, step in enumerate(selector.steps) if i != at):
        return False
    first = selector.steps[0]
    return all(other == selector or other.steps[0] != first for other in selectors)


def _reads(document: dict[str, Any], selector: Selector, value: Any) -> bool:
    held = selector_function(selector)(document)
    if value is CONTAINER:
        return type(held) in (dict, list)
    if value is MISSING:
        return held is MISSING
    return type(held) is type(value) and bool(held == value)


class Models:
    """The documents ``b`` matches, one per combination of regions of the selectors of ``a``
    and ``b``; after iteration, ``exact`` says whether they stand for every such event."""

    def __init__(self, a: JsonPattern, b: JsonPattern, match_b: Callable[[str], bool]) -> None:
        atoms_a, atoms_b = atoms_of(a.expr), atoms_of(b.expr)
        self.selectors = list(dict.fromkeys(atom.selector for atom in atoms_a + atoms_b))
        keys = [s.name for sel in self.selectors for s in sel.steps if isinstance(s, Key)]
        filler = filler_for(literal_texts(walk(a)) + literal_texts(walk(b)) + keys)
        plain = [sel for sel in self.selectors if not has_wildcard_step(sel)]
        self.laid_out = all(
            _separate_wildcard(sel, self.selectors) for sel in self.selectors if sel not in plain
        )
        paths = [sel.steps for sel in plain]
        self.independent = all(isinstance(s, Key) for p in paths for s in p) and not any(
            p != q and q[: len(p)] == p for p in paths for q in paths
        )  # with [N] steps, $.a[1] present needs $.a[0] present: no value stands for another
        position = {sel: i for i, sel in enumerate(self.selectors)}
        on: list[list[Atom]] = [[] for _ in self.selectors]
        for atom in atoms_a + atoms_b:
            on[position[atom.selector]].append(atom)
        self.domains: list[Domain] = []
        for sel, atoms in zip(self.selectors, on, strict=True):
            domain = json_domain(atoms, filler)
            self.domains.append(_subsets(atoms, domain) if sel not in plain else domain)
        self.exact = self.laid_out and all(d.exact for d in self.domains)
        # per atom (by identity: the trees keep them alive), the bit set of values passing it
        self.where = {id(atom): position[atom.selector] for atom in atoms_a + atoms_b}
        self.masks = {
            id(atom): _mask(self.domains[self.where[id(atom)]].values, atom)
            for atom in atoms_a + atoms_b
        }
        # per selector, the first value of each class of values that every condition treats
        # alike and that take the same place in a document's layout (missing, an object or
        # array, or a value that has nothing below it)
        self.firsts: list[int] = []
        for atoms, domain in zip(on, self.domains, strict=True):
            classes: dict[tuple[object, ...], int] = {}
            for index, value in enumerate(domain.values):
                layout = (
                    "missing" if value is MISSING else "container" if value is CONTAINER else ""
                )
                signature = tuple(bool(self.masks[id(atom)] >> index & 1) for atom in atoms)
                classes.setdefault((layout, *signature), index)
            self.firsts.append(sum(1 << index for index in classes.values()))
        self.expr = b.expr
        # how many conditions of b read each selector, and which selectors a reads
        self.read_by_b = Counter(self.where[id(atom)] for atom in atoms_b)
        self.read_by_a = {self.where[id(atom)] for atom in atoms_a}
        self.detached: dict[int, bool] = {}
        self.steps = 0
        self.match_b = match_b

    def __iter__(self) -> Iterator[tuple[dict[str, Any], str]]:
        budget = MAX_MODELS
        for masks in self._walk(self.expr):
            if budget <= 0:
                self.exact = False
                return
            choices = [self._choices(i, masks) for i in range(len(self.selectors))]
            size = math.prod(map(len, choices))
            if size > budget:
                self.exact = False
            taken = min(size, budget)
            budget -= max(taken, 1)
            for combination in itertools.islice(itertools.product(*choices), taken):
                document = self._document(combination)
                if document is None:
                    continue
                message = orjson.dumps(document).decode()
                if self.match_b(message):
                    yield document, message
                else:
                    self.exact = False
        if self.steps > MAX_STEPS:
            self.exact = False  # disjuncts were dropped unexamined

    def _walk(self, node: Node) -> Iterator[Masks]:
        """The disjuncts of ``node``, as masks, without impossible ones."""
        if isinstance(node, Or):
            for operand in node.operands:
                yield from self._walk(operand)
        elif isinstance(node, And):
            yield from self._extend(node.operands, 0, {})
        else:
            yield {self.where[id(node)]: self.masks[id(node)]}

    def _extend(self, operands: Sequence[Node], index: int, start: Masks) -> Iterator[Masks]:
        if index == len(operands):
            yield start
            return
        for part in self._walk(operands[index]):
            self.steps += 1
            if self.steps > MAX_STEPS:
                return
            joined = dict(start)
            for selector, mask in part.items():
                joined[selector] = joined.get(selector, -1) & mask
            if all(joined[selector] for selector in part):
                yield from self._extend(operands, index + 1, joined)
                if self._detached(operands[index]):
                    return  # one way to pass it is as good as any other

    def _detached(self, operand: Node) -> bool:
        """Whether an operand of ``&&`` reads selectors that nothing else reads: not ``a``, no
        other condition of ``b``, and no other selector through a shared key or index. Then
        which of its disjuncts an event passes changes nothing else, and one is enough."""
        if not self.independent:
            return False
        known = self.detached.get(id(operand))
        if known is None:
            inside = Counter(self.where[id(atom)] for atom in atoms_of(operand))
            known = self.detached[id(operand)] = all(
                selector not in self.read_by_a and self.read_by_b[selector] == count
                for selector, count in inside.items()
            )
        return known

    def _choices(self, selector: int, masks: Masks) -> list[Any]:
        mask = masks.get(selector, -1) & self.firsts[selector]  # one value per class
        values = self.domains[selector].values
        return [value for index, value in enumerate(values) if mask >> index & 1]

    def _document(self, combination: Sequence[Any]) -> dict[str, Any] | None:
        document: dict[str, Any] = {}
        chosen = list(zip(self.selectors, combination, strict=True))
        # longest first, so a container is made the kind (object or array) its steps need
        ordered = sorted(chosen, key=lambda pair: -len(pair[0].steps))
        placed = all(put(document, sel, v) for sel, v in ordered if v is not MISSING)
        if placed and all(
            _reads(document, sel, v) for sel, v in chosen if not has_wildcard_step(sel)
        ):
            return document
        # no event has these values: one under a key or index another selector holds as a
        # scalar, or as missing, or under an index after a missing one (arrays have no holes)
        return None

    def undecided(self) -> str:
        """Why no proof was possible, in one sentence."""
        if not self.laid_out:
            return "Wildcard selectors that share a key with another are only searched."
        return "Regexes, number-like wildcards or the size of B leave some values untried."


def _mask(values: Sequence[Any], atom: Atom) -> int:
    return sum(1 << index for index, value in enumerate(values) if holds_alone(atom, value))


def _subsets(atoms: Sequence[Atom], domain: Domain) -> Domain:
    """D8: the conditions on a wildcard selector see which regions its values fall in; one
    value per region, and every set of regions."""
    classes: dict[tuple[bool, ...], Any] = {}
    for value in domain.values:
        if value is not MISSING:
            alone = Elements((value,))
            classes.setdefault(tuple(holds_alone(atom, alone) for atom in atoms), value)
    chosen = list(classes.values())[:MAX_REGIONS]
    sets = [
        Elements(subset)
        for count in range(len(chosen) + 1)
        for subset in itertools.combinations(chosen, count)
    ]
    return Domain(sets, domain.exact and len(classes) <= MAX_REGIONS)
