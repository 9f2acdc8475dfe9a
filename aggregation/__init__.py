"""Consensus from redundant crowd answers on plain DataFrames: ``aggregate`` for categorical answers
(LabelHub's fast Dawid-Skene and crowd-kit's estimators by name, or ``auto``), and estimators with
crowd-kit's conventions for the other answer shapes (multi-label, boxes, spans, ordinal, text, pairwise).

Pure Python: no Flask, no SQLAlchemy, never imports ``labelhub``.
"""

from aggregation.api import AggregationResult, aggregate
from aggregation.boxes import BoxAggregator
from aggregation.dawid_skene import FastDawidSkene
from aggregation.frames import read_gold_csv, read_labels_csv
from aggregation.methods import ANSWER_SHAPES, METHODS
from aggregation.multilabel import BinaryRelevance
from aggregation.ordinal import OrdinalAggregator, krippendorff_alpha
from aggregation.pairwise import BradleyTerry
from aggregation.spans import SpanAggregator
from aggregation.texts import TextAggregator

__all__ = [
    "ANSWER_SHAPES", "METHODS", "AggregationResult", "BinaryRelevance", "BoxAggregator", "BradleyTerry",
    "FastDawidSkene", "OrdinalAggregator", "SpanAggregator", "TextAggregator", "aggregate",
    "krippendorff_alpha", "read_gold_csv", "read_labels_csv",
]
