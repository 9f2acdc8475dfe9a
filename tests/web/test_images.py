"""The image route serves files of the instance images folder, and nothing outside it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from labelhub.demo import draw_shape


@pytest.fixture
def instance(runtime) -> Path:
    """The instance folder with a drawn image, a secret next to the images folder and a text file in it."""
    root = Path(runtime.settings.storage.instance_path)
    (root / "images").mkdir(parents=True)
    draw_shape(root / "images" / "circle-blue-84.png", "circle", "#3a6ea5", 84)
    (root / "secret.png").write_bytes(b"not for the web")
    (root / "images" / "notes.txt").write_text("not an image")
    return root


def test_image_route_serves_a_png_of_the_images_folder(client, instance):
    response = client.get("/images/circle-blue-84.png")

    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.size == (160, 160) and image.getpixel((80, 80)) == (0x3A, 0x6E, 0xA5)


@pytest.mark.parametrize("path", [
    "/images/../secret.png",
    "/images/..%2fsecret.png",
    "/images/%2e%2e/secret.png",
    "/images/images/../../secret.png",
    "/images//" + "etc/passwd",
    "/images/%2fetc%2fpasswd",
    "/images/..\\secret.png",
])
def test_image_route_refuses_traversal(client, instance, path):
    response = client.get(path, follow_redirects=True)  # werkzeug first merges '//' with a redirect

    assert response.status_code == 404
    assert b"not for the web" not in response.data


def test_image_route_refuses_a_symlink_out_of_the_folder(client, instance):
    (instance / "images" / "escape.png").symlink_to(instance / "secret.png")

    response = client.get("/images/escape.png")

    assert response.status_code == 404 and b"not for the web" not in response.data


@pytest.mark.parametrize("name", ["nothing-here.png", "notes.txt", "images"])
def test_image_route_unknown_or_non_image_file_is_404(client, instance, name):
    response = client.get(f"/images/{name}")

    assert response.status_code == 404 and response.mimetype == "text/html"
