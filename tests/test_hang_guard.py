"""Every test carries a hang guard (tests/conftest.py): a hang fails a test, never a CI run."""

from __future__ import annotations

import pytest

from tests.conftest import BENCHMARKS, HANG_SECONDS


def test_this_test_is_ended_if_it_hangs(request: pytest.FixtureRequest) -> None:
    assert request.config.pluginmanager.hasplugin("timeout"), "pytest-timeout: the test extra"
    guard = request.node.get_closest_marker("timeout")
    assert guard is not None
    assert (guard.args, guard.kwargs) == ((HANG_SECONDS,), {"method": "thread"})


def test_the_benchmarks_the_guard_leaves_alone_are_the_suites_folder() -> None:
    assert (BENCHMARKS / "conftest.py").is_file() or any(BENCHMARKS.glob("bench_*.py"))
