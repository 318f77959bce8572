"""The techniques, one module per library they are built on.

Importing this package imports every public module in it, which registers
their techniques in ``recolor.TECHNIQUES``, and applies the thread cap in
``RECOLOR_THREADS`` before any of them runs. A new module is picked up
without being listed here; modules whose name starts with ``_`` are helpers.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

from recolor._registry import TECHNIQUES
from recolor._threads import apply_env_thread_limit

if TYPE_CHECKING:
    from recolor.techniques.numba_loops import numba_parallel as numba_parallel
    from recolor.techniques.numba_loops import numba_serial as numba_serial
    from recolor.techniques.numpy_techniques import numpy_loop as numpy_loop
    from recolor.techniques.numpy_techniques import numpy_mask as numpy_mask
    from recolor.techniques.numpy_techniques import numpy_packed as numpy_packed
    from recolor.techniques.opencv_techniques import opencv_inrange as opencv_inrange
    from recolor.techniques.opencv_techniques import opencv_native as opencv_native
    from recolor.techniques.pillow_techniques import pil_flattened_data as pil_flattened_data
    from recolor.techniques.pillow_techniques import pil_putpixel as pil_putpixel

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
