"""MTurk's two Masters qualification ids, as scripts hard-code them: both answer on both endpoints
(Mephisto takes any custom endpoint for production and sends the production id to the sandbox)."""

from __future__ import annotations

import pytest

from labelhub.models import Marketplace
from labelhub.services.eligibility import MASTERS_ID
from tests.mturk.conftest import hit_params


@pytest.mark.parametrize("endpoint", ["sandbox", "production"])
@pytest.mark.parametrize("named_as", [Marketplace.PRODUCTION, Marketplace.SANDBOX])
def test_get_qualification_type_answers_either_masters_id_on_either_endpoint(connect, factory, endpoint, named_as):
    client = connect(factory.requester(deposit="10.00"), endpoint)

    found = client.get_qualification_type(QualificationTypeId=MASTERS_ID[named_as])["QualificationType"]

    assert (found["QualificationTypeId"], found["Name"], found["QualificationTypeStatus"]) == \
        (MASTERS_ID[named_as], "Masters", "Active")


def test_a_hit_may_require_the_production_masters_id_in_the_sandbox(connect, factory):
    client = connect(factory.requester(deposit="10.00"), "sandbox")
    requirement = {"QualificationTypeId": MASTERS_ID[Marketplace.PRODUCTION], "Comparator": "Exists",
                   "ActionsGuarded": "Accept"}

    hit = client.create_hit(**hit_params(QualificationRequirements=[requirement]))["HIT"]

    assert hit["QualificationRequirements"][0]["QualificationTypeId"] == MASTERS_ID[Marketplace.PRODUCTION]
