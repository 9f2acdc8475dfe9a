"""Writers that stream crowd labels into ML-pipeline formats: CSV, JSONL, Parquet (with a dataset card),
COCO, YOLO, Pascal VOC, CoNLL-2003 BIO, span JSONL and MTurk's batch results CSV.

``write(records, format, path, meta=...)`` takes an iterator of plain records (``exports.records``:
one ``ConsensusRecord`` per HIT or one ``AnswerRecord`` per assignment) and streams them to a file or a
zip in flat memory; ``write_tables`` takes Arrow tables of a ``TableLayout`` instead (CSV, JSONL and
Parquet are written from tables: a caller reading columns from a database never makes a record per row);
``formats_for`` / ``check_fits`` say which formats fit a batch's answer shape;
``assign_splits`` makes seeded, stratified train/validation/test splits.

Pure Python: no Flask, no SQLAlchemy, never imports ``labelhub``.
"""

from exports.base import ExportError, ExportFormatError
from exports.formats import FORMATS, check_fits, formats_for
from exports.records import AnswerRecord, ConsensusRecord, ExportMeta, HITFacts
from exports.splits import assign_splits
from exports.tables import TableLayout
from exports.writing import ExportSummary, write, write_tables

__all__ = [
    "FORMATS", "AnswerRecord", "ConsensusRecord", "ExportError", "ExportFormatError", "ExportMeta",
    "ExportSummary", "HITFacts", "TableLayout", "assign_splits", "check_fits", "formats_for", "write",
    "write_tables",
]
