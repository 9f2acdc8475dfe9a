"""COCO JSON for image batches: boxes as detection annotations, image classification as annotations with
a category and no box (one per label for multi-label).

The file is streamed: the ``images`` array is written as records arrive while the ``annotations``
array goes to a scratch file, appended once the last image is written. Categories are the batch's
labels, ids from 1 in the configuration's order. Each image carries its HIT id (``hit_id``), its URL
(``coco_url``) and, where the records have one, its ``split``; width and height come from the stored
file's header (null where the image is not stored and no size is given).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from annotators.base import AnswerShape
from exports.base import ExportError, Record, WriteContext, consensus_only
from exports.images import hit_image
from exports.rows import final_value, json_text


class JsonArrayWriter:
    """Elements of one JSON array written one at a time to an open text file, comma-separated."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self._first = True

    def add(self, element: Any) -> None:
        self._file.write(("\n" if self._first else ",\n") + json_text(element))
        self._first = False


class CocoWriter:
    def __init__(self, target: Path, context: WriteContext) -> None:
        self._meta = context.required_meta
        self._split = context.split_column
        self._category_ids = {label: n for n, label in enumerate(self._meta.labels, start=1)}
        self._file = context.resources.enter_context(context.files.claim(target).open("w", encoding="utf-8"))
        self._annotations_file = context.resources.enter_context(
            context.files.scratch(target).open("w+", encoding="utf-8"))
        self._images = JsonArrayWriter(self._file)
        self._annotations = JsonArrayWriter(self._annotations_file)
        self._image_id = self._annotation_id = 0
        info = {"description": f"LabelHub batch {self._meta.batch_name}", "contributor": "LabelHub",
                "version": self._meta.batch_id, "date_created": datetime.now(UTC).isoformat(timespec="seconds")}
        categories = [{"id": n, "name": label, "supercategory": ""} for label, n in self._category_ids.items()]
        self._file.write('{"info": ' + json_text(info) + ', "licenses": [], "categories": '
                         + json_text(categories) + ', "images": [')

    def write(self, record: Record) -> bool:
        record = consensus_only(record, "COCO")
        value = final_value(record)
        if value is None:
            return False
        image = hit_image(record, self._meta)
        self._image_id += 1
        entry: dict[str, Any] = {"id": self._image_id, "file_name": image.file_name, "width": image.width,
                                 "height": image.height, "coco_url": image.url, "hit_id": record.hit_id}
        if self._split:
            entry["split"] = record.split
        self._images.add(entry)
        for annotation in self._annotations_of(record.hit_id, value):
            self._annotation_id += 1
            self._annotations.add({"id": self._annotation_id, "image_id": self._image_id, **annotation})
        return True

    def finish(self) -> None:
        self._file.write('\n], "annotations": [')
        self._annotations_file.seek(0)
        shutil.copyfileobj(self._annotations_file, self._file)
        self._file.write("\n]}\n")

    def _annotations_of(self, hit_id: str, value: Any) -> list[dict[str, Any]]:
        if self._meta.shape is AnswerShape.BOXES:
            return [{"category_id": self._category(label, hit_id), "bbox": [x, y, w, h], "area": w * h,
                     "iscrowd": 0} for x, y, w, h, label in value]
        labels = value if self._meta.shape is AnswerShape.MULTI_LABEL else [value]
        return [{"category_id": self._category(label, hit_id)} for label in labels]

    def _category(self, label: str, hit_id: str) -> int:
        try:
            return self._category_ids[label]
        except KeyError:
            raise ExportError(f"HIT {hit_id}'s label {label!r} is not one of the batch's labels "
                              f"({', '.join(self._meta.labels)})") from None
