"""Task types (image, text, survey annotators): configuration, worker templates and answer validation.

Pure Python: no Flask, no SQLAlchemy, never imports ``labelhub``. ``REGISTRY`` maps each kind to its
annotator (see ``annotators.base.Annotator`` for the contract).

How a page renders one (the worker pages do this):

- Jinja finds ``annotator.template`` (``annotators/<kind>.html``) under ``TEMPLATE_FOLDER``; the partial
  includes ``annotators/_macros.html`` from the same folder. Its context: ``config`` =
  ``annotator.public_config(config)`` (never the stored config: a survey's holds expected answers),
  ``item`` = the HIT's data row, ``assignment_id`` = the assignment's public id or None in preview.
  Autoescaping must be on. The partial goes inside ``<form id="task-form">``, which also holds
  ``<input type="hidden" name="signals">`` and the submit buttons; Enter submits with the button
  marked ``data-default-submit`` (if any). An incomplete answer cancels the submit event before the
  page's own handlers run (the scripts listen in the capture phase on the document).
- The batch flow may swap a new partial into the form in place: the scripts mount it on their own
  and restart the signals (or call the ``mount(root)`` / ``reset()`` the modules export).
- Everything under ``STATIC_FOLDER/annotators/`` is served from one URL folder: the page links
  ``annotators.css`` and loads ``signals.js`` and ``annotator.script`` with ``<script type="module">``
  (they import ``common.js`` beside them). Fields named ``_ann_*`` are page state, not answers: the
  answer is the JSON in the hidden ``answer`` input.
- On submit the service calls ``parse_answer(config, answer, item=data_row)`` and
  ``validate_signals(signals)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from annotators.base import Annotator, AnswerError, AnswerShape, BaseAnnotator
from annotators.bounding_boxes import BoundingBoxes
from annotators.free_text import FreeText
from annotators.image_classification import ImageClassification
from annotators.pairwise import Pairwise
from annotators.signals import SIGNAL_FIELDS, validate_signals
from annotators.survey import Survey, attention_passed, attention_results
from annotators.text_classification import TextClassification
from annotators.text_spans import TextSpans

__all__ = [
    "REGISTRY", "SIGNAL_FIELDS", "STATIC_FOLDER", "TEMPLATE_FOLDER", "AnswerError", "AnswerShape",
    "Annotator", "BaseAnnotator", "attention_passed", "attention_results", "build_registry", "get", "kinds",
    "validate_signals",
]

TEMPLATE_FOLDER = Path(__file__).parent / "templates"
STATIC_FOLDER = Path(__file__).parent / "static"


def build_registry(annotators: Iterable[Annotator]) -> dict[str, Annotator]:
    """Index annotators by kind; two annotators claiming one kind is a programming error."""
    registry: dict[str, Annotator] = {}
    for annotator in annotators:
        if annotator.kind in registry:
            raise ValueError(f"two annotators claim the kind {annotator.kind!r}: "
                             f"{type(registry[annotator.kind]).__name__} and {type(annotator).__name__}")
        registry[annotator.kind] = annotator
    return registry


REGISTRY: dict[str, Annotator] = build_registry([
    ImageClassification(), BoundingBoxes(), TextClassification(), TextSpans(), FreeText(), Survey(),
    Pairwise(),
])


def get(kind: str) -> Annotator:
    """The annotator for ``kind``; KeyError naming the known kinds if there is none."""
    try:
        return REGISTRY[kind]
    except KeyError:
        raise KeyError(f"unknown annotator kind {kind!r}; known kinds: {', '.join(kinds())}") from None


def kinds() -> list[str]:
    return sorted(REGISTRY)
