"""Every reader gives the plan's per-message answers (D32), like ripgrep's searcher matrix: for
generated patterns and files (CRLF, lone CR, blank lines, bytes that are not UTF-8,
backslashes), the block scanner with each selection, numbered or not, counting not-JSON or
not, over blocks of a few bytes and over one or two jobs, and the message scanner, read the
same messages, match the same ones, hand back the same lines and the same values. The plan is
built once per pattern and pickles as its tree."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import orjson
import pytest
import reference
from fastpath_strategies import messages_for
from fastpath_strategies import patterns as generated_trees
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from cwquery import PatternError, compiler, parse, render
from cwquery.ast import Pattern
from cwquery.logs.blocks import BlockResult, BlockScanner, Select
from cwquery.logs.parallel import FileScan
from cwquery.logs.sources import read_events
from cwquery.plan import Needles, Plan, _plan_of, plan_for

#: Lines that break shortcuts, beside the ones built around the pattern's literals.
HOSTILE = [
    b"",
    b" ",
    b"\t \x0c",
    b"\xc2\xa0",
    b"\x1c",
    b"\xff\xfe ERROR",
    b'{"a": "\xe9"}',
    b'{"a\\u0062": 1, "b": "\\u0045RROR"}',
    b"a\\b x",
    b'{"c.d": "x\\\\y"}',
    b"\xef\xbb\xbf{}",
    b"ERROR x",
]
ENDINGS = [b"\n", b"\n", b"\r\n", b"\r"]


@st.composite
def cases(draw: st.DrawFn) -> tuple[Pattern, bytes]:
    """A pattern (parsed back from its text) and a file built around its literals."""
    try:
        pattern = parse(render(draw(generated_trees)))
    except PatternError:  # over a limit
        reject()
    messages = draw(messages_for(pattern))
    lines = [m.encode("utf-8", "surrogatepass") for m in messages]
    lines += draw(st.lists(st.sampled_from(HOSTILE), max_size=4))
    order = draw(st.permutations(range(len(lines))))
    endings = draw(st.lists(st.sampled_from(ENDINGS), min_size=len(lines), max_size=len(lines)))
    data = b"".join(lines[i] + end for i, end in zip(order, endings, strict=True))
    if draw(st.booleans()):
        data = data.rstrip(b"\r\n")
    return pattern, data


def per_message(plan: Plan, messages: list[str], select: Select) -> BlockResult:
    """The plain evaluation: each message judged alone by the plan."""
    result = BlockResult(read=len(messages))
    for index, message in enumerate(messages):
        hit = plan.verdict(message)
        result.matched += bool(hit)
        result.not_json += hit is None and plan.is_json
        if select is not Select.NONE and (select is Select.MATCHES) is bool(hit):
            result.selected.append((index, message))
    return result


def total(results: list[BlockResult]) -> BlockResult:
    whole = BlockResult()
    for result in results:
        whole.add(result)
    return whole


def same(got: BlockResult, expected: BlockResult, count_not_json: bool, where: str) -> None:
    assert (got.read, got.matched) == (expected.read, expected.matched), where
    if count_not_json:
        assert got.not_json == expected.not_json, where
    assert [text for _, text in got.selected] == [text for _, text in expected.selected], where
    if all(index >= 0 for index, _ in got.selected):
        assert got.selected == expected.selected, where


def whole_matches(plan: Plan, data: bytes, select: Select) -> list[tuple[int, str]]:
    return BlockScanner(plan, select=select).scan(data).selected


def read_messages(path: Path) -> list[str]:
    return [event.message for event in read_events(path)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(1, 16))
def test_every_reader_agrees_with_the_plan(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[Pattern, bytes], block_bytes: int
) -> None:
    pattern, data = case
    path = tmp_path_factory.mktemp("matrix") / "log.txt"
    path.write_bytes(data)
    messages = read_messages(path)
    plan = plan_for(pattern)
    assert [bool(plan.verdict(m)) for m in messages] == [
        reference.matches(pattern, m) for m in messages
    ]
    for select in Select:
        expected = per_message(plan, messages, select)
        for numbered in (False, True):
            for count_not_json in (False, True):
                where = f"{plan.text!r} {select} {numbered=} {count_not_json=} {block_bytes=}"
                whole = BlockScanner(
                    plan, select=select, numbered=numbered, count_not_json=count_not_json
                ).scan(data)
                same(whole, expected, count_not_json, where)
                if numbered:  # numbered whichever path the scan took
                    assert whole.selected == expected.selected, where
                with FileScan(
                    plan,
                    select=select,
                    numbered=numbered,
                    count_not_json=count_not_json,
                    block_bytes=block_bytes,
                ) as files:
                    streamed = total([r for r, _ in files.stream(io.BytesIO(data))])
                same(streamed, expected, count_not_json, f"{where} stream")
                if numbered:
                    assert streamed.selected == expected.selected, where
        scanned = BlockScanner(plan, select=select).scan_messages(messages)
        same(scanned, expected, True, f"{plan.text!r} {select} messages")
        if select is Select.MATCHES:  # the matches' objects as orjson reads their text
            judged = BlockScanner(plan, select=select, documents=True).scan(data)
            assert judged.selected == whole_matches(plan, data, select)
            if plan.is_json:
                assert len(judged.documents) == len(judged.selected)
                for (_, text), document in zip(judged.selected, judged.documents, strict=True):
                    assert document is None or document == orjson.loads(text), plan.text
            else:
                assert judged.documents == []
        # the messages read not counted: the same matches, whichever path the scan took
        uncounted = BlockScanner(plan, select=select, count_messages=False).scan(data)
        assert uncounted.matched == expected.matched, f"{plan.text!r} {select} uncounted"
        assert [t for _, t in uncounted.selected] == [t for _, t in expected.selected]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sampled_from([Select.MATCHES, Select.OTHERS, Select.NONE]), st.booleans())
def test_one_and_two_jobs_agree_and_bring_back_the_values(
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple[Pattern, bytes],
    select: Select,
    numbered: bool,
) -> None:
    pattern, data = case
    path = tmp_path_factory.mktemp("jobs") / "log.txt"
    path.write_bytes(data)
    messages = read_messages(path)
    plan = plan_for(pattern)
    expected = per_message(plan, messages, select)
    wanted = [plan.extract(m) for _, m in expected.selected] if select is Select.MATCHES else []
    for jobs in (1, 2):
        with FileScan(
            plan,
            select=select,
            numbered=numbered,
            count_not_json=True,
            values=True,
            jobs=jobs,
            block_bytes=5,
            range_bytes=24,
        ) as files:
            got = total([r for r, _ in files.path(path)])
        same(got, expected, True, f"{plan.text!r} jobs={jobs}")
        with FileScan(
            plan, select=select, count_messages=False, jobs=jobs, range_bytes=24
        ) as files:
            uncounted = total([r for r, _ in files.path(path)])
        assert uncounted.matched == expected.matched, (plan.text, jobs)
        assert got.values == wanted, (plan.text, jobs)
        assert [reference.extract(pattern, m) for _, m in expected.selected][: len(wanted)] == (
            wanted
        )
    scanned = BlockScanner(plan, select=select, values=True).scan_messages(messages)
    assert scanned.values == wanted


# --------------------------------------------------------------------------- the plan itself


def test_a_needle_decides_only_where_a_hit_is_a_match() -> None:
    assert plan_for("ERROR").needles == Needles(("ERROR",), decides=True)
    assert plan_for("?ERROR ?WARN").needles == Needles(("ERROR", "WARN"))
    assert plan_for("ERROR -WARN").needles == Needles(("ERROR",))
    assert plan_for('"a b"').needles == Needles(("a b",), decides=True)
    assert plan_for("-ERROR").needles is None
    # a JSON needle never decides: \u0045 spells E
    assert plan_for('{ $.a = "ERROR" }').needles == Needles(("ERROR",), escape_also=True)
    assert plan_for("[a, b = ERROR*]").needles == Needles(("ERROR",))
    # U+FFFD exists only once bytes are decoded: no needle can find it in raw bytes
    assert plan_for('"x\ufffd"').needles is None
    assert plan_for('{ $.a = "x\ufffd" }').needles is None
    assert plan_for("%ERR?OR%").needles is None and plan_for("%ERR?OR%").block_search()


def test_the_block_search_runs_on_the_bounded_program() -> None:
    """D31: the block search of a regex pattern is built with the one set of RE2 options, so
    a body whose program is too big is refused by the parser, never searched unbounded."""
    from cwquery import regex

    search = plan_for("%^b%").block_search()
    assert search is not None
    assert search(b"a\nb\n")(0) == 2 and search(b"a\nc\n")(0) == -1
    assert regex.block_program("^b").options.max_mem == regex.RE2_MAX_MEM
    with pytest.raises(PatternError):
        plan_for("%[a-z]{1000}%")


def test_a_plan_pickles_as_its_tree() -> None:
    plan = plan_for("{ $.a = 1 } ")
    function, arguments = plan.__reduce__()
    assert function is plan_for and arguments == (plan.pattern,)
    assert pickle.loads(pickle.dumps(plan)) is plan  # the same process: the cached plan
    assert len(pickle.dumps(plan)) < len(pickle.dumps(plan.pattern)) + 200


def test_the_plan_is_built_once_per_pattern(tmp_path: Path) -> None:
    """A scan of a file with ``--json``-style options builds one plan and one JSON predicate,
    whatever the scanners, the blocks and the message batches."""
    _plan_of.cache_clear()
    compiler.json_predicate.cache_clear()
    path = tmp_path / "log.txt"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\nnot json\n' * 50)
    text = "{ $.a = 1 && $.b NOT EXISTS }"
    with FileScan(text, select=Select.MATCHES, numbered=True, values=True, block_bytes=9) as scan:
        found = total([r for r, _ in scan.path(path)])
        scan.scanner.scan_messages(["{}"])
        BlockScanner(text).scan(b'{"a": 1}\n')
    assert found.matched == 50
    assert _plan_of.cache_info().misses == 1
    assert compiler.json_predicate.cache_info().misses == 1


def test_cwquery_test_builds_the_plan_once_and_matches_no_line_again(tmp_path: Path) -> None:
    """``cwquery test --json`` over a file and an export: one plan, one JSON predicate, and
    the values come from the scan (the records are those of TestMetricFilter)."""
    import json

    from click.testing import CliRunner

    from cwquery.cli import main

    lines = tmp_path / "log.txt"
    lines.write_text('{"a": 1}\n{"a": 2}\ntext\n', encoding="utf-8")
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"events": [{"message": '{"a": 1}\n'}]}), encoding="utf-8")
    _plan_of.cache_clear()
    compiler.json_predicate.cache_clear()
    pattern = "{ $.a = 1 && $.zz NOT EXISTS }"
    result = CliRunner().invoke(main, ["test", "--json", pattern, str(lines), str(export)])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)["matches"]
    assert [(r["eventNumber"], r["eventMessage"]) for r in records] == [
        (1, '{"a": 1}'),
        (4, '{"a": 1}\n'),
    ]
    assert compiler.test_metric_filter(pattern, ['{"a": 1}'])["matches"][0]["extractedValues"] == {}
    assert _plan_of.cache_info().misses == 1
    assert compiler.json_predicate.cache_info().misses == 1
