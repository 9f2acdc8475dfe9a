"""The image behind a HIT, for the image formats (COCO, YOLO, VOC): its stored file, its size read from
the file's header (pixels are never decoded), and the file name it gets in an export."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse
from zipfile import ZIP_STORED, ZipFile

from PIL import Image

from exports.base import ExportError
from exports.records import ConsensusRecord, ExportMeta

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,5}$")
DEFAULT_SUFFIX = ".jpg"
# What a Pillow plugin may raise on a file that is not in its format, or is damaged.
_NOT_THIS_FORMAT = (SyntaxError, OSError, ValueError, EOFError, IndexError, KeyError, TypeError)


@dataclass(frozen=True, slots=True)
class HITImage:
    """``file_name``: ``<hit id><suffix>``, the image's name inside an export (and of its label file's
    stem). ``width``/``height``/``depth`` are None when unknown."""

    url: str
    file: Path | None
    file_name: str
    width: int | None
    height: int | None
    depth: int | None

    @property
    def stem(self) -> str:
        return self.file_name.rsplit(".", 1)[0]

    def size(self, format_name: str, hit_id: str) -> tuple[int, int]:
        """The width and height, or ExportError saying why they are needed and unknown."""
        if self.width is None or self.height is None:
            raise ExportError(f"{format_name} needs each image's width and height, and HIT {hit_id}'s image "
                              f"({self.url or 'no URL'}) is neither stored here nor given a size "
                              "(ExportMeta.image_size or the item's size columns)")
        return self.width, self.height


def hit_image(record: ConsensusRecord, meta: ExportMeta) -> HITImage:
    url = str(record.item.get(meta.image_column or "") or "")
    stored = meta.image_file(url) if meta.image_file is not None and url else None
    file = stored if stored is not None and stored.is_file() else None
    header: tuple[int | None, int | None, int | None] | None = read_header(file) if file else None
    if header is None:
        size = meta.image_size or _item_size(record, meta)
        header = (size[0], size[1], None) if size else (None, None, None)
    suffix = file.suffix.lower() if file is not None else _url_suffix(url)
    return HITImage(url=url, file=file, file_name=safe_stem(record.hit_id) + suffix,
                    width=header[0], height=header[1], depth=header[2])


def read_header(path: Path) -> tuple[int, int, int] | None:
    """Width, height and number of bands from the file's header, or None when Pillow cannot read it.

    ``Image.open`` also reads only the header, but refuses one whose size passes its decompression-bomb
    limit even though nothing would be decoded, and that limit is process-wide (the web process checks
    uploads against it), so the format plugins are asked directly, as ``Image.open`` does."""
    Image.init()
    openers = sorted(Image.OPEN.items(), key=lambda entry: entry[1][1] is None)  # sniffing plugins first
    with path.open("rb") as file:
        prefix = file.read(16)
        for _, (factory, accept) in openers:
            if accept is not None and not accept(prefix):
                continue
            file.seek(0)
            try:
                image = factory(file, str(path))
                return image.size[0], image.size[1], len(image.getbands())
            except _NOT_THIS_FORMAT:
                file.seek(0)
    return None


def safe_stem(hit_id: str) -> str:
    """The HIT id as a file name: characters outside letters, digits, ``_ . -`` become ``_``."""
    return _UNSAFE.sub("_", hit_id).lstrip(".") or "_"


def _url_suffix(url: str) -> str:
    suffix = PurePosixPath(urlparse(url).path).suffix.lower()
    return suffix if _SUFFIX.match(suffix) and not url.startswith("data:") else DEFAULT_SUFFIX


def _item_size(record: ConsensusRecord, meta: ExportMeta) -> tuple[int, int] | None:
    width, height = (_positive_int(record.item.get(column)) for column in meta.size_columns)
    return (width, height) if width and height else None


def _positive_int(value: object) -> int | None:
    """A size from a data row, where CSV columns arrive as strings; anything else counts as unknown."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value))
    except ValueError:
        return None
    return round(number) if 0 < number < 1e9 else None


def add_image(archive: ZipFile, name: str, image: HITImage, hit_id: str) -> None:
    """Copy the stored image into ``archive`` as ``name``, streamed and uncompressed (images are)."""
    if image.file is None:
        raise ExportError(f"HIT {hit_id}'s image ({image.url or 'no URL'}) is not stored here, so it cannot "
                          "be included: export without images")
    archive.write(image.file, name, compress_type=ZIP_STORED)
