"""The worker pages' security: a Content-Security-Policy that allows no inline script or style and no
framing by another site, no caching of a worker's pages, and no inline script or style in any page
(each annotator's partial included), since the policy would block it."""

from __future__ import annotations

import re

import pytest

import annotators
from labelhub.money import parse_amount
from labelhub.services import batches, hits
from labelhub.services.commands import HITTypeSpec
from tests.web.conftest import text_of

# A script element that runs (a JSON data block does not), a style element or attribute, an event handler.
INLINE = re.compile(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>|<style\b|\sstyle=|\son[a-z]+=',
                    re.IGNORECASE)


@pytest.fixture
def worker(pages, make_worker):
    worker = make_worker()
    pages.sign_in(worker)
    return worker


def batch_of(runtime, requester, kind: str):
    annotator = annotators.REGISTRY[kind]
    config = annotator.example_config()
    spec = HITTypeSpec(title=f"Try {annotator.title}", description="An example",
                       reward_micros=parse_amount("0.05"), assignment_duration_seconds=600)
    batch = batches.create_batch(runtime, requester.actor, batches.CreateBatch(
        name=kind, template_kind=kind, question_template="example", hit_type=spec,
        rows=(annotator.example_item(config),), lifetime_seconds=3600, template_config=config))
    return hits.list_hits(runtime, requester.actor, batch_id=batch.id).items[0]


def assert_strict_policy(response) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert INLINE.search(text_of(response)) is None, INLINE.search(text_of(response))


@pytest.mark.parametrize("path", ["/signin", "/signup"])
def test_sign_in_pages_have_the_strict_policy(client, path):
    assert_strict_policy(client.get(path))


@pytest.mark.parametrize("path", ["/hits", "/dashboard", "/qualifications"])
def test_worker_pages_have_the_strict_policy_and_are_not_cached(pages, worker, path):
    response = pages.get(path)

    assert_strict_policy(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "img-src 'self' data: blob: https: http:" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("kind", sorted(annotators.REGISTRY))
def test_every_annotator_renders_under_the_strict_policy(pages, runtime, factory, worker, kind):
    hit = batch_of(runtime, factory.requester(), kind)

    response = pages.get(f"/hits/{hit.public_id}")

    assert response.status_code == 200, text_of(response)
    assert f'data-annotator="{kind}"' in text_of(response)
    assert_strict_policy(response)
    script = re.search(rf'<script type="module" src="(/static/annotators/{kind}\.js)">', text_of(response))
    assert script and pages.get(script.group(1)).status_code == 200
