"""Writers that stream crowd labels into ML-pipeline formats: CSV, JSONL, Parquet (with a dataset card),
COCO, YOLO, Pascal VOC, CoNLL-2003 BIO, span JSONL and MTurk's batch results CSV.

``write(records, format, path, meta=...)`` takes an iterator of plain records (``exports.records``:
one ``ConsensusRecord`` per HIT or one ``AnswerRecord`` per assignment) and streams them to a file or a
zip in flat memory; ``formats_for`` / ``check_fits`` say which formats fit a batch's answer shape;
``assign_splits`` makes seeded, stratified train/validation/test splits.

Pure Python: no Flask, no SQLAlchemy, never imports ``labelhub``.
"""

from exports.base import ExportError, ExportFormatError
from exports.formats import FORMATS, check_fits, formats_for
from exports.records import AnswerRecord, ConsensusRecord, ExportMeta, HITFacts
from exports.splits import assign_splits
from exports.writing import ExportSummary, write

__all__ = [
    "FORMATS", "AnswerRecord", "ConsensusRecord", "ExportError", "ExportFormatError", "ExportMeta",
    "ExportSummary", "HITFacts", "assign_splits", "check_fits", "formats_for", "write",
]
