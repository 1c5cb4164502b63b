"""``cwquery check --fix``: filter patterns rewritten in place, only where the fix is certain.

Two fixes are made:

* ``not-canonical``: a valid pattern not written in canonical form is replaced by its canonical
  form, written in the file's own quoting (the YAML scalar style is kept when it can hold the
  new text);
* ``quoting``: a YAML ``FilterPattern`` written unquoted as ``{ … }`` or ``[ … ]`` (which YAML
  reads as a mapping or a list, so the service receives no pattern) is quoted, in canonical
  form, when the text as written is a valid pattern.

A fix is certain when the pattern's literal is on one line and maps one character to one place,
re-reading that literal alone gives the pattern, no unquoted word of it is split by a ``-``
(``request-id-42`` means ``request -id -42``, D5: the canonical form would spell out what is
likely a mistake and silence its warning), the canonical form means the same
(:func:`cwquery.normalizer.normalize` agrees) and fits the service's length limit, and scanning
the rewritten file finds the new pattern at that site and every other site as it was. A file
whose edits do not all pass is written with the ones that do, or not at all; a file that is not
UTF-8 or has a lone carriage return is never written. Line ends, a BOM and the rest of the text
are kept byte for byte.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cwquery.errors import PatternError
from cwquery.iac.findings import Finding, Replacement
from cwquery.iac.hcl import hcl_string_at
from cwquery.iac.lint import split_words
from cwquery.iac.locate import SourceText
from cwquery.iac.scan import format_of, scan_paths, scan_text
from cwquery.iac.sites import FILTER_PATTERN, PatternSite
from cwquery.limits import MAX_PATTERN_LENGTH
from cwquery.normalizer import normalize
from cwquery.parser import parse
from cwquery.quoting import (
    quote_hcl,
    quote_json,
    yaml_double_quoted,
    yaml_plain_safe,
    yaml_single_quoted,
)
from cwquery.renderer import render

__all__ = [
    "NOT_CANONICAL",
    "QUOTING",
    "Edit",
    "FileFix",
    "edit_finding",
    "fix_files",
    "fix_findings",
    "fix_text",
    "plan_edits",
    "refreshed",
    "with_needs_quotes",
]

#: What an edit fixes.
NOT_CANONICAL = "not-canonical"
QUOTING = "quoting"

_BOM = "\ufeff"


@dataclass(frozen=True)
class Edit:
    """One literal replaced: ``start``/``end`` are offsets in the file's text as read (line
    ends kept); ``line``/``column``/``end_column`` 1-based, the end exclusive (one line)."""

    path: str
    site: str
    reason: str
    start: int
    end: int
    old: str
    new: str
    pattern: str
    canonical: str
    line: int
    column: int
    end_column: int


# --------------------------------------------------------------------------- planning


def plan_edits(text: str, path: str, kind: str | None = None) -> list[Edit]:
    """The certain edits of one file's text (not yet checked together: :func:`fix_text`).

    >>> text = ("Resources:\\n  R:\\n    Type: AWS::Logs::SubscriptionFilter\\n"
    ...         "    Properties: {FilterPattern: '?A   ?B'}\\n")
    >>> [(edit.old, edit.new) for edit in plan_edits(text, "t.yaml")]
    [("'?A   ?B'", "'?A ?B'")]
    """
    if "\r" in text.replace("\r\n", ""):
        return []  # lone carriage returns: positions would not be those the reader counts
    source = SourceText(text)
    resolved = _resolved_kind(text, path, kind)
    scanned = scan_text(text, path, resolved)
    edits: dict[tuple[int, int], Edit | None] = {}
    for site in scanned.sites:
        edit = _site_edit(text, source, site, resolved)
        if edit is None:
            continue
        key = (edit.start, edit.end)
        if key in edits and _differ(edits[key], edit):
            edits[key] = None  # two sites read one literal two ways: not certain
        elif key not in edits:
            edits[key] = edit
    return sorted((e for e in edits.values() if e is not None), key=lambda e: e.start)


def _differ(first: Edit | None, second: Edit) -> bool:
    """Whether two sites (a YAML alias and its anchor) would edit one literal differently."""
    return first is None or (first.new, first.canonical) != (second.new, second.canonical)


def _site_edit(text: str, source: SourceText, site: PatternSite, kind: str) -> Edit | None:
    if site.language != FILTER_PATTERN or site.located is None:
        return None
    if site.text is None:
        return _quoting_edit(text, source, site, kind)
    located = site.located
    if located.offsets(text) is None:
        return None
    literal = text[located.start : located.end]
    canonical = _canonical(site.text)
    if canonical is None or site.text.strip() == canonical or "\n" in literal:
        return None
    if split_words(site.text):
        return None  # request-id-42 -> request -id -42 would hide a likely mistake, not fix it
    if _read_literal(literal, kind) != site.text:
        return None
    new = _write_literal(canonical, literal, kind)
    if new is None:
        return None
    return _edit(source, site, NOT_CANONICAL, located.start, located.end, new, canonical)


def _canonical(pattern: str) -> str | None:
    """The canonical form when it means the same and the service would take it."""
    try:
        canonical = render(parse(pattern))
        same = normalize(pattern) == normalize(canonical)
    except PatternError:
        return None
    if not same or len(canonical) > MAX_PATTERN_LENGTH or "\n" in canonical or "\r" in canonical:
        return None
    return canonical


def _quoting_edit(text: str, source: SourceText, site: PatternSite, kind: str) -> Edit | None:
    """A YAML flow mapping or list, on one line, whose text is a valid pattern."""
    located = site.located
    if kind != "yaml" or located is None or not site.unresolved:
        return None
    if not site.unresolved.endswith("is not a string"):
        return None
    end = _flow_node_end(text, located.start)
    if end is None:
        return None
    written = text[located.start : end]
    canonical = _canonical(written)
    if canonical is None or "\n" in written:
        return None
    new = yaml_single_quoted(canonical) or yaml_double_quoted(canonical)
    return _edit(source, site, QUOTING, located.start, end, new, canonical, written)


def _flow_node_end(text: str, start: int) -> int | None:
    """The end of the untagged flow mapping or sequence that starts at ``start``."""
    return _flow_nodes(text).get(start)


@functools.lru_cache(maxsize=4)
def _flow_nodes(text: str) -> dict[int, int]:
    """Start -> end of every untagged flow mapping and sequence of a YAML stream."""
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError):
        return {}
    found: dict[int, int] = {}
    stack: list[Any] = [node for node in documents if node is not None]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        start = int(node.start_mark.index)
        flow = isinstance(node, yaml.CollectionNode) and node.flow_style
        if flow and not text.startswith(("!", "&", "*"), start):
            found[start] = int(node.end_mark.index)
        if isinstance(node, yaml.MappingNode):
            stack += [item for pair in node.value for item in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return found


def _edit(
    source: SourceText,
    site: PatternSite,
    reason: str,
    start: int,
    end: int,
    new: str,
    canonical: str,
    pattern: str | None = None,
) -> Edit:
    line, column = source.position(start)
    return Edit(
        path=site.source.path or "",
        site=site.resource,
        reason=reason,
        start=start,
        end=end,
        old=source.text[start:end],
        new=new,
        pattern=pattern if pattern is not None else site.text or "",
        canonical=canonical,
        line=line,
        column=column,
        end_column=column + (end - start),
    )


# --------------------------------------------------------------------------- literals


def _read_literal(literal: str, kind: str) -> str | None:
    """The string a literal holds, read alone by its language's reader."""
    try:
        if kind == "terraform":
            located = hcl_string_at(literal, 0, len(literal))
            return located.value if located is not None and literal.startswith('"') else None
        if kind == "patterns":
            return literal
        if kind == "json":
            value: object = json.loads(literal)
        elif literal[:1] in "'\"":
            value = yaml.safe_load(literal)
        else:
            return literal  # a plain YAML scalar is its text (the scanner checked it maps)
    except (ValueError, yaml.YAMLError):
        return None
    return value if isinstance(value, str) else None


def _write_literal(canonical: str, old: str, kind: str) -> str | None:
    """The canonical form in the quoting of the literal it replaces."""
    if kind == "terraform":
        return quote_hcl(canonical)
    if kind == "patterns":
        return canonical
    if kind == "json":
        return quote_json(canonical)
    if old.startswith('"'):
        return yaml_double_quoted(canonical)
    if old.startswith("'"):
        return yaml_single_quoted(canonical) or yaml_double_quoted(canonical)
    if yaml_plain_safe(canonical):
        return canonical
    return yaml_single_quoted(canonical) or yaml_double_quoted(canonical)


# --------------------------------------------------------------------------- applying


def fix_text(text: str, path: str, kind: str | None = None) -> tuple[str, list[Edit]]:
    """The text with every certain edit made, and those edits. Edits are checked together by
    scanning the result; when that fails, one at a time, keeping each that passes.

    >>> fixed, edits = fix_text("{($.a=1)}\\nrequest-id-42\\n", "alerts.patterns")
    >>> fixed, [(edit.line, edit.reason) for edit in edits]
    ('{ $.a = 1 }\\nrequest-id-42\\n', [(1, 'not-canonical')])
    """
    kind = _resolved_kind(text, path, kind)
    edits = plan_edits(text, path, kind)
    if not edits:
        return text, []
    before = _site_texts(text, path, kind)
    if before is None:
        return text, []
    rewritten = _apply(text, edits)
    if _verified(rewritten, path, kind, before, edits):
        return rewritten, edits
    kept: list[Edit] = []
    for edit in edits:
        trial = [*kept, edit]
        if _verified(_apply(text, trial), path, kind, before, trial):
            kept.append(edit)
    return _apply(text, kept), kept


def _resolved_kind(text: str, path: str, kind: str | None) -> str:
    """The reader :func:`~cwquery.iac.scan.scan_text` uses for this text."""
    kind = kind or format_of(path) or "patterns"
    if kind == "template":
        return "json" if text.lstrip().startswith("{") else "yaml"
    return kind


def _apply(text: str, edits: Sequence[Edit]) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.new + text[edit.end :]
    return text


#: A site by its resource, kind, language and ordinal among sites so named.
_SiteKey = tuple[str, str, str, int]


def _site_texts(
    text: str, path: str, kind: str
) -> dict[_SiteKey, tuple[str | None, int | None]] | None:
    """Each site's text and the start of its literal; ``None`` when the file has a problem
    (then nothing is certain)."""
    scanned = scan_text(text, path, kind)
    if scanned.problems:
        return None
    found: dict[_SiteKey, tuple[str | None, int | None]] = {}
    for site in scanned.sites:
        ordinal = sum(1 for key in found if key[:3] == (site.kind, site.name, site.language))
        start = site.located.start if site.located else None
        found[(site.kind, site.name, site.language, ordinal)] = (site.text, start)
    return found


def _verified(
    rewritten: str,
    path: str,
    kind: str,
    before: dict[_SiteKey, tuple[str | None, int | None]],
    edits: Sequence[Edit],
) -> bool:
    """Whether scanning the rewritten text finds the same sites, each edited one with the
    canonical pattern and every other one with the text it had."""
    after = _site_texts(rewritten, path, kind)
    if after is None or list(after) != list(before):
        return False
    canonical = {edit.start: edit.canonical for edit in edits}
    for key, (text, start) in before.items():
        expected = canonical.get(start, text) if start is not None else text
        if after[key][0] != expected:
            return False
    return True


@dataclass(frozen=True)
class FileFix:
    """The edits made to one file (``error`` when it could not be written)."""

    path: str
    edits: list[Edit]
    error: str | None = None


def fix_files(paths: Iterable[str]) -> list[FileFix]:
    """Fix each file in place; files without a certain edit are not written at all."""
    done = []
    for path in dict.fromkeys(paths):
        try:
            data = Path(path).read_bytes()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # unreadable, or not UTF-8: not certain
        bom = text.startswith(_BOM)
        body = text[1:] if bom else text
        fixed, edits = fix_text(body, path, _kind(path))
        if not edits:
            continue
        try:
            _write(path, (_BOM if bom else "") + fixed)
        except OSError as err:
            done.append(FileFix(path, [], f"cannot be written: {err.strerror or err}"))
            continue
        done.append(FileFix(path, edits))
    return done


def _kind(path: str) -> str:
    return format_of(path) or "patterns"


def _write(path: str, text: str) -> None:
    """Replace the file's contents at once (a new file renamed over it), keeping its mode; a
    symbolic link keeps pointing where it did."""
    target = os.path.realpath(path)
    folder = os.path.dirname(target) or "."
    mode = os.stat(target).st_mode & 0o7777
    if not os.access(target, os.W_OK):
        raise PermissionError(13, "permission denied", path)
    handle, temporary = tempfile.mkstemp(prefix=".cwquery-fix-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# --------------------------------------------------------------------------- reporting


def edit_finding(edit: Edit, source: SourceText) -> Finding:
    """A ``fixed`` note for an edit, placed where the new literal now starts (``source`` is
    the rewritten file; edits keep lines where they were)."""
    if edit.reason == QUOTING:
        message = f"quoted the pattern, which YAML read as a {_collection(edit.old)}: {edit.new}"
    else:
        message = f"rewrote the pattern in canonical form: {edit.old} -> {edit.new}"
    return Finding(
        code="fixed",
        message=message,
        path=edit.path,
        line=edit.line,
        column=edit.column,
        length=max(1, len(edit.new)),
        source_line=source.line(edit.line),
        pattern=edit.canonical,
        resource=edit.site,
        replacement=Replacement(edit.line, edit.column, edit.line, edit.end_column, edit.new),
    )


def _collection(written: str) -> str:
    return "mapping" if written.startswith("{") else "list"


def refreshed(sites: Sequence[PatternSite], fixes: Sequence[FileFix]) -> list[PatternSite]:
    """``sites`` with those of the fixed files read again, in the same order."""
    fresh: dict[str, list[PatternSite] | None]
    fresh = {fix.path: scan_paths([fix.path]).sites for fix in fixes if fix.edits}
    result: list[PatternSite] = []
    for site in sites:
        path = site.source.path
        if path not in fresh:
            result.append(site)
        else:
            result += fresh[path] or []
            fresh[path] = None  # the file's sites are in, once
    return result


def with_needs_quotes(findings: Sequence[Finding], sites: Sequence[PatternSite]) -> list[Finding]:
    """``findings`` with a ``needs-quotes`` error, its quoting proposed as the fix, in place of
    the ``unresolved-pattern`` note of each YAML pattern written unquoted as ``{ … }`` or
    ``[ … ]`` whose text is a valid pattern."""
    extra = []
    for site in sites:
        path, why = site.source.path, site.unresolved or ""
        if site.text is not None or path is None or not why.endswith("is not a string"):
            continue
        text = site.source.text.text
        edit = _quoting_edit(text, site.source.text, site, _resolved_kind(text, path, None))
        if edit is not None:
            extra.append(_needs_quotes(edit, site.source.text))
    if not extra:
        return list(findings)
    places = {(finding.path, finding.line, finding.column) for finding in extra}
    kept = [
        finding
        for finding in findings
        if finding.code != "unresolved-pattern"
        or (finding.path, finding.line, finding.column) not in places
    ]
    return kept + extra


def _needs_quotes(edit: Edit, source: SourceText) -> Finding:
    what = _collection(edit.old)
    return Finding(
        code="needs-quotes",
        message=f"YAML reads this pattern as a {what}, not a string, so the service gets no "
        f"pattern; quote it: {edit.new}",
        path=edit.path,
        line=edit.line,
        column=edit.column,
        length=max(1, edit.end_column - edit.column),
        hint="cwquery check --fix quotes it",
        source_line=source.line(edit.line),
        pattern=edit.pattern,
        resource=edit.site,
        replacement=Replacement(edit.line, edit.column, edit.line, edit.end_column, edit.new),
    )


def fix_findings(fixes: Sequence[FileFix]) -> list[Finding]:
    """A ``fixed`` note per edit made, and an ``unreadable-file`` error per file that could
    not be written."""
    found: list[Finding] = []
    for fix in fixes:
        if fix.error is not None:
            found.append(Finding("unreadable-file", fix.error, fix.path, 1, 1))
            continue
        try:
            source = SourceText(Path(fix.path).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError):
            source = SourceText("")
        found += [edit_finding(edit, source) for edit in fix.edits]
    return found
