"""`labelhub demo --no-serve`: what it seeds through the services, and that a second run reuses it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from PIL import Image

from labelhub import demo
from labelhub.errors import InvalidInputError
from labelhub.models import Marketplace
from labelhub.money import parse_amount
from labelhub.services import accounts, assignments, batches, hits, payments
from tests.conftest import empty_all_tables


def _logins(runtime) -> dict:
    return json.loads((Path(runtime.settings.storage.instance_path) / "demo.json").read_text())


def _demo_actor(runtime):
    token = _logins(runtime)["requester"]["api_token"]
    return accounts.authenticate_token(runtime, token, Marketplace.PRODUCTION)


def test_demo_seeds_requester_workers_and_batches(invoke, runtime):
    result = invoke("demo", "--no-serve")

    assert result.exit_code == 0, result.output
    logins = _logins(runtime)
    requester = _demo_actor(runtime)
    assert requester.public_id == logins["requester"]["requester_id"]
    for field in ("requester_id", "access_key_id", "secret_access_key", "api_token"):
        assert logins["requester"][field] in result.stdout
    assert logins["requester_password"] in result.stdout
    page_login = accounts.authenticate_requester(runtime, demo.REQUESTER, logins["requester_password"],
                                                 Marketplace.PRODUCTION)
    assert page_login.public_id == requester.public_id
    for name in demo.WORKERS:
        worker = logins["workers"][name]
        assert f"{name}  {worker['worker_id']}  {worker['password']}  {worker['api_token']}" in result.stdout
        signed_in = accounts.authenticate_worker(runtime, name, worker["password"], Marketplace.PRODUCTION)
        assert signed_in.public_id == worker["worker_id"]
    assert "Front page: http://127.0.0.1:5000/" in result.stdout
    seeded = {b.name: b for b in batches.list_batches(runtime, requester).items}
    assert {name: b.template_kind for name, b in seeded.items()} == {
        "Demo: circle or square?": "image_classification",
        "Demo: sentiment of short reviews": "text_classification"}
    progress = {name: batches.batch_progress(runtime, requester, b.public_id).hits
                for name, b in seeded.items()}
    assert progress == {"Demo: circle or square?": 24, "Demo: sentiment of short reviews": 15}
    balance = payments.balance(runtime, requester)
    assert balance.available_micros + balance.on_hold_micros == parse_amount(demo.FUNDS)
    assert balance.on_hold_micros == parse_amount("6.57")  # 24 x 3 x (0.05 + 0.01) + 15 x 3 x (0.04 + 0.01)


def test_demo_keeps_its_logins_readable_by_the_owner_only(invoke, runtime):
    invoke("demo", "--no-serve")

    mode = (Path(runtime.settings.storage.instance_path) / "demo.json").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_demo_draws_the_shapes_its_hits_show(invoke, runtime):
    invoke("demo", "--no-serve")

    folder = Path(runtime.settings.storage.instance_path) / "images"
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 24 and all(name.endswith(".png") for name in files)
    requester = _demo_actor(runtime)
    image_batch = next(b for b in batches.list_batches(runtime, requester).items
                       if b.template_kind == "image_classification")
    listed = hits.list_hits(runtime, requester, batch_id=image_batch.id, limit=100).items
    assert {h.data["image"] for h in listed} == set(files)
    with Image.open(folder / "square-red-112.png") as square, \
            Image.open(folder / "circle-red-112.png") as circle:
        assert square.format == "PNG" and square.size == (160, 160)
        red = (0xD1, 0x49, 0x5B)
        assert square.getpixel((80, 80)) == red and circle.getpixel((80, 80)) == red
        assert square.getpixel((26, 26)) == red  # a square fills its corners...
        assert circle.getpixel((26, 26)) != red  # ...a circle does not
        assert square.getpixel((2, 2)) != red


def test_demo_hits_accept_only_their_labels(invoke, runtime, factory):
    invoke("demo", "--no-serve")
    requester = _demo_actor(runtime)
    text_batch = next(b for b in batches.list_batches(runtime, requester).items
                      if b.template_kind == "text_classification")
    hit = hits.list_hits(runtime, requester, batch_id=text_batch.id, limit=1).items[0]
    worker = factory.worker()
    assignment = assignments.accept(runtime, worker.actor, hit.public_id)

    with pytest.raises(InvalidInputError) as refused:
        assignments.submit(runtime, worker.actor, assignment.public_id, {"label": "circle"})
    assignments.submit(runtime, worker.actor, assignment.public_id, {"label": "positive"})

    assert "answer.label" in refused.value.fields
    assert batches.batch_progress(runtime, requester, text_batch.public_id).assignments_submitted == 1


def test_demo_second_run_reuses_what_the_first_seeded(invoke, runtime):
    first = invoke("demo", "--no-serve")
    logins = _logins(runtime)
    requester = _demo_actor(runtime)
    balance = payments.balance(runtime, requester)

    second = invoke("demo", "--no-serve")

    assert second.exit_code == 0, second.output
    assert first.stdout.startswith("Demo data seeded.")
    assert second.stdout.startswith("Demo data reused (an earlier run seeded it).")
    assert _logins(runtime) == logins
    assert second.stdout.splitlines()[1:] == first.stdout.splitlines()[1:]  # the same logins and batches
    assert len(batches.list_batches(runtime, requester).items) == 2
    assert payments.balance(runtime, requester) == balance  # funded once


def test_demo_seeds_again_after_the_database_was_emptied(invoke, runtime, engine):
    invoke("demo", "--no-serve")
    old_id = _logins(runtime)["requester"]["requester_id"]
    empty_all_tables(engine)

    result = invoke("demo", "--no-serve")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Demo data seeded.")
    requester = _demo_actor(runtime)
    assert requester.public_id != old_id
    assert len(batches.list_batches(runtime, requester).items) == 2
    assert payments.balance(runtime, requester).on_hold_micros == parse_amount("6.57")


def test_demo_refuses_accounts_whose_logins_are_lost(invoke, runtime):
    invoke("demo", "--no-serve")
    logins_file = Path(runtime.settings.storage.instance_path) / "demo.json"
    logins_file.unlink()

    result = invoke("demo", "--no-serve")

    assert result.exit_code == 1
    assert "A requester named 'demo-requester' already exists" in result.stderr
    assert str(logins_file) in result.stderr
    assert "Traceback" not in result.output
