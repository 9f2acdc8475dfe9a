"""HITLayoutId + HITLayoutParameters: LabelHub's built-in layouts in place of MTurk's saved ones.

On MTurk a layout is an HTML template a requester saved in the requester website, with ``${name}``
placeholders that HITLayoutParameters fill in. LabelHub has no such website, so it offers a small fixed
registry of layouts with ids in MTurk's 30-character style. CreateHIT turns a layout and its parameters
into an ordinary HTMLQuestion (the values HTML-escaped), which is what GetHIT then shows as Question.
Every placeholder is a required parameter; unknown or repeated parameters are refused.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from labelhub.errors import InvalidInputError
from labelhub.mturk.params import Params
from labelhub.question_xml.questions import HTML_QUESTION

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Layout:
    layout_id: str
    name: str
    description: str
    template_file: str  # in labelhub/mturk/layout_templates/
    parameters: dict[str, str]  # name -> what to give
    frame_height: int = 600

    @property
    def template(self) -> str:
        return _read(self.template_file)


@functools.cache
def _read(template_file: str) -> str:
    return (resources.files("labelhub.mturk") / "layout_templates" / template_file).read_text("utf-8")


def _registry(*layouts: Layout) -> dict[str, Layout]:
    found: dict[str, Layout] = {}
    for layout in layouts:
        if not re.fullmatch(r"[A-Z0-9]{30}", layout.layout_id) or layout.layout_id in found:
            raise ValueError(f"layout id {layout.layout_id!r} is malformed or used twice")
        found[layout.layout_id] = layout
    return found


LAYOUTS = _registry(
    Layout("LABELHUBIMAGECLASSIFICATION001", "Image classification",
           "Show one image and ask for one category; the answer field is 'category'.",
           "image_classification.html",
           {"image_url": "the image's http(s) URL", "question": "the instruction shown above the image",
            "categories": "the choices, separated by '|' (cat|dog|bird)"}),
    Layout("LABELHUBTEXTCLASSIFICATION0001", "Text classification",
           "Show one text and ask for one category; the answer field is 'category'.",
           "text_classification.html",
           {"text": "the text to classify", "question": "the instruction shown above the text",
            "categories": "the choices, separated by '|' (positive|negative|neutral)"}),
)


def render(layout_id: str, values: Mapping[str, str]) -> str:
    """The HTMLQuestion made from a layout and its parameter values (each HTML-escaped)."""
    layout = LAYOUTS.get(layout_id)
    if layout is None:
        known = ", ".join(f"{lay.layout_id} ({lay.name})" for lay in LAYOUTS.values())
        raise InvalidInputError({"HITLayoutId": f"{layout_id!r} is not a LabelHub layout; the layouts are "
                                                f"{known}"})
    unknown = sorted(set(values) - set(layout.parameters))
    if unknown:
        raise InvalidInputError({"HITLayoutParameters": f"layout {layout_id} has no parameter named "
                                                        f"{unknown[0]!r}"})
    missing = [name for name in layout.parameters if name not in values]
    if missing:
        raise InvalidInputError({"HITLayoutParameters": f"layout {layout_id} needs a parameter named "
                                                        f"{missing[0]!r} ({layout.parameters[missing[0]]})"})
    content = PLACEHOLDER.sub(lambda m: html.escape(values[m.group(1)], quote=True), layout.template)
    # Escaping turns '>' into '&gt;', so no value can close the CDATA section early.
    return (f'<HTMLQuestion xmlns="{HTML_QUESTION}"><HTMLContent><![CDATA[{content}]]></HTMLContent>'
            f"<FrameHeight>{layout.frame_height}</FrameHeight></HTMLQuestion>")


def _values(p: Params) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in p.structures("HITLayoutParameters"):
        name = item.required_string("Name")
        if name in values:
            raise item.refuse("Name", f"{name!r} is given twice")
        values[name] = item.required_string("Value", allow_empty=True)
    return values


def question_from(p: Params) -> str:
    """CreateHIT's Question: as given, or made from HITLayoutId and HITLayoutParameters (never both)."""
    layout_id = p.optional_entity_id("HITLayoutId")
    question = p.string("Question", allow_empty=True)
    if layout_id is None:
        if p.present("HITLayoutParameters"):
            raise p.refuse("HITLayoutParameters", "needs a HITLayoutId")
        return question or ""
    if question:
        raise p.refuse("HITLayoutId", "cannot be combined with Question: give one or the other")
    return render(layout_id, _values(p))
