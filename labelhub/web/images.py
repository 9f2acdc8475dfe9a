"""Images kept in the instance folder (the demo's shapes), served without ever leaving that folder."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_file
from werkzeug.security import safe_join

from labelhub import runtime_of
from labelhub.settings import Settings

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})

bp = Blueprint("images", __name__)


def images_path(settings: Settings) -> Path:
    """The folder images are written to (by the demo) and served from: ``<instance>/images``."""
    return (Path(settings.storage.instance_path) / "images").resolve()


@bp.get("/images/<path:name>")
def image(name: str):
    folder = images_path(runtime_of(current_app).settings)
    joined = safe_join(str(folder), name)  # None for '..', absolute paths and other escapes
    if joined is None or Path(joined).suffix.lower() not in IMAGE_SUFFIXES:
        abort(404)
    target = Path(joined).resolve()  # a symlink must not lead out of the folder either
    if not target.is_relative_to(folder) or not target.is_file():
        abort(404)
    return send_file(target, max_age=3600)
