"""Tuning knobs shared by every selection algorithm, validated once so the algorithms can trust them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SelectionSettings:
    """How hard and how long the algorithms work.

    ``tolerance`` is the optimality gap the fair algorithms prove (LEXIMIN/MAXIMIN: on each probability
    level; GOLDILOCKS: on its objective); ``nash_tolerance`` is the relative gap NASH proves on the sum of
    log-probabilities. ``time_limit`` (seconds, None: none) stops column generation early with the best
    distribution found so far, flagged ``optimal: False`` in the certificate. ``initial_random_panels``
    local searches with seeded random weights give column generation a diverse start; ``seed`` fixes them so
    results are reproducible. LEGACY draws ``legacy_runs`` panels with ``legacy_seed`` and gives each run
    ``legacy_attempts`` restarts before declaring the greedy stuck.
    """

    tolerance: float = 1e-7
    nash_tolerance: float = 1e-4
    time_limit: float | None = None
    max_iterations: int = 20_000
    initial_random_panels: int = 30
    seed: int = 0
    goldilocks_gamma: float = 1.0
    legacy_runs: int = 1_000
    legacy_seed: int = 0
    legacy_attempts: int = 50

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.tolerance < 1e-3:
            problems.append(f"tolerance must be in (0, 1e-3), got {self.tolerance}")
        if not 0 < self.nash_tolerance < 0.1:
            problems.append(f"nash_tolerance must be in (0, 0.1), got {self.nash_tolerance}")
        if self.time_limit is not None and self.time_limit <= 0:
            problems.append(f"time_limit must be positive or None, got {self.time_limit}")
        for name in ("max_iterations", "legacy_runs", "legacy_attempts"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.initial_random_panels < 0:
            problems.append(f"initial_random_panels must be >= 0, got {self.initial_random_panels}")
        if self.goldilocks_gamma <= 0:
            problems.append(f"goldilocks_gamma must be positive, got {self.goldilocks_gamma}")
        if problems:
            raise ValueError("Invalid selection settings: " + "; ".join(problems))
