"""Consensus from redundant crowd answers (Dawid-Skene and crowd-kit's estimators) on plain DataFrames.

Pure Python: no Flask, no SQLAlchemy, never imports ``labelhub``.
"""
