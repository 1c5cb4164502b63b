"""The language-independent compliance suite (tests/compliance/*.json), run against cwquery.

Each case is checked for: the error code (and offset and service text, when given), the
canonical rendering, the indices of the messages it matches, TestMetricFilter's extracted
values, and metric filter datapoints. ``CWQUERY_COMPLIANCE=terms.json`` runs one file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import cwquery
from cwquery.metrics import MetricFilter, MetricTransformation

SUITE = Path(__file__).parent / "compliance"
SCHEMA = json.loads((SUITE / "schema.json").read_text(encoding="utf-8"))


def suite_files() -> list[Path]:
    only = os.environ.get("CWQUERY_COMPLIANCE")
    files = sorted(p for p in SUITE.glob("*.json") if p.name != "schema.json")
    return [p for p in files if only is None or p.name == only]


def _cases() -> Iterator[Any]:
    for path in suite_files():
        document = json.loads(path.read_text(encoding="utf-8"))
        for g, group in enumerate(document["groups"]):
            for c, case in enumerate(group["cases"]):
                label = case.get("comment") or case["pattern"]
                yield pytest.param(
                    group["messages"], case, id=f"{path.stem}[{g}.{c}] {label}"[:120]
                )


@pytest.mark.parametrize("path", suite_files(), ids=lambda p: p.name)
def test_file_follows_the_schema(path: Path) -> None:
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), SCHEMA)


def cited_examples(texts: list[str]) -> set[int]:
    """The §9 example numbers that case comments cite as ``#N`` (``#21`` is not ``#2``).

    >>> sorted(cited_examples(["§9 #21 and #2, #19 (not #190)"]))
    [2, 19, 21, 190]
    """
    return {int(number) for text in texts for number in EXAMPLE_REFERENCE.findall(text)}


EXAMPLE_REFERENCE = re.compile(r"#([0-9]+)(?![0-9])")


def _comments() -> list[str]:
    found = []
    for path in suite_files():
        for group in json.loads(path.read_text(encoding="utf-8"))["groups"]:
            found += [case.get("comment", "") for case in group["cases"]]
    return found


def test_every_worked_example_of_the_spec_is_in_the_suite() -> None:
    missing = sorted(set(range(1, 74)) - cited_examples(_comments()))
    assert not missing, f"spec §9 examples without a compliance case: {missing}"


def test_removing_an_example_is_detected() -> None:
    comments = [re.sub(r"#2(?![0-9])", "", c) for c in _comments()]
    assert 2 not in cited_examples(comments)
    assert {21, 22, 23} <= cited_examples(comments)


SOURCES = (SUITE.parent.parent / "docs" / "sources.md").read_text(encoding="utf-8")
SEMANTICS = (SUITE.parent.parent / "docs" / "semantics.md").read_text(encoding="utf-8")
EVIDENCE_OF = {"D": "decision", "I": "service-observed", "W": "service-observed"}
EVIDENCE_OF |= {"R": "service-observed", "O": "service-observed", "S": "documented"}
OBSERVED_TOOLING = {"S11", "S13"}  # CDK's assumptions and LocalStack's recordings against AWS


@pytest.mark.parametrize(("messages", "case"), list(_cases()))
def test_case_evidence_is_listed(messages: list[str], case: dict[str, Any]) -> None:
    source = case["source"]
    expected = EVIDENCE_OF[source[0]]
    if source in OBSERVED_TOOLING:
        expected = "service-observed"
    assert case["evidence"] == expected
    if source.startswith("D"):
        assert f"| {source} |" in SEMANTICS, f"{source} is not a decision of docs/semantics.md"
    else:
        assert f"| **{source}** |" in SOURCES, f"{source} is not listed in docs/sources.md"


@pytest.mark.parametrize(("messages", "case"), list(_cases()))
def test_case(messages: list[str], case: dict[str, Any]) -> None:
    pattern = case["pattern"]
    if "error" in case:
        with pytest.raises(cwquery.PatternError) as info:
            cwquery.parse(pattern)
        err = info.value
        assert err.code == case["error"], str(err)
        if "offset" in case:
            assert err.offset == case["offset"], str(err)
        if "serviceMessage" in case:
            assert err.service_message == case["serviceMessage"]
        return
    tree = cwquery.parse(pattern)
    assert cwquery.render(tree) == case.get("canonical", pattern)
    matcher = cwquery.compile(tree)
    assert [i for i, m in enumerate(messages) if matcher.matches(m)] == case["matches"]
    response = matcher.test(messages)
    assert [r["eventNumber"] - 1 for r in response["matches"]] == case["matches"]
    for index, values in case.get("extractedValues", {}).items():
        assert matcher.extract(messages[int(index)]) == values
    if "metric" in case:
        check_metric(pattern, messages, case["metric"])


def check_metric(pattern: str, messages: list[str], metric: dict[str, Any]) -> None:
    transformation = MetricTransformation(
        "Metric", "Compliance", metric["metricValue"], dimensions=metric.get("dimensions", {})
    )
    metric_filter = MetricFilter(pattern, transformation)
    for index, expected in metric["expected"].items():
        point = metric_filter.datapoint(messages[int(index)])
        if expected["value"] is None:
            assert point is None
            continue
        assert point is not None
        assert point.value == expected["value"]
        assert point.dimensions == expected.get("dimensions", {})


def table_rows(markdown: str) -> list[list[list[str]]]:
    """The tables of a Markdown text as rows of cells, split at pipes that are not escaped
    (GitHub's rule: ``\\|`` is a pipe inside a cell, code spans included).

    >>> table_rows("| a | `b\\\\|c` |\\n|---|---|\\n| 1 | 2 |\\n\\ntext")
    [[['a', '`b\\\\|c`'], ['---', '---'], ['1', '2']]]
    """
    tables: list[list[list[str]]] = []
    previous = ""
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if previous.startswith("|"):
                tables[-1].append(cells)
            else:
                tables.append([cells])
        previous = line
    return tables


def test_the_decisions_table_is_one_well_formed_table() -> None:
    tables = table_rows(SEMANTICS)
    for table in tables:
        header = table[0]
        assert all(len(row) == len(header) for row in table), [
            row[0] for row in table if len(row) != len(header)
        ]
    header = ["#", "topic", "decision", "evidence", "where it lives"]
    (decisions,) = [table for table in tables if table[0] == header]
    assert all(cell and set(cell) <= set("-:") for cell in decisions[1])  # the delimiter row
    assert [row[0] for row in decisions[2:]] == [f"D{n}" for n in range(1, 33)]
