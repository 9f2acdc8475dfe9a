"""The quality dashboard's SVG plots: they parse, name their axes, and say what each mark is."""

import re
from xml.etree import ElementTree

import numpy as np

from quality import plots

SVG = "{http://www.w3.org/2000/svg}"


def titles(svg: str) -> list[str]:
    return [element.text or "" for element in ElementTree.fromstring(svg).iter(f"{SVG}title")]


def test_histogram_has_ticks_a_tooltip_per_bin_and_its_markers():
    svg = plots.histogram_svg([0, 0.5, 1.0], [3, 7], title="HITs by confidence <all>", x_label="confidence",
                              noun="HITs", tick=lambda v: f"{v:.0%}", markers=[(0.9, "target 90%")])

    assert titles(svg)[0] == "HITs by confidence <all>"
    assert "0% to 50%: 3 HITs" in titles(svg) and "50% to 100%: 7 HITs" in titles(svg)
    assert "target 90%" in titles(svg)
    assert ">confidence</text>" in svg and ">100%</text>" in svg and ">7</text>" in svg  # axis, tick, peak


def test_marker_lands_inside_its_uneven_bin():
    svg = plots.histogram_svg([0, 10, 60], [1, 1], title="t", x_label="s", markers=[(35, "median")])
    x = float(re.search(r'<line x1="([\d.]+)"[^>]*stroke-dasharray', svg).group(1))
    assert x == 64 + 300 * 1.5  # halfway through the second of two 300 px bins


def test_agreement_heatmap_says_each_pair_and_greys_out_the_thin_ones():
    kappa = np.array([[1.0, 0.5, np.nan], [0.5, 1.0, np.nan], [np.nan, np.nan, 1.0]])
    shared = np.array([[8, 8, 2], [8, 9, 2], [2, 2, 4]])
    agreed = np.array([[1.0, 0.75, 1.0], [0.75, 1.0, 0.5], [1.0, 0.5, 1.0]])
    svg = plots.agreement_svg(["ann", "bob", "cat"], kappa, shared, agreed, title="Agreement", measure="kappa",
                              min_shared=5)

    tips = titles(svg)
    assert "ann and bob: kappa 0.50, 75% agreed on 8 shared tasks" in tips
    assert "ann and cat: 2 shared tasks, fewer than 5" in tips
    assert "cat: 4 answers" in tips
    assert ">.50</text>" in svg and "fewer than 5 shared tasks" in svg


def test_bars_and_the_empty_state():
    svg = plots.bars_svg([("answers collected", 27, plots.GREEN, "27 answers"), ("fixed", 48, plots.GREY, "48")],
                         title="Answers spent", x_label="answers")
    assert "27 answers" in titles(svg) and ">48</text>" in svg and ">answers</text>" in svg

    empty = plots.empty_svg("Ranking", "Only pairwise batches have a ranking.")
    assert titles(empty) == ["Ranking"] and "Only pairwise batches have a ranking." in empty
