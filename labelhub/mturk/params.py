"""Typed access to an operation's JSON input members.

botocore checks required members, types and minimums on the client but not maximums, patterns or
enum values (mturk_api.md §1.2), so those wire-level constraints (§2.3) are checked here. Limits that
are marketplace rules (title length, durations, ...) belong to the services' commands, not here.
Every problem raises InvalidInputError naming the wire parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from labelhub.errors import InvalidInputError
from labelhub.money import parse_amount
from labelhub.mturk.errors import wire_field

ENTITY_ID = re.compile(r"^[A-Z0-9]{1,64}$")
CUSTOMER_ID = re.compile(r"^A[A-Z0-9]{1,63}$")


def _problem(name: str, problem: str) -> InvalidInputError:
    return InvalidInputError({name: problem})


def given(**members: Any) -> dict[str, Any]:
    """The keyword arguments that were given, so the services' own defaults apply to the rest."""
    return {name: value for name, value in members.items() if value is not None}


class Params:
    """One request's input members; ``prefix`` names nested members (``QualificationRequirements[0].``)."""

    def __init__(self, body: Mapping[str, Any], prefix: str = "") -> None:
        self._body, self._prefix = body, prefix

    def _name(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def present(self, name: str) -> bool:
        return name in self._body

    def _get(self, name: str, required: bool) -> Any:
        if self._body.get(name) is None:
            if required:
                raise _problem(self._name(name), "is required")
            return None
        return self._body[name]

    def string(self, name: str, *, required: bool = False, allow_empty: bool = False,
               pattern: re.Pattern[str] | None = None, what: str = "") -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _problem(self._name(name), "must be a string")
        if value == "" and not allow_empty:
            raise _problem(self._name(name), "must not be empty")
        if "\x00" in value:  # no database text column can store it
            raise _problem(self._name(name), "must not contain NUL characters")
        if pattern is not None and not pattern.match(value):
            raise _problem(self._name(name), f"{value!r} is not {what or 'valid'}")
        return value

    def required_string(self, name: str, *, allow_empty: bool = False) -> str:
        value = self.string(name, required=True, allow_empty=allow_empty)
        assert value is not None
        return value

    def entity_id(self, name: str) -> str:
        """A HITId, AssignmentId, HITTypeId, QualificationTypeId... (MTurk's EntityId)."""
        value = self.string(name, required=True, pattern=ENTITY_ID,
                            what="an id of 1-64 upper-case letters and digits")
        assert value is not None
        return value

    def optional_entity_id(self, name: str) -> str | None:
        return self.entity_id(name) if self._get(name, False) is not None else None

    def worker_id(self, name: str = "WorkerId") -> str:
        value = self.string(name, required=True, pattern=CUSTOMER_ID,
                            what="a worker id (A followed by upper-case letters and digits)")
        assert value is not None
        return value

    def integer(self, name: str, *, required: bool = False, default: int | None = None,
                low: int | None = None, high: int | None = None) -> int | None:
        value = self._get(name, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise _problem(self._name(name), "must be an integer")
        if (low is not None and value < low) or (high is not None and value > high):
            raise _problem(self._name(name), f"must be between {low} and {high}")
        return value

    def required_integer(self, name: str) -> int:
        value = self.integer(name, required=True)
        assert value is not None
        return value

    def boolean(self, name: str, *, required: bool = False, default: bool | None = None) -> bool | None:
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise _problem(self._name(name), "must be true or false")
        return value

    def enum(self, name: str, allowed: tuple[str, ...], *, required: bool = False) -> str | None:
        value = self.string(name, required=required)
        if value is not None and value not in allowed:
            raise _problem(self._name(name), f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def money(self, name: str) -> int:
        """A CurrencyAmount string such as "0.50", as integer micro-units."""
        value = self.string(name, required=True)
        try:
            return parse_amount(value or "")
        except ValueError as exc:
            raise _problem(self._name(name), str(exc)) from None

    def timestamp(self, name: str) -> datetime:
        """Epoch seconds, int or float, as botocore sends timestamps (a naive datetime means UTC)."""
        value = self._get(name, True)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _problem(self._name(name), "must be a timestamp in epoch seconds")
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise _problem(self._name(name), "is out of range") from None

    def items(self, name: str, *, max_items: int | None = None) -> list[Any]:
        value = self._get(name, False)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _problem(self._name(name), "must be a list")
        if max_items is not None and len(value) > max_items:
            raise _problem(self._name(name), f"must have at most {max_items} members")
        return value

    def structures(self, name: str, *, max_items: int | None = None) -> list[Params]:
        """A list of structures, each as Params whose problems name ``Name[i].Member``."""
        found = []
        for index, item in enumerate(self.items(name, max_items=max_items)):
            if not isinstance(item, dict):
                raise _problem(f"{self._name(name)}[{index}]", "must be a structure")
            found.append(Params(item, prefix=f"{self._name(name)}[{index}]."))
        return found

    def worker_ids(self, name: str) -> tuple[str, ...]:
        values = self.items(name)
        for index, value in enumerate(values):
            if not isinstance(value, str) or not CUSTOMER_ID.match(value):
                raise _problem(f"{self._name(name)}[{index}]", f"{value!r} is not a worker id")
        return tuple(values)

    def enum_list(self, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        values = self.items(name)
        for index, value in enumerate(values):
            if value not in allowed:
                raise _problem(f"{self._name(name)}[{index}]",
                               f"{value!r} is not one of {', '.join(allowed)}")
        return tuple(values)

    def rename(self, exc: InvalidInputError) -> InvalidInputError:
        """Re-raise a command's problems under this structure's prefix (``QualificationRequirements[2].``)."""
        renamed = {self._name(wire_field(field)): problem for field, problem in exc.fields.items()}
        return InvalidInputError(renamed, entity=exc.entity)

    def refuse(self, name: str, problem: str) -> InvalidInputError:
        return _problem(self._name(name), problem)
