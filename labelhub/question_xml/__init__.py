"""MTurk's Question XML, shared by the adapters that show or take it: ``formats`` validates requester XML
(HTMLQuestion, ExternalQuestion, QuestionForm, AnswerKey) and writes QuestionFormAnswers; ``rendering``
turns a Question into what a worker sees and a form post into the stored answer. The worker pages
(labelhub.web) and the MTurk API (labelhub.mturk) both use them; neither imports the other."""
