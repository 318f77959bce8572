"""The instrument's configuration: pytest's options, read once, into one frozen record.

Nothing else reads ``config.option``: the plugin builds a :class:`Config`
in ``pytest_configure``, checks it, and hands it to the chosen instrument.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Config"]


@dataclass(frozen=True)
class Config:
    """What the user asked of the instrument, with the suite's defaults filled in."""

    #: Times (--benchmark-only, or pytest-benchmark enabled); else a smoke run.
    timing: bool
    benchmark_only: bool
    #: The callgrind instrument (--recolor-cost) rather than the wall clock.
    cost: bool
    #: Another tree (--recolor-compare REF) or another interpreter (--recolor-compare-env).
    compare: str | None
    compare_env: str | None
    #: Write a baseline (--recolor-record-baseline / --recolor-record-cost-baseline).
    record: bool
    record_cost: bool
    baseline: Path
    cost_baseline: Path
    across_machines: str | None
    threads: int | None
    round_seconds: float | None
    cost_threshold: float
    cost_where: bool
    cost_json: Path | None

    @classmethod
    def from_options(cls, option: Any, baseline: Path, cost_baseline: Path) -> Config:
        """The configuration pytest's parsed ``option`` gives, and the suite's baselines."""
        return cls(
            timing=not option.benchmark_disable,
            benchmark_only=bool(option.benchmark_only),
            cost=bool(option.recolor_cost),
            compare=option.recolor_compare,
            compare_env=option.recolor_compare_env,
            record=bool(option.recolor_record_baseline),
            record_cost=bool(option.recolor_record_cost_baseline),
            baseline=option.recolor_baseline or baseline,
            cost_baseline=option.recolor_cost_baseline or cost_baseline,
            across_machines=option.recolor_across_machines,
            threads=option.recolor_threads,
            round_seconds=option.recolor_round_seconds,
            cost_threshold=option.recolor_cost_threshold,
            cost_where=bool(option.recolor_cost_where),
            cost_json=option.recolor_cost_json,
        )
