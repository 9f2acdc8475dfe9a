"""Worker quality: accuracy with its uncertainty (``scores``), spammer signs (``spam``), the rules
that turn them into decisions (``policy``) and dynamic overlap (``overlap``).

Pure Python: no Flask, no SQLAlchemy, never imports ``labelhub``.
"""

from quality.overlap import OverlapPolicy, Simulation, replay_order, simulate, simulate_fixed
from quality.policy import AccuracyRule, Decision, PolicyError, QualityPolicy, SpamRule
from quality.scores import accuracy_table, beta_posterior, combine, worker_counts
from quality.spam import independence_p, longest_run, median_seconds, separation

__all__ = [
    "AccuracyRule", "Decision", "OverlapPolicy", "PolicyError", "QualityPolicy", "Simulation", "SpamRule",
    "accuracy_table", "beta_posterior", "combine", "independence_p", "longest_run", "median_seconds", "replay_order",
    "separation", "simulate", "simulate_fixed", "worker_counts",
]
