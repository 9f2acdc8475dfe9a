"""Images served by LabelHub: the instance images folder (the demo's shapes) at /images/<name>, and
requesters' uploads from the media store at /media/<sha256>.<suffix>. Nothing outside either folder."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_file
from werkzeug.security import safe_join

from labelhub import runtime_of
from labelhub.errors import NotFoundError
from labelhub.services import media
from labelhub.settings import Settings

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
# An upload's name is the hash of its bytes: the file at a name never changes.
IMMUTABLE = 365 * 24 * 3600

bp = Blueprint("images", __name__)


def images_path(settings: Settings) -> Path:
    """The folder images are written to (by the demo) and served from: ``<instance>/images``."""
    return (Path(settings.storage.instance_path) / "images").resolve()


@bp.get("/images/<path:name>")
def image(name: str):
    if "\x00" in name:  # no file name holds a NUL; the OS calls below would raise ValueError
        abort(404)
    folder = images_path(runtime_of(current_app).settings)
    joined = safe_join(str(folder), name)  # None for '..', absolute paths and other escapes
    if joined is None or Path(joined).suffix.lower() not in IMAGE_SUFFIXES:
        abort(404)
    target = Path(joined).resolve()  # a symlink must not lead out of the folder either
    if not target.is_relative_to(folder) or not target.is_file():
        abort(404)
    return send_file(target, max_age=3600)


@bp.get("/media/<name>")
def media_file(name: str):
    try:
        path, media_type = media.image_file(runtime_of(current_app), name)
    except NotFoundError:
        abort(404)
    response = send_file(path, mimetype=media_type, max_age=IMMUTABLE)
    response.cache_control.immutable = True
    # Served bytes were re-encoded by LabelHub; still, never let them run as a document.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
