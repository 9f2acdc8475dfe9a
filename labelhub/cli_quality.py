"""Commands of the LLM-answer flag that need no database: ``labelhub llm-check`` scores a CSV of
answers, ``labelhub quality train-llm-model`` trains the text model from the human-vs-LLM data sets."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from labelhub.cli_output import write_csv_atomically

DEFAULT_DATASETS = Path("..") / "shared" / "datasets" / "llm_text"


def _datasets_folder(given: str | None) -> Path:
    if given:
        return Path(given)
    if os.environ.get("LABELHUB_DATASETS"):
        return Path(os.environ["LABELHUB_DATASETS"]) / "llm_text"
    return DEFAULT_DATASETS


@click.group()
def quality() -> None:
    """Worker quality and the LLM-answer flag."""


@quality.command("train-llm-model")
@click.option("--datasets", "datasets", type=click.Path(file_okay=False),
              help="Folder of the text sets (<set>/texts.csv). Default: $LABELHUB_DATASETS/llm_text, "
                   "else ../shared/datasets/llm_text.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False),
              help="Model file to write. Default: the one LabelHub ships (quality/llm/text_model.npz).")
def train_llm_model(datasets: str | None, output: str | None) -> None:
    """Train the LLM text model (character n-grams and style measures) from the text sets.

    Reproducible: the same data gives the same file. Reads the data, never copies it.
    """
    from quality.llm import DEFAULT_PATH, read_text_sets, train

    folder = _datasets_folder(datasets)
    try:
        texts = read_text_sets(folder)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    target = Path(output) if output else DEFAULT_PATH
    if not target.parent.is_dir():
        raise click.ClickException(f"Cannot write {target}: its folder does not exist.")
    click.echo(f"Training on {len(texts):,} texts ({int(texts['label'].sum()):,} LLM-written) from "
               f"{', '.join(sorted(texts['set'].unique()))}", err=True)
    folds = 5
    with click.progressbar(length=folds, label="Fitting 5 folds split by prompt", file=sys.stderr) as bar:
        model = train(texts["text"].tolist(), texts["label"].to_numpy(), texts["group"].tolist(),
                      texts["set"].tolist(), folds=folds, progress=bar.update)
    model.save(target)
    click.echo(f"Wrote {target} ({target.stat().st_size:,} bytes). Flag threshold {model.threshold:.3f}: "
               f"at most {100 * (1 - model.metadata['human_quantile']):.1f}% of each set's human texts "
               "scored above it out of fold.", err=True)


@click.command("llm-check")
@click.argument("input_csv", metavar="INPUT.csv", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out_csv", metavar="OUT.csv", required=True, type=click.Path(dir_okay=False),
              help="Where to write INPUT's rows with llm_probability, band and reasons added.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="A model file from `labelhub quality train-llm-model`. Default: the shipped one.")
def llm_check(input_csv: str, out_csv: str, model_path: str | None) -> None:
    """Score answers for LLM authorship: INPUT.csv has a text column and optionally task, worker,
    reference (a reference LLM answer for the task) and telemetry columns (pasted_chars,
    pasted_chars_from_page, pastes, pastes_from_page, pastes_after_return, typed_chars, keystrokes,
    active_typing_ms, deletions, time_on_page_ms). Needs no database."""
    import pandas as pd

    from quality.llm import TextModel, default_model, score_frame

    if not os.path.isdir(os.path.dirname(os.path.abspath(out_csv))):
        raise click.ClickException(f"Cannot write {out_csv}: its folder does not exist.")
    try:
        frame = pd.read_csv(input_csv, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise click.ClickException(f"{input_csv}: no such file") from None
    except pd.errors.EmptyDataError:
        raise click.ClickException(f"{input_csv}: cannot be read: the file is empty") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(f"{input_csv}: cannot be read: {reason}") from None
    try:
        model = TextModel.load(model_path) if model_path else default_model()
        scored = score_frame(frame, model)
    except ValueError as exc:
        raise click.ClickException(f"{input_csv}: {exc}") from None
    write_csv_atomically(scored, out_csv)
    flagged = int((scored["band"] == "high").sum())
    click.echo(f"{len(scored)} answers scored, {flagged} flagged (band high). Wrote {out_csv}.", err=True)
