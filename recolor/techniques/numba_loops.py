"""Techniques compiled with numba: the per-pixel loop at machine speed.

numba is an optional extra (``pip install "recolor[numba]"``). Its kernels
are compiled on first call and kept in numba's on-disk cache, so later
processes only load them.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from recolor.core.packing import packed_words, range_words
from recolor.core.registry import register
from recolor.core.rows import range_rows
from recolor.core.threads import cap_numba
from recolor.core.validation import Request, validate_request

__all__ = ["numba_parallel", "numba_serial"]

_KERNELS = "recolor.techniques._numba_kernels"


@register("numba-compiled loop on one word per pixel, single thread", requires="numba")
def numba_serial(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    out: Any = None,
) -> npt.NDArray[np.uint8]:
    """Recolour with a numba-compiled loop on one thread.

    {contract}

    Raises
    ------
    ImportError
        If numba is not installed.

    Notes
    -----
    On 1 or 4 channels each pixel is one word: an exact match compares it
    whole; a tolerance on 4 channels compares its bytes as lanes of the word.
    A tolerance on 1 channel, or 3 channels, compare rows of bytes against
    rows of bounds (:mod:`recolor.core.rows`). All of them run as vector code.
    """
    request = validate_request(image, old, new, tolerance, out)
    kernels = _load_kernels("numba_serial")
    return _run(
        request,
        kernels.recolor_words_serial,
        kernels.recolor_words_in_place_serial,
        kernels.recolor_words_in_range_serial,
        kernels.recolor_range_rows_serial,
    )


@register(
    "numba-compiled loop on one word per pixel, rows spread over threads",
    multithreaded=True,
    requires="numba",
)
def numba_parallel(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    out: Any = None,
) -> npt.NDArray[np.uint8]:
    """Recolour with a numba-compiled loop whose rows run on several threads.

    {contract}

    Raises
    ------
    ImportError
        If numba is not installed.

    Notes
    -----
    It uses ``numba.get_num_threads()`` threads; :func:`recolor.thread_limit`
    caps them. The work is memory-bound, so a second core often gains little
    while it keeps that core busy.
    """
    request = validate_request(image, old, new, tolerance, out)
    kernels = _load_kernels("numba_parallel")
    return _run(
        request,
        kernels.recolor_words_parallel,
        kernels.recolor_words_in_place_parallel,
        kernels.recolor_words_in_range_parallel,
        kernels.recolor_range_rows_parallel,
    )


def _run(
    request: Request,
    words_kernel: Any,
    in_place_kernel: Any,
    words_range_kernel: Any,
    ranges_kernel: Any,
) -> npt.NDArray[np.uint8]:
    """Run the kernels, writing straight into ``out`` when there is one."""
    target = request.out_pixels()
    packed = packed_words(request)
    if packed is not None and request.in_place:
        # The words are a view of the image, which is out: write only the matches.
        in_place_kernel(packed.words[:, :, 0], packed.old[()], packed.new[()])
        return request.written_to_out()
    out = np.empty(request.pixels.shape, dtype=np.uint8) if target is None else target
    ranged = None if packed is not None else range_words(request)
    if packed is not None:
        # The kernels take (H, W) words and scalar colours.
        words = packed.words[:, :, 0]
        words_kernel(words, packed.old[()], packed.new[()], out.view(words.dtype)[:, :, 0])
    elif ranged is not None:
        # In place too: the kernel reads each word before it writes it.
        out_words = out.view(np.uint32)[:, :, 0]
        words_range_kernel(ranged.words[:, :, 0], ranged.lower, ranged.span, ranged.new, out_words)
    else:
        rows = range_rows(request)
        ranges_kernel(
            rows.flat,
            rows.row_stride,
            rows.lower,
            rows.span,
            rows.new,
            rows.channels,
            out.reshape(rows.rows.shape),
        )
    return request.finish(out) if target is None else request.written_to_out()


def _load_kernels(technique: str) -> ModuleType:
    global _loaded
    if _loaded is not None:  # every call but the first
        return _loaded
    # Under a lock: a module is in sys.modules while it is still being run, and a
    # second thread (Dask's, computing chunks) must not take it half-made.
    with _loading:
        if _loaded is None:
            try:
                kernels = importlib.import_module(_KERNELS)
            except ImportError as error:
                raise ImportError(
                    f"{technique} needs the optional package numba, which is not installed; "
                    'install it with: pip install "recolor[numba]"'
                ) from error
            cap_numba()  # numba was not there to be capped when the cap was set
            _loaded = kernels
    return _loaded


_loaded: ModuleType | None = None
_loading = threading.Lock()
