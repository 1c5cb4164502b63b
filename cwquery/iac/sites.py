"""What the scanner finds: a filter pattern (or a Logs Insights query) at its place in a file
(:class:`PatternSite`), with the metric it publishes and the log group it is on, and the files
that could not be read.

>>> site = argument_site("{ $.a = 1 }", 1)
>>> site.name, site.text, site.position(2)
('pattern 1', '{ $.a = 1 }', (1, 3, True))
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from cwquery.iac.locate import Located, SourceText

__all__ = [
    "FILTER_PATTERN",
    "INSIGHTS",
    "FileProblem",
    "Metric",
    "PatternSite",
    "Reference",
    "ScanResult",
    "Source",
    "argument_site",
    "metric_number",
]


#: :attr:`PatternSite.language`: a filter pattern, or a Logs Insights query (docs/insights.md)
FILTER_PATTERN = "filter-pattern"
INSIGHTS = "insights"


@dataclass(frozen=True)
class Source:
    """A file (``path``) or a pattern given on the command line (``path`` ``None``)."""

    path: str | None
    text: SourceText


@dataclass(frozen=True)
class Reference:
    """A ``metricValue`` or dimension value: ``text`` is ``None`` when it is computed at deploy
    time; ``located`` is where it is written, when known."""

    text: str | None
    located: Located | None


@dataclass(frozen=True)
class Metric:
    """What a metric filter publishes (``metricTransformations[0]``): its value, dimensions
    and default, and the metric's ``name``, ``namespace`` and ``unit`` (``None`` when not
    written; a :class:`Reference` with ``text`` ``None`` when computed at deploy time).

    >>> Metric(None, name=Reference("Errors", None), namespace=Reference("App", None)).key
    ('App', 'Errors')
    """

    value: Reference | None
    dimensions: tuple[tuple[str, Reference], ...] = ()
    default_value: float | None = None
    name: Reference | None = None
    namespace: Reference | None = None
    unit: Reference | None = None

    @property
    def key(self) -> tuple[str, str] | None:
        """``(namespace, name)`` when both are known without deploying, else ``None``."""
        if self.name is None or self.namespace is None:
            return None
        if self.name.text is None or self.namespace.text is None:
            return None
        return self.namespace.text, self.name.text


@dataclass(frozen=True)
class PatternSite:
    """One filter pattern in a file: the resource it belongs to, its text and its place."""

    source: Source
    kind: str
    name: str
    text: str | None
    located: Located | None
    unresolved: str | None = None
    metric: Metric | None = None
    #: the log group the filter is on: ``("name", name)`` for a literal name (the same group in
    #: every file), else ``("expr", scope, expression)`` (the same group within one template,
    #: or one Terraform folder)
    log_group: Hashable | None = None
    log_group_label: str | None = None
    #: what the text is written in: :data:`FILTER_PATTERN` or :data:`INSIGHTS`
    language: str = FILTER_PATTERN
    #: what the text was resolved with (``checked with the default value of var.x``,
    #: ``when condition IsProd is true``): reported as notes
    notes: tuple[str, ...] = ()

    @property
    def resource(self) -> str:
        """The resource as reports name it: a Terraform address alone
        (``aws_cloudwatch_log_metric_filter.x["k"]``), else the kind and the name.

        >>> argument_site("ERROR", 2).resource
        'argument pattern 2'
        """
        return self.name if f"{self.kind}." in self.name else f"{self.kind} {self.name}"

    def position(
        self, index: int | None = None, located: Located | None = None
    ) -> tuple[int, int, bool]:
        """``(line, column, exact)`` of character ``index`` of the pattern (or of the start of
        ``located``, by default the pattern's literal); ``exact`` is False when only the
        literal's start is known."""
        target = located or self.located
        if target is None:
            return 1, 1, False
        if index is None:
            return (*self.source.text.position(target.start), True)
        offsets = target.offsets(self.source.text.text)
        if offsets is None:
            return (*self.source.text.position(target.start), False)
        return (*self.source.text.position(offsets[min(index, len(offsets) - 1)]), True)


@dataclass(frozen=True)
class FileProblem:
    """A file that should hold patterns but cannot be read."""

    source: Source
    offset: int
    message: str


@dataclass
class ScanResult:
    """Sites found, files that could not be read, and how many files were read."""

    sites: list[PatternSite] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    files: int = 0
    #: log transformers and filters reading transformed logs (cwquery.iac.transformers)
    transformers: list[Any] = field(default_factory=list)

    def extend(self, other: ScanResult) -> None:
        """Add another result to this one."""
        self.sites += other.sites
        self.problems += other.problems
        self.files += other.files
        self.transformers += other.transformers


def argument_site(text: str, number: int) -> PatternSite:
    """A pattern given on the command line, as a site of its own.

    >>> argument_site("ERROR", 1).position(3)
    (1, 4, True)
    """
    located = Located.plain(text, 0)
    return PatternSite(
        Source(None, SourceText(text)), "argument", f"pattern {number}", text, located
    )


def metric_number(text: str | None) -> float | None:
    """A metric's default value as written, when it is a number.

    >>> metric_number("2.5"), metric_number("${var.x}"), metric_number(None)
    (2.5, None, None)
    """
    try:
        return None if text is None else float(text)
    except ValueError:
        return None
