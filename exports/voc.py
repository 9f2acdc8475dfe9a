"""Pascal VOC for bounding boxes: a zip of ``Annotations/<hit id>.xml`` (one ``object`` per box, corners
in pixels as LabelHub stores them: 0-based, to 0.01), ``ImageSets/Main/<split>.txt`` listing the image
ids of each split (``trainval.txt``: train and validation, or every image when there are no splits)
and, on request, the images under ``JPEGImages/`` (in their own format, whatever the folder's name).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree as ET
from zipfile import ZIP_DEFLATED, ZipFile

from exports.base import Record, WriteContext, consensus_only, split_name
from exports.images import HITImage, add_image, hit_image
from exports.records import ExportMeta
from exports.rows import final_value

# ImageSets/Main's file names for LabelHub's split names.
IMAGE_SET_NAMES = {"validation": "val"}
TRAINVAL = "trainval"
XML_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"


class VocWriter:
    def __init__(self, target: Path, context: WriteContext) -> None:
        self._meta = context.required_meta
        self._context = context
        self._target = target
        self._zip = context.resources.enter_context(ZipFile(context.files.claim(target), "w", ZIP_DEFLATED))
        self._image_sets: dict[str, IO[bytes]] = {}  # set name -> scratch file of image ids

    def write(self, record: Record) -> bool:
        record = consensus_only(record, "Pascal VOC")
        boxes = final_value(record)
        if boxes is None:
            return False
        image = hit_image(record, self._meta)
        image.size("Pascal VOC", record.hit_id)
        # tostring's own encoder is several times slower than serialising to text and encoding once
        xml = XML_DECLARATION + ET.tostring(annotation_xml(self._meta, image, boxes), encoding="unicode")
        self._zip.writestr(f"Annotations/{image.stem}.xml", xml.encode("utf-8"))
        if self._context.include_images:
            add_image(self._zip, f"JPEGImages/{image.file_name}", image, record.hit_id)
        image_set = split_name(record) if self._context.has_splits else TRAINVAL
        self._image_set(IMAGE_SET_NAMES.get(image_set, image_set)).write(image.stem.encode() + b"\n")
        return True

    def finish(self) -> None:
        sets = self._image_sets
        if TRAINVAL not in sets and {"train", "val"} & sets.keys():
            sets[TRAINVAL] = self._scratch()
            for name in ("train", "val"):
                if name in sets:
                    sets[name].seek(0)
                    shutil.copyfileobj(sets[name], sets[TRAINVAL])
        for name, file in sets.items():
            file.seek(0)
            with self._zip.open(f"ImageSets/Main/{name}.txt", "w") as member:
                shutil.copyfileobj(file, member)

    def _image_set(self, name: str) -> IO[bytes]:
        if name not in self._image_sets:
            self._image_sets[name] = self._scratch()
        return self._image_sets[name]

    def _scratch(self) -> IO[bytes]:
        path = self._context.files.scratch(self._target)
        return self._context.resources.enter_context(path.open("w+b"))


def annotation_xml(meta: ExportMeta, image: HITImage, boxes: list[list[Any]]) -> ET.Element:
    root = ET.Element("annotation")
    _text(root, "folder", "JPEGImages")
    _text(root, "filename", image.file_name)
    source = ET.SubElement(root, "source")
    _text(source, "database", "LabelHub")
    _text(source, "annotation", meta.batch_name)
    size = ET.SubElement(root, "size")
    for name, value in (("width", image.width), ("height", image.height), ("depth", image.depth or 3)):
        _text(size, name, str(value))
    _text(root, "segmented", "0")
    for x, y, w, h, label in boxes:
        box = ET.SubElement(root, "object")
        _text(box, "name", str(label))
        _text(box, "pose", "Unspecified")
        _text(box, "truncated", "0")
        _text(box, "difficult", "0")
        corners = ET.SubElement(box, "bndbox")
        for name, value in (("xmin", x), ("ymin", y), ("xmax", x + w), ("ymax", y + h)):
            _text(corners, name, _pixels(value))
    ET.indent(root)
    return root


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def _pixels(value: float) -> str:
    rounded = round(float(value), 2)
    return str(int(rounded)) if rounded.is_integer() else str(rounded)
