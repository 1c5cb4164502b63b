"""Terraform expressions read into a small tree (:func:`parse_expression`), for the values that
can be known without deploying (:mod:`cwquery.iac.hcleval`). Every node keeps where it is
written; a string literal keeps the place of each of its characters.

>>> node = parse_expression('lookup(each.value, "pattern", var.p)', 0)
>>> type(node).__name__, node.name, [type(a).__name__ for a in node.args]
('Call', 'lookup', ['Attr', 'Literal', 'Attr'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cwquery.iac.hcl import (
    hcl_heredoc_end,
    hcl_interpolation_end,
    hcl_string_at,
    hcl_string_end,
)
from cwquery.iac.locate import DocumentError, Located

__all__ = [
    "Attr",
    "Call",
    "Conditional",
    "ForExpr",
    "Index",
    "Literal",
    "Name",
    "Node",
    "ObjectCons",
    "Operation",
    "Template",
    "TupleCons",
    "Unsupported",
    "parse_expression",
]


@dataclass(frozen=True)
class Node:
    """An expression written at ``text[start:end]``."""

    start: int
    end: int


@dataclass(frozen=True)
class Literal(Node):
    """A number, boolean, null or string without interpolation (``located`` for a string)."""

    value: Any
    located: Located | None = None


@dataclass(frozen=True)
class Template(Node):
    """A quoted string with ``${…}``: literal text and expressions, in order."""

    parts: tuple[str | Node, ...]


@dataclass(frozen=True)
class Name(Node):
    """A bare name: ``var``, ``local``, ``each``, a resource type, a ``for`` variable."""

    name: str


@dataclass(frozen=True)
class Attr(Node):
    """``target.name``."""

    target: Node
    name: str


@dataclass(frozen=True)
class Index(Node):
    """``target[key]``."""

    target: Node
    key: Node


@dataclass(frozen=True)
class Call(Node):
    """``name(args)``; ``expand`` when the last argument ends with ``...``."""

    name: str
    args: tuple[Node, ...]
    expand: bool = False


@dataclass(frozen=True)
class Conditional(Node):
    """``test ? yes : no``."""

    test: Node
    yes: Node
    no: Node


@dataclass(frozen=True)
class Operation(Node):
    """A unary (``!``, ``-``) or binary operator."""

    op: str
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class TupleCons(Node):
    """``[a, b]``."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class ObjectCons(Node):
    """``{key = value}``; a bare name as key is the literal key."""

    items: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True)
class ForExpr(Node):
    """``[for k, v in c : value if cond]`` or ``{for k, v in c : key => value... if cond}``."""

    key_var: str | None
    value_var: str
    collection: Node
    key: Node | None
    value: Node
    condition: Node | None
    grouped: bool


@dataclass(frozen=True)
class Unsupported(Node):
    """Something this reader does not evaluate (splats, ``%{…}`` directives, heredoc
    templates)."""

    reason: str


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)\r?\n")
_BINARY = (("||",), ("&&",), ("==", "!="), ("<=", ">=", "<", ">"), ("+", "-"), ("*", "/", "%"))
_KEYWORDS = {"true": True, "false": False, "null": None}
#: Deeper nesting than this is not read (a hostile file cannot exhaust the stack).
_MAX_DEPTH = 64


def parse_expression(text: str, start: int, end: int | None = None) -> Node:
    """The expression written at ``text[start:end]``. Raises :class:`DocumentError` when it
    cannot be read."""
    parser = _Parser(text, len(text) if end is None else end)
    node = parser.expression(start)
    if parser.blank(node.end) < parser.end:
        raise DocumentError("unexpected text after an expression", parser.blank(node.end))
    return node


class _Parser:
    def __init__(self, text: str, end: int) -> None:
        self.text = text
        self.end = end
        self.depth = 0

    def blank(self, index: int) -> int:
        text = self.text
        while index < self.end:
            char = text[index]
            if char in " \t\r\n":
                index += 1
            elif char == "#" or text.startswith("//", index):
                found = text.find("\n", index)
                index = self.end if found == -1 else found
            elif text.startswith("/*", index):
                found = text.find("*/", index + 2)
                index = self.end if found == -1 else found + 2
            else:
                break
        return index

    def at(self, index: int, token: str) -> bool:
        return self.text.startswith(token, index) and index + len(token) <= self.end

    def expect(self, index: int, token: str) -> int:
        index = self.blank(index)
        if not self.at(index, token):
            raise DocumentError(f"expected {token!r}", index)
        return index + len(token)

    def expression(self, index: int) -> Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise DocumentError("expression nested too deeply", index)
        try:
            test = self.binary(index, 0)
            after = self.blank(test.end)
            if not self.at(after, "?"):
                return test
            yes = self.expression(after + 1)
            no = self.expression(self.expect(yes.end, ":"))
            return Conditional(test.start, no.end, test, yes, no)
        finally:
            self.depth -= 1

    def binary(self, index: int, level: int) -> Node:
        if level == len(_BINARY):
            return self.unary(index)
        left = self.binary(index, level + 1)
        while True:
            after = self.blank(left.end)
            op = next((o for o in _BINARY[level] if self.at(after, o)), None)
            if op is None or self.at(after, "<<"):
                return left
            right = self.binary(after + len(op), level + 1)
            left = Operation(left.start, right.end, op, (left, right))

    def unary(self, index: int) -> Node:
        index = self.blank(index)
        if self.at(index, "!") or self.at(index, "-"):
            operand = self.unary(index + 1)
            return Operation(index, operand.end, self.text[index], (operand,))
        return self.postfix(self.primary(index))

    def postfix(self, node: Node) -> Node:
        while True:
            after = self.blank(node.end)
            if self.at(after, ".*") or self.at(after, "[*]"):
                end = after + (2 if self.at(after, ".*") else 3)
                node = Unsupported(node.start, end, "a splat expression is not evaluated")
            elif self.at(after, ".") and not self.at(after, "..."):
                name = _IDENTIFIER.match(self.text, after + 1, self.end) or _NUMBER.match(
                    self.text, after + 1, self.end
                )
                if name is None:
                    raise DocumentError("expected an attribute name", after + 1)
                node = Attr(node.start, name.end(), node, name.group())
            elif self.at(after, "["):
                key = self.expression(after + 1)
                node = Index(node.start, self.expect(key.end, "]"), node, key)
            else:
                return node

    def primary(self, index: int) -> Node:
        index = self.blank(index)
        text = self.text
        if index >= self.end:
            raise DocumentError("expected an expression", index)
        char = text[index]
        if char == '"':
            return self.string(index)
        if char == "<" and _HEREDOC.match(text, index, self.end):
            return self.heredoc(index)
        number = _NUMBER.match(text, index, self.end)
        if number:
            raw = number.group()
            value: Any = int(raw) if raw.isdigit() else float(raw)
            return Literal(index, number.end(), value)
        if char == "(":
            inner = self.expression(index + 1)
            end = self.expect(inner.end, ")")
            return _rewrapped(inner, index, end)
        if char == "[":
            return self.tuple_or_for(index)
        if char == "{":
            return self.object_or_for(index)
        name = _IDENTIFIER.match(text, index, self.end)
        if name is None:
            raise DocumentError(f"unexpected {char!r}", index)
        word = name.group()
        after = self.blank(name.end())
        if self.at(after, "::"):  # a provider function: not evaluated
            call = self.postfix(Name(index, name.end(), word))
            return Unsupported(index, call.end, f"{word}:: functions are not evaluated")
        if self.at(after, "("):
            return self.call(word, index, after + 1)
        if word in _KEYWORDS:
            return Literal(index, name.end(), _KEYWORDS[word])
        return Name(index, name.end(), word)

    def call(self, name: str, start: int, index: int) -> Node:
        args: list[Node] = []
        expand = False
        while True:
            index = self.blank(index)
            if self.at(index, ")"):
                return Call(start, index + 1, name, tuple(args), expand)
            argument = self.expression(index)
            args.append(argument)
            index = self.blank(argument.end)
            if self.at(index, "..."):
                expand, index = True, self.blank(index + 3)
            if self.at(index, ","):
                index += 1
            elif not self.at(index, ")"):
                raise DocumentError("expected ',' or ')'", index)

    def _for_header(self, index: int) -> tuple[str | None, str, Node, int] | None:
        """``for k, v in collection :``: the names, the collection and the index after ``:``."""
        word = _IDENTIFIER.match(self.text, index, self.end)
        if word is None or word.group() != "for":
            return None
        first = _IDENTIFIER.match(self.text, self.blank(word.end()), self.end)
        if first is None:
            return None
        names = [first.group()]
        after = self.blank(first.end())
        if self.at(after, ","):
            second = _IDENTIFIER.match(self.text, self.blank(after + 1), self.end)
            if second is None:
                raise DocumentError("expected a name", after + 1)
            names.append(second.group())
            after = self.blank(second.end())
        if not self.at(after, "in"):
            raise DocumentError("expected 'in'", after)
        collection = self.expression(after + 2)
        colon = self.expect(collection.end, ":")
        key_var, value_var = (None, names[0]) if len(names) == 1 else (names[0], names[1])
        return key_var, value_var, collection, colon

    def _for_condition(self, index: int) -> tuple[Node | None, int]:
        index = self.blank(index)
        word = _IDENTIFIER.match(self.text, index, self.end)
        if word is None or word.group() != "if":
            return None, index
        condition = self.expression(word.end())
        return condition, condition.end

    def tuple_or_for(self, start: int) -> Node:
        index = self.blank(start + 1)
        header = self._for_header(index)
        if header is not None:
            key_var, value_var, collection, index = header
            value = self.expression(index)
            condition, index = self._for_condition(value.end)
            end = self.expect(index, "]")
            return ForExpr(
                start, end, key_var, value_var, collection, None, value, condition, False
            )
        items: list[Node] = []
        while True:
            index = self.blank(index)
            if self.at(index, "]"):
                return TupleCons(start, index + 1, tuple(items))
            item = self.expression(index)
            items.append(item)
            index = self.blank(item.end)
            if self.at(index, ","):
                index += 1
            elif not self.at(index, "]"):
                raise DocumentError("expected ',' or ']'", index)

    def object_or_for(self, start: int) -> Node:
        index = self.blank(start + 1)
        header = self._for_header(index)
        if header is not None:
            key_var, value_var, collection, index = header
            name = self.expression(index)
            value = self.expression(self.expect(name.end, "=>"))
            index = self.blank(value.end)
            grouped = self.at(index, "...")
            condition, index = self._for_condition(index + 3 if grouped else index)
            end = self.expect(index, "}")
            return ForExpr(
                start, end, key_var, value_var, collection, name, value, condition, grouped
            )
        items: list[tuple[Node, Node]] = []
        while True:
            index = self.blank(index)
            if self.at(index, "}"):
                return ObjectCons(start, index + 1, tuple(items))
            word = _IDENTIFIER.match(self.text, index, self.end)
            key: Node
            if word is not None and self._assigns(self.blank(word.end())):
                key = Literal(index, word.end(), word.group())
            else:
                key = self.expression(index)
            after = self.blank(key.end)
            if not self._assigns(after):
                raise DocumentError("expected '=' or ':'", after)
            value = self.expression(after + 1)
            items.append((key, value))
            index = self.blank(value.end)
            if self.at(index, ","):
                index += 1

    def _assigns(self, index: int) -> bool:
        """``=`` or ``:`` between an object key and its value."""
        if self.at(index, "==") or self.at(index, "=>"):
            return False
        return self.at(index, "=") or self.at(index, ":")

    def string(self, start: int) -> Node:
        end = self._string_end(start)
        literal = hcl_string_at(self.text, start, end)
        raw = self.text[start:end].replace("$${", "").replace("%%{", "")
        if literal is not None and "${" not in raw and "%{" not in raw:
            return Literal(start, end, literal.value, literal)
        if "%{" in raw:
            return Unsupported(start, end, "a %{…} template directive is not evaluated")
        return Template(start, end, tuple(self._parts(start + 1, end - 1)))

    def _string_end(self, start: int) -> int:
        end = hcl_string_end(self.text, start)
        if end > self.end:
            raise DocumentError("unclosed string", start)
        return end

    def _interpolation_end(self, index: int) -> int:
        end = hcl_interpolation_end(self.text, index)
        if end > self.end:
            raise DocumentError("unclosed ${", index)
        return end

    def _parts(self, start: int, end: int) -> list[str | Node]:
        parts: list[str | Node] = []
        literal_start = index = start
        text = self.text
        while index < end:
            if text.startswith(("$${", "%%{"), index):
                index += 3
            elif text.startswith("${", index):
                if index > literal_start:
                    parts.append(_decoded(text, literal_start, index))
                close = self._interpolation_end(index + 2)
                inner_start = index + 2 + (1 if text.startswith("~", index + 2) else 0)
                inner_end = close - 1 - (1 if text[close - 2] == "~" else 0)
                parts.append(_Parser(text, inner_end).expression(inner_start))
                literal_start = index = close
            else:
                index += 2 if text[index] == "\\" else 1
        if end > literal_start:
            parts.append(_decoded(text, literal_start, end))
        return parts

    def heredoc(self, start: int) -> Node:
        end = hcl_heredoc_end(self.text, start)
        if end > self.end:
            raise DocumentError("unclosed heredoc", start)
        literal = hcl_string_at(self.text, start, end)
        raw = self.text[start:end].replace("$${", "").replace("%%{", "")
        if literal is None or "${" in raw or "%{" in raw:
            return Unsupported(start, end, "a heredoc template is not evaluated")
        return Literal(start, end, literal.value, literal)


def _decoded(text: str, start: int, end: int) -> str:
    """Literal text between interpolations, its escapes read."""
    located = hcl_string_at('"' + text[start:end] + '"', 0, end - start + 2)
    return text[start:end] if located is None else located.value


def _rewrapped(node: Node, start: int, end: int) -> Node:
    """A parenthesised expression, spanning its parentheses."""
    fields = {name: getattr(node, name) for name in node.__dataclass_fields__}
    fields.update(start=start, end=end)
    return type(node)(**fields)
