"""What the text alone says: LLM artefacts, style measures and the character n-gram model.

None of the features is the answer's length: length separates these data sets well (answers of
chat models are long) but says nothing about a short LLM answer or a long human one, so every
measure here is a rate or an average.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Phrases chat models write and crowd workers rarely do; each names itself in a reason.
BOILERPLATE = {
    "as an ai": re.compile(r"\bas an ai\b|\bai language model\b|\bi am an ai\b|\bi'm an ai\b", re.I),
    "i'm sorry, but": re.compile(r"\b(i'm|i am) sorry,? but\b", re.I),
    "it is important to note": re.compile(r"\bit(?:'s| is) (?:important|worth) (?:to note|noting)\b", re.I),
    "i hope this helps": re.compile(r"\bi hope this (?:helps|information)\b", re.I),
    "certainly!": re.compile(r"^\s*(?:certainly|sure|absolutely|of course)[!,.]", re.I | re.M),
    "in summary": re.compile(r"\b(?:in summary|in conclusion|overall),", re.I),
    "additionally/furthermore": re.compile(r"\b(?:additionally|furthermore|moreover),", re.I),
    "delve": re.compile(r"\bdelv(?:e|es|ing)\b|\btapestry\b|\bmultifaceted\b", re.I),
    "consult a professional": re.compile(r"\b(?:consult|speak) (?:with )?(?:a|your) (?:healthcare|medical|"
                                         r"qualified|legal|financial)? ?(?:professional|provider|doctor)\b", re.I),
    "there is no (scientific) evidence": re.compile(r"\bthere is no (?:scientific )?evidence\b", re.I),
}
# Formatting that a plain-text field does not render: it arrives with a paste from a chat window.
FORMATTING = {
    "Markdown bold or headings": re.compile(r"\*\*[^*\n]+\*\*|^#{1,4} \S", re.M),
    "a bulleted or numbered list": re.compile(r"(?:^\s*(?:[-*\u2022]|\d+[.)]) \S.*\n?){2,}", re.M),
    "typographic dashes": re.compile(r"\u2014"),
}

FUNCTION_WORDS = ("the", "a", "of", "and", "to", "is", "it", "that", "this", "can", "may", "also", "which",
                  "however", "generally", "typically", "important", "such", "these", "be", "are")
_WORD = re.compile(r"[A-Za-z']+")
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")


def artefacts(text: str) -> list[str]:
    """The LLM phrases and plain-text-field formatting artefacts found in ``text``, by name."""
    found = [name for name, pattern in BOILERPLATE.items() if pattern.search(text)]
    return found + [name for name, pattern in FORMATTING.items() if pattern.search(text)]


STYLE_NAMES = (
    "mean word length", "word length spread", "mean sentence length", "sentence length spread",
    "distinct words (first 60)", "commas per word", "full stops per word", "colons and semicolons",
    "exclamations and questions", "brackets", "quotes", "apostrophes", "capitals per letter",
    "digits per character", "sentences starting in lower case", "spaces before punctuation",
    "double spaces", "line breaks per word", "first person per word", "second person per word",
    "artefacts", *(f"'{w}' per word" for w in FUNCTION_WORDS),
)


def _rate(count: float, total: float) -> float:
    return count / total if total else 0.0


def style(text: str) -> np.ndarray:
    """The style measures of ``STYLE_NAMES`` for one text (rates and averages only)."""
    words = _WORD.findall(text)
    lower = [w.lower() for w in words]
    n_words, n_chars = len(words), max(len(text), 1)
    lengths = np.array([len(w) for w in words] or [0])
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
    per_sentence = np.array([len(_WORD.findall(s)) for s in sentences] or [0])
    letters = sum(c.isalpha() for c in text)
    counts = {w: 0 for w in FUNCTION_WORDS}
    for w in lower:
        if w in counts:
            counts[w] += 1
    values = [
        lengths.mean(), lengths.std(), per_sentence.mean(), per_sentence.std(),
        _rate(len(set(lower[:60])), min(n_words, 60)), _rate(text.count(","), n_words),
        _rate(text.count("."), n_words), _rate(text.count(":") + text.count(";"), n_words),
        _rate(text.count("!") + text.count("?"), n_words), _rate(text.count("(") + text.count("["), n_words),
        _rate(sum(text.count(q) for q in "\"\u201c\u201d"), n_words), _rate(text.count("'"), n_words),
        _rate(sum(c.isupper() for c in text), letters), _rate(sum(c.isdigit() for c in text), n_chars),
        _rate(sum(1 for s in sentences if s[0].islower()), len(sentences)),
        _rate(len(re.findall(r" [,.!?;:]", text)), n_words), _rate(text.count("  "), n_words),
        _rate(text.count("\n"), n_words), _rate(sum(w in ("i", "me", "my", "i'm") for w in lower), n_words),
        _rate(sum(w in ("you", "your", "you're") for w in lower), n_words), float(len(artefacts(text))),
        *(_rate(counts[w], n_words) for w in FUNCTION_WORDS),
    ]
    return np.asarray(values, dtype=float)


def style_matrix(texts: Sequence[str]) -> np.ndarray:
    return np.vstack([style(t) for t in texts]) if len(texts) else np.zeros((0, len(STYLE_NAMES)))


@dataclass(frozen=True)
class StyleDrift:
    """How far an answer's style lies from the worker's earlier answers: the mean absolute z-score
    over the style measures (z against the earlier answers' spread, floored)."""

    distance: float
    earlier: int


def style_drift(text: str, earlier: Sequence[str]) -> StyleDrift | None:
    """None with fewer than 3 earlier answers (nothing to compare with)."""
    if len(earlier) < 3:
        return None
    past = style_matrix(earlier)
    spread = np.maximum(past.std(axis=0), 0.05 * np.abs(past.mean(axis=0)) + 1e-3)
    z = np.abs(style(text) - past.mean(axis=0)) / spread
    return StyleDrift(float(np.mean(np.minimum(z, 10.0))), len(earlier))


def _trigrams(text: str) -> Counter:
    folded = " ".join(text.casefold().split())
    return Counter(folded[i:i + 3] for i in range(len(folded) - 2))


def similarity(a: str, b: str) -> float:
    """Cosine similarity of the two texts' character-trigram counts (case and spacing folded)."""
    left, right = _trigrams(a), _trigrams(b)
    if not left or not right:
        return 0.0
    dot = sum(count * right.get(gram, 0) for gram, count in left.items())
    return dot / math.sqrt(sum(c * c for c in left.values()) * sum(c * c for c in right.values()))
