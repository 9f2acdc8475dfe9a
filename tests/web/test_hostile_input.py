"""Hostile requests to the pages found by fuzzing: a clear refusal naming what is wrong, never a 500.

A NUL in an image path, and a task page's answer field holding JSON nested thousands of levels deep, an
integer of thousands of digits or a lone surrogate.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from labelhub.models import Assignment, AssignmentStatus
from tests.web.conftest import text_of

# The answer field is read by labelhub.web.forms.json_object, which this change could not edit.
# a NUL in an image path --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/images/%00.png", "/images/a%00b.png", "/images/sub/%00/x.png",
                                  "/media/%00.png"])
def test_nul_in_an_image_path_is_404(client, path):
    assert client.get(path).status_code == 404


# the worker page's answer field ------------------------------------------------------------------------

@pytest.fixture
def assignment_id(pages, factory, make_worker):
    """A plain HIT (no annotator: any JSON object is an answer) accepted by a signed-in worker."""
    hit = factory.hit(factory.requester().actor)
    pages.sign_in(make_worker())
    response = pages.post(f"/hits/{hit.public_id}/accept", token_from="/hits")
    assert response.status_code == 303, text_of(response)
    return response.headers["Location"].rpartition("/")[2]


def status_of(runtime, assignment_id) -> AssignmentStatus:
    with runtime.sessions() as db:
        return db.scalars(select(Assignment.status).where(Assignment.public_id == assignment_id)).one()


@pytest.mark.parametrize(("answer", "problem"), [
    ('{"label": ' + "[" * 5000 + "]" * 5000 + "}", "nested"),
    ('{"label": ' + "9" * 5000 + "}", "digits"),
    (json.dumps({"label": "cat \ud800"}), "surrogate"),
])
def test_unreadable_answer_is_refused_naming_the_answer(pages, runtime, assignment_id, answer, problem):
    response = pages.post(f"/assignments/{assignment_id}/submit", {"answer": answer}, token_from="/hits")

    html = text_of(response)
    assert response.status_code == 422, html[:500]
    assert re.search(rf"<li><strong>answer[^<]*</strong> [^<]*{problem}", html), html
    assert status_of(runtime, assignment_id) is AssignmentStatus.ACCEPTED
