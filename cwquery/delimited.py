"""Space-delimited events: splitting a message into tokens (D14) and lining the tokens up with
the fields of a pattern (D15, D28). The matcher, ``explain`` and metric values all read fields
through :class:`FieldLayout`, so they cannot disagree on which text a field holds.

>>> split_tokens('127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET / HTTP/1.0" 200')
['127.0.0.1', '-', 'frank', '10/Oct/2000:13:25:15 -0700', 'GET / HTTP/1.0', '200']
>>> layout = FieldLayout(("w1", "w2"), ellipsis_at=None)
>>> layout.assign("ERROR 09/25/2014 12:00:02 Failed to process request\\t\\n")
[(0, 'ERROR'), (1, '09/25/2014 12:00:02 Failed to process request')]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from cwquery.ast import DelimitedPattern, EllipsisField

#: D14: the characters that separate tokens (runs of them count as one separator). D15: the rest
#: of a message taken by the last field carries none of them at its end.
BLANKS: Final = " \t\r\n"

#: One token (D14), grouping characters included: a "group", a [group] (each running to the end
#: when unclosed), or a run of non-blank characters. Linear: no alternative can backtrack over
#: another. :func:`token_value` removes the grouping characters.
TOKEN: Final = re.compile(r'"[^"]*(?:"|\Z)|\[[^\]]*(?:\]|\Z)|[^ \t\r\n]+')
_CLOSING = {'"': '"', "[": "]"}


def token_value(token: str) -> str:
    """The value of a token matched by :data:`TOKEN`: a group without its characters.

    >>> token_value('"GET / HTTP/1.0"'), token_value("[unclosed"), token_value("plain")
    ('GET / HTTP/1.0', 'unclosed', 'plain')
    """
    closing = _CLOSING.get(token[:1])
    if closing is None:
        return token
    return token[1:-1] if len(token) > 1 and token[-1] == closing else token[1:]


def split_tokens(message: str) -> list[str]:
    """The token values of a message (D14): runs of blanks (space, tab, CR, LF) separate
    tokens; a token that starts with ``"`` or ``[`` runs to the next ``"`` or ``]`` (or to the
    end of the message when there is none), and the grouping characters are not part of its
    value.

    >>> split_tokens('REPORT Duration: 1.5 ms\\t\\n')
    ['REPORT', 'Duration:', '1.5', 'ms']
    """
    return [token_value(token) for token in TOKEN.findall(message)]


def rest_of_message(message: str, position: int) -> str:
    """D15: the message from the first character of token ``position`` (0-based) to its end,
    without trailing blanks."""
    for index, match in enumerate(TOKEN.finditer(message)):
        if index == position:
            return message[match.start() :].rstrip(BLANKS)
    raise IndexError(f"the message has no token {position}")


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

    def reader(self, chosen: Sequence[int]) -> Callable[[str], list[str] | None]:
        """``read(message)``: the values of the ``chosen`` slots (indexes into :attr:`slots`),
        or ``None`` when the message has fewer tokens than the pattern has slots. Slots after
        ``...`` are counted from the end; without ``...`` the last slot takes the rest of the
        message when there are more tokens than slots (D15). The message is split once.

        >>> FieldLayout(("a", "b"), None).reader([1])('x "y z" w ')
        ['"y z" w']
        """
        wanted = len(self.slots)
        after = self.ellipsis_at
        positions = [slot if after is None or slot < after else slot - wanted for slot in chosen]
        rest_slot = wanted - 1 if after is None else -1
        plan = tuple(zip(positions, [slot == rest_slot for slot in chosen], strict=True))
        findall = TOKEN.findall

        def read(message: str) -> list[str] | None:
            found = findall(message)
            count = len(found)
            if count < wanted:
                return None
            values = []
            for position, takes_rest in plan:
                if takes_rest and count > wanted:
                    values.append(rest_of_message(message, position))
                else:
                    token = found[position]
                    values.append(token_value(token) if token[:1] in _CLOSING else token)
            return values

        return read

    def positions(self, token_count: int) -> list[int]:
        """The 0-based token position of each slot in a message of ``token_count`` tokens."""
        if self.ellipsis_at is None:
            return list(range(len(self.slots)))
        after = len(self.slots) - self.ellipsis_at
        return list(range(self.ellipsis_at)) + list(range(token_count - after, token_count))

    def assign(self, message: str) -> list[tuple[int, str]] | None:
        """``(token position, value)`` for each slot, or ``None`` when the message has too few
        tokens (the values :meth:`reader` gives for every slot)."""
        values = self.reader(range(len(self.slots)))(message)
        if values is None:
            return None
        return list(zip(self.positions(len(TOKEN.findall(message))), values, strict=True))

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
        return dict(zip(self.positions(token_count), self.slots, strict=True))
