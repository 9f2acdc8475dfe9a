"""Speed, peak memory and agreement of crowd-kit's DawidSkene and LabelHub's FastDawidSkene.

One run: the same seeded synthetic crowd (by default 200,000 tasks x 5 answers by 10,000 workers,
5 classes, string ids as a CSV would give them) is generated in a fresh child process per estimator,
so each fit's time and memory are its own. Prints a table, the speed ratio and the label agreement.

    python benchmarks/aggregation.py            # the 1M-answer set of issue 5
    python benchmarks/aggregation.py --tasks 20000 --workers 1000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

# This script is itself called aggregation.py: keep its folder from shadowing the aggregation package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # the repository, for a checkout that is not pip-installed

ESTIMATORS = {
    "crowd-kit DawidSkene": "crowdkit",
    "LabelHub ds (FastDawidSkene)": "ds",
    "LabelHub ds_shrunk (shrinkage=2)": "ds_shrunk",
}
SPEED_TARGET, AGREEMENT_TARGET = 20.0, 0.999


def simulate(tasks: int, workers: int, per_task: int, classes: int,
             seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A crowd where each worker has their own confusion matrix: accuracy uniform in [0.3, 0.95] on
    the diagonal, errors spread by a random Dirichlet draw per true class."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, tasks)
    accuracy = rng.uniform(0.3, 0.95, workers)
    errors = rng.dirichlet(np.ones(classes - 1), size=(workers, classes))
    chosen = rng.integers(0, workers, (tasks, per_task))
    while True:  # redraw tasks that got the same worker twice
        ordered = np.sort(chosen, axis=1)
        clash = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not clash.any():
            break
        chosen[clash] = rng.integers(0, workers, (int(clash.sum()), per_task))
    task = np.repeat(np.arange(tasks), per_task)
    worker = chosen.ravel()
    true = truth[task]
    wrong_rank = (errors[worker, true].cumsum(axis=1) < rng.random(len(task))[:, None]).sum(axis=1)
    wrong_rank = np.minimum(wrong_rank, classes - 2)
    wrong = wrong_rank + (wrong_rank >= true)  # the wrong labels in order, skipping the true one
    label = np.where(rng.random(len(task)) < accuracy[worker], true, wrong)
    answers = pd.DataFrame({"worker": np.char.add("w", worker.astype(str)).astype(object),
                            "task": np.char.add("t", task.astype(str)).astype(object),
                            "label": label})
    return answers, truth


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(which: str, options: dict, out: str) -> None:
    """Fit one estimator on the seeded crowd; write time, memory, iterations and labels to ``out``."""
    answers, truth = simulate(options["tasks"], options["workers"], options["per_task"], options["classes"],
                              options["seed"])
    baseline = _rss_kib("VmRSS")
    try:  # reset the peak so it measures the fit, not the data generation
        Path("/proc/self/clear_refs").write_text("5")
        peak_is_fit_only = True
    except OSError:
        peak_is_fit_only = False
    fit = _estimator(which)  # imported before the clock starts
    times, labels, iterations = [], None, 0
    for _ in range(options["repeat"]):
        started = time.perf_counter()
        labels, iterations = fit(answers)
        times.append(time.perf_counter() - started)
    order = pd.Index([f"t{i}" for i in range(options["tasks"])])
    codes = labels.reindex(order).to_numpy(dtype=int)
    np.save(out + ".npy", codes)
    Path(out).write_text(json.dumps({
        "seconds": statistics.median(times), "runs": times, "peak_mib": _rss_kib("VmHWM") / 1024,
        "baseline_mib": baseline / 1024, "peak_is_fit_only": peak_is_fit_only, "iterations": iterations,
        "accuracy": float((codes == truth).mean()),
    }))


def _estimator(which: str) -> Callable[[pd.DataFrame], tuple[pd.Series, int]]:
    """A function fitting the estimator; the import happens here, outside the timed fit."""
    if which == "crowdkit":
        from crowdkit.aggregation import DawidSkene

        def fit_crowdkit(answers: pd.DataFrame) -> tuple[pd.Series, int]:
            model = DawidSkene(n_iter=100, tol=1e-5).fit(answers)
            return model.labels_, len(model.loss_history_)
        return fit_crowdkit
    from aggregation import FastDawidSkene

    def fit_ours(answers: pd.DataFrame) -> tuple[pd.Series, int]:
        shrinkage = 2.0 if which == "ds_shrunk" else 0.0
        model = FastDawidSkene(n_iter=100, tol=1e-5, shrinkage=shrinkage).fit(answers)
        return model.labels_, model.n_iter_
    return fit_ours


def run(which: str, options: dict, folder: str) -> tuple[dict, np.ndarray]:
    out = str(Path(folder) / which)
    command = [sys.executable, __file__, "--child", which, "--options", json.dumps(options), "--out", out]
    subprocess.run(command, check=True)
    return json.loads(Path(out).read_text()), np.load(out + ".npy")


def report(results: dict[str, tuple[dict, np.ndarray]], options: dict) -> None:
    reference_stats, reference = results["crowd-kit DawidSkene"]
    answers = options["tasks"] * options["per_task"]
    print(f"\nSynthetic crowd: {options['tasks']:,} tasks x {options['per_task']} answers = {answers:,} "
          f"answers, "
          f"{options['workers']:,} workers, {options['classes']} classes, seed {options['seed']}\n")
    print("| estimator | fit time (s) | peak RSS (MiB) | RSS added by the fit (MiB) | EM iterations "
          "| accuracy vs truth | same labels as crowd-kit |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (stats, labels) in results.items():
        added = stats["peak_mib"] - stats["baseline_mib"]
        print(f"| {name} | {stats['seconds']:.2f} | {stats['peak_mib']:.0f} | "
              f"{added:.0f}{'' if stats['peak_is_fit_only'] else ' (incl. data generation)'} | "
              f"{stats['iterations']} | {stats['accuracy']:.4f} | {(labels == reference).mean():.4%} |")
    ours_stats, ours = results["LabelHub ds (FastDawidSkene)"]
    speedup = reference_stats["seconds"] / ours_stats["seconds"]
    agreement = float((ours == reference).mean())
    print(f"\nspeed ratio (crowd-kit / ds): {speedup:.1f}x (target >= {SPEED_TARGET:g}x: "
          f"{'met' if speedup >= SPEED_TARGET else 'NOT met'})")
    print(f"label agreement (ds vs crowd-kit): {agreement:.4%} (target >= {AGREEMENT_TARGET:.1%}: "
          f"{'met' if agreement >= AGREEMENT_TARGET else 'NOT met'})")
    runs = ", ".join(f"{t:.2f}" for t in ours_stats["runs"])
    print(f"times of ds over {len(ours_stats['runs'])} runs: {runs} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--per-task", type=int, default=5)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3,
                        help="fits of LabelHub's estimators (the median is reported)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--options", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, json.loads(args.options), args.out)
        return
    options = {"tasks": args.tasks, "workers": args.workers, "per_task": args.per_task,
               "classes": args.classes, "seed": args.seed}
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for name, which in ESTIMATORS.items():
            repeat = 1 if which == "crowdkit" else args.repeat  # crowd-kit takes ~a minute per fit
            print(f"fitting {name}...", file=sys.stderr, flush=True)
            results[name] = run(which, options | {"repeat": repeat}, folder)
    report(results, options)


if __name__ == "__main__":
    main()
