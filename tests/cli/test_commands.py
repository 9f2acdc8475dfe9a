"""`labelhub` account, money and database commands through click's CliRunner, on the real database."""

from __future__ import annotations

import json

import pytest

from labelhub import migrations
from labelhub.db import make_engine
from labelhub.errors import AuthenticationError
from labelhub.jobs.runner import SWEEPS
from labelhub.models import Marketplace
from labelhub.money import parse_amount
from labelhub.services import accounts, payments


def test_requester_create_json_prints_credentials_that_work(invoke, runtime):
    result = invoke("requester", "create", "acme-lab", "--json")

    assert result.exit_code == 0, result.output
    creds = json.loads(result.stdout)
    assert set(creds) == {"requester_id", "access_key_id", "secret_access_key", "api_token"}
    actor = accounts.authenticate_token(runtime, creds["api_token"], Marketplace.PRODUCTION)
    assert (actor.kind, actor.public_id) == ("requester", creds["requester_id"])
    secret, key_actor = accounts.access_key_secret(runtime, creds["access_key_id"], Marketplace.SANDBOX)
    assert secret == creds["secret_access_key"] and key_actor.public_id == creds["requester_id"]


def test_requester_create_text_lists_each_credential(invoke):
    result = invoke("requester", "create", "acme-lab")

    assert result.exit_code == 0, result.output
    labels = [line.split()[0] for line in result.stdout.splitlines()]
    assert labels == ["requester_id", "access_key_id", "secret_access_key", "api_token"]


def test_requester_create_duplicate_name_fails_clearly(invoke, factory):
    factory.requester("acme-lab")

    result = invoke("requester", "create", "acme-lab", "--json")

    assert result.exit_code == 1
    assert "A requester named 'acme-lab' already exists" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


@pytest.mark.parametrize("name", ["x", "has space", "_underscore-first", "n" * 101])
def test_requester_create_bad_name_names_the_field(invoke, name):
    result = invoke("requester", "create", name)

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: name: 2-100 characters")


def test_worker_create_json_password_signs_in(invoke, runtime):
    result = invoke("worker", "create", "alice", "--password", "correct-horse-9", "--country", "DE", "--json")

    assert result.exit_code == 0, result.output
    creds = json.loads(result.stdout)
    assert set(creds) == {"worker_id", "password", "api_token"}
    assert creds["password"] == "correct-horse-9"
    actor = accounts.authenticate_worker(runtime, "alice", "correct-horse-9", Marketplace.PRODUCTION)
    assert actor.public_id == creds["worker_id"]
    assert accounts.authenticate_token(runtime, creds["api_token"], Marketplace.PRODUCTION) == actor


def test_worker_create_without_password_prints_a_generated_one(invoke, runtime):
    result = invoke("worker", "create", "bob", "--json")

    assert result.exit_code == 0, result.output
    creds = json.loads(result.stdout)
    assert len(creds["password"]) >= 8
    assert accounts.authenticate_worker(runtime, "bob", creds["password"], Marketplace.PRODUCTION).public_id \
        == creds["worker_id"]


@pytest.mark.parametrize(("extra", "message"), [
    (["--country", "usa"], "Error: country: must be an ISO 3166-1 alpha-2 code"),
    (["--password", "short"], "Error: password: must be at least 8 characters"),
])
def test_worker_create_bad_input_names_the_field(invoke, runtime, extra, message):
    result = invoke("worker", "create", "carol", *extra)

    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    with pytest.raises(AuthenticationError):  # nothing was written
        accounts.authenticate_worker(runtime, "carol", "short", Marketplace.PRODUCTION)


def test_worker_create_duplicate_name_fails_clearly(invoke, factory):
    factory.worker("dave")

    result = invoke("worker", "create", "dave")

    assert result.exit_code == 1
    assert "A worker named 'dave' already exists" in result.stderr


def test_requester_deposit_adds_to_production_balance(invoke, runtime, factory):
    requester = factory.requester(deposit="10.00")

    result = invoke("requester", "deposit", requester.actor.public_id, "25.00")

    assert result.exit_code == 0, result.output
    assert "Deposited 25.00" in result.stdout and "35.00 available, 0.00 on hold" in result.stdout
    assert payments.balance(runtime, requester.actor).available_micros == parse_amount("35.00")
    assert payments.balance(runtime, requester.sandbox()).available_micros == parse_amount("10000.00")


def test_requester_deposit_sandbox_adds_play_money_only(invoke, runtime, factory):
    requester = factory.requester(deposit=None)

    result = invoke("requester", "deposit", requester.actor.public_id, "5", "--sandbox")

    assert result.exit_code == 0, result.output
    assert "10005.00 available" in result.stdout
    assert payments.balance(runtime, requester.sandbox()).available_micros == parse_amount("10005.00")
    assert payments.balance(runtime, requester.actor).available_micros == 0


def test_requester_deposit_unknown_requester_fails_clearly(invoke):
    result = invoke("requester", "deposit", "ANOSUCHREQUEST", "25.00")

    assert result.exit_code == 1
    assert result.stderr == "Error: Requester ANOSUCHREQUEST does not exist\n"


@pytest.mark.parametrize(("amount", "message"), [
    ("abc", "Invalid value for 'AMOUNT': 'abc' is not an amount like 0.50"),
    ("1.234", "Invalid value for 'AMOUNT': '1.234' is not an amount like 0.50"),
    ("-5", "Invalid value for 'AMOUNT': '-5' is not an amount like 0.50"),
    ("0", "amount: must be a positive amount"),
    ("0.00", "amount: must be a positive amount"),
])
def test_requester_deposit_bad_amount_fails_and_changes_nothing(invoke, runtime, factory, amount, message):
    requester = factory.requester(deposit="10.00")

    result = invoke("requester", "deposit", requester.actor.public_id, "--", amount)

    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert payments.balance(runtime, requester.actor).available_micros == parse_amount("10.00")


def test_db_upgrade_creates_the_schema_of_a_blank_database(invoke, blank_database_url):
    env = {"LABELHUB_DATABASE_URL": blank_database_url}
    before = invoke("db", "current", env=env)

    upgraded = invoke("db", "upgrade", env=env)

    head = migrations.head_revision()
    assert before.exit_code == 0 and "current: none (no LabelHub tables)" in before.stdout
    assert "Behind: run `labelhub db upgrade`." in before.stdout
    assert upgraded.exit_code == 0, upgraded.output
    assert f"is at revision {head} (head)" in upgraded.stdout
    after = invoke("db", "current", env=env)
    assert f"current: {head}\nhead:    {head}\nUp to date." in after.stdout
    engine = make_engine(blank_database_url)
    try:
        assert migrations.current_revision(engine) == head
    finally:
        engine.dispose()


def test_run_refuses_an_unmigrated_database_with_the_upgrade_message(invoke, blank_database_url):
    result = invoke("run", "--port", "5999", env={"LABELHUB_DATABASE_URL": blank_database_url})

    assert result.exit_code == 1
    assert "has no LabelHub tables" in result.stderr
    assert "Run `labelhub db upgrade` first." in result.stderr
    assert "Traceback" not in result.output
    engine = make_engine(blank_database_url)
    try:
        assert migrations.current_revision(engine) is None  # refused, and nothing was created
    finally:
        engine.dispose()


def test_unusable_database_fails_with_a_clear_message(invoke, tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'sub' / 'x.sqlite'}"

    result = invoke("requester", "create", "acme-lab", env={"LABELHUB_DATABASE_URL": url})

    assert result.exit_code == 1
    assert result.stderr == "Error: The database cannot be used: unable to open database file\n"


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("LABELHUB_DATABASE_URL", "nonsense", "Bad configuration: database.url: Could not parse SQLAlchemy URL"),
    ("LABELHUB_DATABASE_URL", "oracle+nodriver://x/y", "Bad configuration: database.url: Can't load plugin"),
    ("LABELHUB_REDIS_URL", "http://127.0.0.1/", "Bad configuration: redis.url: Redis URL must specify one of"),
])
def test_malformed_urls_are_refused_naming_the_setting(invoke, variable, value, message):
    result = invoke("db", "current", env={variable: value})

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {message}")


def test_config_with_an_unknown_key_is_refused_naming_it(invoke, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[web]\nport = 5000\ncolour = "blue"\n')

    result = invoke("--config", str(config), "db", "current")

    assert result.exit_code == 1
    assert "Bad configuration" in result.stderr and "unknown setting(s) colour" in result.stderr


def test_config_with_a_bad_value_is_refused_naming_it(invoke, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[web]\nport = "many"\n')

    result = invoke("--config", str(config), "db", "current")

    assert result.exit_code == 1
    assert "port: 'many' is not a valid int" in result.stderr


def test_missing_config_file_is_a_usage_error(invoke, tmp_path):
    result = invoke("--config", str(tmp_path / "nope.toml"), "db", "current")

    assert result.exit_code == 2
    assert "Invalid value for '--config'" in result.stderr and "does not exist" in result.stderr


def test_jobs_worker_burst_without_redis_runs_every_sweep_and_jobs_list_shows_them(invoke):
    worked = invoke("jobs", "worker", "--burst")
    listed = invoke("jobs", "list", "--state", "succeeded", "--json")
    text = invoke("jobs", "list", "--kind", "abandon_overdue")

    assert worked.exit_code == 0, worked.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(r["kind"] for r in rows) == sorted(SWEEPS)
    assert {(r["state"], r["attempts"], r["error"]) for r in rows} == {("succeeded", 1, None)}
    [line] = text.stdout.splitlines()
    assert "abandon_overdue" in line and "succeeded" in line
    assert f"totals: queued 0, running 0, succeeded {len(SWEEPS)}, failed 0" in text.stderr


def test_jobs_worker_refuses_bad_job_settings_naming_them(invoke):
    result = invoke("jobs", "worker", "--burst", env={"LABELHUB_JOBS_THREADS": "0"})

    assert result.exit_code == 1
    assert result.stderr == "Error: jobs.threads: must be at least 1\n"


def test_jobs_list_refuses_an_unknown_state(invoke):
    result = invoke("jobs", "list", "--state", "sleeping")

    assert result.exit_code == 2
    assert "Invalid value for '--state'" in result.stderr


def test_jobs_worker_with_unreachable_redis_fails_clearly(invoke):
    result = invoke("jobs", "worker", "--burst", env={"LABELHUB_REDIS_URL": "redis://127.0.0.1:1/0"})

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Cannot reach Redis (redis.url):")


def test_jobs_worker_burst_runs_against_redis(invoke, redis_url):
    result = invoke("jobs", "worker", "--burst", env={"LABELHUB_REDIS_URL": redis_url})

    assert result.exit_code == 0, result.output
