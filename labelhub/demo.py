"""The demo marketplace, seeded through the services: a funded requester, three workers, a batch of
image-classification HITs (shapes drawn with Pillow) and a batch of text-classification HITs.

Seeding is idempotent. The logins are kept in the instance folder (``demo.json``, readable by its owner
only, since a token cannot be read back from its hash), and a second run reuses every account and batch
that still exists, creating only what is missing.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from labelhub.errors import AuthenticationError, ConflictError
from labelhub.models import Batch, Marketplace
from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import accounts, batches, payments
from labelhub.services.accounts import RequesterCredentials, WorkerCredentials
from labelhub.services.actors import Actor
from labelhub.services.commands import HITTypeSpec, Locale
from labelhub.services.ledger import Balance
from labelhub.web.images import images_path

REQUESTER = "demo-requester"
WORKERS = ("demo-worker-1", "demo-worker-2", "demo-worker-3")
FUNDS = "250.00"
LOGINS_FILE = "demo.json"
LIFETIME_SECONDS = 30 * 86_400
AUTO_APPROVAL_SECONDS = 3 * 86_400

SHAPES = ("circle", "square")
COLOURS = {"red": "#d1495b", "green": "#2a9d8f", "blue": "#3a6ea5", "orange": "#e9874a"}
SIZES = (56, 84, 112)  # one image per shape, colour and size
IMAGE_SIDE = 160
BACKGROUND = "#f7f5f0"

REVIEWS = (
    ("The delivery was fast and the fabric feels great.", "positive"),
    ("Best coffee in town, and the staff are lovely.", "positive"),
    ("I would happily buy this again.", "positive"),
    ("The update fixed every problem I had.", "positive"),
    ("A charming little hotel with a view to remember.", "positive"),
    ("The battery died after two days.", "negative"),
    ("Customer service never answered my emails.", "negative"),
    ("Cold food and a forty-minute wait.", "negative"),
    ("The screen cracked the first time I dropped it.", "negative"),
    ("Too loud, too crowded and too expensive.", "negative"),
    ("The package arrived on Tuesday.", "neutral"),
    ("It comes in three colours and two sizes.", "neutral"),
    ("The manual is forty pages long.", "neutral"),
    ("The shop opens at nine on weekdays.", "neutral"),
    ("I used it twice this week.", "neutral"),
)


@dataclass(frozen=True)
class BatchPlan:
    name: str
    template_kind: str
    labels: tuple[str, ...]
    question: str
    hit_type: HITTypeSpec
    rows: tuple[dict[str, Any], ...]


def image_rows() -> tuple[dict[str, Any], ...]:
    """One row per drawn image, shuffled the same way every time so the grid mixes the shapes."""
    rows = [{"image": f"{shape}-{colour}-{size}.png", "shape": shape, "colour": colour, "size": size}
            for shape in SHAPES for colour in COLOURS for size in SIZES]
    random.Random(7).shuffle(rows)
    return tuple(rows)


def plans() -> tuple[BatchPlan, ...]:
    shapes = BatchPlan(
        name="Demo: circle or square?", template_kind="image_classification", labels=SHAPES,
        question='<img src="/images/${image}" alt="A shape"><p>Is the shape a circle or a square?</p>',
        hit_type=HITTypeSpec(title="Circle or square?",
                             description="Look at the picture and pick the shape you see.",
                             reward_micros=parse_amount("0.05"), assignment_duration_seconds=300,
                             auto_approval_delay_seconds=AUTO_APPROVAL_SECONDS,
                             keywords="image, shapes, demo"),
        rows=tuple({"image": row["image"], "image_url": f"/images/{row['image']}"} for row in image_rows()))
    reviews = BatchPlan(
        name="Demo: sentiment of short reviews", template_kind="text_classification",
        labels=("positive", "negative", "neutral"),
        question="<blockquote>${text}</blockquote><p>Is this review positive, negative or neutral?</p>",
        hit_type=HITTypeSpec(title="Is this review positive, negative or neutral?",
                             description="Read one sentence from a product review and pick its sentiment.",
                             reward_micros=parse_amount("0.04"), assignment_duration_seconds=300,
                             auto_approval_delay_seconds=AUTO_APPROVAL_SECONDS,
                             keywords="text, sentiment, demo"),
        rows=tuple({"text": text} for text, _ in REVIEWS))
    return shapes, reviews


Progress = Callable[[int], object]
STEPS = 2 + len(WORKERS) + len(SHAPES) * len(COLOURS) * len(SIZES) + 2  # what seed() reports to progress


@dataclass(frozen=True)
class BatchLine:
    name: str
    public_id: str
    template_kind: str
    hits: int


@dataclass(frozen=True)
class DemoSummary:
    created: bool  # False when everything already existed
    requester_name: str
    requester: RequesterCredentials
    requester_password: str  # for the requester pages (/requester/signin)
    balance: Balance
    workers: tuple[tuple[str, WorkerCredentials], ...]
    batches: tuple[BatchLine, ...]
    logins_file: Path


class _Logins:
    """The demo's saved logins; written after every account so an interrupted run can resume."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        except (ValueError, OSError):
            self.data = {}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # also when a leftover file of an interrupted run had another mode
        with os.fdopen(fd, "w") as out:
            json.dump(self.data, out, indent=2)
        partial.replace(self.path)


def _missing_logins(kind: str, name: str, logins: _Logins) -> ConflictError:
    return ConflictError(
        f"A {kind} named {name!r} already exists in this database, but its demo logins are not in "
        f"{logins.path}. Point LABELHUB_STORAGE_INSTANCE_PATH at the instance folder of the run that "
        f"seeded it, or run the demo on an empty database.", entity=kind)


def _still_valid(rt: Runtime, token: str, kind: str) -> bool:
    try:
        return accounts.authenticate_token(rt, token, Marketplace.PRODUCTION).kind == kind
    except AuthenticationError:  # the database was emptied since: seed again
        return False


def _requester(rt: Runtime, logins: _Logins) -> tuple[RequesterCredentials, bool]:
    saved = logins.data.get("requester")
    if saved and _still_valid(rt, saved["api_token"], "requester"):
        if "requester_password" not in logins.data:  # seeded before the requester pages had passwords
            logins.data["requester_password"] = secrets.token_urlsafe(12)
            accounts.set_requester_password(rt, REQUESTER, logins.data["requester_password"])
            logins.save()
        return RequesterCredentials(**saved), False
    password = secrets.token_urlsafe(12)
    try:
        creds = accounts.create_requester(rt, REQUESTER, password=password)
    except ConflictError:
        raise _missing_logins("requester", REQUESTER, logins) from None
    logins.data.update(requester=asdict(creds), requester_password=password, funded=False)
    logins.save()
    return creds, True


def _fund(rt: Runtime, logins: _Logins, creds: RequesterCredentials) -> bool:
    if logins.data.get("funded"):
        return False
    payments.deposit(rt, creds.requester_id, parse_amount(FUNDS), memo="demo funds")
    logins.data["funded"] = True
    logins.save()
    return True


def _worker(rt: Runtime, logins: _Logins, name: str) -> tuple[WorkerCredentials, bool]:
    saved = logins.data.setdefault("workers", {}).get(name)
    if saved and _still_valid(rt, saved["api_token"], "worker"):
        return WorkerCredentials(**saved), False
    try:
        creds = accounts.create_worker(rt, name, locale=Locale("US"))
    except ConflictError:
        raise _missing_logins("worker", name, logins) from None
    logins.data["workers"][name] = asdict(creds)
    logins.save()
    return creds, True


def draw_shape(path: Path, shape: str, colour: str, size: int) -> bool:
    """Draw one shape centred on a plain background as a PNG; an existing file is kept."""
    if path.exists():
        return False
    image = Image.new("RGB", (IMAGE_SIDE, IMAGE_SIDE), BACKGROUND)
    low, high = (IMAGE_SIDE - size) // 2, (IMAGE_SIDE + size) // 2
    draw = ImageDraw.Draw(image)
    (draw.ellipse if shape == "circle" else draw.rectangle)((low, low, high, high), fill=colour)
    partial = path.with_suffix(".tmp")
    image.save(partial, format="PNG", optimize=True)
    partial.replace(path)
    return True


def _existing_batches(rt: Runtime, actor: Actor) -> dict[str, Batch]:
    found: dict[str, Batch] = {}
    cursor: str | None = None
    while True:
        page = batches.list_batches(rt, actor, cursor=cursor, limit=100)
        found.update((batch.name, batch) for batch in page.items)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def _create_batch(rt: Runtime, actor: Actor, plan: BatchPlan) -> Batch:
    schema = {"type": "object", "required": ["label"], "additionalProperties": False,
              "properties": {"label": {"enum": list(plan.labels)}}}
    return batches.create_batch(rt, actor, batches.CreateBatch(
        name=plan.name, template_kind=plan.template_kind, question_template=plan.question,
        hit_type=plan.hit_type, rows=plan.rows, lifetime_seconds=LIFETIME_SECONDS,
        max_assignments=len(WORKERS), template_config={"labels": list(plan.labels)}, answer_schema=schema))


def _accounts(rt: Runtime, logins: _Logins, progress: Progress) -> tuple[
        RequesterCredentials, list[tuple[str, WorkerCredentials]], bool]:
    requester, created = _requester(rt, logins)
    progress(1)
    created |= _fund(rt, logins, requester)
    progress(1)
    workers = []
    for name in WORKERS:
        creds, made = _worker(rt, logins, name)
        workers.append((name, creds))
        created |= made
        progress(1)
    return requester, workers, created


def _images(rt: Runtime, progress: Progress) -> bool:
    folder = images_path(rt.settings)
    folder.mkdir(parents=True, exist_ok=True)
    created = False
    for row in image_rows():
        created |= draw_shape(folder / row["image"], row["shape"], COLOURS[row["colour"]], row["size"])
        progress(1)
    return created


def _batches(rt: Runtime, actor: Actor, progress: Progress) -> tuple[list[BatchLine], bool]:
    existing, lines, created = _existing_batches(rt, actor), [], False
    for plan in plans():
        batch = existing.get(plan.name)
        if batch is None:
            batch, created = _create_batch(rt, actor, plan), True
        lines.append(BatchLine(batch.name, batch.public_id, batch.template_kind,
                               batches.batch_progress(rt, actor, batch.public_id).hits))
        progress(1)
    return lines, created


def seed(rt: Runtime, *, progress: Progress = lambda steps: None) -> DemoSummary:
    """Create whatever of the demo is missing (all of it the first time) and describe the result.

    ``progress`` is called with 1 after each of ``STEPS`` steps. Raises ConflictError when demo
    accounts exist in the database but their logins are not in the instance folder.
    """
    logins = _Logins(Path(rt.settings.storage.instance_path) / LOGINS_FILE)
    requester, workers, created = _accounts(rt, logins, progress)
    created |= _images(rt, progress)
    actor = accounts.requester_actor(rt, requester.requester_id, Marketplace.PRODUCTION)
    lines, made = _batches(rt, actor, progress)
    return DemoSummary(created=created or made, requester_name=REQUESTER, requester=requester,
                       requester_password=logins.data["requester_password"],
                       balance=payments.balance(rt, actor), workers=tuple(workers), batches=tuple(lines),
                       logins_file=logins.path)
