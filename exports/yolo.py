"""YOLO (Ultralytics layout) for bounding boxes: a zip of ``labels/<hit id>.txt``, one line
``class x_center y_center width height`` per box (relative to the image, class ids from 0 in the
configuration's order), a ``data.yaml`` naming the classes and, on request, ``images/<hit id>.<ext>``.
Records with splits go to ``labels/<split>/`` and ``images/<split>/``, as ``data.yaml`` says.
"""

from __future__ import annotations

import json
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from exports.base import ExportError, Record, WriteContext, consensus_only, split_name
from exports.images import add_image, hit_image
from exports.rows import final_value

# data.yaml's keys for LabelHub's split names (Ultralytics says "val").
YAML_KEYS = {"train": "train", "validation": "val", "test": "test"}


class YoloWriter:
    def __init__(self, target: Path, context: WriteContext) -> None:
        self._meta = context.required_meta
        self._context = context
        self._class_ids = {label: n for n, label in enumerate(self._meta.labels)}
        self._zip = context.resources.enter_context(ZipFile(context.files.claim(target), "w", ZIP_DEFLATED))
        self._splits: dict[str, None] = {}

    def write(self, record: Record) -> bool:
        record = consensus_only(record, "YOLO")
        boxes = final_value(record)
        if boxes is None:
            return False
        image = hit_image(record, self._meta)
        width, height = image.size("YOLO", record.hit_id)
        folder = ""
        if self._context.has_splits:
            folder = split_name(record) + "/"
            self._splits.setdefault(split_name(record))
        lines = [f"{self._class_id(label, record.hit_id)} {(x + w / 2) / width:.6f} {(y + h / 2) / height:.6f} "
                 f"{w / width:.6f} {h / height:.6f}\n" for x, y, w, h, label in boxes]
        self._zip.writestr(f"labels/{folder}{image.stem}.txt", "".join(lines))
        if self._context.include_images:
            add_image(self._zip, f"images/{folder}{image.file_name}", image, record.hit_id)
        return True

    def finish(self) -> None:
        self._zip.writestr("data.yaml", data_yaml(self._meta.batch_name, self._meta.labels, list(self._splits)))

    def _class_id(self, label: str, hit_id: str) -> int:
        try:
            return self._class_ids[label]
        except KeyError:
            raise ExportError(f"HIT {hit_id}'s box label {label!r} is not one of the batch's labels "
                              f"({', '.join(self._meta.labels)})") from None


def data_yaml(batch_name: str, labels: tuple[str, ...], splits: list[str]) -> str:
    """Ultralytics' dataset file. Strings are written as JSON strings, which YAML reads as
    double-quoted scalars, so no label can break the file."""
    folders = {YAML_KEYS.get(split, split): f"images/{split}" for split in splits} or {"train": "images"}
    folders.setdefault("val", folders.get("train", next(iter(folders.values()))))
    lines = [f"# YOLO dataset exported by LabelHub from batch {json.dumps(batch_name, ensure_ascii=False)}",
             "path: .", *(f"{key}: {json.dumps(folder)}" for key, folder in folders.items()),
             f"nc: {len(labels)}", "names:",
             *(f"  {n}: {json.dumps(label, ensure_ascii=False)}" for n, label in enumerate(labels))]
    return "\n".join(lines) + "\n"
