"""The benchmark regression gate, down to whole pytest runs driven by pytester."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import gate
from benchmarks.cases import SLOWDOWN_ENV_VAR, Case, slowdowns

REPO = Path(__file__).resolve().parent.parent

BENCH_FILE = """
from benchmarks.cases import Case

def test_small(race):
    race.run(Case("numpy_packed", 64))
"""


def test_mann_whitney_sees_a_shift_and_not_noise() -> None:
    reference = [1.0, 1.1, 0.9, 1.05, 0.95, 1.02, 0.98]
    slower = [x * 1.5 for x in reference]
    assert gate.mann_whitney_greater(slower, reference) < 0.01
    assert gate.mann_whitney_greater(reference, reference) > 0.3
    assert gate.mann_whitney_greater(reference, slower) > 0.99
    assert gate.mann_whitney_greater([], reference) == 1.0


def test_mann_whitney_matches_a_textbook_value() -> None:
    # U = 0 for 5 against 5 fully separated samples: exact one-sided p = 1/252;
    # the normal approximation with continuity correction gives 0.0061.
    p_value = gate.mann_whitney_greater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])
    assert p_value == pytest.approx(0.0061, abs=5e-4)


def test_process_medians_split_the_pooled_samples_by_process() -> None:
    samples = [1.0, 2.0, 3.0, 10.0, 20.0, 30.0]
    assert gate.process_medians(samples, 3) == [2.0, 20.0]


def test_baseline_spread_is_slowest_process_over_fastest() -> None:
    case = Case("numpy_mask", 998)
    samples = [1.0] * gate.ROUNDS + [1.6] * gate.ROUNDS + [1.2] * gate.ROUNDS
    assert gate.baseline_spread(case, {"samples": samples}) == pytest.approx(1.6)


def test_missing_baseline_says_how_to_record_one(tmp_path: Path) -> None:
    with pytest.raises(gate.BaselineMissing, match=r"--recolor-record-baseline"):
        gate.load_baseline(tmp_path / "none.json")


@pytest.mark.parametrize("content", ["{", '{"format": 99, "cases": {}}', "[]"])
def test_unreadable_baseline_says_how_to_restore_it(tmp_path: Path, content: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(gate.BaselineError, match=r"unreadable.*re-record it with"):
        gate.load_baseline(path)


def test_write_baseline_merges_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    gate.write_baseline(path, {"a": {"samples": [1.0]}}, {"cores": 2})
    gate.write_baseline(path, {"b": {"samples": [2.0]}}, {"cores": 2})
    assert set(gate.load_baseline(path)) == {"a", "b"}
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]


def test_slowdown_spec_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "numpy_mask=1.5, numba_serial=2")
    assert slowdowns() == {"numpy_mask": 1.5, "numba_serial": 2.0}
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "no_such_technique=2")
    with pytest.raises(ValueError, match="name=factor"):
        slowdowns()


def test_verdict_message_names_technique_figures_and_threshold() -> None:
    verdict = gate.Verdict(Case("numpy_mask", 998), True, 2.0, 3.1, 1.25, 0.001)
    message = verdict.describe()
    for part in ["numpy_mask", "998x998", "3.1x", "2x", "1.55 times", "threshold of 1.25"]:
        assert part in message


@pytest.fixture
def bench_dir(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.delenv(SLOWDOWN_ENV_VAR, raising=False)
    pytester.makepyfile(test_bench=BENCH_FILE)
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "benchmarks.plugin", "--benchmark-only", "--benchmark-max-time=0.05", *args
    )


def test_gate_end_to_end(bench_dir: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = bench_dir.path / "baseline.json"

    recorded = _run(bench_dir, "--recolor-record-baseline", f"--recolor-baseline={baseline}")
    recorded.assert_outcomes(passed=1)
    cases = json.loads(baseline.read_text())["cases"]
    assert len(cases["64x64-numpy_packed"]["samples"]) == gate.RECORD_WORKERS * gate.ROUNDS

    unchanged = _run(bench_dir, f"--recolor-baseline={baseline}")
    unchanged.assert_outcomes(passed=1)

    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "numpy_packed=3")
    slowed = _run(bench_dir, f"--recolor-baseline={baseline}")
    slowed.assert_outcomes(failed=1)
    slowed.stdout.fnmatch_lines(
        [
            "numpy_packed at 64x64-numpy_packed got slower: *x its copy yardstick against the "
            "baseline's *x, * times the baseline, above the threshold of 1.25 (confirmed *",
            "FAILED test_bench.py::test_small - *numpy_packed*",
            "*= 1 failed in *",
        ]
    )
    assert "Traceback" not in slowed.stdout.str()


def test_missing_baseline_passes_and_says_what_to_do(bench_dir: pytest.Pytester) -> None:
    result = _run(bench_dir, f"--recolor-baseline={bench_dir.path / 'none.json'}")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*no benchmark baseline at*--recolor-record-baseline*"])


def test_unreadable_baseline_fails_with_advice_not_exit_4(bench_dir: pytest.Pytester) -> None:
    broken = bench_dir.path / "broken.json"
    broken.write_text("{ not json")
    result = _run(bench_dir, f"--recolor-baseline={broken}")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*is unreadable*re-record it with*"])
