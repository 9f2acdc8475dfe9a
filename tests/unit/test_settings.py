"""Settings: config.toml defaults, LABELHUB_<SECTION>_<KEY> overrides, typed coercion and clear errors."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from labelhub.settings import Settings

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def _load(tmp_path, text: str | None = None, **env: str) -> Settings:
    path = tmp_path / "config.toml"
    if text is not None:
        path.write_text(text)
    return Settings.load(path, env=env)


def test_load_repository_config_equals_the_code_defaults():
    assert Settings.load(REPO_CONFIG, env={}) == Settings()


def test_load_missing_file_gives_defaults(tmp_path):
    assert _load(tmp_path) == Settings()


def test_load_reads_typed_values_from_the_file(tmp_path):
    settings = _load(tmp_path, '[web]\nport = 8080\n[database]\necho = true\n[money]\nfee_rate = "0.25"\n'
                               'minimum_fee = 0.05\n')
    assert (settings.web.port, settings.database.echo) == (8080, True)
    assert (settings.money.fee_rate, settings.money.minimum_fee) == (Decimal("0.25"), Decimal("0.05"))
    assert settings.web.host == "127.0.0.1"  # untouched keys keep their defaults


def test_environment_overrides_the_file(tmp_path):
    settings = _load(tmp_path, '[database]\nurl = "sqlite:///file.sqlite"\n',
                     LABELHUB_DATABASE_URL="postgresql+psycopg://db/labelhub", LABELHUB_WEB_PORT="9000",
                     LABELHUB_DATABASE_ECHO="yes", LABELHUB_MONEY_LARGE_HIT_FEE_RATE="0.35",
                     LABELHUB_REDIS_URL="redis://127.0.0.1:6379/0")
    assert settings.database.url == "postgresql+psycopg://db/labelhub"
    assert (settings.web.port, settings.database.echo) == (9000, True)
    assert settings.money.large_hit_fee_rate == Decimal("0.35")
    assert settings.redis.url == "redis://127.0.0.1:6379/0"


def test_labelhub_config_names_the_file(tmp_path):
    path = tmp_path / "elsewhere.toml"
    path.write_text("[marketplace]\nidempotency_window_hours = 12\n")
    settings = Settings.load(env={"LABELHUB_CONFIG": str(path)})
    assert settings.marketplace.idempotency_window_hours == 12


def test_environment_variables_of_other_names_are_ignored(tmp_path):
    assert _load(tmp_path, LABELHUB_NOPE_URL="x", DATABASE_URL="postgresql://elsewhere") == Settings()


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("true", True), ("YES", True), (" no ", False), ("0", False), ("False", False)])
def test_boolean_from_the_environment(tmp_path, value, expected):
    assert _load(tmp_path, LABELHUB_DATABASE_ECHO=value).database.echo is expected


@pytest.mark.parametrize(("text", "env", "names"), [
    ("[web]\nport = 5000.7\n", {}, "port: 5000.7 is not a valid int"),
    ("[web]\nport = true\n", {}, "port: True is not a valid int"),
    ("[web]\nport = {a = 1}\n", {}, "port: {'a': 1} is not a valid int"),
    ("", {"LABELHUB_WEB_PORT": "eighty"}, "port: 'eighty' is not a valid int"),
    ("", {"LABELHUB_DATABASE_ECHO": "maybe"}, "echo: 'maybe' is not a valid bool"),
    ("[money]\nfee_rate = \"twenty\"\n", {}, "fee_rate: 'twenty' is not a valid Decimal"),
    ("[money]\nfee_rate = \"NaN\"\n", {}, "fee_rate: 'NaN' is not a valid Decimal"),
    ("[money]\nminimum_fee = true\n", {}, "minimum_fee: True is not a valid Decimal"),
    ("[database]\nurl = 5\n", {}, "url: 5 is not a valid str"),
])
def test_invalid_value_names_the_setting(tmp_path, text, env, names):
    with pytest.raises(ValueError, match=names.replace("{", r"\{").replace("}", r"\}")):
        _load(tmp_path, text, **env)


@pytest.mark.parametrize(("text", "message"), [
    ("[web]\nprot = 8080\n", r"\[web\]: unknown setting\(s\) prot"),
    ("[webb]\nport = 8080\n", "unknown setting\\(s\\) webb"),
    ('database = "sqlite://"\n', r"database must be a \[database\] table"),
    ("port = 8080\n", r"port must be a \[port\] table"),
    ("[web\nport = 1\n", "not valid TOML"),
])
def test_malformed_file_is_refused_with_its_location(tmp_path, text, message):
    with pytest.raises(ValueError, match=message) as raised:
        _load(tmp_path, text)
    assert str(tmp_path / "config.toml") in str(raised.value)


def test_settings_are_frozen():
    settings = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.web.port = 1  # type: ignore[misc]


def test_password_hash_method_comes_from_the_environment(tmp_path):
    settings = _load(tmp_path, '[accounts]\npassword_hash_method = "scrypt:16384:8:1"\n',
                     LABELHUB_ACCOUNTS_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
    assert settings.accounts.password_hash_method == "pbkdf2:sha256:1000"
    assert Settings().accounts.password_hash_method == "scrypt:32768:8:1"


@pytest.mark.parametrize("method", ["bcrypt", "", "scrypt:1000:8:1", "scrypt:1024:8", "pbkdf2:md7:1000",
                                    "pbkdf2:sha256:0", "pbkdf2:sha256:many"])
def test_unknown_password_hash_method_is_refused_when_the_settings_load(tmp_path, method):
    with pytest.raises(ValueError, match=r"accounts\.password_hash_method: .* is not a werkzeug method"):
        _load(tmp_path, LABELHUB_ACCOUNTS_PASSWORD_HASH_METHOD=method)
