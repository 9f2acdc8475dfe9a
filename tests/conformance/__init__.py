"""Conformance suites: every registered plugin passes the same checks."""
