"""The requester's new-batch wizard: upload a file, configure the task type and the batch, preview it as
a worker sees it, see its cost, publish it (sandbox or production); and copy an existing batch.

Each view turns its form into the draft's settings (the REST API's batch settings) and calls one
``batch_drafts`` use case; the rules are the batch service's.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

import annotators
from labelhub import runtime_of
from labelhub.errors import DomainError, InsufficientFundsError, InvalidInputError
from labelhub.models import BatchState, Comparator, Marketplace
from labelhub.runtime import Runtime
from labelhub.services import batch_builds, batch_drafts, batches, eligibility, qualifications
from labelhub.web import csrf, errors, forms, security
from labelhub.web.auth import current_marketplace
from labelhub.web.batch_forms import config_fields, config_from_form
from labelhub.web.requester_session import requester_required, signed_in_requester

bp = Blueprint("requester_new", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)

CUSTOM_REQUIREMENTS = 3  # rows for the requester's own qualification types on the form
PREVIEW_ROWS = 5
# The preview frame: an opaque origin (sandbox without allow-same-origin) that runs the annotator's
# scripts from this server, shows images from anywhere, and can neither submit nor navigate anywhere.
FRAME_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'self'; style-src 'self'; "
             "img-src 'self' data: blob: https: http:; media-src 'self' data: https: http:; "
             "form-action 'none'; base-uri 'none'; frame-ancestors 'self'")


def _rt() -> Runtime:
    return runtime_of(current_app)


def _seconds(form: Mapping[str, str], name: str, unit: int) -> int:
    try:
        amount = Decimal(form.get(name, "").strip())
    except InvalidOperation:
        raise InvalidInputError({name: "must be a number such as 2 or 1.5"}) from None
    if not amount.is_finite() or amount < 0 or amount > 10**9:
        raise InvalidInputError({name: "must be a number such as 2 or 1.5"})
    return int(amount * unit)


def _integer(form: Mapping[str, str], name: str) -> int | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise InvalidInputError({name: "must be a whole number"})
    return int(text)


def _locales(text: str) -> list[dict[str, str]]:
    found = []
    for code in text.replace(",", " ").split():
        country, _, subdivision = code.upper().partition("-")
        found.append({"country": country} | ({"subdivision": subdivision} if subdivision else {}))
    return found


def requirements_from_form(form: Mapping[str, str], marketplace: Marketplace) -> list[dict[str, Any]]:
    """The qualification requirements (REST shape): locale, approval rate, approved count, Masters, and
    the requester's own types."""
    found: list[dict[str, Any]] = []
    if form.get("req_locale", "").strip():
        found.append({"qualification_type_id": eligibility.LOCALE, "comparator": Comparator.IN.value,
                      "locale_values": _locales(form["req_locale"])})
    for name, type_id in (("req_percent_approved", eligibility.PERCENT_APPROVED),
                          ("req_number_approved", eligibility.NUMBER_HITS_APPROVED)):
        value = _integer(form, name)
        if value is not None:
            found.append({"qualification_type_id": type_id, "integer_values": [value],
                          "comparator": Comparator.GREATER_THAN_OR_EQUAL_TO.value})
    if form.get("req_masters") == "1":
        found.append({"qualification_type_id": eligibility.MASTERS_ID[marketplace],
                      "comparator": Comparator.EXISTS.value})
    for n in range(1, CUSTOM_REQUIREMENTS + 1):
        type_id = form.get(f"req_type_{n}", "").strip()
        if type_id:
            value = _integer(form, f"req_value_{n}")
            found.append({"qualification_type_id": type_id, "comparator": form.get(f"req_comparator_{n}", ""),
                          "integer_values": [] if value is None else [value]})
    return found


def _requirement_values(requirements: list[dict[str, Any]]) -> dict[str, str]:
    values: dict[str, str] = {}
    custom = 0
    for r in requirements:
        type_id, ints = r["qualification_type_id"], r.get("integer_values") or []
        if type_id == eligibility.LOCALE and r["comparator"] == Comparator.IN.value:
            values["req_locale"] = ", ".join(loc["country"] + (f"-{loc['subdivision']}" if loc.get("subdivision")
                                                               else "") for loc in r["locale_values"])
        elif type_id == eligibility.PERCENT_APPROVED and len(ints) == 1:
            values["req_percent_approved"] = str(ints[0])
        elif type_id == eligibility.NUMBER_HITS_APPROVED and len(ints) == 1:
            values["req_number_approved"] = str(ints[0])
        elif type_id in eligibility.MASTERS_IDS:
            values["req_masters"] = "1"
        elif custom < CUSTOM_REQUIREMENTS:
            custom += 1
            values |= {f"req_type_{custom}": type_id, f"req_comparator_{custom}": r["comparator"],
                       f"req_value_{custom}": str(ints[0]) if ints else ""}
    return values


def _quality_from_form(form: Mapping[str, str], before: Mapping[str, Any]) -> dict[str, Any]:
    """Dynamic overlap and the LLM policy from the form; the other quality settings as they were."""
    overlap = None
    if form.get("assignments_mode") == "dynamic":
        overlap = {"min_assignments": _integer(form, "overlap_min"), "max_assignments": _integer(form, "overlap_max"),
                   "confidence_target": _fraction(form, "overlap_target")}
    llm = {"action": form.get("llm_action", "none"), "auto_reject": form.get("llm_auto_reject") == "1",
           "reference_field": form.get("llm_reference_field", "").strip() or "llm_reference"}
    return dict(before) | {"overlap": overlap, "llm": llm}


def _fraction(form: Mapping[str, str], name: str) -> float:
    try:
        return float(Decimal(form.get(name, "").strip()))
    except InvalidOperation:
        raise InvalidInputError({name: "must be a number between 0 and 1 such as 0.9"}) from None


def settings_from_form(form: Mapping[str, str], before: Mapping[str, Any], marketplace: Marketplace) -> dict[str, Any]:
    """The draft's settings (the REST API's batch settings) from the configuration form."""
    kind = form.get("task_type", "")
    dynamic = form.get("assignments_mode") == "dynamic"
    return {
        "name": form.get("name", "").strip(), "task_type": kind, "config": config_from_form(kind, form),
        "question_template": form.get("question_template", "").strip(), "title": form.get("title", "").strip(),
        "description": form.get("description", "").strip(), "keywords": form.get("keywords", "").strip(),
        "reward": form.get("reward", "").strip(),
        "assignment_duration_seconds": _seconds(form, "duration_minutes", 60),
        "lifetime_seconds": _seconds(form, "lifetime_hours", 3600),
        "auto_approval_delay_seconds": _seconds(form, "auto_approval_hours", 3600),
        "max_assignments": None if dynamic else _integer(form, "max_assignments"),
        "gold_assignments": _integer(form, "gold_assignments"),
        "qualification_requirements": requirements_from_form(form, marketplace),
        "quality": _quality_from_form(form, before.get("quality") or {}),
        "expected_seconds": _integer(form, "expected_seconds"),
    }


def _in_units(seconds: int | None, unit: int) -> str:
    """600 seconds in minutes -> "10"; 5400 in hours -> "1.5"."""
    if seconds is None:
        return ""
    text = format(Decimal(seconds) / unit, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def form_values(settings: Mapping[str, Any]) -> dict[str, str]:
    """The configuration form's field values for saved settings (the inverse of settings_from_form)."""
    quality = settings.get("quality") or {}
    overlap, llm = quality.get("overlap"), quality.get("llm") or {}
    values = {name: str(settings.get(name) or "") for name in (
        "name", "task_type", "question_template", "title", "description", "keywords", "reward", "max_assignments",
        "gold_assignments", "expected_seconds")}
    values |= {"duration_minutes": _in_units(settings.get("assignment_duration_seconds"), 60),
               "lifetime_hours": _in_units(settings.get("lifetime_seconds"), 3600),
               "auto_approval_hours": _in_units(settings.get("auto_approval_delay_seconds"), 3600),
               "assignments_mode": "dynamic" if overlap else "fixed",
               "llm_action": llm.get("action", "none"), "llm_auto_reject": "1" if llm.get("auto_reject") else "",
               "llm_reference_field": llm.get("reference_field", "")}
    if overlap:
        values |= {"overlap_min": str(overlap["min_assignments"]), "overlap_max": str(overlap["max_assignments"]),
                   "overlap_target": str(overlap["confidence_target"])}
    return values | _requirement_values(settings.get("qualification_requirements") or [])


def _configure_page(draft: batch_drafts.Draft, values: Mapping[str, str], config: Mapping[str, Any], *,
                    problems: Mapping[str, str] | None = None, status: int = 200):
    actor = signed_in_requester()
    kind = values.get("task_type", "")
    own_types = qualifications.list_types(_rt(), actor, must_be_owned_by_caller=True, limit=100).items
    return render_template(
        "web/requester/new_configure.html", draft=draft, values=values, problems=problems or {},
        kinds=[annotators.get(k) for k in annotators.kinds()], fields=config_fields(kind, config, draft.columns),
        own_types=own_types, comparators=[c.value for c in Comparator], custom_rows=range(1, CUSTOM_REQUIREMENTS + 1),
        first_rows=draft.rows[:PREVIEW_ROWS], llm_actions=["none", "review", "exclude", "downweight"]), status


@bp.get("/requester/batches/new")
@requester_required
def new_batch():
    return render_template("web/requester/new_upload.html", problems={})


@bp.post("/requester/batches/new")
@requester_required
def upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInputError({"file": "choose a CSV, JSON Lines or zip file to upload"})
    draft = batch_drafts.create_draft(_rt(), signed_in_requester(), filename=upload.filename, data=upload.read(),
                                      image_url=lambda name: url_for("images.media_file", name=name))
    return redirect(url_for(".configure", draft_id=draft.id), 303)


@bp.errorhandler(InvalidInputError)
def _refused(exc: InvalidInputError):
    """A refused upload or configuration: the same form again (422) with the requester's values."""
    if request.endpoint == "requester_new.upload":
        return render_template("web/requester/new_upload.html", problems=exc.fields), 422
    if request.endpoint == "requester_new.save" and request.view_args:
        draft = batch_drafts.load_draft(_rt(), signed_in_requester(), request.view_args["draft_id"])
        config = {name.removeprefix("config."): value for name, value in request.form.items()
                  if name.startswith("config.")}
        return _configure_page(draft, request.form, config, problems=exc.fields, status=422)
    if request.endpoint == "requester_new.publish" and request.view_args:
        chosen = request.form.get("marketplace", "")
        marketplace = Marketplace(chosen) if chosen in set(Marketplace) else current_marketplace()
        return _cost_page(request.view_args["draft_id"], marketplace, problem=exc.message, status=422)
    return errors.domain_error(exc)


@bp.get("/requester/batches/drafts/<draft_id>")
@requester_required
def configure(draft_id: str):
    draft = batch_drafts.load_draft(_rt(), signed_in_requester(), draft_id)
    kind = request.args.get("task_type", "")
    chosen = kind in annotators.REGISTRY and kind != draft.settings.get("task_type")
    settings = draft.settings | ({"task_type": kind, "config": annotators.get(kind).example_config()} if chosen else {})
    return _configure_page(draft, form_values(settings), settings.get("config") or {})


@bp.post("/requester/batches/drafts/<draft_id>")
@requester_required
def save(draft_id: str):
    actor = signed_in_requester()
    before = batch_drafts.load_draft(_rt(), actor, draft_id).settings
    settings = settings_from_form(request.form, before, current_marketplace())
    batch_drafts.save_settings(_rt(), actor, draft_id, settings)
    step = {"preview": ".preview", "cost": ".cost"}.get(request.form.get("next", ""), ".configure")
    return redirect(url_for(step, draft_id=draft_id), 303)


@bp.get("/requester/batches/drafts/<draft_id>/preview")
@requester_required
def preview(draft_id: str):
    draft = batch_drafts.checked_draft(_rt(), signed_in_requester(), draft_id)
    shown = min(len(draft.rows), PREVIEW_ROWS)
    row = max(1, min(request.args.get("row", 1, type=int), shown))
    return render_template("web/requester/new_preview.html", draft=draft, row=row, rows=range(1, shown + 1))


@bp.get("/requester/batches/drafts/<draft_id>/preview/<int:row>/frame")
@requester_required
def preview_frame(draft_id: str, row: int):
    shown = batch_drafts.preview(_rt(), signed_in_requester(), draft_id, row, rows=PREVIEW_ROWS)
    body = render_template("web/requester/new_preview_frame.html", settings=shown.settings, annotator=shown.annotator,
                           config=shown.config, item=shown.item, assignment_id=None)
    return Response(body, 200, mimetype="text/html", headers={
        "Content-Security-Policy": FRAME_CSP, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})


@bp.get("/requester/batches/preview-assets/<path:filename>")
def preview_asset(filename: str):
    """The annotators' files for the preview frame, whose opaque origin loads ES modules with CORS."""
    response = send_from_directory(str(annotators.STATIC_FOLDER / "annotators"), filename, max_age=3600)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _marketplace_arg() -> Marketplace:
    value = request.values.get("marketplace", "")
    return forms.marketplace(value) if value else current_marketplace()


@bp.get("/requester/batches/drafts/<draft_id>/cost")
@requester_required
def cost(draft_id: str):
    return _cost_page(draft_id, _marketplace_arg())


def _cost_page(draft_id: str, marketplace: Marketplace, *, problem: str = "", status: int = 200):
    actor = signed_in_requester()
    draft = batch_drafts.checked_draft(_rt(), actor, draft_id)
    found = batch_drafts.estimate_cost(_rt(), actor, draft_id, marketplace)
    return render_template("web/requester/new_cost.html", draft=draft, cost=found, target=marketplace.value,
                           session_marketplace=current_marketplace().value, problem=problem), status


@bp.post("/requester/batches/drafts/<draft_id>/publish")
@requester_required
def publish(draft_id: str):
    marketplace = forms.marketplace(request.form.get("marketplace", ""))
    try:
        batch = batch_drafts.publish(_rt(), signed_in_requester(), draft_id, marketplace)
    except InsufficientFundsError as exc:
        return _cost_page(draft_id, marketplace, problem=exc.message, status=402)
    if "requester_monitor.batch" in current_app.view_functions and marketplace is current_marketplace():
        return redirect(url_for("requester_monitor.batch", batch_id=batch.public_id), 303)
    return redirect(url_for(".published", marketplace=marketplace.value, batch_id=batch.public_id), 303)


@bp.get("/requester/batches/published/<marketplace>/<batch_id>")
@requester_required
def published(marketplace: str, batch_id: str):
    actor = signed_in_requester().in_marketplace(forms.marketplace(marketplace))
    progress = batches.batch_progress(_rt(), actor, batch_id)
    job = batch_builds.build_job(_rt(), actor, batch_id) if progress.batch.state is BatchState.BUILDING else None
    return render_template("web/requester/new_published.html", progress=progress, job=job, target=marketplace)


@bp.post("/requester/batches/<batch_id>/copy")
@requester_required
def copy(batch_id: str):
    actor = signed_in_requester().in_marketplace(_marketplace_arg())
    draft = batch_drafts.copy_batch(_rt(), actor, batch_id)
    return redirect(url_for(".configure", draft_id=draft.id), 303)
