"""The machine a tool's figures were measured on, as the figures' tables name it."""

from __future__ import annotations

import os
import platform

__all__ = ["describe_machine"]

_SIMD = (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("sse4_2", "SSE4.2"))


def describe_machine() -> str:
    """The CPU model, its widest SIMD level and the cores, as /proc/cpuinfo names them (Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            lines = cpuinfo.read().splitlines()
    except OSError:
        return f"{platform.machine()}, {os.cpu_count()} cores"
    model = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), "")
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    simd = next((level for flag, level in _SIMD if flag in flags), "")
    return f"{model}, {simd}, {os.cpu_count()} cores"
