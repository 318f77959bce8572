"""recolor: replace one colour in an image, by many techniques proven identical.

Every technique takes ``(image, old, new, *, tolerance=0)`` and returns a new
array; :data:`TECHNIQUES` lists them, and :func:`recolor` picks the fastest.

``import recolor`` loads none of numpy, OpenCV or Pillow: each public name is
imported from its module when first used (PEP 562), so that the command line
handles Ctrl-C from its first moment and a script pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recolor._api import fastest_technique, recolor
    from recolor._registry import TECHNIQUES, Technique
    from recolor._sample import BACKGROUND, sample_image
    from recolor._threads import set_thread_limit, thread_limit
    from recolor.techniques import (
        numba_parallel,
        numba_serial,
        numpy_loop,
        numpy_mask,
        numpy_packed,
        opencv_inrange,
        opencv_native,
        pil_flattened_data,
        pil_putpixel,
    )

__all__ = [
    "BACKGROUND",
    "TECHNIQUES",
    "Technique",
    "fastest_technique",
    "numba_parallel",
    "numba_serial",
    "numpy_loop",
    "numpy_mask",
    "numpy_packed",
    "opencv_inrange",
    "opencv_native",
    "pil_flattened_data",
    "pil_putpixel",
    "recolor",
    "sample_image",
    "set_thread_limit",
    "thread_limit",
]

# The module each public name comes from.
_HOMES = {
    "BACKGROUND": "recolor._sample",
    "TECHNIQUES": "recolor._registry",
    "Technique": "recolor._registry",
    "fastest_technique": "recolor._api",
    "recolor": "recolor._api",
    "sample_image": "recolor._sample",
    "set_thread_limit": "recolor._threads",
    "thread_limit": "recolor._threads",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    elif name in __all__:  # the techniques
        value = getattr(importlib.import_module("recolor.techniques"), name)
    else:
        raise AttributeError(f"module 'recolor' has no attribute {name!r}")
    globals()[name] = value  # once: later uses are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "__version__"})


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("recolor")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
