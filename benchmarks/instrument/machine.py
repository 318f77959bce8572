"""What a figure depends on besides the code: the machine and the versions it ran with.

Only what the machine and the configuration say, never state that the
running process may have changed: the thread cap is recorded as configured
(the suite's ``threads_env_var``, or every core), so two runs on one
machine record the same facts.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.instrument.adapter import Suite

__all__ = [
    "available_cores",
    "cpu_id",
    "cpu_model",
    "host_facts",
    "machine_facts",
    "machine_name",
    "simd_level",
    "this_machine_name",
]

#: The widest SIMD of a CPU by the flag Linux lists for it, widest first.
_SIMD_FLAGS = (("avx512f", "AVX512"), ("avx2", "AVX2"), ("avx", "AVX"), ("sse4_2", "SSE4.2"))


def available_cores() -> int:
    """The cores this process may run on (its affinity), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def machine_facts(suite: Suite) -> dict[str, Any]:
    """The versions the suite's code runs with, and the machine's facts."""
    return {**suite.versions(), **_system_facts(suite)}


def this_machine_name(suite: Suite) -> str:
    """:func:`machine_name` of this machine, without importing the libraries the suite
    measures (a run that collects or refuses its options needs the name alone)."""
    return machine_name(_system_facts(suite))


def _system_facts(suite: Suite) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpu_model": cpu_model(),
        "cpu_id": cpu_id(),
        "simd": simd_level(),
        "cores": os.cpu_count(),
        "cores_available": available_cores(),
        "threads_cap": os.environ.get(suite.about.threads_env_var),
        "platform": f"{platform.system()} {platform.machine()}",
    }


def host_facts() -> dict[str, Any]:
    """The host a figure was measured on, as every stored figure names it.

    Two hosts of one machine name (the same CPU model name, cores and SIMD
    level) may still be different CPUs: a hypervisor shows Intel's models 167
    and 207 both as "Intel(R) Xeon(R) Processor". ``cpu_id`` tells them apart.
    """
    return {"cpu_model": cpu_model(), "cpu_id": cpu_id(), "simd": simd_level()}


def machine_name(facts: Mapping[str, Any]) -> str:
    """What a wall-clock figure belongs to: CPU model, cores, system and SIMD level.

    The model name alone is not enough under a hypervisor: two "AMD EPYC"
    machines here differed by AVX-512, which changes numpy's and OpenCV's kernels.
    """
    return (
        f"{facts['cpu_model']}, {facts['cores']} cores, {facts['platform']}, "
        f"{facts.get('simd') or _legacy_simd(facts)}"
    )


def _legacy_simd(facts: Mapping[str, Any]) -> str:
    """The SIMD level of facts written before it was read from the CPU's flags.

    Those carried OpenCV's CPU feature line instead ("*AVX512-SKX?": built
    for it, absent here; a word without "?" is there).
    """
    line = str(facts.get("opencv_cpu_features", ""))
    available = {word.strip("*") for word in line.split() if not word.endswith("?")}
    for level in ("AVX512-SKX", "AVX2", "AVX", "SSE4.2", "NEON"):
        if level in available:
            return level.replace("-SKX", "")
    return "baseline SIMD"


def _cpuinfo() -> str:
    with contextlib.suppress(OSError):
        return Path("/proc/cpuinfo").read_text()
    return ""


def cpu_model() -> str:
    for line in _cpuinfo().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_id() -> str:
    """The CPU's family, model and stepping, as Linux lists them.

    For example "family 6 model 207 stepping 2".
    """
    fields: dict[str, str] = {}
    for line in _cpuinfo().splitlines():
        name, _, value = line.partition(":")
        name = name.strip()
        if name in ("cpu family", "model", "stepping") and name not in fields:
            fields[name] = value.strip()
        if not line.strip() and fields:  # the first processor's block is enough
            break
    if not fields:
        return platform.processor() or platform.machine()
    return " ".join(f"{name.removeprefix('cpu ')} {value}" for name, value in fields.items())


def simd_level() -> str:
    """The widest SIMD this CPU runs: AVX512, AVX2, AVX, SSE4.2, NEON or "baseline SIMD"."""
    for line in _cpuinfo().splitlines():
        if line.startswith(("flags", "Features")):
            flags = set(line.split(":", 1)[1].split())
            for flag, level in _SIMD_FLAGS:
                if flag in flags:
                    return level
            if "asimd" in flags:
                return "NEON"
    if platform.machine().lower() in ("arm64", "aarch64"):
        return "NEON"  # every 64-bit Arm CPU has it
    return "baseline SIMD"


def versions_text(versions: Mapping[str, str | None]) -> str:
    """``versions numpy=2.4.6 opencv=5.1.0 ...``: what a stored point's text names of the
    versions it depends on, for the history to say when they changed with a figure."""
    return "versions " + " ".join(
        f"{name}={version}" for name, version in sorted(versions.items()) if version
    )
