"""The playground page in a real headless Chromium (Debian's ``chromium`` and
``chromium-driver`` packages, driven by selenium with the driver's path given, so nothing is
downloaded): carets, highlighted matches that agree with ``cwquery test``, explanations,
keyboard use, metric datapoints and share links."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cwquery
from cwquery.playground import api
from cwquery.playground.server import PlaygroundServer, create_app

pytestmark = pytest.mark.host  # Debian's chromium and chromium-driver

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

LOGS = Path(__file__).parent.parent / "examples" / "logs"
WAIT = 20


def _browser_paths() -> tuple[str, str]:
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        # a skip fails the run (tests/conftest.py); -m "not host" leaves these tests out
        pytest.skip("needs Debian's chromium and chromium-driver (sh .ci/host-tools installs them)")
    return browser, driver


@pytest.fixture(scope="module")
def server() -> Iterator[PlaygroundServer]:
    with PlaygroundServer(create_app(api.read_files([str(LOGS / "access.log")])), port=0) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    binary, driver_path = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: WebDriver, server: PlaygroundServer) -> WebDriver:
    browser.get("about:blank")
    browser.get(server.url)
    until(browser, lambda d: d.execute_script("return document.body.dataset.ready") == "true")
    until(browser, lambda d: evaluated(d) == ("", 300))
    return browser


def until(driver: WebDriver, condition: Callable[[WebDriver], Any]) -> Any:
    return WebDriverWait(driver, WAIT).until(condition)


def shows(pattern: str) -> Callable[[WebDriver], bool]:
    """A wait condition: the page has answered for ``pattern``."""
    return lambda driver: evaluated(driver)[0] == pattern


def evaluated(driver: WebDriver) -> tuple[str | None, int | None]:
    """The pattern and line count of the page's last answered evaluation."""
    data = driver.execute_script(
        "return [document.body.dataset.evaluated, document.body.dataset.evaluatedLines]"
    )
    return data[0], None if data[1] is None else int(data[1])


def type_pattern(driver: WebDriver, pattern: str) -> None:
    editor = driver.find_element(By.ID, "pattern")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(Keys.DELETE)
    editor.send_keys(pattern)
    until(driver, lambda d: evaluated(d)[0] == pattern)


def open_file(driver: WebDriver, path: Path) -> None:
    count = sum(1 for _ in cwquery.logs.sources.read_events(path))
    driver.find_element(By.ID, "upload").send_keys(str(path))
    until(driver, lambda d: evaluated(d)[1] == count and len(rows(d)) == count)


def rows(driver: WebDriver) -> list[Any]:
    return driver.find_elements(By.CSS_SELECTOR, "#lines .line")


def highlighted(driver: WebDriver) -> list[str]:
    """The text of the highlighted lines, in order, after checking each carries the ✔."""
    found = driver.execute_script(
        "return Array.from(document.querySelectorAll('#lines .line.hit'),"
        " r => [r.querySelector('.sym').textContent, r.querySelector('.msg').textContent])"
    )
    assert all(symbol == "✔" for symbol, _ in found)
    unmarked = driver.execute_script(
        "return Array.from(document.querySelectorAll('#lines .line:not(.hit) .sym'),"
        " s => s.textContent).filter(t => t !== '').length"
    )
    assert unmarked == 0
    return [text for _, text in found]


def cli_test(pattern: str, path: Path) -> list[str]:
    """The lines ``cwquery test`` prints for ``pattern`` over ``path`` (the real command)."""
    result = subprocess.run(
        [sys.executable, "-m", "cwquery", "test", "-q", pattern, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.splitlines()


def test_an_invalid_pattern_puts_the_caret_under_the_offending_character(page: WebDriver) -> None:
    pattern = '{ $.latency > 1000 AND $.level = "ERROR" }'
    with pytest.raises(cwquery.PatternError) as raised:
        cwquery.parse(pattern)
    type_pattern(page, pattern)
    error = page.find_element(By.ID, "error")
    assert error.is_displayed()
    assert error.get_attribute("data-column") == str(raised.value.column) == "20"
    assert f"column {raised.value.column}" in page.find_element(By.ID, "error-message").text
    assert page.find_element(By.ID, "error-hint").text == f"Hint: {raised.value.hint}"
    text_line, caret_line = page.find_element(By.ID, "error-caret").text.split("\n")
    assert text_line == pattern
    assert caret_line.index("^") == raised.value.column - 1
    # on screen, the first ^ stands right under the offending character
    left_of_char, left_of_caret = page.execute_script(
        """
        const pre = document.getElementById('error-caret');
        const text = pre.firstChild, marks = pre.querySelector('.mark').firstChild;
        const column = Number(document.getElementById('error').dataset.column) - 1;
        const at = (node, i) => { const r = document.createRange(); r.setStart(node, i);
                                   r.setEnd(node, i + 1); return r.getBoundingClientRect().left; };
        return [at(text, column), at(marks, marks.textContent.indexOf('^'))];
        """
    )
    assert abs(left_of_char - left_of_caret) < 0.5
    assert page.find_element(By.ID, "pattern").get_attribute("aria-invalid") == "true"
    assert highlighted(page) == []
    assert "fix the pattern" in page.find_element(By.ID, "counts").text


def test_a_caret_on_a_later_line_of_the_pattern(page: WebDriver) -> None:
    pattern = "{ $.a = 1 &&\n  $.b = }"
    with pytest.raises(cwquery.PatternError) as raised:
        cwquery.parse(pattern)
    type_pattern(page, pattern)
    error = page.find_element(By.ID, "error")
    assert error.get_attribute("data-line") == "2" == str(raised.value.line)
    text_line, caret_line = page.find_element(By.ID, "error-caret").text.split("\n")
    assert text_line == "  $.b = }"
    assert caret_line.index("^") == raised.value.column - 1


@pytest.mark.parametrize(
    ("pattern", "log", "kind"),
    [
        ("[ip, id, user, timestamp, request, status = 5*, bytes]", "access.log", "space-delimited"),
        ('{ $.level = "ERROR" || $.latency > 2000 }', "app.jsonl", "JSON"),
        ("?ERROR ?Timeout", "lambda.log", "term"),
        ("%order 10[0-4]%", "lambda.log", "regex"),
        ("REJECT", "vpc-flow.log", "term"),
    ],
)
def test_a_valid_pattern_highlights_the_lines_cwquery_test_prints(
    page: WebDriver, pattern: str, log: str, kind: str
) -> None:
    open_file(page, LOGS / log)
    type_pattern(page, pattern)
    expected = cli_test(pattern, LOGS / log)
    assert expected, "the case should match something"
    assert highlighted(page) == expected
    counts = page.find_element(By.ID, "counts").text
    assert counts.startswith(f"{len(expected)} of {len(rows(page)):,} lines match")
    assert page.find_element(By.ID, "kind").text == kind


def test_typing_updates_the_highlights_as_the_pattern_grows(page: WebDriver) -> None:
    editor = page.find_element(By.ID, "pattern")
    for piece, pattern in (("[ip", "[ip"), (", ...]", "[ip, ...]"), ("x", "[ip, ...]x")):
        editor.send_keys(piece)
        until(page, shows(pattern))
    assert "Invalid" in page.find_element(By.ID, "status").text
    editor.send_keys(Keys.BACKSPACE)
    until(page, lambda d: evaluated(d)[0] == "[ip, ...]")
    assert len(highlighted(page)) == 300
    assert page.find_element(By.ID, "status").text == "✔ Valid space-delimited pattern"


def test_clicking_a_line_shows_its_explanation(page: WebDriver) -> None:
    pattern = "[ip, id, user, timestamp, request, status = 5*, bytes]"
    type_pattern(page, pattern)
    lines = [e.message for e in cwquery.logs.sources.read_events(LOGS / "access.log")]
    miss = next(i for i, line in enumerate(lines) if not cwquery.matches(pattern, line))
    rows(page)[miss].click()
    detail = page.find_element(By.ID, "detail-body")
    until(page, lambda d: detail.get_attribute("data-line") == str(miss + 1))
    assert detail.find_element(By.CSS_SELECTOR, ".verdict").text == (
        f"✖ Line {miss + 1} does not match"
    )
    expected = cwquery.explain(pattern, lines[miss])
    checks = [c.text for c in detail.find_elements(By.CSS_SELECTOR, ".check")]
    assert checks == [
        f"{'✔ true' if c.result else '✖ false'} {c.condition} — found {c.found}"
        for c in expected.checks
    ]
    fields = [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in detail.find_elements(By.CSS_SELECTOR, "table.fields tr")[1:]
    ]
    assert [row[2] for row in fields] == [
        "$ip", "$id", "$user", "$timestamp", "$request", "$status", "$bytes"
    ]  # fmt: skip
    assert "None: TestMetricFilter lists only matching lines." in detail.text

    hit = next(i for i, line in enumerate(lines) if cwquery.matches(pattern, line))
    rows(page)[hit].click()
    until(page, lambda d: detail.get_attribute("data-line") == str(hit + 1))
    assert detail.find_element(By.CSS_SELECTOR, ".verdict").text == f"✔ Line {hit + 1} matches"
    record = detail.find_element(By.CSS_SELECTOR, "pre.json").text
    expected_record = cwquery.compile(pattern).extract(lines[hit])
    assert f'"eventNumber": {hit + 1}' in record
    for name, value in (expected_record or {}).items():
        assert f'"{name}": "{value}"' in record


def test_the_keyboard_moves_through_the_lines_and_enter_explains(page: WebDriver) -> None:
    type_pattern(page, "POST")
    page.find_element(By.ID, "show").send_keys("matching lines")
    listbox = page.find_element(By.ID, "lines")
    listbox.click()  # explains the first visible line and focuses the list
    lines = [e.message for e in cwquery.logs.sources.read_events(LOGS / "access.log")]
    posts = [i for i, line in enumerate(lines) if "POST" in line]
    detail = page.find_element(By.ID, "detail-body")
    listbox.send_keys(Keys.HOME, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ENTER)
    until(page, lambda d: detail.get_attribute("data-line") == str(posts[2] + 1))
    assert listbox.get_attribute("aria-activedescendant") == f"line-{posts[2]}"
    listbox.send_keys(Keys.ARROW_UP, Keys.ENTER)
    until(page, lambda d: detail.get_attribute("data-line") == str(posts[1] + 1))
    listbox.send_keys(Keys.END, Keys.ENTER)
    until(page, lambda d: detail.get_attribute("data-line") == str(posts[-1] + 1))


def test_a_metric_shows_the_datapoint_of_a_line(page: WebDriver) -> None:
    open_file(page, LOGS / "app.jsonl")
    type_pattern(page, "{ $.latency > 1000 }")
    page.find_element(By.CSS_SELECTOR, "#metric summary").click()
    page.find_element(By.ID, "metric-value").send_keys("$.latency")
    page.find_element(By.CSS_SELECTOR, ".dim-name").send_keys("service")
    page.find_element(By.CSS_SELECTOR, ".dim-value").send_keys("$.service")
    until(page, lambda d: "datapoint" in d.find_element(By.ID, "metric-summary").text)
    lines = [e.message for e in cwquery.logs.sources.read_events(LOGS / "app.jsonl")]
    transformation = cwquery.metrics.MetricTransformation(
        "m", "n", "$.latency", None, {"service": "$.service"}
    )
    metric_filter = cwquery.metrics.MetricFilter("{ $.latency > 1000 }", transformation)
    points = [p for p in map(metric_filter.datapoint, lines) if p is not None]
    summary = page.find_element(By.ID, "metric-summary").text
    assert f"publish {len(points)} datapoints" in summary
    first = next(i for i, line in enumerate(lines) if metric_filter.datapoint(line))
    rows(page)[first].click()
    point = metric_filter.datapoint(lines[first])
    assert point is not None
    until(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#detail-body .datapoint"))
    text = page.find_element(By.CSS_SELECTOR, "#detail-body .datapoint").text
    assert text == f"value {point.value:g}, dimensions service={point.dimensions['service']}"


def test_the_share_link_restores_pattern_samples_and_metric(page: WebDriver) -> None:
    page.find_element(By.ID, "paste-toggle").click()
    pasted = 'INFO start\n{"ms": 12, "op": "get"}\nERROR boom\n{"ms": 40, "op": "put"}'
    page.find_element(By.ID, "paste-text").send_keys(pasted)
    page.find_element(By.ID, "paste-use").click()
    until(page, lambda d: evaluated(d)[1] == 4)
    type_pattern(page, "{ $.ms > 20 }")
    page.find_element(By.CSS_SELECTOR, "#metric summary").click()
    page.find_element(By.ID, "metric-value").send_keys("$.ms")
    until(page, lambda d: "1 datapoint" in d.find_element(By.ID, "metric-summary").text)
    page.find_element(By.ID, "share").click()
    until(page, lambda d: "#z=" in d.current_url)
    link = page.current_url
    assert link.startswith(page.execute_script("return location.origin + '/#z='"))

    page.get("about:blank")
    page.get(link)
    until(page, lambda d: evaluated(d) == ("{ $.ms > 20 }", 4))
    assert page.find_element(By.ID, "pattern").get_attribute("value") == "{ $.ms > 20 }"
    assert [r.find_element(By.CSS_SELECTOR, ".msg").text for r in rows(page)] == pasted.split("\n")
    assert highlighted(page) == ['{"ms": 40, "op": "put"}']
    assert page.find_element(By.ID, "metric-value").get_attribute("value") == "$.ms"
    until(page, lambda d: "1 datapoint, sum 40" in d.find_element(By.ID, "metric-summary").text)


# --------------------------------------------------------------------------- the Insights tab


def queried(driver: WebDriver) -> tuple[str | None, int | None]:
    """The query and line count of the Insights tab's last answered run."""
    data = driver.execute_script(
        "return [document.body.dataset.queried, document.body.dataset.queriedLines]"
    )
    return data[0], None if data[1] is None else int(data[1])


def type_query(driver: WebDriver, query: str) -> None:
    editor = driver.find_element(By.ID, "query")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(Keys.DELETE)
    editor.send_keys(query)
    until(driver, lambda d: queried(d)[0] == query)


def result_table(driver: WebDriver) -> list[list[str]]:
    """The results table as text: the header row, then each row's cells."""
    found: list[list[str]] = driver.execute_script(
        "return Array.from(document.querySelectorAll('#query-results tr'),"
        " r => Array.from(r.children, c => c.textContent))"
    )
    return found


def open_insights(driver: WebDriver) -> None:
    driver.find_element(By.ID, "tab-insights").click()
    until(driver, lambda d: queried(d)[0] == "")


def test_the_insights_tab_shows_the_rows_cwquery_insights_prints(page: WebDriver) -> None:
    open_file(page, LOGS / "vpc-flow.log")
    open_insights(page)
    assert not page.find_element(By.ID, "pattern").is_displayed()
    assert page.find_element(By.ID, "tab-insights").get_attribute("aria-selected") == "true"
    query = 'filter action = "REJECT" | stats count(*) as rejected by srcAddr | sort rejected desc'
    type_query(page, query)
    lines = [r.find_element(By.CSS_SELECTOR, ".msg").text for r in rows(page)]
    expected = api_rows(query, lines)
    assert expected["rows"], "the case should return rows"
    table = result_table(page)
    assert table[0] == expected["columns"]
    assert table[1:] == [
        [row["cells"].get(name, "") for name in expected["columns"]] for row in expected["rows"]
    ]
    stats = page.find_element(By.ID, "query-stats").text
    assert stats.startswith(f"{len(expected['rows'])} row")
    assert f"of {len(lines)} records scanned" in stats
    assert page.find_element(By.ID, "query-status").text == "✔ Valid query"


def api_rows(query: str, lines: list[str]) -> dict[str, Any]:
    from cwquery.playground.insights import query_lines

    return query_lines(query, lines)


def test_an_invalid_query_puts_the_caret_under_the_offending_text(page: WebDriver) -> None:
    from cwquery.insights import QueryError, parse

    open_insights(page)
    query = "fields @timestamp, custom_field | count()"
    with pytest.raises(QueryError) as raised:
        parse(query)
    type_query(page, query)
    error = page.find_element(By.ID, "query-error")
    assert error.is_displayed()
    assert error.get_attribute("data-column") == str(raised.value.column)
    text_line, caret_line = page.find_element(By.ID, "query-error-caret").text.split("\n")
    assert text_line == query
    assert caret_line.index("^") == raised.value.column - 1
    assert page.find_element(By.ID, "query").get_attribute("aria-invalid") == "true"
    assert result_table(page) == []
    type_query(page, "fields @message | anomaly")
    assert "Not run locally (unsupported)" in page.find_element(By.ID, "query-status").text


def test_clicking_an_event_row_finds_its_line(page: WebDriver) -> None:
    open_file(page, LOGS / "app.jsonl")
    open_insights(page)
    type_query(page, 'filter level = "ERROR" | fields @message | limit 1')
    row = page.find_element(By.CSS_SELECTOR, "#query-results tr[data-line]")
    index = int(row.get_attribute("data-line") or "-1")
    row.click()
    active = until(page, lambda d: d.find_element(By.CSS_SELECTOR, "#lines .line.active"))
    assert active.get_attribute("data-index") == str(index)
    assert active.find_element(By.CSS_SELECTOR, ".msg").text == row.text


def test_the_share_link_restores_the_query_and_the_tab(page: WebDriver) -> None:
    page.find_element(By.ID, "paste-toggle").click()
    pasted = "2024-03-01T10:00:00Z ERROR a\n2024-03-01T10:00:05Z ok\n2024-03-01T10:00:09Z ERROR b"
    page.find_element(By.ID, "paste-text").send_keys(pasted)
    page.find_element(By.ID, "paste-use").click()
    until(page, lambda d: evaluated(d)[1] == 3)
    open_insights(page)
    query = "filter @message like /ERROR/ | stats count(*) as n by bin(1h)"
    type_query(page, query)
    page.find_element(By.ID, "share").click()
    until(page, lambda d: "#z=" in d.current_url)
    link = page.current_url

    page.get("about:blank")
    page.get(link)
    until(page, lambda d: queried(d) == (query, 3))
    assert page.find_element(By.ID, "query").get_attribute("value") == query
    assert page.find_element(By.ID, "results").is_displayed()
    assert result_table(page) == [["bin(1h)", "n"], ["2024-03-01 10:00:00.000", "2"]]
    page.find_element(By.ID, "tab-insights").send_keys(Keys.ARROW_LEFT)  # arrows move tabs
    until(page, lambda d: d.find_element(By.ID, "pattern").is_displayed())
    assert page.switch_to.active_element.get_attribute("id") == "tab-pattern"
    assert not page.find_element(By.ID, "results").is_displayed()


def test_an_export_in_the_insights_tab_keeps_its_times(page: WebDriver, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    export = [
        {"timestamp": 1709287209000, "message": "2020-01-01T00:00:00Z late", "logStreamName": "b"},
        {"timestamp": 1709287200000, "message": "early", "logStreamName": "a"},
    ]
    path.write_text(json.dumps({"events": export}))
    open_file(page, path)
    open_insights(page)
    query = "fields @timestamp, @message, @logStream | sort @timestamp asc"
    type_query(page, query)
    table = result_table(page)
    assert table[0] == ["@timestamp", "@message", "@logStream"]
    assert table[1:] == [
        ["2024-03-01 10:00:00.000", "early", "a"],
        ["2024-03-01 10:00:09.000", "2020-01-01T00:00:00Z late", "b"],
    ]
