"""The ``regex-cost`` rule: a ``%regex%`` that CloudWatch may stop at deploy time with
"Regular expression evaluation time exceeded allowed limit" (aws-cdk #36901).

The score of a regex adds its RE2 program size, in units of 250 instructions (the largest
program D31 accepts, 1000, scores 4), and, for each alternative of its top-level ``|``, the
square of the number of unbounded wildcards in it (``.*``, ``.+``, ``\\S+``, ``[^,]*``,
``.{2,}``) times the number of alternatives. The rule warns from :data:`THRESHOLD`:

>>> [round(regex_score(body).score, 2) for body in ("ERROR.*timeout", "a.*b.*c")]
[1.1, 4.09]
>>> round(regex_score(r"Task timed out after|^REPORT\\s.+\\sStatus: timeout").score, 2)
2.24
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cwquery.ast import Pattern, Regex, RegexPattern, walk
from cwquery.iac.lint import Diagnostic
from cwquery.regex import program
from cwquery.renderer import quote

__all__ = ["THRESHOLD", "RegexScore", "regex_cost", "regex_score"]

#: The score from which ``regex-cost`` warns: two wildcards in one branch (2² = 4), one in a
#: regex with alternatives (1 times 2), or a program of 500 instructions (half of D31's limit).
THRESHOLD = 2.0
#: RE2 instructions per point of score.
_INSTRUCTIONS_PER_POINT = 250
#: Atoms that can run across anything: ``.``, the negated classes, ``[^…]``.
_BROAD_ESCAPES = frozenset("SWD")
#: Characters that stand for themselves outside a class (D19), and the escaped operators.
_LITERAL = re.compile(r"[A-Za-z0-9:_#=@/;, -]|\\[\^$?\[\]{}|\\*+.]")
_QUANTIFIER = re.compile(r"\{[0-9]*,?[0-9]*\}|[*+?]")
_UNBOUNDED = re.compile(r"[*+]|\{[0-9]*,\}")


@dataclass(frozen=True)
class RegexScore:
    """The cost figures of one regex body."""

    score: float
    program_size: int
    #: unbounded wildcards in each top-level alternative
    wildcards: tuple[int, ...]
    #: the longest literal text of each alternative ('' when it has none)
    literals: tuple[str, ...]


def regex_score(source: str) -> RegexScore:
    """The score of a valid regex body (raises :class:`~cwquery.regex.RegexProblem` on an
    invalid one).

    >>> regex_score("ERROR|WARN.*x").wildcards
    (0, 1)
    """
    size = int(program(source).programsize)
    branches = _branches(source)
    wildcards = tuple(_wildcards(branch) for branch in branches)
    alternatives = len(branches)
    score = size / _INSTRUCTIONS_PER_POINT + sum(w * w * alternatives for w in wildcards)
    literals = tuple(_longest_literal(branch) for branch in branches)
    return RegexScore(score, size, wildcards, literals)


def regex_cost(tree: Pattern) -> list[Diagnostic]:
    """A ``regex-cost`` warning for each regex of the pattern that scores :data:`THRESHOLD` or
    more, with a term prefilter and narrower wildcards as the fix.

    >>> from cwquery import parse
    >>> [d.offset for d in regex_cost(parse("%a.*b.*c%"))]
    [1]
    """
    found = []
    for node in walk(tree):
        if not isinstance(node, Regex) or node.source in (".*", ".+"):
            continue
        figures = regex_score(node.source)
        if figures.score < THRESHOLD:
            continue
        start = node.span.start + 1 if node.span else 0
        found.append(
            Diagnostic(
                "regex-cost",
                f"%{node.source}% scores {figures.score:.1f} on the regex cost scale (warning "
                f"from {THRESHOLD:g}): {_reasons(figures)}; CloudWatch refuses a filter whose "
                "regex takes too long to evaluate ('Regular expression evaluation time "
                "exceeded allowed limit'), at deploy time and not on every deployment",
                start,
                max(1, len(node.source)),
                hint=_fix(tree, figures),
            )
        )
    return found


def _reasons(figures: RegexScore) -> str:
    reasons = []
    most = max(figures.wildcards)
    if most >= 2:
        reasons.append(f"{most} unbounded wildcards (.* .+) in one alternative")
    if len(figures.wildcards) > 1 and most >= 1:
        reasons.append(
            f"an unbounded wildcard in one of {len(figures.wildcards)} alternatives, each "
            "tried from every position"
        )
    if figures.program_size >= THRESHOLD * _INSTRUCTIONS_PER_POINT / 2:
        reasons.append(f"a program of {figures.program_size} RE2 instructions")
    return ", ".join(reasons) or f"a program of {figures.program_size} RE2 instructions"


def _fix(tree: Pattern, figures: RegexScore) -> str:
    narrow = (
        "narrow each wildcard to what it must cross (\\S+ within a word, [^,]+ up to a comma) "
        "or split the alternatives into separate filters"
    )
    literals = [text.strip() for text in figures.literals]
    if not all(len(text) >= 3 for text in literals):
        return narrow
    if isinstance(tree, RegexPattern):
        terms = " ".join(f"?{quote(text)}" for text in literals) if len(literals) > 1 else ""
        prefilter = terms or quote(literals[0])
        return (
            f"prefilter with terms: {prefilter} finds every line the regex can match without "
            f"running one; if the regex is still needed, {narrow}"
        )
    return (
        f"prefilter with a wildcard condition on the same value joined by && (= "
        f"{quote('*' + literals[0] + '*')}), and {narrow}"
    )


def _branches(source: str) -> list[str]:
    """The top-level alternatives (the dialect has no groups: every ``|`` outside a class)."""
    branches, start, index, in_class = [], 0, 0, False
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            index += 3 if source.startswith(("[]", "[^]"), index) else 1
            continue
        if char == "]" and in_class:
            in_class = False
        elif char == "|" and not in_class:
            branches.append(source[start:index])
            start = index + 1
        index += 1
    branches.append(source[start:])
    return branches


def _atoms(branch: str) -> list[tuple[str, str]]:
    """``(atom, quantifier)`` for each atom of a branch, in order (``quantifier`` ``""`` when
    the atom stands once)."""
    atoms: list[tuple[str, str]] = []
    index = 0
    while index < len(branch):
        char = branch[index]
        if char == "\\":
            end = index + (4 if branch.startswith("\\x", index) else 2)
        elif char == "[":
            end = index + (3 if branch.startswith(("[]", "[^]"), index) else 1)
            end = branch.find("]", end) + 1 or len(branch)
        elif char in "*+?{":  # a quantifier without an atom before it belongs to none
            match = _QUANTIFIER.match(branch, index)
            index += len(match.group()) if match else 1
            continue
        else:
            end = index + 1
        quantifier = _QUANTIFIER.match(branch, end)
        written = quantifier.group() if quantifier else ""
        atoms.append((branch[index:end], written))
        index = end + len(written)
    return atoms


def _wildcards(branch: str) -> int:
    """How many atoms that can cross any text repeat without bound in a branch."""
    return sum(
        1
        for atom, quantifier in _atoms(branch)
        if _UNBOUNDED.fullmatch(quantifier)
        and (
            atom == "."
            or atom.startswith("[^")
            or (len(atom) == 2 and atom[0] == "\\" and atom[1] in _BROAD_ESCAPES)
        )
    )


def _longest_literal(branch: str) -> str:
    """The longest run of literal text in a branch: characters that must appear as written,
    once each (a quantified character is left out)."""
    best, run = "", ""
    for atom, quantifier in _atoms(branch):
        if not quantifier and _LITERAL.fullmatch(atom):
            run += atom[-1]
            best = max(best, run, key=len)
        else:
            run = ""
    return best
