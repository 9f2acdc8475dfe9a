"""Requester image uploads: POST /api/v1/requester/images stores a validated, metadata-free copy and
answers with the URL to put in a batch's rows (served by LabelHub at /media/<sha256>.<suffix>)."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from labelhub.api.responses import INTEGER, STRING, record
from labelhub.api.routing import Routes, runtime
from labelhub.errors import InvalidInputError
from labelhub.services import media
from labelhub.services.actors import Actor

routes = Routes(tag="Requester: images", prefix="/requester", role="requester")

IMAGE = record({
    "image_id": STRING | {"description": "the stored file's name: <sha256>.<suffix>"},
    "url": STRING | {"description": "where LabelHub serves it; put this in a row's image column"},
    "media_type": {"type": "string", "enum": sorted(media.MEDIA_TYPES.values())},
    "width": INTEGER,
    "height": INTEGER,
    "size_bytes": INTEGER | {"description": "of the stored file (re-encoded without metadata)"},
    "sha256": STRING,
})

BINARY = {"type": "string", "format": "binary"}
UPLOAD = {media_type: {"schema": BINARY} for media_type in sorted(media.MEDIA_TYPES.values())} | {
    "multipart/form-data": {"schema": {"type": "object", "properties": {"image": BINARY}, "required": ["image"]},
                            "encoding": {"image": {"contentType": ", ".join(sorted(media.MEDIA_TYPES.values()))}}}}


def _uploaded_bytes() -> bytes:
    """The image: the whole body (Content-Type image/...), or a multipart form's ``image`` file."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("image")
        if upload is None:
            raise InvalidInputError({"image": "send the file in a multipart field named image"})
        return upload.read()
    if not request.mimetype.startswith("image/"):
        given = request.mimetype or "none"
        raise InvalidInputError({"content_type": "must be image/png, image/jpeg, image/webp or image/gif "
                                                 "(the bytes as the body) or multipart/form-data "
                                                 f"(got {given})"})
    return request.get_data()


@routes.post("/images", summary="Upload an image (PNG, JPEG, WebP or GIF, as the body or a multipart field "
             "named image): 201 when stored, 200 when the same image was stored before",
             upload=UPLOAD, response=IMAGE, status=201, replay_status=200)
def upload_image(actor: Actor) -> tuple[dict[str, Any], int]:
    stored = media.store_image(runtime(), actor, _uploaded_bytes())
    return {"image_id": stored.name, "url": url_for("images.media_file", name=stored.name),
            "media_type": stored.media_type, "width": stored.width, "height": stored.height,
            "size_bytes": stored.size_bytes, "sha256": stored.sha256}, 201 if stored.created else 200
