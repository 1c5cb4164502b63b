"""Terraform files read for the places of their blocks, attributes and strings.

python-hcl2 gives the values of a Terraform file; this reader gives where they are written:
blocks with their labels, attributes with the extent of their expressions, and string literals
and heredocs with the offset of every character (``$${`` escapes, backslash escapes in quoted
strings, ``<<-`` indentation). Values are not interpreted beyond that.

>>> text = 'resource "t" "n" {\\n  pattern = "a\\\\"b"\\n}\\n'
>>> attribute = read_hcl_blocks(text).blocks[0].attributes["pattern"]
>>> located = hcl_string_at(text, attribute.start, attribute.end)
>>> located.value, located.offsets(text)
('a"b', (32, 33, 35, 36))
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from cwquery.iac.locate import DocumentError, Located

__all__ = [
    "HclAttribute",
    "HclBlock",
    "hcl_heredoc_end",
    "hcl_interpolates",
    "hcl_interpolation_end",
    "hcl_string_at",
    "hcl_string_end",
    "hcl_string_from",
    "read_hcl_blocks",
]


@dataclass(frozen=True)
class HclAttribute:
    """``name = expression``: where the expression is written (``end`` is exclusive)."""

    name: str
    start: int
    end: int


@dataclass
class HclBlock:
    """A block (or the file, with ``type`` ``""``): its attributes and nested blocks."""

    type: str
    labels: tuple[str, ...]
    start: int
    attributes: dict[str, HclAttribute] = field(default_factory=dict)
    blocks: list[HclBlock] = field(default_factory=list)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\r?\n")
_CLOSING = {"(": ")", "[": "]", "{": "}"}
#: The characters that can end a quoted string or start something inside it.
_STRING_STOP = re.compile(r'[\\"\n$%]')


def read_hcl_blocks(text: str) -> HclBlock:
    """The blocks and attributes of a Terraform file with their positions (values are not
    interpreted here). Raises :class:`DocumentError` when the structure cannot be followed.

    >>> root = read_hcl_blocks('resource "t" "n" {\\n  pattern = "x"\\n}\\n')
    >>> block = root.blocks[0]
    >>> block.labels, block.attributes["pattern"]
    (('t', 'n'), HclAttribute(name='pattern', start=31, end=34))
    """
    root = HclBlock("", (), 0)
    _HclReader(text).body(root, 0, closed=False)
    return root


def hcl_string_at(text: str, start: int, end: int) -> Located | None:
    """The string literal or heredoc that is the whole expression ``text[start:end]``, with
    ``None`` when the expression is anything else; its ``value`` has ``${…}`` still in it
    (callers check :func:`hcl_interpolates`)."""
    reader = _HclReader(text)
    if text.startswith('"', start):
        if reader.skip_string(start) != end:
            return None
        return Located(_hcl_template(text, start + 1, end - 1)[0], start, end, _hcl_quoted)
    heredoc = _HEREDOC.match(text, start)
    if heredoc and reader.skip_heredoc(start) == end:
        located = Located("", start, end, _heredoc)
        lines = _heredoc_lines(text, located)
        value = "".join(_hcl_template(text, s, e, escapes=False)[0] + "\n" for s, e in lines)
        return Located(value, start, end, _heredoc)
    return None


def hcl_string_from(text: str, start: int) -> Located | None:
    """The quoted string literal that starts at ``start``, if it closes on its line."""
    try:
        end = _HclReader(text).skip_string(start)
    except DocumentError:
        return None
    return hcl_string_at(text, start, end)


def hcl_string_end(text: str, start: int) -> int:
    """The offset after the quoted template that starts at ``start``, reading through escapes
    and ``${…}`` (strings inside included). Raises :class:`DocumentError` when it does not
    close on its line.

    >>> hcl_string_end('x = "a${b["c"]}\\\\"" # d', 4)
    18
    """
    return _HclReader(text).skip_string(start)


def hcl_interpolation_end(text: str, start: int) -> int:
    """The offset after the ``}`` that closes a ``${`` or ``%{`` whose body starts at ``start``.

    >>> hcl_interpolation_end('"${ {a = "}"}.a }!"', 3)
    17
    """
    return _HclReader(text).template_end(start)


def hcl_heredoc_end(text: str, start: int) -> int:
    """The offset after the heredoc that starts at ``start`` (its closing marker included).

    >>> text = "<<-EOT\\n  a\\n  EOT\\nnext"
    >>> text[hcl_heredoc_end(text, 0) :]
    '\\nnext'
    """
    return _HclReader(text).skip_heredoc(start)


def hcl_interpolates(text: str, located: Located) -> bool:
    """Whether a string literal holds ``${…}`` or ``%{…}`` (not the escaped ``$${``)."""
    raw = text[located.start : located.end]
    return bool(re.search(r"[$%]\{", raw.replace("$${", "").replace("%%{", "")))


class _HclReader:
    def __init__(self, text: str) -> None:
        self.text = text

    def blank(self, index: int, *, newlines: bool) -> int:
        """Skip blanks and comments (and line breaks when ``newlines``)."""
        text = self.text
        while index < len(text):
            char = text[index]
            if char in " \t\r" or (newlines and char == "\n"):
                index += 1
            elif char == "#" or text.startswith("//", index):
                end = text.find("\n", index)
                index = len(text) if end == -1 else end
            elif text.startswith("/*", index):
                end = text.find("*/", index + 2)
                if end == -1:
                    raise DocumentError("unclosed comment", index)
                index = end + 2
            else:
                break
        return index

    def body(self, block: HclBlock, index: int, *, closed: bool) -> int:
        text = self.text
        while True:
            index = self.blank(index, newlines=True)
            if index >= len(text):
                if closed:
                    raise DocumentError("a block is not closed with '}'", block.start)
                return index
            if text[index] == "}" and closed:
                return index + 1
            name = _IDENTIFIER.match(text, index)
            if name is None:
                raise DocumentError(f"unexpected {text[index]!r}", index)
            after = self.blank(name.end(), newlines=False)
            if text.startswith("=", after) and not text.startswith("==", after):
                start = self.blank(after + 1, newlines=False)
                end = self.expression_end(start)
                block.attributes[name.group()] = HclAttribute(name.group(), start, end)
                index = end
            else:
                index = self._block(block, name.group(), name.start(), after)

    def _block(self, parent: HclBlock, kind: str, start: int, index: int) -> int:
        labels: list[str] = []
        while True:
            index = self.blank(index, newlines=False)
            if self.text.startswith("{", index):
                break
            if self.text.startswith('"', index):
                end = self.skip_string(index)
                labels.append(self.text[index + 1 : end - 1])
                index = end
                continue
            label = _IDENTIFIER.match(self.text, index)
            if label is None:
                raise DocumentError("expected '=', a block label or '{'", index)
            labels.append(label.group())
            index = label.end()
        block = HclBlock(kind, tuple(labels), start)
        parent.blocks.append(block)
        return self.body(block, index + 1, closed=True)

    def expression_end(self, index: int) -> int:
        """Where the expression starting at ``index`` ends: a line break, comment or closing
        brace outside brackets, strings and heredocs."""
        text, end = self.text, index
        stack: list[str] = []
        while index < len(text):
            char = text[index]
            if char == '"':
                index = end = self.skip_string(index)
                continue
            if text.startswith("<<", index) and _HEREDOC.match(text, index):
                index = end = self.skip_heredoc(index)
                continue
            if char == "#" or text.startswith(("//", "/*"), index):
                if not stack:
                    break
                index = self.blank(index, newlines=False)
                continue
            if not stack and char in "\n}":
                break
            if char in _CLOSING:
                stack.append(_CLOSING[char])
            elif stack and char == stack[-1]:
                stack.pop()
            elif char in ")]}":
                raise DocumentError(f"unexpected {char!r}", index)
            index += 1
            if char not in " \t\r\n":
                end = index
        if stack:
            raise DocumentError(f"expected {stack[-1]!r}", index)
        return end

    def skip_string(self, index: int) -> int:
        """The offset after the quoted template starting at ``index``."""
        text = self.text
        position = index + 1
        while True:
            stop = _STRING_STOP.search(text, position)  # other characters are the string's own
            if stop is None:
                break
            position = stop.start()
            char = text[position]
            if char == "\\":
                position += 2
            elif char == '"':
                return position + 1
            elif char == "\n":
                break
            elif text.startswith(("$${", "%%{"), position):
                position += 3
            elif text.startswith(("${", "%{"), position):
                position = self.template_end(position + 2)
            else:
                position += 1
        raise DocumentError("unclosed string", index)

    def template_end(self, index: int) -> int:
        depth, text = 1, self.text
        while index < len(text):
            char = text[index]
            if char == '"':
                index = self.skip_string(index)
                continue
            depth += {"{": 1, "}": -1}.get(char, 0)
            index += 1
            if depth == 0:
                return index
        raise DocumentError("unclosed ${", index)

    def skip_heredoc(self, index: int) -> int:
        """The offset after the heredoc starting at ``index`` (its closing marker included)."""
        match = _HEREDOC.match(self.text, index)
        if match is None:
            raise DocumentError("invalid heredoc", index)
        marker = re.compile(rf"^[ \t]*{re.escape(match.group(2))}[ \t]*\r?$", re.MULTILINE)
        closing = marker.search(self.text, match.end())
        if closing is None:
            raise DocumentError(f"heredoc {match.group(2)} is not closed", index)
        return closing.end()


# --------------------------------------------------------------------------- string literals


def _hcl_quoted(source: str, located: Located) -> tuple[int, ...] | None:
    _, offsets = _hcl_template(source, located.start + 1, located.end - 1)
    return (*offsets, located.end - 1)


_HCL_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _hcl_template(
    source: str, start: int, end: int, *, escapes: bool = True
) -> tuple[str, list[int]]:
    """HCL template text and the offset of each character: ``$${`` and ``%%{`` are ``${`` and
    ``%{``; quoted strings (not heredocs) also have backslash escapes (``\\n``, ``\\"``,
    ``\\uNNNN``…)."""
    plain = "$${" not in source[start : end + 2] and "%%{" not in source[start : end + 2]
    if plain and not (escapes and "\\" in source[start:end]):  # written as it reads
        return source[start:end], list(range(start, end))
    return _hcl_characters(source, start, end, escapes=escapes)


def _hcl_characters(
    source: str, start: int, end: int, *, escapes: bool = True
) -> tuple[str, list[int]]:
    """:func:`_hcl_template` character by character."""
    chars: list[str] = []
    offsets: list[int] = []
    index = start
    while index < end:
        if source.startswith(("$${", "%%{"), index):
            chars += [source[index], "{"]
            offsets += [index, index + 2]
            index += 3
            continue
        offsets.append(index)
        marker = source[index + 1 : index + 2] if escapes and source[index] == "\\" else ""
        if marker in ("u", "U"):
            width = 4 if marker == "u" else 8
            digits = source[index + 2 : index + 2 + width]
            try:
                chars.append(chr(int(digits, 16)))
            except ValueError:
                chars.append(source[index : index + 2 + width])
            index += 2 + width
        elif marker:
            chars.append(_HCL_ESCAPES.get(marker, "\\" + marker))
            index += 2
        else:
            chars.append(source[index])
            index += 1
    return "".join(chars), offsets


def _heredoc(source: str, located: Located) -> tuple[int, ...] | None:
    """A heredoc's lines; ``<<-`` removes the smallest indentation of its lines."""
    offsets: list[int] = []
    for line_start, line_end in _heredoc_lines(source, located):
        offsets += _hcl_template(source, line_start, line_end, escapes=False)[1]
        offsets.append(line_end)  # the line break
    return (*offsets, offsets[-1] if offsets else located.start)


def _heredoc_lines(source: str, located: Located) -> Iterator[tuple[int, int]]:
    header_end = source.index("\n", located.start) + 1
    lines, position = [], header_end
    while position < located.end:
        end = source.find("\n", position)
        end = located.end if end == -1 or end > located.end else end
        lines.append((position, end))
        position = end + 1
    if lines:
        lines.pop()  # the closing marker
    if source.startswith("<<-", located.start):
        indents = [
            len(source[s:e]) - len(source[s:e].lstrip(" \t"))
            for s, e in lines
            if source[s:e].strip()
        ]
        cut = min(indents, default=0)
        lines = [(s + min(cut, e - s), e) for s, e in lines]
    for start, end in lines:
        yield start, end - 1 if source[start:end].endswith("\r") else end
