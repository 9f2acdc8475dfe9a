"""Output helpers of the command line: progress bars on stderr and CSV files written atomically."""

from __future__ import annotations

import sys
from typing import Any

import click


def progressbar(show: bool, length: int, label: str) -> Any:
    """A progress bar on stderr, or a context that yields None (click < 8.2 has no ``hidden=``)."""
    import contextlib

    if not show:
        return contextlib.nullcontext()
    return click.progressbar(length=length, label=label, file=sys.stderr)


def write_csv_atomically(frame: Any, path: str) -> None:
    """Write to a temporary file beside ``path`` and rename it, so a failure leaves no partial file."""
    import os
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".labelhub-", suffix=".csv", dir=folder)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            frame.to_csv(out, index=False)
        os.replace(temporary, path)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
