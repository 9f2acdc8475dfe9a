"""Money operations: the account balance and bonuses."""

from __future__ import annotations

from typing import Any

from labelhub.mturk import pages, shapes
from labelhub.mturk.errors import TurkError
from labelhub.mturk.params import Params
from labelhub.runtime import Runtime
from labelhub.services import payments
from labelhub.services.actors import Actor
from labelhub.services.commands import SendBonus


def get_account_balance(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    return shapes.balance(payments.balance(rt, actor))


def send_bonus(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    cmd = SendBonus(worker_id=p.worker_id(), assignment_id=p.entity_id("AssignmentId"),
                    amount_micros=p.money("BonusAmount"), reason=p.required_string("Reason"),
                    unique_request_token=p.string("UniqueRequestToken"))
    created = payments.send_bonus(rt, actor, cmd)
    if created.replayed:  # as MTurk: a repeated UniqueRequestToken is an error, and nothing is paid twice
        raise TurkError("AWS.MechanicalTurk.DuplicateRequest",
                        f"The bonus request with UniqueRequestToken {cmd.unique_request_token} was already "
                        f"processed (bonus {created.value.public_id}); no second bonus was paid.")
    return {}


def list_bonus_payments(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    hit_id, assignment_id = p.optional_entity_id("HITId"), p.optional_entity_id("AssignmentId")
    return pages.paged(p, "ListBonusPayments", "BonusPayments", lambda cursor, limit: payments.list_bonuses(
        rt, actor, hit_id=hit_id, assignment_id=assignment_id, cursor=cursor, limit=limit),
        shapes.bonus_payment)
