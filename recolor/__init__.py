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
    from recolor._api import fastest_technique as fastest_technique
    from recolor._api import recolor as recolor
    from recolor._registry import TECHNIQUES as TECHNIQUES
    from recolor._registry import Technique as Technique
    from recolor._sample import BACKGROUND as BACKGROUND
    from recolor._sample import sample_image as sample_image
    from recolor._threads import set_thread_limit as set_thread_limit
    from recolor._threads import thread_limit as thread_limit
    from recolor.techniques import numba_parallel as numba_parallel
    from recolor.techniques import numba_serial as numba_serial
    from recolor.techniques import numpy_loop as numpy_loop
    from recolor.techniques import numpy_mask as numpy_mask
    from recolor.techniques import numpy_packed as numpy_packed
    from recolor.techniques import opencv_inrange as opencv_inrange
    from recolor.techniques import opencv_native as opencv_native
    from recolor.techniques import pil_flattened_data as pil_flattened_data
    from recolor.techniques import pil_putpixel as pil_putpixel

# The module each public name comes from; every registered technique is
# public too, by its name (recolor/techniques/__init__.py finds them).
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
    elif name == "__all__":
        # Sorted, and complete without a list to edit when a technique is added.
        value = sorted([*_HOMES, *importlib.import_module("recolor._registry").TECHNIQUES])
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    elif name.startswith("_"):
        # `from recolor import _commands` asks here before it imports the module: no
        # technique has such a name, and looking would import them all, and numpy.
        raise AttributeError(f"module 'recolor' has no attribute {name!r}")
    else:
        techniques = importlib.import_module("recolor._registry").TECHNIQUES
        if name not in techniques:
            raise AttributeError(f"module 'recolor' has no attribute {name!r}")
        value = techniques[name].func
    globals()[name] = value  # once: later uses are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES, "__all__", "__version__"})


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("recolor")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
