"""The call sequences psiTurk, Mephisto and Dallinger make (mturk_api.md §6), replayed with boto3 against a
live LabelHub: the same operations, parameters, order and error handling as those tools' MTurk modules,
with workers doing the work through the worker pages and /mturk/externalSubmit in between.

Each *Calls class mirrors one tool's MTurk module method by method (its source is named in the class
docstring); only the endpoint differs, set the way the requester guide at /mturk/ says.
"""

from __future__ import annotations

import datetime
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labelhub.models import Marketplace
from labelhub.services import sweeps
from tests.mturk.test_rendering import accept, fetch, fill_and_submit, post_form, query_of, task_frame

SCHEMAS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
EXTERNAL = f'<ExternalQuestion xmlns="{SCHEMAS}2006-07-14/ExternalQuestion.xsd">'
LOCALE = "00000000000000000071"
PERCENT_APPROVED = "000000000000000000L0"
NUMBER_APPROVED = "00000000000000000040"
MONTH = 60 * 60 * 24 * 31


def do_external_task(base: str, worker, hit_id: str, marketplace: str,
                     fields: list[tuple[str, str]]) -> tuple[str, str]:
    """A worker accepts and does an ExternalQuestion task: the requester's page reads its four
    parameters from its URL and posts the answer to turkSubmitTo + /mturk/externalSubmit.
    Returns (AssignmentId, the framed page's URL)."""
    assignment_id = accept(base, worker, hit_id, marketplace)
    iframe = fetch(f"{base}/mturk/work/{assignment_id}").html.one("iframe")
    params = dict(query_of(iframe["src"]))
    reply = post_form(params["turkSubmitTo"] + "/mturk/externalSubmit",
                      [("assignmentId", params["assignmentId"]), *fields])
    assert reply.status == 200, reply.body
    return assignment_id, iframe["src"]


def answer_fields(xml: str) -> dict[str, str | None]:
    ns = "{" + SCHEMAS + "2005-10-01/QuestionFormAnswers.xsd}"
    root = ET.fromstring(xml.replace('<?xml version="1.0" encoding="ASCII"?>', ""))
    return {a.findtext(f"{ns}QuestionIdentifier") or "": a.findtext(f"{ns}FreeText")
            for a in root.findall(f"{ns}Answer")}


# ---- psiTurk ------------------------------------------------------------------------------------------

class PsiTurkCalls:
    """psiturk/amt_services.py (psiTurk 3.3.1), MTurkServices: each method's boto3 calls as psiTurk
    makes them. psiTurk's amt_service_response wrapper turns any exception into a failed response."""

    def __init__(self, base: str, mode: str, key: str, secret: str) -> None:
        # The one change the guide asks for: LabelHub's endpoints instead of the two AWS URLs.
        endpoint = f"{base}/mturk/{'sandbox' if mode == 'sandbox' else 'production'}"
        session = boto3.session.Session(region_name="us-east-1", aws_access_key_id=key,
                                        aws_secret_access_key=secret)
        self.mtc = session.client("mturk", endpoint_url=endpoint)

    def verify_aws_login(self) -> bool:
        try:
            self.mtc.get_account_balance()
            return True
        except Exception:
            return False

    def create_hit(self, ad_location: str, max_assignments: int) -> dict[str, Any]:
        quals = [
            {"QualificationTypeId": PERCENT_APPROVED, "Comparator": "GreaterThanOrEqualTo",
             "IntegerValues": [95]},
            {"QualificationTypeId": NUMBER_APPROVED, "Comparator": "GreaterThanOrEqualTo",
             "IntegerValues": [0]},
            {"QualificationTypeId": LOCALE, "Comparator": "EqualTo", "LocaleValues": [{"Country": "US"}]}]
        hit_type = self.mtc.create_hit_type(
            Title="Memory study", Description="A 10 minute memory experiment.", Reward=str(1.0),
            AssignmentDurationInSeconds=int(datetime.timedelta(hours=1).total_seconds()),
            Keywords="psychology, memory", QualificationRequirements=quals)
        question = f"{EXTERNAL}<ExternalURL>{ad_location}</ExternalURL><FrameHeight>600</FrameHeight>" \
                   "</ExternalQuestion>"
        return self.mtc.create_hit_with_hit_type(
            HITTypeId=hit_type["HITTypeId"], Question=question, MaxAssignments=max_assignments,
            LifetimeInSeconds=int(datetime.timedelta(hours=24).total_seconds()))["HIT"]

    @staticmethod
    def _hit(hit: dict[str, Any]) -> dict[str, Any]:
        return {"hitid": hit["HITId"], "status": hit["HITStatus"], "max_assignments": hit["MaxAssignments"],
                "expiration": hit["Expiration"],
                "is_expired": datetime.datetime.now(hit["Expiration"].tzinfo) >= hit["Expiration"],
                "number_submissions_needing_action": hit["MaxAssignments"]
                - hit["NumberOfAssignmentsCompleted"] - hit["NumberOfAssignmentsPending"]
                - hit["NumberOfAssignmentsAvailable"]}

    def get_all_hits(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self.mtc.get_paginator("list_hits").paginate():
            found.extend(page["HITs"])
        return [self._hit(h) for h in found]

    def get_assignments(self, hit_ids: list[str], assignment_status: str | None = None) -> list[dict]:
        found: list[dict[str, Any]] = []
        for hit_id in hit_ids:
            args: dict[str, Any] = {"HITId": hit_id}
            if assignment_status:
                args["AssignmentStatuses"] = [assignment_status]
            for page in self.mtc.get_paginator("list_assignments_for_hit").paginate(**args):
                found.extend(page["Assignments"])
        return [{"assignmentId": a["AssignmentId"], "workerId": a["WorkerId"],
                 "status": a["AssignmentStatus"], "submit_time": a["SubmitTime"],
                 "accept_time": a["AcceptTime"]} for a in found]

    def approve_assignment(self, assignment_id: str, override_rejection: bool = False) -> None:
        self.mtc.approve_assignment(AssignmentId=assignment_id, OverrideRejection=override_rejection)

    def reject_assignment(self, assignment_id: str) -> None:
        self.mtc.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="")

    def unreject_assignment(self, assignment_id: str) -> None:
        self.approve_assignment(assignment_id, override_rejection=True)

    def bonus_assignment(self, assignment_id: str, worker_id: str | None, amount: float, reason: str) -> None:
        if not worker_id:
            worker_id = self.mtc.get_assignment(AssignmentId=assignment_id)["Assignment"]["WorkerId"]
        self.mtc.send_bonus(WorkerId=worker_id, AssignmentId=assignment_id, BonusAmount=str(amount),
                            Reason=reason)

    def extend_hit(self, hitid: str, assignments_increment: int, expiration_increment: int) -> None:
        self.mtc.create_additional_assignments_for_hit(HITId=hitid,
                                                       NumberOfAdditionalAssignments=assignments_increment)
        expiration = self.mtc.get_hit(HITId=hitid)["HIT"]["Expiration"] + \
            datetime.timedelta(minutes=expiration_increment)
        self.mtc.update_expiration_for_hit(HITId=hitid, ExpireAt=expiration)

    def expire_hit(self, hitid: str) -> None:
        past = datetime.datetime.now(datetime.UTC) + datetime.timedelta(-30)
        self.mtc.update_expiration_for_hit(HITId=hitid, ExpireAt=past)

    def delete_hit(self, hitid: str) -> None:
        self.mtc.delete_hit(HITId=hitid)

    def get_hit(self, hitid: str) -> dict[str, Any]:
        return self._hit(self.mtc.get_hit(HITId=hitid)["HIT"])

    def list_qualification_types(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self.mtc.get_paginator("list_qualification_types").paginate(
                MustBeRequestable=False, MustBeOwnedByCaller=True):
            found.extend(page["QualificationTypes"])
        return found

    def check_balance(self) -> str:
        return self.mtc.get_account_balance()["AvailableBalance"]


def test_psiturk_session_runs_unchanged_in_production(live_server, factory):
    keys = factory.requester(deposit="100.00").credentials
    psiturk = PsiTurkCalls(live_server, "live", keys.access_key_id, keys.secret_access_key)
    first, second = factory.worker(), factory.worker()

    logged_in = psiturk.verify_aws_login()
    bad_login = PsiTurkCalls(live_server, "live", keys.access_key_id, "not-the-secret").verify_aws_login()
    hit = psiturk.create_hit("https://psiturk.example/ad", max_assignments=2)
    pages = [do_external_task(live_server, w, hit["HITId"], "production", [("hitId", hit["HITId"])])[1]
             for w in (first, second)]  # psiTurk's submit page, changed to post to turkSubmitTo
    listed = [h for h in psiturk.get_all_hits() if h["hitid"] == hit["HITId"]]
    work = {a["workerId"]: a for a in psiturk.get_assignments([hit["HITId"]])}
    good, bad = work[first.actor.public_id]["assignmentId"], work[second.actor.public_id]["assignmentId"]
    psiturk.approve_assignment(good)
    psiturk.reject_assignment(bad)
    rejected = psiturk.get_assignments([hit["HITId"]], assignment_status="Rejected")
    psiturk.unreject_assignment(bad)
    psiturk.bonus_assignment(good, None, 1.0, "Thank you for finishing")
    before = psiturk.get_hit(hit["HITId"])
    psiturk.extend_hit(hit["HITId"], assignments_increment=1, expiration_increment=30)
    extended = psiturk.get_hit(hit["HITId"])
    psiturk.expire_hit(hit["HITId"])
    expired = psiturk.get_hit(hit["HITId"])
    psiturk.delete_hit(hit["HITId"])

    assert (logged_in, bad_login) == (True, False)
    assert [dict(query_of(p))["workerId"] for p in pages] == [first.actor.public_id, second.actor.public_id]
    assert [(h["status"], h["number_submissions_needing_action"]) for h in listed] == [("Reviewable", 2)]
    assert all(a["accept_time"] <= a["submit_time"] for a in work.values())
    assert [a["assignmentId"] for a in rejected] == [bad]
    assert [a["status"] for a in psiturk.get_assignments([hit["HITId"]])] == ["Approved", "Approved"]
    assert (extended["status"], extended["max_assignments"]) == ("Assignable", 3)
    assert extended["expiration"] - before["expiration"] == datetime.timedelta(minutes=30)
    assert (expired["status"], expired["is_expired"]) == ("Reviewable", True)
    assert hit["HITId"] not in [h["hitid"] for h in psiturk.get_all_hits()]
    assert psiturk.list_qualification_types() == []
    # two rewards of 1.00 and a bonus of 1.00, each with the 20% fee; nothing is held any more
    assert psiturk.check_balance() == "96.40"


# ---- Mephisto -----------------------------------------------------------------------------------------

QUALIFICATION_TYPE_EXISTS_MESSAGE = "You have already created a QualificationType with this name."
SANDBOX_ENDPOINT = "https://mturk-requester-sandbox.us-east-1.amazonaws.com"
ALLOWED_LOCALES = ("US", "CA", "GB", "AU", "NZ")


class MephistoCalls:
    """mephisto/abstractions/providers/mturk/mturk_utils.py: the functions a task run calls, given
    the client Mephisto's MTurkDatastore builds (a profile named after the requester, no endpoint_url).
    Mephisto logs and swallows approve/reject failures ("likely because it has auto-approved")."""

    def __init__(self, client) -> None:
        self.client = client

    def client_is_sandbox(self) -> bool:
        return self.client.meta.endpoint_url == SANDBOX_ENDPOINT

    def check_mturk_balance(self, balance_needed: float) -> bool:
        try:
            user_balance = float(self.client.get_account_balance()["AvailableBalance"])
        except ClientError as e:
            if e.response["Error"]["Code"] == "RequestError":
                return False  # Mephisto prints its "link your AWS account" hint and quits
            raise
        return user_balance >= balance_needed

    def find_qualification(self, name: str, must_be_owned: bool = True) -> tuple[bool, str | None]:
        for owned in (True, False):
            response = self.client.list_qualification_types(Query=name, MustBeRequestable=True,
                                                             MustBeOwnedByCaller=owned)
            for qualification in response["QualificationTypes"]:
                if qualification["Name"] == name:
                    return (owned or not must_be_owned), qualification["QualificationTypeId"]
        return True, None

    def find_or_create_qualification(self, name: str, description: str, must_be_owned: bool = True) -> str:
        usable, qual_id = self.find_qualification(name, must_be_owned)
        if qual_id is not None:
            assert usable
            return qual_id
        try:
            response = self.client.create_qualification_type(Name=name, Description=description,
                                                             QualificationTypeStatus="Active")
        except ClientError as e:
            if e.response.get("Error", {}).get("Message", "").startswith(QUALIFICATION_TYPE_EXISTS_MESSAGE):
                found = self.find_qualification(name, must_be_owned)[1]
                assert found, "Qualification exists, but could not be found?"
                return found
            raise
        return response["QualificationType"]["QualificationTypeId"]

    def give_worker_qualification(self, worker_id: str, qualification_id: str) -> None:
        self.client.associate_qualification_with_worker(QualificationTypeId=qualification_id,
                                                         WorkerId=worker_id, IntegerValue=1,
                                                         SendNotification=False)

    def remove_worker_qualification(self, worker_id: str, qualification_id: str, reason: str = "") -> None:
        self.client.disassociate_qualification_from_worker(QualificationTypeId=qualification_id,
                                                           WorkerId=worker_id, Reason=reason)

    def create_hit_type(self, qualifications: list[dict[str, Any]]) -> str:
        converted = [{"QualificationTypeId": self.find_or_create_qualification(
            q["qualification_name"], "Qualification required for Mephisto-launched tasks", False),
            "Comparator": q["comparator"], "ActionsGuarded": "DiscoverPreviewAndAccept"}
            for q in qualifications]
        if not self.client_is_sandbox():  # a custom endpoint counts as live: Mephisto adds its locales
            converted.append({"QualificationTypeId": LOCALE, "Comparator": "In",
                              "LocaleValues": [{"Country": c} for c in ALLOWED_LOCALES],
                              "ActionsGuarded": "DiscoverPreviewAndAccept"})
        return self.client.create_hit_type(
            AutoApprovalDelayInSeconds=7 * 24 * 3600, AssignmentDurationInSeconds=1800, Reward=str(0.3),
            Title="Chat with a bot", Keywords=",".join(["chat", "dialogue"]),
            Description="Talk to a bot for five turns.", QualificationRequirements=converted)["HITTypeId"]

    def _create(self, hit_type_id: str, num_assignments: int, question: str) -> tuple[str, str, dict]:
        response = self.client.create_hit_with_hit_type(HITTypeId=hit_type_id, MaxAssignments=num_assignments,
                                                        LifetimeInSeconds=MONTH, Question=question)
        target = "workersandbox" if self.client_is_sandbox() else "www"
        link = f"https://{target}.mturk.com/mturk/preview?groupId={response['HIT']['HITTypeId']}"
        return link, response["HIT"]["HITId"], response

    def create_hit_with_hit_type(self, frame_height: int, page_url: str, hit_type_id: str,
                                 num_assignments: int = 1) -> tuple[str, str, dict]:
        page_url = page_url.replace("&", "&amp;")
        question = f"{EXTERNAL}<ExternalURL>{page_url}</ExternalURL><FrameHeight>{frame_height}" \
                   "</FrameHeight></ExternalQuestion>"
        return self._create(hit_type_id, num_assignments, question)

    def create_compensation_hit_with_hit_type(self, reason: str, hit_type_id: str) -> tuple[str, str, dict]:
        question = (
            f'<QuestionForm xmlns="{SCHEMAS}2017-11-06/QuestionForm.xsd"><Question>'
            "<QuestionIdentifier>workerid</QuestionIdentifier><DisplayName>Confirm Worker ID</DisplayName>"
            "<IsRequired>true</IsRequired><QuestionContent><Text>This compensation task was launched for "
            f"the following reason: {reason}... Enter Worker ID to submit</Text></QuestionContent>"
            '<AnswerSpecification><FreeTextAnswer><Constraints><Length minLength="2" />'
            r'<AnswerFormatRegex regex="\S" errorText="The content cannot be blank."/>'
            "</Constraints></FreeTextAnswer></AnswerSpecification></Question></QuestionForm>")
        return self._create(hit_type_id, 1, question)

    def get_hit(self, hit_id: str) -> dict[str, Any]:
        try:
            return self.client.get_hit(HITId=hit_id)
        except ClientError:
            return {}

    def get_assignments_for_hit(self, hit_id: str) -> list[dict[str, Any]]:
        return self.client.list_assignments_for_hit(HITId=hit_id).get("Assignments", [])

    def approve_work(self, assignment_id: str) -> Exception | None:
        try:
            self.client.approve_assignment(AssignmentId=assignment_id, OverrideRejection=False)
        except Exception as e:
            return e
        return None

    def reject_work(self, assignment_id: str, reason: str) -> Exception | None:
        try:
            self.client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback=reason)
        except Exception as e:
            return e
        return None

    def pay_bonus(self, worker_id: str, bonus_amount: float, assignment_id: str, reason: str) -> bool:
        if not self.check_mturk_balance(balance_needed=bonus_amount * 1.2):
            return False
        self.client.send_bonus(WorkerId=worker_id, BonusAmount=str(bonus_amount), AssignmentId=assignment_id,
                               Reason=reason, UniqueRequestToken=str(uuid.uuid4()))
        return True

    def email_worker(self, worker_id: str, subject: str, message_text: str) -> tuple[bool, str]:
        response = self.client.notify_workers(Subject=subject, MessageText=message_text,
                                              WorkerIds=[worker_id])
        if len(response["NotifyWorkersFailureStatuses"]) > 0:
            return False, response["NotifyWorkersFailureStatuses"][0]["NotifyWorkersFailureMessage"]
        return True, ""

    def block_worker(self, worker_id: str, reason: str) -> None:
        self.client.create_worker_block(WorkerId=worker_id, Reason=reason)

    def unblock_worker(self, worker_id: str, reason: str) -> None:
        self.client.delete_worker_block(WorkerId=worker_id, Reason=reason)

    def is_worker_blocked(self, worker_id: str) -> bool:
        blocks = self.client.list_worker_blocks(MaxResults=100)["WorkerBlocks"]
        return worker_id in [x["WorkerId"] for x in blocks]

    def get_outstanding_hits(self) -> dict[str, list[dict[str, Any]]]:
        new_hits = self.client.list_hits(MaxResults=100)
        all_hits = new_hits["HITs"]
        while len(new_hits["HITs"]) > 0:
            new_hits = self.client.list_hits(MaxResults=100, NextToken=new_hits["NextToken"])
            all_hits += new_hits["HITs"]
        by_type: dict[str, list[dict[str, Any]]] = {}
        for h in all_hits:
            by_type.setdefault(h["HITTypeId"], []).append(h)
        return by_type

    def expire_and_dispose_hits(self, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
        non_disposed = []
        for h in hits:
            try:
                self.client.delete_hit(HITId=h["HITId"])
            except Exception as e:
                self.client.update_expiration_for_hit(HITId=h["HITId"],
                                                      ExpireAt=datetime.datetime(2015, 1, 1))
                h["dispose_exception"] = e
                non_disposed.append(h)
        return non_disposed

    def delete_qualification(self, qualification_id: str) -> None:
        self.client.delete_qualification_type(QualificationTypeId=qualification_id)


@pytest.fixture
def mephisto(live_server, factory, tmp_path, monkeypatch) -> MephistoCalls:
    """What Mephisto's `mturk` provider builds: boto3.Session(profile_name=<requester>) from the
    credentials file, client("mturk") without endpoint_url; AWS_ENDPOINT_URL_MTURK (the guide's
    setting) points it at LabelHub's sandbox."""
    keys = factory.requester().credentials
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[mylab]\naws_access_key_id={keys.access_key_id}\n"
                           f"aws_secret_access_key={keys.secret_access_key}\n")
    (tmp_path / "config").write_text("")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_MTURK", f"{live_server}/mturk/sandbox")
    session = boto3.Session(profile_name="mylab", region_name="us-east-1")
    return MephistoCalls(session.client("mturk", config=Config(retries={"max_attempts": 10})))


@pytest.fixture
def mephisto_task(live_server, factory, mephisto):
    """Mephisto's task launch: an allowlist qualification for two workers, a HIT type with it and the
    locales Mephisto adds on a live endpoint, one ExternalQuestion HIT with two assignments."""
    ann, cho = (factory.worker(country=c, marketplace=Marketplace.SANDBOX) for c in ("US", "GB"))
    qual_id = mephisto.find_or_create_qualification("allowlist", "Workers we trust", must_be_owned=False)
    for worker in (ann, cho):
        mephisto.give_worker_qualification(worker.actor.public_id, qual_id)
    hit_type_id = mephisto.create_hit_type([{"qualification_name": "allowlist", "comparator": "Exists"}])
    link, hit_id, created = mephisto.create_hit_with_hit_type(
        0, "https://mephisto.example/task?unit=7&run=2", hit_type_id, num_assignments=2)
    return {"ann": ann, "cho": cho, "qual_id": qual_id, "hit_type_id": hit_type_id, "hit_id": hit_id,
            "link": link, "created": created}


def test_mephisto_task_run_runs_unchanged(live_server, factory, mephisto, mephisto_task):
    ann, cho, hit_id = mephisto_task["ann"], mephisto_task["cho"], mephisto_task["hit_id"]
    stranger = factory.worker(marketplace=Marketplace.SANDBOX)

    enough = mephisto.check_mturk_balance(balance_needed=5.0)
    found_again = mephisto.find_or_create_qualification("allowlist", "again", must_be_owned=False)
    with pytest.raises(ClientError) as duplicate:
        mephisto.client.create_qualification_type(Name="allowlist", Description="again",
                                                  QualificationTypeStatus="Active")
    refused = fetch(f"{live_server}/api/v1/worker/hits/{hit_id}/accept?marketplace=sandbox", data=b"{}",
                    method="POST", headers={"Authorization": f"Bearer {stranger.credentials.api_token}",
                                            "Content-Type": "application/json"})
    done = {w: do_external_task(live_server, w, hit_id, "sandbox", [("final_data", '{"turns": 5}')])
            for w in (ann, cho)}
    polled = mephisto.get_hit(hit_id)["HIT"]
    listed = mephisto.get_assignments_for_hit(hit_id)
    fetched = mephisto.client.get_assignment(AssignmentId=done[ann][0])["Assignment"]
    reviewed = [mephisto.approve_work(done[ann][0]), mephisto.reject_work(done[cho][0], "Off topic")]
    again = mephisto.approve_work(done[ann][0])
    paid = mephisto.pay_bonus(ann.actor.public_id, 0.25, done[ann][0], "Great chat")
    bonuses = mephisto.client.list_bonus_payments(AssignmentId=done[ann][0])
    emailed = [mephisto.email_worker(w.actor.public_id, "Thanks", "More soon") for w in (ann, stranger)]
    mephisto.block_worker(cho.actor.public_id, "Off topic")
    blocked = mephisto.is_worker_blocked(cho.actor.public_id)
    mephisto.unblock_worker(cho.actor.public_id, "Second chance")

    assert mephisto.client.meta.endpoint_url == f"{live_server}/mturk/sandbox"
    assert enough and found_again == mephisto_task["qual_id"]
    assert duplicate.value.response["Error"]["Message"].startswith(QUALIFICATION_TYPE_EXISTS_MESSAGE)
    # a custom endpoint is "live" to Mephisto: MTurk preview links, and its locale requirement added
    assert mephisto_task["link"] == f"https://www.mturk.com/mturk/preview?groupId={polled['HITTypeId']}"
    locale = mephisto_task["created"]["HIT"]["QualificationRequirements"][1]
    assert [c["Country"] for c in locale["LocaleValues"]] == list(ALLOWED_LOCALES)
    assert refused.status == 404  # no allowlist qualification: the HIT cannot even be discovered
    assert all(page.startswith(f"https://mephisto.example/task?unit=7&run=2&hitId={hit_id}&assignmentId=")
               for _, page in done.values())
    assert (polled["HITStatus"], polled["NumberOfAssignmentsAvailable"]) == ("Reviewable", 0)
    assert {a["AssignmentId"] for a in listed} == {a for a, _ in done.values()}
    assert answer_fields(fetched["Answer"]) == {"final_data": '{"turns": 5}'}
    assert reviewed == [None, None]
    assert isinstance(again, ClientError) and "This operation can be called with a status of: Submitted" \
        in str(again)
    assert paid and (bonuses["NumResults"], bonuses["BonusPayments"][0]["BonusAmount"]) == (1, "0.25")
    assert emailed == [(True, ""), (False, "You have not approved or rejected any work of this worker")]
    assert blocked and not mephisto.is_worker_blocked(cho.actor.public_id)


def test_mephisto_compensation_and_cleanup_run_unchanged(live_server, mephisto, mephisto_task):
    ann, hit_id, hit_type_id = mephisto_task["ann"], mephisto_task["hit_id"], mephisto_task["hit_type_id"]
    for worker in (ann, mephisto_task["cho"]):
        assignment_id, _ = do_external_task(live_server, worker, hit_id, "sandbox", [("final_data", "{}")])
        mephisto.approve_work(assignment_id)

    _, compensation_id, _ = mephisto.create_compensation_hit_with_hit_type("the server crashed", hit_type_id)
    compensation_assignment = accept(live_server, ann, compensation_id)
    iframe, frame = task_frame(live_server, compensation_assignment)
    compensated = fill_and_submit(iframe["src"], frame, {"workerid": ann.actor.public_id})
    outstanding = mephisto.get_outstanding_hits()
    not_disposed = mephisto.expire_and_dispose_hits(outstanding[hit_type_id])
    approved_late = mephisto.approve_work(compensation_assignment)
    retried = mephisto.expire_and_dispose_hits(not_disposed)
    mephisto.remove_worker_qualification(ann.actor.public_id, mephisto_task["qual_id"])
    mephisto.delete_qualification(mephisto_task["qual_id"])

    workerid = frame.html.one("input", name="workerid")
    assert (workerid["pattern"], workerid["minlength"], "required" in workerid) == (r"\S", "2", True)
    assert compensated.status == 200
    answer = mephisto.client.get_assignment(AssignmentId=compensation_assignment)["Assignment"]["Answer"]
    assert answer_fields(answer) == {"workerid": ann.actor.public_id}
    assert sorted(h["HITId"] for h in outstanding[hit_type_id]) == sorted([hit_id, compensation_id])
    assert [h["HITId"] for h in not_disposed] == [compensation_id]
    assert "has 1 submitted assignment(s) to approve or reject" in str(not_disposed[0]["dispose_exception"])
    assert (approved_late, retried) == (None, [])
    assert mephisto.get_outstanding_hits() == {}


def test_mephisto_credentials_check_raises_on_a_wrong_secret(live_server, factory):
    keys = factory.requester().credentials
    session = boto3.Session(aws_access_key_id=keys.access_key_id, aws_secret_access_key="wrong",
                            region_name="us-east-1")
    mephisto = MephistoCalls(session.client("mturk", endpoint_url=f"{live_server}/mturk/sandbox"))

    with pytest.raises(ClientError) as caught:
        mephisto.check_mturk_balance(balance_needed=1.0)

    # Not RequestError: Mephisto re-raises instead of printing its hint (a documented difference).
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_aws_config_services_section_points_a_client_without_endpoint_at_labelhub(
        live_server, factory, tmp_path, monkeypatch):
    keys = factory.requester().credentials
    config = tmp_path / "config"
    config.write_text("[profile labelhub]\nregion = us-east-1\nservices = labelhub\n"
                      f"aws_access_key_id = {keys.access_key_id}\n"
                      f"aws_secret_access_key = {keys.secret_access_key}\n"
                      f"\n[services labelhub]\nmturk =\n  endpoint_url = {live_server}/mturk/sandbox\n")
    for name in ("AWS_ENDPOINT_URL_MTURK", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))

    client = boto3.Session(profile_name="labelhub").client("mturk")

    assert client.meta.endpoint_url == f"{live_server}/mturk/sandbox"
    assert client.get_account_balance()["AvailableBalance"] == "10000.00"


# ---- Dallinger ----------------------------------------------------------------------------------------

class WorkerLacksQualification(Exception):
    pass


class RevokedQualification(Exception):
    pass


class MTurkServiceException(Exception):
    pass


class DallingerCalls:
    """dallinger/mturk.py, MTurkService: its boto3 calls and the message checks it relies on. ``host``
    is the one line the guide changes; HITs are created with do_subscribe=False (test_dallinger_replay.py
    replays the recruiter with its SNS topic)."""

    def __init__(self, base: str, key: str, secret: str) -> None:
        self.host = f"{base}/mturk/sandbox"
        session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                        region_name="us-east-1")
        self.mturk = session.client("mturk", endpoint_url=self.host, region_name="us-east-1")

    def check_credentials(self) -> bool:
        return bool(self.mturk.get_account_balance())

    def create_qualification_type(self, name: str, description: str) -> dict[str, Any]:
        try:
            response = self.mturk.create_qualification_type(Name=name, Description=description,
                                                            QualificationTypeStatus="Active")
        except Exception as ex:
            if "already created a QualificationType with this name" in str(ex):
                raise MTurkServiceException("duplicate: " + str(ex)) from ex
            raise
        return self._qtype(response["QualificationType"])

    def get_qualification_type_by_name(self, name: str) -> dict[str, Any] | None:
        query = name.upper()
        results = self.mturk.list_qualification_types(Query=query, MustBeRequestable=False,
                                                      MustBeOwnedByCaller=True,
                                                      MaxResults=100)["QualificationTypes"]
        found = [self._qtype(r) for r in results]
        if len(found) > 1:
            return next(q for q in found if q["name"].upper() == query)
        return found[0] if found else None

    def assign_qualification(self, qualification_id: str, worker_id: str, score: int) -> bool:
        return self._is_ok(self.mturk.associate_qualification_with_worker(
            QualificationTypeId=qualification_id, WorkerId=worker_id, IntegerValue=score,
            SendNotification=False))

    def revoke_qualification(self, qualification_id: str, worker_id: str, reason: str = "") -> bool:
        return self._is_ok(self.mturk.disassociate_qualification_from_worker(
            QualificationTypeId=qualification_id, WorkerId=worker_id, Reason=reason))

    def current_qualification_score(self, qualification_id: str, worker_id: str) -> int:
        try:
            response = self.mturk.get_qualification_score(QualificationTypeId=qualification_id,
                                                          WorkerId=worker_id)
        except ClientError as ex:
            error = str(ex)
            if "does not exist" in error:
                raise WorkerLacksQualification(error) from ex
            if "operation can be called with a status of: Granted" in error:
                raise RevokedQualification(error) from ex
            raise MTurkServiceException(error) from ex
        return response["Qualification"]["IntegerValue"]

    def increment_qualification_score(self, qualification_id: str, worker_id: str) -> int:
        try:
            current = self.current_qualification_score(qualification_id, worker_id)
        except (WorkerLacksQualification, RevokedQualification):
            current = 0
        self.assign_qualification(qualification_id, worker_id, current + 1)
        return current + 1

    def get_workers_with_qualification(self, qualification_id: str):
        next_token = None
        while True:
            response = self.mturk.list_workers_with_qualification_type(
                QualificationTypeId=qualification_id, MaxResults=100, Status="Granted",
                **({"NextToken": next_token} if next_token else {}))
            for r in response["Qualifications"]:
                yield {"id": r["WorkerId"], "score": r["IntegerValue"]}
            if "NextToken" not in response:
                return
            next_token = response["NextToken"]

    def create_hit(self, question: str, max_assignments: int, qualifications: list[dict[str, Any]],
                   annotation: str) -> dict[str, Any]:
        hit_type_id = self.mturk.create_hit_type(
            Title="Dallinger experiment", Description="Play a short game.", Reward=str(1.5),
            AssignmentDurationInSeconds=int(datetime.timedelta(hours=1.0).total_seconds()),
            Keywords=",".join(["game", "science"]), AutoApprovalDelayInSeconds=0,
            QualificationRequirements=qualifications)["HITTypeId"]
        response = self.mturk.create_hit_with_hit_type(
            HITTypeId=hit_type_id, Question=question, MaxAssignments=max_assignments,
            LifetimeInSeconds=int(datetime.timedelta(days=1).total_seconds()),
            UniqueRequestToken=self._request_token(), RequesterAnnotation=annotation)
        return self._translate_hit(response["HIT"])

    def extend_hit(self, hit_id: str, number: int, duration_hours: float) -> dict[str, Any]:
        self.mturk.create_additional_assignments_for_hit(HITId=hit_id, NumberOfAdditionalAssignments=number,
                                                         UniqueRequestToken=self._request_token())
        expiration = datetime.timedelta(hours=duration_hours) + self.get_hit(hit_id)["expiration"]
        self.mturk.update_expiration_for_hit(HITId=hit_id, ExpireAt=expiration)
        return self.get_hit(hit_id)

    def disable_hit(self, hit_id: str) -> bool:
        self.mturk.update_expiration_for_hit(HITId=hit_id, ExpireAt=0)
        try:
            return self._is_ok(self.mturk.delete_hit(HITId=hit_id))
        except Exception as ex:
            if "currently in the state 'Disposed'" in str(ex):
                return True  # "this means already deleted"
            raise

    def get_hit(self, hit_id: str) -> dict[str, Any]:
        return self._translate_hit(self.mturk.get_hit(HITId=hit_id)["HIT"])

    def get_hits(self, hit_filter=lambda h: True):
        next_token = None
        while True:
            response = self.mturk.list_hits(MaxResults=100,
                                            **({"NextToken": next_token} if next_token else {}))
            yield from (h for h in map(self._translate_hit, response["HITs"]) if hit_filter(h))
            if "NextToken" not in response:
                return
            next_token = response["NextToken"]

    def grant_bonus(self, assignment_id: str, amount: float, reason: str) -> bool:
        worker_id = self.get_assignment(assignment_id)["worker_id"]
        return self._is_ok(self.mturk.send_bonus(WorkerId=worker_id, BonusAmount=f"{amount:.2f}",
                                                 AssignmentId=assignment_id, Reason=reason,
                                                 UniqueRequestToken=self._request_token()))

    def get_assignment(self, assignment_id: str) -> dict[str, Any] | None:
        try:
            a = self.mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
        except ClientError as ex:
            if "does not exist" in str(ex):
                return None
            raise
        return {"id": a["AssignmentId"], "status": a["AssignmentStatus"], "hit_id": a["HITId"],
                "worker_id": a["WorkerId"]}

    def approve_assignment(self, assignment_id: str) -> bool:
        try:
            return self._is_ok(self.mturk.approve_assignment(AssignmentId=assignment_id))
        except ClientError as ex:
            raise MTurkServiceException(f"Failed to approve assignment {assignment_id}, "
                                        f"{self.get_assignment(assignment_id)}: {ex}") from ex

    def dispose_qualification_type(self, qualification_id: str) -> bool:
        return self._is_ok(self.mturk.delete_qualification_type(QualificationTypeId=qualification_id))

    @staticmethod
    def _request_token() -> str:
        time.sleep(0.001)  # Dallinger's tokens are str(time.time()); keep two calls apart
        return str(time.time())

    @staticmethod
    def _qtype(qtype: dict[str, Any]) -> dict[str, Any]:
        return {"id": qtype["QualificationTypeId"], "name": qtype["Name"], "created": qtype["CreationTime"],
                "status": qtype["QualificationTypeStatus"]}

    @staticmethod
    def _translate_hit(hit: dict[str, Any]) -> dict[str, Any]:
        return {"id": hit["HITId"], "type_id": hit["HITTypeId"], "expiration": hit["Expiration"],
                "max_assignments": hit["MaxAssignments"], "title": hit["Title"],
                "keywords": [w.strip() for w in hit["Keywords"].split(",") if w.strip()],
                "qualification_type_ids": [q["QualificationTypeId"]
                                           for q in hit["QualificationRequirements"]],
                "reward": float(hit["Reward"]), "review_status": hit["HITReviewStatus"],
                "status": hit["HITStatus"], "annotation": hit.get("RequesterAnnotation"),
                "assignments_available": hit["NumberOfAssignmentsAvailable"],
                "assignments_completed": hit["NumberOfAssignmentsCompleted"],
                "assignments_pending": hit["NumberOfAssignmentsPending"]}

    @staticmethod
    def _is_ok(response: dict[str, Any]) -> bool:
        return response == {} or list(response.keys()) == ["ResponseMetadata"]


def dallinger_compensation_question(frame_height: int = 600) -> str:
    """MTurkQuestions.compensation(sandbox=True): MTurk's script and MTurk's sandbox externalSubmit."""
    return (f'<HTMLQuestion xmlns="{SCHEMAS}2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA['
            '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"/>'
            '<script type="text/javascript" src="https://s3.amazonaws.com/mturk-public/externalHIT_v1.js">'
            '</script></head><body><form name="mturk_form" method="post" id="mturk_form" '
            'action="https://workersandbox.mturk.com/mturk/externalSubmit">'
            '<input type="hidden" value="" name="assignmentId" id="assignmentId"/><h1>Compensation HIT</h1>'
            "<p>We will compensate you immediately upon submission of this HIT.</p>"
            '<input type="hidden" name="some-input-required" value="anything" ></input>'
            '<input type="submit" id="submitButton" value="Submit" /></p></form>'
            '<script language="Javascript">turkSetAssignmentID();</script></body></html>]]></HTMLContent>'
            f"<FrameHeight>{frame_height}</FrameHeight></HTMLQuestion>")


@pytest.fixture
def dallinger(live_server, factory) -> DallingerCalls:
    keys = factory.requester().credentials
    return DallingerCalls(live_server, keys.access_key_id, keys.secret_access_key)


def dallinger_hit(dallinger: DallingerCalls, blocklist_type_id: str | None = None) -> dict[str, Any]:
    """Dallinger's recruiter: approval, US only, and a qualification that must not be held."""
    quals = [{"QualificationTypeId": PERCENT_APPROVED, "Comparator": "GreaterThanOrEqualTo",
              "IntegerValues": [95], "RequiredToPreview": True},
             {"QualificationTypeId": LOCALE, "Comparator": "EqualTo", "LocaleValues": [{"Country": "US"}],
              "RequiredToPreview": True}]
    if blocklist_type_id:
        quals.append({"QualificationTypeId": blocklist_type_id, "Comparator": "DoesNotExist",
                      "RequiredToPreview": True})
    ad = f"{EXTERNAL}<ExternalURL>https://dallinger.example/ad?recruiter=mturk</ExternalURL>" \
         "<FrameHeight>600</FrameHeight></ExternalQuestion>"
    return dallinger.create_hit(ad, max_assignments=2, qualifications=quals, annotation="exp-7f3a")


def test_dallinger_experiment_runs_unchanged(live_server, factory, dallinger):
    player = factory.worker(marketplace=Marketplace.SANDBOX)

    credentials_ok = dallinger.check_credentials()
    missing = dallinger.get_qualification_type_by_name("dallinger-game-1")
    qtype = dallinger.create_qualification_type("dallinger-game-1", "Played the game")
    with pytest.raises(MTurkServiceException):
        dallinger.create_qualification_type("dallinger-game-1", "Played the game")
    found = dallinger.get_qualification_type_by_name("dallinger-game-1")
    hit = dallinger_hit(dallinger, blocklist_type_id=qtype["id"])
    assignment_id, _ = do_external_task(live_server, player, hit["id"], "sandbox",
                                        [("hitId", hit["id"]), ("workerId", player.actor.public_id)])
    approved = dallinger.approve_assignment(assignment_id)  # on the AssignmentSubmitted notification
    with pytest.raises(MTurkServiceException) as approve_again:
        dallinger.approve_assignment(assignment_id)
    bonus_paid = dallinger.grant_bonus(assignment_id, 0.5, "Good score")
    with pytest.raises(WorkerLacksQualification):
        dallinger.current_qualification_score(qtype["id"], player.actor.public_id)
    dallinger.assign_qualification(qtype["id"], player.actor.public_id, 3)
    incremented = dallinger.increment_qualification_score(qtype["id"], player.actor.public_id)
    holders = list(dallinger.get_workers_with_qualification(qtype["id"]))
    dallinger.revoke_qualification(qtype["id"], player.actor.public_id, "new round")
    with pytest.raises(RevokedQualification):
        dallinger.current_qualification_score(qtype["id"], player.actor.public_id)
    extended = dallinger.extend_hit(hit["id"], number=1, duration_hours=1)

    assert credentials_ok and missing is None and found == qtype
    assert (hit["status"], hit["review_status"], hit["annotation"]) == \
        ("Assignable", "NotReviewed", "exp-7f3a")
    assert (hit["keywords"], hit["reward"]) == (["game", "science"], 1.5)
    assert hit["qualification_type_ids"] == [PERCENT_APPROVED, LOCALE, qtype["id"]]
    assert approved  # AutoApprovalDelayInSeconds=0 leaves the approval to the sweep, after Dallinger's own
    assert "This operation can be called with a status of: Submitted" in str(approve_again.value)
    assert "'status': 'Approved'" in str(approve_again.value)
    assert dallinger.get_assignment("3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA") is None
    bonuses = dallinger.mturk.list_bonus_payments(AssignmentId=assignment_id)["BonusPayments"]
    assert bonus_paid and [b["BonusAmount"] for b in bonuses] == ["0.50"]
    assert incremented == 4 and holders == [{"id": player.actor.public_id, "score": 4}]
    assert (extended["max_assignments"], extended["status"]) == (3, "Assignable")
    assert extended["expiration"] - hit["expiration"] == datetime.timedelta(hours=1)
    assert dallinger.dispose_qualification_type(qtype["id"])


def test_dallinger_compensation_and_disable_run_unchanged(live_server, factory, dallinger, runtime):
    player, newcomer = (factory.worker(marketplace=Marketplace.SANDBOX) for _ in range(2))
    hit = dallinger_hit(dallinger)
    do_external_task(live_server, player, hit["id"], "sandbox", [("hitId", hit["id"])])

    compensation = dallinger.create_hit(dallinger_compensation_question(), max_assignments=1,
                                        qualifications=[], annotation="exp-7f3a-compensation")
    paid_assignment = accept(live_server, newcomer, compensation["id"])
    iframe, frame = task_frame(live_server, paid_assignment)
    compensated = fill_and_submit(iframe["src"], frame, {})
    submitted = dallinger.mturk.get_assignment(AssignmentId=paid_assignment)["Assignment"]["AssignmentStatus"]
    sweeps.auto_approve_due(runtime)  # the auto-approval sweep's next round (AutoApprovalDelayInSeconds=0)
    listed = {h["id"] for h in dallinger.get_hits(lambda h: (h["annotation"] or "").startswith("exp-7f3a"))}
    disabled = [dallinger.disable_hit(h) for h in (hit["id"], compensation["id"])]
    with pytest.raises(ClientError) as deleted_again:
        dallinger.mturk.delete_hit(HITId=hit["id"])

    assert frame.html.one("form")["action"] == f"{live_server}/mturk/externalSubmit"
    assert (compensated.status, submitted) == (200, "Submitted")
    answer = dallinger.mturk.get_assignment(AssignmentId=paid_assignment)["Assignment"]
    assert answer["AssignmentStatus"] == "Approved"
    assert answer_fields(answer["Answer"]) == {"some-input-required": "anything"}
    assert listed == {hit["id"], compensation["id"]}
    assert disabled == [True, True]
    assert "currently in the state 'Disposed'" in str(deleted_again.value)  # Dallinger: "already deleted"
