"""MTurk's Question XML, shared by the adapters that show or take it: ``formats`` validates requester XML
(HTMLQuestion, ExternalQuestion, QuestionForm, AnswerKey) and writes QuestionFormAnswers; ``rendering``
turns a Question into what a worker sees and a form post into the stored answer. The worker pages
(labelhub.web) and the MTurk API (labelhub.mturk) both use them; neither imports the other. Both draw a
QuestionForm's items with one partial, ``question_xml/_form_items.html`` (``template_blueprint``)."""

from flask import Blueprint


def template_blueprint() -> Blueprint:
    """Templates only (no routes): the QuestionForm partial the worker pages and the MTurk frame share."""
    return Blueprint("question_xml", __name__, template_folder="templates")
