"""Task types (image, text, survey annotators): configuration, worker templates and answer validation.

Pure Python: no Flask, no SQLAlchemy, never imports ``labelhub``.
"""
