"""YOLO and Pascal VOC zips read back with globox, converted to COCO and compared with LabelHub's own
COCO export of the same records; data.yaml read with PyYAML; splits as folders and image sets."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace

import pytest
import yaml
from globox import AnnotationSet

import exports

SPLITS = ["train", "train", "validation", "test", "train", "validation"]


def boxes_by_image(coco: dict) -> dict[str, tuple[tuple[int, int], list[tuple]]]:
    """file name -> (image size, sorted (label, x, y, w, h)), from any COCO dictionary."""
    names = {c["id"]: c["name"] for c in coco["categories"]}
    found = {i["id"]: (i["file_name"], (i["width"], i["height"]), []) for i in coco["images"]}
    for a in coco["annotations"]:
        found[a["image_id"]][2].append((names[a["category_id"]], *a["bbox"]))
    return {name: (size, sorted(boxes)) for name, size, boxes in found.values()}


def assert_same_boxes(ours: dict, theirs: dict, *, tolerance: float) -> None:
    assert ours.keys() == theirs.keys()
    for name, (size, boxes) in ours.items():
        assert theirs[name][0] == size
        assert len(theirs[name][1]) == len(boxes)
        for mine, read in zip(boxes, theirs[name][1], strict=True):
            assert read[0] == mine[0]
            assert read[1:] == pytest.approx(mine[1:], abs=tolerance)


@pytest.fixture
def boxes_batch(batch):
    sample = batch("boxes", hits=8)
    assert any(r.value == [] for r in sample.consensus)  # an image with no box is part of the test
    return sample


@pytest.fixture
def coco_truth(boxes_batch, tmp_path):
    exports.write(boxes_batch.consensus, "coco", tmp_path / "truth.json", meta=boxes_batch.meta)
    return boxes_by_image(json.loads((tmp_path / "truth.json").read_text()))


def test_globox_reads_yolo_as_the_same_boxes(boxes_batch, coco_truth, tmp_path):
    summary = exports.write(boxes_batch.consensus, "yolo", tmp_path / "yolo.zip", meta=boxes_batch.meta,
                            include_images=True)
    with zipfile.ZipFile(summary.path) as archive:
        archive.extractall(tmp_path / "yolo")
    data = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())
    assert data["names"] == dict(enumerate(boxes_batch.meta.labels))
    assert data["nc"] == 2
    assert (data["train"], data["val"]) == ("images", "images")

    annotations = AnnotationSet.from_yolo_v5(tmp_path / "yolo" / "labels", image_folder=tmp_path / "yolo" / "images",
                                             image_extension=".png")
    annotations = annotations.map_labels({str(n): name for n, name in data["names"].items()})
    read = annotations.to_coco(label_to_id={name: n for n, name in data["names"].items()},
                               imageid_to_id={a.image_id: n for n, a in enumerate(annotations)})
    # YOLO keeps six decimals of the image's size: under a thousandth of a pixel on these images
    assert_same_boxes(coco_truth, boxes_by_image(read), tolerance=1e-3)


def test_globox_reads_voc_as_the_same_boxes(boxes_batch, coco_truth, tmp_path):
    summary = exports.write(boxes_batch.consensus, "voc", tmp_path / "voc.zip", meta=boxes_batch.meta)
    with zipfile.ZipFile(summary.path) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "voc")
    assert not any(name.startswith("JPEGImages/") for name in names)  # images only when asked for
    annotations = AnnotationSet.from_pascal_voc(tmp_path / "voc" / "Annotations")
    labels = boxes_batch.meta.labels
    read = annotations.to_coco(label_to_id={name: n for n, name in enumerate(labels)},
                               imageid_to_id={a.image_id: n for n, a in enumerate(annotations)})
    assert_same_boxes(coco_truth, boxes_by_image(read), tolerance=1e-9)
    trainval = (tmp_path / "voc" / "ImageSets" / "Main" / "trainval.txt").read_text().split()
    assert sorted(trainval) == sorted(r.hit_id for r in boxes_batch.consensus)


def test_yolo_splits_are_folders_named_in_data_yaml(boxes_batch, tmp_path):
    records = [replace(r, split=s) for r, s in zip(boxes_batch.consensus, SPLITS + ["test", "test"], strict=True)]
    exports.write(records, "yolo", tmp_path / "yolo.zip", meta=boxes_batch.meta, include_images=True)
    with zipfile.ZipFile(tmp_path / "yolo.zip") as archive:
        names = set(archive.namelist())
        data = yaml.safe_load(archive.read("data.yaml"))
    assert {data["train"], data["val"], data["test"]} == {"images/train", "images/validation", "images/test"}
    for record in records:
        assert f"labels/{record.split}/{record.hit_id}.txt" in names
        assert f"images/{record.split}/{record.hit_id}.png" in names


def test_voc_image_sets_follow_the_splits(boxes_batch, tmp_path):
    records = [replace(r, split=s) for r, s in zip(boxes_batch.consensus, SPLITS + ["test", "test"], strict=True)]
    exports.write(records, "voc", tmp_path / "voc.zip", meta=boxes_batch.meta, include_images=True)
    with zipfile.ZipFile(tmp_path / "voc.zip") as archive:
        sets = {name.rsplit("/", 1)[1]: archive.read(name).decode().split()
                for name in archive.namelist() if name.startswith("ImageSets/Main/")}
        images = {name for name in archive.namelist() if name.startswith("JPEGImages/")}
    by_split = {split: [r.hit_id for r in records if r.split == split] for split in ("train", "validation", "test")}
    assert sets == {"train.txt": by_split["train"], "val.txt": by_split["validation"], "test.txt": by_split["test"],
                    "trainval.txt": by_split["train"] + by_split["validation"]}
    assert images == {f"JPEGImages/{r.hit_id}.png" for r in records}


def test_box_formats_refuse_an_image_of_unknown_size(boxes_batch, tmp_path):
    unstored = replace(boxes_batch.meta, image_file=None)
    for format_name in ("yolo", "voc"):
        with pytest.raises(exports.ExportError, match="needs each image's width and height"):
            exports.write(boxes_batch.consensus, format_name, tmp_path / f"{format_name}.zip", meta=unstored)
    assert list(tmp_path.iterdir()) == [tmp_path / "stored-images"]


def test_size_columns_stand_in_for_a_missing_image(boxes_batch, tmp_path):
    records = [replace(r, item={**r.item, "image_width": "800", "image_height": 600}) for r in boxes_batch.consensus]
    exports.write(records, "yolo", tmp_path / "yolo.zip", meta=replace(boxes_batch.meta, image_file=None))
    with zipfile.ZipFile(tmp_path / "yolo.zip") as archive:
        record = next(r for r in records if r.value)
        x, y, w, h, _ = record.value[0]
        line = archive.read(f"labels/{record.hit_id}.txt").decode().splitlines()[0].split()
    assert [float(v) for v in line[1:]] == pytest.approx([(x + w / 2) / 800, (y + h / 2) / 600, w / 800, h / 600],
                                                         abs=1e-6)


def test_including_images_that_are_not_stored_is_refused(boxes_batch, tmp_path):
    meta = replace(boxes_batch.meta, image_file=None, image_size=(100, 100))
    with pytest.raises(exports.ExportError, match="not stored here, so it cannot be included"):
        exports.write(boxes_batch.consensus, "voc", tmp_path / "voc.zip", meta=meta, include_images=True)
    assert not (tmp_path / "voc.zip").exists()
