"""The techniques, one module per library they are built on.

Importing this package imports every public module in it, which registers
their techniques, so that :data:`TECHNIQUES` here (``recolor.TECHNIQUES``) is
complete; and it applies the thread cap in ``RECOLOR_THREADS`` before any of
them runs. Techniques import only the core (recolor.core). A new module is picked up
without being listed here; modules whose name starts with ``_`` are helpers.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from recolor.core.registry import TECHNIQUES
from recolor.core.threads import apply_env_thread_limit

__all__ = ["TECHNIQUES"]

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

apply_env_thread_limit()


def __getattr__(name: str) -> Any:
    if name in TECHNIQUES:
        return TECHNIQUES[name].func
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *TECHNIQUES})
