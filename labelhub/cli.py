"""The ``labelhub`` command line: the database, serving, the demo, accounts and the jobs worker.

Each command parses its arguments, calls one service and prints the result. Domain errors and bad input
end in a one-line message and a non-zero exit status, never a traceback. Heavy modules are imported
inside the commands so ``labelhub --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from labelhub import cli_quality
from labelhub.cli_output import progressbar, write_csv_atomically
from labelhub.errors import DomainError, SchemaOutOfDateError
from labelhub.money import format_amount, parse_amount
from labelhub.settings import Settings

if TYPE_CHECKING:
    from flask import Flask

    from labelhub.demo import DemoSummary
    from labelhub.runtime import Runtime


class LabelHubGroup(click.Group):
    """Turns the errors a user can act on, raised by any subcommand, into click's one-line errors."""

    def invoke(self, ctx: click.Context) -> Any:
        from alembic.util.exc import CommandError
        from sqlalchemy.exc import OperationalError

        try:
            return super().invoke(ctx)
        except (DomainError, SchemaOutOfDateError) as exc:
            raise click.ClickException(str(exc)) from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise click.ClickException(f"The database cannot be used: {reason}") from None
        except CommandError as exc:
            raise click.ClickException(f"Migration failed: {exc}") from None


class State:
    """What every command shares: the settings and, once a command needs it, the runtime."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._runtime: Runtime | None = None

    @cached_property
    def settings(self) -> Settings:
        try:
            return Settings.load(self.config_path)
        except ValueError as exc:
            raise click.ClickException(f"Bad configuration: {exc}") from None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            from sqlalchemy.exc import ArgumentError

            from labelhub.runtime import Runtime

            try:
                self._runtime = Runtime.from_settings(self.settings)
            except ArgumentError as exc:
                raise click.ClickException(f"Bad configuration: database.url: {exc}") from None
            except ValueError as exc:  # what redis-py raises for a malformed URL
                raise click.ClickException(f"Bad configuration: redis.url: {exc}") from None
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.engine.dispose()

    def where(self) -> str:
        """The database, for messages (without its password)."""
        return self.runtime.engine.url.render_as_string(hide_password=True)


pass_state = click.make_pass_decorator(State)


class AmountType(click.ParamType):
    """An amount of money like 25.00, converted to integer micro-units."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_amount(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _emit(values: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(values))
        return
    width = max(map(len, values))
    for key, value in values.items():
        click.echo(f"{key.ljust(width)}  {value}")


def _serve(app: Flask, host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    from labelhub import runtime_of

    runtime = runtime_of(app)
    runtime.backend.start(runtime)  # background work starts now, not with the first request
    try:
        run_simple(host, port, app, threaded=True)
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@click.group(cls=LabelHubGroup)
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Configuration file. Default: $LABELHUB_CONFIG, else ./config.toml.")
@click.version_option(package_name="labelhub")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """LabelHub: a self-hosted crowd labeling marketplace with an MTurk-compatible API."""
    ctx.obj = State(config_path)
    ctx.call_on_close(ctx.obj.close)


@main.group()
def db() -> None:
    """The database schema (Alembic migrations)."""


@db.command("upgrade")
@pass_state
def db_upgrade(state: State) -> None:
    """Apply every pending migration (creates the tables of an empty database)."""
    from labelhub import migrations

    migrations.upgrade(state.runtime.engine)
    click.echo(f"{state.where()} is at revision {migrations.current_revision(state.runtime.engine)} (head).")


@db.command("current")
@pass_state
def db_current(state: State) -> None:
    """Print the database's revision and the code's head revision."""
    from labelhub import migrations

    current, head = migrations.current_revision(state.runtime.engine), migrations.head_revision()
    click.echo(f"current: {current or 'none (no LabelHub tables)'}")
    click.echo(f"head:    {head}")
    click.echo("Up to date." if current == head else "Behind: run `labelhub db upgrade`.")


@main.command()
@click.option("--host", help="Interface to listen on. Default: [web] host.")
@click.option("--port", type=click.IntRange(1, 65535), help="Port. Default: [web] port.")
@pass_state
def run(state: State, host: str | None, port: int | None) -> None:
    """Serve the configured database (refused while its schema is behind)."""
    from labelhub import create_app

    app = create_app(state.settings, runtime=state.runtime)
    _serve(app, host or state.settings.web.host, port or state.settings.web.port)


def _print_demo(summary: DemoSummary, url: str) -> None:
    click.echo("Demo data seeded." if summary.created else "Demo data reused (an earlier run seeded it).")
    balance = summary.balance
    shown = (f"{format_amount(balance.available_micros)} available, "
             f"{format_amount(balance.on_hold_micros)} on hold (production)")
    click.echo(f"\nRequester {click.style(summary.requester_name, bold=True)}")
    _emit(asdict(summary.requester) | {"password": summary.requester_password, "balance": shown}, as_json=False)
    click.echo("\nWorkers (name, worker_id, password, api_token)")
    for name, creds in summary.workers:
        click.echo(f"{name}  {creds.worker_id}  {creds.password}  {creds.api_token}")
    click.echo("\nBatches")
    for line in summary.batches:
        click.echo(f"{line.name}  ({line.template_kind}, {line.hits} HITs)  {line.public_id}")
    click.echo(f"\nFront page: {url}   Requester pages: {url}requester/signin   REST API: {url}api/v1   "
               f"MTurk endpoint: {url}mturk/sandbox")
    click.echo(f"These logins are kept in {summary.logins_file} (readable by you only).")


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="Port.")
@click.option("--no-serve", is_flag=True, help="Seed and print the logins, but do not serve.")
@pass_state
def demo_command(state: State, host: str, port: int, no_serve: bool) -> None:
    """Create (or upgrade) the database, seed the demo marketplace once, and serve it."""
    from labelhub import create_app, demo, migrations

    migrations.upgrade(state.runtime.engine)
    with click.progressbar(length=demo.STEPS, label="Seeding the demo", file=sys.stderr) as bar:
        summary = demo.seed(state.runtime, progress=bar.update)
    _print_demo(summary, f"http://{host}:{port}/")
    if not no_serve:
        _serve(create_app(state.settings, runtime=state.runtime), host, port)


@main.group()
def requester() -> None:
    """Requester accounts and their funds."""


@requester.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the credentials as one JSON object.")
@pass_state
def requester_create(state: State, name: str, as_json: bool) -> None:
    """Create a requester; prints its id, MTurk access key pair and REST API token (shown once)."""
    from labelhub.services import accounts

    _emit(asdict(accounts.create_requester(state.runtime, name)), as_json)


@requester.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (for scripts).")
@pass_state
def requester_set_password(state: State, name: str, password_stdin: bool) -> None:
    """Give requester NAME a password for the requester pages (asked twice, never echoed)."""
    from labelhub.services import accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Password again")
    accounts.set_requester_password(state.runtime, name, password)
    click.echo(f"Requester {name} can now sign in at /requester/signin.")


@requester.command("deposit")
@click.argument("requester_id")
@click.argument("amount", type=AmountType())
@click.option("--sandbox", is_flag=True, help="Deposit play money in the sandbox marketplace.")
@pass_state
def requester_deposit(state: State, requester_id: str, amount: int, sandbox: bool) -> None:
    """Add AMOUNT (like 25.00) to a requester's available balance."""
    from labelhub.models import Marketplace
    from labelhub.services import payments

    marketplace = Marketplace.SANDBOX if sandbox else Marketplace.PRODUCTION
    balance = payments.deposit(state.runtime, requester_id, amount, marketplace=marketplace)
    click.echo(f"Deposited {format_amount(amount)} to {requester_id} in {marketplace.value}. Balance: "
               f"{format_amount(balance.available_micros)} available, "
               f"{format_amount(balance.on_hold_micros)} on hold.")


@main.group()
def worker() -> None:
    """Worker accounts."""


@worker.command("create")
@click.argument("name")
@click.option("--password", help="At least 8 characters. Default: a generated one, printed.")
@click.option("--country", help="ISO 3166-1 alpha-2 code, such as US (for locale requirements).")
@click.option("--json", "as_json", is_flag=True, help="Print the credentials as one JSON object.")
@pass_state
def worker_create(state: State, name: str, password: str | None, country: str | None, as_json: bool) -> None:
    """Create a worker; prints its id, password and REST API token (shown once)."""
    from labelhub.services import accounts
    from labelhub.services.commands import Locale

    locale = Locale(country) if country is not None else None
    _emit(asdict(accounts.create_worker(state.runtime, name, password=password, locale=locale)), as_json)


@main.group()
def jobs() -> None:
    """Background jobs: the worker that runs them, and what they are doing."""


@jobs.command("worker")
@click.option("--burst", is_flag=True, help="Queue every sweep once, do what is due, then stop (for cron).")
@pass_state
def jobs_worker(state: State, burst: bool) -> None:
    """Run the background work outside the web processes: rq workers on the configured Redis, or,
    without Redis, the same runner the web processes embed (set [jobs] runner = "external" there)."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from labelhub.jobs.worker import run_worker

    try:
        run_worker(state.settings, burst=burst)
    except RedisConnectionError as exc:
        raise click.ClickException(f"Cannot reach Redis (redis.url): {exc}") from None


JOB_STATES = ("queued", "running", "succeeded", "failed")


@jobs.command("list")
@click.option("--state", "job_state", type=click.Choice(JOB_STATES), help="Only jobs in this state.")
@click.option("--kind", help="Only jobs of this kind, e.g. aggregate_batch.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100), help="Jobs per page.")
@click.option("--cursor", help="The cursor printed under the previous page.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per job.")
@pass_state
def jobs_list(state: State, job_state: str | None, kind: str | None, limit: int, cursor: str | None,
              as_json: bool) -> None:
    """Every job (the operator's view), oldest first: kind, target, state, progress, times, error."""
    from labelhub.api import serializers
    from labelhub.services import job_queue

    page = job_queue.list_jobs(state.runtime, None, state=job_state, kind=kind, cursor=cursor, limit=limit)
    for job in page.items:
        row = serializers.job(job)
        if as_json:
            click.echo(json.dumps(row))
            continue
        progress = f"{row['progress']['done']}/{row['progress']['total'] or '?'}"
        click.echo(f"{row['job_id']}  {row['kind']:<22} {row['state']:<9} {progress:>11}  "
                   f"{row['target'] or '-':<40} {row['created_at']}  {(row['error'] or '')[:80]}")
    if page.next_cursor and not as_json:
        click.echo(f"more: --cursor {page.next_cursor}")
    counts = job_queue.count_by_state(state.runtime)
    if not as_json:
        click.echo("totals: " + ", ".join(f"{s} {counts.get(s, 0)}" for s in JOB_STATES), err=True)


LARGE_INPUT_BYTES = 5_000_000
"""Labels files at least this big (about 150,000 answers) get progress bars unless --no-progress."""


@main.command("aggregate")
@click.argument("labels_csv", metavar="LABELS.csv", type=click.Path(dir_okay=False))
@click.option("--method", "-m", default="ds", show_default=True,
              help="ds, ds_shrunk, auto, or a crowd-kit class: MajorityVote, Wawa, ZeroBasedSkill, "
                   "GoldMajorityVote, OneCoinDawidSkene, DawidSkene, GLAD, MACE, MMSR, KOS.")
@click.option("--gold", "gold_csv", metavar="GOLD.csv", type=click.Path(dir_okay=False),
              help="Known labels (columns task,label): clamped by ds, ds_shrunk and DawidSkene, required by "
                   "GoldMajorityVote, used by auto to choose the method.")
@click.option("-o", "--output", "out_csv", metavar="OUT.csv", required=True, type=click.Path(dir_okay=False),
              help="Where to write the columns task,label,confidence.")
@click.option("--progress/--no-progress", default=None,
              help="Show progress bars on stderr. Default: for labels files of 5 MB or more.")
def aggregate_command(labels_csv: str, method: str, gold_csv: str | None, out_csv: str,
                      progress: bool | None) -> None:
    """Consensus labels from LABELS.csv (worker,task,label) into OUT.csv (task,label,confidence).

    Needs no database. Bad input ends in a one-line error, and OUT.csv is written only on success.
    """
    import os

    from aggregation import aggregate, read_gold_csv, read_labels_csv

    if not os.path.isdir(os.path.dirname(os.path.abspath(out_csv))):
        raise click.ClickException(f"Cannot write {out_csv}: its folder does not exist.")
    size = os.path.getsize(labels_csv) if os.path.isfile(labels_csv) else 0
    show = progress if progress is not None else size >= LARGE_INPUT_BYTES
    try:
        with progressbar(show, size, "Reading answers") as bar:
            answers = read_labels_csv(labels_csv, progress=bar.update if bar is not None else None)
        gold = read_gold_csv(gold_csv) if gold_csv else None
        with progressbar(show, 100, "Aggregating (EM iterations)") as bar:
            result = aggregate(answers, method, gold, progress=bar.update if bar is not None else None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    write_csv_atomically(result.to_frame(), out_csv)
    click.echo(f"{len(result.labels)} tasks from {len(answers)} answers by {result.method}: {result.reason}. "
               f"Wrote {out_csv}.", err=True)


def _split_sizes(value: str | None) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        sizes = tuple(float(part) for part in value.split(","))
    except ValueError:
        sizes = ()
    if len(sizes) != 3:
        raise click.BadParameter("give the sizes of train, validation and test, such as 0.8,0.1,0.1",
                                 param_hint="'--split'")
    return sizes


@main.command("export")
@click.argument("batch_id")
@click.option("-f", "--format", "format_name", required=True, metavar="F",
              help="csv, jsonl, parquet, coco, yolo, voc, conll, spans-jsonl or mturk-csv (those that fit the "
                   "batch's task type).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), metavar="PATH",
              help="The file to write (with --split-files, one file per split beside it).")
@click.option("--answers", is_flag=True, help="One record per assignment instead of one per HIT (consensus).")
@click.option("--status", default="submitted", show_default=True,
              help="submitted: every submitted answer; approved: approved answers only (consensus records: HITs "
                   "whose answers are all approved).")
@click.option("--min-confidence", type=float, help="Only HITs whose consensus confidence is at least this (0-1).")
@click.option("--exclude-llm-flagged", is_flag=True, help="Leave out answers flagged as LLM-written.")
@click.option("--gold", default="include", show_default=True, help="Gold HITs: include, exclude or only.")
@click.option("--split", "split", metavar="TRAIN,VALIDATION,TEST",
              help="Seeded train/validation/test splits stratified by label, by relative size (0.8,0.1,0.1).")
@click.option("--seed", type=int, default=0, show_default=True, help="The splits' seed.")
@click.option("--split-files", is_flag=True, help="One file per split instead of a split column.")
@click.option("--include-images", is_flag=True, help="yolo and voc: copy the stored images into the zip.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
@pass_state
def export_command(state: State, batch_id: str, format_name: str, output: str, answers: bool, status: str,
                   min_confidence: float | None, exclude_llm_flagged: bool, gold: str, split: str | None,
                   seed: int, split_files: bool, include_images: bool, progress: bool) -> None:
    """Export batch BATCH_ID's consensus labels (or answers) to PATH in format F.

    Bad input (unknown batch or format, a format that does not fit the batch, bad filter values) ends
    in a one-line error with nothing written; PATH appears only once the whole export is written.
    """
    from tqdm import tqdm

    from labelhub.models import Marketplace
    from labelhub.services import exports
    from labelhub.services.actors import system_actor
    from labelhub.services.export_commands import ExportFilters, ExportRequest

    filters = ExportFilters(status=status, min_confidence=min_confidence, exclude_llm_flagged=exclude_llm_flagged,
                            gold=gold, split=_split_sizes(split), seed=seed, split_files=split_files,
                            include_images=include_images)
    request = ExportRequest(format_name, answers=answers, filters=filters)
    with tqdm(unit=" rows", file=sys.stderr, disable=not progress, desc=f"Exporting {batch_id}") as bar:
        def advance(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        summary = exports.export_to_file(state.runtime, system_actor(Marketplace.PRODUCTION), batch_id, request,
                                         output, progress=advance)
    written = ", ".join(str(path) for path in summary.paths)
    click.echo(f"Wrote {summary.records:,} {request.records} records as {format_name} to {written}.", err=True)


main.add_command(cli_quality.quality)
main.add_command(cli_quality.llm_check)
