"""Building filter patterns in Python, then checking them against sample events offline.

Run from the repository root:  python examples/builder.py
Every pattern below is a syntax tree: it renders to canonical text, parses back to the same
tree, and evaluates with CloudWatch's semantics.
"""

from __future__ import annotations

import warnings

from cwquery import compile, explain, parse
from cwquery.builder import (
    all_,
    all_events,
    all_terms,
    any_,
    any_term,
    any_term_group,
    boolean_value,
    column,
    exists,
    field,
    literal,
    not_exists,
    number_value,
    regex,
    space_delimited,
    string_value,
)

APP_EVENTS = [
    '{"component": "HttpServer", "level": "ERROR", "latency": 1500, "error": true}',
    '{"component": "HttpServer", "level": "INFO", "latency": 20}',
    '{"component": "Worker", "level": "ERROR", "latency": 3000, "retries": 4}',
    "2024-05-01T12:00:00Z worker ERROR Task timed out after 3.00 seconds",
]
ACCESS_LINES = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /api HTTP/1.0" 503 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET / HTTP/1.0" 200 4355',
]


def cdk_style() -> dict[str, object]:
    """The AWS CDK vocabulary, in Python spelling."""
    return {
        "http errors": all_(
            string_value("$.component", "=", "HttpServer"),
            any_(boolean_value("$.error", True), number_value("$.latency", ">", 1000)),
        ),
        "errors without retries": all_(
            string_value("$.level", "=", "ERROR"), not_exists("$.retries")
        ),
        "has a latency": exists("$.latency"),
        "any problem word": any_term("ERROR", "FATAL", "Task timed out"),
        "errors, not debug": all_terms("ERROR", exclude=["DEBUG"]),
        "timeouts (regex)": regex(r"Task timed out after [0-9.]+ seconds"),
        "client errors": space_delimited(
            "ip", "identity", "user", "timestamp", "request", "status_code", "bytes"
        )
        .where_string("status_code", "=", "4*")
        .pattern,
        "everything": all_events(),
        "from text": literal("{ $.latency >= 1000 }"),
    }


def pythonic() -> dict[str, object]:
    """``field()`` comparisons joined with ``&`` and ``|`` (one comparison per parentheses)."""
    slow_errors = (field("$.level") == "ERROR") & (field("$.latency") > 1000)
    retried = (field("$.retries") >= 3) | field("$.error").is_true()
    server_errors = space_delimited("ip", "...", "status", "bytes").where(
        (column("status") >= 500) | (column("status") == 404)
    )
    return {
        "slow errors": slow_errors.pattern,
        "slow errors or retried": (slow_errors | retried).pattern,
        "server errors or not found": server_errors.pattern,
    }


def main() -> int:
    """Print each pattern, check its round trip, and count its matches."""
    for title, built in {**cdk_style(), **pythonic()}.items():
        text = str(built)
        assert parse(text) == built, title  # every rendered pattern parses back to the same tree
        events = ACCESS_LINES if text.startswith("[") else APP_EVENTS
        matched = sum(compile(built).matches(event) for event in events)  # type: ignore[arg-type]
        print(f"{title:28} {text or '(empty)':78} {matched}/{len(events)} match")

    print()
    print(explain(pythonic()["slow errors"], APP_EVENTS[1]))  # type: ignore[arg-type]

    print()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grouped = any_term_group(["foo", "bar"], ["baz"])  # what CDK renders, with a warning
    print(f"any_term_group renders {str(grouped)!r}; warning: {caught[0].message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
