"""Fixtures for the pages: batches created through the real batch service."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labelhub.models import Batch
from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import batches
from labelhub.services.actors import Actor
from labelhub.services.commands import HITTypeSpec


@pytest.fixture
def make_batch(runtime: Runtime) -> Callable[..., Batch]:
    """A text-classification batch of ``rows`` reviews ("review 1", "review 2", ...)."""

    def make(actor: Actor, name: str, *, rows: int = 2, max_assignments: int = 1) -> Batch:
        spec = HITTypeSpec(title="Sentiment", description="Pick the sentiment.",
                           reward_micros=parse_amount("0.10"), assignment_duration_seconds=600)
        return batches.create_batch(runtime, actor, batches.CreateBatch(
            name=name, template_kind="text_classification", question_template="<p>${text}</p>", hit_type=spec,
            rows=tuple({"text": f"review {n}"} for n in range(1, rows + 1)), lifetime_seconds=3600,
            max_assignments=max_assignments, template_config={"labels": ["positive", "negative"]}))

    return make
