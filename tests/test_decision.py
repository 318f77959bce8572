"""The gate's decisions from numbers alone: no process is started here."""

from __future__ import annotations

import pytest

from benchmarks import adapter
from benchmarks.cases import Case
from benchmarks.instrument.wallclock import decision, storage
from benchmarks.instrument.wallclock.measure import Measurement

CASE = Case("numpy_packed", 256)
FACTS = adapter.facts(CASE)


def _measurement(ratio: float, yardstick: float = 1e-4, probe: float | None = 1e-4) -> Measurement:
    return Measurement((ratio,) * 7, yardstick, probe, copy_bytes=2_000_000)


def _baseline(*process_ratios: float, yardstick_seconds: float = 1e-4) -> storage.CaseBaseline:
    return storage.CaseBaseline(
        "numpy_packed",
        "copy",
        CASE.key,
        tuple((ratio,) * 7 for ratio in process_ratios),
        yardstick_seconds=(yardstick_seconds,) * len(process_ratios),
    )


BASELINE = _baseline(2.0, 2.05, 2.1, 1.98, 2.02)


@pytest.mark.parametrize(("ratio", "suspect"), [(2.0, False), (2.45, False), (2.5, True)])
def test_the_screen_suspects_only_above_its_factor_over_the_luckiest_process(
    ratio: float, suspect: bool
) -> None:
    verdict = decision.screen(CASE, FACTS, BASELINE, _measurement(ratio))
    assert verdict.baseline == 1.98  # the luckiest baseline process
    assert verdict.regressed is suspect
    assert verdict.threshold == decision.SCREEN_FACTOR


def test_a_confirmation_fails_a_significant_change_above_its_factor() -> None:
    slower = [_measurement(ratio) for ratio in (2.7, 2.8, 2.75, 2.9)]
    verdict = decision.confirm(CASE, FACTS, BASELINE, slower)
    assert verdict.regressed
    assert verdict.p_value is not None
    assert verdict.p_value < decision.ALPHA
    assert verdict.processes == 4
    assert "got slower" in verdict.describe()


def test_a_confirmation_passes_a_change_below_its_factor_however_significant() -> None:
    a_little = [_measurement(ratio) for ratio in (2.3, 2.31, 2.32, 2.33)]
    assert not decision.confirm(CASE, FACTS, BASELINE, a_little).regressed


def test_a_comparison_fails_a_significant_change_above_its_factor() -> None:
    here = [_measurement(ratio) for ratio in (2.4, 2.45, 2.5, 2.42, 2.47)]
    there = [_measurement(ratio) for ratio in (2.0, 2.02, 2.01, 1.99, 2.03)]
    verdict = decision.compare(CASE, FACTS, here, there, against="main")
    assert verdict.regressed
    assert verdict.against == "main"
    assert verdict.processes == 5
    assert not decision.compare(CASE, FACTS, there, here, against="main").regressed


def test_a_comparison_whose_yardsticks_spread_is_not_judged() -> None:
    here = [_measurement(3.0) for _ in range(5)]
    there = [_measurement(2.0, yardstick=3e-4, probe=1e-4) for _ in range(5)]
    verdict = decision.compare(CASE, FACTS, here, there, against="main")
    assert not verdict.regressed
    assert verdict.not_judged is not None


def test_a_noisy_baseline_is_not_judged_before_anything_is_measured() -> None:
    judgement = decision.check_baseline(CASE, FACTS, _baseline(1.0, 1.0, 1.7))
    assert judgement is not None
    assert judgement.noisy_baseline == pytest.approx(1.7)
    assert not judgement.regressed
    assert decision.check_baseline(CASE, FACTS, BASELINE) is None


def test_a_baseline_whose_yardstick_spread_is_not_judged() -> None:
    spread = storage.CaseBaseline(
        "numpy_packed", "copy", CASE.key, ((2.0,) * 7,) * 2, yardstick_seconds=(1e-4, 2e-4)
    )
    judgement = decision.check_baseline(CASE, FACTS, spread)
    assert judgement is not None
    assert judgement.not_judged is not None
    assert judgement.not_judged.startswith("in the baseline, its yardstick's time spread")
