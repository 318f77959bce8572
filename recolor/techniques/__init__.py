"""The techniques, one module per library they are built on.

Importing this package registers every technique in ``recolor.TECHNIQUES``,
and applies the thread cap in ``RECOLOR_THREADS``, before any of them runs.
"""

from recolor._threads import apply_env_thread_limit
from recolor.techniques.numba_loops import numba_parallel, numba_serial
from recolor.techniques.numpy_techniques import numpy_loop, numpy_mask, numpy_packed
from recolor.techniques.opencv_techniques import opencv_inrange, opencv_native
from recolor.techniques.pillow_techniques import pil_flattened_data, pil_putpixel

apply_env_thread_limit()

__all__ = [
    "numba_parallel",
    "numba_serial",
    "numpy_loop",
    "numpy_mask",
    "numpy_packed",
    "opencv_inrange",
    "opencv_native",
    "pil_flattened_data",
    "pil_putpixel",
]
