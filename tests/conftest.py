"""The tests' own fixtures, beside the root conftest.py's set-up."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["pytester"]

#: What pytest-xdist tells its worker processes. A test's own pytest run in a subprocess
#: must not inherit them: pytest-benchmark would take it for an xdist worker, and refuse
#: --benchmark-only there.
XDIST_VARIABLES = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")


@pytest.fixture(autouse=True)
def _subprocesses_are_not_xdist_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in XDIST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return None


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis's profiles: "ci" runs more examples than a developer's quick loop.

    Pick one with HYPOTHESIS_PROFILE=ci (set in .ci/run and the workflows).
    Here, not in the root conftest.py: importing hypothesis takes most of a
    second, which a pytest run of the benchmarks alone (the bench command, the
    gate's own end-to-end runs) need not pay.
    """
    from hypothesis import HealthCheck, settings

    settings.register_profile("dev", max_examples=60, deadline=None)
    settings.register_profile(
        "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (-n), the tests that time with the real clock share one worker,
    so that no two of them ever run at once (``--dist loadgroup``)."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if item.get_closest_marker("real_timing") is not None:
            item.add_marker(pytest.mark.xdist_group("real_timing"))
