"""The CPU this process runs on, as the default choice tells CPU kinds apart.

Read from ``/proc/cpuinfo`` on Linux, without numpy or ``platform`` (the
command line asks before it has imported either); elsewhere only the
architecture is known.
"""

from __future__ import annotations

import functools

__all__ = ["cpu_kind", "cpu_model"]

_VENDORS = {"GenuineIntel": "intel", "AuthenticAMD": "amd"}
# The widest vector instructions present, widest first, by their /proc/cpuinfo flag.
_SIMD_LEVELS = (("avx512f", "avx512"), ("avx2", "avx2"))


@functools.cache
def _first_processor() -> dict[str, str]:
    """The fields of /proc/cpuinfo's first processor, or {} where there is none."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as file:
            for line in file:
                if not line.strip():
                    if fields:
                        break  # the other processors repeat it
                    continue
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        return {}
    return fields


def cpu_kind() -> str:
    """``vendor-simd`` on x86 (``intel-avx512``, ``amd-avx2``, ...), else the architecture."""
    fields = _first_processor()
    flags = set(fields.get("flags", "").split())
    vendor = _VENDORS.get(fields.get("vendor_id", ""))
    if vendor is None or not flags:
        return _machine().lower() or "unknown"
    simd = next((level for flag, level in _SIMD_LEVELS if flag in flags), "sse")
    return f"{vendor}-{simd}"


def cpu_model() -> str:
    """The CPU's model name, as /proc/cpuinfo or the platform gives it."""
    model = _first_processor().get("model name")
    if model:
        return model
    import platform

    return platform.processor() or _machine()


def _machine() -> str:
    # platform costs a millisecond to import; the command line asks before it
    # has imported numpy, and there is /proc/cpuinfo on Linux.
    import platform

    return platform.machine()
