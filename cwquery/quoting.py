"""A pattern written as a literal of the language it is pasted into: a POSIX shell word, a YAML
scalar, an HCL (Terraform) string, a JSON string or a TypeScript string. Each literal reads back
as exactly the pattern; the choice of quotes is the one that needs the fewest escapes.

>>> print(quote_for('{ $.user = "it\\'s" }', "sh"))
'{ $.user = "it'\\''s" }'
>>> print(quote_for("{ $.level = ERROR }", "yaml"))
'{ $.level = ERROR }'
>>> print(quote_for('%ab${c}%', "hcl"))
"%ab$${c}%"
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import yaml

__all__ = [
    "TARGETS",
    "quote_for",
    "quote_hcl",
    "quote_json",
    "quote_sh",
    "quote_ts",
    "quote_yaml",
    "yaml_double_quoted",
    "yaml_plain_safe",
    "yaml_single_quoted",
]


def quote_sh(text: str) -> str:
    """A POSIX shell word: single quotes, each embedded ``'`` written ``'\\''``.

    >>> quote_sh("it's")
    "'it'\\\\''s'"
    """
    return "'" + text.replace("'", "'\\''") + "'"


# --------------------------------------------------------------------------- YAML

#: Characters YAML allows in a stream (YAML 1.1 ``c-printable``, as PyYAML reads it), without
#: the line breaks and BOM, which are escaped.
_YAML_UNPRINTABLE = re.compile(
    "[^\x09\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
#: A first character that has a meaning in YAML (an indicator) or is a space.
_YAML_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` \t")
#: Text that some YAML version reads as a number, boolean, null or date when left plain.
_YAML_TYPED = re.compile(
    r"[-+.]?[0-9].*|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)|~|<<|="
    r"|(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL)",
    re.DOTALL,
)


def yaml_plain_safe(text: str) -> bool:
    """Whether ``text`` can be written as a plain (unquoted) YAML scalar, in block and flow
    context alike, and read back as the same string by any YAML reader.

    >>> [yaml_plain_safe(t) for t in ("ERROR", "true", "a: b", "{ $.a = 1 }", "a #b", "a,b")]
    [True, False, False, False, False, False]
    """
    if not text or text[0] in _YAML_INDICATORS or text[-1] in " \t:":
        return False
    if _YAML_UNPRINTABLE.search(text) or any(char in text for char in ",[]{}\t"):
        return False
    if ": " in text or " #" in text or _YAML_TYPED.fullmatch(text):
        return False
    try:  # the last word: the reader itself, as a mapping value and in a flow sequence
        block: object = yaml.safe_load(f"k: {text}")
        flow: object = yaml.safe_load(f"[{text}]")
    except yaml.YAMLError:
        return False
    return block == {"k": text} and flow == [text]


def yaml_single_quoted(text: str) -> str | None:
    """``'…'`` with ``''`` for a quote; ``None`` when the text needs escapes (a line break or
    a character YAML does not allow unescaped).

    >>> yaml_single_quoted("it's"), yaml_single_quoted("a\\nb")
    ("'it''s'", None)
    """
    if _YAML_UNPRINTABLE.search(text):
        return None
    return "'" + text.replace("'", "''") + "'"


_YAML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x00": "\\0"}


def yaml_double_quoted(text: str) -> str:
    """``"…"`` with backslash escapes for ``\\``, ``"`` and every character YAML does not
    allow as it is.

    >>> print(yaml_double_quoted('a"\\x85b'))
    "a\\"\\x85b"
    """
    out = []
    for char in text:
        if char in _YAML_ESCAPES:
            out.append(_YAML_ESCAPES[char])
        elif _YAML_UNPRINTABLE.match(char):
            out.append(_escape_code(char, "\\x"))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def quote_yaml(text: str) -> str:
    """A YAML scalar: plain when that is safe, else single-quoted, else double-quoted.

    >>> quote_yaml("ERROR"), quote_yaml("-ERROR"), quote_yaml("a\\nb")
    ('ERROR', "'-ERROR'", '"a\\\\nb"')
    """
    if yaml_plain_safe(text):
        return text
    return yaml_single_quoted(text) or yaml_double_quoted(text)


# --------------------------------------------------------------------------- HCL, JSON, TS


_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HCL_TEMPLATE = re.compile(r"([$%])(?=\{)")


def quote_hcl(text: str) -> str:
    """An HCL quoted string: backslash escapes for ``\\``, ``"`` and control characters, and
    ``$${``/``%%{`` for ``${``/``%{`` (which would start an interpolation or a directive).

    >>> print(quote_hcl('{ $.a = "%{x}" }'))
    "{ $.a = \\"%%{x}\\" }"
    """
    out = []
    for char in text:
        if char in _HCL_ESCAPES:
            out.append(_HCL_ESCAPES[char])
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            out.append(_escape_code(char, "\\u00"))
        else:
            out.append(char)
    return '"' + _HCL_TEMPLATE.sub(r"\1\1", "".join(out)) + '"'


def quote_json(text: str) -> str:
    """A JSON string (non-ASCII characters kept as they are).

    >>> print(quote_json('{ $.a = "é" }'))
    "{ $.a = \\"é\\" }"
    """
    return json.dumps(text, ensure_ascii=False)


_TS_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_TS_SPECIAL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")


def quote_ts(text: str) -> str:
    """A TypeScript (JavaScript) literal: ``'…'`` when the text has no ``'``, else ``"…"``
    when it has no ``"``, else a template literal with ``\\```, ``\\${`` escaped.

    >>> print(quote_ts("{ $.a = \\"it's\\" }"))
    `{ $.a = "it's" }`
    """
    if "'" not in text:
        return "'" + _ts_body(text, "'") + "'"
    if '"' not in text:
        return '"' + _ts_body(text, '"') + '"'
    return "`" + _ts_body(text, "`").replace("${", "\\${") + "`"


def _ts_body(text: str, quote: str) -> str:
    out = []
    for char in text:
        if char in _TS_ESCAPES:
            out.append(_TS_ESCAPES[char])
        elif char == quote:
            out.append("\\" + char)
        elif _TS_SPECIAL.match(char):
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def _escape_code(char: str, byte: str) -> str:
    """``char`` as a hex escape: ``byte`` and two digits up to U+00FF, ``\\u`` and four digits,
    ``\\U`` and eight (YAML and HCL share these)."""
    code = ord(char)
    if code <= 0xFF:
        return f"{byte}{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


#: Target name -> quoting function, in the order help lists them.
TARGETS: dict[str, Callable[[str], str]] = {
    "sh": quote_sh,
    "yaml": quote_yaml,
    "hcl": quote_hcl,
    "json": quote_json,
    "ts": quote_ts,
}


def quote_for(text: str, target: str) -> str:
    """``text`` as a literal of ``target`` (a key of :data:`TARGETS`).

    >>> print(quote_for('{ $.a = "${x}" }', "hcl"))
    "{ $.a = \\"$${x}\\" }"
    """
    return TARGETS[target](text)
