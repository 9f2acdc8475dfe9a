"""Drafts of the browser's new-batch wizard: an uploaded file's rows and the settings being chosen,
kept between the wizard's steps until the requester publishes the batch.

A draft is a JSON file, ``<instance>/drafts/<requester public id>/<draft id>.json``, not a table:
drafts are scratch data that no other part of LabelHub reads, a week-old one is pruned, and a file
needs no migration. The folder is the instance folder the media store already shares between web
processes. The owner's id in the path is the authorization: another requester's draft id opens
nothing. Publishing goes through ``batches.create_batch``, the REST API's path.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select

import annotators
from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import HIT, Batch, HITType, Marketplace
from labelhub.money import format_amount
from labelhub.runtime import Runtime
from labelhub.services import batch_files, batches, ledger, media, payments
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_builds import GOLD_COLUMN
from labelhub.services.batch_quality import QualitySettings, owned_batch

DRAFT_LIFETIME_SECONDS = 7 * 86_400
MAX_DRAFTS = 20  # per requester; older ones are pruned first
MAX_ZIP_MEMBERS = 1_000
MAX_ZIP_BYTES = 256 * 1024 * 1024  # all images of a zip, uncompressed
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
IMAGE_COLUMN = "image_url"
_DRAFT_ID = re.compile(r"^[A-Za-z0-9_-]{16}$")
_OWNER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Draft:
    """``settings`` has the members of the REST API's batch settings (``BATCH_SETTINGS``: name,
    task_type, config, title, reward as "0.50", ...) plus ``expected_seconds``; ``checked`` says
    they made a valid batch command with these rows when last saved."""

    id: str
    owner: str
    source: str
    columns: list[str]
    rows: list[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)
    checked: bool = False

    @property
    def gold_rows(self) -> int:
        return sum(GOLD_COLUMN in row for row in self.rows)


def _folder(rt: Runtime, actor: Actor) -> Path:
    if not _OWNER_ID.match(actor.public_id):
        raise InvalidStateError("This requester id cannot name a drafts folder", entity="draft")
    return Path(rt.settings.storage.instance_path) / "drafts" / actor.public_id


def _path(rt: Runtime, actor: Actor, draft_id: str) -> Path:
    if not _DRAFT_ID.match(draft_id):
        raise NotFoundError(f"Draft {draft_id[:40]!r} does not exist", entity="draft")
    return _folder(rt, actor) / f"{draft_id}.json"


def _write(rt: Runtime, actor: Actor, draft: Draft) -> None:
    """Write atomically, stamped with the runtime's clock (what pruning compares)."""
    path = _path(rt, actor, draft.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=".draft-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(draft), handle, ensure_ascii=False)
        stamp = rt.clock().timestamp()
        os.utime(partial, (stamp, stamp))
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _prune(rt: Runtime, actor: Actor) -> None:
    """Drop the requester's files older than DRAFT_LIFETIME_SECONDS (a publication that died midway
    included), and all drafts but the newest MAX_DRAFTS - 1."""
    folder = _folder(rt, actor)
    if not folder.is_dir():
        return
    now = rt.clock().timestamp()
    ages = {path: now - _modified(path) for path in folder.iterdir()}
    drafts = sorted((path for path in ages if path.suffix == ".json"), key=ages.__getitem__)
    for path, age in ages.items():
        if age > DRAFT_LIFETIME_SECONDS or (path in drafts and drafts.index(path) >= MAX_DRAFTS - 1):
            path.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile by another request
        return float("inf")


def load_draft(rt: Runtime, actor: Actor, draft_id: str) -> Draft:
    """The requester's own draft. Raises NotFoundError (another requester's draft too), PermissionDeniedError."""
    require_requester(actor)
    path = _path(rt, actor, draft_id)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"Draft {draft_id} does not exist (drafts are kept for 7 days)", entity="draft") \
            from None
    return Draft(**raw)


def _new_draft(rt: Runtime, actor: Actor, source: str, rows: list[dict[str, Any]],
               settings: dict[str, Any]) -> Draft:
    columns = list(dict.fromkeys(key for row in rows for key in row if key != GOLD_COLUMN))
    draft = Draft(id=secrets.token_urlsafe(12), owner=actor.public_id, source=source, columns=columns,
                  rows=rows, settings=settings)
    _prune(rt, actor)
    _write(rt, actor, draft)
    return draft


def create_draft(rt: Runtime, actor: Actor, *, filename: str, data: bytes, image_url: Callable[[str], str]) -> Draft:
    """A draft from an uploaded CSV or JSON Lines file (``batch_files``) or a zip of images: one row per
    image, each kept by ``media.store_image``, its ``image_url`` what ``image_url`` makes of the stored
    name. Raises InvalidInputError naming the row, column, line or file inside the zip that is wrong."""
    require_requester(actor)
    if filename.lower().endswith(".zip"):
        rows = _image_rows(rt, actor, data, image_url)
    else:
        rows = list(batch_files.read_rows(data, batch_files.file_format(filename)))
    if len(rows) > batches.MAX_ROWS:
        raise InvalidInputError({"file": f"has {len(rows):,} rows; a batch has at most {batches.MAX_ROWS:,}"})
    return _new_draft(rt, actor, filename, rows, default_settings(filename, rows))


def _image_rows(rt: Runtime, actor: Actor, data: bytes, image_url: Callable[[str], str]) -> list[dict[str, Any]]:
    """One row per image of the zip, in name order. The member count and the declared sizes are checked
    before anything is decompressed, and each member is read no further than its declared size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidInputError({"file": "is not a readable zip archive"}) from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir() and not _is_hidden(info.filename)]
        if not members:
            raise InvalidInputError({"file": "the zip holds no images"})
        if len(members) > MAX_ZIP_MEMBERS:
            raise InvalidInputError({"file": f"the zip holds {len(members):,} files; the limit is {MAX_ZIP_MEMBERS:,}"})
        total = sum(info.file_size for info in members)
        if total > MAX_ZIP_BYTES:
            raise InvalidInputError({"file": f"the zip's files come to {total:,} bytes uncompressed; the limit "
                                             f"is {MAX_ZIP_BYTES:,}"})
        return [_image_row(rt, actor, archive, info, number, image_url)
                for number, info in enumerate(sorted(members, key=lambda i: i.filename), start=1)]


def _is_hidden(name: str) -> bool:
    path = PurePosixPath(name)
    return path.parts[0] == "__MACOSX" or path.name.startswith(".")


def _image_row(rt: Runtime, actor: Actor, archive: zipfile.ZipFile, info: zipfile.ZipInfo, number: int,
               image_url: Callable[[str], str]) -> dict[str, Any]:
    where = f"rows[{number}].{IMAGE_COLUMN}"
    if not info.filename.lower().endswith(IMAGE_SUFFIXES):
        raise InvalidInputError({where: f"{info.filename} is not an image ({', '.join(IMAGE_SUFFIXES)})"})
    if info.file_size > media.MAX_IMAGE_BYTES:
        raise InvalidInputError({where: f"{info.filename} is {info.file_size:,} bytes; the limit is "
                                        f"{media.MAX_IMAGE_BYTES:,}"})
    try:
        with archive.open(info) as member:
            content = member.read(media.MAX_IMAGE_BYTES + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:  # CRC, encrypted, method
        raise InvalidInputError({where: f"{info.filename} cannot be read from the zip ({exc})"}) from None
    try:
        stored = media.store_image(rt, actor, content)
    except InvalidInputError as exc:
        raise InvalidInputError({where: f"{info.filename} {exc.fields.get('image', exc.message)}"}) from None
    return {IMAGE_COLUMN: image_url(stored.name), "file_name": info.filename, "image_width": stored.width,
            "image_height": stored.height}


def default_settings(source: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A starting point the requester edits: a task type that fits the columns, MTurk-like pay and times."""
    columns = set(rows[0]) if rows else set()
    kind = "image_classification" if IMAGE_COLUMN in columns else "text_classification"
    annotator = annotators.get(kind)
    title = PurePosixPath(source).stem[:128] or "New batch"
    return {"name": title[:200], "task_type": kind, "config": annotator.example_config(), "title": title,
            "description": f"{annotator.title}: read the instructions and answer.", "keywords": "",
            "reward": "0.05", "assignment_duration_seconds": 600, "lifetime_seconds": 3 * 86_400,
            "auto_approval_delay_seconds": 3 * 86_400, "question_template": "", "qualification_requirements": [],
            "expected_seconds": 30}


def save_settings(rt: Runtime, actor: Actor, draft_id: str, settings: dict[str, Any]) -> Draft:
    """Keep the settings if they make a valid batch with the draft's rows (the batch command, the task
    type's configuration, every row holding the columns it shows). Raises InvalidInputError, NotFoundError."""
    draft = load_draft(rt, actor, draft_id)
    batches.checked_task_type_config(batches.batch_from_settings(settings, draft.rows))
    saved = replace(draft, settings=settings, checked=True)
    _write(rt, actor, saved)
    return saved


def checked_draft(rt: Runtime, actor: Actor, draft_id: str) -> Draft:
    """A draft whose settings were saved valid (preview, cost, publish). Raises InvalidStateError."""
    draft = load_draft(rt, actor, draft_id)
    if not draft.checked:
        raise InvalidStateError("Configure the batch (task type, settings) before this step", entity="draft")
    return draft


@dataclass(frozen=True)
class Preview:
    """One row as a worker's task page shows it: the annotator, its public configuration, the row."""

    settings: dict[str, Any]
    annotator: annotators.Annotator
    config: dict[str, Any]
    item: dict[str, Any]


def preview(rt: Runtime, actor: Actor, draft_id: str, row: int, *, rows: int) -> Preview:
    """Row ``row`` (from 1, among the first ``rows``) of a configured draft, as the worker will see it;
    no HIT is made. Raises InvalidInputError (no such row), InvalidStateError, NotFoundError."""
    draft = checked_draft(rt, actor, draft_id)
    shown = min(len(draft.rows), rows)
    if not 1 <= row <= shown:
        raise InvalidInputError({"row": f"must be between 1 and {shown}"})
    annotator = annotators.get(draft.settings["task_type"])
    config = annotator.public_config(annotator.parse_config(draft.settings.get("config") or {}))
    item = {key: value for key, value in draft.rows[row - 1].items() if key != GOLD_COLUMN}
    return Preview(draft.settings, annotator, config, item)


@dataclass(frozen=True)
class Cost:
    """What publishing the draft holds, in micro-units: rewards and fees of the ordinary HITs' first
    assignments, the gold HITs' slots (reward and fee), and with dynamic overlap the most it can reach."""

    hits: int
    gold_hits: int
    assignments_per_hit: int
    gold_assignments: int
    reward_micros: int
    rewards_micros: int
    fees_micros: int
    gold_micros: int
    total_micros: int
    most_micros: int
    available_micros: int
    hourly_wage_micros: int | None

    @property
    def enough(self) -> bool:
        return self.available_micros >= self.total_micros

    @property
    def shortfall(self) -> str:
        return format_amount(max(self.total_micros - self.available_micros, 0))


def estimate_cost(rt: Runtime, actor: Actor, draft_id: str, marketplace: Marketplace) -> Cost:
    """The cost of publishing the draft in ``marketplace`` against the requester's available balance
    there, with the fee rule the ledger holds (``ledger.reward_fee``), and the hourly wage implied by
    the settings' ``expected_seconds``."""
    draft = checked_draft(rt, actor, draft_id)
    cmd = batches.batch_from_settings(draft.settings, draft.rows)
    money, reward = rt.settings.money, cmd.hit_type.reward_micros
    golds = draft.gold_rows
    ordinary = len(draft.rows) - golds
    per_hit = cmd.assignments_per_hit(batches.checked_task_type_config(cmd))
    gold_slots = cmd.gold_assignments or rt.settings.quality.gold_assignments
    fee = ledger.reward_fee(money, reward, per_hit)
    gold = golds * gold_slots * (reward + ledger.reward_fee(money, reward, gold_slots))
    total = ordinary * per_hit * (reward + fee) + gold
    overlap = cmd.quality.overlap if cmd.quality else None
    most = total if overlap is None else gold + ordinary * overlap.max_assignments * (reward + fee)
    seconds = draft.settings.get("expected_seconds")
    wage = reward * 3600 // seconds if isinstance(seconds, int) and seconds > 0 else None
    balance = payments.balance(rt, actor.in_marketplace(marketplace))
    return Cost(hits=ordinary, gold_hits=golds, assignments_per_hit=per_hit, gold_assignments=gold_slots,
                reward_micros=reward, rewards_micros=ordinary * per_hit * reward,
                fees_micros=ordinary * per_hit * fee, gold_micros=gold, total_micros=total, most_micros=most,
                available_micros=balance.available_micros, hourly_wage_micros=wage)


def publish(rt: Runtime, actor: Actor, draft_id: str, marketplace: Marketplace) -> Batch:
    """Create the draft's batch in ``marketplace`` (``batches.create_batch``: a large one is built by its
    job), then discard the draft. Raises what create_batch raises (InsufficientFundsError...)."""
    draft = checked_draft(rt, actor, draft_id)
    path = _path(rt, actor, draft_id)
    claimed = path.with_suffix(".publishing")
    try:  # one publication per draft, even when the form is sent twice at once
        os.replace(path, claimed)
    except FileNotFoundError:
        raise NotFoundError(f"Draft {draft_id} does not exist (it may just have been published)",
                            entity="draft") from None
    try:
        batch = batches.create_batch(rt, actor.in_marketplace(marketplace),
                                     batches.batch_from_settings(draft.settings, draft.rows))
    except BaseException:
        os.replace(claimed, path)
        raise
    claimed.unlink()
    return batch


def copy_batch(rt: Runtime, actor: Actor, batch_public_id: str) -> Draft:
    """A new draft holding an existing batch's rows (gold rows with their known answers) and settings,
    to publish again, in the other marketplace say. Raises NotFoundError (another requester's batch too)."""
    require_requester(actor)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        hit_type = db.get_one(HITType, batch.hit_type_id)
        hits = db.execute(select(HIT.data, HIT.gold_answer, HIT.expires_at, HIT.created_at, HIT.max_assignments)
                          .where(HIT.batch_id == batch.id).order_by(HIT.id)).all()
        requirements = [_requirement_json(r) for r in hit_type.requirements]
    if not hits:
        raise InvalidStateError(f"Batch {batch_public_id} has no HITs yet to copy", entity="batch")
    rows = [dict(hit.data or {}) | ({GOLD_COLUMN: hit.gold_answer} if hit.gold_answer is not None else {})
            for hit in hits]
    ordinary = [hit.max_assignments for hit in hits if hit.gold_answer is None]
    quality = QualitySettings.stored(batch.quality)
    settings = {
        "name": f"Copy of {batch.name}"[:200], "task_type": batch.template_kind,
        "config": batch.template.get("config", {}), "question_template": batch.template.get("question", ""),
        "title": hit_type.title, "description": hit_type.description, "keywords": hit_type.keywords,
        "reward": format_amount(hit_type.reward_micros),
        "assignment_duration_seconds": hit_type.assignment_duration_seconds,
        "auto_approval_delay_seconds": hit_type.auto_approval_delay_seconds,
        "lifetime_seconds": int((hits[0].expires_at - hits[0].created_at).total_seconds()),
        "qualification_requirements": requirements, "quality": quality.to_json(), "expected_seconds": 30,
        "max_assignments": None if quality.overlap or not ordinary else ordinary[0]}
    return _new_draft(rt, actor, f"batch {batch.name}", rows, settings)


def _requirement_json(requirement: Any) -> dict[str, Any]:
    return {"qualification_type_id": requirement.qualification_type_id,
            "comparator": requirement.comparator.value, "integer_values": list(requirement.integer_values or ()),
            "locale_values": [dict(loc) for loc in requirement.locale_values or ()],
            "actions_guarded": requirement.actions_guarded.value}
