"""The SVG plots: well-formed documents, escaped text, the data drawn where it belongs."""

import re
import xml.etree.ElementTree as ET

import pytest

from quality import plots

SVG = "{http://www.w3.org/2000/svg}"


def test_accuracy_plot_orders_workers_and_marks_those_acted_on():
    rows = [plots.AccuracyRow("low<script>", 0.3, 0.2, 0.4, 50, acted_on=True),
            plots.AccuracyRow("high", 0.9, 0.85, 0.95, 80)]
    svg = plots.accuracy_svg(rows, title="Accuracy & more", threshold=0.6)
    root = ET.fromstring(svg)
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert labels == ["high", "low<script>"]  # most accurate first; the name is escaped in the markup
    assert "<script>" not in svg
    dots = [c.get("fill") for c in root.iter(f"{SVG}circle")]
    assert dots == [plots.BLUE, plots.RED]


def test_confusion_plot_shows_each_cell_and_refuses_a_wrong_shape():
    svg = plots.confusion_svg(["a", "b"], [[0.9, 0.2], [0.1, 0.8]], title="Confusion")
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert [t for t in texts if t and t.endswith("%")] == ["90%", "20%", "10%", "80%"]
    with pytest.raises(ValueError, match="expected 2 x 2"):
        plots.confusion_svg(["a", "b"], [[1.0]], title="bad")


def test_progress_plot_counts_states_and_bins_confidences():
    svg = plots.progress_svg([("approved", 3, plots.GREEN), ("open", 1, plots.GREY)], [0.95, 0.97, 0.55],
                             title="Progress", target=0.9)
    root = ET.fromstring(svg)
    tips = [t.text for t in root.iter(f"{SVG}title")]
    assert "approved: 3" in tips and "90%-100%: 2" in tips and "50%-60%: 1" in tips
    assert "target 90%" in svg


def test_a_long_title_widens_the_plot_instead_of_being_cut():
    title = "Confusion of the crowd on batch 'Tone of customer e-mails, December'"
    narrow = plots.confusion_svg(["a", "b"], [[1, 0], [0, 1]], title="Crowd")
    wide = plots.confusion_svg(["a", "b"], [[1, 0], [0, 1]], title=title)

    def width(svg: str) -> float:
        return float(re.search(r'<svg[^>]* width="([0-9.]+)"', svg)[1])

    assert width(narrow) < width(wide) and width(wide) >= 8 * len(title)
