"""What an export is asked for, validated once for every adapter (the CLI, the REST API): a format,
the record kind, the filters and the splits. Raises InvalidInputError naming each bad field."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import exports
from labelhub.errors import InvalidInputError

RECORDS = ("consensus", "answers")
STATUSES = ("submitted", "approved")
GOLD = ("include", "exclude", "only")
SPLITS = ("train", "validation", "test")
MAX_SEED = 2**32 - 1
FORMATS: tuple[str, ...] = tuple(exports.FORMATS)
MAX_SPLIT_SIZE = 100  # relative sizes: 0.8, 0.1, 0.1 or 80, 10, 10
IMAGE_FORMATS = ("yolo", "voc")  # the formats that can carry the stored images in their zip


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class ExportFilters:
    """Which records an export keeps, and their splits. Raises InvalidInputError naming each bad field.

    ``status``: ``submitted`` (every submitted answer, rejected ones too, each with its status) or
    ``approved`` (approved answers; for consensus records, HITs whose counted answers are all approved).
    ``min_confidence``: HITs whose consensus confidence is at least this (gold HITs have a known answer
    and always pass). ``exclude_llm_flagged``: leave out answers flagged as LLM-written (band high);
    for consensus records, HITs whose consensus counted such an answer. ``gold``: include, exclude or
    only gold HITs. ``split``: the relative sizes of train, validation and test (8, 1, 1 or 0.8, 0.1,
    0.1), stratified by label and seeded by ``seed``; ``split_files``: one file per split instead of a
    ``split`` column. ``include_images``: copy the stored images into the zip (IMAGE_FORMATS only)."""

    status: str = "submitted"
    min_confidence: float | None = None
    exclude_llm_flagged: bool = False
    gold: str = "include"
    split: tuple[float, float, float] | None = None
    seed: int = 0
    split_files: bool = False
    include_images: bool = False

    def __post_init__(self) -> None:
        problems: dict[str, str] = {name: "must be true or false" for name in (
            "exclude_llm_flagged", "split_files", "include_images") if not isinstance(getattr(self, name), bool)}
        if self.status not in STATUSES:
            problems["status"] = "must be submitted (every submitted answer) or approved (approved answers only)"
        if self.min_confidence is not None and not (_is_number(self.min_confidence)
                                                    and 0 <= self.min_confidence <= 1):
            problems["min_confidence"] = "must be a number from 0 to 1"
        if self.gold not in GOLD:
            problems["gold"] = "must be include, exclude or only"
        if self.split is not None and not _valid_split(self.split):
            problems["split"] = "give the relative sizes of train, validation and test: three numbers from 0 " \
                                f"to {MAX_SPLIT_SIZE}, at least one above 0 (e.g. 0.8,0.1,0.1)"
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or not 0 <= self.seed <= MAX_SEED:
            problems["seed"] = f"must be an integer from 0 to {MAX_SEED}"
        if self.split_files is True and self.split is None:
            problems["split_files"] = "needs split (the sizes of train, validation and test)"
        if problems:
            raise InvalidInputError(problems, entity="export")

    def ratios(self) -> tuple[float, float, float] | None:
        """The split's shares of train, validation and test, adding up to 1."""
        if self.split is None:
            return None
        total = float(sum(self.split))
        train, validation, test = (float(size) / total for size in self.split)
        return train, validation, test

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"split": None if self.split is None else list(self.split)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ExportFilters:
        split = raw.get("split")
        return cls(**(raw | {"split": None if split is None else tuple(split)}))


def _valid_split(split: Any) -> bool:
    return (isinstance(split, tuple) and len(split) == len(SPLITS)
            and all(_is_number(s) and 0 <= s <= MAX_SPLIT_SIZE for s in split) and sum(split) > 0)


@dataclass(frozen=True)
class ExportRequest:
    """What to export: a format (one of ``exports.FORMATS``), answer records instead of consensus
    records, and the filters. Raises InvalidInputError for an unknown format."""

    format: str
    answers: bool = False
    filters: ExportFilters = field(default_factory=ExportFilters)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise InvalidInputError({"format": f"{str(self.format)[:40]!r} is not a format; formats: "
                                               f"{', '.join(FORMATS)}"}, entity="export")
        if self.filters.include_images and self.format not in IMAGE_FORMATS:
            raise InvalidInputError({"include_images": f"only {' and '.join(IMAGE_FORMATS)} carry the images; "
                                                       f"{self.format} refers to them by URL"}, entity="export")

    @property
    def records(self) -> str:
        return "answers" if self.answers else "consensus"
