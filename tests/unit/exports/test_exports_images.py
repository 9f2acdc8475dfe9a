"""Image sizes come from the stored file's header, never from decoding it, whatever its size claims."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zipfile
import zlib
from dataclasses import replace

import pytest
from PIL import Image

import exports
from annotators import AnswerShape
from exports import ConsensusRecord, ExportMeta
from exports.images import hit_image, read_header, safe_stem


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` RGB pixels and holds one tiny IDAT chunk: decoding
    it would need width * height * 3 bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize(("suffix", "mode", "bands"), [
    ("png", "RGBA", 4), ("jpg", "RGB", 3), ("gif", "P", 1), ("webp", "RGB", 3), ("png", "L", 1),
])
def test_header_gives_width_height_and_bands(tmp_path, suffix, mode, bands):
    path = tmp_path / f"image.{suffix}"
    Image.new(mode, (123, 45)).save(path)
    assert read_header(path) == (123, 45, bands)


def test_a_huge_image_is_measured_without_decoding(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png_header(100_000, 80_000))  # 24 GB of pixels; Pillow's open refuses it as a bomb
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        size = read_header(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size == (100_000, 80_000, 3)
    assert peak < 1_000_000
    assert time.perf_counter() - started < 5


def test_a_huge_image_goes_through_an_export(tmp_path):
    (tmp_path / "huge.png").write_bytes(png_header(60_000, 40_000))
    meta = ExportMeta(batch_id="b", batch_name="huge", annotator="bounding_boxes", shape=AnswerShape.BOXES,
                      labels=("ship",), image_column="image_url", image_file=lambda url: tmp_path / "huge.png")
    record = ConsensusRecord(hit_id="H1", item={"image_url": "https://x/huge.png"},
                             value=[[30_000, 20_000, 600, 400, "ship"]], confidence=1, answers=1, agreement=1,
                             method="boxes")
    exports.write([record], "yolo", tmp_path / "y.zip", meta=meta)
    with zipfile.ZipFile(tmp_path / "y.zip") as archive:
        assert archive.read("labels/H1.txt").decode() == "0 0.505000 0.505000 0.010000 0.010000\n"


def test_a_file_that_is_not_an_image_has_no_header(tmp_path):
    (tmp_path / "notes.png").write_text("not an image at all")
    (tmp_path / "cut.png").write_bytes(png_header(10, 10)[:20])
    assert read_header(tmp_path / "notes.png") is None
    assert read_header(tmp_path / "cut.png") is None


def test_size_falls_back_to_the_configuration_then_the_item(tmp_path):
    meta = ExportMeta(batch_id="b", batch_name="n", annotator="bounding_boxes", shape=AnswerShape.BOXES,
                      image_column="url", size_columns=("w", "h"), image_file=lambda url: tmp_path / "absent.png")
    record = ConsensusRecord(hit_id="3H/1", item={"url": "https://x/a/photo.JPEG?x=1", "w": "320", "h": 200.0},
                             value=[], confidence=None, answers=0, agreement=None, method=None)
    image = hit_image(record, meta)
    assert (image.width, image.height, image.file) == (320, 200, None)
    assert image.file_name == "3H_1.jpeg"
    assert hit_image(record, replace(meta, image_size=(64, 48))).width == 64
    unknown = hit_image(replace(record, item={"url": "data:image/svg+xml,<svg/>", "w": "wide"}), meta)
    assert (unknown.width, unknown.file_name) == (None, "3H_1.jpg")


def test_safe_stems():
    assert safe_stem("3ABC_def-1.2") == "3ABC_def-1.2"
    assert safe_stem("../../etc/passwd") == "_.._etc_passwd"
    assert safe_stem("") == "_"
