"""A requester in a real browser: signs up, uploads a CSV and a zip of images, configures, previews the
real annotator in the sandboxed frame, checks the cost, publishes to the sandbox; two workers complete
HITs of the batch through the worker pages while the requester watches the counts move, pauses (the
workers no longer find it), resumes, and downloads the answers from the batch page. Each requester
page is saved as ``requester_<page>.png`` in the screenshots folder."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from labelhub.money import format_amount, parse_amount
from labelhub.services import ledger
from tests.browser.conftest import sign_in

REVIEWS = {  # the row's text -> the number key of the label a careful worker picks
    "Arrived broken and support never answered.": "2",  # negative
    "Great value, works well. Would buy again.": "1",  # positive
    "It is a kettle. It boils water.": "3",  # neutral
}
LABELS = ("positive", "negative", "neutral")
REVIEWS_CSV = ("text,product\n" + "".join(f'"{text}",kettle-{n}\n' for n, text in enumerate(REVIEWS))).encode()
WORK_PAGE = re.compile(r".*/assignments/[A-Z0-9]{30}$")
BATCH_PAGE = re.compile(r".*/requester/batches/[A-Z0-9]+$")


def shapes_zip() -> bytes:
    """Three small PNGs (a circle, a square, a triangle) in a zip, as a requester's camera roll would be."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, draw in (("circle.png", lambda d: d.ellipse((20, 10, 100, 90), fill="#c0392b")),
                           ("square.png", lambda d: d.rectangle((20, 10, 100, 90), fill="#2471a3")),
                           ("triangle.png", lambda d: d.polygon([(60, 8), (104, 92), (16, 92)], fill="#229954"))):
            image = Image.new("RGB", (120, 100), "white")
            draw(ImageDraw.Draw(image))
            png = io.BytesIO()
            image.save(png, format="PNG")
            zipped.writestr(name, png.getvalue())
    return archive.getvalue()


def shot(page: Page, folder: Path, name: str) -> None:
    page.wait_for_load_state("load")  # images and the preview frame are drawn
    page.screenshot(path=folder / f"requester_{name}.png", full_page=True)


def sign_up(page: Page, name: str, screenshots: Path | None = None) -> None:
    """Create a requester account through the sign-up form; the response is the credentials page."""
    page.goto("/requester/signup")
    page.get_by_label("Requester name").fill(name)
    page.get_by_label("Password", exact=True).fill("a long passphrase")
    page.get_by_label("Password again").fill("a long passphrase")
    if screenshots is not None:
        shot(page, screenshots, "signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Credentials")).to_be_visible()


def upload(page: Page, name: str, mime_type: str, data: bytes) -> None:
    nav(page, "New batch")
    expect(page.get_by_role("heading", name="New batch: upload the rows")).to_be_visible()
    page.get_by_label("File").set_input_files({"name": name, "mimeType": mime_type, "buffer": data})
    page.get_by_role("button", name="Upload and configure").click()
    expect(page.get_by_role("heading", name="Configure the batch")).to_be_visible()


def nav(page: Page, name: str) -> None:
    """Follow a link of the requester navigation in the header."""
    page.get_by_role("navigation", name="Requester").get_by_role("link", name=name, exact=True).click()


def count(page: Page, group: str, name: str):
    """The number shown under ``name`` in one of the batch page's count lists."""
    return page.locator(f"dl.{group} div").filter(has=page.locator("dt", has_text=re.compile(f"^{name}$"))) \
        .locator("dd")


def search(page: Page, words: str) -> None:
    page.goto("/hits")
    page.get_by_label("Search").fill(words)
    page.get_by_label("Search").press("Enter")
    expect(page).to_have_url(re.compile(r".*/hits\?.*q=" + words))


def work_on_reviews(page: Page, hits: int) -> list[tuple[str, str]]:
    """Accept the reviews batch and label ``hits`` HITs in a row with the number keys; the last one
    with the Submit button (back to the HIT list). Returns (text, label) per HIT."""
    search(page, "reviews")
    expect(page.locator("li.group")).to_have_count(1)
    page.get_by_role("button", name="Accept & work").click()
    done = []
    for n in range(hits):
        expect(page).to_have_url(WORK_PAGE)
        page.wait_for_load_state("domcontentloaded")  # the annotator's module has run: keys work
        text = page.locator("blockquote.ann-text").inner_text()
        key = REVIEWS[text]
        page.keyboard.press(key)
        label = LABELS[int(key) - 1]
        expect(page.get_by_role("radio", name=re.compile(label))).to_be_checked()
        done.append((text, label))
        here = page.url
        if n < hits - 1:
            page.keyboard.press("Enter")  # submit and take the next HIT of the batch
            expect(page).not_to_have_url(here)
        else:
            page.get_by_role("button", name="Submit", exact=True).click()
            expect(page).to_have_url(re.compile(r".*/hits$"))
    return done


def worker_in_sandbox(open_page, name: str) -> Page:
    page = open_page()
    sign_in(page, name)
    page.get_by_role("button", name="Switch to sandbox").click()
    expect(page.locator("h1 .badge-sandbox")).to_have_text("Sandbox")
    return page


def test_requester_signs_up_publishes_watches_pauses_and_downloads(open_page, runtime, factory, screenshots):
    ada, bob = factory.worker("ada-labels"), factory.worker("bob-labels")
    page = open_page()

    # Sign up: the response is the credentials page with the new secrets, shown once.
    sign_up(page, "acme-lab", screenshots)
    expect(page.locator(".flash-success")).to_contain_text("Welcome, acme-lab!")
    fresh = page.locator(".fresh-secrets dt")
    expect(fresh).to_have_text(["REST API token", "MTurk access key ID", "MTurk secret access key"])
    expect(page.locator("header .badge")).to_have_text("Production")  # sign-up kept the marketplace

    configure_reviews(page, screenshots)
    preview_reviews(page, screenshots)
    publish_reviews_to_the_sandbox(page, runtime, screenshots)
    publish_shapes_in_the_sandbox(page)

    nav(page, "Batches")
    batch_rows = page.locator("table.batches tbody tr")
    expect(batch_rows).to_have_count(2)
    expect(batch_rows.nth(1)).to_contain_text("0 of 6")
    shot(page, screenshots, "batches")
    page.get_by_role("link", name="Product reviews").click()
    expect(page).to_have_url(BATCH_PAGE)
    expect(page.locator("h1 .status")).to_have_text("running")
    expect(count(page, "assignment-counts", "Open")).to_have_text("6")
    expect(count(page, "assignment-counts", "Submitted")).to_have_text("0")

    answers = workers_answer_while_the_requester_watches_and_pauses(page, open_page, ada, bob)
    records = download_the_answers(page, screenshots)
    got = sorted((r["worker_id"], r["text"], r["value"]) for r in records)  # the row's columns, the label
    assert got == sorted((worker, text, label) for worker, done in answers.items() for text, label in done)
    assert {r["status"] for r in records} == {"Submitted"}
    assert {r["product"] for r in records} == {"kettle-0", "kettle-1", "kettle-2"}

    # The account: both batches' rewards and fees held from the play money.
    nav(page, "Account")
    expect(page.locator("#balance-sandbox .tile-value")).to_have_text("$9998.74")
    expect(page.locator("#balance-sandbox")).to_contain_text("Held for live HITs: $1.26")
    expect(page.locator("#balance-production .tile-value")).to_have_text("$0.00")
    shot(page, screenshots, "account")
    nav(page, "Credentials")
    expect(page.get_by_role("heading", name="Credentials")).to_be_visible()
    expect(page.locator(".fresh-secrets")).to_have_count(0)  # the secrets were shown once
    expect(page.get_by_role("button", name=re.compile("^Revoke the"))).to_have_count(2)
    shot(page, screenshots, "credentials")


def configure_reviews(page: Page, screenshots: Path) -> None:
    """Upload the CSV and fill in the configuration form (text classification, 2 answers per HIT)."""
    nav(page, "New batch")
    page.get_by_label("File").set_input_files({"name": "reviews.csv", "mimeType": "text/csv", "buffer": REVIEWS_CSV})
    shot(page, screenshots, "new_upload")
    page.get_by_role("button", name="Upload and configure").click()
    expect(page.get_by_role("heading", name="Configure the batch")).to_be_visible()
    expect(page.locator(".lead")).to_have_text("3 rows from reviews.csv.")
    expect(page.locator("table.rows tbody tr")).to_have_count(3)
    expect(page.get_by_role("combobox", name="Task type")).to_have_value("text_classification")
    page.get_by_label("Labels (one a line)").fill("\n".join(LABELS))
    page.get_by_label("Instructions").fill("What is the tone of this review?")
    page.get_by_label("Column with the text").select_option("text")
    page.get_by_label("Batch name").fill("Product reviews")
    page.get_by_label("Title workers see").fill("Tone of product reviews")
    page.get_by_label("Description", exact=True).fill("Read a short product review and pick its tone.")
    page.get_by_label("Keywords").fill("reviews, sentiment")
    page.get_by_label("Reward per assignment (USD)").fill("0.10")
    page.get_by_label("Expected seconds per HIT").fill("20")
    page.get_by_label("Assignments per HIT").fill("2")
    shot(page, screenshots, "configure")
    page.get_by_role("button", name="Save and preview").click()


def preview_reviews(page: Page, screenshots: Path) -> None:
    """The preview frame runs the real annotator on the draft's rows, keys included, and cannot submit."""
    expect(page.get_by_role("heading", name="Preview: row 1 as a worker sees it")).to_be_visible()
    frame = page.frame_locator("#preview-frame")
    expect(frame.locator("blockquote.ann-text")).to_have_text("Arrived broken and support never answered.")
    expect(frame.get_by_role("heading", name="Tone of product reviews")).to_be_visible()
    expect(frame.locator(".ann-instructions")).to_have_text("What is the tone of this review?")
    expect(frame.get_by_role("radio")).to_have_count(3)
    frame.locator("blockquote.ann-text").click()  # the frame has the focus: the annotator's keys work
    page.keyboard.press("2")
    expect(frame.get_by_role("radio", name=re.compile("negative"))).to_be_checked()
    expect(frame.get_by_role("button", name="Submit")).to_be_disabled()
    shot(page, screenshots, "preview")
    page.get_by_role("link", name="Row 2").click()
    expect(page.frame_locator("#preview-frame").locator("blockquote.ann-text")).to_have_text(
        "Great value, works well. Would buy again.")


def publish_reviews_to_the_sandbox(page: Page, runtime, screenshots: Path) -> None:
    """The cost page's numbers are rows x assignments x (reward + fee); a new requester has sandbox play
    money only, so the batch goes to the sandbox, chosen on the cost page while in production."""
    page.get_by_role("link", name="Next: cost and publish").click()
    expect(page.get_by_role("heading", name="Cost of “Product reviews”")).to_be_visible()
    expect(page.locator("#not-enough")).to_be_visible()  # a new requester has no production money
    page.get_by_label("Marketplace", exact=True).select_option("sandbox")  # the page follows the choice
    expect(page).to_have_url(re.compile(r".*/cost\?marketplace=sandbox$"))
    reward = parse_amount("0.10")
    fee = ledger.reward_fee(runtime.settings.money, reward, 2)
    assert fee == parse_amount("0.02")
    rows, per_hit = 3, 2
    expect(page.locator("#cost tr").first).to_contain_text("3 × 2 assignments")
    expect(page.locator("#cost-rewards")).to_have_text(f"${format_amount(rows * per_hit * reward)}")
    expect(page.locator("#cost-fees")).to_have_text(f"${format_amount(rows * per_hit * fee)}")
    expect(page.locator("#cost-total")).to_have_text(f"${format_amount(rows * per_hit * (reward + fee))}")
    expect(page.locator("#cost-total")).to_have_text("$0.72")
    expect(page.locator("#cost-available")).to_have_text("$10000.00")
    expect(page.locator("#cost-wage")).to_contain_text("$18.00 an hour at 20 seconds per HIT")
    expect(page.locator("#not-enough")).to_have_count(0)
    sandbox = page.get_by_role("radio", name=re.compile(r"^Sandbox"))
    expect(sandbox).to_be_checked()
    shot(page, screenshots, "cost")
    page.get_by_role("button", name="Publish the batch").click()
    expect(page.get_by_role("heading", name="Published: Product reviews")).to_be_visible()
    expect(page.locator("#published-hits")).to_have_text("3 HITs are open to workers.")


def publish_shapes_in_the_sandbox(page: Page) -> None:
    """The batch is in the sandbox, not in production; the header's switch takes the requester there.
    Then a zip of images, previewed (the image shows in the sandboxed frame) and published from there."""
    nav(page, "Batches")
    expect(page.locator("header .badge")).to_have_text("Production")
    expect(page.locator("table.batches tbody")).to_have_text("No batches in this marketplace yet.")
    page.get_by_role("button", name="Switch to sandbox").click()
    expect(page.locator("header .badge")).to_have_text("Sandbox")
    expect(page.locator("table.batches tbody tr")).to_have_count(1)
    upload(page, "shapes.zip", "application/zip", shapes_zip())
    expect(page.locator(".lead")).to_have_text("3 rows from shapes.zip.")
    expect(page.get_by_role("combobox", name="Task type")).to_have_value("image_classification")
    expect(page.locator("table.rows tbody")).to_contain_text("circle.png")
    page.get_by_label("Labels (one a line)").fill("circle\nsquare\ntriangle")
    page.get_by_label("Title workers see").fill("Which shape is it?")
    page.get_by_role("button", name="Save and preview").click()
    picture = page.frame_locator("#preview-frame").get_by_role("img", name="The image to label")
    width = picture.evaluate("img => img.decode().then(() => img.naturalWidth)")
    assert width == 120  # the uploaded image, served from the media store into the sandboxed frame
    page.get_by_role("link", name="Next: cost and publish").click()
    expect(page.locator("#cost tr").first).to_contain_text("3 × 3 assignments")  # the consensus default
    expect(page.locator("#cost-total")).to_have_text("$0.54")  # 9 × (0.05 + the 0.01 minimum fee)
    expect(page.get_by_role("radio", name="Sandbox (the marketplace you are in)")).to_be_checked()
    page.get_by_role("button", name="Publish the batch").click()
    expect(page).to_have_url(BATCH_PAGE)
    expect(page.get_by_role("heading", level=1)).to_contain_text("shapes")


def workers_answer_while_the_requester_watches_and_pauses(page: Page, open_page, ada, bob) -> dict[str, list]:
    """Two workers in the sandbox, two HITs each; the requester sees the counts move, pauses (the
    workers no longer find the batch), resumes, and the workers finish it. Returns the answers by worker id."""
    ada_page, bob_page = worker_in_sandbox(open_page, "ada-labels"), worker_in_sandbox(open_page, "bob-labels")
    answers = {ada.actor.public_id: work_on_reviews(ada_page, 2), bob.actor.public_id: work_on_reviews(bob_page, 2)}
    page.reload()
    expect(page.locator(".progress span")).to_have_text("4 of 6 assignments answered")
    expect(count(page, "assignment-counts", "Submitted")).to_have_text("4")
    expect(count(page, "assignment-counts", "Open")).to_have_text("2")
    expect(page.locator("table.hits-table tbody tr")).to_have_count(3)
    progress_plot = page.get_by_role("img", name="Assignments by state and HITs by consensus confidence")
    assert progress_plot.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0

    # Paused, the batch leaves the marketplace; resumed, it is back.
    page.get_by_role("button", name="Pause").click()
    expect(page.locator(".flash-success")).to_contain_text("Paused: the 3 HITs of Product reviews")
    expect(page.locator("h1 .status")).to_have_text("paused")
    search(ada_page, "reviews")
    expect(ada_page.locator("li.group")).to_have_count(0)
    page.get_by_role("button", name="Resume").click()
    expect(page.locator(".flash-success")).to_contain_text("Resumed")
    expect(page.locator("h1 .status")).to_have_text("running")
    answers[ada.actor.public_id] += work_on_reviews(ada_page, 1)
    answers[bob.actor.public_id] += work_on_reviews(bob_page, 1)
    page.reload()
    expect(page.locator(".progress span")).to_have_text("6 of 6 assignments answered")
    expect(count(page, "assignment-counts", "Submitted")).to_have_text("6")
    expect(page.locator("table.consensus tbody tr")).to_have_count(3)
    return answers


def download_the_answers(page: Page, screenshots: Path) -> list[dict]:
    """Export one record per answer as JSON Lines (the job runs as the request commits) and download it."""
    page.get_by_label("Format").select_option("jsonl")
    page.get_by_label("Records").select_option("answers")
    page.get_by_role("button", name="Export").click()
    expect(page.locator(".flash-success")).to_contain_text("(jsonl) is being written")
    exports = page.locator("table.exports tbody tr")
    expect(exports).to_have_count(1)
    expect(exports).to_contain_text("succeeded")
    shot(page, screenshots, "batch")
    with page.expect_download() as info:
        exports.get_by_role("link").click()
    downloaded = Path(info.value.path()).read_text(encoding="utf-8")
    return [json.loads(line) for line in downloaded.splitlines() if line.strip()]


def test_the_header_shows_the_session_marketplace_on_the_cost_and_published_pages(open_page):
    page = open_page()
    sign_up(page, "header-lab")
    upload(page, "reviews.csv", "text/csv", REVIEWS_CSV)
    page.get_by_role("button", name="Save and see the cost").click()
    page.get_by_label("Marketplace", exact=True).select_option("sandbox")
    expect(page).to_have_url(re.compile(r".*/cost\?marketplace=sandbox$"))
    page.get_by_role("button", name="Publish the batch").click()
    expect(page.get_by_role("heading", name="Published: reviews")).to_be_visible()
    header = page.locator("header.site")
    expect(header.locator(".badge")).to_have_text("Production", timeout=1_000)  # the session's marketplace
    expect(header.get_by_role("button", name="Switch to sandbox")).to_be_visible(timeout=1_000)
