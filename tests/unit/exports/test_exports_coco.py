"""COCO read back with pycocotools: image classification (single, multi-label, ordinal) and boxes,
image sizes from the stored files' headers, and the consensus value the ML formats choose."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import replace

import pytest
from PIL import Image
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

import exports


def load(path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        return COCO(str(path))


@pytest.mark.parametrize("variant", ["image_categorical", "image_multi_label", "image_ordinal", "boxes"])
def test_pycocotools_reads_images_categories_and_labels(batch, tmp_path, variant):
    sample = batch(variant)
    summary = exports.write(sample.consensus, "coco", tmp_path / "coco.json", meta=sample.meta)
    coco = load(summary.path)

    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == list(sample.meta.labels)
    assert len(coco.getImgIds()) == len(sample.consensus)
    for image_id, record in zip(sorted(coco.getImgIds()), sample.consensus, strict=True):
        image = coco.loadImgs(image_id)[0]
        assert image["hit_id"] == record.hit_id
        assert image["coco_url"] == record.item["image_url"]
        stored = sample.images[record.hit_id]
        assert (image["width"], image["height"]) == _png_size(stored)
        annotations = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
        names = [coco.cats[a["category_id"]]["name"] for a in annotations]
        if variant == "boxes":
            assert [[*a["bbox"], name] for a, name in zip(annotations, names, strict=True)] == record.value
            assert all(a["area"] == pytest.approx(a["bbox"][2] * a["bbox"][3]) for a in annotations)
        elif variant == "image_multi_label":
            assert names == record.value
        else:
            assert names == [record.value]


def test_cocoeval_scores_the_boxes_as_their_own_perfect_detections(batch, tmp_path):
    sample = batch("boxes", hits=10)
    exports.write(sample.consensus, "coco", tmp_path / "gt.json", meta=sample.meta)
    truth = load(tmp_path / "gt.json")
    detections = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0}
                  for a in truth.dataset["annotations"]]
    with contextlib.redirect_stdout(io.StringIO()):
        evaluation = COCOeval(truth, truth.loadRes(detections), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    assert evaluation.stats[0] == pytest.approx(1.0)


def test_reviewed_value_then_gold_then_consensus(batch, tmp_path):
    sample = batch("image_categorical", hits=3)
    reviewed, gold, plain = sample.consensus
    records = [replace(reviewed, value="circle", reviewed_value="neither"),
               replace(gold, value="circle", is_gold=True, gold="square"),
               replace(plain, value="circle", gold="square")]
    exports.write(records, "coco", tmp_path / "c.json", meta=sample.meta)
    coco = load(tmp_path / "c.json")
    assert [coco.cats[a["category_id"]]["name"] for a in coco.dataset["annotations"]] == ["neither", "square",
                                                                                          "circle"]


def test_hits_without_consensus_are_skipped_and_counted(batch, tmp_path):
    sample = batch("boxes", hits=4)
    records = [replace(r, value=None) if n == 1 else r for n, r in enumerate(sample.consensus)]
    summary = exports.write(records, "coco", tmp_path / "c.json", meta=sample.meta)
    assert (summary.records, summary.skipped) == (3, 1)
    assert sample.consensus[1].hit_id not in {i["hit_id"] for i in load(tmp_path / "c.json").dataset["images"]}


def test_image_not_stored_has_the_configured_size_or_none(batch, tmp_path):
    sample = batch("image_categorical", hits=2)
    unstored = replace(sample.meta, image_file=None)
    exports.write(sample.consensus, "coco", tmp_path / "a.json", meta=unstored)
    assert {(i["width"], i["height"]) for i in json.loads((tmp_path / "a.json").read_text())["images"]} == {
        (None, None)}
    exports.write(sample.consensus, "coco", tmp_path / "b.json", meta=replace(unstored, image_size=(640, 480)))
    assert {(i["width"], i["height"]) for i in json.loads((tmp_path / "b.json").read_text())["images"]} == {
        (640, 480)}


def test_split_files_give_one_coco_file_per_split(batch, tmp_path):
    sample = batch("boxes", hits=4)
    records = [replace(r, split=s) for r, s in zip(sample.consensus, ["train", "test", "train", "test"],
                                                   strict=True)]
    summary = exports.write(records, "coco", tmp_path / "boxes.json", meta=sample.meta, split_files=True)
    assert [p.name for p in summary.paths] == ["boxes.train.json", "boxes.test.json"]
    assert [len(load(p).getImgIds()) for p in summary.paths] == [2, 2]


def _png_size(path):
    with Image.open(path) as image:
        return image.size
