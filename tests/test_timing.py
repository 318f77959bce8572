"""recolor.bench.timing: which calls are made and counted, never how fast they are."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from recolor.bench import timing


class FakeClock:
    """A perf_counter that moves only when a timed function says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(timing.time, "perf_counter", fake)
    return fake


def recording(calls: list[str], name: str) -> Callable[[], None]:
    return lambda: calls.append(name)


def test_calibration_makes_a_round_last_min_round_time(clock: FakeClock) -> None:
    def one_millisecond() -> None:
        clock.advance(0.001)

    iterations = timing.calibrate_iterations(one_millisecond, min_round_time=0.02)
    assert iterations >= 20


def test_functions_take_turns_round_by_round() -> None:
    calls: list[str] = []
    funcs = {"a": recording(calls, "a"), "b": recording(calls, "b")}

    timings = timing.time_interleaved(funcs, rounds=3, min_round_time=0)

    # One warm-up and one calibration call each, then the rounds in turn.
    assert calls == ["a", "a", "b", "b"] + ["a", "b"] * 3
    assert [len(timings[name].samples) for name in funcs] == [3, 3]


@pytest.mark.parametrize(("iterations", "calls_per_round"), [(4, 5), (1, 1)])
def test_settle_makes_one_untimed_call_per_round_of_several(
    monkeypatch: pytest.MonkeyPatch, iterations: int, calls_per_round: int
) -> None:
    monkeypatch.setattr(timing, "calibrate_iterations", lambda func, min_round_time: iterations)
    calls: list[str] = []

    timings = timing.time_interleaved(
        {"a": recording(calls, "a")}, rounds=3, warmup=False, settle=True
    )

    assert len(calls) == 3 * calls_per_round
    assert timings["a"].iterations == iterations
    assert len(timings["a"].samples) == 3


def test_a_sample_is_the_mean_time_of_the_timed_calls_only(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    monkeypatch.setattr(timing, "calibrate_iterations", lambda func, min_round_time: 4)
    durations = iter([9.0, 1.0, 1.0, 1.0, 1.0])  # the untimed settling call is the slow one

    def call() -> None:
        clock.advance(next(durations))

    timings = timing.time_interleaved({"a": call}, rounds=1, warmup=False, settle=True)

    assert timings["a"].samples == [1.0]


def test_zero_rounds_is_refused() -> None:
    with pytest.raises(ValueError, match="rounds must be at least 1, got 0"):
        timing.time_interleaved({"a": lambda: None}, rounds=0)
