"""The wire protocol with boto3 itself: SigV4, request ids, errors in AWS's shape, marketplaces."""

from __future__ import annotations

import pytest

from labelhub.mturk.sigv4 import MISMATCH
from labelhub.services import payments
from tests.mturk.conftest import fails, hit_params


def test_get_account_balance_answers_boto3_with_a_request_id(factory, connect):
    client = connect(factory.requester())

    response = client.get_account_balance()

    assert (response["AvailableBalance"], response["OnHoldBalance"]) == ("10000.00", "0.00")
    assert len(response["ResponseMetadata"]["RequestId"]) == 36
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"


def test_sigv4_signed_with_another_requesters_secret_is_refused(factory, connect):
    alice, mallory = factory.requester(), factory.requester()
    client = connect(alice, secret=mallory.credentials.secret_access_key)

    failed = fails(client.get_account_balance)

    assert (failed.status, failed.code, failed.message) == (400, "InvalidSignatureException", MISMATCH)
    assert failed.request_id


def test_sigv4_unknown_access_key_is_refused(factory, connect):
    client = connect(factory.requester(), access_key_id="AKIAUNKNOWNUNKNOWN00")

    failed = fails(client.get_account_balance)

    assert failed.code == "UnrecognizedClientException"
    assert failed.message == "The security token included in the request is invalid."


@pytest.mark.parametrize(("minutes", "text"), [(16, "Signature expired"), (-16, "Signature not yet current")])
def test_sigv4_date_more_than_15_minutes_off_is_refused(factory, connect, clock, minutes, text):
    client = connect(factory.requester())
    clock.advance(minutes=minutes)  # the server's clock moves; boto3 still signs with the real time

    failed = fails(client.get_account_balance)

    assert failed.code == "InvalidSignatureException"
    assert failed.message.startswith(text)


def test_sigv4_date_within_15_minutes_is_accepted(factory, connect, clock):
    client = connect(factory.requester())
    clock.advance(minutes=14)

    assert client.get_account_balance()["AvailableBalance"] == "10000.00"


def test_unsigned_request_is_refused_with_a_request_id(factory, raw_post):
    response = raw_post(factory.requester(), "GetAccountBalance", {}, sign=False)

    assert response.status == 400
    assert response.body["__type"] == "MissingAuthenticationTokenException"
    assert response.headers["x-amzn-RequestId"]


def test_target_header_outside_the_signature_is_refused(factory, raw_post):
    """Otherwise a captured GetHIT signature could be replayed as DeleteHIT with the same body."""
    response = raw_post(factory.requester(), "GetAccountBalance", {}, sign_target=False)

    assert response.status == 400
    assert response.body["__type"] == "InvalidSignatureException"
    assert "x-amz-target" in response.body["Message"]


def test_operation_not_offered_is_unknown_operation(factory, raw_post):
    response = raw_post(factory.requester(), "NoSuchOperation", {})

    assert response.status == 400
    assert response.body["__type"].endswith("UnknownOperationException")
    assert "NoSuchOperation" in str(response.body)


@pytest.mark.parametrize("body", [b"[1, 2]", b"{not json", b"[" * 100_000 + b"]" * 100_000])
def test_body_that_is_not_a_json_object_is_request_error(factory, raw_post, body):
    response = raw_post(factory.requester(), "GetAccountBalance", body)

    assert response.status == 400
    assert response.body["__type"] == "RequestError"
    assert response.body["TurkErrorCode"] == "AWS.ParameterOutOfRange"
    assert response.body["Message"].startswith("The request body must be a JSON object")


def test_request_error_message_ends_with_epoch_milliseconds(factory, connect, clock):
    client = connect(factory.requester())

    failed = fails(client.get_hit, HITId="3PR3LXCWSFNV4OJWZBHIMQOIJVSX9G")

    assert failed.code == "RequestError"
    assert failed.turk_code == "AWS.MechanicalTurk.HITDoesNotExist"
    stamp = int(clock.now.timestamp() * 1000)
    assert failed.message == f"Hit 3PR3LXCWSFNV4OJWZBHIMQOIJVSX9G does not exist. ({stamp})"


@pytest.mark.parametrize(("call", "kwargs", "field"), [
    ("list_hits", {"MaxResults": 1000}, "MaxResults"),
    ("get_hit", {"HITId": "3pr3lxcwsfnv4ojwzbhimqoijvsx9g"}, "HITId"),
    ("list_hits", {"NextToken": "not-a-token"}, "NextToken"),
    ("create_worker_block", {"WorkerId": "B123", "Reason": "spam"}, "WorkerId"),
    ("list_reviewable_hits", {"Status": "Assignable"}, "Status"),
    ("create_worker_block", {"WorkerId": "A1234567890123", "Reason": "nul\x00byte"}, "Reason"),
])
def test_limits_patterns_and_enums_botocore_leaves_to_the_server_are_checked(factory, connect, call, kwargs,
                                                                              field):
    client = connect(factory.requester())

    failed = fails(getattr(client, call), **kwargs)

    assert (failed.code, failed.turk_code) == ("RequestError", "AWS.ParameterOutOfRange")
    assert f"{field}:" in failed.message


def test_sandbox_and_production_never_see_each_other(factory, connect):
    requester = factory.requester(deposit="100.00")
    sandbox, production = connect(requester, "sandbox"), connect(requester, "production")

    hit_id = sandbox.create_hit(**hit_params())["HIT"]["HITId"]

    assert fails(production.get_hit, HITId=hit_id).turk_code == "AWS.MechanicalTurk.HITDoesNotExist"
    assert production.list_hits()["HITs"] == []
    assert [h["HITId"] for h in sandbox.list_hits()["HITs"]] == [hit_id]
    assert production.get_account_balance()["AvailableBalance"] == "100.00"
    assert sandbox.get_account_balance()["OnHoldBalance"] == "1.80"


def test_internal_fault_is_a_500_service_fault(factory, connect, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the ledger is on fire")

    monkeypatch.setattr(payments, "balance", broken)
    client = connect(factory.requester())

    failed = fails(client.get_account_balance)

    assert (failed.status, failed.code) == (500, "ServiceFault")
    assert failed.turk_code == "AWS.MechanicalTurk.ServiceFault"
    assert "on fire" not in failed.message
