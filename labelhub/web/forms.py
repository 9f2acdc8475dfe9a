"""Reading the pages' forms and query strings into the values the services take, with errors that
name the field as the form calls it. Shape only: every rule that needs the database is the services'.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from labelhub import client_json
from labelhub.errors import InvalidInputError
from labelhub.models import Marketplace
from labelhub.money import parse_amount
from labelhub.question_xml import rendering
from labelhub.services.commands import Locale
from labelhub.services.worker_pages import MarketplaceQuery

MAX_JSON_FIELD = 512 * 1024
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,10}")


def whole_number(form: Mapping[str, str], name: str, *, default: str = "", label: str | None = None,
                 signed: bool = False) -> int:
    """The whole number typed into ``name`` (``default`` when left empty); negative ones only when
    ``signed``. Raises InvalidInputError naming the field (or ``label``)."""
    text = form.get(name, "").strip() or default
    if not WHOLE_NUMBER.fullmatch(text) or (text.startswith("-") and not signed):
        raise InvalidInputError({label or name: "must be a whole number" if signed else
                                 "must be a whole number (0 or more)"})
    return int(text)


def marketplace(value: str) -> Marketplace:
    try:
        return Marketplace(value)
    except ValueError:
        raise InvalidInputError({"marketplace": "must be production or sandbox"}) from None


def _page_number(text: str) -> int:
    if not text:
        return 1
    if not text.isdigit() or len(text) > 6:
        raise InvalidInputError({"page": "must be a page number such as 2"})
    return int(text)


def marketplace_query(args: Mapping[str, str]) -> MarketplaceQuery:
    """The marketplace list's query string: q, sort, min_reward (an amount such as 0.10), requester,
    qualified (1 or absent) and page."""
    min_reward = args.get("min_reward", "").strip()
    try:
        min_reward_micros = parse_amount(min_reward) if min_reward else 0
    except ValueError:
        raise InvalidInputError({"min_reward": "must be an amount such as 0.10"}) from None
    return MarketplaceQuery(search=args.get("q", "").strip(), sort=args.get("sort") or "newest",
                            min_reward_micros=min_reward_micros, requester=args.get("requester", "").strip(),
                            qualified_only=args.get("qualified") == "1",
                            page=_page_number(args.get("page", "")))


def json_object(form: Mapping[str, str], name: str, *, required: bool) -> dict[str, Any] | None:
    """A hidden (or typed) field holding a JSON object: the annotator's answer or the page's signals."""
    text = form.get(name, "")
    if not text.strip():
        if required:
            raise InvalidInputError({name: "is missing: answer the task before submitting"})
        return None
    if len(text) > MAX_JSON_FIELD:
        raise InvalidInputError({name: f"is longer than {MAX_JSON_FIELD:,} characters"})
    try:
        value = client_json.loads(text)
    except client_json.UnreadableJSON as exc:
        raise InvalidInputError({name: str(exc)}) from None
    for _, problem in client_json.problems(value, root=name):
        raise InvalidInputError({name: problem})
    if not isinstance(value, dict):
        raise InvalidInputError({name: "must be a JSON object such as {\"label\": \"cat\"}"})
    return value


def test_answers(question: rendering.Question | None, form: MultiDict[str, str]) -> dict[str, Any]:
    """A qualification test's answers by question id: a QuestionForm's fields (selections as lists),
    or the JSON object typed into the page when the test is not a QuestionForm."""
    if question is None or question.kind != "form":
        return json_object(form, "answers", required=True) or {}
    fields = [(name, values) for name, values in form.lists() if name != "csrf_token"]
    return rendering.answer_from_form(question, fields)


@dataclass
class SignUp:
    name: str
    password: str
    confirm: str
    country: str
    adult: bool
    values: dict[str, str] = field(default_factory=dict)  # what to show again if the form is refused

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> SignUp:
        name, country = form.get("name", "").strip(), form.get("country", "").strip().upper()
        adult = form.get("adult") == "1"
        return cls(name=name, password=form.get("password", ""), confirm=form.get("confirm", ""),
                   country=country, adult=adult,
                   values={"name": name, "country": country, "adult": "1" if adult else ""})

    def check(self) -> None:
        if self.password != self.confirm:
            raise InvalidInputError({"confirm": "does not match the password"})

    def locale(self) -> Locale | None:
        return Locale(self.country) if self.country else None
