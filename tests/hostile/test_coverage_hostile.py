"""covers on patterns built to blow up: normal forms, value combinations, fillers, nesting."""

from __future__ import annotations

import cwquery
from cwquery.coverage import covers


def _verified(a: str, b: str) -> None:
    result = covers(a, b)
    if result.holds is False:
        assert result.counterexample is not None
        assert cwquery.compile(b).matches(result.counterexample)
        assert not cwquery.compile(a).matches(result.counterexample)


def test_a_normal_form_of_two_thousand_disjuncts_is_walked_lazily() -> None:
    b = "{ " + " && ".join(f"($.k{i} = 3 || $.k{i} = 2)" for i in range(11)) + " }"
    a = b.replace("= 3", "= 1")
    result = covers(a, b)
    assert result.holds is False
    _verified(a, b)


def test_impossible_disjuncts_are_dropped_before_the_bound() -> None:
    # twelve "a or b equals i": no event passes three of them, so B matches nothing
    b = "{ " + " && ".join(f"($.a = {i} || $.b = {i})" for i in range(12)) + " }"
    assert covers("{ $.z = 1 }", b).holds is True


def test_forty_selectors_never_claim_coverage_without_trying_them() -> None:
    every = "{ " + " && ".join(f"$.s{i} != x" for i in range(40)) + " }"
    some = "{ " + " || ".join(f"$.s{i} = x" for i in range(40)) + " }"
    assert covers(every, some).holds is False
    assert covers(some, every).holds is False
    _verified(every, some)


def test_terms_holding_every_filler_character() -> None:
    terms = '"~" "\u00a7" "#" "\u2603" "\u00b6"'
    assert covers(terms, terms + " x").holds is True
    assert covers(terms + " x", terms).holds is False


def test_deep_nesting() -> None:
    deep = "{ " + "(" * 100 + "$.a = 1" + ")" * 100 + " }"
    assert covers(deep, "{ $.a = 1 && $.b = 2 }").holds is True


def test_three_wildcard_selectors() -> None:
    b = "{ ($.w[*] = v1* || $.w[*] = v2*) && $.x.* = 1 }"
    assert covers("{ $.w[*] = v1* || $.w[*] = v2 }", b).holds is False
    assert covers("{ $.w[*] = v* }", b).holds is True
    _verified("{ $.w[*] = v1* || $.w[*] = v2 }", b)


def test_the_step_bound_never_turns_into_a_proof() -> None:
    # 4**9 partial disjuncts, each possible: the walk stops at the bound and answers no proof
    b = (
        "{ "
        + " && ".join(f"($.k{i} = 1 || $.k{i} = 2 || $.k{i} = 3 || $.k{i} = 4)" for i in range(9))
        + " }"
    )
    a = "{ $.k0 = 1 || $.k0 = 2 || $.k0 = 3 || $.k0 = 4 || $.z = 1 }"
    assert covers(a, b).holds is True  # one way through each of $.k1 … $.k8 is enough
    assert covers(a.replace("$.k0 = 4", "$.k0 = 5"), b).holds is False
    tangled = b.replace("$.k8 = 4", "$.k0 = 4")  # operands that share selectors: all walked
    assert covers(a.replace("$.k0 = 4", "$.k0 = 5"), tangled).holds is not True
