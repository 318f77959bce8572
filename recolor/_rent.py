"""Rent or buy: pay a one-time cost once what it would have saved adds up to it.

A process that could load a faster path (numba's kernels, numpy itself) at a
one-time price uses the slower path at first, and adds up what the faster one
would have saved on each call. Once that sum reaches the price, it buys. Knowing
the future, the best choice costs at least half as much as this rule does, on
any sequence of calls; and one small image never pays for a load it cannot
earn back. README, "Choosing a technique", has the prices and what they save.
"""

from __future__ import annotations

import sys

__all__ = ["RentOrBuy"]


class RentOrBuy:
    """The choice to import ``module`` (and whatever loading it brings) for its speed.

    Parameters
    ----------
    module : str
        The module whose import is the price; once it is in ``sys.modules``,
        by this rule or by anyone else, the faster path is used.
    price_seconds : float
        What that import costs a process.
    saved_seconds_per_pixel : float
        What the faster path saves on each pixel of work.
    saved_seconds_per_call : float, optional
        What it saves on each call besides, whatever the size.
    """

    def __init__(
        self,
        module: str,
        price_seconds: float,
        saved_seconds_per_pixel: float,
        saved_seconds_per_call: float = 0.0,
    ) -> None:
        self.module = module
        self.price_seconds = price_seconds
        self.saved_seconds_per_pixel = saved_seconds_per_pixel
        self.saved_seconds_per_call = saved_seconds_per_call
        self.unpaid_seconds = 0.0

    def worth_buying(self, pixels: int, count: bool = True) -> bool:
        """Whether to take the faster path for ``pixels``; if not, and ``count``, add its saving."""
        if self.unpaid_seconds >= self.price_seconds or self.module in sys.modules:
            return True
        if count:
            saved = self.saved_seconds_per_call + pixels * self.saved_seconds_per_pixel
            self.unpaid_seconds += saved
        return False
