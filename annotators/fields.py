"""Checked readers for requester configurations, shared by the task types.

A ``Settings`` reader takes a raw mapping and reads it key by key, collecting every problem (named by
its dotted path) instead of stopping at the first, so a requester sees all mistakes at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from annotators.base import AnswerError

MAX_LABELS = 50
MAX_LABEL_LENGTH = 100
MAX_INSTRUCTIONS_LENGTH = 10_000
MAX_PROMPT_LENGTH = 2_000
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
# Control characters other than tab and newline; PostgreSQL's JSONB cannot even store U+0000.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def normalize_text(value: str) -> str | None:
    """Newlines as ``\\n`` and no surrounding white space; None when it holds control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return None if _CONTROL.search(value) else value


class Settings:
    """Reads one configuration object; unknown keys are reported so typos do not pass silently."""

    def __init__(self, raw: object, *, known: Iterable[str], path: str = "",
                 problems: dict[str, str] | None = None) -> None:
        self.path = path
        self.problems = {} if problems is None else problems
        self.raw: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        if not isinstance(raw, Mapping):
            self.problems[path or "config"] = "must be a JSON object"
        known = set(known)
        for key in self.raw:
            if key not in known:
                self.problems[self.at(str(key))] = "is not a known setting"

    def at(self, key: str | int) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def fail(self, key: str | int, message: str) -> None:
        self.problems.setdefault(self.at(key), message)

    def has(self, key: str) -> bool:
        return key in self.raw and self.raw[key] is not None

    def text(self, key: str, *, default: str | None = None, required: bool = False,
             max_length: int = MAX_PROMPT_LENGTH) -> str | None:
        """A string, trimmed, newlines normalized; empty counts as absent."""
        value = self.raw.get(key)
        if value is not None and not isinstance(value, str):
            self.fail(key, "must be a string")
            return default
        cleaned = normalize_text(value) if value is not None else ""
        if cleaned is None:
            self.fail(key, "must not contain control characters")
            return default
        if not cleaned:
            if required:
                self.fail(key, "is required")
            return default
        if len(cleaned) > max_length:
            self.fail(key, f"must be at most {max_length} characters long")
        return cleaned

    def instructions(self) -> str:
        return self.text("instructions", default="", max_length=MAX_INSTRUCTIONS_LENGTH) or ""

    def integer(self, key: str, *, default: int, minimum: int, maximum: int) -> int:
        value = self.raw.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, "must be a whole number")
            return default
        if not minimum <= value <= maximum:
            self.fail(key, f"must be between {minimum} and {maximum}")
            return default
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, "must be true or false")
            return default
        return value

    def choice(self, key: str, options: tuple[str, ...], *, default: str) -> str:
        value = self.raw.get(key)
        if value is None:
            return default
        if value not in options:
            self.fail(key, f"must be one of: {', '.join(options)}")
            return default
        return str(value)

    def field_name(self, key: str, *, default: str | None) -> str | None:
        """The name of an item (data row) column."""
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or not _FIELD_NAME.match(value):
            self.fail(key, "must be a column name: letters, digits, _ . - (at most 64)")
            return default
        return value

    def labels(self, key: str = "labels", *, min_count: int = 2, max_count: int = MAX_LABELS) -> list[str]:
        """A list of distinct, non-empty label strings, in the requester's order."""
        value = self.raw.get(key)
        if not isinstance(value, list):
            self.fail(key, "is required: a list of labels" if value is None else "must be a list of strings")
            return []
        labels: list[str] = []
        for i, label in enumerate(value):
            if not isinstance(label, str) or not label.strip() or "\n" in label.strip():
                self.fail(f"{key}.{i}", "must be a non-empty string on one line")
            elif normalize_text(label) is None:
                self.fail(f"{key}.{i}", "must not contain control characters")
            elif len(label.strip()) > MAX_LABEL_LENGTH:
                self.fail(f"{key}.{i}", f"must be at most {MAX_LABEL_LENGTH} characters long")
            elif label.strip() in labels:
                self.fail(f"{key}.{i}", f"repeats the label {label.strip()!r}")
            else:
                labels.append(label.strip())
        if not min_count <= len(value) <= max_count:
            self.fail(key, f"must have between {min_count} and {max_count} labels")
        return labels

    def nested(self, raw: object, index: str | int, *, known: Iterable[str]) -> Settings:
        """A reader for a nested object; its problems join this reader's."""
        return Settings(raw, known=known, path=self.at(index), problems=self.problems)

    def check(self) -> None:
        if self.problems:
            raise AnswerError(self.problems)

