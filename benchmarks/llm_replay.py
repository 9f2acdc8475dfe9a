"""Answers replayed through the real task pages in Debian's Chromium, for benchmarks/llm_flag.py.

A throwaway LabelHub (SQLite in a temporary folder, jobs inline) serves the pages on a loopback
port and scores with the model it is given. Each replay is a new worker on a new HIT of a free-text
batch, so nothing but the text and the page telemetry can tell the modes apart:

- typed: a human answer typed key by key at 80-220 ms a key (about 400 characters a minute), with a
  wrong key and a Backspace about every 40 characters;
- pasted from outside: an LLM answer pasted whole from the clipboard;
- quoted from the page: a sentence of the passage shown on the task page, pasted;
- retyped: an LLM answer typed like the human ones (a worker copying from another window).
"""

from __future__ import annotations

import logging
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from labelhub import create_app, migrations
from labelhub.models import Marketplace
from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import accounts, assignments, batches, hits, llm_flags, payments
from labelhub.services.commands import HITTypeSpec, Locale
from labelhub.settings import DatabaseSettings, Settings, StorageSettings
from quality.llm import TextModel

PASSWORD = "replay passphrase"
MODES = ("typed", "pasted from outside", "quoted from the page", "retyped")


def _cut(text: str, limit: int) -> str:
    """The text's first ``limit`` characters, ended at a word boundary."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def _first_sentence(text: str, limit: int) -> str:
    sentence = re.split(r"(?<=[.!?])\s", " ".join(text.split()))[0]
    return _cut(sentence, limit)


def _plan(test: pd.DataFrame, count: int, typed_chars: int, seed: int = 7) -> dict[str, list[tuple[str, str]]]:
    """(passage shown on the page, answer) pairs per mode, drawn from the test fold."""
    humans = test[test["label"] == 0].sample(frac=1.0, random_state=seed)
    llms = test[test["label"] == 1].sample(frac=1.0, random_state=seed)
    humans = humans[humans["text"].str.len() >= 80]
    return {
        "typed": [("Answer the question in your own words.", _cut(t, typed_chars)) for t in humans["text"][:count]],
        "pasted from outside": [("Answer the question in your own words.", " ".join(t.split()))
                                for t in llms["text"][:count]],
        "quoted from the page": [(t, _first_sentence(t, 300)) for t in humans["text"][count:2 * count]],
        "retyped": [("Answer the question in your own words.", _cut(t, typed_chars))
                    for t in llms["text"][count:2 * count]],
    }


def _type_like_a_person(page, text: str, draw: random.Random) -> None:
    for index, char in enumerate(text):
        if index and draw.random() < 1 / 40:
            page.keyboard.type(draw.choice("qwertyuiopasdfghjkl"))
            time.sleep(draw.uniform(0.15, 0.35))
            page.keyboard.press("Backspace")
            time.sleep(draw.uniform(0.08, 0.22))
        page.keyboard.type(char)
        time.sleep(draw.uniform(0.08, 0.22))


def _paste(page, text: str) -> None:
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    page.keyboard.press("Control+V")


class _Site:
    """LabelHub on a loopback port with its own database, and one requester."""

    def __init__(self, folder: Path, model_path: Path) -> None:
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the report
        base = Settings()
        self.settings = replace(base, database=DatabaseSettings(url=f"sqlite:///{folder / 'replay.sqlite'}"),
                                storage=StorageSettings(instance_path=str(folder / "instance")),
                                quality=replace(base.quality, llm_model=str(model_path)))
        self.rt = Runtime.from_settings(self.settings)
        migrations.upgrade(self.rt.engine)
        self.server = make_server("127.0.0.1", 0, create_app(self.settings, runtime=self.rt), threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        creds = accounts.create_requester(self.rt, "replay-lab")
        payments.deposit(self.rt, creds.requester_id, parse_amount("1000.00"))
        self.requester = accounts.requester_actor(self.rt, creds.requester_id, Marketplace.PRODUCTION)

    def batch(self, mode: str, passages: list[str]):
        spec = HITTypeSpec(title=f"Answer ({mode})", description="Write a short answer.",
                           reward_micros=parse_amount("0.10"), assignment_duration_seconds=3600)
        batch = batches.create_batch(self.rt, self.requester, batches.CreateBatch(
            name=mode, template_kind="free_text", question_template="<p>${text}</p>", hit_type=spec,
            rows=tuple({"text": p} for p in passages), lifetime_seconds=86_400, max_assignments=1,
            template_config={"mode": "summarise", "source_field": "text", "min_length": 1, "max_length": 10_000}))
        listed = hits.list_hits(self.rt, self.requester, batch_id=batches.batch_id_for(
            self.rt, self.requester, batch.public_id), limit=100).items
        return batch, [h.public_id for h in listed]

    def close(self) -> None:
        self.server.shutdown()
        self.rt.engine.dispose()


def _replay_one(site: _Site, browser, hit_id: str, name: str, mode: str, answer: str, draw: random.Random) -> None:
    accounts.create_worker(site.rt, name, password=PASSWORD, locale=Locale("US"))
    actor = accounts.authenticate_worker(site.rt, name, PASSWORD, Marketplace.PRODUCTION)
    taken = assignments.accept(site.rt, actor, hit_id)
    context = browser.new_context(base_url=site.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page = context.new_page()
    page.goto("/signin")
    page.get_by_label("Worker name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/hits$"))
    page.goto(f"/assignments/{taken.public_id}")
    page.wait_for_load_state("domcontentloaded")
    page.locator("#ann-free-text-input").click()
    time.sleep(draw.uniform(1.0, 3.0))  # reading the task
    if mode in ("typed", "retyped"):
        _type_like_a_person(page, answer, draw)
    else:
        _paste(page, answer)
    page.get_by_role("button", name="Submit", exact=True).click()  # not "Submit and next": one HIT each
    page.wait_for_url(re.compile(r".*/hits$"))
    context.close()


def replay_modes(model: TextModel, test: pd.DataFrame, *, count: int, typed_chars: int) -> None:
    from playwright.sync_api import sync_playwright
    from tqdm import tqdm

    folder = Path(tempfile.mkdtemp(prefix="labelhub-replay-"))
    model.save(folder / "model.npz")
    site = _Site(folder, folder / "model.npz")
    plan = _plan(test, count, typed_chars)
    draw = random.Random(11)
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                                 args=["--no-sandbox", "--disable-background-networking"])
            bar = tqdm(total=sum(len(v) for v in plan.values()), desc="replaying in Chromium", unit="answer",
                       file=sys.stderr)
            for mode in MODES:
                batch, hit_ids = site.batch(mode, [passage for passage, _ in plan[mode]])
                for number, ((_, answer), hit_id) in enumerate(zip(plan[mode], hit_ids, strict=True)):
                    _replay_one(site, browser, hit_id, f"{mode.split()[0]}-{number}", mode, answer, draw)
                    bar.update(1)
                flags = llm_flags.list_flags(site.rt, site.requester, batch.public_id, limit=100).items
                rows.append((mode, flags))
            bar.close()
            browser.close()
    finally:
        site.close()
        shutil.rmtree(folder, ignore_errors=True)
    _print(rows, typed_chars)


def _print(rows: list, typed_chars: int) -> None:
    print(f"\n### Replays through the task pages (typed answers cut to about {typed_chars} characters)\n")
    print("| mode | answers | flagged (band high) | flag rate | mean probability "
          "| most common first behaviour reason |")
    print("|---|---:|---:|---:|---:|---|")
    for mode, flags in rows:
        high = sum(v.flag.band == "high" for v in flags)
        behaviour = [e["reason"] for v in flags for e in v.flag.evidence if e["family"] == "behaviour"]
        common = pd.Series(behaviour).str.replace(r"[\d,]+", "N", regex=True).mode()
        mean = sum(v.flag.probability for v in flags) / max(len(flags), 1)
        print(f"| {mode} | {len(flags)} | {high} | {high / max(len(flags), 1):.0%} | {mean:.3f} | "
              f"{common.iloc[0] if len(common) else '-'} |")
