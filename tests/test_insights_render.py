"""The canonical renderer of Logs Insights queries: ``parse(render(tree)) == tree`` for generated
trees (so ``parse(render(parse(q))) == parse(q)``), and the canonical text of some forms."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cwquery.insights import parse, render
from cwquery.insights import tree as t

_BARE = string.ascii_letters + string.digits + "_@."
#: names that are keywords somewhere in the grammar, to check they read back as fields
_TRICKY = ["and", "not", "true", "source", "fields", "stats", "limit", "by", "as", "in", "x."]

bare_names = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(string.ascii_letters + "_@"),
    st.text(_BARE, max_size=6).filter(lambda text: not text.endswith(".")),
)
names = st.one_of(bare_names, st.sampled_from(_TRICKY), st.text(min_size=1, max_size=6))
fields = st.builds(t.Field, names)
strings = st.builds(t.String, st.text(max_size=8))
numbers = st.from_regex(r"\A[0-9]{1,4}(\.[0-9]{1,2})?\Z").map(t.Number)
booleans = st.builds(t.Boolean, st.booleans())
regexes = st.lists(
    st.sampled_from(["abc", r"\d+", "[a-z]", "x|y", "(?i)err", r"\/", ".*?", "#"]),
    min_size=1,
    max_size=3,
).map(lambda pieces: t.Regex("".join(pieces)))
leaves = st.one_of(fields, strings, numbers, booleans)


def _calls(children: Any) -> Any:
    return st.one_of(
        st.builds(lambda a: t.Call("strlen", (a,)), children),
        st.builds(lambda a: t.Call("ispresent", (a,)), children),
        st.builds(
            lambda xs: t.Call("concat", tuple(xs)), st.lists(children, min_size=1, max_size=3)
        ),
        st.builds(lambda a, b, c: t.Call("replace", (a, b, c)), children, children, children),
        st.builds(lambda a: t.Call("datefloor", (a, t.Period(5, "m"))), children),
    )


def _extend(children: Any) -> Any:
    return st.one_of(
        st.builds(t.Negate, children),
        st.builds(t.Not, children),
        st.builds(
            t.Binary,
            st.sampled_from(["^", "*", "/", "%", "+", "-", "and", "or"]),
            children,
            children,
        ),
        st.builds(
            t.Compare, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), children, children
        ),
        st.builds(t.Like, children, st.one_of(strings, regexes), st.booleans()),
        st.builds(
            t.In,
            children,
            st.lists(leaves, max_size=3).map(lambda xs: t.ListLiteral(tuple(xs))),
            st.booleans(),
        ),
        st.builds(t.Access, children, st.one_of(names, st.integers(0, 99))),
        _calls(children),
    )


expressions = st.recursive(leaves, _extend, max_leaves=8)
aggregates = st.one_of(
    st.just(t.Call("count", (t.Star(),))),
    st.builds(lambda e: t.Call("max", (e,)), expressions),
    st.builds(lambda e: t.Call("pct", (e, t.Number("95"))), expressions),
    st.builds(lambda e: t.Call("ceil", (t.Call("avg", (e,)),)), expressions),
)


def _extractions(new: str, sources: Any) -> Any:
    """A command that defines the one new name ``new``: a regex, logfmt or csv parse, json or
    unnest."""
    return st.one_of(
        st.builds(
            lambda s, m: t.Parse("regex", s, t.Regex(f"(?<{new}>[a-z]+)"), multi=m),
            sources,
            st.booleans(),
        ),
        st.builds(lambda s: t.Parse("regex", s, t.Regex(r"=(\d+)"), (new,)), sources),
        st.builds(lambda s: t.Parse("logfmt", s, None, (new,)), sources),
        st.builds(lambda s: t.Parse("csv", s, None, (new,)), sources),
        st.builds(lambda f, p: t.Json(f, p, new), fields, st.text(max_size=6)),
        st.builds(lambda e: t.Unnest(e, new), expressions),
    )


@st.composite
def queries(draw: Any) -> t.Query:
    """A valid query: aliases are new names (no redefinition), at most one stats, and dedup
    only at the end."""
    counter = iter(range(1000))

    def alias() -> str | None:
        return f"alias_{next(counter)}" if draw(st.booleans()) else None

    def items(source: Any) -> tuple[t.Item, ...]:
        return tuple(
            t.Item(expr, alias()) for expr in draw(st.lists(source, min_size=1, max_size=3))
        )

    commands: list[t.Command] = []
    for kind in draw(
        st.lists(
            st.sampled_from(
                ["fields", "display", "filter", "sort", "limit", "parse", "extract", "opaque"]
            ),
            min_size=1,
            max_size=4,
        )
    ):
        if kind == "fields":
            commands.append(t.Fields(items(expressions)))
        elif kind == "display":
            commands.append(t.Display(items(expressions)))
        elif kind == "filter":
            commands.append(t.Filter(draw(expressions), draw(st.booleans())))
        elif kind == "sort":
            keys = draw(
                st.lists(st.builds(t.SortKey, expressions, st.booleans()), min_size=1, max_size=2)
            )
            commands.append(t.Sort(tuple(keys)))
        elif kind == "limit":
            commands.append(
                t.Limit(
                    draw(st.integers(1, 100_000)), draw(st.sampled_from(["limit", "any", "tail"]))
                )
            )
        elif kind == "parse":
            stars = draw(st.integers(1, 3))
            glob = draw(st.text(alphabet="ab =[]-", max_size=3)) + " *" * stars
            aliases = tuple(f"p_{next(counter)}" for _ in range(stars))
            source = draw(st.one_of(st.none(), fields))
            commands.append(t.Parse("glob", source, t.String(glob), aliases))
        elif kind == "extract":
            commands.append(draw(_extractions(f"x_{next(counter)}", st.one_of(st.none(), fields))))
        else:
            commands.append(
                t.Opaque(draw(st.sampled_from(["unmask", "pattern", "diff"])), "@message")
            )
    if draw(st.booleans()):
        by = items(st.one_of(fields, st.just(t.Call("bin", (t.Period(1, "h"),)))))
        commands.append(t.Stats(items(aggregates), by))
    if draw(st.booleans()):
        commands.append(t.Dedup(tuple(draw(st.lists(fields, min_size=1, max_size=2)))))
        commands.append(t.Limit(draw(st.integers(1, 10))))
    return t.Query(tuple(commands))


@settings(max_examples=300, deadline=None)
@given(queries())
def test_render_reads_back_as_the_same_tree(query: t.Query) -> None:
    text = render(query)
    assert parse(text) == query
    assert render(parse(text)) == text


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_expressions_keep_their_precedence(expr: t.Expr) -> None:
    query = t.Query((t.Fields((t.Item(expr),)),))
    assert parse(render(query)) == query


def test_canonical_text_of_the_spelling_variants() -> None:
    assert render(parse("SORT BY a DESC | HEAD 3")) == "sort a desc | limit 3"
    assert render(parse("stats count (*) by bin (5min)")) == "stats count(*) by bin(5m)"
    assert render(parse("filter a == 'x\"y'")) == 'filter a = "x\\"y"'
    assert render(parse("fields (a + b) * c, a + (b * c), (a - b) - c, a - (b - c)")) == (
        "fields (a + b) * c, a + b * c, a - b - c, a - (b - c)"
    )
    assert render(parse("filter not (a and b) or (c or d) and e")) == (
        "filter not (a and b) or (c or d) and e"
    )


def test_str_of_a_tree_is_its_canonical_text() -> None:
    query = parse("fields `a-b`|filter x like /y/")
    assert str(query) == render(query) == "fields `a-b` | filter x like /y/"
    assert str(query.commands[1]) == "filter x like /y/"
