"""Requester image uploads: Pillow validation (format, bytes, pixels, bombs), metadata stripped by
re-encoding, content-addressed storage, the REST endpoint and the /media route."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from labelhub.errors import InvalidInputError, PermissionDeniedError
from labelhub.services import media
from tests.api.conftest import Api


def encoded(image_format: str, *, size=(64, 48), mode="RGB", colour=(200, 30, 30), **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=image_format, **options)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    """A 64x48 JPEG whose EXIF says: rotate 90 degrees, taken at a GPS position, by a named camera."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPSInfo
    return encoded("JPEG", exif=exif.tobytes(), comment=b"shot at home")


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Requester")
    return encoded("PNG", pnginfo=info, icc_profile=b"\0" * 128)


def with_png_size(data: bytes, width: int, height: int) -> bytes:
    """The PNG with its header claiming another size (the pixel data stays tiny: a bomb's shape)."""
    header = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:8] + data[8:12] + header + struct.pack(">I", zlib.crc32(header)) + data[33:]


def stored_file(runtime, name: str) -> Path:
    path, _ = media.image_file(runtime, name)
    return path


@pytest.fixture
def requester(factory):
    return factory.requester()


@pytest.mark.parametrize(("image_format", "suffix", "mode"), [
    ("PNG", "png", "RGBA"), ("JPEG", "jpg", "RGB"), ("WEBP", "webp", "RGBA"), ("GIF", "gif", "P")])
def test_store_image_accepts_the_four_formats(runtime, requester, image_format, suffix, mode):
    colour = 5 if mode == "P" else (200, 30, 30, 128)[:len(mode)]  # half transparent where there is alpha
    stored = media.store_image(runtime, requester.actor, encoded(image_format, mode=mode, colour=colour))

    path = stored_file(runtime, stored.name)
    assert stored.name.endswith(f".{suffix}") and (stored.width, stored.height) == (64, 48)
    assert stored.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and stored.created
    assert path.parent.name == stored.sha256[:2]
    with Image.open(path) as reread:
        assert (reread.format, reread.mode, reread.size) == (image_format, mode, (64, 48))


def test_store_image_strips_exif_and_applies_the_orientation(runtime, requester):
    stored = media.store_image(runtime, requester.actor, jpeg_with_exif())

    data = stored_file(runtime, stored.name).read_bytes()
    with Image.open(io.BytesIO(data)) as reread:
        assert reread.size == (48, 64)  # turned upright before the orientation tag was dropped
        assert not reread.getexif() and "comment" not in reread.info and "exif" not in reread.info
    assert b"SecretCam" not in data and b"shot at home" not in data and b"Exif" not in data


def test_store_image_strips_png_text_and_icc_profile(runtime, requester):
    stored = media.store_image(runtime, requester.actor, png_with_text())

    data = stored_file(runtime, stored.name).read_bytes()
    with Image.open(io.BytesIO(data)) as reread:
        assert "Author" not in reread.info and "icc_profile" not in reread.info
        assert reread.getpixel((0, 0)) == (200, 30, 30)
    assert b"Jane Requester" not in data and b"iCCP" not in data


def test_store_image_keeps_one_file_per_image(runtime, requester):
    first = media.store_image(runtime, requester.actor, png_with_text())
    again = media.store_image(runtime, requester.actor, encoded("PNG"))  # the same pixels, other metadata

    assert again.name == first.name and not again.created
    assert len(list(media.media_path(runtime.settings).rglob("*.png"))) == 1


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "is empty"),
    (b"GIF89a not really", "is not a PNG, JPEG, WebP or GIF image"),
    (b"%PDF-1.7 a document", "is not a PNG, JPEG, WebP or GIF image"),
    (encoded("BMP"), "is not a PNG, JPEG, WebP or GIF image"),
    (encoded("TIFF"), "is not a PNG, JPEG, WebP or GIF image"),
    (encoded("PNG")[:60], "could not be decoded"),
    (with_png_size(encoded("PNG"), 6000, 5000), "is 6000x5000 = 30,000,000 pixels; the limit is 25,000,000"),
    (with_png_size(encoded("PNG"), 20000, 20000), "(a decompression bomb)"),
    (with_png_size(encoded("PNG"), 20000, 1), "each side must be 1 to 16,383 pixels"),
])
def test_store_image_refuses_bad_uploads_and_writes_nothing(runtime, requester, data, problem):
    with pytest.raises(InvalidInputError) as refused:
        media.store_image(runtime, requester.actor, data)

    assert problem in refused.value.fields["image"]
    assert not media.media_path(runtime.settings).exists()


def test_store_image_refuses_an_animation(runtime, requester):
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])

    with pytest.raises(InvalidInputError, match="is animated"):
        media.store_image(runtime, requester.actor, out.getvalue())


def test_store_image_refuses_too_many_bytes(runtime, requester, monkeypatch):
    monkeypatch.setattr(media, "MAX_IMAGE_BYTES", 1000)

    with pytest.raises(InvalidInputError, match="the limit is 1,000 bytes"):
        media.store_image(runtime, requester.actor, encoded("PNG") + b"\0" * 1000)


def test_store_image_is_for_requesters(runtime, factory):
    with pytest.raises(PermissionDeniedError):
        media.store_image(runtime, factory.worker().actor, encoded("PNG"))


# ---- the REST endpoint and the /media route --------------------------------------------------------

def test_upload_endpoint_stores_the_body_and_serves_it(app, client, requester, runtime):
    api = Api(app, client)
    data = jpeg_with_exif()

    created = api.post("/requester/images", token=requester.credentials.api_token, expect=201, data=data,
                       headers={"Content-Type": "image/jpeg"})
    again = api.post("/requester/images", token=requester.credentials.api_token, expect=200, data=data,
                     headers={"Content-Type": "image/jpeg"})
    served = client.get(created["url"])

    assert created["url"] == f"/media/{created['image_id']}" and created["media_type"] == "image/jpeg"
    assert (created["width"], created["height"]) == (48, 64) and again["image_id"] == created["image_id"]
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == stored_file(runtime, created["image_id"]).read_bytes()
    assert "immutable" in served.headers["Cache-Control"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_upload_endpoint_takes_a_multipart_field(app, client, requester):
    api = Api(app, client)

    created = api.post("/requester/images", token=requester.credentials.api_token, expect=201,
                       data={"image": (io.BytesIO(encoded("PNG")), "cat.png")})

    assert created["media_type"] == "image/png" and created["size_bytes"] > 0


@pytest.mark.parametrize(("body", "headers", "field", "problem"), [
    ({"data": b"hello", "headers": {"Content-Type": "text/plain"}}, {}, "content_type", "must be image/png"),
    ({"data": {"photo": (io.BytesIO(b"x"), "x.png")}}, {}, "image", "multipart field named image"),
    ({"data": b"not an image", "headers": {"Content-Type": "image/png"}}, {}, "image", "is not a PNG"),
])
def test_upload_endpoint_refuses_bad_requests_naming_the_field(app, client, requester, body, headers, field,
                                                                problem):
    api = Api(app, client)

    refused = api.post("/requester/images", token=requester.credentials.api_token, expect=400, **body)

    assert problem in refused["error"]["fields"][field]


def test_upload_endpoint_is_for_requesters_only(app, client, factory):
    api = Api(app, client)

    api.post("/requester/images", expect=401, data=encoded("PNG"), headers={"Content-Type": "image/png"})
    api.post("/requester/images", token=factory.worker().credentials.api_token, expect=403,
             data=encoded("PNG"), headers={"Content-Type": "image/png"})


@pytest.mark.parametrize("name", ["0" * 64 + ".png", "../secret.png", "abc.png", "0" * 64 + ".svg"])
def test_media_route_serves_only_stored_names(client, name):
    assert client.get(f"/media/{name}").status_code == 404
