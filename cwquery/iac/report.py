"""Findings in the formats CI systems read: text with caret views, JSON, GitHub workflow
annotations and SARIF 2.1.0."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cwquery import __version__
from cwquery.ast import Pattern
from cwquery.errors import PatternError, caret_view
from cwquery.iac.findings import Finding, Replacement
from cwquery.iac.lint import RULES, Severity
from cwquery.iac.sites import FILTER_PATTERN, INSIGHTS, PatternSite
from cwquery.parser import parse

if TYPE_CHECKING:
    from cwquery.insights import Query

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: Where cwquery and its rules are described (the package's home page)
HOME_URL = "https://pypi.org/project/cwquery/"
#: The artifact that stands for the command line in SARIF: results need a location
COMMAND_LINE_URI = "command-line"
_GITHUB_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


@dataclass(frozen=True)
class Summary:
    """What was checked: sites with a pattern, sites skipped, files read."""

    patterns: int
    skipped: int
    files: int
    #: what the patterns are when nothing was found
    clean: str = "valid"


def failed(findings: Sequence[Finding], *, strict: bool) -> bool:
    """Errors fail; warnings fail too with ``strict``; notes never do."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return any(finding.severity in failing for finding in findings)


# --------------------------------------------------------------------------- text


def text_report(findings: Sequence[Finding], summary: Summary) -> str:
    """Every finding with its caret view, then a summary line."""
    blocks = ["\n".join(_text_finding(finding)) for finding in findings]
    return "\n".join([*blocks, _summary_line(findings, summary)])


def _text_finding(finding: Finding) -> list[str]:
    severity = "" if finding.severity is Severity.ERROR else f" ({finding.severity.value})"
    if finding.path is None:
        if finding.error is not None:  # the layout of every pattern error
            return [f"{finding.code}: {finding.error.format()}"]
        lines = [
            f"{finding.code}{severity}: {finding.message} "
            f"(line {finding.line}, column {finding.column})"
        ]
        text, caret = caret_view(finding.source_line, finding.column - 1, finding.length)
        lines += [f"  {text}", f"  {caret}"]
    else:
        lines = [f"{finding.path}:{finding.line}:{finding.column}: {finding.code}{severity}: "]
        lines[0] += finding.message
        text, caret = caret_view(finding.source_line, finding.column - 1, finding.length)
        gutter = f"{finding.line:>5} | "
        lines += [gutter + text, " " * (len(gutter) - 2) + "| " + caret]
        if not finding.exact and finding.pattern is not None and finding.pattern_offset is not None:
            text, caret = caret_view(finding.pattern, finding.pattern_offset, 1)
            what = "query" if finding.language == INSIGHTS else "pattern"
            lines += [f"  in the {what}:", f"    {text}", f"    {caret}"]
    if finding.hint:
        lines.append(f"hint: {finding.hint}")
    return lines


def _summary_line(findings: Sequence[Finding], summary: Summary) -> str:
    counts = {severity: 0 for severity in Severity}
    for finding in findings:
        counts[finding.severity] += 1
    files = f" in {_plural(summary.files, 'file')}" if summary.files else ""
    if counts[Severity.ERROR]:
        line = (
            f"{_plural(counts[Severity.ERROR], 'error')}, "
            f"{_plural(counts[Severity.WARNING], 'warning')} "
            f"({_plural(summary.patterns, 'pattern')} checked{files})"
        )
    else:
        line = f"{_plural(summary.patterns, 'pattern')} {summary.clean}{files}"
        if counts[Severity.WARNING]:
            line += f"; {_plural(counts[Severity.WARNING], 'warning')}"
    if summary.skipped:
        line += f"; {summary.skipped} computed at deploy time, not checked"
    return line


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# --------------------------------------------------------------------------- JSON


def json_report(
    sites: Sequence[PatternSite],
    findings: Sequence[Finding],
    summary: Summary,
    *,
    valid: bool,
    parsed: Sequence[Pattern | Query | PatternError | None] | None = None,
) -> str:
    """One JSON document: ``valid``, one entry per pattern, the findings and the counts.
    ``parsed`` is what each site's pattern parsed to (:class:`~cwquery.iac.findings.Checked`);
    without it the patterns are parsed here."""
    outcomes = parsed if parsed is not None else [_parsed(site) for site in sites]
    document = {
        "valid": valid,
        "patterns": [
            _json_site(site, outcome) for site, outcome in zip(sites, outcomes, strict=True)
        ],
        "findings": [_json_finding(finding) for finding in findings],
        "summary": {
            "patterns": summary.patterns,
            "skipped": summary.skipped,
            "files": summary.files,
            **{
                f"{severity.value}s": sum(f.severity is severity for f in findings)
                for severity in Severity
            },
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _parsed(site: PatternSite) -> Pattern | Query | PatternError | None:
    if site.text is None:
        return None
    if site.language == INSIGHTS:
        from cwquery.insights import parse as parse_query  # only when a file holds a query

        try:
            return parse_query(site.text)
        except PatternError as err:
            return err
    try:
        return parse(site.text)
    except PatternError as err:
        return err


def _json_site(site: PatternSite, parsed: Pattern | Query | PatternError | None) -> dict[str, Any]:
    """A command-line pattern as ``{pattern, valid, canonical | error}``; a pattern from a file
    also names the file, line, column and resource."""
    entry: dict[str, Any] = {"pattern": site.text}
    if site.text is None or parsed is None:
        entry.update(valid=None, skipped=site.unresolved)
    elif isinstance(parsed, PatternError):
        entry.update(valid=False, error=parsed.to_dict())
    else:
        entry.update(valid=True, canonical=str(parsed))
    if site.language != FILTER_PATTERN:
        entry.update(language=site.language)
    if site.notes:
        entry.update(notes=list(site.notes))
    if site.source.path is not None:
        line, column, _ = site.position()
        entry.update(file=site.source.path, line=line, column=column, resource=site.resource)
    return entry


def _json_finding(finding: Finding) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "file": finding.path,
        "line": finding.line,
        "column": finding.column,
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "hint": finding.hint,
        "resource": finding.resource,
        "pattern": finding.pattern,
    }
    if finding.replacement is not None:  # check --fix: the text written, and where
        entry["fix"] = dataclasses.asdict(finding.replacement)
    return entry


# --------------------------------------------------------------------------- GitHub


def github_report(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    lines = []
    for finding in findings:
        properties = []
        if finding.path is not None:
            properties += [
                f"file={_github_property(_relative(finding.path))}",
                f"line={finding.line}",
                f"col={finding.column}",
            ]
            if finding.exact:
                properties.append(f"endColumn={finding.column + finding.length}")
        properties.append(f"title={_github_property('cwquery ' + finding.code)}")
        message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
        command = _GITHUB_COMMANDS[finding.severity]
        lines.append(f"::{command} {','.join(properties)}::{_github_data(message)}")
    return "\n".join(lines)


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


# --------------------------------------------------------------------------- SARIF


def sarif_report(findings: Sequence[Finding]) -> str:
    """A SARIF 2.1.0 log with one run; rule ids are the finding codes. Every result has a
    location (a pattern given on the command line is placed in the artifact ``command-line``,
    on the line of its number) and a partial fingerprint that survives moved lines."""
    codes = list(RULES)
    rules = [
        {
            "id": rule.code,
            "name": "".join(part.capitalize() for part in rule.code.split("-")),
            "shortDescription": {"text": rule.summary},
            "help": {
                "text": f"{rule.summary} Codes, severities and examples: the Findings table "
                "of docs/ci.md in the cwquery package."
            },
            "helpUri": HOME_URL,
            "defaultConfiguration": {"level": rule.severity.value},
        }
        for rule in RULES.values()
    ]
    results = []
    for finding in findings:
        text = finding.message + (f" (hint: {finding.hint})" if finding.hint else "")
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": codes.index(finding.code),
            "level": finding.severity.value,
            "message": {"text": text},
            "locations": [_sarif_location(finding)],
            "partialFingerprints": {"cwquery/v1": _fingerprint(finding)},
        }
        if finding.resource:
            result["properties"] = {"resource": finding.resource}
        if finding.replacement is not None and finding.path is not None:
            result["fixes"] = [_sarif_fix(finding.path, finding.replacement)]
        results.append(result)
    driver = {
        "name": "cwquery",
        "version": __version__,
        "informationUri": HOME_URL,
        "rules": rules,
    }
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


def _sarif_location(finding: Finding) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": finding.line, "startColumn": finding.column}
    if finding.exact:
        region["endColumn"] = finding.column + finding.length
    if finding.path is None:
        number = (finding.resource or "").rsplit(" ", 1)[-1]
        if number.isdigit():  # "argument pattern 2": the pattern's own line
            region["startLine"] = int(number)
        if finding.pattern is not None:
            region["snippet"] = {"text": finding.pattern}
        artifact = {
            "uri": COMMAND_LINE_URI,
            "description": {"text": "patterns given on the command line, one per line"},
        }
    else:
        artifact = {"uri": _uri(finding.path)}
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def _sarif_fix(path: str, replacement: Replacement) -> dict[str, Any]:
    """The edit ``check --fix`` made, against the file as it was read."""
    region = {
        "startLine": replacement.start_line,
        "startColumn": replacement.start_column,
        "endLine": replacement.end_line,
        "endColumn": replacement.end_column,
    }
    change = {
        "artifactLocation": {"uri": _uri(path)},
        "replacements": [{"deletedRegion": region, "insertedContent": {"text": replacement.text}}],
    }
    return {
        "description": {"text": "rewritten by cwquery check --fix"},
        "artifactChanges": [change],
    }


def _fingerprint(finding: Finding) -> str:
    """The same finding in the same resource and pattern, wherever its line moves to."""
    path = "" if finding.path is None else _uri(finding.path)
    parts = [
        finding.code,
        path,
        finding.resource or "",
        finding.pattern or "",
        str(finding.pattern_offset),
        finding.message,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _relative(path: str) -> str:
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.replace(os.sep, "/")


def _uri(path: str) -> str:
    if path == "<stdin>":
        return "stdin"
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_uri()
