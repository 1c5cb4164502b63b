"""Space-delimited events: splitting a message into tokens (D14) and lining the tokens up with
the fields of a pattern (D15, D28).

>>> split_tokens('127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET / HTTP/1.0" 200')
['127.0.0.1', '-', 'frank', '10/Oct/2000:13:25:15 -0700', 'GET / HTTP/1.0', '200']
>>> layout = FieldLayout(("w1", "w2"), ellipsis_at=None)
>>> layout.assign("ERROR 09/25/2014 12:00:02 Failed to process request")
[(0, 'ERROR'), (1, '09/25/2014 12:00:02 Failed to process request')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cwquery.ast import DelimitedPattern, EllipsisField


def split_tokens(message: str) -> list[str]:
    """The tokens of a message (D14). Runs of spaces and tabs separate tokens; a token that
    starts with ``"`` or ``[`` runs to the next ``"`` or ``]`` (or to the end of the message when
    there is none), and the grouping characters are not part of its value."""
    return [value for _, value in _scan(message)]


#: One token (D14): a "group", a [group] (each running to the end when unclosed), or a run of
#: non-blank characters. Linear: no alternative can backtrack over another. With ``findall``,
#: a token's value is the one non-empty group of its match (or "" for an empty group).
TOKEN = re.compile(r'"([^"]*)(?:"|\Z)|\[([^\]]*)(?:\]|\Z)|([^ \t]+)')


#: The same tokens as :data:`TOKEN`, matched whole (grouping characters included), for ``findall``
#: to return plain strings; :func:`token_value` removes the grouping characters.
PLAIN_TOKEN = re.compile(r'"[^"]*(?:"|\Z)|\[[^\]]*(?:\]|\Z)|[^ \t]+')
_CLOSING = {'"': '"', "[": "]"}


def token_value(token: str) -> str:
    """The value of a token matched by :data:`PLAIN_TOKEN`: a group without its characters.

    >>> token_value('"GET / HTTP/1.0"'), token_value("[unclosed"), token_value("plain")
    ('GET / HTTP/1.0', 'unclosed', 'plain')
    """
    closing = _CLOSING.get(token[:1])
    if closing is None:
        return token
    return token[1:-1] if len(token) > 1 and token[-1] == closing else token[1:]


def _scan(message: str) -> list[tuple[int, str]]:
    """``(start offset, value)`` for every token; the offset is where the token's text begins
    in the message, grouping character included."""
    return [(match.start(), match.group(match.lastindex or 0)) for match in TOKEN.finditer(message)]


@dataclass(frozen=True, slots=True)
class FieldLayout:
    """Where each non-``...`` field of a pattern takes its token from.

    ``slots`` lists the fields in order (their names, or ``None`` when unnamed), without the
    ellipsis; ``ellipsis_at`` is the index the ``...`` had among them, or ``None``.
    """

    slots: Sequence[str | None]
    ellipsis_at: int | None

    @classmethod
    def of(cls, pattern: DelimitedPattern) -> FieldLayout:
        """The layout of a space-delimited pattern's fields."""
        slots = [f.name for f in pattern.fields if not isinstance(f, EllipsisField)]
        ellipsis = [i for i, f in enumerate(pattern.fields) if isinstance(f, EllipsisField)]
        return cls(tuple(slots), ellipsis[0] if ellipsis else None)

    def assign(self, message: str) -> list[tuple[int, str]] | None:
        """``(token position, value)`` for each slot, or ``None`` when the message has too few
        tokens. Without ``...``, the last slot takes the rest of the message verbatim (D15)."""
        tokens = _scan(message)
        count, wanted = len(tokens), len(self.slots)
        if count < wanted:
            return None
        if self.ellipsis_at is None:
            if count == wanted or wanted == 0:
                return [(position, value) for position, (_, value) in enumerate(tokens[:wanted])]
            head = [(position, value) for position, (_, value) in enumerate(tokens[: wanted - 1])]
            rest_start = tokens[wanted - 1][0]
            return [*head, (wanted - 1, message[rest_start:])]
        before = self.ellipsis_at
        after = wanted - before
        chosen = list(range(before)) + list(range(count - after, count))
        return [(position, tokens[position][1]) for position in chosen]

    def values_by_position(self, message: str) -> dict[int, str] | None:
        """Every token's value by 0-based position (a slot that takes the rest of the message
        gives that rest), or ``None`` when the message has too few tokens."""
        assigned = self.assign(message)
        if assigned is None:
            return None
        values = dict(assigned)
        if self.ellipsis_at is not None or not self.slots:
            for position, value in enumerate(split_tokens(message)):
                values.setdefault(position, value)
        return dict(sorted(values.items()))

    def extracted_values(self, message: str) -> dict[str, str] | None:
        """TestMetricFilter's ``extractedValues`` (D28): ``$name`` for named fields, ``$N``
        (1-based position) for unnamed fields and for tokens under ``...``."""
        values = self.values_by_position(message)
        return None if values is None else self.named(values)

    def named(self, values: dict[int, str]) -> dict[str, str]:
        """``extractedValues`` keys for values by position (from :meth:`values_by_position`)."""
        names = self.names_by_position(len(values))
        return {
            f"${names[position]}" if names.get(position) else f"${position + 1}": value
            for position, value in values.items()
        }

    def names_by_position(self, token_count: int) -> dict[int, str | None]:
        """The slot name at each token position, for a message of ``token_count`` tokens."""
        if self.ellipsis_at is None:
            return dict(enumerate(self.slots))
        after = len(self.slots) - self.ellipsis_at
        positions = list(range(self.ellipsis_at)) + list(range(token_count - after, token_count))
        return dict(zip(positions, self.slots, strict=True))


def rest_of_message(message: str, position: int) -> str:
    """The message verbatim from the start of token ``position`` (0-based) to its end (D15)."""
    return message[_scan(message)[position][0] :]
