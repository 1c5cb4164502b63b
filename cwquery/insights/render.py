"""The canonical text of a query tree: lower-case keywords, double-quoted strings, ``=`` for
``==`` (I71), ``where`` written ``filter``, ``head`` written ``limit``, no blank before ``(``
(I75), and only the parentheses precedence needs (§3.1). ``parse(render(tree)) == tree``.

>>> from cwquery.insights import parse
>>> render(parse("FIELDS `a-b`, x.y AS z | FILTER (a == 1 OR b = 2) AND NOT c LIKE 'x'"))
'fields `a-b`, x.y as z | filter (a = 1 or b = 2) and not c like "x"'
"""

from __future__ import annotations

import re

from cwquery.insights import tree as t

__all__ = ["KEYWORDS", "name", "render"]

#: words a bare field name may not be spelled as (they read as keywords somewhere)
KEYWORDS = frozenset(
    (
        "and",
        "or",
        "not",
        "like",
        "in",
        "as",
        "by",
        "asc",
        "desc",
        "true",
        "false",
        "any",
        "into",
        "multi",
        "logfmt",
        "csv",
        "field",
    )
)
_BARE = re.compile(r"[A-Za-z_@][A-Za-z0-9_@.]*")

#: binding level of each expression (1 binds tightest, §3.1)
_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _NEGATE, _POWER, _ATOM = 9, 8, 7, 6, 5, 4, 3, 2, 1
_BINARY = {"or": _OR, "and": _AND, "+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT}
_BINARY.update({"%": _PRODUCT, "^": _POWER})


def name(text: str) -> str:
    """A field name or alias as the grammar reads it back: bare, or in backticks.

    >>> name("@message"), name("foo-bar"), name("true"), name("a`b")
    ('@message', '`foo-bar`', '`true`', '`a``b`')
    """
    if _BARE.fullmatch(text) and text.lower() not in KEYWORDS and not text.endswith("."):
        return text
    return "`" + text.replace("`", "``") + "`"


def render(node: t.Node) -> str:
    """The canonical text of a query, a command or an expression."""
    if isinstance(node, t.Query):
        return " | ".join(render(command) for command in node.commands)
    if isinstance(node, t.Item):
        return _expr(node.expr) + (f" as {name(node.alias)}" if node.alias is not None else "")
    if isinstance(node, t.SortKey):
        return _expr(node.expr) + (" desc" if node.descending else "")
    command = _command(node)
    return command if command is not None else _expr(node)  # type: ignore[arg-type]


def _items(items: tuple[t.Item, ...]) -> str:
    return ", ".join(render(item) for item in items)


def _command(node: t.Node) -> str | None:
    if isinstance(node, t.Fields):
        return f"fields {_items(node.items)}"
    if isinstance(node, t.Display):
        return f"display {_items(node.items)}"
    if isinstance(node, t.Filter):
        return f"{'filterIndex' if node.index else 'filter'} {_expr(node.condition)}"
    if isinstance(node, t.Stats):
        by = f" by {_items(node.by)}" if node.by else ""
        offset = f" offset {_expr(node.offset)}" if node.offset is not None else ""
        return f"stats {_items(node.items)}{by}{offset}"
    if isinstance(node, t.Sort):
        return "sort " + ", ".join(render(key) for key in node.keys)
    if isinstance(node, t.Limit):
        return {"limit": "limit", "any": "limit any", "tail": "tail"}[node.mode] + f" {node.count}"
    if isinstance(node, t.Dedup):
        return "dedup " + ", ".join(_expr(field) for field in node.fields)
    if isinstance(node, t.Parse):
        parts = ["parse"]
        if node.source is not None:
            parts.append(_expr(node.source))
        parts.append(_expr(node.pattern) if node.pattern is not None else node.mode)
        if node.aliases:
            parts.append("as " + ", ".join(name(alias) for alias in node.aliases))
        if node.multi:
            parts.append("multi")
        return " ".join(parts)
    if isinstance(node, t.Json):
        return f"json field={_expr(node.source)} {_string(node.path)} as {name(node.alias)}"
    if isinstance(node, t.Unnest):
        return f"unnest {_expr(node.expr)} into {name(node.into)}"
    if isinstance(node, t.Opaque):
        blank = "" if node.text.startswith("(") or not node.text else " "
        return f"{node.name}{blank}{node.text}"
    return None


def _string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


def _level(node: t.Expr) -> int:
    if isinstance(node, t.Binary):
        return _BINARY[node.op]
    if isinstance(node, t.Not):
        return _NOT
    if isinstance(node, (t.Compare, t.Like, t.In)):
        return _COMPARE
    if isinstance(node, t.Negate):
        return _NEGATE
    return _ATOM


def _at(node: t.Expr, most: int) -> str:
    """``node``'s text, in parentheses when it binds more loosely than ``most`` allows."""
    text = _expr(node)
    return f"({text})" if _level(node) > most else text


def _expr(node: t.Expr) -> str:
    if isinstance(node, t.Field):
        return name(node.name)
    if isinstance(node, t.String):
        return _string(node.value)
    if isinstance(node, t.Number):
        return node.text
    if isinstance(node, t.Boolean):
        return "true" if node.value else "false"
    if isinstance(node, t.Regex):
        return f"/{node.source}/"
    if isinstance(node, t.Period):
        return f"{node.count}{node.unit}"
    if isinstance(node, t.Star):
        return "*"
    if isinstance(node, t.ListLiteral):
        return "[" + ", ".join(_expr(item) for item in node.items) + "]"
    if isinstance(node, t.Call):
        return f"{node.name}({', '.join(_expr(arg) for arg in node.args)})"
    if isinstance(node, t.Access):
        target = _at(node.target, _ATOM)
        if isinstance(node.target, (t.Boolean, t.Number)):  # `false.a` would read as one name
            target = f"({target})"
        if isinstance(node.key, int):
            return f"{target}[{node.key}]"
        key = name(node.key)
        if isinstance(node.target, t.Field) or "." in key:  # `a.b` reads as the field "a.b"
            key = "`" + node.key.replace("`", "``") + "`"
        return f"{target}.{key}"
    if isinstance(node, t.Negate):
        return "-" + _at(node.operand, _NEGATE)
    if isinstance(node, t.Not):
        return "not " + _at(node.operand, _NOT)
    if isinstance(node, t.Binary):
        level = _BINARY[node.op]
        if node.op == "^":  # right-associative, a unary minus may follow
            return f"{_at(node.left, _ATOM)} ^ {_at(node.right, _NEGATE)}"
        return f"{_at(node.left, level)} {node.op} {_at(node.right, level - 1)}"
    if isinstance(node, t.Compare):
        return f"{_at(node.left, _SUM)} {node.op} {_at(node.right, _SUM)}"
    if isinstance(node, t.Like):
        keyword = "not like" if node.negated else "like"
        return f"{_at(node.subject, _SUM)} {keyword} {_expr(node.pattern)}"
    if isinstance(node, t.In):
        keyword = "not in" if node.negated else "in"
        if isinstance(node.values, t.Query):
            return f"{_at(node.subject, _SUM)} {keyword} ({render(node.values)})"
        return f"{_at(node.subject, _SUM)} {keyword} {_expr(node.values)}"
    raise TypeError(f"not a query node: {node!r}")
