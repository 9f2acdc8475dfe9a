"""Dynamic overlap against fixed redundancy, replayed on the real data sets.

Each set's answers are put in a seeded random order per task (``quality.replay_order``). Fixed
redundancy k takes the first k answers of every task; dynamic overlap (``quality.simulate``) starts
every task with the policy's minimum and, after each aggregation, gives one more answer to each task
whose consensus confidence is below the target, up to the maximum. Both spend answers from the same
order, and both are scored on the set's gold tasks. The numbers are means over the seeds.

    python benchmarks/overlap.py                     # ../shared/datasets/aggregation, 3 seeds
    python benchmarks/overlap.py --sets snow2008_rte --min 3 --max 7 --target 0.95 --method ds
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

DEFAULT_DATASETS = _HERE.parent.parent / "shared" / "datasets" / "aggregation"


def _datasets(args: argparse.Namespace) -> Path:
    if args.datasets:
        return Path(args.datasets)
    if os.environ.get("LABELHUB_DATASETS"):
        return Path(os.environ["LABELHUB_DATASETS"]) / "aggregation"
    return DEFAULT_DATASETS


def _categorical(folder: Path) -> bool:
    source = folder / "SOURCE.md"
    return not (source.exists() and "aggregation-continuous" in source.read_text(encoding="utf-8"))


def run_set(folder: Path, args: argparse.Namespace) -> dict[str, list[float]]:
    from aggregation import read_gold_csv, read_labels_csv
    from quality import OverlapPolicy, replay_order, simulate, simulate_fixed

    answers, gold = read_labels_csv(folder / "labels.csv"), read_gold_csv(folder / "gold.csv")
    policy = OverlapPolicy(args.min, args.max, args.target)
    row: dict[str, list[float]] = {}
    for seed in range(args.seeds):
        ordered = replay_order(answers, seed)
        runs = {f"fixed {k}": simulate_fixed(ordered, gold, k, method=args.method)
                for k in sorted({args.min, (args.min + args.max) // 2, args.max})}
        runs["dynamic"] = simulate(ordered, gold, policy, method=args.method)
        for name, result in runs.items():
            row.setdefault(f"{name} answers/task", []).append(result.answers_per_task)
            row.setdefault(f"{name} accuracy", []).append(result.accuracy)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="folder of the aggregation data sets")
    parser.add_argument("--sets", help="comma-separated set names (default: every categorical set)")
    parser.add_argument("--method", default="ds")
    parser.add_argument("--min", type=int, default=3)
    parser.add_argument("--max", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    root = _datasets(args)
    if not root.is_dir():
        print(f"no data sets at {root}; nothing to replay (set --datasets or LABELHUB_DATASETS)")
        return 0
    from tqdm import tqdm

    wanted = set(args.sets.split(",")) if args.sets else None
    folders = [f for f in sorted(root.iterdir()) if f.is_dir() and _categorical(f)
               and (wanted is None or f.name in wanted)]
    table = {}
    for folder in tqdm(folders, desc="replaying", unit="set"):
        table[folder.name] = {name: float(np.mean(values)) for name, values in run_set(folder, args).items()}
    _print(table, args)
    return 0


def _print(table: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    columns = list(next(iter(table.values())))
    print(f"method {args.method}; dynamic: min {args.min}, max {args.max}, confidence target {args.target}; "
          f"means over {args.seeds} seeds\n")
    print("| set | " + " | ".join(columns) + " | answers saved vs fixed "
          f"{args.max} | accuracy change vs fixed {args.max} |")
    print("|---|" + "---:|" * (len(columns) + 2))
    for name, row in table.items():
        saved = 1 - row["dynamic answers/task"] / row[f"fixed {args.max} answers/task"]
        change = row["dynamic accuracy"] - row[f"fixed {args.max} accuracy"]
        cells = [f"{row[c]:.3f}" if "accuracy" in c else f"{row[c]:.2f}" for c in columns]
        print(f"| {name} | " + " | ".join(cells) + f" | {saved:.1%} | {change:+.3f} |")
    means = {c: np.mean([row[c] for row in table.values()]) for c in columns}
    print("| mean | " + " | ".join(f"{means[c]:.3f}" if "accuracy" in c else f"{means[c]:.2f}"
                                   for c in columns) + " | | |")


if __name__ == "__main__":
    raise SystemExit(main())
