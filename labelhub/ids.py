"""Public identifiers in MTurk's style: 30 upper-case alphanumerics, worker ids 'A' + 13."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_uppercase + string.digits


def new_id(length: int = 30) -> str:
    """``length`` characters drawn uniformly from ALPHABET: the base-36 digits of one random number
    (a seventh of the cost of a draw per character, which bulk inserts of HITs notice)."""
    number = secrets.randbelow(len(ALPHABET) ** length)
    digits = []
    for _ in range(length):
        number, digit = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(digits)


def new_worker_id() -> str:
    return "A" + new_id(13)


def new_requester_id() -> str:
    return "A" + new_id(13)


def new_access_key_id() -> str:
    return "AKIA" + new_id(16)


def new_secret() -> str:
    return secrets.token_urlsafe(30)
