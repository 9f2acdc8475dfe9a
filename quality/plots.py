"""Plots as standalone SVG documents (no plotting library, no script): worker accuracy with its
interval, a confusion matrix, a batch's progress with the spread of its consensus confidence, and
its answers over time.

Every text is escaped; colours follow one palette, and each plot names its axes, so it reads on
its own in a browser, a notebook (``IPython.display.SVG``) or an e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence
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
