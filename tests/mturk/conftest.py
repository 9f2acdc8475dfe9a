"""Fixtures for driving the MTurk-compatible API with boto3 itself over real HTTP on a loopback port."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.factories import RequesterHandle

SCHEMAS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"

HTML_QUESTION = f"""<HTMLQuestion xmlns="{SCHEMAS}2011-11-11/HTMLQuestion.xsd">
  <HTMLContent><![CDATA[<!DOCTYPE html><html><body>
   <form name="mturk_form" method="post" id="mturk_form" action="https://www.mturk.com/mturk/externalSubmit">
     <input type="hidden" value="" name="assignmentId" id="assignmentId"/>
     <textarea name="comment"></textarea><input type="submit" id="submitButton"/></form>
   </body></html>]]></HTMLContent>
  <FrameHeight>450</FrameHeight>
</HTMLQuestion>"""

EXTERNAL_QUESTION = f"""<ExternalQuestion xmlns="{SCHEMAS}2006-07-14/ExternalQuestion.xsd">
  <ExternalURL>https://example.org/task?item=7&amp;lang=en</ExternalURL>
  <FrameHeight>600</FrameHeight>
</ExternalQuestion>"""

QUESTION_FORM = f"""<QuestionForm xmlns="{SCHEMAS}2017-11-06/QuestionForm.xsd">
  <Question>
    <QuestionIdentifier>colour</QuestionIdentifier>
    <QuestionContent><Text>Which colour?</Text></QuestionContent>
    <AnswerSpecification><SelectionAnswer><Selections>
      <Selection><SelectionIdentifier>red</SelectionIdentifier><Text>Red</Text></Selection>
      <Selection><SelectionIdentifier>blue</SelectionIdentifier><Text>Blue</Text></Selection>
    </Selections></SelectionAnswer></AnswerSpecification>
  </Question>
  <Question>
    <QuestionIdentifier>why</QuestionIdentifier>
    <QuestionContent><Text>Why?</Text></QuestionContent>
    <AnswerSpecification><FreeTextAnswer/></AnswerSpecification>
  </Question>
</QuestionForm>"""

ANSWER_KEY = f"""<AnswerKey xmlns="{SCHEMAS}2005-10-01/AnswerKey.xsd">
  <Question>
    <QuestionIdentifier>colour</QuestionIdentifier>
    <AnswerOption><SelectionIdentifier>red</SelectionIdentifier><AnswerScore>10</AnswerScore></AnswerOption>
    <AnswerOption><SelectionIdentifier>blue</SelectionIdentifier><AnswerScore>0</AnswerScore></AnswerOption>
  </Question>
  <QualificationValueMapping>
    <PercentageMapping><MaximumSummedScore>10</MaximumSummedScore></PercentageMapping>
  </QualificationValueMapping>
</AnswerKey>"""

TARGET = "MTurkRequesterServiceV20170117."


def hit_params(**overrides: Any) -> dict[str, Any]:
    """CreateHIT arguments as the AWS samples send them."""
    return {"Title": "Describe the picture", "Description": "Write one sentence about the picture.",
            "Reward": "0.50", "MaxAssignments": 3, "LifetimeInSeconds": 3600,
            "AssignmentDurationInSeconds": 600, "AutoApprovalDelayInSeconds": 86_400,
            "Keywords": "image, text", "Question": HTML_QUESTION} | overrides


def hit_type_params(**overrides: Any) -> dict[str, Any]:
    return {"Title": "Describe the picture", "Description": "Write one sentence about the picture.",
            "Reward": "0.50", "AssignmentDurationInSeconds": 600,
            "AutoApprovalDelayInSeconds": 86_400} | overrides


@dataclass(frozen=True)
class Failure:
    """What botocore made of a RequestError/ServiceFault/auth failure."""

    status: int
    code: str
    turk_code: str | None
    message: str
    request_id: str | None


def failure(exc: ClientError) -> Failure:
    meta = exc.response["ResponseMetadata"]
    return Failure(meta["HTTPStatusCode"], exc.response["Error"]["Code"], exc.response.get("TurkErrorCode"),
                   exc.response["Error"]["Message"], meta.get("RequestId"))


def fails(call: Callable[..., Any], **kwargs: Any) -> Failure:
    """Call a client method that must fail and return how it failed."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return failure(caught.value)


def masked(failed: Failure, public_id: str) -> tuple[int, str, str | None, str]:
    """A failure's status, codes and message with ``public_id`` and MTurk's trailing ``(<epoch ms>)``
    masked, so the failures for two different ids can be compared."""
    message = re.sub(r" \(\d+\)$", "", failed.message).replace(public_id, "<id>")
    return failed.status, failed.code, failed.turk_code, message


@pytest.fixture(scope="session")
def boto_session() -> boto3.session.Session:
    return boto3.session.Session()


@pytest.fixture
def connect(live_server: str, boto_session: boto3.session.Session):
    """connect(requester, marketplace="sandbox", secret=None) -> a boto3 mturk client for that requester."""

    def connect(requester: RequesterHandle, marketplace: str = "sandbox", *, secret: str | None = None,
                access_key_id: str | None = None):
        return boto_session.client(
            "mturk", endpoint_url=f"{live_server}/mturk/{marketplace}", region_name="us-east-1",
            aws_access_key_id=access_key_id or requester.credentials.access_key_id,
            aws_secret_access_key=secret or requester.credentials.secret_access_key,
            config=Config(retries={"total_max_attempts": 1}))

    return connect


@pytest.fixture
def connect_sns(live_server: str, boto_session: boto3.session.Session):
    """connect_sns(requester) -> a boto3 sns client for that requester, on LabelHub's SNS endpoint."""

    def connect_sns(requester: RequesterHandle, *, secret: str | None = None, access_key_id: str | None = None,
                    region: str = "us-east-1"):
        return boto_session.client(
            "sns", endpoint_url=f"{live_server}/mturk/sns", region_name=region,
            aws_access_key_id=access_key_id or requester.credentials.access_key_id,
            aws_secret_access_key=secret or requester.credentials.secret_access_key,
            config=Config(retries={"total_max_attempts": 1}))

    return connect_sns


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


@pytest.fixture
def raw_post(live_server: str):
    """raw_post(requester, operation, body, ...): requests boto3 never sends (unsigned, odd bodies...).

    With ``sign_target=False`` the X-Amz-Target header is added after signing, so it is not covered.
    """

    def raw_post(requester: RequesterHandle, operation: str, body: bytes | dict, *, sign: bool = True,
                 sign_target: bool = True, marketplace: str = "sandbox") -> RawResponse:
        url = f"{live_server}/mturk/{marketplace}"
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        target = {"X-Amz-Target": TARGET + operation}
        request = AWSRequest(method="POST", url=url, data=data, headers={
            "Content-Type": "application/x-amz-json-1.1", **(target if sign_target else {})})
        if sign:
            creds = Credentials(requester.credentials.access_key_id, requester.credentials.secret_access_key)
            SigV4Auth(creds, "mturk-requester", "us-east-1").add_auth(request)
        headers = dict(request.headers.items()) | target
        http_request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(http_request, timeout=30) as response:
                return RawResponse(response.status, dict(response.headers.items()),
                                   json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            return RawResponse(exc.code, dict(exc.headers.items()), json.loads(exc.read()))

    return raw_post
