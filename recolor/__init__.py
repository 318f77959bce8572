"""recolor: replace one colour in an image, by many techniques proven identical.

Every technique takes ``(image, old, new, *, tolerance=0)`` and returns a new
array; :data:`TECHNIQUES` lists them, and :func:`recolor` picks the fastest.
"""

from importlib.metadata import PackageNotFoundError, version

from recolor._api import fastest_technique, recolor
from recolor._registry import TECHNIQUES, Technique
from recolor._sample import BACKGROUND, sample_image
from recolor._threads import apply_env_thread_limit, set_thread_limit, thread_limit
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

apply_env_thread_limit()

try:
    __version__ = version("recolor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

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
