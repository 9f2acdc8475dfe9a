"""The quality dashboard in the browser's terms: the page with its stored figures and a worker's
confusion matrix chosen from the paged worker list, every plot an SVG that parses, empty states,
and 404 for anyone else's batch."""

import re
from xml.etree import ElementTree

import pytest

from labelhub.services import quality_dashboard
from labelhub.web import requester_quality
from tests.quality_dashboard_data import answered_batch
from tests.web.conftest import text_of
from tests.web.test_requester_batches import signed_in

ANSWERS = {"ann": ["positive", "negative", "positive", "negative", "positive", "negative"],
           "bob": ["positive", "negative", "positive", "negative", "positive", "positive"],
           "cat": ["negative", "positive", "negative", "positive", "negative", None]}


@pytest.fixture
def owner(factory):
    return factory.requester("quality-pages")


@pytest.fixture
def browser(app, owner):
    return signed_in(app, owner, "quality-pages")


def test_page_shows_agreement_overlap_and_links_every_plot(runtime, clock, factory, owner, browser):
    made = answered_batch(runtime, clock, factory, owner, ANSWERS)

    html = text_of(browser.get(f"/requester/batches/{made.batch_id}/quality"))
    batch_page = text_of(browser.get(f"/requester/batches/{made.batch_id}"))

    stored = quality_dashboard.dashboard(runtime, owner.actor, made.batch_id).agreement.value
    assert f"<dt>Agreement</dt><dd>{stored:.2f}</dd>" in html
    assert "Krippendorff&#39;s alpha, nominal" in html and "Consensus method: <strong>" in html
    assert "Fixed redundancy: 17 answers collected of 18 assignments on 6 HITs." in html
    plots = set(re.findall(rf'src="/requester/batches/{made.batch_id}/quality/(\w+)\.svg"', html))
    assert plots == {"agreement", "confusion", "accuracy", "confidence", "worktime", "overlap"}
    assert f'href="/requester/batches/{made.batch_id}/quality">Quality</a>' in batch_page


def test_worker_list_pages_and_picks_a_workers_confusion_matrix(runtime, clock, factory, owner, browser, monkeypatch):
    monkeypatch.setattr(requester_quality, "PAGE_SIZE", 2)
    made = answered_batch(runtime, clock, factory, owner, ANSWERS)
    path = f"/requester/batches/{made.batch_id}/quality"

    first = text_of(browser.get(path))
    following = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = text_of(browser.get(following))
    shown = re.findall(r"<tr(?: class=\"selected\")?><td><code>(\w+)</code>", first + second)
    picked = text_of(browser.get(f"{path}?worker={shown[0]}"))

    assert sorted(shown) == sorted(w.actor.public_id for w in made.workers.values())
    assert f"quality/confusion.svg?worker_id={shown[0]}" in picked and '<tr class="selected">' in picked
    svg = text_of(browser.get(f"{path}/confusion.svg?worker_id={shown[0]}"))
    assert f"Confusion matrix of worker {shown[0]}" in svg


def test_every_plot_is_svg_that_parses_even_empty(runtime, clock, factory, owner, browser):
    answered = answered_batch(runtime, clock, factory, owner, ANSWERS)
    empty = answered_batch(runtime, clock, factory, owner, {"ann": [None]}, name="Nothing yet")

    for made in (answered, empty):
        for name in quality_dashboard.PLOTS:
            response = browser.get(f"/requester/batches/{made.batch_id}/quality/{name}.svg")
            assert response.status_code == 200 and response.mimetype == "image/svg+xml", name
            title = ElementTree.fromstring(text_of(response)).find("{http://www.w3.org/2000/svg}title").text
            assert title.endswith(f"batch {made.name}") or title.endswith(made.batch_id), (name, title)


def test_text_batches_show_the_llm_share_and_no_matrix(runtime, clock, factory, owner, browser):
    texts = {"ann": ["It boils water fast.", "Sturdy lid."], "bob": ["Quick to boil.", "The lid feels solid."]}
    made = answered_batch(runtime, clock, factory, owner, texts, template_kind="free_text",
                          config={"question": "Describe the product in a sentence."},
                          answer_of=lambda text: {"text": text})

    html = text_of(browser.get(f"/requester/batches/{made.batch_id}/quality"))
    svg = text_of(browser.get(f"/requester/batches/{made.batch_id}/quality/llm.svg"))
    matrix = text_of(browser.get(f"/requester/batches/{made.batch_id}/quality/agreement.svg"))

    assert re.search(r"<dt>Scored</dt><dd>4</dd>", html) and "LLM share" in html
    assert "agreement.svg" not in html and "needs one label per answer" in matrix
    assert sum(int(n) for n in re.findall(r"<title>(\d+) answers", svg)) == 4
    assert "mean similarity of the texts" in html


def test_another_requesters_batch_is_a_404(app, runtime, clock, factory, owner, browser):
    made = answered_batch(runtime, clock, factory, owner, {"ann": ["positive"]})
    stranger = signed_in(app, factory.requester("stranger-quality"), "stranger-quality")

    assert stranger.get(f"/requester/batches/{made.batch_id}/quality").status_code == 404
    assert stranger.get(f"/requester/batches/{made.batch_id}/quality/accuracy.svg").status_code == 404
    assert browser.get(f"/requester/batches/{made.batch_id}/quality/secrets.svg").status_code == 404
    assert browser.get("/requester/batches/NOPE/quality").status_code == 404


def test_pairwise_batches_show_the_ranking(runtime, clock, factory, owner, browser):
    choices = {"ann": ["a", "a", "b"], "bob": ["a", "b", "b"], "cat": ["a", "a", "b"]}
    made = answered_batch(runtime, clock, factory, owner, choices, template_kind="pairwise", config={},
                          answer_of=lambda choice: {"choice": choice})

    html = text_of(browser.get(f"/requester/batches/{made.batch_id}/quality"))
    svg = text_of(browser.get(f"/requester/batches/{made.batch_id}/quality/ranking.svg"))

    assert "Pairwise choices: the consensus of each pair is computed by <strong>BradleyTerry" in html
    assert f'src="/requester/batches/{made.batch_id}/quality/ranking.svg"' in html
    assert re.search(r"<title>1\. left 0: score \+", svg)  # all three workers chose the left item of the first HIT
