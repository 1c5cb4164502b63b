"""``cwquery conformance``: replay the compliance suite against a CloudWatch Logs endpoint.

Every case is sent to ``TestMetricFilter`` (at most 50 messages a call); match-all cases, whose
meaning ``FilterLogEvents`` documents on its own, are also put into a scratch log group and read
back with ``FilterLogEvents`` (``--filter-log-events all`` does that for every match case). Each
answer that differs from the case is a disagreement: against the real service, evidence that a
decision is wrong (or that the service changed); against ``cwquery emulator``, a bug.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

from cwquery.aws.client import AwsQueryError, call_aws
from cwquery.cli.common import EXIT_NO, EXIT_OK, LOOPBACK_HELP, aws_client, fail, out
from cwquery.errors import CWQueryError
from cwquery.semantics import EVENT_NUMBER_BASE

#: TestMetricFilter takes 1 to 50 messages a call (spec §6.2).
MAX_MESSAGES_PER_CALL = 50
_PACKAGE = Path(__file__).resolve().parent.parent
#: The compliance suite: inside the installed package, or ``tests/compliance`` in a checkout.
DEFAULT_CASES = (
    _PACKAGE / "compliance"
    if (_PACKAGE / "compliance").is_dir()
    else _PACKAGE.parent / "tests" / "compliance"
)
_PLACEHOLDER_MESSAGE = "cwquery conformance"


@dataclass(frozen=True)
class Case:
    """One compliance case with the messages of its group."""

    case_id: str
    pattern: str
    messages: tuple[str, ...]
    expected: dict[str, Any]


@dataclass(frozen=True)
class Disagreement:
    """A case the endpoint answered differently."""

    case_id: str
    api: str
    pattern: str
    messages: tuple[str, ...]
    expected: Any
    got: Any


class ConformanceError(CWQueryError):
    """The cases cannot be read."""


def load_cases(paths: Sequence[Path]) -> list[Case]:
    """The cases of every compliance file under ``paths`` (files or folders).

    Raises:
        ConformanceError: a file is missing or is not a compliance file.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.glob("*.json") if p.name != "schema.json")
        elif path.is_file():
            files.append(path)
        else:
            raise ConformanceError(f"no such file or folder: {path}")
    cases = []
    for file in files:
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
            for g, group in enumerate(document["groups"]):
                for c, case in enumerate(group["cases"]):
                    cases.append(
                        Case(
                            f"{file.stem}[{g}.{c}]",
                            case["pattern"],
                            tuple(group["messages"]),
                            case,
                        )
                    )
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ConformanceError(f"{file}: not a compliance file ({err})") from None
    return cases


def replay_metric_filter_test(client: Any, case: Case) -> Disagreement | None:
    """Send ``case`` to ``TestMetricFilter``; the disagreement, if any."""
    expected = case.expected
    if "error" in expected:
        want: Any = {"error": expected.get("serviceMessage", "InvalidParameterException")}
        try:
            answer = _test_metric_filter(client, case.pattern, [_PLACEHOLDER_MESSAGE])
        except AwsQueryError as err:
            if err.code != "InvalidParameterException":
                raise
            text = str(err.__cause__.response["Error"].get("Message", ""))  # type: ignore[union-attr]
            if "serviceMessage" in expected and text != expected["serviceMessage"]:
                return _disagree(case, "TestMetricFilter", want, {"error": text})
            return None
        return _disagree(case, "TestMetricFilter", want, {"accepted": answer})
    if not case.messages:
        return None
    matched: list[int] = []
    extracted: dict[str, Any] = {}
    try:
        for start in range(0, len(case.messages), MAX_MESSAGES_PER_CALL):
            batch = list(case.messages[start : start + MAX_MESSAGES_PER_CALL])
            for record in _test_metric_filter(client, case.pattern, batch):
                index = start + record["eventNumber"] - EVENT_NUMBER_BASE
                matched.append(index)
                extracted[str(index)] = record.get("extractedValues", {})
    except AwsQueryError as err:
        if err.code != "InvalidParameterException":
            raise
        return _disagree(case, "TestMetricFilter", _wanted(expected), {"error": str(err)})
    got: dict[str, Any] = {"matches": matched}
    wanted_values = expected.get("extractedValues", {})
    if wanted_values:
        got["extractedValues"] = {key: extracted.get(key) for key in wanted_values}
    if got != _wanted(expected):
        return _disagree(case, "TestMetricFilter", _wanted(expected), got)
    return None


def _wanted(expected: dict[str, Any]) -> dict[str, Any]:
    wanted: dict[str, Any] = {"matches": expected.get("matches")}
    if expected.get("extractedValues"):
        wanted["extractedValues"] = expected["extractedValues"]
    return wanted


def _test_metric_filter(client: Any, pattern: str, messages: list[str]) -> list[dict[str, Any]]:
    response = call_aws(
        client, "test_metric_filter", {"filterPattern": pattern, "logEventMessages": messages}
    )
    return list(response.get("matches", []))


def replay_filter_log_events(client: Any, case: Case, group: str) -> Disagreement | None:
    """Put the case's messages into a fresh stream of ``group`` (one millisecond apart) and
    read back the ones ``FilterLogEvents`` returns for the pattern."""
    stream = f"case-{uuid.uuid4().hex[:12]}"
    call_aws(client, "create_log_stream", {"logGroupName": group, "logStreamName": stream})
    first = int(time.time() * 1000) - len(case.messages) - 1000
    events = [{"timestamp": first + i, "message": m} for i, m in enumerate(case.messages)]
    call_aws(
        client,
        "put_log_events",
        {"logGroupName": group, "logStreamName": stream, "logEvents": events},
    )
    params: dict[str, Any] = {
        "logGroupName": group,
        "logStreamNames": [stream],
        "filterPattern": case.pattern,
        "startTime": first,
        "endTime": first + len(events),
    }
    matched: set[int] = set()
    while True:
        page = call_aws(client, "filter_log_events", params)
        matched |= {event["timestamp"] - first for event in page.get("events", [])}
        token = page.get("nextToken")
        if not token or token == params.get("nextToken"):
            break
        params["nextToken"] = token
    got = {"matches": sorted(matched)}
    wanted = {"matches": case.expected["matches"]}
    return None if got == wanted else _disagree(case, "FilterLogEvents", wanted, got)


def _disagree(case: Case, api: str, expected: Any, got: Any) -> Disagreement:
    return Disagreement(case.case_id, api, case.pattern, case.messages, expected, got)


def _needs_filter_log_events(case: Case, every_case: bool) -> bool:
    """Match-all patterns (FilterLogEvents documents them itself), or every match case."""
    if "matches" not in case.expected or not case.messages:
        return False
    return every_case or not case.pattern.strip()


def replay(
    client: Any, cases: Sequence[Case], *, every_case_via_filter: bool = False
) -> Iterator[Disagreement]:
    """Replay every case; yield each disagreement as it is found."""
    group: str | None = None
    try:
        for case in cases:
            found = replay_metric_filter_test(client, case)
            if found is not None:
                yield found
            if _needs_filter_log_events(case, every_case_via_filter):
                if group is None:
                    group = f"/cwquery/conformance/{uuid.uuid4().hex[:12]}"
                    call_aws(client, "create_log_group", {"logGroupName": group})
                found = replay_filter_log_events(client, case, group)
                if found is not None:
                    yield found
    finally:
        if group is not None:
            call_aws(client, "delete_log_group", {"logGroupName": group})


def _text(disagreement: Disagreement) -> str:
    shown = [json.dumps(m, ensure_ascii=False) for m in disagreement.messages[:5]]
    more = len(disagreement.messages) - len(shown)
    messages = ", ".join(shown) + (f", … ({more} more)" if more > 0 else "")
    return "\n".join(
        (
            f"{disagreement.case_id} ({disagreement.api})",
            f"  pattern:  {json.dumps(disagreement.pattern, ensure_ascii=False)}",
            f"  messages: [{messages}]",
            f"  expected: {json.dumps(disagreement.expected, ensure_ascii=False)}",
            f"  got:      {json.dumps(disagreement.got, ensure_ascii=False, default=str)}",
        )
    )


@click.command("conformance")
@click.option(
    "--endpoint-url",
    metavar="URL",
    help="Another endpoint (e.g. cwquery emulator). " + LOOPBACK_HELP,
)
@click.option("--region", metavar="REGION", help="AWS region (default: the AWS configuration).")
@click.option("--profile", metavar="NAME", help="AWS profile.")
@click.option(
    "--cases",
    "case_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Compliance files or folders (repeatable; default: the suite shipped with cwquery).",
)
@click.option(
    "--filter-log-events",
    "via_filter",
    type=click.Choice(["match-all", "all"]),
    default="match-all",
    show_default=True,
    help="Which match cases are also replayed through FilterLogEvents.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def conformance(
    endpoint_url: str | None,
    region: str | None,
    profile: str | None,
    case_paths: tuple[Path, ...],
    via_filter: str,
    output_format: str,
) -> None:
    """Replay the compliance suite against CloudWatch Logs and print every disagreement.

    Uses your AWS credentials (TestMetricFilter, and a scratch log group that is deleted at the
    end for FilterLogEvents); an emulator on this machine needs none. The cases are the
    compliance suite shipped with cwquery, or --cases. Exit 0 when every case agrees, 1 on any
    disagreement, 2 on errors.

    \b
    Examples:
      cwquery conformance --region eu-west-1
      cwquery conformance --endpoint-url http://127.0.0.1:4566 --format json
    """
    try:
        cases = load_cases(list(case_paths) or [DEFAULT_CASES])
        client = aws_client(region, profile, endpoint_url)
        found = list(replay(client, cases, every_case_via_filter=via_filter == "all"))
    except (CWQueryError, OSError) as err:
        fail(str(err))
    except Exception as err:  # botocore: no credentials or region, bad endpoint
        if type(err).__module__.split(".")[0] not in ("botocore", "boto3"):
            raise
        fail(str(err))
    if output_format == "json":
        report = {"cases": len(cases), "disagreements": [asdict(d) for d in found]}
        out(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        for disagreement in found:
            out(_text(disagreement))
        out(f"{len(cases)} cases replayed, {len(found)} disagreements")
    sys.exit(EXIT_NO if found else EXIT_OK)
