"""Requester image uploads: validated with Pillow, re-encoded without metadata, kept content-addressed.

An upload must be a still PNG, JPEG, WebP or GIF within the byte and pixel limits. Decompression bombs
are refused from the header's dimensions, before any pixel is decoded. The stored file is a fresh
encoding of the pixels alone (EXIF orientation applied first), so no EXIF, GPS, XMP, ICC profile or
comment survives. Files are named by the SHA-256 of what is stored, so uploading the same image twice
keeps one file, and a name can be served to anyone who holds it without a database lookup.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.runtime import Runtime
from labelhub.services.actors import Actor, require_requester
from labelhub.settings import Settings

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 25_000_000  # 25 megapixels: a 6000x4000 photo; about 100 MB once decoded as RGBA
MAX_IMAGE_SIDE = 16_383  # WebP's own limit, and far beyond any labeling task
# Pillow's name -> (stored suffix, media type, encoder options)
FORMATS: dict[str, tuple[str, str, dict[str, object]]] = {
    "PNG": ("png", "image/png", {"optimize": True}),
    "JPEG": ("jpg", "image/jpeg", {"quality": 92, "subsampling": 0}),
    "WEBP": ("webp", "image/webp", {"quality": 90, "method": 4}),
    "GIF": ("gif", "image/gif", {"optimize": True}),
}
MEDIA_TYPES = {suffix: media_type for suffix, media_type, _ in FORMATS.values()}
STORED_NAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|webp|gif)$")
# Modes each encoder writes as they are; anything else is converted (keeping transparency where the
# format has it), which also drops exotic modes a crafted file might use.
KEEP_MODES = {"PNG": {"1", "L", "LA", "P", "RGB", "RGBA"}, "JPEG": {"L", "RGB"},
              "WEBP": {"RGB", "RGBA"}, "GIF": {"L", "P"}}


@dataclass(frozen=True)
class StoredImage:
    """What an upload became: ``name`` is its file name in the store (``<sha256>.<suffix>``)."""

    name: str
    media_type: str
    width: int
    height: int
    size_bytes: int
    created: bool  # False when the same image was already stored

    @property
    def sha256(self) -> str:
        return self.name.partition(".")[0]


def media_path(settings: Settings) -> Path:
    """The file store: ``<instance>/media``, one sub-folder per first two hex digits of the hash."""
    return (Path(settings.storage.instance_path) / "media").resolve()


def _refuse(problem: str) -> InvalidInputError:
    return InvalidInputError({"image": problem}, entity="image")


def _decode(data: bytes) -> tuple[Image.Image, str]:
    """The image's pixels and format, or InvalidInputError saying why the upload is not acceptable."""
    if not data:
        raise _refuse("is empty: send the image's bytes")
    if len(data) > MAX_IMAGE_BYTES:
        raise _refuse(f"is {len(data):,} bytes; the limit is {MAX_IMAGE_BYTES:,} bytes")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; treat the warning as the error it is.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            _check_size(image)
            if getattr(image, "n_frames", 1) > 1:
                raise _refuse("is animated; upload a still image")
            image.load()
    except UnidentifiedImageError:
        raise _refuse("is not a PNG, JPEG, WebP or GIF image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(f"claims more than {MAX_IMAGE_PIXELS:,} pixels (a decompression bomb)") from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data
        raise _refuse(f"could not be decoded ({exc.__class__.__name__}): the file is damaged") from None
    return image, image.format or ""


def _upright(image: Image.Image) -> Image.Image:
    """The pixels turned as the EXIF orientation says. Pillow reads the EXIF block only here, so a damaged
    one (bad TIFF header, offsets past its end, wrong value types) fails here, not in _decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data": what is readable is used
            return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, ZeroDivisionError,
            struct.error) as exc:
        raise _refuse(f"is not a valid image: its EXIF metadata is damaged ({exc.__class__.__name__})") from None


def _check_size(image: Image.Image) -> None:
    width, height = image.size
    if width < 1 or height < 1 or max(width, height) > MAX_IMAGE_SIDE:
        raise _refuse(f"is {width}x{height} pixels; each side must be 1 to {MAX_IMAGE_SIDE:,} pixels")
    if width * height > MAX_IMAGE_PIXELS:
        raise _refuse(f"is {width}x{height} = {width * height:,} pixels; the limit is {MAX_IMAGE_PIXELS:,}")


def _clean(image: Image.Image, image_format: str) -> bytes:
    """A new encoding of the pixels only (already turned upright): every metadata block left behind."""
    pixels = image
    if pixels.mode not in KEEP_MODES[image_format]:
        transparent = pixels.mode in ("RGBA", "LA", "PA") or "transparency" in pixels.info
        if image_format == "GIF":
            full_colour = pixels.convert("RGBA" if transparent else "RGB")
            pixels = full_colour.convert("P", palette=Image.Palette.ADAPTIVE)
        elif image_format == "JPEG" or not transparent:
            pixels = pixels.convert("RGB")
        else:
            pixels = pixels.convert("RGBA")
    fresh = Image.new(pixels.mode, pixels.size)
    fresh.frombytes(pixels.tobytes())
    if pixels.mode == "P":
        fresh.putpalette(pixels.getpalette() or [])
        if "transparency" in pixels.info:
            fresh.info["transparency"] = pixels.info["transparency"]
    out = io.BytesIO()
    options = dict(FORMATS[image_format][2])
    if "transparency" in fresh.info:
        options["transparency"] = fresh.info["transparency"]
    fresh.save(out, format=image_format, **options)
    return out.getvalue()


def _write_once(path: Path, data: bytes) -> bool:
    """Write ``data`` at ``path`` atomically; False when the file was already there."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(partial, 0o644)
        os.replace(partial, path)  # a concurrent upload of the same image writes the same bytes
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return True


def store_image(rt: Runtime, actor: Actor, data: bytes) -> StoredImage:
    """Validate an uploaded image, strip its metadata and keep it in the file store.

    Raises PermissionDeniedError (not a requester) and InvalidInputError naming ``image`` (empty, too
    many bytes or pixels, not PNG/JPEG/WebP/GIF, animated, damaged pixels or EXIF block). Nothing is
    written unless the image is accepted.
    """
    require_requester(actor)
    image, image_format = _decode(data)
    with image:
        upright = _upright(image)  # the orientation tag is about to be dropped
        cleaned = _clean(upright, image_format)
        width, height = upright.size
    suffix, media_type, _ = FORMATS[image_format]
    name = f"{hashlib.sha256(cleaned).hexdigest()}.{suffix}"
    created = _write_once(media_path(rt.settings) / name[:2] / name, cleaned)
    return StoredImage(name=name, media_type=media_type, width=width, height=height,
                       size_bytes=len(cleaned), created=created)


def image_file(rt: Runtime, name: str) -> tuple[Path, str]:
    """The stored file of ``name`` and its media type, for serving. Raises NotFoundError."""
    if not STORED_NAME.match(name):
        raise NotFoundError(f"There is no stored image named {name[:80]!r}", entity="image")
    path = media_path(rt.settings) / name[:2] / name
    if not path.is_file():
        raise NotFoundError(f"There is no stored image named {name!r}", entity="image")
    return path, MEDIA_TYPES[name.rpartition(".")[2]]
