"""``cwquery cis``'s outputs: text, ``--format json`` and SARIF 2.1.0 (shaped like the log of
``cwquery check``, :func:`cwquery.iac.report.sarif_report`).

>>> from cwquery.iac.cis import check_controls
>>> json.loads(json_report(check_controls([])))["controls"][0]["status"]
'not-covered'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cwquery import __version__
from cwquery.iac.cis import COVERED, NO_ALARM, NOT_COVERED, ControlResult, Found
from cwquery.iac.report import COMMAND_LINE_URI, HOME_URL, SARIF_SCHEMA

__all__ = ["json_report", "passed", "sarif_report", "text_report"]


def passed(results: Iterable[ControlResult]) -> bool:
    """Every control covered by a filter with an alarm."""
    return all(result.status == COVERED for result in results)


def json_report(results: Sequence[ControlResult]) -> str:
    """``{"controls": [{"control", "title", "status", "filter", "counterexample"}]}``."""
    return json.dumps({"controls": [r.to_dict() for r in results]}, indent=2, ensure_ascii=False)


def text_report(results: Sequence[ControlResult], found: Found) -> str:
    """One line per control, the pattern and counter-example under a control a filter falls
    short of, then a summary line."""
    width = max(len(result.control.id) for result in results) if results else 0
    lines = []
    for result in results:
        chosen = result.filter
        where = "" if chosen is None else f"{chosen.path}:{chosen.line}: "
        lines.append(f"{result.control.id:<{width}}  {result.status:<11}  {where}{result.reason}")
        if result.status == NOT_COVERED:
            lines.append(f"{'':<{width}}  reference: {result.control.pattern}")
            if chosen is not None:
                lines.append(f"{'':<{width}}  filter:    {chosen.pattern}")
            if result.counterexample is not None:
                lines.append(f"{'':<{width}}  missed:    {result.counterexample}")
    counts = {status: 0 for status in (COVERED, NO_ALARM, NOT_COVERED)}
    for result in results:
        counts[result.status] += 1
    summary = (
        f"{counts[COVERED]} of {len(results)} controls covered with an alarm, "
        f"{counts[NO_ALARM]} without an alarm, {counts[NOT_COVERED]} not covered "
        f"({_plural(len(found.filters), 'metric filter')} in {_plural(found.files, 'file')}"
    )
    if found.skipped:
        summary += f"; {len(found.skipped)} not checked"
    lines.append(summary + ")")
    return "\n".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def sarif_report(results: Sequence[ControlResult], anchor: str | None) -> str:
    """A SARIF 2.1.0 log, shaped as ``cwquery check``'s: one rule per control, one result per
    control that is not covered with an alarm (``error`` when no filter covers it, ``warning``
    when the filter has no alarm). A control without a filter is placed at line 1 of
    ``anchor`` (the first file read), or of the artifact ``command-line`` when none was."""
    ids = [result.control.id for result in results]
    rules = [
        {
            "id": result.control.id,
            "name": result.control.id.replace(".", ""),
            "shortDescription": {"text": result.control.title},
            "fullDescription": {"text": f"Reference pattern: {result.control.pattern}"},
            "help": {
                "text": f"{result.control.title} ({', '.join(result.control.cis)}). Reference "
                f"pattern: {result.control.pattern} See docs/cis.md in the cwquery package."
            },
            "helpUri": result.control.url,
            "defaultConfiguration": {"level": "error"},
        }
        for result in results
    ]
    findings = []
    for result in results:
        if result.status == COVERED:
            continue
        text = f"{result.control.id} {result.status}: {result.reason}"
        if result.counterexample is not None:
            text += f" (missed event: {result.counterexample})"
        properties: dict[str, Any] = {"status": result.status}
        if result.filter is not None:
            properties["resource"] = result.filter.resource
        if result.counterexample is not None:
            properties["counterexample"] = result.counterexample
        findings.append(
            {
                "ruleId": result.control.id,
                "ruleIndex": ids.index(result.control.id),
                "level": "error" if result.status == NOT_COVERED else "warning",
                "message": {"text": text},
                "locations": [_sarif_location(result, anchor)],
                "partialFingerprints": {"cwquery/v1": _fingerprint(result)},
                "properties": properties,
            }
        )
    driver = {"name": "cwquery", "version": __version__, "informationUri": HOME_URL}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {**driver, "rules": rules}},
                "columnKind": "unicodeCodePoints",
                "results": findings,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


def _sarif_location(result: ControlResult, anchor: str | None) -> dict[str, Any]:
    chosen = result.filter
    region: dict[str, Any] = {"startLine": chosen.line if chosen else 1}
    if chosen is not None:
        region["snippet"] = {"text": chosen.pattern}
        artifact: dict[str, Any] = {"uri": _uri(chosen.path)}
    elif anchor is not None:
        artifact = {"uri": _uri(anchor)}
    else:
        artifact = {
            "uri": COMMAND_LINE_URI,
            "description": {"text": "no file was read"},
        }
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def _fingerprint(result: ControlResult) -> str:
    """The same control, status and filter resource, wherever the filter's line moves to."""
    chosen = result.filter
    parts = [
        result.control.id,
        result.status,
        "" if chosen is None else _uri(chosen.path),
        "" if chosen is None else chosen.resource,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _uri(path: str) -> str:
    """A path relative to the working folder, or a ``file:`` URI outside it."""
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_uri()
