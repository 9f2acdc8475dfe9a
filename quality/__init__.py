"""Worker quality: accuracy from gold answers and confusion matrices, and the LLM-answer flag.

Pure Python: no Flask, no SQLAlchemy, never imports ``labelhub``.
"""
