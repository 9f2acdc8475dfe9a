"""Accuracy of every categorical method and of ``auto`` on the real data sets, beside published figures.

Reads each folder of the data sets directory (``labels.csv`` worker,task,label and ``gold.csv``
task,label; see each folder's SOURCE.md) without copying or changing anything. Accuracy is the
share of gold tasks whose consensus equals the gold label; no method sees the gold, except
GoldMajorityVote and "auto + 10% gold", which get a seeded 10% of the gold tasks and are scored on
the other 90%. The continuous set (SOURCE.md "Kind: aggregation-continuous") is scored with the
ordinal estimator instead (mean absolute error and correlation with the gold scores).

    python benchmarks/evaluate.py                      # ../shared/datasets/aggregation
    python benchmarks/evaluate.py --datasets DIR --methods ds,MajorityVote --sets zheng_d_sentiment
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

# This folder also holds a script called aggregation.py: keep it from shadowing the aggregation package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # the repository, for a checkout that is not pip-installed

DEFAULT_DATASETS = _HERE.parent.parent / "shared" / "datasets" / "aggregation"
GOLD_SHARE = 0.10

# Ustalov, Pavlichenko, Tseitlin, "Learning from Crowds with Crowd-Kit", JOSS 9(96) 6227 (2024),
# table "Comparison of the implemented categorical aggregation methods (accuracy is used)", as in
# github.com/Toloka/crowd-kit joss/paper.md. None: not reported (MMSR too slow on D_Product, KOS
# binary only).
PUBLISHED = {
    "zheng_d_jn_product": ("D_Product", {"MajorityVote": 0.897, "Wawa": 0.897, "DawidSkene": 0.940,
                                         "GLAD": 0.928, "KOS": 0.895, "MACE": 0.929, "MMSR": None}),
    "zheng_d_sentiment": ("D_PosSent", {"MajorityVote": 0.932, "Wawa": 0.951, "DawidSkene": 0.960,
                                        "GLAD": 0.948, "KOS": 0.933, "MACE": 0.950, "MMSR": 0.937}),
    "zheng_s4_relevance": ("S_Rel", {"MajorityVote": 0.536, "Wawa": 0.557, "DawidSkene": 0.615, "GLAD": 0.511,
                                     "KOS": None, "MACE": 0.501, "MMSR": 0.425}),
    "zheng_s5_adultcontent": ("S_Adult", {"MajorityVote": 0.763, "Wawa": 0.766, "DawidSkene": 0.748,
                                          "GLAD": 0.760, "KOS": None, "MACE": 0.763, "MMSR": 0.751}),
}


def load(folder: Path) -> tuple[pd.DataFrame, pd.Series, str]:
    from aggregation import read_gold_csv, read_labels_csv

    source = (folder / "SOURCE.md").read_text(encoding="utf-8") if (folder / "SOURCE.md").exists() else ""
    kind = "continuous" if "aggregation-continuous" in source else "categorical"
    return read_labels_csv(folder / "labels.csv"), read_gold_csv(folder / "gold.csv"), kind


def accuracy(labels: pd.Series, gold: pd.Series) -> float:
    return float((labels.reindex(gold.index).to_numpy() == gold.to_numpy()).mean())


def split_gold(gold: pd.Series, seed: int) -> tuple[pd.Series, pd.Series]:
    """A seeded GOLD_SHARE of the gold tasks given to the method, and the rest to score it on."""
    order = np.random.default_rng(seed).permutation(len(gold))
    cut = max(1, round(GOLD_SHARE * len(gold)))
    return gold.iloc[np.sort(order[:cut])], gold.iloc[np.sort(order[cut:])]


def evaluate_categorical(answers: pd.DataFrame, gold: pd.Series, names: list[str], seed: int) -> dict:
    from aggregation import METHODS, aggregate

    row: dict = {"answers": len(answers), "tasks": answers["task"].nunique(), "gold": len(gold),
                 "classes": answers["label"].nunique(), "seconds": {}}
    known, held_out = split_gold(gold, seed)
    for name in names:
        if METHODS[name].binary_only and row["classes"] != 2:
            row[name] = None
            continue
        started = time.perf_counter()
        try:
            if METHODS[name].gold == "required":
                row[name] = accuracy(aggregate(answers, name, known).labels, held_out)
            else:
                row[name] = accuracy(aggregate(answers, name).labels, gold)
        except ValueError as exc:  # a crowd-kit estimator that fails on this set
            row[name] = "failed"
            row.setdefault("failures", {})[name] = str(exc)
        row["seconds"][name] = time.perf_counter() - started
        print(f"  {name}: {row[name]} ({row['seconds'][name]:.1f} s)", file=sys.stderr, flush=True)
    unsupervised = aggregate(answers, "auto")
    row["auto"], row["auto_pick"] = accuracy(unsupervised.labels, gold), unsupervised.method
    supervised = aggregate(answers, "auto", known)
    row["auto_gold"], row["auto_gold_pick"] = accuracy(supervised.labels, held_out), supervised.method
    row["auto_gold_reason"] = supervised.reason
    return row


def evaluate_continuous(answers: pd.DataFrame, gold: pd.Series) -> dict:
    from aggregation import OrdinalAggregator

    truth = pd.to_numeric(gold)
    row: dict = {"answers": len(answers), "tasks": answers["task"].nunique(), "gold": len(gold)}
    for statistic in ("mean", "median"):
        model = OrdinalAggregator(statistic=statistic, metric="interval").fit(answers)
        estimate = model.labels_.reindex(truth.index).astype(float)
        row[statistic] = {"mae": float((estimate - truth).abs().mean()),
                          "pearson": float(np.corrcoef(estimate, truth)[0, 1])}
        row["alpha"] = model.alpha_
    return row


def print_categorical(rows: dict[str, dict], names: list[str]) -> None:
    columns = [*names, "auto", "auto_gold"]
    print("| set | answers | gold tasks | K | " + " | ".join(
        "auto (no gold)" if c == "auto" else "auto + 10% gold*" if c == "auto_gold"
        else f"{c}*" if c == "GoldMajorityVote" else c for c in columns) + " |")
    print("|---|---:|---:|---:|" + "---:|" * len(columns))
    for name, row in rows.items():
        cells = []
        for column in columns:
            value = row.get(column)
            best = max(v for c, v in row.items()
                       if c in names and c != "GoldMajorityVote" and isinstance(v, float))
            text = "—" if value is None else value if isinstance(value, str) else f"{value:.3f}"
            if column in ("auto", "auto_gold"):
                text += f" ({row[column + '_pick']})"
            elif isinstance(value, float) and value == best:
                text = f"**{text}**"
            cells.append(text)
        print(f"| {name} | {row['answers']:,} | {row['gold']:,} | {row['classes']} | "
              + " | ".join(cells) + " |")
    means = []
    for column in columns:
        values = [row[column] for row in rows.values() if isinstance(row.get(column), float)]
        counted = "" if len(values) == len(rows) else f" ({len(values)} of {len(rows)} sets)"
        means.append(f"{np.mean(values):.3f}{counted}")
    print("| mean | | | | " + " | ".join(means) + " |")
    print("\n* scored on the 90% of gold tasks it did not see. Bold: the best method (not counting auto).")


def print_published(rows: dict[str, dict]) -> None:
    methods = ["MajorityVote", "Wawa", "DawidSkene", "GLAD", "KOS", "MACE", "MMSR", "ds", "ds_shrunk", "auto"]
    print("\n| set (paper name) | " + " | ".join(methods) + " |")
    print("|---|" + "---:|" * len(methods))
    for folder, (paper_name, published) in PUBLISHED.items():
        if folder not in rows:
            continue
        cells = []
        for method in methods:
            ours = rows[folder].get(method)
            ours_text = "—" if ours is None else ours if isinstance(ours, str) else f"{ours:.3f}"
            if method in published:
                paper = published[method]
                cells.append(f"{ours_text} (paper {'—' if paper is None else f'{paper:.3f}'})")
            else:
                cells.append(ours_text)
        print(f"| {folder} ({paper_name}) | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ["LABELHUB_DATASETS"]) / "aggregation" if os.environ.get("LABELHUB_DATASETS") \
        else DEFAULT_DATASETS
    parser.add_argument("--datasets", type=Path, default=default,
                        help="folder of data sets "
                             "(default: $LABELHUB_DATASETS/aggregation, else %(default)s)")
    parser.add_argument("--methods", help="comma-separated categorical methods (default: all)")
    parser.add_argument("--sets", help="comma-separated data set folders (default: all)")
    parser.add_argument("--seed", type=int, default=5, help="seed of the 10%% gold split")
    args = parser.parse_args()
    if not args.datasets.is_dir():
        print(f"No data sets at {args.datasets}: nothing to evaluate (give --datasets DIR).")
        return
    warnings.simplefilter("ignore", DeprecationWarning)  # crowd-kit x scikit-learn tag warnings
    from aggregation import METHODS

    names = args.methods.split(",") if args.methods else list(METHODS)
    folders = sorted(p for p in args.datasets.iterdir() if (p / "labels.csv").exists())
    if args.sets:
        folders = [p for p in folders if p.name in args.sets.split(",")]
    categorical, continuous = {}, {}
    for folder in folders:
        answers, gold, kind = load(folder)
        print(f"{folder.name} ({len(answers):,} answers)", file=sys.stderr, flush=True)
        if kind == "continuous":
            continuous[folder.name] = evaluate_continuous(answers, gold)
        else:
            categorical[folder.name] = evaluate_categorical(answers, gold, names, args.seed)
    print_categorical(categorical, names)
    print_published(categorical)
    for name, row in continuous.items():
        print(f"\n{name} ({row['answers']:,} numeric answers, {row['gold']} gold scores), Krippendorff's "
              f"alpha (interval) {row['alpha']:.3f}:")
        for statistic in ("mean", "median"):
            print(f"  {statistic}: mean absolute error {row[statistic]['mae']:.2f}, "
                  f"Pearson r {row[statistic]['pearson']:.3f}")
    for name, row in categorical.items():
        print(f"\n{name}: auto + 10% gold picked {row['auto_gold_pick']}: {row['auto_gold_reason']}")
        for method, reason in row.get("failures", {}).items():
            print(f"{name}: {method} failed: {reason}")
    print("\nSeconds per method (wall clock, this run):")
    for name, row in categorical.items():
        print(f"  {name}: " + ", ".join(f"{m} {t:.1f}" for m, t in row["seconds"].items()))


if __name__ == "__main__":
    main()
