"""The shipper's counts, and the summary it ends a run with.

>>> stats = ShipStats(lines=3, malformed=1)
>>> stats.refuse("not JSON", "app.log: byte 0: not JSON")
>>> stats.reasons
Counter({'not JSON': 1})
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

#: How many notes (a malformed or refused line, an unreadable file) are kept as examples.
SAMPLES = 5


@dataclass
class ShipStats:
    """Counts for a shipper run, and a few examples of what went wrong."""

    lines: int = 0
    events: int = 0
    batches: int = 0
    accepted: int = 0
    rejected: int = 0
    malformed: int = 0
    errors: int = 0
    dead_letters: int = 0
    skipped_files: int = 0
    #: Files, or parts of files, that could not be read (each warned about on stderr).
    unreadable: int = 0
    #: Bytes of last lines still waiting for their newline.
    pending_bytes: int = 0
    samples: list[str] = field(default_factory=list)
    #: Notes made in all (``samples`` keeps the first :data:`SAMPLES`).
    notes: int = 0
    #: Lines that were not sent, by reason.
    reasons: Counter[str] = field(default_factory=Counter)
    #: Configuration problems (no line has the time field): the run did not do its job.
    problems: list[str] = field(default_factory=list)
    #: Where the dead letters went, once there are any.
    dead_letter_file: str | None = None

    def note(self, text: str) -> None:
        """Keep ``text`` as an example unless enough are kept already."""
        self.notes += 1
        if len(self.samples) < SAMPLES:
            self.samples.append(text)

    def refuse(self, reason: str, text: str) -> None:
        """Count a line that was not sent, for ``reason``."""
        self.reasons[reason] += 1
        self.note(text)

    @property
    def shipped_nothing(self) -> bool:
        """Lines were there to send and the service accepted none of them."""
        return self.accepted == 0 and (self.lines + self.malformed) > 0

    def summary(self) -> str:
        """One line for the end of a run."""
        text = (
            f"{self.accepted} events accepted in {self.batches} batches from {self.lines} lines; "
            f"{self.malformed} malformed lines, {self.rejected} events rejected by the service"
        )
        if self.dead_letters:
            text += f"; {self.dead_letters} lines kept in {self.dead_letter_file}"
        if self.skipped_files:
            text += f"; {self.skipped_files} unreadable files skipped"
        if self.unreadable:
            text += f"; {self.unreadable} files or parts of files could not be read"
        if self.pending_bytes:
            text += f"; {self.pending_bytes} bytes of unfinished last lines wait for a newline"
        return text

    def report(self) -> list[str]:
        """The lines after the summary: lines not sent by reason, then the first examples."""
        lines = []
        if self.reasons:
            counts = ", ".join(f"{reason}: {count}" for reason, count in self.reasons.most_common())
            lines.append(f"lines not sent, by reason: {counts}")
        lines.extend(f"  {sample}" for sample in self.samples)
        if self.notes > len(self.samples):
            lines.append(f"  and {self.notes - len(self.samples)} more")
        return lines
