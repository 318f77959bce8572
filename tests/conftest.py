"""The tests' own fixtures, beside the root conftest.py's set-up."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.across_workers import one_at_a_time

pytest_plugins = ["pytester"]

#: What pytest-xdist tells its worker processes. A test's own pytest run in a subprocess
#: must not inherit them: pytest-benchmark would take it for an xdist worker, and refuse
#: --benchmark-only there.
XDIST_VARIABLES = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")


#: What a test's own pytest run in a subprocess (the suite under the instrument, a
#: documented command) leaves out: hypothesis's plugin, which imports all of hypothesis at
#: the end of every run (0.15 to 0.23 s a run here) for tests those runs do not have.
SUBPROCESS_PYTEST_OPTIONS = "-p no:hypothesispytest"


@pytest.fixture(autouse=True)
def _subprocess_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in XDIST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    addopts = os.environ.get("PYTEST_ADDOPTS", "")
    monkeypatch.setenv("PYTEST_ADDOPTS", f"{addopts} {SUBPROCESS_PYTEST_OPTIONS}".strip())
    return None


@pytest.fixture(autouse=True)
def _one_real_timing_test_at_a_time(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """The tests that time with the real clock run one at a time, across pytest-xdist's
    workers: another such test beside one would be the noise it must not be judged by."""
    if request.node.get_closest_marker("real_timing") is None:
        yield
        return
    with one_at_a_time("real_timing", request.config, tmp_path_factory):
        yield


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's own, which clears PYTEST_ADDOPTS, with SUBPROCESS_PYTEST_OPTIONS set again."""
    monkeypatch.setenv("PYTEST_ADDOPTS", SUBPROCESS_PYTEST_OPTIONS)
    return pytester


#: The Otava the history job installs (the changes extra).
OTAVA = "apache-otava==0.8.0"


@pytest.fixture(scope="session")
def otava_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where Apache Otava can be imported from ("" where it is installed), on sys.path here.

    Its package pins numpy 2.2.0, so the changes extra lives in an environment of its own;
    here it is put beside this environment's packages without its dependencies (the
    detector needs numpy and scipy alone).
    """
    if importlib.util.find_spec("otava") is not None:
        return ""
    target = tmp_path_factory.mktemp("otava")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            OTAVA,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode != 0:
        pytest.skip(f"needs {OTAVA}, which pip could not install: {installed.stderr[-300:]}")
    sys.path.insert(0, str(target))
    return str(target)


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis's profiles: "ci" runs more examples than a developer's quick loop.

    Pick one with HYPOTHESIS_PROFILE=ci (set in .ci/run and the workflows).
    Here, not in the root conftest.py: importing hypothesis takes most of a
    second, which a pytest run of the benchmarks alone (the bench command, the
    gate's own end-to-end runs) need not pay.
    """
    from hypothesis import HealthCheck, settings

    settings.register_profile("dev", max_examples=30, deadline=None)
    settings.register_profile(
        "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


#: A test still running after this long is stopped, every thread's stack printed, and
#: the run goes on (pytest-timeout's "thread" method ends even a test stuck in C code; under
#: pytest-xdist a new worker takes over). A hang is then a failure that names the test and
#: where it stood, not a CI run that never ends. The slowest test takes under a minute alone.
HANG_SECONDS = 600

#: The benchmarks time themselves with their own limits; this guard is for the tests.
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test but the benchmarks is ended if it hangs (pytest-timeout, from the test
    extra)."""
    timeout = config.pluginmanager.hasplugin("timeout")
    for item in items:
        if (
            timeout
            and item.get_closest_marker("timeout") is None
            and BENCHMARKS not in item.path.parents
        ):
            item.add_marker(pytest.mark.timeout(HANG_SECONDS, method="thread"))
