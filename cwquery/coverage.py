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
  are exact and the selectors keys and indexes (or wildcards over a part of the event no other
  selector reads, D8: every set of regions is tried), no counter-example means none exists;
* delimited patterns with the same fields and ``...``: slot by slot, on token values.

Everything else (regexes, shared wildcard selectors, mixed kinds) is searched for a counter-example
from both patterns' literals and ``b``'s models (a JSON value written with ``\\u`` escapes
matches a JSON condition and not the term): ``False`` when one verifies, else ``None``.

>>> covers('{ $.a = 1 || $.b = "x" }', '{ $.a = 1 && $.c NOT EXISTS }').holds
True
>>> result = covers("ERROR", '{ $.level = "ERROR" }')
>>> result.holds, json.loads(result.counterexample), "ERROR" in result.counterexample
(False, {'level': 'ERROR'}, False)
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from cwquery.ast import (
    DelimitedPattern,
    Field,
    FieldCompare,
    JsonPattern,
    MatchAll,
    Pattern,
    Regex,
    TermPattern,
    walk,
)
from cwquery.compiler import compile, compile_field_condition
from cwquery.coverage_json import Models
from cwquery.coverage_values import (
    filler_for,
    literal_texts,
    regex_samples,
    token_domain,
)
from cwquery.delimited import FieldLayout, split_tokens
from cwquery.normalizer import normalize
from cwquery.parser import parse
from cwquery.semantics import term_groups

__all__ = ["Coverage", "covers"]

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


def _json(a: JsonPattern, b: JsonPattern, match_a: Matches, match_b: Matches) -> _Outcome:
    models = Models(a, b, match_b)
    for _document, message in models:
        if not match_a(message):
            return _Outcome(False, "B matches this event and A does not.", message)
    if models.exact:
        return _Outcome(True, "Every kind of event B matches, A matches too.")
    return _Outcome(None, models.undecided())


def _is_empty(b: JsonPattern, match_b: Matches) -> bool:
    models = Models(b, b, match_b)
    return next(iter(models), None) is None and models.exact


# --------------------------------------------------------------------------- delimited


def _delimited(
    a: DelimitedPattern, b: DelimitedPattern, match_a: Matches, match_b: Matches
) -> _Outcome:
    layout_a, layout_b = FieldLayout.of(a), FieldLayout.of(b)
    shape_a = (len(layout_a.slots), layout_a.ellipsis_at)
    if shape_a != (len(layout_b.slots), layout_b.ellipsis_at):  # names change nothing
        return _Outcome(None, "The patterns have different fields or '...'; only searched.")
    slots_a = [f for f in a.fields if isinstance(f, Field)]
    slots_b = [f for f in b.fields if isinstance(f, Field)]
    filler = filler_for(literal_texts(walk(a)) + literal_texts(walk(b)) + [" ", '"', "]"])
    exact = True
    chosen: list[list[str]] = []
    for field_a, field_b in zip(slots_a, slots_b, strict=True):
        compares = [n for f in (field_a, field_b) for n in walk(f) if isinstance(n, FieldCompare)]
        domain = token_domain(compares, filler)
        exact = exact and domain.exact
        test_b = _slot_test(field_b)
        values = [v for v in domain.values if test_b(v) and _token(v) is not None]
        if any(_token(v) is None for v in domain.values):
            exact = False  # a value no single token holds (the last field's rest may)
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
                message = _message(picked)
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


def _message(values: Sequence[str]) -> str | None:
    """A message whose tokens are ``values``, one per slot (``...`` takes none of them)."""
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
        for document, message in itertools.islice(
            Models(other, b, compile(b).matches), _SEARCHED_MODELS
        ):
            bases += [message, _escaped(document), json.dumps(document, indent=1)]
    elif isinstance(b, DelimitedPattern):
        bases += _delimited_bases(b)
    for node in walk(b):
        if isinstance(node, Regex):
            bases += regex_samples(node.source)
    bases += [*extras, *literal_texts(walk(b)), "", "x"]
    for base in dict.fromkeys(bases):
        yield base
        for extra in extras:
            yield f"{base} {extra}"
            yield f"{extra} {base}"


def _delimited_bases(b: DelimitedPattern) -> list[str]:
    slots = [f for f in b.fields if isinstance(f, Field)]
    filler = filler_for([*literal_texts(walk(b)), " "])
    options: list[list[str]] = []
    for slot in slots:
        compares = [n for n in walk(slot) if isinstance(n, FieldCompare)]
        test = _slot_test(slot)
        options.append([v for v in token_domain(compares, filler).values if test(v)][:3] or ["x"])
    found = []
    for values in itertools.islice(itertools.product(*options), _SEARCHED_MODELS):
        message = _message(values)
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
