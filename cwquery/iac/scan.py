"""Find filter patterns in infrastructure code, each with the place it is written.

================================  ==============================================================
file                              where patterns are found
================================  ==============================================================
CloudFormation YAML/JSON, SAM,    ``AWS::Logs::MetricFilter`` and ``AWS::Logs::SubscriptionFilter``
``cdk.out/*.template.json``       ``FilterPattern`` (with the metric transformation and the log
                                  group); SAM functions' ``CloudWatchLogs`` events
``serverless.yml``                ``functions.*.events[].cloudwatchLog.filter``, and the
                                  CloudFormation under ``resources``
Terraform ``.tf``                 ``aws_cloudwatch_log_metric_filter.pattern``,
                                  ``aws_cloudwatch_log_subscription_filter.filter_pattern``,
                                  ``aws_cloudwatch_log_anomaly_detector.filter_pattern``, and
                                  ``aws_cloudwatch_log_account_policy`` documents
CloudFormation, Terraform ``.tf``  Logs Insights queries (:mod:`cwquery.iac.queries`):
                                  ``AWS::Logs::QueryDefinition`` ``QueryString``,
                                  ``aws_cloudwatch_query_definition.query_string``, and dashboard
                                  bodies' ``log`` widgets (``properties.query``)
``*.patterns`` (or any file       one pattern per line; blank lines and lines starting with
named on the command line)        ``#`` are skipped
================================  ==============================================================

A value computed at deploy time (``!Ref``, ``!Sub`` with ``${…}``, Terraform ``${…}``,
serverless variables) cannot be checked: its site has ``text`` ``None`` and says why in
``unresolved``. A ``!Sub`` without substitutions, and ``!Join`` of plain strings, are checked.

>>> result = scan_text("Resources:\\n  F:\\n    Type: AWS::Logs::SubscriptionFilter\\n"
...                    "    Properties:\\n      FilterPattern: !Sub '{ $.a = 1 }'\\n", "t.yaml")
>>> site = result.sites[0]
>>> site.kind, site.name, site.text, site.position()
('AWS::Logs::SubscriptionFilter', 'F', '{ $.a = 1 }', (5, 27, True))
"""

from __future__ import annotations

import contextlib
import gc
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from cwquery.iac.cloudformation import template_sites
from cwquery.iac.documents import is_terraform_json, terraform_json_sites
from cwquery.iac.hclfunctions import reading_under
from cwquery.iac.locate import Doc, DocMap, DocumentError, Located, SourceText, read_json, read_yaml
from cwquery.iac.queries import cfn_query_sites, terraform_json_query_sites, terraform_query_sites
from cwquery.iac.sites import FileProblem, PatternSite, ScanResult, Source
from cwquery.iac.terraform import terraform_sites
from cwquery.iac.tf_policies import terraform_json_policy_sites, terraform_policy_sites
from cwquery.iac.tf_transformers import (
    terraform_json_transformer_sites,
    terraform_transformer_sites,
)
from cwquery.iac.tfresolve import without_repeats
from cwquery.iac.transformers import transformer_sites

__all__ = ["format_of", "scan_paths", "scan_text"]

#: File name endings and the reader for them; other files are read only when named explicitly.
_FORMATS = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".template": "template",
    ".tf": "terraform",
    ".patterns": "patterns",
}
#: Folders never entered: dependencies, caches, and build output that copies templates.
_SKIPPED_DIRECTORIES = frozenset(
    ("node_modules", "__pycache__", "venv", ".aws-sam", ".terraform", ".git", ".venv")
)
#: Text that marks a file that cannot be read as one that should have been: other JSON and
#: YAML files (package.json, tsconfig.json with comments, Helm templates) are passed over.
_TEMPLATE_MARKERS = ("AWS::", "cloudwatchLog", "aws_cloudwatch_log_")
#: Text that every JSON or YAML file with a pattern holds (a filter resource's type, SAM's
#: ``CloudWatchLogs`` events, serverless' ``cloudwatchLog``, the pattern's key); a file with none
#: of these, none of the markers above and no backslash (an escape could spell any of them) is
#: not parsed at all.
_PATTERN_MARKERS = ("Logs::", "cloudwatch", "CloudWatch", "FilterPattern", "filter_pattern", "\\")


def format_of(path: str) -> str | None:
    """The reader for a file name, or ``None`` for files that are not read when found in a
    folder.

    >>> format_of("cdk.out/App.template.json"), format_of("main.tf"), format_of("README.md")
    ('json', 'terraform', None)
    """
    return _FORMATS.get(os.path.splitext(path)[1].lower())


def scan_paths(paths: Iterable[str]) -> ScanResult:
    """Scan files and folders (folders recursively, in name order, skipping hidden folders
    and dependencies). A file named explicitly is read even when its ending is unknown: as one
    pattern per line. ``-`` reads patterns from standard input (not counted as a file)."""
    result = ScanResult()
    seen: set[str] = set()  # a file reached twice (overlapping arguments) is read once
    paths = list(paths)
    with reading_under(paths):
        for path in paths:
            if path == "-":
                piped = scan_text(sys.stdin.read(), "<stdin>", "patterns")
                piped.files = 0
                result.extend(piped)
                continue
            files = folder_files(path) if os.path.isdir(path) else iter([path])
            for file in files:
                real = os.path.realpath(file)
                if real not in seen:
                    seen.add(real)
                    result.extend(_scan_file(file, explicit=file == path))
    result.sites = without_repeats(result.sites)
    return result


def folder_files(folder: str) -> Iterator[str]:
    """The files of a folder that may hold patterns, in name order, skipping hidden folders,
    dependencies and CDK assets: what ``cwquery check`` and ``cwquery backtest --iac`` read."""
    for root, directories, files in os.walk(folder):
        directories[:] = sorted(
            d
            for d in directories
            if d not in _SKIPPED_DIRECTORIES
            and not d.startswith(".")
            and not (d.startswith("asset.") and os.path.basename(root) == "cdk.out")
        )
        for name in sorted(files):
            if format_of(name):
                yield os.path.join(root, name)


def _scan_file(path: str, *, explicit: bool) -> ScanResult:
    """One file; a file that cannot be read (dangling link, link loop, FIFO or device, no
    permission) is a problem reported for it, and the scan goes on."""
    kind = format_of(path) or ("patterns" if explicit else None)
    if kind is None:
        return ScanResult()
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            return _unreadable(path, f"not a regular file ({_file_kind(mode)})")
        text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    except OSError as err:
        reason = "a symbolic link that leads nowhere" if os.path.islink(path) else err.strerror
        return _unreadable(path, f"cannot be read: {reason or err}")
    return scan_text(text, path, kind)


def _unreadable(path: str, message: str) -> ScanResult:
    source = Source(path, SourceText(""))
    return ScanResult(problems=[FileProblem(source, 0, message)], files=1)


def _file_kind(mode: int) -> str:
    """
    >>> _file_kind(stat.S_IFIFO)
    'a FIFO'
    """
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def scan_text(text: str, path: str, kind: str | None = None) -> ScanResult:
    """Scan the text of one file; ``kind`` is ``yaml``, ``json``, ``template`` (either),
    ``terraform`` or ``patterns`` (default: from the file name)."""
    source = Source(path, SourceText(text))
    kind = kind or format_of(path) or "patterns"
    result = ScanResult(files=1)
    if kind == "template":
        kind = "json" if text.lstrip().startswith("{") else "yaml"
    if kind in ("json", "yaml") and not _may_hold_patterns(text):
        return result
    with _collector_paused():
        _read_sites(source, kind, result)
    return result


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading a big template makes objects by the hundred thousand and almost no cyclic
    garbage, yet each of them would trigger and be traversed by the cycle collector over and
    over (it doubled the time of a 10,000-resource template): the collector rests while one
    file is read, and catches up afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_sites(source: Source, kind: str, result: ScanResult) -> None:
    text, path = source.text.text, source.path or ""
    try:
        if kind == "patterns":
            result.sites = list(_pattern_lines(source))
        elif kind == "terraform":
            result.sites = list(terraform_sites(source, os.path.dirname(path)))
            result.sites += terraform_query_sites(source)
            result.sites += terraform_policy_sites(source)
            result.transformers += terraform_transformer_sites(source)
        else:
            documents = [read_json(text)] if kind == "json" else read_yaml(text)
            for document in documents:
                result.sites += _document_sites(source, document)
                if isinstance(document, DocMap) and not is_terraform_json(document):
                    result.transformers += transformer_sites(source, document)
                elif isinstance(document, DocMap):
                    result.transformers += terraform_json_transformer_sites(source, document)
    except DocumentError as err:
        if any(marker in text for marker in _TEMPLATE_MARKERS):
            result.problems.append(FileProblem(source, err.offset, err.message))


def _may_hold_patterns(text: str) -> bool:
    """Whether a JSON or YAML file can hold a pattern, or be a template worth a problem report.

    >>> _may_hold_patterns('{"name": "app", "lockfileVersion": 3}')
    False
    """
    return any(marker in text for marker in _PATTERN_MARKERS + _TEMPLATE_MARKERS)


def _pattern_lines(source: Source) -> Iterator[PatternSite]:
    offset = 0
    for number, line in enumerate(source.text.text.split("\n"), 1):
        text = line.rstrip("\r")
        if text.strip() and not text.lstrip().startswith("#"):
            located = Located.plain(text, offset)
            yield PatternSite(source, "patterns file", f"line {number}", text, located)
        offset += len(line) + 1


def _document_sites(source: Source, document: Doc) -> list[PatternSite]:
    if not isinstance(document, DocMap):
        return []
    if is_terraform_json(document):
        return [
            *terraform_json_sites(source, document),
            *terraform_json_query_sites(source, document),
            *terraform_json_policy_sites(source, document),
        ]
    return template_sites(source, document) + list(cfn_query_sites(source, document))
