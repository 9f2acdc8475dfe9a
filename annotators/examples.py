"""Example material for the conformance suite, the template tests and the demo: small offline images
(SVG data URLs, so nothing is fetched) and short texts."""

from __future__ import annotations

from urllib.parse import quote

EXAMPLE_TEXT = ("Ada Lovelace met Charles Babbage in London in 1833. "
                "Their correspondence about the Analytical Engine lasted for years.")
EXAMPLE_SUMMARY_SOURCE = ("The city council voted on Tuesday to extend the night bus network to the northern "
                          "suburbs. The new routes start in March and are paid for by a parking levy.")


def svg_image_url(width: int, height: int, shape: str = "circle", *, caption: str = "") -> str:
    """A ``data:`` URL of a ``width`` x ``height`` SVG with one shape (circle/square) and a caption."""
    cx, cy, r = width // 2, height // 2, min(width, height) // 4
    figure = (f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="#2a7ab8"/>' if shape == "circle"
              else f'<rect x="{cx - r}" y="{cy - r}" width="{2 * r}" height="{2 * r}" fill="#c0552b"/>')
    text = (f'<text x="{width // 2}" y="{height - 12}" font-family="sans-serif" font-size="20" '
            f'text-anchor="middle">{caption}</text>') if caption else ""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="#f4f1ea"/>'
           f"{figure}{text}</svg>")
    return "data:image/svg+xml," + quote(svg)
