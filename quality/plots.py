"""Plots as standalone SVG documents (no plotting library, no script): worker accuracy with its
interval, a confusion matrix, a batch's progress with the spread of its consensus confidence, and
its answers over time.

Every text is escaped; colours follow one palette, and each plot names its axes, so it reads on
its own in a browser, a notebook (``IPython.display.SVG``) or an e-mail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

import numpy as np

FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\" font-size=\"12\""
BLUE, RED, ORANGE, GREEN, GREY, AMBER, INK = "#2563eb", "#dc2626", "#ea580c", "#16a34a", "#9ca3af", "#d97706", "#111827"


TITLE_CHARACTER_WIDTH = 8.5  # px per character of the 14 px semi-bold title, a generous average


def _document(width: float, height: float, title: str, body: list[str]) -> str:
    """The SVG around ``body``, wide enough for its title (a plot narrower than its title would cut it)."""
    width = max(width, 24 + TITLE_CHARACTER_WIDTH * len(title))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" {FONT}>'
            f'<title>{escape(title)}</title><rect width="100%" height="100%" fill="white"/>'
            f'<text x="12" y="20" font-size="14" font-weight="600" fill="{INK}">{escape(title)}</text>'
            + "".join(body) + "</svg>")


@dataclass(frozen=True)
class AccuracyRow:
    """One worker: posterior mean and 95% interval of accuracy (0-1), answers, and whether a
    quality rule acted on them."""

    label: str
    mean: float
    low: float
    high: float
    answers: int
    acted_on: bool = False


def accuracy_svg(rows: Sequence[AccuracyRow], *, title: str, threshold: float | None = None) -> str:
    """A forest plot: one line per worker from the low to the high end of the interval, a dot at
    the mean, most accurate first; red where a rule acted, orange below ``threshold``."""
    left, right, top, step = 150, 560, 44, 18
    width = right + 90
    height = top + step * max(len(rows), 1) + 40

    def x(value: float) -> float:
        return left + (right - left) * min(max(value, 0.0), 1.0)

    body = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        body.append(f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" y2="{height - 34}" stroke="#e5e7eb"/>'
                    f'<text x="{x(tick):.1f}" y="{height - 20}" text-anchor="middle" fill="{INK}">{tick:.0%}</text>')
    body.append(f'<text x="{(left + right) / 2:.0f}" y="{height - 6}" text-anchor="middle" fill="{INK}">'
                "accuracy (posterior mean and 95% interval)</text>")
    if threshold is not None:
        body.append(f'<line x1="{x(threshold):.1f}" y1="{top - 10}" x2="{x(threshold):.1f}" y2="{height - 34}" '
                    f'stroke="{ORANGE}" stroke-dasharray="4 3"/>')
    for i, row in enumerate(sorted(rows, key=lambda r: -r.mean)):
        y = top + step * i + step / 2
        colour = RED if row.acted_on else ORANGE if threshold is not None and row.mean < threshold else BLUE
        body.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">{escape(row.label)}</text>'
                    f'<line x1="{x(row.low):.1f}" y1="{y:.1f}" x2="{x(row.high):.1f}" y2="{y:.1f}" '
                    f'stroke="{colour}" stroke-width="2"/>'
                    f'<circle cx="{x(row.mean):.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
                    f'<text x="{right + 10}" y="{y + 4:.1f}" fill="#6b7280">{row.answers:,} answers</text>')
    if not rows:
        body.append(f'<text x="{left}" y="{top + 12}" fill="#6b7280">No worker has answered yet.</text>')
    return _document(width, height, title, body)


def _blend(value: float) -> str:
    """White (0) to blue (1)."""
    value = min(max(value, 0.0), 1.0)
    r, g, b = (round(255 + (c - 255) * value) for c in (37, 99, 235))
    return f"#{r:02x}{g:02x}{b:02x}"


def confusion_svg(classes: Sequence[str], matrix: np.ndarray | Sequence[Sequence[float]], *, title: str) -> str:
    """A heatmap of a confusion matrix: rows = the answer given, columns = the true label, each
    column summing to 1, with the share in each cell."""
    grid = np.asarray(matrix, dtype=float)
    k = len(classes)
    if grid.shape != (k, k):
        raise ValueError(f"matrix: expected {k} x {k} for {k} classes, got {grid.shape[0]} x {grid.shape[1]}")
    cell = max(36, min(72, 480 // max(k, 1)))
    left, top = 140, 70
    width, height = left + cell * k + 30, top + cell * k + 50
    body = [f'<text x="{left + cell * k / 2:.0f}" y="{top - 28}" text-anchor="middle" fill="{INK}">true label</text>',
            f'<text x="16" y="{top + cell * k / 2:.0f}" fill="{INK}" '
            f'transform="rotate(-90 16 {top + cell * k / 2:.0f})" text-anchor="middle">answer given</text>']
    for j, name in enumerate(classes):
        body.append(f'<text x="{left + cell * j + cell / 2:.0f}" y="{top - 8}" text-anchor="middle" '
                    f'fill="{INK}">{escape(str(name))[:12]}</text>'
                    f'<text x="{left - 8}" y="{top + cell * j + cell / 2 + 4:.0f}" text-anchor="end" '
                    f'fill="{INK}">{escape(str(name))[:16]}</text>')
    for i in range(k):
        for j in range(k):
            value = grid[i, j]
            shade = _blend(value)
            text_colour = "white" if value > 0.55 else INK
            body.append(f'<rect x="{left + cell * j}" y="{top + cell * i}" width="{cell}" height="{cell}" '
                        f'fill="{shade}" stroke="white"/>'
                        f'<text x="{left + cell * j + cell / 2:.0f}" y="{top + cell * i + cell / 2 + 4:.0f}" '
                        f'text-anchor="middle" fill="{text_colour}">{value:.0%}</text>')
    return _document(width, height, title, body)


def progress_svg(parts: Sequence[tuple[str, int, str]], confidences: Sequence[float], *, title: str,
                 target: float | None = None) -> str:
    """A stacked bar of the batch's assignments by state (name, count, colour), and a histogram of
    its HITs' consensus confidence in ten bins, with the confidence target."""
    left, width_bar, top = 20, 600, 44
    total = sum(count for _, count, _ in parts)
    body, x = [], float(left)
    for name, count, colour in parts:
        share = count / total if total else 0.0
        body.append(f'<rect x="{x:.1f}" y="{top}" width="{width_bar * share:.1f}" height="26" fill="{colour}">'
                    f'<title>{escape(name)}: {count:,}</title></rect>')
        x += width_bar * share
    legend_x = left
    for name, count, colour in parts:
        body.append(f'<rect x="{legend_x}" y="{top + 36}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{legend_x + 14}" y="{top + 45}" fill="{INK}">{escape(name)} {count:,}</text>')
        legend_x += 14 + 7 * (len(name) + len(f"{count:,}")) + 22
    counts, _ = np.histogram(np.clip(np.asarray(confidences, dtype=float), 0, 1), bins=10, range=(0, 1))
    base, chart = top + 190, 110
    peak = max(int(counts.max()) if len(confidences) else 0, 1)
    bin_width = width_bar / 10
    body.append(f'<text x="{left}" y="{top + 74}" fill="{INK}">HITs by consensus confidence '
                f'({len(confidences):,} with a consensus)</text>')
    for i, count in enumerate(counts):
        bar = chart * count / peak
        body.append(f'<rect x="{left + bin_width * i + 2:.1f}" y="{base - bar:.1f}" width="{bin_width - 4:.1f}" '
                    f'height="{bar:.1f}" fill="{BLUE}"><title>{i / 10:.0%}-{(i + 1) / 10:.0%}: {count:,}</title></rect>'
                    f'<text x="{left + bin_width * i:.1f}" y="{base + 16}" fill="{INK}">{i / 10:.0%}</text>')
    body.append(f'<text x="{left + width_bar - 20}" y="{base + 16}" fill="{INK}">100%</text>')
    if target is not None:
        tx = left + width_bar * target
        anchor, offset = ("end", -4) if target > 0.8 else ("start", 4)  # keep the label inside the plot
        body.append(f'<line x1="{tx:.1f}" y1="{base - chart - 6}" x2="{tx:.1f}" y2="{base}" stroke="{ORANGE}" '
                    f'stroke-dasharray="4 3"/><text x="{tx + offset:.1f}" y="{base - chart}" '
                    f'text-anchor="{anchor}" fill="{ORANGE}">target {target:.0%}</text>')
    return _document(left + width_bar + 20, base + 30, title, body)


PROGRESS_COLOURS = {"approved": GREEN, "submitted": BLUE, "pending": AMBER, "rejected": RED, "open": GREY}


def timeline_svg(hours: Sequence[tuple[datetime, int]], slots: int, *, title: str) -> str:
    """Answers submitted over time: the running total hour by hour (``hours``: each hour with answers,
    its start and count, in order; the time axis is linear, so quiet hours keep their width), against
    the batch's ``slots`` (every assignment it can take)."""
    left, width, top, height = 56, 560, 40, 160
    base = top + height
    running = np.cumsum([count for _, count in hours]) if hours else np.zeros(0)
    ceiling = max(slots, int(running[-1]) if len(running) else 0, 1)
    body = [f'<line x1="{left}" y1="{base}" x2="{left + width}" y2="{base}" stroke="{INK}"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="{INK}"/>',
            f'<text x="{left - 6}" y="{base}" text-anchor="end" fill="{INK}">0</text>',
            f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" fill="{INK}">{ceiling:,}</text>',
            f'<line x1="{left}" y1="{top}" x2="{left + width}" y2="{top}" stroke="{GREY}" stroke-dasharray="4 3"/>',
            f'<text x="{left + width}" y="{top - 6}" text-anchor="end" fill="{GREY}">{slots:,} slots in all</text>']
    if not hours:
        body.append(f'<text x="{left + width / 2}" y="{top + height / 2}" text-anchor="middle" fill="{INK}">'
                    'No answers yet</text>')
    else:
        start, span = hours[0][0], (hours[-1][0] - hours[0][0]).total_seconds() + 3600  # hours without answers
        step = width * 3600 / span                                                      # keep their place
        points, level = [f"{left},{base}"], base
        for (hour, count), total in zip(hours, running, strict=True):
            x = left + width * (hour - start).total_seconds() / span
            y = base - height * total / ceiling
            points += [f"{x:.1f},{level:.1f}", f"{x:.1f},{y:.1f}"]
            level = y
            body.append(f'<rect x="{x:.1f}" y="{top}" width="{step:.1f}" height="{height}" '
                        f'fill="transparent"><title>{hour:%Y-%m-%d %H:00} UTC: {count:,} answers, '
                        f'{int(total):,} in all</title></rect>')
        points += [f"{left + width},{level:.1f}", f"{left + width},{base}"]
        body.insert(0, f'<polygon points="{" ".join(points)}" fill="{BLUE}" fill-opacity="0.25" stroke="{BLUE}"/>')
        body += [f'<text x="{left}" y="{base + 16}" fill="{INK}">{hours[0][0]:%Y-%m-%d %H:00}</text>',
                 f'<text x="{left + width}" y="{base + 16}" text-anchor="end" fill="{INK}">'
                 f'{hours[-1][0]:%Y-%m-%d %H:00} UTC</text>']
    body.append(f'<text x="{left + width / 2}" y="{base + 34}" text-anchor="middle" fill="{INK}">answers submitted, '
                'hour by hour (running total)</text>')
    return _document(left + width + 20, base + 44, title, body)


MUTED = "#6b7280"


def empty_svg(title: str, message: str) -> str:
    """A plot with nothing to show yet: its title and a sentence saying why."""
    return _document(640, 90, title, [f'<text x="12" y="56" fill="{MUTED}">{escape(message)}</text>'])


def _edge_positions(edges: Sequence[float], value: float, left: float, step: float) -> float:
    """Where ``value`` falls on an axis of equally wide bins between ``edges``."""
    for i in range(len(edges) - 1):
        if value <= edges[i + 1] or i == len(edges) - 2:
            low, high = edges[i], edges[i + 1]
            share = 0.0 if high == low else (min(max(value, low), high) - low) / (high - low)
            return left + step * (i + share)
    return left


def histogram_svg(edges: Sequence[float], counts: Sequence[int], *, title: str, x_label: str,
                  tick: Callable[[float], str] = lambda v: f"{v:g}", noun: str = "items",
                  markers: Sequence[tuple[float, str]] = ()) -> str:
    """Counts in bins (``edges``: one more than ``counts``), every bin equally wide so uneven bins (work
    time) stay readable; ``markers`` (value, label) draw dashed lines, the target or the median."""
    left, width, top, height = 64, 600, 62, 180
    base, step = top + height, width / max(len(counts), 1)
    peak = max(max(counts, default=0), 1)
    body = [f'<line x1="{left}" y1="{base}" x2="{left + width}" y2="{base}" stroke="{INK}"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="{INK}"/>']
    for share in (0.5, 1.0):
        y = base - height * share
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" stroke="#e5e7eb"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">{peak * share:,.0f}</text>')
    body.append(f'<text x="{left - 6}" y="{base + 4}" text-anchor="end" fill="{INK}">0</text>')
    every = 1 if len(counts) <= 12 else 2
    for i, count in enumerate(counts):
        bar = height * count / peak
        body.append(f'<rect x="{left + step * i + 1:.1f}" y="{base - bar:.1f}" width="{max(step - 2, 1):.1f}" '
                    f'height="{bar:.1f}" fill="{BLUE}"><title>{escape(tick(edges[i]))} to '
                    f'{escape(tick(edges[i + 1]))}: {count:,} {escape(noun)}</title></rect>')
    for i, edge in enumerate(edges):
        if i % every == 0 or i == len(edges) - 1:
            body.append(f'<text x="{left + step * i:.1f}" y="{base + 16}" text-anchor="middle" '
                        f'fill="{INK}">{escape(tick(edge))}</text>')
    for n, (value, label) in enumerate(markers):
        x = _edge_positions(edges, value, left, step)
        anchor, offset = ("end", -4) if x > left + width * 0.7 else ("start", 4)
        body.append(f'<line x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{base}" stroke="{ORANGE}" '
                    f'stroke-dasharray="4 3"><title>{escape(label)}</title></line>'
                    f'<text x="{x + offset:.1f}" y="{top - 12 + 14 * n}" text-anchor="{anchor}" '
                    f'fill="{ORANGE}">{escape(label)}</text>')
    body.append(f'<text x="{left + width / 2:.0f}" y="{base + 36}" text-anchor="middle" fill="{INK}">'
                f'{escape(x_label)}</text>'
                f'<text x="16" y="{top + height / 2:.0f}" transform="rotate(-90 16 {top + height / 2:.0f})" '
                f'text-anchor="middle" fill="{INK}">{escape(noun)}</text>')
    return _document(left + width + 24, base + 48, title, body)


def _diverging(value: float) -> str:
    """Red (-1) through white (0) to blue (1)."""
    value = min(max(value, -1.0), 1.0)
    target = (37, 99, 235) if value >= 0 else (220, 38, 38)
    r, g, b = (round(255 + (c - 255) * abs(value)) for c in target)
    return f"#{r:02x}{g:02x}{b:02x}"


def agreement_svg(workers: Sequence[str], kappa: np.ndarray, shared: np.ndarray, agreed: np.ndarray, *,
                  title: str, measure: str, min_shared: int) -> str:
    """A heatmap of pairwise agreement: one row and one column per worker, each cell the pair's
    ``measure`` (kappa, -1 to 1: red below chance, blue above), grey where they shared fewer than
    ``min_shared`` tasks; the tooltip gives the tasks shared and the share agreed."""
    k = len(workers)
    cell = max(20, min(48, 600 // max(k, 1)))
    left, top = 150, 140
    width, height = left + cell * k + 60, top + cell * k + 70
    body = []
    for j, name in enumerate(workers):
        x, y = left + cell * j + cell / 2, top + cell * j + cell / 2
        body.append(f'<text x="{x:.0f}" y="{top - 6}" transform="rotate(-60 {x:.0f} {top - 6})" fill="{INK}">'
                    f'{escape(str(name)[:16])}</text><text x="{left - 8}" y="{y + 4:.0f}" text-anchor="end" '
                    f'fill="{INK}">{escape(str(name)[:18])}</text>')
    for i in range(k):
        for j in range(k):
            x, y, value = left + cell * j, top + cell * i, kappa[i, j]
            if i == j:
                fill, text, tip = "#374151", "", f"{workers[i]}: {int(shared[i, j]):,} answers"
            elif np.isnan(value):
                fill, text = "#f3f4f6", ""
                tip = f"{workers[i]} and {workers[j]}: {int(shared[i, j]):,} shared tasks, fewer than {min_shared}" \
                    if shared[i, j] < min_shared else f"{workers[i]} and {workers[j]}: {measure} undefined (one " \
                    f"label only), {agreed[i, j]:.0%} agreed on {int(shared[i, j]):,} shared tasks"
            else:
                fill, text = _diverging(float(value)), f"{value:.2f}".replace("0.", ".")
                tip = f"{workers[i]} and {workers[j]}: {measure} {value:.2f}, {agreed[i, j]:.0%} agreed on " \
                      f"{int(shared[i, j]):,} shared tasks"
            colour = "white" if not np.isnan(value) and abs(value) > 0.55 else INK
            body.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" stroke="white">'
                        f'<title>{escape(tip)}</title></rect>')
            if text and cell >= 26:
                body.append(f'<text x="{x + cell / 2:.0f}" y="{y + cell / 2 + 4:.0f}" text-anchor="middle" '
                            f'font-size="10" fill="{colour}" pointer-events="none">{text}</text>')
    legend_y = top + cell * k + 24
    for n, (value, label) in enumerate(((-1.0, "-1 worse than chance"), (0.0, "0 chance"), (1.0, "1 always agree"))):
        body.append(f'<rect x="{left + 180 * n}" y="{legend_y}" width="12" height="12" fill="{_diverging(value)}" '
                    f'stroke="{GREY}"/><text x="{left + 180 * n + 16}" y="{legend_y + 10}" fill="{INK}">'
                    f'{escape(label)}</text>')
    body.append(f'<rect x="{left}" y="{legend_y + 20}" width="12" height="12" fill="#f3f4f6" stroke="{GREY}"/>'
                f'<text x="{left + 16}" y="{legend_y + 30}" fill="{INK}">fewer than {min_shared} shared tasks'
                f'</text>')
    return _document(max(width, left + 540), height, title, body)


def bars_svg(rows: Sequence[tuple[str, float, str, str]], *, title: str, x_label: str) -> str:
    """Horizontal bars, one per row (name, value, colour, tooltip), the value printed beside each."""
    left, width, top, step = 190, 420, 44, 30
    peak = max(max((value for _, value, _, _ in rows), default=0), 1)
    body = []
    for i, (name, value, colour, tip) in enumerate(rows):
        y = top + step * i
        bar = width * value / peak
        body.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" fill="{INK}">{escape(name)}</text>'
                    f'<rect x="{left}" y="{y}" width="{bar:.1f}" height="20" fill="{colour}">'
                    f'<title>{escape(tip)}</title></rect>'
                    f'<text x="{left + bar + 6:.1f}" y="{y + 15}" fill="{INK}">{value:,.0f}</text>')
    base = top + step * len(rows) + 4
    body.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{base}" stroke="{INK}"/>'
                f'<text x="{left + width / 2:.0f}" y="{base + 18}" text-anchor="middle" fill="{INK}">'
                f'{escape(x_label)}</text>')
    return _document(left + width + 90, base + 30, title, body)


RANKING_LIMIT = 60
ITEM_CHARACTERS = 28


def ranking(items: Sequence[object], *, title: str = "Items ranked by Bradley-Terry score",
            limit: int = RANKING_LIMIT) -> str:
    """A dot-and-interval plot of ranked items, best first: one line per item from the low to the
    high end of its interval (when it has one), a dot at its score. ``items`` are objects with the
    attributes item, score, low, high and comparisons (``labelhub.services.rankings.RankedItem``:
    score = log-strength relative to the average item). The best ``limit`` are drawn; long item
    names are cut, their whole text is in the tooltip."""
    rows = [vars(row) for row in items]
    shown = rows[:limit]
    left, right, top, step = 230, 610, 52, 18
    ends = [float(r[key]) for r in shown for key in ("score", "low", "high") if r[key] is not None]
    low_end, high_end = min([*ends, -1.0]), max([*ends, 1.0])
    low_end, high_end = low_end - 0.05 * (high_end - low_end), high_end + 0.05 * (high_end - low_end)
    span = high_end - low_end
    height = top + step * max(len(shown), 1) + 46

    def x(value: float) -> float:
        return left + (right - left) * (value - low_end) / span

    body = []
    for tick in np.arange(np.ceil(low_end), np.floor(high_end) + 1):
        tick_label = f"{tick:+g}" if tick else "0"
        body.append(f'<line x1="{x(tick):.1f}" y1="{top - 8}" x2="{x(tick):.1f}" y2="{height - 40}" '
                    f'stroke="{INK if tick == 0 else "#e5e7eb"}"/>'
                    f'<text x="{x(tick):.1f}" y="{height - 26}" text-anchor="middle" fill="{INK}">{tick_label}</text>')
    body.append(f'<text x="{x(0):.1f}" y="{top - 12}" text-anchor="middle" fill="{MUTED}">average item</text>'
                f'<text x="{(left + right) / 2:.0f}" y="{height - 8}" text-anchor="middle" fill="{INK}">'
                "score: log-strength against the average item (dot) and 95% interval (line)</text>")
    for i, row in enumerate(shown):
        y = top + step * i + step / 2
        name = str(row["item"])
        label = name if len(name) <= ITEM_CHARACTERS else name[:ITEM_CHARACTERS - 1] + "\u2026"
        score = float(row["score"])
        interval = "" if row["low"] is None or row["high"] is None else \
            f" (95% interval {float(row['low']):+.2f} to {float(row['high']):+.2f})"
        tip = f"{i + 1}. {name}: score {score:+.2f}{interval}; beats an average item " \
              f"{1 / (1 + np.exp(-score)):.0%} of the time; {int(row['comparisons']):,} comparisons"
        line = "" if not interval else f'<line x1="{x(float(row["low"])):.1f}" y1="{y:.1f}" ' \
            f'x2="{x(float(row["high"])):.1f}" y2="{y:.1f}" stroke="{BLUE}" stroke-width="2"/>'
        body.append(f'<g><title>{escape(tip)}</title>'
                    f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">{escape(label)}</text>'
                    f'{line}<circle cx="{x(score):.1f}" cy="{y:.1f}" r="4" fill="{BLUE}"/>'
                    f'<text x="{right + 10}" y="{y + 4:.1f}" fill="{MUTED}">{int(row["comparisons"]):,} compared'
                    '</text></g>')
    if not shown:
        body.append(f'<text x="{left}" y="{top + 12}" fill="{MUTED}">No comparisons yet.</text>')
    elif len(rows) > len(shown):
        body.append(f'<text x="12" y="{top - 12}" fill="{MUTED}">the best {len(shown):,} of {len(rows):,} '
                    'items</text>')
    return _document(right + 110, height, title, body)
