"""Does pattern ``a`` cover pattern ``b``: does ``a`` match every event that ``b`` matches?

:func:`covers` answers ``True`` only with a proof, ``False`` only with a counter-example (a
message ``b`` matches and ``a`` does not, checked by both matchers before it is returned), and
``None`` when neither was found. The proofs:

* term patterns (D26: substrings of the raw text): a clause of ``b`` is covered by a clause of
  ``a`` whose required terms each lie inside a required term of ``b`` and whose excluded terms
  each hold an excluded term of ``b``; otherwise the required terms of ``b`` joined by a
  character no term holds (plus the offending excluded term of ``a``) are a counter-example;
* JSON patterns: ``b`` in disjunctive normal form; for each disjunct, one value per region of
  every selector (:mod:`cwquery.coverage_values`) is tried in a document, so when the regions
  are exact and the selectors keys (or wildcards over a part of the event no other selector
  reads, D8: every set of regions is tried), no counter-example means none exists;
* delimited patterns with the same fields and ``...``: slot by slot, on token values.

Everything else (regexes, array indexes, mixed kinds) is searched for a counter-example
from both patterns' literals and ``b``'s models (a JSON value written with ``\\u`` escapes
matches a JSON condition and not the term): ``False`` when one verifies, else ``None``.

>>> covers('{ $.a = 1 || $.b = "x" }', '{ $.a = 1 && $.c NOT EXISTS }').holds
True
>>> result = covers("ERROR", '{ $.level = "ERROR" }')
>>> result.holds, json.loads(result.counterexample), "ERROR" in result.counterexample
(False, {'level': 'ERROR'}, False)
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from cwquery.ast import (
    And,
    DelimitedPattern,
    EllipsisField,
    Field,
    FieldCompare,
    JsonCompare,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    Key,
    MatchAll,
    Node,
    Or,
    Pattern,
    Selector,
    TermPattern,
    walk,
)
from cwquery.compiler import compile, compile_field_condition, compile_json
from cwquery.coverage_values import (
    CONTAINER,
    Domain,
    Elements,
    filler_for,
    json_domain,
    literal_texts,
    place,
    place_elements,
    token_domain,
    wildcard_at,
)
from cwquery.delimited import FieldLayout, split_tokens
from cwquery.normalizer import normalize
from cwquery.parser import parse
from cwquery.selectors import has_wildcard_step, selector_function
from cwquery.semantics import MISSING, term_groups

__all__ = ["Coverage", "covers"]

#: Documents tried for one question, over all disjuncts of ``b``, before the answer becomes
#: ``None``.
MAX_MODELS: Final = 20_000
#: Disjuncts of ``b``'s normal form beyond which no proof is attempted.
MAX_DISJUNCTS: Final = 1024
#: Regions of a wildcard selector's values beyond which its sets are not all tried (2**n).
MAX_REGIONS: Final = 8
#: Models of ``b`` the counter-example search writes out in several spellings.
_SEARCHED_MODELS: Final = 200

Matches = Callable[[str], bool]


@dataclass(frozen=True)
class Coverage:
    """The answer of :func:`covers`.

    ``holds``: ``True`` (every event ``b`` matches, ``a`` matches too), ``False`` (then
    ``counterexample`` is a message ``b`` matches and ``a`` does not) or ``None`` (undecided).
    ``reason`` says why, in one sentence.
    """

    holds: bool | None
    counterexample: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"holds": self.holds, "counterexample": self.counterexample, "reason": self.reason}


@dataclass
class _Outcome:
    """What a decision procedure found: a proof (``holds``) or a candidate message."""

    holds: bool | None
    reason: str
    witness: str | None = None


def covers(a: str | Pattern, b: str | Pattern) -> Coverage:
    """Whether ``a`` matches every event that ``b`` matches (pattern text is parsed first and
    may raise :class:`~cwquery.PatternError`).

    >>> covers("ERROR", "ERROR timeout").holds, covers("ERROR timeout", "ERROR").counterexample
    (True, 'ERROR')
    """
    tree_a = parse(a) if isinstance(a, str) else a
    tree_b = parse(b) if isinstance(b, str) else b
    if normalize(tree_a) == normalize(tree_b):
        return Coverage(True, None, "The patterns are equivalent.")
    if isinstance(tree_a, MatchAll):
        return Coverage(True, None, "A matches every event.")
    match_a, match_b = compile(tree_a).matches, compile(tree_b).matches
    outcome = _decide(tree_a, tree_b, match_a, match_b)
    if outcome.holds is True:
        return Coverage(True, None, outcome.reason)
    if outcome.witness is not None:
        if match_b(outcome.witness) and not match_a(outcome.witness):
            return Coverage(False, outcome.witness, outcome.reason)
        outcome = _Outcome(None, "A candidate counter-example did not verify.")
    if outcome.holds is False:  # a procedure that proved "no" without a message cannot be kept
        outcome = _Outcome(None, outcome.reason)
    found = _search(tree_a, tree_b, match_a, match_b)
    if found is not None:
        return Coverage(False, found, "B matches this message and A does not.")
    return Coverage(None, None, outcome.reason)


def _decide(a: Pattern, b: Pattern, match_a: Matches, match_b: Matches) -> _Outcome:
    text = (MatchAll, TermPattern)
    if isinstance(a, text) and isinstance(b, text):
        return _terms(a, b)
    if isinstance(a, JsonPattern) and isinstance(b, JsonPattern):
        return _json(a, b, match_a, match_b)
    if isinstance(a, DelimitedPattern) and isinstance(b, DelimitedPattern):
        return _delimited(a, b, match_a, match_b)
    if isinstance(b, JsonPattern) and _is_empty(b, match_b):
        return _Outcome(True, "B matches no event.")
    kinds = f"{type(a).__name__} and {type(b).__name__}"
    return _Outcome(None, f"No decision procedure covers {kinds}; no counter-example was found.")


# --------------------------------------------------------------------------- term patterns

Clause = tuple[tuple[str, ...], tuple[str, ...]]


def _clauses(tree: MatchAll | TermPattern) -> list[Clause]:
    """The pattern as alternatives of (required terms, excluded terms), D3 applied."""
    if isinstance(tree, MatchAll):
        return [((), ())]
    groups = term_groups(tree)
    if groups.required or groups.excluded:
        return [(groups.required, groups.excluded)]
    return [((term,), ()) for term in groups.any_of]


def _terms(a: MatchAll | TermPattern, b: MatchAll | TermPattern) -> _Outcome:
    clauses_a, clauses_b = _clauses(a), _clauses(b)
    texts = [t for required, excluded in clauses_a + clauses_b for t in required + excluded]
    filler = filler_for(texts)
    if filler is None:
        return _Outcome(None, "Every separator character occurs in the terms.")
    for required, excluded in clauses_b:
        if any(e in r for e in excluded for r in required):
            continue  # this clause of B matches nothing
        if any(_clause_covers(clause, required, excluded) for clause in clauses_a):
            continue
        pieces = list(required)
        if len(clauses_a) == 1:
            required_a, excluded_a = clauses_a[0]
            if all(any(r in held for held in required) for r in required_a):
                pieces += [e for e in excluded_a if not any(x in e for x in excluded)][:1]
        witness = filler.join(pieces) if pieces else filler
        return _Outcome(False, "B matches this message and A does not.", witness)
    return _Outcome(True, "Every clause of B requires the terms A requires and excludes more.")


def _clause_covers(clause: Clause, required: Sequence[str], excluded: Sequence[str]) -> bool:
    """Whether every message with all of ``required`` and none of ``excluded`` passes
    ``clause`` (D26: terms are substrings of the raw text)."""
    required_a, excluded_a = clause
    return all(any(r in held for held in required) for r in required_a) and all(
        any(x in e for x in excluded) for e in excluded_a
    )


# --------------------------------------------------------------------------- JSON patterns

Atom = JsonCompare | JsonIs | JsonNotExists


def _atoms(node: Node) -> list[Atom]:
    return [n for n in walk(node) if isinstance(n, JsonCompare | JsonIs | JsonNotExists)]


def _dnf(node: Node, possible: Callable[[list[Atom]], bool]) -> list[list[Atom]] | None:
    """Disjuncts (lists of atoms) of a JSON expression, without those ``possible`` rules out,
    or ``None`` beyond the bound."""
    if isinstance(node, Or):
        disjuncts: list[list[Atom]] = []
        for operand in node.operands:
            part = _dnf(operand, possible)
            if part is None:
                return None
            disjuncts += part
        return disjuncts if len(disjuncts) <= MAX_DISJUNCTS else None
    if isinstance(node, And):
        product: list[list[Atom]] = [[]]
        for operand in node.operands:
            part = _dnf(operand, possible)
            if part is None or len(product) * len(part) > 16 * MAX_DISJUNCTS:
                return None
            joined = (list(dict.fromkeys(left + right)) for left in product for right in part)
            product = [disjunct for disjunct in joined if possible(disjunct)]
            if len(product) > MAX_DISJUNCTS:
                return None
        return product
    assert isinstance(node, JsonCompare | JsonIs | JsonNotExists)
    return [[node]]


def _alone(atom: Atom, value: Any) -> bool:
    """``atom`` on a document where its selector reads ``value`` and nothing else is set."""
    return _alone_cached(atom, type(value).__name__, repr(value), value)


@functools.lru_cache(maxsize=65536)
def _alone_cached(atom: Atom, kind: str, text: str, value: Any) -> bool:
    """:func:`_alone`, remembered by the value's type and ``repr`` (``5``, ``5.0``, ``True``,
    ``0.0`` and ``-0.0`` are equal in Python and different in a JSON event)."""
    document: dict[str, Any] = {}
    if value is not MISSING:
        _place(document, atom.selector, value)
    return bool(_predicate(atom)(document))


@functools.lru_cache(maxsize=1024)
def _predicate(atom: Atom) -> Callable[[Any], bool]:
    return compile_json(atom)


def _place(document: dict[str, Any], selector: Selector, value: Any) -> bool:
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


class _Models:
    """Documents ``b`` matches, one per combination of regions, and whether they were all
    tried (``exact``)."""

    def __init__(self, a: JsonPattern, b: JsonPattern, match_b: Matches) -> None:
        atoms_a, atoms_b = _atoms(a.expr), _atoms(b.expr)
        self.selectors = list(dict.fromkeys(atom.selector for atom in atoms_a + atoms_b))
        keys = [s.name for sel in self.selectors for s in sel.steps if isinstance(s, Key)]
        filler = filler_for(literal_texts(walk(a)) + literal_texts(walk(b)) + keys)
        self.exact = filler is not None
        plain = [sel for sel in self.selectors if not has_wildcard_step(sel)]
        self.key_only = all(isinstance(step, Key) for sel in plain for step in sel.steps)
        self.key_only = self.key_only and all(
            _separate_wildcard(sel, self.selectors) for sel in self.selectors if sel not in plain
        )
        paths = [sel.steps for sel in plain]
        self.independent = self.key_only and not any(
            p != q and q[: len(p)] == p for p in paths for q in paths
        )
        self.exact = self.exact and self.key_only
        self.on: dict[Selector, list[Atom]] = {sel: [] for sel in self.selectors}
        for atom in atoms_a + atoms_b:
            self.on[atom.selector].append(atom)
        self.domains: dict[Selector, Domain] = {}
        for sel in self.selectors:
            domain = json_domain(self.on[sel], filler or "~")
            if sel not in plain:
                domain = self._subsets(sel, domain)
            self.domains[sel] = domain
        self.exact = self.exact and all(d.exact for d in self.domains.values())
        disjuncts = _dnf(b.expr, self._possible)
        if disjuncts is None:
            self.exact, disjuncts = False, [[]]
        self.disjuncts = disjuncts
        self.match_b = match_b

    def __iter__(self) -> Iterator[tuple[dict[str, Any], str]]:
        budget = MAX_MODELS
        for disjunct in self.disjuncts:
            if budget <= 0:
                self.exact = False
                return
            choices = [self._choices(sel, disjunct) for sel in self.selectors]
            size = math.prod(map(len, choices))
            if size > budget:
                self.exact = False
            taken = min(size, budget)
            budget -= taken
            for combination in itertools.islice(itertools.product(*choices), taken):
                document = self._document(combination)
                if document is None:
                    continue
                message = orjson.dumps(document).decode()
                if self.match_b(message):
                    yield document, message
                else:
                    self.exact = False

    def _subsets(self, selector: Selector, domain: Domain) -> Domain:
        """D8: the conditions on a wildcard selector see which regions its values fall in; one
        value per region, and every set of regions."""
        classes: dict[tuple[bool, ...], Any] = {}
        for value in domain.values:
            if value is not MISSING:
                alone = Elements((value,))
                signature = tuple(_alone(atom, alone) for atom in self.on[selector])
                classes.setdefault(signature, value)
        chosen = list(classes.values())[:MAX_REGIONS]
        sets = [
            Elements(subset)
            for count in range(len(chosen) + 1)
            for subset in itertools.combinations(chosen, count)
        ]
        return Domain(sets, domain.exact and len(classes) <= MAX_REGIONS)

    def _possible(self, disjunct: list[Atom]) -> bool:
        """Whether every selector of ``disjunct`` has a tried value passing its atoms there
        (a disjunct dropped wrongly can only happen with inexact regions, and then no proof
        is claimed)."""
        selectors = dict.fromkeys(atom.selector for atom in disjunct)
        return all(self._choices(sel, disjunct, unique=False) for sel in selectors)

    def _choices(self, selector: Selector, disjunct: list[Atom], unique: bool = True) -> list[Any]:
        wanted = [atom for atom in disjunct if atom.selector == selector]
        values = [
            v for v in self.domains[selector].values if all(_alone(atom, v) for atom in wanted)
        ]
        if not (unique and self.independent):
            return values
        seen: dict[tuple[bool, ...], Any] = {}
        for value in values:  # values every condition treats alike need one try
            seen.setdefault(tuple(_alone(atom, value) for atom in self.on[selector]), value)
        return list(seen.values())

    def _document(self, combination: Sequence[Any]) -> dict[str, Any] | None:
        document: dict[str, Any] = {}
        chosen = list(zip(self.selectors, combination, strict=True))
        placed = all(_place(document, sel, v) for sel, v in chosen if v is not MISSING)
        if placed and all(
            _reads(document, sel, v) for sel, v in chosen if not has_wildcard_step(sel)
        ):
            return document
        if not self.key_only:
            self.exact = False  # with array steps, a failed layout may not be impossible
        return None  # plain keys: a value under a key another selector holds as a scalar


def _json(a: JsonPattern, b: JsonPattern, match_a: Matches, match_b: Matches) -> _Outcome:
    models = _Models(a, b, match_b)
    for _document, message in models:
        if not match_a(message):
            return _Outcome(False, "B matches this event and A does not.", message)
    if models.exact:
        return _Outcome(True, "Every kind of event B matches, A matches too.")
    return _Outcome(None, _json_undecided(models))


def _json_undecided(models: _Models) -> str:
    if any(map(has_wildcard_step, models.selectors)):
        return "Wildcard selectors are only searched for counter-examples; none was found."
    return "Regexes, number-like wildcards or the size of B leave some values untried."


def _is_empty(b: JsonPattern, match_b: Matches) -> bool:
    models = _Models(b, b, match_b)
    return next(iter(models), None) is None and models.exact


# --------------------------------------------------------------------------- delimited


def _delimited(
    a: DelimitedPattern, b: DelimitedPattern, match_a: Matches, match_b: Matches
) -> _Outcome:
    layout = FieldLayout.of(a)
    if layout.slots.__len__() != len(FieldLayout.of(b).slots) or (
        layout.ellipsis_at != FieldLayout.of(b).ellipsis_at
    ):
        return _Outcome(None, "The patterns have different fields or '...'; only searched.")
    slots_a = [f for f in a.fields if isinstance(f, Field)]
    slots_b = [f for f in b.fields if isinstance(f, Field)]
    filler = filler_for(literal_texts(walk(a)) + literal_texts(walk(b)) + [" ", '"', "]"])
    if filler is None:
        return _Outcome(None, "Every separator character occurs in the values.")
    exact = True
    chosen: list[list[str]] = []
    for field_a, field_b in zip(slots_a, slots_b, strict=True):
        compares = [n for f in (field_a, field_b) for n in walk(f) if isinstance(n, FieldCompare)]
        domain = token_domain(compares, filler)
        exact = exact and domain.exact
        test_b = _slot_test(field_b)
        values = [v for v in domain.values if test_b(v) and _token(v) is not None]
        if not values:
            if exact:
                return _Outcome(True, "B matches no event.")
            return _Outcome(None, "No value was found for a field of B.")
        chosen.append(values)
    for index, field_a in enumerate(slots_a):
        test_a = _slot_test(field_a)
        for value in chosen[index]:
            if not test_a(value):
                picked = [values[0] for values in chosen]
                picked[index] = value
                message = _message(picked, layout.ellipsis_at)
                if message is not None and match_b(message) and not match_a(message):
                    return _Outcome(False, "B matches this event and A does not.", message)
                exact = False
    if exact:
        return _Outcome(True, "Every field value B allows, A allows too.")
    return _Outcome(None, "Regexes or number-like wildcards leave some field values untried.")


def _slot_test(field: Field) -> Callable[[str], bool]:
    if field.condition is None:
        return lambda value: True
    return compile_field_condition(field.condition)


def _token(value: str) -> str | None:
    """The token whose value is ``value`` (D14), or ``None`` when none is."""
    for token in (value, f'"{value}"', f"[{value}]"):
        if split_tokens(token) == [value]:
            return token
    return None


def _message(values: Sequence[str], ellipsis_at: int | None) -> str | None:
    tokens = [_token(value) for value in values]
    if any(token is None for token in tokens):
        return None
    return " ".join(token for token in tokens if token is not None)


# --------------------------------------------------------------------------- search


def _search(a: Pattern, b: Pattern, match_a: Matches, match_b: Matches) -> str | None:
    """A message ``b`` matches and ``a`` does not, among candidates built from both."""
    extras = [t for t in literal_texts(walk(a)) + _term_texts(a) if t]
    for candidate in _candidates(a, b, extras):
        if match_b(candidate) and not match_a(candidate):
            return candidate
    return None


def _term_texts(tree: Pattern) -> list[str]:
    if isinstance(tree, TermPattern):
        return [term.text for term in tree.terms]
    return []


def _candidates(a: Pattern, b: Pattern, extras: list[str]) -> Iterator[str]:
    bases: list[str] = []
    if isinstance(b, MatchAll | TermPattern):
        for required, _excluded in _clauses(b):
            bases += [" ".join(required), "\n".join(required), "".join(required)]
    elif isinstance(b, JsonPattern):
        other = a if isinstance(a, JsonPattern) else b
        for document, message in itertools.islice(_Models(other, b, compile(b).matches), 200):
            bases += [message, _escaped(document), json.dumps(document, indent=1)]
    elif isinstance(b, DelimitedPattern):
        bases += _delimited_bases(b)
    bases += [*extras, *literal_texts(walk(b)), "", "x"]
    for base in dict.fromkeys(bases):
        yield base
        for extra in extras:
            yield f"{base} {extra}"
            yield f"{extra} {base}"


def _delimited_bases(b: DelimitedPattern) -> list[str]:
    slots = [f for f in b.fields if isinstance(f, Field)]
    filler = filler_for([*literal_texts(walk(b)), " "]) or "~"
    options: list[list[str]] = []
    for slot in slots:
        compares = [n for n in walk(slot) if isinstance(n, FieldCompare)]
        test = _slot_test(slot)
        options.append([v for v in token_domain(compares, filler).values if test(v)][:3] or ["x"])
    ellipsis = next((i for i, f in enumerate(b.fields) if isinstance(f, EllipsisField)), None)
    found = []
    for values in itertools.islice(itertools.product(*options), _SEARCHED_MODELS):
        message = _message(values, ellipsis)
        if message is not None:
            found.append(message)
    return found


def _escaped(value: Any) -> str:
    """JSON text of ``value`` with every character of every string (keys too) written as a
    ``\\u`` escape, so no word of it is in the raw text."""
    if isinstance(value, dict):
        items = (f"{_escaped(k)}:{_escaped(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_escaped, value)) + "]"
    if isinstance(value, str):
        return '"' + "".join(_escape_char(char) for char in value) + '"'
    return orjson.dumps(value).decode()


def _escape_char(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:
        return json.dumps(char)[1:-1]
    return f"\\u{code:04x}"
