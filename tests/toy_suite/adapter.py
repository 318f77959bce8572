"""The toy suite: sorting a list, raced against copying it. Nothing of recolor."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.instrument.adapter import About, CaseFacts
from tests.toy_suite import calls

_HERE = Path(__file__).resolve().parent

about = About(
    package="toy",
    worker_module="tests.toy_suite.calls",
    protocol_files=(_HERE / "calls.py",),
    protocol_settings={},
    baseline_path=_HERE / "baseline.json",
    cost_baseline_path=_HERE / "cost_baseline.json",
    lock_path=_HERE / "constraints.txt",
    threads_env_var=calls.THREADS_ENV_VAR,
    slowdown_env_var=calls.SLOWDOWN_ENV_VAR,
    reference_name="copy",
)


@dataclass(frozen=True)
class Case:
    subject: str
    size: int

    @property
    def key(self) -> str:
        return f"{self.size}-{self.subject}"

    @property
    def group(self) -> str:
        return f"{self.size} numbers"


SIZES = (1000, 4000)


def configure() -> None:
    pass


def cases() -> list[Case]:
    return [Case(subject, size) for size in SIZES for subject in calls.SUBJECTS]


def cost_cases() -> list[Case]:
    return [Case("sorted", 1000)]


def case_for(key: str) -> Case:
    size, _, subject = key.partition("-")
    if subject not in calls.SUBJECTS or not size.isdigit():
        raise ValueError(f"a toy case key is SIZE-SUBJECT, such as 1000-sorted, got {key!r}")
    return Case(subject, int(size))


def facts(case: Case) -> CaseFacts:
    reference = case.subject == "copy"
    return CaseFacts(
        subject=case.subject,
        label=case.subject,
        yardstick="copy",
        reference=reference,
        on_reference=True,
        slow=False,
        measured_as=case,
        spec=asdict(case),
        threads=1,
        floor=None,
        depends_on=(),
        slowdown=calls.slowdowns().get(case.subject),
    )


def payload(case: Case) -> bytes:
    return " ".join(map(str, calls.numbers(case.size))).encode()


def call(case: Case) -> Callable[[], Any]:
    return calls.call_for(asdict(case), calls.numbers(case.size))


def check(case: Case, result: Any) -> None:
    expected = calls.SUBJECTS[case.subject](calls.numbers(case.size))
    assert list(result) == list(expected), f"{case.key} gave a wrong list"


def unavailable(case: Case) -> str | None:
    return None


def threads(case: Case) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def versions() -> dict[str, str | None]:
    return calls.versions()


def extras(case: Case, median_seconds: float) -> dict[str, Any]:
    return {"numbers_per_second": case.size / median_seconds}


def not_comparable(case: Case, root: Path, ref: str) -> str | None:
    if not (root / "tests" / "toy_suite" / "calls.py").exists():
        raise RuntimeError(f"no toy suite in {root}")
    return None


if TYPE_CHECKING:  # mypy checks that this module is a suite the instrument takes
    import tests.toy_suite.adapter as _this
    from benchmarks.instrument.adapter import Suite

    _checked: Suite = _this
