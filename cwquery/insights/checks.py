"""The checks ``parse`` makes on a tree before any event is read (spec §12.3, I59): function
arity and argument kinds, aggregates only in ``stats``, regexes RE2 can compile, ``parse``
alias counts, the ``limit`` range, ``dedup`` last but for ``limit``, the two-``stats`` rules,
and names the query defines twice.

>>> from cwquery.insights import parse, QueryError
>>> try:
...     parse('parse @message "user=*" as who | fields who')
... except QueryError as err:
...     print(err.code, err.service_message)
redefined Ephemeral field is already defined: who ([40,43])
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from cwquery.insights import tree as t
from cwquery.insights.errors import (
    QueryError,
    QueryLimitError,
    QueryRedefinedError,
    QueryRegexError,
    QuerySyntaxError,
)
from cwquery.insights.functions import AGGREGATE, lookup

__all__ = ["LIMIT_MAX", "SOURCE_LIMITS", "capturing_groups", "check_query", "re2_pattern"]

#: I10: ``limit`` takes 1..100,000
LIMIT_MAX = 100_000

#: spec §10: the most values each list of ``SOURCE logGroups(…)`` takes
SOURCE_LIMITS = {"namePrefix": 5, "accountIdentifiers": 20}
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")

_SUBNET_FUNCTIONS = ("isIpInSubnet", "isIpv4InSubnet", "isIpv6InSubnet")


def check_query(query: t.Query, text: str) -> None:
    """Raise the first :class:`QueryError` the service would raise for this parsed query."""
    _Checker(text).run(query)


class _Checker:
    def __init__(self, text: str) -> None:
        self.text = text
        #: names the query has defined so far → the span that defined them (I7)
        self.defined: dict[str, t.Span] = {}
        #: names a ``parse`` defined (re-listing them in ``fields`` redefines them, §2.3)
        self.parsed: set[str] = set()
        #: whether the command being checked follows a stats (an aggregate call then names the
        #: column it made: ``stats count(*) by x | sort count(*) desc``)
        self.after_stats = False

    def fail(
        self, kind: type[QueryError], message: str, span: t.Span, **extra: str | None
    ) -> QueryError:
        start, end = span
        return kind(message, self.text, start, length=max(1, end - start), **extra)

    def run(self, query: t.Query) -> None:
        commands = query.commands
        stats = [index for index, command in enumerate(commands) if isinstance(command, t.Stats)]
        if len(stats) > 2:
            raise self.fail(
                QuerySyntaxError,
                "a query may hold at most two stats commands",
                commands[stats[2]].span,
                hint="the limit of two stats cannot be raised (I41)",
            )
        for index, command in enumerate(commands):
            self.after_stats = bool(stats) and index > stats[0]
            self.command(command)
            if isinstance(command, t.Dedup):
                for later in commands[index + 1 :]:
                    if not isinstance(later, t.Limit):
                        raise self.fail(
                            QuerySyntaxError,
                            "only limit may follow dedup",
                            later.span,
                            hint="move this command before dedup (I12)",
                        )
        if len(stats) == 2:
            self.two_stats(commands, stats[0], stats[1])

    # ----------------------------------------------------------------------- commands

    def command(self, command: t.Command) -> None:
        nodes = list(t.walk(command, subqueries=False))
        placed = {id(node.pattern) for node in nodes if isinstance(node, (t.Like, t.Parse))}
        for node in nodes:
            if isinstance(node, t.Query):  # a subquery: a query of its own, with its own names
                _Checker(self.text).run(node)
                continue
            if isinstance(node, t.Regex) and id(node) not in placed:
                raise self.fail(
                    QuerySyntaxError,
                    "a /regex/ is only valid after like or =~, and in parse",
                    node.span,
                    hint='to compare with text, write a string: "…"',
                )
            self.node(node, inside_stats=isinstance(command, t.Stats))
        if isinstance(command, t.Stats):
            self.stats(command)
        elif isinstance(command, t.Fields):
            for item in command.items:
                if item.alias is not None:
                    self.define(item.alias, item.span)
                elif isinstance(item.expr, t.Field) and item.expr.name in self.parsed:
                    self.define(item.expr.name, item.span)
        elif isinstance(command, t.Limit) and not 1 <= command.count <= LIMIT_MAX:
            raise self.fail(
                QueryLimitError,
                f"limit must be between 1 and {LIMIT_MAX:,}, not {command.count}",
                command.span,
                hint="without limit a query returns at most 10,000 rows",
            )
        elif isinstance(command, t.Parse):
            self.parse(command)
        elif isinstance(command, t.Json):
            self.define(command.alias, command.span)
        elif isinstance(command, t.Opaque) and command.name == "source":
            self.source(command)
        elif isinstance(command, t.Unnest):
            self.define(command.into, command.span)

    def source(self, command: t.Opaque) -> None:
        """Spec §10: ``SOURCE logGroups(…)`` takes at most 5 name prefixes and 20 accounts."""
        for key, most in SOURCE_LIMITS.items():
            listed = re.search(rf"\b{key}\s*:\s*\[([^\]]*)\]", command.text)
            count = len(_QUOTED.findall(listed.group(1))) if listed else 0
            if count > most:
                raise self.fail(
                    QueryLimitError,
                    f"SOURCE logGroups() takes at most {most} {key} values, not {count}",
                    command.span,
                )

    def define(self, name: str, span: t.Span, *, by_parse: bool = False) -> None:
        if name in self.defined:
            start, end = span
            raise self.fail(
                QueryRedefinedError,
                f"the field {name!r} is already defined by this query",
                span,
                hint="pick another alias, or use the field without defining it again",
                service_message=f"Ephemeral field is already defined: {name} ([{start},{end}])",
            )
        self.defined[name] = span
        if by_parse:
            self.parsed.add(name)

    def parse(self, command: t.Parse) -> None:
        names = command.aliases
        if command.mode == "glob":
            assert isinstance(command.pattern, t.String)
            stars = command.pattern.value.count("*")
            if stars != len(names):
                raise self.fail(
                    QuerySyntaxError,
                    f"the pattern has {stars} '*' but {len(names)} alias"
                    f"{'' if len(names) == 1 else 'es'} follow as",
                    command.span,
                    hint="the number of * wildcards must equal the number of aliases",
                )
        elif command.mode == "regex":
            assert isinstance(command.pattern, t.Regex)
            groups = capturing_groups(command.pattern.pattern)
            if names and len(names) != len(groups):
                raise self.fail(
                    QuerySyntaxError,
                    f"the regex has {len(groups)} capturing group"
                    f"{'' if len(groups) == 1 else 's'} but {len(names)} alias"
                    f"{'' if len(names) == 1 else 'es'} follow as",
                    command.span,
                    hint="name every capturing group, in the order of their '(' (I66)",
                )
            if not names:
                names = tuple(group for group in groups if group is not None)
                if not names:
                    raise self.fail(
                        QuerySyntaxError,
                        "a regex parse needs named groups (?<name>…) or an as list",
                        command.span,
                    )
        for name in dict.fromkeys(names):
            self.define(name, command.span, by_parse=True)

    def stats(self, command: t.Stats) -> None:
        earlier: set[str] = set()
        for item in command.items:
            self.aggregated(item.expr, earlier, item)
            if item.alias is not None:
                earlier.add(item.alias)
        for item in command.by:
            for node in t.walk(item.expr):
                if isinstance(node, t.Call) and _kind(node) == AGGREGATE:
                    raise self.fail(
                        QuerySyntaxError,
                        f"{node.name}() aggregates; it cannot group rows after by",
                        node.span,
                    )
        for item in (*command.by, *command.items):
            if item.alias is not None:
                self.define(item.alias, item.span)

    def aggregated(self, expr: t.Expr, aliases: set[str], item: t.Item) -> None:
        """I36: a stats item is an aggregate, arithmetic over aggregates and literals, a scalar
        function around them (I74), or an earlier alias of the same stats."""
        if isinstance(expr, t.Call) and _kind(expr) == AGGREGATE:
            return
        if isinstance(expr, t.Field):
            if expr.name in aliases:
                return
            raise self.fail(
                QuerySyntaxError,
                f"the field {expr.name!r} is used in stats outside an aggregate function",
                expr.span,
                hint=f"aggregate it (count({expr.name}), max({expr.name}), …) or group by it: "
                f"by {expr.name}",
            )
        for child in expr.children():
            self.aggregated(child, aliases, item)  # type: ignore[arg-type]

    def two_stats(self, commands: tuple[t.Command, ...], first: int, second: int) -> None:
        """I63: the rules the stats page gives for a query with two stats."""
        for command in commands[:second]:
            if isinstance(command, (t.Sort, t.Limit)):
                name = "sort" if isinstance(command, t.Sort) else "limit"
                raise self.fail(
                    QuerySyntaxError,
                    f"with two stats commands, {name} must come after the second",
                    command.span,
                    hint=f"move {name} after the second stats (I63)",
                )
        head = commands[first]
        assert isinstance(head, t.Stats)
        known = {item.column for item in (*head.by, *head.items)}
        for command in commands[first + 1 :]:
            defines = self.later_names(command)
            for node in _references(command):
                if node.name not in known:
                    raise self.fail(
                        QuerySyntaxError,
                        f"{node.name!r} is not a field of the first stats' rows",
                        node.span,
                        hint="after the first stats, only its groups and aggregates remain: "
                        + ", ".join(sorted(known)),
                    )
            if command is commands[second]:
                for below in t.walk(command, subqueries=False):
                    if (
                        isinstance(below, t.Call)
                        and below.name == "bin"
                        and "@timestamp" not in known
                    ):
                        raise self.fail(
                            QuerySyntaxError,
                            "bin() in the second stats reads @timestamp, which the first stats "
                            "did not produce",
                            below.span,
                            hint="carry a time through the first stats (by bin(5m) as @t) and use "
                            "dateceil(@t, 10m) in the second",
                        )
            known |= defines

    @staticmethod
    def later_names(command: t.Command) -> set[str]:
        if isinstance(command, (t.Fields, t.Stats)):
            items = command.items + (command.by if isinstance(command, t.Stats) else ())
            return {item.column for item in items}
        if isinstance(command, t.Parse):
            names = set(command.aliases)
            if isinstance(command.pattern, t.Regex) and not names:
                names = {name for name in capturing_groups(command.pattern.pattern) if name}
            return names
        if isinstance(command, t.Json):
            return {command.alias}
        if isinstance(command, t.Unnest):
            return {command.into}
        return set()

    # ----------------------------------------------------------------------- expressions

    def node(self, node: t.Node, *, inside_stats: bool) -> None:
        if isinstance(node, t.Regex):
            self.regex(node.pattern, node.span)
        elif isinstance(node, t.Call):
            self.call(node, inside_stats=inside_stats)
        elif isinstance(node, t.Period) and node.count < 1:
            raise self.fail(QuerySyntaxError, "a time period must be at least 1", node.span)

    def call(self, call: t.Call, *, inside_stats: bool) -> None:
        function = lookup(call.name)
        assert function is not None
        count = len(call.args)
        if not function.low <= count <= function.high:
            wanted = (
                str(function.low)
                if function.low == function.high
                else f"{function.low} to {function.high}"
                if function.high < 100
                else f"at least {function.low}"
            )
            raise self.fail(
                QuerySyntaxError,
                f"{call.name}() takes {wanted} argument{'' if wanted == '1' else 's'}, not {count}",
                call.span,
            )
        if function.kind == AGGREGATE and not inside_stats and not self.after_stats:
            raise self.fail(
                QuerySyntaxError,
                f"{call.name}() is an aggregate function; it is only valid in stats",
                call.span,
                hint=f"stats {call.name}(…)",
            )
        for index, argument in enumerate(call.args):
            if isinstance(argument, t.Star) and not (call.name == "count" and count == 1):
                raise self.fail(QuerySyntaxError, "'*' is only valid in count(*)", argument.span)
            wants_period = index in function.periods
            if wants_period != isinstance(argument, t.Period):
                message = (
                    f"argument {index + 1} of {call.name}() is a time period such as 5m or 1h"
                    if wants_period
                    else "a time period is only valid in bin(), datefloor() and dateceil()"
                )
                raise self.fail(QuerySyntaxError, message, argument.span)
        if call.name in _SUBNET_FUNCTIONS and isinstance(call.args[1], t.String):
            try:
                ipaddress.ip_network(call.args[1].value, strict=False)
            except ValueError:
                raise self.fail(
                    QuerySyntaxError,
                    f"{call.args[1].value!r} is not a CIDR block",
                    call.args[1].span,
                    hint="write an address and a prefix length, e.g. 10.0.0.0/8 (I27)",
                ) from None
        if call.name == "regexReplace" and isinstance(call.args[1], t.String):
            self.regex(call.args[1].value, call.args[1].span)
        if call.name in ("pct", "percentile"):
            rank = call.args[1]
            if not isinstance(rank, t.Number) or not 0 <= rank.value <= 100:
                raise self.fail(
                    QuerySyntaxError,
                    f"the percentile of {call.name}() is a number from 0 to 100",
                    rank.span,
                )

    def regex(self, pattern: str, span: t.Span) -> None:
        import re2  # google-re2: the service's dialect (I62)

        options = re2.Options()
        options.log_errors = False
        try:
            re2.compile(re2_pattern(pattern), options)
        except re2.error as err:
            reason = err.args[0].decode() if isinstance(err.args[0], bytes) else str(err)
            raise self.fail(
                QueryRegexError,
                f"the regex is not valid RE2: {reason}",
                span,
                hint="no back-references or look-around; named groups are (?<name>…)",
            ) from None


def _kind(call: t.Call) -> str:
    function = lookup(call.name)
    return function.kind if function else ""


def _references(command: t.Command) -> Iterator[t.Field]:
    """The fields a command reads (not those it only names as aliases)."""
    for node in t.walk(command, subqueries=False):
        if isinstance(node, t.Field):
            yield node


_NAMED = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")


def re2_pattern(pattern: str) -> str:
    """The pattern in google-re2's spelling: ``(?<name>`` becomes ``(?P<name>``.

    >>> re2_pattern(r"(?<a>\\d+)")
    '(?P<a>\\\\d+)'
    """
    return _NAMED.sub(r"(?P<\1>", pattern)


def capturing_groups(pattern: str) -> list[str | None]:
    """The capturing groups of a regex in the order of their ``(``: the name, or ``None``.

    >>> capturing_groups(r"(a)(?:b)(?<c>[(])\\(")
    [None, 'c']
    """
    groups: list[str | None] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern.startswith("]", index + 1) or pattern.startswith("^]", index + 1):
                index += 2 if pattern[index + 1] == "]" else 3
                continue
        elif char == "(":
            named = _NAMED.match(pattern, index)
            if named:
                groups.append(named.group(1))
            elif not pattern.startswith("?", index + 1):
                groups.append(None)
        index += 1
    return groups
