"""The image data of a PNG (recolor.files.png): its rows filtered in numpy, and deflated.

One filter serves the image, chosen by what decides the file's size: a
sample of rows spread over the image is deflated with each candidate, one
of PNG's five filters for every row or each row its own by Pillow's
heuristic, and the smallest wins. On the sample portrait, Pillow's
heuristic picks filters that deflate worse than no filter at all.

The deflating is zlib-ng's (the ``zlib-ng`` package, a drop-in for the
``zlib`` module): at the same level 6 as Pillow's zlib, 1.4x faster on the
portrait, and its output a little smaller.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PIL import Image
from zlib_ng import zlib_ng

__all__ = ["LEVEL", "SAMPLE_ROWS", "filtered_data"]

#: zlib's level, as Pillow's default: the speed comes from the filter and from zlib-ng, not
#: from deflating less. (zlib-ng's level 9 is faster than 6 on some flat images and 4 times
#: slower on detailed ones, and which it is turns on the very bytes: not a rule to choose by.)
LEVEL = 6
#: Rows deflated per candidate filter to choose one, spread over the image.
SAMPLE_ROWS = 24

Rows = npt.NDArray[np.uint8]


def filtered_data(image: Image.Image, bands: int) -> bytes:
    """The zlib stream of ``image``'s rows (``bands`` bytes a pixel), each with its filter."""
    rows = np.asarray(image).reshape(image.height, -1)
    return zlib_ng.compress(_filtered(rows, bands), LEVEL)


def _filtered(rows: Rows, bands: int) -> Rows:
    """``rows`` with the filter that deflates the sample smallest, its type byte first."""
    height = rows.shape[0]
    if height <= SAMPLE_ROWS:
        picked = np.arange(height)
    else:
        picked = np.linspace(0, height - 1, SAMPLE_ROWS).astype(np.intp)
    # Each sample row with the row above it, which the up and Paeth filters read.
    above = np.where(picked > 0, picked - 1, picked)
    sample_rows, sample_above = rows[picked], rows[above]
    sample_above[picked == 0] = 0  # the first row's "above" is zeros

    def size(filter_rows: _Filter) -> int:
        sample = filter_rows(sample_rows, sample_above, bands)
        return len(zlib.compress(sample.tobytes(), 1))

    best = min(_FILTERS, key=size)
    if best is _none:
        return _none(rows, rows, bands)  # reads no row above
    previous = np.zeros_like(rows)
    previous[1:] = rows[:-1]
    return best(rows, previous, bands)


_Filter = Callable[[Rows, Rows, int], Rows]


def _with_type(kind: int, filtered: Rows) -> Rows:
    out = np.empty((filtered.shape[0], filtered.shape[1] + 1), np.uint8)
    out[:, 0] = kind
    out[:, 1:] = filtered
    return out


def _left(rows: Rows, bands: int) -> Rows:
    left = np.zeros_like(rows)
    left[:, bands:] = rows[:, :-bands]
    return left


def _none(rows: Rows, above: Rows, bands: int) -> Rows:
    return _with_type(0, rows)


def _sub(rows: Rows, above: Rows, bands: int) -> Rows:
    return _with_type(1, rows - _left(rows, bands))


def _up(rows: Rows, above: Rows, bands: int) -> Rows:
    return _with_type(2, rows - above)


def _average(rows: Rows, above: Rows, bands: int) -> Rows:
    mean = (_left(rows, bands).astype(np.uint16) + above) // 2
    return _with_type(3, rows - mean.astype(np.uint8))


def _paeth(rows: Rows, above: Rows, bands: int) -> Rows:
    a = _left(rows, bands).astype(np.int16)
    b = above.astype(np.int16)
    c = _left(above, bands).astype(np.int16)
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    predictor = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    return _with_type(4, rows - predictor.astype(np.uint8))


def _each_row_its_own(rows: Rows, above: Rows, bands: int) -> Rows:
    """Pillow's (and libpng's) choice: per row, the filter whose bytes, read as signed, add up
    to the least in absolute value. Best where rows differ in kind (a smooth ramp)."""
    candidates = [filter_rows(rows, above, bands) for filter_rows in _ONE_FILTER]
    sums = [np.abs(c[:, 1:].view(np.int8).astype(np.int16)).sum(axis=1) for c in candidates]
    best = np.argmin(np.stack(sums), axis=0)
    chosen: Rows = np.choose(best[:, np.newaxis], candidates)
    return chosen


#: One filter for every row, in the order a tie keeps the first (the cheapest).
_ONE_FILTER: tuple[_Filter, ...] = (_none, _sub, _up, _average, _paeth)
#: The candidates for an image.
_FILTERS: tuple[_Filter, ...] = (*_ONE_FILTER, _each_row_its_own)
