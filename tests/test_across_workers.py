"""Under pytest-xdist the tests that time with the real clock still run one at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: Two files, one a worker (``--dist loadfile``), each an unmarked test and then a real-timing
#: one. Each test waits for its partner in the other file to show up in a shared folder. The
#: unmarked pair must meet: the two workers run them at once, and then go on to the
#: real-timing pair at once, as they would without the lock. The real-timing pair must not
#: meet: one waits for the other's lock.
TESTS = """
import os
import time
from pathlib import Path

import pytest

SHARED = Path(os.environ["MEETING_FOLDER"])


def _sees(partner, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (SHARED / partner).exists():
            return True
        time.sleep(0.02)
    return False


def test_unmarked():
    (SHARED / "unmarked_{me}").touch()
    assert _sees("unmarked_{partner}", 120)


@pytest.mark.real_timing
def test_timed():
    (SHARED / "timed_{me}").touch()
    try:
        assert not _sees("timed_{partner}", 1.5)
    finally:
        (SHARED / "timed_{me}").unlink()
"""


def test_real_timing_tests_never_run_at_once_on_two_workers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("MEETING_FOLDER", str(pytester.mkdir("meeting")))
    pytester.makeini("[pytest]\nmarkers =\n    real_timing: timed with the real clock\n")
    pytester.makeconftest("from tests.conftest import _one_real_timing_test_at_a_time\n")
    pytester.makepyfile(
        test_one=TESTS.format(me="one", partner="two"),
        test_two=TESTS.format(me="two", partner="one"),
    )
    result = pytester.runpytest_subprocess(
        "-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider", "-v"
    )
    result.assert_outcomes(passed=4)
