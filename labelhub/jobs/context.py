"""The Runtime jobs run with: one per process, installed by the worker at start-up or built on first use.

Nothing is built at import time. A forked rq work horse inherits its parent's Runtime, whose
``sessions`` property drops the parent's pooled connections on first use in the child.
"""

from __future__ import annotations

import threading

from labelhub.runtime import Runtime
from labelhub.settings import Settings

_lock = threading.Lock()
_runtime: Runtime | None = None


def install_runtime(rt: Runtime | None) -> None:
    """Make ``rt`` the Runtime jobs use in this process; None forgets it (the next use builds one)."""
    global _runtime
    with _lock:
        _runtime = rt


def worker_runtime() -> Runtime:
    """The installed Runtime, or one built once from ``Settings.load()`` (config.toml + LABELHUB_*)."""
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = Runtime.from_settings(Settings.load())
        return _runtime
