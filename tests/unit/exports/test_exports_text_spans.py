"""CoNLL-2003 BIO read back with a CoNLL reader and seqeval; span JSONL read back with pandas; the
documented tokenisation and what BIO cannot say (overlaps, spans inside a word)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from seqeval.metrics import f1_score
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2

import exports
from annotators import AnswerShape
from exports import ConsensusRecord, ExportMeta
from exports.text_spans import bio_tags

META = ExportMeta(batch_id="b", batch_name="people", annotator="text_spans", shape=AnswerShape.SPANS,
                  labels=("person", "place", "date", "named thing"), input_columns=("text",), text_column="text")


def read_conll(path) -> list[list[list[tuple[str, str]]]]:
    """Documents -> sentences -> (token, NER tag), as CoNLL-2003 readers split the file: -DOCSTART-
    opens a document, a blank line ends a sentence, the tag is the last of the four columns."""
    documents: list[list[list[tuple[str, str]]]] = []
    sentence: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        columns = line.split(" ")
        if line.startswith("-DOCSTART-"):
            assert columns == ["-DOCSTART-", "-X-", "-X-", "O"]
            documents.append([])
        elif not line.strip():
            if sentence:
                documents[-1].append(sentence)
            sentence = []
        else:
            assert len(columns) == 4 and columns[1:3] == ["-X-", "-X-"]
            sentence.append((columns[0], columns[3]))
    assert not sentence
    return documents


def spans_record(hit_id: str, text: str, spans: list[list]) -> ConsensusRecord:
    return ConsensusRecord(hit_id=hit_id, item={"text": text}, value=spans, confidence=1.0, answers=3,
                           agreement=1.0, method="spans")


def test_seqeval_finds_every_span_in_the_conll_file(batch, tmp_path):
    sample = batch("spans", hits=8)
    summary = exports.write(sample.consensus, "conll", tmp_path / "ner.conll", meta=sample.meta)

    documents = read_conll(summary.path)
    assert len(documents) == len(sample.consensus)
    for document, record in zip(documents, sample.consensus, strict=True):
        tags = [tag for sentence in document for _, tag in sentence]
        words = [token for sentence in document for token, _ in sentence]
        assert f1_score([tags], [tags], mode="strict", scheme=IOB2) == (1.0 if record.value else 0.0)
        found = [(label, " ".join(words[start:end + 1])) for label, start, end in get_entities(tags)]
        text = record.item["text"]
        assert found == [(label, text[start:end]) for start, end, label in record.value]


def test_each_line_of_a_text_is_a_sentence(tmp_path):
    record = spans_record("H1", "Grace Hopper worked at Harvard.\n\nShe found a moth.", [[0, 12, "person"]])
    exports.write([record], "conll", tmp_path / "a.conll", meta=META)
    (document,) = read_conll(tmp_path / "a.conll")
    assert document == [
        [("Grace", "B-person"), ("Hopper", "I-person"), ("worked", "O"), ("at", "O"), ("Harvard", "O"), (".", "O")],
        [("She", "O"), ("found", "O"), ("a", "O"), ("moth", "O"), (".", "O")],
    ]


def test_tokens_are_words_or_single_other_characters():
    (sentence,) = bio_tags("Lovelace's notes, 1843.", [[0, 8, "person"]])
    assert sentence == [("Lovelace", "B-person"), ("'", "O"), ("s", "O"), ("notes", "O"), (",", "O"),
                        ("1843", "O"), (".", "O")]


def test_overlapping_spans_keep_the_first_and_labels_lose_their_spaces():
    (sentence,) = bio_tags("New York City Hall", [[4, 13, "place"], [0, 8, "named thing"], [14, 18, "place"]])
    assert sentence == [("New", "B-named_thing"), ("York", "I-named_thing"), ("City", "O"), ("Hall", "B-place")]


def test_a_span_inside_a_word_tags_the_whole_word():
    (sentence,) = bio_tags("unbelievable Paris", [[2, 6, "date"], [13, 18, "place"]])
    assert sentence == [("unbelievable", "B-date"), ("Paris", "B-place")]


def test_spans_jsonl_keeps_character_offsets(batch, tmp_path):
    sample = batch("spans")
    records = [replace(r, split="train" if n % 2 else "test") for n, r in enumerate(sample.consensus)]
    exports.write(records, "spans-jsonl", tmp_path / "spans.jsonl", meta=sample.meta)
    frame = pd.read_json(tmp_path / "spans.jsonl", lines=True, dtype=False)
    assert list(frame.columns) == ["hit_id", "text", "spans", "split"]
    for row, record in zip(frame.to_dict("records"), records, strict=True):
        text = record.item["text"]
        assert row["text"] == text
        assert row["split"] == record.split
        assert [[s["start"], s["end"], s["label"]] for s in row["spans"]] == record.value
        assert [s["text"] for s in row["spans"]] == [text[start:end] for start, end, _ in record.value]


def test_a_hit_without_its_text_is_refused(tmp_path):
    record = replace(spans_record("H9", "x", [[0, 1, "person"]]), item={"other": "y"})
    with pytest.raises(exports.ExportError, match="HIT H9 has no text in its 'text' column"):
        exports.write([record], "spans-jsonl", tmp_path / "s.jsonl", meta=META)
    assert list(tmp_path.iterdir()) == []
