"""The event a transformer works on: the original message, the fields built so far, and the
metadata ``copyValue`` may read (decisions T1, T3, T21)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cwquery.transformers import paths

MESSAGE = "@message"
#: copyValue's metadata sources and the keyword arguments that give them (T21).
METADATA_KEYS = ("@logGroupName", "@logGroupStream", "@accountId", "@regionName")


@dataclass
class Event:
    """One event under transformation."""

    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    #: whether some step produced structure (T3): otherwise the original text stands
    structured: bool = False

    def text(self, source: str | None) -> str | None:
        """The text a parser reads: ``@message`` or a string field; ``None`` otherwise."""
        if source is None or source == MESSAGE:
            return self.message
        value = paths.lookup(self.fields, source)
        return value if isinstance(value, str) else None

    def value(self, source: str) -> Any:
        """The value at a path, or a metadata key's; :data:`paths.MISSING` when absent."""
        if source in METADATA_KEYS:
            return self.metadata.get(source, paths.MISSING)
        if source == MESSAGE:
            return self.message
        return paths.lookup(self.fields, source)

    def put(self, path: str, value: Any, *, overwrite: bool = True) -> bool:
        """Write a field (T4); whether it was written."""
        written = paths.store(self.fields, path, value, overwrite=overwrite)
        self.structured = self.structured or written
        return written

    def merge(self, values: dict[str, Any], destination: str | None, *, overwrite: bool) -> None:
        """Parser output: under ``destination`` as one object, else each key at the root."""
        self.structured = True
        if destination:
            self.put(destination, values)
            return
        for key, value in values.items():
            if overwrite or key not in self.fields:
                self.fields[key] = value

    def rendered(self) -> str:
        """``transformedEventMessage``: compact JSON (T1), or the original text (T3)."""
        if not self.structured:
            return self.message
        return json.dumps(self.fields, ensure_ascii=False, separators=(",", ":"))
