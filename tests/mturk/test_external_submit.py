"""POST /mturk/externalSubmit over real HTTP: a worker's form becomes the assignment's answer, read back
with boto3 as MTurk's QuestionFormAnswers; refusals store nothing."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET

import pytest

from labelhub.models import Marketplace
from labelhub.services import assignments, sweeps
from tests.mturk.conftest import QUESTION_FORM, SCHEMAS, hit_params
from tests.mturk.test_rendering import (
    accept,
    fetch,
    fill_and_submit,
    html_question,
    post_form,
    query_of,
    task_frame,
)

NS = "{" + SCHEMAS + "2005-10-01/QuestionFormAnswers.xsd}"
DECLARATION = '<?xml version="1.0" encoding="ASCII"?>'


def answers_of(xml: str) -> list[tuple[str, str, list[str | None]]]:
    """(QuestionIdentifier, answer element, [values]) in document order, parsed as the AWS samples do."""
    assert xml.startswith(DECLARATION)
    root = ET.fromstring(xml.replace(DECLARATION, ""))
    out = []
    for answer in root.findall(f"{NS}Answer"):
        identifier, *rest = list(answer)
        kinds = {e.tag.replace(NS, "") for e in rest}
        out.append((identifier.text, "/".join(sorted(kinds)), [e.text for e in rest]))
    return out


@pytest.fixture
def working(live_server, factory, connect):
    """A sandbox HIT with one accepted assignment: (boto3 client, worker, AssignmentId)."""
    client = connect(factory.requester())

    def start(question: str | None = None, **overrides):
        params = hit_params(**({"Question": question} if question else {}), **overrides)
        hit_id = client.create_hit(**params)["HIT"]["HITId"]
        worker = factory.worker(marketplace=Marketplace.SANDBOX)
        return client, worker, accept(live_server, worker, hit_id)

    return start


def test_external_submit_stores_every_field_in_form_order_as_question_form_answers(live_server, working):
    client, worker, assignment_id = working()

    reply = post_form(f"{live_server}/mturk/externalSubmit", [
        ("comment", "café <ok> & more"), ("assignmentId", assignment_id), ("tags", "cat"), ("empty", ""),
        ("tags", "pet"), ("workerId", worker.actor.public_id)], headers={"Origin": "null"})
    got = client.get_assignment(AssignmentId=assignment_id)["Assignment"]
    listed = client.list_assignments_for_hit(HITId=got["HITId"])["Assignments"]

    assert reply.status == 200 and "your answer was submitted" in reply.html.text
    # shown inside the task frame, whose parent is LabelHub's own work page
    assert "frame-ancestors 'self'" in reply.headers["Content-Security-Policy"]
    assert answers_of(got["Answer"]) == [("comment", "FreeText", ["café <ok> & more"]),
                                         ("tags", "FreeText", ["cat|pet"]), ("empty", "FreeText", [None]),
                                         ("workerId", "FreeText", [worker.actor.public_id])]
    assert "<FreeText>caf&#233; &lt;ok&gt; &amp; more</FreeText>" in got["Answer"]
    assert "<QuestionIdentifier>empty</QuestionIdentifier><FreeText /></Answer>" in got["Answer"]
    assert (got["AssignmentStatus"], got["WorkerId"]) == ("Submitted", worker.actor.public_id)
    assert [a["Answer"] for a in listed] == [got["Answer"]]


def test_external_submit_accepts_multipart_forms_and_get(live_server, working):
    client, _, multipart_id = working()
    _, _, get_id = working()
    boundary = uuid.uuid4().hex
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                   for name, value in (("assignmentId", multipart_id), ("q1", "yes"))) + f"--{boundary}--\r\n"

    posted = fetch(f"{live_server}/mturk/externalSubmit", data=body.encode(), method="POST",
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    got = fetch(f"{live_server}/mturk/externalSubmit?assignmentId={get_id}&q1=no")

    assert (posted.status, got.status) == (200, 200)
    assert answers_of(client.get_assignment(AssignmentId=multipart_id)["Assignment"]["Answer"]) == \
        [("q1", "FreeText", ["yes"])]
    assert answers_of(client.get_assignment(AssignmentId=get_id)["Assignment"]["Answer"]) == \
        [("q1", "FreeText", ["no"])]


def test_html_question_form_submitted_from_the_frame_reaches_the_requester(live_server, working):
    client, _, assignment_id = working()

    iframe, frame = task_frame(live_server, assignment_id)
    reply = fill_and_submit(iframe["src"], frame, {"comment": "a red bicycle"})

    assert reply.status == 200
    assert answers_of(client.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]) == \
        [("comment", "FreeText", ["a red bicycle"])]


def test_question_form_answers_are_selection_identifiers_in_question_order(live_server, working):
    checkbox_form = QUESTION_FORM.replace("<SelectionAnswer>", "<SelectionAnswer><StyleSuggestion>checkbox"
                                                                "</StyleSuggestion>")
    client, _, picked = working(checkbox_form)
    _, _, skipped = working(checkbox_form)

    iframe, frame = task_frame(live_server, picked)
    fill_and_submit(iframe["src"], frame, {"why": "it is bright", "colour": ["red", "blue"]})
    post_form(f"{live_server}/mturk/externalSubmit",  # as a list left at its empty "Choose…" sends it
              [("assignmentId", skipped), ("why", "no idea"), ("colour", "")])

    assert [i["type"] for i in frame.html.all("input", name="colour")] == ["checkbox", "checkbox"]
    assert answers_of(client.get_assignment(AssignmentId=picked)["Assignment"]["Answer"]) == [
        ("colour", "SelectionIdentifier", ["red", "blue"]), ("why", "FreeText", ["it is bright"])]
    assert answers_of(client.get_assignment(AssignmentId=skipped)["Assignment"]["Answer"]) == [
        ("colour", "", []), ("why", "FreeText", ["no idea"])]


def test_crowd_form_task_answers_read_back_as_mturk_clients_parse_them(live_server, working):
    client, _, assignment_id = working(html_question(
        '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'
        '<crowd-form><textarea name="weather"></textarea></crowd-form>', height=0))

    post_form(f"{live_server}/mturk/externalSubmit",
              [("assignmentId", assignment_id), ("taskAnswers", json.dumps([{"weather": "sunny"}]))])
    answer = client.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]
    (identifier, kind, (text,)), = answers_of(answer)

    assert (identifier, kind) == ("taskAnswers", "FreeText")
    assert json.loads(text)[0] == {"weather": "sunny"}


def test_external_question_page_posts_to_turk_submit_to(live_server, working):
    client, worker, assignment_id = working(
        f'<ExternalQuestion xmlns="{SCHEMAS}2006-07-14/ExternalQuestion.xsd"><ExternalURL>'
        "https://study.example/ad?mode=live</ExternalURL><FrameHeight>0</FrameHeight></ExternalQuestion>")

    iframe = fetch(f"{live_server}/mturk/work/{assignment_id}").html.one("iframe")
    params = dict(query_of(iframe["src"]))  # what the requester's page reads from its own URL
    reply = post_form(params["turkSubmitTo"] + "/mturk/externalSubmit",
                      [("assignmentId", params["assignmentId"]), ("hitId", params["hitId"]),
                       ("workerId", params["workerId"]), ("score", "7")],
                      headers={"Origin": "https://study.example"})

    assert reply.status == 200
    assert answers_of(client.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]) == [
        ("hitId", "FreeText", [params["hitId"]]), ("workerId", "FreeText", [worker.actor.public_id]),
        ("score", "FreeText", ["7"])]


def still_open(runtime, worker, assignment_id: str) -> bool:
    found = assignments.get_assignment(runtime, worker.actor, assignment_id)
    return found.status.value == "Accepted" and found.answer is None


@pytest.mark.parametrize(("fields", "status", "text"), [
    ([("comment", "x")], 400, "assignmentId: is required"),
    ([("assignmentId", "ASSIGNMENT_ID_NOT_AVAILABLE"), ("comment", "x")], 400, "this is a preview"),
    ([("assignmentId", "3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), ("comment", "x")], 404, "does not exist"),
    ([("assignmentId", "<script>"), ("comment", "x")], 404, "does not exist"),
    ([("assignmentId", "{mine}")], 400, "at least one field besides assignmentId"),
    ([("assignmentId", "{mine}"), ("comment", "a\x00b")], 400, "comment: must not contain NUL"),
    ([("assignmentId", "{mine}"), ("x" * 256, "long name")], 400, "field names must be 1 to 255 characters"),
    ([("assignmentId", "{mine}")] + [(f"f{i}", "v") for i in range(1001)], 400, "has more than 1000 fields"),
    ([("assignmentId", "{mine}"), ("essay", "x" * 1_100_000)], 413, "Request Entity Too Large"),
])
def test_external_submit_refusals_are_html_pages_and_store_nothing(live_server, working, runtime, fields,
                                                                   status, text):
    _, worker, assignment_id = working()
    fields = [(name, value.replace("{mine}", assignment_id)) for name, value in fields]

    reply = post_form(f"{live_server}/mturk/externalSubmit", fields)

    assert reply.status == status
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'none'" not in reply.headers["Content-Security-Policy"]
    assert text in reply.html.text
    assert still_open(runtime, worker, assignment_id)


def test_external_submit_refuses_file_uploads(live_server, working, runtime):
    _, worker, assignment_id = working()
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="assignmentId"\r\n\r\n{assignment_id}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.png"\r\n'
            f"Content-Type: image/png\r\n\r\nPNGDATA\r\n--{boundary}--\r\n")

    reply = fetch(f"{live_server}/mturk/externalSubmit", data=body.encode(), method="POST",
                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})

    assert (reply.status, "photo: file uploads are not accepted" in reply.html.text) == (400, True)
    assert still_open(runtime, worker, assignment_id)


def test_external_submit_twice_keeps_the_first_answer(live_server, working):
    client, _, assignment_id = working()
    post_form(f"{live_server}/mturk/externalSubmit", [("assignmentId", assignment_id), ("comment", "first")])

    again = post_form(f"{live_server}/mturk/externalSubmit",
                      [("assignmentId", assignment_id), ("comment", "second")])

    assert again.status == 409
    assert "This operation can be called with a status of: Accepted; the assignment is Submitted" \
        in again.html.text
    assert answers_of(client.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]) == \
        [("comment", "FreeText", ["first"])]


def test_external_submit_after_the_deadline_or_a_return_is_refused(live_server, working, runtime, clock):
    _, late_worker, late = working()
    _, quitter, returned = working()
    assignments.return_assignment(runtime, quitter.actor, returned)
    clock.advance(seconds=601)  # AssignmentDurationInSeconds is 600

    too_late = post_form(f"{live_server}/mturk/externalSubmit", [("assignmentId", late), ("comment", "x")])
    gone = post_form(f"{live_server}/mturk/externalSubmit", [("assignmentId", returned), ("comment", "x")])

    assert too_late.status == 409
    assert "The time allotted for this assignment has passed" in too_late.html.text
    assert (gone.status, "the assignment is Returned" in gone.html.text) == (409, True)
    assert still_open(runtime, late_worker, late)


def test_external_submit_with_no_auto_approval_delay_is_approvable_then_auto_approved_by_the_sweep(
        live_server, working, runtime):
    client, _, assignment_id = working(AutoApprovalDelayInSeconds=0)
    second_client, _, unreviewed_id = working(AutoApprovalDelayInSeconds=0)

    for submitted in (assignment_id, unreviewed_id):
        post_form(f"{live_server}/mturk/externalSubmit", [("assignmentId", submitted), ("done", "yes")])
    got = client.get_assignment(AssignmentId=assignment_id)["Assignment"]
    client.approve_assignment(AssignmentId=assignment_id)  # what Dallinger does on AssignmentSubmitted
    swept = sweeps.auto_approve_due(runtime)
    auto = second_client.get_assignment(AssignmentId=unreviewed_id)["Assignment"]

    assert (got["AssignmentStatus"], got["AutoApprovalTime"]) == ("Submitted", got["SubmitTime"])
    assert answers_of(got["Answer"]) == [("done", "FreeText", ["yes"])]
    assert swept == 1 and auto["AssignmentStatus"] == "Approved"
