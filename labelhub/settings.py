"""Typed settings: config.toml defaults overlaid by LABELHUB_<SECTION>_<KEY> environment variables."""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, get_type_hints

ENV_PREFIX = "LABELHUB_"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///instance/labelhub.sqlite"
    echo: bool = False


@dataclass(frozen=True)
class RedisSettings:
    url: str = ""
    queue: str = "labelhub"


@dataclass(frozen=True)
class WebSettings:
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 5000
    max_request_bytes: int = 16 * 1024 * 1024
    trusted_proxies: int = 0
    secure_cookies: bool = False


@dataclass(frozen=True)
class StorageSettings:
    instance_path: str = "instance"


@dataclass(frozen=True)
class MoneySettings:
    fee_rate: Decimal = Decimal("0.20")
    large_hit_fee_rate: Decimal = Decimal("0.40")
    large_hit_min_assignments: int = 10
    minimum_fee: Decimal = Decimal("0.01")
    currency: str = "USD"
    sandbox_starting_balance: Decimal = Decimal("10000.00")


@dataclass(frozen=True)
class MarketplaceSettings:
    percent_approved_min_assignments: int = 10
    masters_min_approved: int = 500
    masters_min_percent_approved: int = 98
    idempotency_window_hours: int = 24
    override_rejection_days: int = 30


@dataclass(frozen=True)
class NotificationsSettings:
    allow_private_destinations: bool = False


@dataclass(frozen=True)
class AccountsSettings:
    # werkzeug's method string; tests lower the cost, deployments keep scrypt's default.
    password_hash_method: str = "scrypt:32768:8:1"
    # Who may create a requester account on /requester/signup: "open" (anyone) or "invite" (whoever
    # gives requester_invite_code; with an empty code nobody: accounts come from the CLI only).
    requester_signup: str = "open"
    requester_invite_code: str = ""

    def __post_init__(self) -> None:
        if not _is_password_hash_method(self.password_hash_method):
            raise ValueError(f"accounts.password_hash_method: {self.password_hash_method!r} is not a werkzeug "
                             'method such as "scrypt:32768:8:1" or "pbkdf2:sha256:600000"')
        if self.requester_signup not in ("open", "invite"):
            raise ValueError(f"accounts.requester_signup: {self.requester_signup!r} must be \"open\" or \"invite\"")


def _is_password_hash_method(method: str) -> bool:
    """What werkzeug's generate_password_hash accepts, checked cheaply (werkzeug itself only fails when hashing)."""
    name, *args = method.split(":")
    try:
        if name == "scrypt":
            n, r, p = map(int, args) if args else (2, 1, 1)
            return n > 1 and n & (n - 1) == 0 and r > 0 and p > 0
        if name == "pbkdf2" and len(args) <= 2:
            hashlib.pbkdf2_hmac(args[0] if args else "sha256", b"", b"", 1)  # ValueError: unknown hash
            return len(args) < 2 or int(args[1]) > 0
    except ValueError:
        return False
    return False


@dataclass(frozen=True)
class JobsSettings:
    sweep_interval_seconds: int = 60
    runner: str = "embedded"
    threads: int = 2
    processes: int = 1
    poll_interval_ms: int = 500
    stale_after_seconds: int = 120
    keep_finished_days: int = 7


@dataclass(frozen=True)
class QualitySettings:
    gold_share: Decimal = Decimal("0.05")
    method: str = "auto"
    gold_assignments: int = 20
    llm_model: str = ""


@dataclass(frozen=True)
class ExportsSettings:
    retention_days: int = 7
    page_size: int = 2000

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise ValueError(f"exports.retention_days: {self.retention_days} is not a number of days (1 or more)")
        if not 1 <= self.page_size <= 30_000:  # SQLite binds at most 32,766 parameters per statement
            raise ValueError(f"exports.page_size: {self.page_size} is not between 1 and 30000")


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    web: WebSettings = field(default_factory=WebSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    money: MoneySettings = field(default_factory=MoneySettings)
    marketplace: MarketplaceSettings = field(default_factory=MarketplaceSettings)
    jobs: JobsSettings = field(default_factory=JobsSettings)
    accounts: AccountsSettings = field(default_factory=AccountsSettings)
    notifications: NotificationsSettings = field(default_factory=NotificationsSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    exports: ExportsSettings = field(default_factory=ExportsSettings)

    @classmethod
    def load(cls, path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``path`` (default: $LABELHUB_CONFIG or ./config.toml, missing file = defaults), then env."""
        env = os.environ if env is None else env
        path = Path(path or env.get("LABELHUB_CONFIG", "config.toml"))
        try:
            raw = tomllib.loads(path.read_text()) if path.exists() else {}
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from None
        return _build(cls, _overlay_env(raw, env, where=str(path)), where=str(path))


def _overlay_env(raw: dict[str, Any], env: Mapping[str, str], *, where: str) -> dict[str, Any]:
    merged = {}
    for section, values in raw.items():
        if not isinstance(values, dict):
            raise ValueError(f"{where}: {section} must be a [{section}] table of settings, not one value")
        merged[section] = dict(values)
    for section in fields(Settings):
        for item in fields(section.default_factory()):  # type: ignore[misc]
            name = f"{ENV_PREFIX}{section.name}_{item.name}".upper()
            if name in env:
                merged.setdefault(section.name, {})[item.name] = env[name]
    return merged


def _build(cls: type, raw: Mapping[str, Any], *, where: str) -> Any:
    hints = get_type_hints(cls)
    unknown = set(raw) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    values = {}
    for item in fields(cls):
        if item.name not in raw:
            continue
        kind = hints[item.name]
        if is_dataclass(kind):
            values[item.name] = _build(kind, raw[item.name], where=f"{where} [{item.name}]")
        else:
            values[item.name] = _coerce(raw[item.name], kind, f"{where}: {item.name}")
    return cls(**values)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered not in {"1", "0", "true", "false", "yes", "no"}:
        raise ValueError
    return lowered in {"1", "true", "yes"}


def _to_int(value: Any) -> int:
    if isinstance(value, bool | float):  # int(5000.7) would silently drop the fraction
        raise ValueError
    return int(value)


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError
    return number


def _to_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


_CONVERTERS: dict[type, Any] = {bool: _to_bool, int: _to_int, Decimal: _to_decimal, str: _to_str}


def _coerce(value: Any, kind: type, where: str) -> Any:
    try:
        return _CONVERTERS[kind](value)
    except (ValueError, TypeError, InvalidOperation):
        raise ValueError(f"{where}: {value!r} is not a valid {kind.__name__}") from None
