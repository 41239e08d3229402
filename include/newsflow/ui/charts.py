"""Time-series charts as inline SVG, drawn on the server: nothing is loaded from the network.

Dates are spaced by time on a calendar axis with labelled ticks and axis titles; days without
data are drawn as shaded gaps that no line crosses (`newsflow.warehouse.timeline`); each point
shows its value on hover and links to the articles behind it; the legend lists the series in the
order given (most mentioned first); the SVG scales to the width of the page.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from newsflow.warehouse.timeline import gaps, segments

# Colour-blind-safe categorical palette (Okabe–Ito), one colour per line.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 60, 200, 12, 52  # room for the y labels, the legend and the x labels
MAX_TICKS = 8
# Tick steps, finest first: (days, months, years); the first that gives at most MAX_TICKS wins.
TICK_STEPS: tuple[tuple[int, int, int], ...] = (
    (1, 0, 0),
    (2, 0, 0),
    (7, 0, 0),
    (14, 0, 0),
    (0, 1, 0),
    (0, 2, 0),
    (0, 3, 0),
    (0, 6, 0),
)
TICK_STEPS += tuple((0, 0, years) for years in (1, 2, 5, 10, 20, 50))


@dataclass(frozen=True, slots=True)
class Series:
    """One line: its label, its value per day, and where a click on a day leads."""

    label: str
    values: dict[date, int]
    link: Callable[[date], str] | None = None


@dataclass(frozen=True, slots=True)
class Chart:
    """What the chart shows: series in legend order, the days with data, the range and titles."""

    series: list[Series]
    data_days: list[date]
    x_title: str
    y_title: str
    first: date | None = None  # the range shown; default: the first and last day with data
    last: date | None = None
    unit: str = "mentions"
    step_days: int = 1  # 7 for weekly counts: consecutive weeks are joined


def date_ticks(first: date, last: date) -> list[tuple[date, str]]:
    """Ticks on round dates (days, week starts, month or year starts), labelled at the step's
    precision, at most MAX_TICKS of them."""
    for days, months, years in TICK_STEPS:
        if days:
            start = first - timedelta(days=first.weekday()) if days % 7 == 0 else first
            ticks = [start + timedelta(days=k * days) for k in range((last - start).days // days + 1)]
            ticks = [t for t in ticks if t >= first]
            labels = [t.isoformat() for t in ticks]
        else:
            step = months or 12 * years
            index = _month_index(first) + (first.day > 1)  # the first month start on or after `first`
            index += -index % step  # on a round month: January, and every `step` months after
            ticks = []
            while (tick := date(index // 12, index % 12 + 1, 1)) <= last:
                ticks.append(tick)
                index += step
            labels = [t.strftime("%Y-%m") if months else str(t.year) for t in ticks]
        if len(ticks) <= MAX_TICKS:
            return list(zip(ticks, labels, strict=True))
    return [(first, first.isoformat()), (last, last.isoformat())]


def value_ticks(top: int) -> list[int]:
    """0 to at least `top` in a round step (1, 2 or 5 × 10^k), about five ticks."""
    raw = max(top, 1) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    return list(range(0, max(top, 1) + step, step))


def render(chart: Chart) -> str:
    """The chart as an SVG element that fills the page's width; a sentence when it has no data."""
    days = sorted(set(chart.data_days) | {d for s in chart.series for d in s.values})
    first, last = chart.first or (days[0] if days else None), chart.last or (days[-1] if days else None)
    if first is None or last is None or not chart.series:
        return "<p class='empty'>No mentions to chart in this range.</p>"
    days = [d for d in days if first <= d <= last]
    span = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max((v for s in chart.series for d, v in s.values.items() if first <= d <= last), default=0)
    y_ticks = value_ticks(peak)

    def x(day: date) -> float:
        return LEFT + plot_w * ((day - first).days / span if first != last else 0.5)

    def y(value: int) -> float:
        return TOP + plot_h * (1 - value / y_ticks[-1])

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' class='chart' viewBox='0 0 {WIDTH} {HEIGHT}' "
        f"width='100%' preserveAspectRatio='xMinYMin meet' font-family='sans-serif' font-size='12'>",
        f"<title>{html.escape(chart.y_title)} by {html.escape(chart.x_title)}, {first} to {last}</title>",
    ]
    parts += _gap_bands(gaps(days, chart.step_days), chart.step_days, x, y(y_ticks[-1]), plot_h)
    parts += _axes(chart, first, last, x, y, y_ticks)
    for index, series in enumerate(chart.series):
        parts += _series(series, PALETTE[index % len(PALETTE)], days, chart, x, y)
        parts.append(_legend_entry(series, index, first, last))
    parts.append("</svg>")
    return "".join(parts)


def _gap_bands(
    spans: list[tuple[date, date]], step_days: int, x: Callable[[date], float], top: float, height: float
) -> list[str]:
    """A shaded band between the two points each span without data parts, saying so on hover."""
    bands = []
    for start, end in spans:
        left, right = x(start - timedelta(days=step_days)), x(end + timedelta(days=1))
        bands.append(
            f"<rect class='gap' x='{left:.1f}' y='{top:.1f}' width='{right - left:.1f}' height='{height:.1f}' "
            f"fill='#eee'><title>no articles dated {start} – {end}</title></rect>"
        )
        if right - left > 70:  # wide enough to say so without hovering
            bands.append(
                f"<text x='{(left + right) / 2:.1f}' y='{top + 14:.1f}' text-anchor='middle' fill='#777'>"
                "no articles</text>"
            )
    return bands


def _axes(
    chart: Chart,
    first: date,
    last: date,
    x: Callable[[date], float],
    y: Callable[[int], float],
    y_ticks: list[int],
) -> list[str]:
    right, bottom = WIDTH - RIGHT, y(0)
    parts = [f"<line x1='{LEFT}' y1='{bottom}' x2='{right}' y2='{bottom}' stroke='#666'/>"]
    for value in y_ticks:
        parts.append(
            f"<line x1='{LEFT}' y1='{y(value):.1f}' x2='{right}' y2='{y(value):.1f}' stroke='#ddd'/>"
            f"<text x='{LEFT - 6}' y='{y(value) + 4:.1f}' text-anchor='end'>{value:,}</text>"
        )
    for tick, label in date_ticks(first, last):
        parts.append(
            f"<line x1='{x(tick):.1f}' y1='{bottom}' x2='{x(tick):.1f}' y2='{bottom + 5}' stroke='#666'/>"
            f"<text class='tick' x='{x(tick):.1f}' y='{bottom + 18}' text-anchor='middle'>{label}</text>"
        )
    middle = (TOP + bottom) / 2
    return [
        *parts,
        f"<text class='axis-title' x='{(LEFT + right) / 2}' y='{HEIGHT - 6}' text-anchor='middle'>"
        f"{html.escape(chart.x_title)}</text>",
        f"<text class='axis-title' transform='translate(14 {middle}) rotate(-90)' text-anchor='middle'>"
        f"{html.escape(chart.y_title)}</text>",
    ]


def _series(
    series: Series,
    colour: str,
    days: list[date],
    chart: Chart,
    x: Callable[[date], float],
    y: Callable[[int], float],
) -> list[str]:
    """One polyline per run of consecutive days with data, and a marker per day of it (a zero links
    nowhere)."""
    shown = {d: v for d, v in series.values.items() if days and days[0] <= d <= days[-1]}
    parts = []
    runs = segments(shown, days, chart.step_days)
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in run)
            parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{points}'/>")
    for day, value in (point for run in runs for point in run):
        marker = (
            f"<circle cx='{x(day):.1f}' cy='{y(value):.1f}' r='3.5' fill='{colour}'>"
            f"<title>{html.escape(series.label)}, {day}: {value:,} {chart.unit}</title></circle>"
        )
        if series.link and value:
            marker = f"<a href='{html.escape(series.link(day))}' target='_self'>{marker}</a>"
        parts.append(marker)
    return parts


def _legend_entry(series: Series, index: int, first: date, last: date) -> str:
    total = sum(v for d, v in series.values.items() if first <= d <= last)
    left, top = WIDTH - RIGHT + 14, TOP + 16 * index + 8
    label = html.escape(f"{series.label} ({total:,})")
    return (
        f"<rect x='{left}' y='{top - 8}' width='10' height='10' fill='{PALETTE[index % len(PALETTE)]}'/>"
        f"<text x='{left + 15}' y='{top + 1}'>{label}</text>"
    )


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1
