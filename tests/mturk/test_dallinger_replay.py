"""Dallinger 12.4.0's MTurk recruitment replayed against a live LabelHub, SNS topic included.
# Calls reproduced from dallinger 12.4.0: dallinger/mturk.py (MTurkService.check_credentials, create_hit,
# _register_hit_type, _create_notification_subscription, approve_assignment, grant_bonus, get_assignment,
# disable_hit, expire_hit; SNSService.create_subscription, _awaiting_confirmation, confirm_subscription,
# cancel_subscription, _get_sns_topic_for_experiment, _all_topics) and dallinger/recruiters.py
# (MTurkRecruiter.open_recruitment, approve_hit, reward_bonus; the /mturk-sns-listener route
# mturk_recruiter_notify), with Experiment.on_recruiter_submission_complete (dallinger/experiment.py)
# approving and paying the bonus when the AssignmentSubmitted notification arrives.

Dallinger is not a dependency: ``DallingerService`` makes the same boto3 calls with the same parameters in
the same order. Its ``sns`` client is made the way SNSService makes it, with no endpoint_url: it reaches
LabelHub through ``AWS_ENDPOINT_URL_SNS``. The ``mturk`` client's endpoint is the one line the requester
guide changes (MTurkService.host).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from labelhub.models import Marketplace
from tests.mturk.test_clients import LOCALE, PERCENT_APPROVED, do_external_task

EXPERIMENT_ID = "3f1c7a52-5d1e-4c6b-9a8e-2b7d0c4e9f11"
EVENT_TYPES = ["AssignmentAccepted", "AssignmentAbandoned", "AssignmentReturned", "AssignmentSubmitted",
               "HITReviewable", "HITExpired"]


class NonExistentSubscription(Exception):
    pass


class MTurkServiceException(Exception):
    pass


class DallingerService:
    """MTurkService and its SNSService, call for call (see the module docstring)."""

    max_wait_secs = 12  # SNSService.max_wait_secs

    def __init__(self, mturk_host: str, key: str, secret: str) -> None:
        self.key, self.secret = key, secret
        session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                        region_name="us-east-1")
        self.mturk = session.client("mturk", endpoint_url=mturk_host, region_name="us-east-1")
        self._sns = self.sns_client()

    def sns_client(self):
        return boto3.session.Session(aws_access_key_id=self.key, aws_secret_access_key=self.secret,
                                     region_name="us-east-1").client("sns")

    # --- SNSService ---
    def confirm_subscription(self, token: str, topic: str) -> None:
        self._sns.confirm_subscription(Token=token, TopicArn=topic)

    def create_subscription(self, experiment_id: str, notification_url: str) -> str:
        protocol = "https" if notification_url.startswith("https") else "http"
        topic = self._sns.create_topic(Name=experiment_id)
        subscription = self._sns.subscribe(TopicArn=topic["TopicArn"], Protocol=protocol,
                                           Endpoint=notification_url, ReturnSubscriptionArn=True)
        start = time.time()
        while self._awaiting_confirmation(subscription):
            if time.time() - start > self.max_wait_secs:
                raise MTurkServiceException("Too long")
            time.sleep(1)
        return topic["TopicArn"]

    def cancel_subscription(self, experiment_id: str) -> bool:
        topic_id = self._get_sns_topic_for_experiment(experiment_id)
        if topic_id is None:
            raise NonExistentSubscription(f"No SNS subscription found for {experiment_id}")
        self._sns.delete_topic(TopicArn=topic_id)
        return True

    def _awaiting_confirmation(self, subscription: dict[str, Any]) -> bool:
        report = self._sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])
        return report["Attributes"]["PendingConfirmation"] == "true"

    def _get_sns_topic_for_experiment(self, experiment_id: str) -> str | None:
        return next((t for t in self._all_topics() if t.endswith(":" + experiment_id)), None)

    def _all_topics(self) -> Iterator[str]:
        next_token = None
        while True:
            response = self._sns.list_topics(NextToken=next_token) if next_token else self._sns.list_topics()
            for t in response["Topics"]:
                yield t["TopicArn"]
            if "NextToken" not in response:
                return
            next_token = response["NextToken"]

    # --- MTurkService ---
    def check_credentials(self) -> bool:
        return bool(self.mturk.get_account_balance())

    def create_hit(self, experiment_id: str, question: str, max_assignments: int, notification_url: str,
                   qualifications: list[dict[str, Any]]) -> dict[str, Any]:
        hit_type_id = self.mturk.create_hit_type(
            Title="Dallinger experiment (dlgr-3f1c7a52)", Description="Play a short game.", Reward=str(1.5),
            AssignmentDurationInSeconds=int(datetime.timedelta(hours=1.0).total_seconds()),
            Keywords=",".join(["game", "science"]), AutoApprovalDelayInSeconds=0,
            QualificationRequirements=qualifications)["HITTypeId"]
        topic_arn = self.create_subscription(experiment_id, notification_url)
        self.mturk.update_notification_settings(
            HITTypeId=hit_type_id,
            Notification={"Destination": topic_arn, "Transport": "SNS", "Version": "2014-08-15",
                          "EventTypes": EVENT_TYPES},
            Active=True)
        response = self.mturk.create_hit_with_hit_type(
            HITTypeId=hit_type_id, Question=question,
            LifetimeInSeconds=int(datetime.timedelta(days=1).total_seconds()), MaxAssignments=max_assignments,
            UniqueRequestToken=str(time.time()), RequesterAnnotation=experiment_id)
        return response["HIT"]

    def get_assignment(self, assignment_id: str) -> dict[str, Any] | None:
        try:
            response = self.mturk.get_assignment(AssignmentId=assignment_id)
        except ClientError as ex:
            if "does not exist" in str(ex):
                return None
            raise
        a = response["Assignment"]
        return {"id": a["AssignmentId"], "status": a["AssignmentStatus"], "hit_id": a["HITId"],
                "worker_id": a["WorkerId"]}

    def approve_assignment(self, assignment_id: str) -> bool:
        try:
            return self._is_ok(self.mturk.approve_assignment(AssignmentId=assignment_id))
        except ClientError as ex:
            raise MTurkServiceException(f"Failed to approve assignment {assignment_id}, "
                                        f"{self.get_assignment(assignment_id)}: {ex}") from ex

    def grant_bonus(self, assignment_id: str, amount: float, reason: str) -> bool:
        worker_id = self.get_assignment(assignment_id)["worker_id"]  # type: ignore[index]
        return self._is_ok(self.mturk.send_bonus(WorkerId=worker_id, BonusAmount=f"{amount:.2f}",
                                                 AssignmentId=assignment_id, Reason=reason,
                                                 UniqueRequestToken=str(time.time())))

    def expire_hit(self, hit_id: str) -> bool:
        try:
            self.mturk.update_expiration_for_hit(HITId=hit_id, ExpireAt=0)
        except Exception as ex:
            raise MTurkServiceException(f"Failed to expire HIT {hit_id}: {ex}") from ex
        return True

    def disable_hit(self, hit_id: str, experiment_id: str) -> bool:
        self.expire_hit(hit_id)
        with contextlib.suppress(NonExistentSubscription):  # Dallinger: try/except NonExistentSubscription: pass
            self.cancel_subscription(experiment_id)
        try:
            result = self.mturk.delete_hit(HITId=hit_id)
        except Exception as ex:
            if "currently in the state 'Disposed'" in str(ex):
                return True  # "this means already deleted"
            raise
        return self._is_ok(result)

    @staticmethod
    def _is_ok(response: dict[str, Any]) -> bool:
        return response == {} or list(response.keys()) == ["ResponseMetadata"]


class SnsListener:
    """Dallinger's /mturk-sns-listener: confirms subscriptions with its own SNSService and reports the
    MTurk events of Notification messages."""

    def __init__(self, service: DallingerService) -> None:
        self.events: list[dict[str, Any]] = []
        self.confirmations = 0
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                content = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                if content.get("Type") == "SubscriptionConfirmation":
                    DallingerService(service.mturk.meta.endpoint_url, service.key, service.secret) \
                        .confirm_subscription(token=content.get("Token"), topic=content.get("TopicArn"))
                    listener.confirmations += 1
                elif content.get("Type") == "Notification":
                    listener.events.extend(json.loads(content.get("Message"))["Events"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/mturk-sns-listener"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def types(self) -> list[str]:
        return [e["EventType"] for e in self.events]


@pytest.fixture
def dallinger(live_server, factory, monkeypatch, tmp_path) -> DallingerService:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", f"{live_server}/mturk/sns")
    for name in ("AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    keys = factory.requester().credentials
    return DallingerService(f"{live_server}/mturk/sandbox", keys.access_key_id, keys.secret_access_key)


@pytest.fixture
def listener(dallinger) -> Iterator[SnsListener]:
    running = SnsListener(dallinger)
    yield running
    running.close()


def test_dallinger_recruitment_with_its_sns_topic_runs_unchanged(live_server, factory, dallinger, listener):
    player = factory.worker(marketplace=Marketplace.SANDBOX)
    ad = ('<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
          '2006-07-14/ExternalQuestion.xsd"><ExternalURL>https://dallinger.example/ad?recruiter=mturk'
          "</ExternalURL><FrameHeight>600</FrameHeight></ExternalQuestion>")
    qualifications = [
        {"QualificationTypeId": PERCENT_APPROVED, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [95],
         "RequiredToPreview": True},
        {"QualificationTypeId": LOCALE, "Comparator": "EqualTo", "LocaleValues": [{"Country": "US"}],
         "RequiredToPreview": True}]

    # MTurkRecruiter.open_recruitment
    assert dallinger.check_credentials()
    hit = dallinger.create_hit(EXPERIMENT_ID, ad, max_assignments=1, notification_url=listener.url,
                               qualifications=qualifications)
    # a participant does the task; MTurk notifies; Experiment.on_recruiter_submission_complete
    assignment_id, _ = do_external_task(live_server, player, hit["HITId"], "sandbox", [("hitId", hit["HITId"])])
    notified_before_approval = listener.types()
    approved = dallinger.approve_assignment(assignment_id)
    bonus_paid = dallinger.grant_bonus(assignment_id, 0.25, "Thank you for participating")
    # dallinger expire / MTurkService.disable_hit, twice: the second finds the HIT and topic already gone
    disabled = dallinger.disable_hit(hit["HITId"], EXPERIMENT_ID)
    disabled_again = dallinger.disable_hit(hit["HITId"], EXPERIMENT_ID)

    assert listener.confirmations == 1
    assert notified_before_approval == ["AssignmentAccepted", "AssignmentSubmitted", "HITReviewable"]
    submitted = listener.events[1]
    assert (submitted["HITId"], submitted["AssignmentId"]) == (hit["HITId"], assignment_id)
    assert approved and bonus_paid
    assert dallinger.get_assignment(assignment_id)["status"] == "Approved"  # type: ignore[index]
    bonuses = dallinger.mturk.list_bonus_payments(AssignmentId=assignment_id)["BonusPayments"]
    assert [b["BonusAmount"] for b in bonuses] == ["0.25"]
    assert listener.types()[3:] == ["HITExpired"]  # sent before the topic was deleted
    assert disabled and disabled_again
    assert dallinger.mturk.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Disposed"
    assert dallinger._get_sns_topic_for_experiment(EXPERIMENT_ID) is None
