"""The values a coverage decision tries for one JSON selector or one delimited slot.

The conditions on one selector (or slot) split its values into finitely many regions where
every condition has one answer. :func:`json_domain` and :func:`token_domain` return one value
per region (a *representative*), and say whether the list is known to be exhaustive
(``exact``): only then may :mod:`cwquery.coverage` answer "covers". String regions come from
the points (``= "x"``), prefixes, suffixes and infixes (D25) of the conditions, joined by a
character no literal holds; number regions from the constants of the comparisons (D12, D27,
D30). Regexes, and text wildcards that a number's text could satisfy, make a list inexact.

>>> from cwquery import parse
>>> sorted(map(repr, json_domain(list(parse('{ $.a = "x*" }').children()), "~").values))[:4]
["'x~'", "'~'", '0', '0.0']
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, NamedTuple

from cwquery.ast import (
    AnyIndex,
    AnyKey,
    FieldCompare,
    Index,
    JsonCompare,
    Key,
    Node,
    Number,
    Regex,
    Selector,
    String,
)
from cwquery.numbers import NUMBER_SYNTAX, number_value, token_number
from cwquery.semantics import MISSING, WILDCARD, json_text

#: A value that is an object (or array) with nothing a condition can compare.
CONTAINER: Final = type("Container", (), {"__repr__": lambda self: "CONTAINER"})()
#: Characters tried, in order, as the filler no literal of either pattern contains.
FILLERS: Final = ("~", "\u00a7", "#", "\u2603", "\u00b6")
#: Where characters are looked for when every one of :data:`FILLERS` is taken.
_SPARE_FROM: Final = 0x4E00
#: At most this many infixes are combined (2**n candidates).
_MAX_INFIXES: Final = 6
_NUMBER_CHARS: Final = frozenset("0123456789.eE+-")
_INT64: Final = 2**63
_EXACT_FLOAT: Final = 2**53


class Domain(NamedTuple):
    """The representatives of one selector or slot, and whether they cover every region."""

    values: list[Any]
    exact: bool


def filler_for(texts: Iterable[str]) -> str:
    """A character that none of ``texts`` contains: one of :data:`FILLERS`, else the first
    CJK ideograph none holds (there are more of them than characters in the texts)."""
    joined = "".join(texts)
    spare = (chr(code) for code in itertools.count(_SPARE_FROM))
    return next(char for char in itertools.chain(FILLERS, spare) if char not in joined)


def literal_texts(nodes: Iterable[Node]) -> list[str]:
    """The texts of the string, number and regex literals among ``nodes``."""
    texts = []
    for node in nodes:
        if isinstance(node, String | Number):
            texts.append(node.text)
        elif isinstance(node, Regex):
            texts.append(node.source)
    return texts


def _numberish(text: str) -> bool:
    return bool(text) and all(char in _NUMBER_CHARS for char in text)


def _strings(values: Sequence[Any], filler: str) -> tuple[list[str], bool]:
    """Representatives of the string regions of these literal values, and exactness."""
    points: list[str] = []
    prefixes, suffixes, infixes = [""], [""], []
    exact = True
    for value in values:
        if isinstance(value, Regex):
            exact = False
            for sample in regex_samples(value.source):
                points += [sample, filler + sample, sample + filler]
            continue
        text = value.text
        if isinstance(value, Number) or text == WILDCARD:
            points.append(text)
            continue
        leading, trailing = text.startswith(WILDCARD), text.endswith(WILDCARD)
        core = text[1 if leading else 0 : len(text) - 1 if trailing else len(text)]
        if leading and trailing:
            infixes.append(core)
        elif leading:
            suffixes.append(core)
        elif trailing:
            prefixes.append(core)
        else:
            points.append(text)
    if len(infixes) > _MAX_INFIXES:
        infixes, exact = infixes[:_MAX_INFIXES], False
    found = set(points)
    for prefix, suffix in itertools.product(prefixes, suffixes):
        for count in range(len(infixes) + 1):
            for chosen in itertools.combinations(infixes, count):
                found.add(filler.join([prefix, *chosen, suffix]))
    return sorted(found), exact


def _cells(constants: Iterable[float]) -> tuple[list[float], bool]:
    """One number inside each open interval between (and beyond) the sorted constants."""
    ordered = sorted({c for c in constants if math.isfinite(c)})
    if not ordered:
        return [0.0], True
    cells, exact = [_beyond(ordered[0], -1.0), _beyond(ordered[-1], 1.0)], True
    for low, high in itertools.pairwise(ordered):
        middle = low / 2 + high / 2
        if low < middle < high:
            cells.append(middle)
        else:
            exact = False  # adjacent doubles: big integers between them are not tried
    # no finite double lies beyond the largest one: no JSON number either (D30); tokens
    # spelling a number beyond it are infinite, which token_domain tries
    return [c for c in cells if math.isfinite(c)], exact


def _beyond(value: float, direction: float) -> float:
    """A double past ``value`` in ``direction`` (1 or -1), infinite past the largest."""
    step = value + direction
    return step if step != value else math.nextafter(value, direction * math.inf)


def json_domain(atoms: Sequence[Node], filler: str) -> Domain:
    """Representatives for the JSON values one selector can hold, given the conditions
    ``atoms`` on it (:class:`~cwquery.ast.JsonCompare`, ``IS``, ``NOT EXISTS``)."""
    literals = [atom.value for atom in atoms if isinstance(atom, JsonCompare)]
    strings, exact = _strings(literals, filler)
    numbers: list[int | float] = []
    constants = []
    for literal in literals:
        if isinstance(literal, Number):
            constants.append(float(number_value(literal.text)))
            numbers.append(number_value(literal.text))
        elif isinstance(literal, String):
            core = literal.text.strip(WILDCARD)
            exact_text = core == literal.text
            if NUMBER_SYNTAX.fullmatch(core):
                value = number_value(core)
                if math.isfinite(value) and (not exact_text or json_text(value) == core):
                    numbers.append(value)
            if not exact_text and _numberish(core):
                exact = False  # "5*" matches the texts of numbers: no finite regions
    cells, cells_exact = _cells(constants + [float(n) for n in numbers])
    exact = exact and cells_exact
    values: list[Any] = [MISSING, None, True, False, CONTAINER, *strings]
    for value in [*numbers, *cells]:
        if not math.isfinite(value):
            continue
        spellings: list[int | float] = [float(value)]
        if float(value).is_integer() and abs(value) < _INT64:
            spellings.append(int(value))
        if type(value) is int:
            spellings.append(value)
        if type(value) is int and abs(value) > _EXACT_FLOAT:
            exact = False  # the regions were cut at this integer rounded to a double
        for number in spellings:
            if not any(
                type(v) is type(number) and json_text(v) == json_text(number) for v in values
            ):
                values.append(number)
    return Domain(values, exact)


def token_domain(compares: Sequence[FieldCompare], filler: str) -> Domain:
    """Representatives for the values of one delimited slot (token texts), given the
    comparisons on it (D27: numeric when the token spells a number)."""
    literals = [compare.value for compare in compares]
    strings, exact = _strings(literals, filler)
    numeric = [value for value in literals if isinstance(value, Number)]
    texts: set[str] = set(strings)
    if numeric:
        if any(
            isinstance(value, String) and _numberish(value.text.strip(WILDCARD))
            for value in literals
        ):
            exact = False
        constants = [float(number_value(value.text)) for value in numeric]
        cells, cells_exact = _cells(constants)
        exact = exact and cells_exact
        texts.update(repr(value) for value in [*constants, *cells] if math.isfinite(value))
        for value in numeric:  # other spellings of the same number (D27 compares values)
            unsigned = value.text.lstrip("+-")
            texts.update((value.text, "+" + unsigned, "0" + unsigned, unsigned + "e0"))
        texts.update(("1e999", "-1e999"))  # D30: tokens beyond the doubles are infinite
    texts.add(filler)
    ordered = [*sorted(texts, key=lambda text: (token_number(text) is None, text)), ""]
    return Domain(ordered, exact)


# --------------------------------------------------------------------------- JSON documents


def place(document: dict[str, Any], selector: Selector, value: Any) -> bool:
    """Put ``value`` where ``selector`` reads it in ``document`` (arrays padded with null,
    ``[*]`` and ``.*`` read as the first element or a key ``"k"``); ``False`` when the
    document already holds something else on the way."""
    node: Any = document
    steps = selector.steps
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        if isinstance(step, Key | AnyKey):
            name = step.name if isinstance(step, Key) else "k"
            if type(node) is not dict:
                return False
            if last:
                if name in node:
                    return _same(node[name], value)
                node[name] = _fresh(value)
                return True
            node = node.setdefault(name, _container_for(steps[position + 1]))
        else:
            index = step.index if isinstance(step, Index) else 0
            if type(node) is not list:
                return False
            while len(node) <= index:
                node.append(None)
            if last:
                if node[index] is not None:
                    return _same(node[index], value)
                node[index] = _fresh(value)
                return True
            if node[index] is None:
                node[index] = _container_for(steps[position + 1])
            node = node[index]
    return False


def _container_for(step: Node) -> Any:
    return [] if isinstance(step, Index | AnyIndex) else {}


def _fresh(value: Any) -> Any:
    return {} if value is CONTAINER else value


def _same(held: Any, value: Any) -> bool:
    if value is CONTAINER:
        return type(held) in (dict, list)
    return type(held) is type(value) and held == value


def assignments(domains: Sequence[Sequence[Any]], limit: int) -> Iterator[tuple[Any, ...]]:
    """At most ``limit`` combinations of one value per domain."""
    return itertools.islice(itertools.product(*domains), limit)


class Elements(tuple):  # type: ignore[type-arg]
    """The values a wildcard selector (``[*]``, ``.*``) selects, one per region (D8)."""

    __slots__ = ()


def wildcard_at(selector: Selector) -> int | None:
    """The position of the one wildcard step of a selector, or ``None``."""
    found = [i for i, step in enumerate(selector.steps) if isinstance(step, AnyKey | AnyIndex)]
    return found[0] if len(found) == 1 else None


def place_elements(document: dict[str, Any], selector: Selector, elements: Elements) -> bool:
    """Put ``elements`` where the wildcard selector reads them: under its prefix, an array (or
    an object with keys ``k0``, ``k1``…) whose items hold each element at the suffix. Nothing
    is put for no elements (the selector then selects nothing)."""
    if not elements:
        return True
    steps, at = selector.steps, wildcard_at(selector)
    if at is None:
        return False
    suffix = Selector(steps[at + 1 :]) if at + 1 < len(steps) else None
    items = []
    for element in elements:
        if suffix is None:
            items.append(_fresh(element))
            continue
        item = _container_for(suffix.steps[0])
        if not place(item, suffix, element):
            return False
        items.append(item)
    wildcard = steps[at]
    if isinstance(wildcard, AnyIndex):
        container: Any = items
    else:
        container = {f"k{i}": item for i, item in enumerate(items)}
    if at == 0:
        if type(container) is not dict or any(key in document for key in container):
            return False
        document.update(container)
        return True
    return place(document, Selector(steps[:at]), container)


# --------------------------------------------------------------------------- regex samples

#: A text each class escape (D19) accepts.
_CLASS_SAMPLES: Final = {"d": "0", "D": "x", "s": " ", "S": "x", "w": "a", "W": "-"}
_QUANTIFIERS: Final = frozenset("*+?{")


def regex_samples(source: str) -> list[str]:
    """Texts that the regex probably matches, one or two per ``|`` branch (a guess, made from
    the dialect's pieces, D19: every use checks it with the matcher)."""
    samples: list[str] = []
    for branch in _branches(source):
        short, long = [], []
        for piece, low in _pieces(branch):
            short.append(piece * low)
            long.append(piece * max(low, 1))
        samples += ["".join(short), "".join(long)]
    return list(dict.fromkeys(samples))


def _branches(source: str) -> list[str]:
    branches, current, in_class, index = [], "", False, 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            current += source[index : index + 2]
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        if char == "|" and not in_class:
            branches.append(current)
            current = ""
        else:
            current += char
        index += 1
    return [*branches, current]


def _pieces(branch: str) -> Iterator[tuple[str, int]]:
    """(a text one repetition of the atom matches, the fewest repetitions) per atom."""
    index = 0
    while index < len(branch):
        char = branch[index]
        if char in "^$":
            index += 1
            continue
        if char == "\\":
            escape = branch[index + 1 : index + 2]
            if escape == "x":
                piece = chr(int(branch[index + 2 : index + 4] or "78", 16))
                index += 4
            else:
                piece = _CLASS_SAMPLES.get(escape, escape)
                index += 2
        elif char == "[":
            end = branch.find("]", index + 2)
            end = len(branch) - 1 if end < 0 else end
            members = branch[index + 1 : end]
            piece = _class_sample(members)
            index = end + 1
        else:
            piece = "x" if char == "." else char
            index += 1
        low, index = _repeats(branch, index)
        yield piece, low


def _class_sample(members: str) -> str:
    if members.startswith("^"):
        excluded = set(members[1:])
        return next(c for c in "x0 ~Q" if c not in excluded)
    if members.startswith("\\"):
        return _CLASS_SAMPLES.get(members[1:2], members[1:2])
    return members[:1] or "x"


def _repeats(branch: str, index: int) -> tuple[int, int]:
    """The fewest repetitions the quantifier at ``index`` allows, and the index after it."""
    if index >= len(branch) or branch[index] not in _QUANTIFIERS:
        return 1, index
    char = branch[index]
    if char == "{":
        end = branch.find("}", index)
        if end < 0:
            return 1, index + 1
        low = branch[index + 1 : end].split(",")[0]
        return (int(low) if low.isdigit() else 0), end + 1
    return (1 if char == "+" else 0), index + 1
