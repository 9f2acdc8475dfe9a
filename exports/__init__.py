"""Writers that stream consensus labels into ML-pipeline formats (JSONL, CSV, COCO, CoNLL).

Pure Python: no Flask, no SQLAlchemy, never imports ``labelhub``.
"""
