"""Tests of the rq job entry points, the worker and its periodic sweeps, on real Redis."""
