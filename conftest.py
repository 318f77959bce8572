"""Shared pytest set-up for tests/ and benchmarks/."""

from __future__ import annotations

import importlib.util

import pytest

import recolor

#: Modules that import an optional package at their top, by that package.
#: ``--doctest-modules`` imports every module it collects, so each is left
#: out where its package is missing; the techniques and benchmarks that need
#: it say so as skips. tests/test_optional_extras.py keeps this table whole.
MODULES_NEEDING = {
    "numba": ["recolor/techniques/_numba_kernels.py"],
    "distributed": ["tests/dask_faults.py"],
}

collect_ignore = [
    path
    for package, paths in MODULES_NEEDING.items()
    if importlib.util.find_spec(package) is None
    for path in paths
]


def pytest_report_header(config: pytest.Config) -> list[str]:
    available = [t.name for t in recolor.TECHNIQUES.values() if t.available]
    missing = [
        f"{t.name} (needs {t.requires})" for t in recolor.TECHNIQUES.values() if not t.available
    ]
    lines = [f"recolor {recolor.__version__}: techniques available: {', '.join(available)}"]
    if missing:
        lines.append(f"recolor: techniques SKIPPED for a missing extra: {', '.join(missing)}")
    return lines
