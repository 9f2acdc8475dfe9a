"""How well the LLM-answer flag works, measured honestly on the human-vs-LLM text sets and on
answers replayed through the real task pages.

1. Within each set: 5 folds split by prompt (never one prompt in training and test). In each fold
   the text model is trained with ``quality.llm.train`` exactly as ``labelhub quality
   train-llm-model`` does (its threshold comes from the training folds only) and scored on the
   test fold. Reported: AUROC, recall at the default threshold and the false-flag rate on human
   answers, beside the same for answer length alone (its threshold also set on the training
   folds: the 99.5th percentile of human lengths).
2. Each family alone (AUROC): length, character n-grams, style measures, LLM artefacts, and on
   HC3 prompts with two or more LLM answers, similarity to a reference LLM answer and to the other
   answers of the prompt; then every family combined by the flag's combiner.
3. Across sets: trained on one set, tested on the other.
4. Replays through the task pages in Chromium: answers typed at human speed, pasted from outside
   the page, pasted from the page (quoting) and LLM answers retyped by hand; the flag rate of each.
   The replayed texts come from one test fold, scored by that fold's model.

The sets have no worker ids, so no split by worker and no drift measure is possible on them.

    python benchmarks/llm_flag.py                       # ../shared/datasets/llm_text
    python benchmarks/llm_flag.py --replays 0           # no browser
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from quality.llm import AnswerContext, TextModel, artefacts, flag_many, read_text_sets, similarity, train  # noqa: E402
from quality.llm.model import HUMAN_QUANTILE, _hasher  # noqa: E402
from quality.llm.text import style_matrix  # noqa: E402

DEFAULT_DATASETS = _HERE.parent.parent / "shared" / "datasets" / "llm_text"
FOLDS = 5


def _datasets(given: str | None) -> Path:
    if given:
        return Path(given)
    if os.environ.get("LABELHUB_DATASETS"):
        return Path(os.environ["LABELHUB_DATASETS"]) / "llm_text"
    return DEFAULT_DATASETS


def operating(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    """AUROC, recall of LLM texts and the false-flag rate on human texts at ``threshold``."""
    return {"auroc": roc_auc_score(labels, scores), "recall": float((scores[labels == 1] >= threshold).mean()),
            "false_flags": float((scores[labels == 0] >= threshold).mean())}


def length_threshold(texts: pd.Series, labels: np.ndarray) -> float:
    return float(np.quantile(texts.str.len().to_numpy()[labels == 0], HUMAN_QUANTILE))


def within_set(frame: pd.DataFrame, progress) -> tuple[dict, dict, list[tuple[TextModel, pd.DataFrame]]]:
    """Outer folds by prompt; returns the text model's and length's figures and each fold's model
    with its test rows (for the family breakdown and the replays)."""
    text_scores, length_scores = np.zeros(len(frame)), np.zeros(len(frame))
    flagged, long = np.zeros(len(frame), bool), np.zeros(len(frame), bool)
    models = []
    labels = frame["label"].to_numpy()
    for train_rows, test_rows in GroupKFold(FOLDS).split(frame, labels, frame["group"]):
        part, test = frame.iloc[train_rows], frame.iloc[test_rows]
        model = train(part["text"].tolist(), part["label"].to_numpy(), part["group"].tolist(), part["set"].tolist())
        text_scores[test_rows] = model.probability(test["text"].tolist())
        flagged[test_rows] = text_scores[test_rows] >= model.threshold
        lengths = test["text"].str.len().to_numpy()
        length_scores[test_rows] = lengths
        long[test_rows] = lengths >= length_threshold(part["text"], part["label"].to_numpy())
        models.append((model, test))
        progress()
    text = {"auroc": roc_auc_score(labels, text_scores), "recall": flagged[labels == 1].mean(),
            "false_flags": flagged[labels == 0].mean()}
    length = {"auroc": roc_auc_score(labels, length_scores), "recall": long[labels == 1].mean(),
              "false_flags": long[labels == 0].mean()}
    return text, length, models


def family_alone(frame: pd.DataFrame, build) -> float:
    """Out-of-fold AUROC of a logistic regression on one family's features (folds by prompt)."""
    features, labels = build(frame["text"].tolist()), frame["label"].to_numpy()
    scores = np.zeros(len(frame))
    for train_rows, test_rows in GroupKFold(FOLDS).split(frame, labels, frame["group"]):
        fitted = LogisticRegression(C=10, max_iter=5000).fit(features[train_rows], labels[train_rows])
        scores[test_rows] = fitted.decision_function(features[test_rows])
    return float(roc_auc_score(labels, scores))



def _standardized(matrix: np.ndarray) -> np.ndarray:
    return (matrix - matrix.mean(0)) / (matrix.std(0) + 1e-9)


FAMILIES = {
    "character n-grams": lambda texts: _hasher().transform(texts),
    "style measures": lambda texts: _standardized(style_matrix(texts)),
    "LLM artefacts": lambda texts: np.array([[len(artefacts(t))] for t in texts], dtype=float),
}


def with_references(models: list[tuple[TextModel, pd.DataFrame]]) -> pd.DataFrame:
    """Test rows of prompts with two or more LLM answers: the first LLM answer is the reference
    (not scored); every other answer is scored alone, with its reference, with the prompt's other
    answers, and with everything, by its fold's model."""
    rows = []
    for model, test in models:
        for _, prompt in test.groupby("group", sort=False):
            llm = prompt.index[prompt["label"] == 1]
            if len(llm) < 2:
                continue
            reference = prompt.at[llm[0], "text"]
            scored = prompt.drop(index=llm[0])
            texts = scored["text"].tolist()
            others = [[t for j, t in enumerate(texts) if j != i] for i in range(len(texts))]
            contexts = {"text": [AnswerContext(t) for t in texts],
                        "text + reference": [AnswerContext(t, references=[reference]) for t in texts],
                        "text + others": [AnswerContext(t, others=o) for t, o in zip(texts, others, strict=True)],
                        "combined": [AnswerContext(t, references=[reference], others=o)
                                     for t, o in zip(texts, others, strict=True)]}
            flags = {name: flag_many(c, model) for name, c in contexts.items()}
            for i, (_, row) in enumerate(scored.iterrows()):
                entry = {"label": row["label"], "length": len(row["text"]), "threshold": model.threshold,
                         "reference similarity": similarity(row["text"], reference),
                         "others similarity": max((similarity(row["text"], o) for o in others[i]), default=0.0)}
                entry |= {name: f[i].probability for name, f in flags.items()}
                rows.append(entry)
    return pd.DataFrame(rows)


def print_within(results: dict) -> None:
    print("\n### Within each set: 5 folds by prompt, default threshold\n")
    print("| set | texts (human / LLM) | text AUROC | length AUROC | text recall | length recall | "
          "text false flags on humans | length false flags on humans |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, (size, text, length) in results.items():
        print(f"| {name} | {size} | {text['auroc']:.3f} | {length['auroc']:.3f} | {text['recall']:.1%} | "
              f"{length['recall']:.1%} | {text['false_flags']:.2%} | {length['false_flags']:.2%} |")


def cross_set(frames: dict[str, pd.DataFrame], progress) -> list[tuple[str, str, dict, dict]]:
    rows = []
    for source, target in ((a, b) for a in frames for b in frames if a != b):
        part, test = frames[source], frames[target]
        model = train(part["text"].tolist(), part["label"].to_numpy(), part["group"].tolist(), part["set"].tolist())
        labels = test["label"].to_numpy()
        text = operating(model.probability(test["text"].tolist()), labels, model.threshold)
        length = operating(test["text"].str.len().to_numpy(), labels,
                           length_threshold(part["text"], part["label"].to_numpy()))
        rows.append((source, target, text, length))
        progress()
    return rows


def print_cross(rows: list) -> None:
    print("\n### Across sets: trained on one, tested on the other (thresholds from the training set)\n")
    print("| trained on | tested on | text AUROC | length AUROC | text recall | text false flags on humans | "
          "length recall | length false flags on humans |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for source, target, text, length in rows:
        print(f"| {source} | {target} | {text['auroc']:.3f} | {length['auroc']:.3f} | {text['recall']:.1%} | "
              f"{text['false_flags']:.2%} | {length['recall']:.1%} | {length['false_flags']:.2%} |")


def print_families(alone: dict[str, dict[str, float]], scored: pd.DataFrame) -> None:
    print("\n### Each family alone (AUROC, 5 folds by prompt)\n")
    sets = list(alone)
    print("| family | " + " | ".join(sets) + " |")
    print("|---|" + "---:|" * len(sets))
    for family in next(iter(alone.values())):
        print(f"| {family} | " + " | ".join(f"{alone[s][family]:.3f}" for s in sets) + " |")
    if scored.empty:
        return
    labels = scored["label"].to_numpy()
    print(f"\nHC3 prompts with a reference LLM answer: {len(scored)} answers scored ({int((labels == 0).sum())} "
          f"human, {int(labels.sum())} LLM); the reference is another LLM answer to the same prompt.\n")
    print("| evidence | AUROC | recall at the default threshold | false flags on humans |")
    print("|---|---:|---:|---:|")
    print(f"| length alone | {roc_auc_score(labels, scored['length']):.3f} | | |")
    for column in ("reference similarity", "others similarity"):
        print(f"| {column} alone | {roc_auc_score(labels, scored[column]):.3f} | | |")
    for column in ("text", "text + reference", "text + others", "combined"):
        flagged = scored[column].to_numpy() >= scored["threshold"].to_numpy()
        print(f"| {column} | {roc_auc_score(labels, scored[column]):.3f} | {flagged[labels == 1].mean():.1%} | "
              f"{flagged[labels == 0].mean():.2%} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="folder of the text sets (<set>/texts.csv)")
    parser.add_argument("--replays", type=int, default=15, help="answers replayed per mode (0: no browser)")
    parser.add_argument("--typed-chars", type=int, default=160, help="characters typed per typed replay")
    parser.add_argument("--only-replays", action="store_true",
                        help="train only the model the replays use (the first HC3 fold) and replay")
    args = parser.parse_args(argv)
    root = _datasets(args.datasets)
    if not root.is_dir():
        print(f"no text sets at {root}; nothing to evaluate (set --datasets or LABELHUB_DATASETS)")
        return 0
    from tqdm import tqdm

    everything = read_text_sets(root)
    frames = {name: part.reset_index(drop=True) for name, part in everything.groupby("set")}
    if args.only_replays:
        _replay(first_fold(frames["hc3_en_subset"]), args)
        return 0
    steps = FOLDS * len(frames) + len(frames) * (len(frames) - 1) + len(frames) * len(FAMILIES)
    bar = tqdm(total=steps, desc="training and scoring", unit="fit", file=sys.stderr)
    results, alone, fold_models = {}, {}, {}
    for name, frame in frames.items():
        text, length, models = within_set(frame, lambda: bar.update(1))
        labels = frame["label"].to_numpy()
        results[name] = (f"{int((labels == 0).sum()):,} / {int(labels.sum()):,}", text, length)
        alone[name] = {"length": roc_auc_score(labels, frame["text"].str.len())}
        for family, build in FAMILIES.items():
            alone[name][family] = family_alone(frame, build)
            bar.update(1)
        alone[name]["text model (all three)"] = text["auroc"]
        fold_models[name] = models
    crossed = cross_set(frames, lambda: bar.update(1))
    bar.close()
    scored = with_references(fold_models.get("hc3_en_subset", []))
    print_within(results)
    print_families(alone, scored)
    print_cross(crossed)
    if args.replays:
        _replay(fold_models["hc3_en_subset"][0], args)
    return 0


def first_fold(frame: pd.DataFrame) -> tuple[TextModel, pd.DataFrame]:
    """The model of the first fold by prompt and its test rows, as ``within_set`` makes them."""
    train_rows, test_rows = next(GroupKFold(FOLDS).split(frame, frame["label"], frame["group"]))
    part = frame.iloc[train_rows]
    model = train(part["text"].tolist(), part["label"].to_numpy(), part["group"].tolist(), part["set"].tolist())
    return model, frame.iloc[test_rows]


def _replay(fold: tuple[TextModel, pd.DataFrame], args: argparse.Namespace) -> None:
    spec = importlib.util.spec_from_file_location("llm_replay", _HERE / "llm_replay.py")
    replay = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(replay)
    model, test = fold
    replay.replay_modes(model, test, count=args.replays, typed_chars=args.typed_chars)


if __name__ == "__main__":
    raise SystemExit(main())
