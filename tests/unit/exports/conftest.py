"""Fixtures for the export tests: hand-built batches of every annotator type, with stored images.

``datasets`` and ``huggingface_hub`` read their offline switches when imported, so they are set here,
before any test module imports them: nothing in these tests may reach the network."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from export_samples import Batch, make_batch

os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture
def batch(tmp_path: Path) -> Callable[..., Batch]:
    """``batch(variant, hits=6)``: a batch whose image files live under the test's tmp_path."""
    images = tmp_path / "stored-images"
    images.mkdir()

    def build(variant: str, *, hits: int = 6, seed: int = 1) -> Batch:
        return make_batch(variant, images, hits=hits, seed=seed)
    return build
