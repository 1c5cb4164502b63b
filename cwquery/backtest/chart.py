"""Charts of a backtest: a series of datapoints with the alarm's threshold and states, drawn in
the terminal with block characters, or as a self-contained HTML page (inline SVG and CSS, no
script and nothing loaded from elsewhere, so it opens offline).

>>> points = [(0, 1.0), (60_000, None), (120_000, 4.0)]
>>> print(terminal_chart("Errors Sum", points, threshold=2.0, height=4), end="")
Errors Sum, 1970-01-01T00:00:00Z to 1970-01-01T00:02:00Z, 3 periods
   4.0 ┤  █
       ┤──█  threshold 2.0
       ┤  █
   0.0 ┼█ █
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cwquery.backtest.alarms import ALARM, INSUFFICIENT_DATA, OK, Alarm, Transition, evaluation_step
from cwquery.backtest.render import iso, number
from cwquery.backtest.series import MinuteSeries


def _escape(text: str) -> str:
    """HTML-escaped text (the html module is imported only when a page is written)."""
    import html

    return html.escape(text)


Point = tuple[int, "float | None"]
_BLOCKS = " ▁▂▃▄▅▆▇█"
_STATE_MARKS = {ALARM: "█", OK: "─", INSUFFICIENT_DATA: "·"}
_STATE_COLOURS = {ALARM: "#d9534f", INSUFFICIENT_DATA: "#9e9e9e"}


@dataclass(frozen=True)
class ChartSeries:
    """One chart: a title, ``(period start, value)`` points, an optional threshold, and the
    alarm transitions with the state before the first one."""

    title: str
    points: Sequence[Point]
    period_ms: int
    threshold: float | None = None
    transitions: Sequence[Transition] = ()
    initial_state: str = INSUFFICIENT_DATA


def sliding_points(series: MinuteSeries, alarm: Alarm) -> list[Point]:
    """What the alarm evaluates: its statistic over every window of one period that starts on
    the evaluation grid (each minute, 10 s below a minute, each hour for multi-day alarms) and
    holds a sample, stamped with the window's start as the reasons stamp datapoints (E8).

    >>> series = MinuteSeries(); series.add(180_000, 2.0); series.add(300_000, 1.0)
    >>> alarm = Alarm("x", "Sum", 180, 1, 2, "GreaterThanOrEqualToThreshold")
    >>> [(start // 60_000, value) for start, value in sliding_points(series, alarm)]
    [(1, 2.0), (2, 2.0), (3, 3.0), (4, 1.0), (5, 1.0)]
    """
    step = evaluation_step(alarm) * 1000
    period = alarm.period * 1000
    starts: set[int] = set()
    for minute in series.minutes():
        first = -(-(minute - period + 1) // step) * step
        starts.update(range(first, minute + 1, step))
    points: list[Point] = []
    for start in sorted(starts):
        points.append((start, series.window(start, start + period).stat(alarm.statistic)))
    return points


def state_at(transitions: Sequence[Transition], initial: str, millis: int) -> str:
    """The alarm's state at an instant."""
    state = initial
    for item in transitions:
        if item.time > millis:
            break
        state = item.new
    return state


def chart_span(
    points: Sequence[Point], period_ms: int, transitions: Sequence[Transition] = ()
) -> tuple[int, int, list[Point]] | None:
    """The first and last period (from the first datapoint or transition to the last) and the
    datapoints on that grid of periods, in order; ``None`` when there is nothing. The periods
    in between without a datapoint are not listed, so the cost follows the datapoints, not
    the span.

    >>> chart_span([(120_000, 2.0), (0, 1.0)], 60_000)
    (0, 120000, [(0, 1.0), (120000, 2.0)])
    """
    instants = [p[0] for p in points] + [t.time - t.time % period_ms for t in transitions]
    if not instants:
        return None
    first, last = min(instants), max(instants)
    first -= first % period_ms
    known = {when: value for when, value in points if (when - first) % period_ms == 0}
    return first, last - (last - first) % period_ms, sorted(known.items())


def terminal_chart(
    title: str,
    points: Sequence[Point],
    *,
    threshold: float | None = None,
    transitions: Sequence[Transition] = (),
    initial_state: str = INSUFFICIENT_DATA,
    width: int = 64,
    height: int = 8,
    period_ms: int = 60_000,
) -> str:
    """Columns of block characters (one column per period, or the maximum of several when
    there are more periods than ``width``), a threshold line, and a state strip when there are
    transitions."""
    found = chart_span(points, period_ms, transitions)
    if found is None:
        return f"{title}: no datapoints\n"
    first, last, known_points = found
    count = (last - first) // period_ms + 1
    group = max(1, math.ceil(count / width))
    highest: dict[int, float] = {}
    for when, value in known_points:
        if value is not None:
            column = (when - first) // period_ms // group
            highest[column] = max(value, highest.get(column, value))
    columns: list[tuple[int, float | None]] = [
        (first + (min(index + group, count) - 1) * period_ms, highest.get(index // group))
        for index in range(0, count, group)
    ]
    known = [v for _, v in columns if v is not None] + (
        [threshold] if threshold is not None else []
    )
    top = max([*known, 0.0])
    bottom = min([*known, 0.0])
    span = (top - bottom) or 1.0
    rows = []
    threshold_row = (
        None if threshold is None else min(height - 1, int((threshold - bottom) / span * height))
    )
    for level in range(height - 1, -1, -1):
        cells = []
        for _, value in columns:
            fill = 0.0 if value is None else (value - bottom) / span * height - level
            if fill >= 1:
                cells.append("█")
            elif fill > 0:
                cells.append(_BLOCKS[max(1, round(fill * 8))])
            else:
                cells.append("─" if level == threshold_row else " ")
        label = number(top) if level == height - 1 else (number(bottom) if level == 0 else "")
        axis = "┼" if level == 0 else "┤"
        line = f"{label:>6} {axis}{''.join(cells)}"
        if level == threshold_row and threshold is not None:
            line += f"  threshold {number(threshold)}"
        rows.append(line.rstrip())
    lines = [f"{title}, {iso(first)} to {iso(last)}, {count} periods", *rows]
    if transitions:
        strip = "".join(
            _STATE_MARKS[state_at(transitions, initial_state, start)] for start, _ in columns
        )
        lines.append(f"{'state':>6}  {strip}")
        lines.append(f"{'':>6}  █ ALARM  ─ OK  · INSUFFICIENT_DATA")
    if group > 1:
        lines.append(f"{'':>6}  (each column: the maximum of {group} periods)")
    return "\n".join(lines) + "\n"


def html_page(title: str, charts: Sequence[ChartSeries], summary: str) -> str:
    """A self-contained page: for each chart an SVG with the series as bars, the threshold as a
    dashed line and the ALARM and INSUFFICIENT_DATA periods shaded, then a table of the
    alarm's transitions with their reasons."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_escape(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_escape(title)}</h1>",
        f'<p class="summary">{_escape(summary)}</p>',
    ]
    for chart in charts:
        parts.append(f"<section><h2>{_escape(chart.title)}</h2>")
        parts.append(_svg(chart))
        parts.append(_legend(chart))
        if chart.transitions:
            parts.append(_transitions_table(chart.transitions))
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}"
    ".summary{color:#555}svg{background:#fafafa;border:1px solid #ddd}"
    "table{border-collapse:collapse;margin-top:1em;font-size:.9em}"
    "td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}"
    ".legend span{display:inline-block;margin-right:1.5em}"
    ".swatch{display:inline-block;width:1em;height:1em;vertical-align:middle;margin-right:.3em}"
    ".ALARM{color:#d9534f;font-weight:bold}.OK{color:#2e7d32}.INSUFFICIENT_DATA{color:#777}"
)
_W, _H, _LEFT, _BOTTOM, _TOP = 960, 320, 70, 40, 20


def _svg(chart: ChartSeries) -> str:
    found = chart_span(chart.points, chart.period_ms, chart.transitions)
    if found is None:
        return "<p>No datapoints.</p>"
    start, last, points = found
    end = last + chart.period_ms
    if chart.transitions:
        start = min(start, chart.transitions[0].time - chart.period_ms)
        end = max(end, chart.transitions[-1].time + chart.period_ms)
    values = [v for _, v in points if v is not None]
    if chart.threshold is not None:
        values.append(chart.threshold)
    top, bottom = max([*values, 0.0]), min([*values, 0.0])
    span = (top - bottom) or 1.0
    plot_w, plot_h = _W - _LEFT - 10, _H - _BOTTOM - _TOP

    def x(millis: int) -> float:
        return _LEFT + (millis - start) / (end - start) * plot_w

    def y(value: float) -> float:
        return _TOP + (top - value) / span * plot_h

    shapes = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img">'
    ]
    state, since = chart.initial_state, start
    for item in [*chart.transitions, None]:
        until = end if item is None else item.time
        if state in _STATE_COLOURS and until > since:
            shapes.append(
                f'<rect x="{x(since):.1f}" y="{_TOP}" width="{x(until) - x(since):.1f}" '
                f'height="{plot_h}" fill="{_STATE_COLOURS[state]}" fill-opacity="0.15">'
                f"<title>{state} {iso(since)} to {iso(until)}</title></rect>"
            )
        if item is not None:
            state, since = item.new, item.time
    bar = max(1.0, x(start + chart.period_ms) - x(start) - 1)
    for when, value in points:
        if value is None:
            continue
        top_y, base_y = y(max(value, 0.0)), y(min(value, 0.0))
        shapes.append(
            f'<rect x="{x(when):.1f}" y="{top_y:.1f}" width="{bar:.1f}" '
            f'height="{max(base_y - top_y, 0.5):.1f}" fill="#1f77b4">'
            f"<title>{iso(when)}: {number(value)}</title></rect>"
        )
    if chart.threshold is not None:
        ty = y(chart.threshold)
        shapes.append(
            f'<line x1="{_LEFT}" x2="{_W - 10}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#d9534f" '
            f'stroke-dasharray="6 4"><title>threshold {number(chart.threshold)}</title></line>'
        )
    shapes.append(
        f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="#555"/>'
        f'<line x1="{_LEFT}" x2="{_W - 10}" y1="{y(0.0):.1f}" y2="{y(0.0):.1f}" stroke="#555"/>'
    )
    for fraction in (0.0, 0.5, 1.0):
        value = bottom + span * fraction
        shapes.append(
            f'<text x="{_LEFT - 6}" y="{y(value) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{number(value)}</text>'
        )
    for tick in range(5):
        when = start + (end - start) * tick // 4
        shapes.append(
            f'<text x="{x(when):.1f}" y="{_H - 15}" font-size="11" text-anchor="middle">'
            f"{iso(when)[:16].replace('T', ' ')}</text>"
        )
    shapes.append("</svg>")
    return "\n".join(shapes)


def _legend(chart: ChartSeries) -> str:
    items = ['<span><span class="swatch" style="background:#1f77b4"></span>datapoint</span>']
    if chart.threshold is not None:
        items.append(f"<span>- - threshold {_escape(number(chart.threshold))}</span>")
    if chart.transitions:
        items.append('<span><span class="swatch" style="background:#f4cccb"></span>ALARM</span>')
        items.append(
            '<span><span class="swatch" style="background:#ebebeb"></span>INSUFFICIENT_DATA</span>'
        )
    return f'<p class="legend">{"".join(items)}</p>'


def _transitions_table(transitions: Sequence[Transition]) -> str:
    rows = ["<table><tr><th>time (UTC)</th><th>from</th><th>to</th><th>reason</th></tr>"]
    for item in transitions:
        rows.append(
            f'<tr><td>{iso(item.time)}</td><td class="{item.old}">{item.old}</td>'
            f'<td class="{item.new}">{item.new}</td><td>{_escape(item.reason)}</td></tr>'
        )
    rows.append("</table>")
    return "\n".join(rows)
