"""How a HIT's task is shown on the preview and work pages, and the security policy of those pages.

Three kinds of HIT: a batch made with one of LabelHub's annotators (its Jinja partial and ES module
render inside the page's form), an MTurk question (HTMLQuestion, QuestionForm, ExternalQuestion: shown
in a sandboxed frame that posts to /mturk/externalSubmit), and any other HIT (its question in a frame
that runs no script, answered with a JSON object).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from flask import Response, render_template, request, url_for

import annotators
from labelhub.errors import InvalidStateError
from labelhub.question_xml import rendering
from labelhub.services import media
from labelhub.services.worker_pages import TaskView
from labelhub.web.security import WORKER_CSP


@dataclass(frozen=True)
class Task:
    """What the task page shows: an annotator with its public config, an MTurk question's frame, or a
    plain question."""

    kind: Literal["annotator", "mturk", "plain"]
    annotator: Any = None
    config: dict[str, Any] | None = None
    question: rendering.Question | None = None
    frame_url: str = ""
    sandbox: str = ""


def image_url(value: object) -> str | None:
    """Where a data row's image is: a URL as given, a stored upload, or a file of the images folder."""
    if not isinstance(value, str) or not value or value.startswith("//"):
        return None
    if value.startswith(("https://", "http://", "/", "data:image/")):
        return value
    if media.STORED_NAME.match(value):
        return url_for("images.media_file", name=value)
    return url_for("images.image", name=value)


def asset_url(path: str) -> str:
    """The URL of an annotator's script or stylesheet, named as "annotators/<file>"."""
    return url_for("annotator_assets.asset", filename=path.removeprefix("annotators/"))


def _annotator(view: TaskView) -> Task | None:
    annotator = annotators.REGISTRY.get(view.template_kind or "")
    if annotator is None:
        return None
    try:
        config = annotator.public_config(annotator.parse_config(view.template_config or {}))
    except annotators.AnswerError as exc:
        raise InvalidStateError(f"This HIT cannot be shown: its {annotator.title} settings are invalid "
                                f"({exc}). The requester has to fix the batch.", entity="hit") from None
    return Task("annotator", annotator=annotator, config=config)


def _frame_url(question: rendering.Question, view: TaskView) -> str:
    assignment = view.assignment
    if question.kind == "external":
        base = question.url
    elif assignment is not None:
        base = url_for("mturk.assignment_frame", assignment_id=assignment.public_id, _external=True)
    else:
        base = url_for("worker.preview_frame", hit_id=view.hit.public_id, _external=True)
    return rendering.add_query(base, rendering.frame_query(
        hit_id=view.hit.public_id, assignment_id=assignment.public_id if assignment else None,
        worker_id=assignment.worker.public_id if assignment else None,
        submit_to=request.url_root.rstrip("/")))


def present(view: TaskView) -> Task:
    """Which of the three ways shows this HIT. Raises InvalidStateError for a broken annotator config."""
    task = _annotator(view)
    if task is not None:
        return task
    question = rendering.read_question(view.hit.question)
    if question is not None:
        return Task("mturk", question=question, frame_url=_frame_url(question, view),
                    sandbox=rendering.iframe_sandbox(question, rendering.origin(request.host_url)))
    return Task("plain")


def page_policy(task: Task) -> str:
    """The worker pages' policy, plus an ExternalQuestion's own origin among the frame sources."""
    if task.question is None or task.question.kind != "external":
        return WORKER_CSP
    return WORKER_CSP.replace("frame-src 'self'", f"frame-src 'self' {rendering.origin(task.question.url)}")


def prefetch_urls(task: Task, item: Mapping[str, Any] | None) -> list[str]:
    """The next HIT's images (the fields its annotator displays), for <link rel="prefetch">."""
    if item is None:
        return []
    fields: Iterable[str] = item.keys()
    if task.kind == "annotator":
        fields = task.annotator.item_fields(task.config)
    found = (image_url(item.get(name)) for name in fields if isinstance(item.get(name), str))
    return [url for url in found if url and not url.startswith("data:") and _looks_like_image(url)]


def _looks_like_image(url: str) -> bool:
    return urlsplit(url).path.lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif"))


def preview_frame(view: TaskView) -> Response:
    """An MTurk question's preview frame (its work frame is /mturk/frame/<assignment>): requester HTML
    with MTurk's URLs pointed at LabelHub, a QuestionForm as a disabled form, or a redirect to an
    ExternalQuestion's page. The CSP sandbox puts the frame in an opaque origin."""
    question = rendering.read_question(view.hit.question)
    if question is None:
        raise InvalidStateError("This HIT has no MTurk question to show in a frame", entity="hit")
    if question.kind == "external":
        return Response(status=303, headers={"Location": _frame_url(question, view)})
    if question.kind == "html":
        body = rendering.rewrite_html(
            question.html, submit_url=url_for("mturk.external_submit", _external=True),
            external_hit_js=url_for("mturk.static", filename="externalHIT_v1.js", _external=True),
            crowd_elements_js=url_for("mturk.static", filename="crowd-html-elements.js", _external=True))
    else:
        hit = {"title": view.hit.hit_type.title}
        body = render_template("mturk/question_form.html", question=question, hit=hit,
                               assignment_id=rendering.PREVIEW_ASSIGNMENT_ID, preview=True)
    return Response(body, 200, mimetype="text/html", headers={
        "Content-Security-Policy": rendering.FRAME_CSP, "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store"})
