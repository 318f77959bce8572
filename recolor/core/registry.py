"""The registry of techniques: the single source of truth.

Tests, benchmarks, the command line and the docs enumerate techniques from
:data:`recolor.TECHNIQUES` and from nothing else. Adding a technique is one
function decorated with :func:`register` in a module of ``recolor/techniques/``.

This module only holds what has been registered so far, and imports no
technique: ``recolor.TECHNIQUES`` (recolor.techniques) imports every
technique's module first, so that it is complete.

A technique whose optional package is missing stays in the registry, with
``available`` false; calling it raises an ImportError that names the extra to
install. Keeping it listed means the docs, the command line and the benchmark
tables show the same set everywhere, and say what is missing rather than
silently hiding it.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["CONTRACT_DOC", "TECHNIQUES", "Technique", "TechniqueFunction", "register"]


class TechniqueFunction(Protocol):
    """The signature every technique shares."""

    __name__: str

    def __call__(
        self,
        image: npt.NDArray[np.uint8],
        old: Any,
        new: Any,
        *,
        tolerance: Any = 0,
        out: Any = None,
    ) -> npt.NDArray[np.uint8]: ...


@dataclass(frozen=True)
class Technique:
    """One registered way of recolouring an image.

    Attributes
    ----------
    name : str
        The public function's name, also the key in :data:`TECHNIQUES`.
    func : callable
        ``func(image, old, new, *, tolerance=0, out=None) -> ndarray``.
    description : str
        One line saying how it works.
    per_pixel_loop : bool
        Whether it runs an interpreted Python loop over every pixel (seconds
        per megapixel rather than milliseconds).
    multithreaded : bool
        Whether it may occupy several cores (OpenCV's and numba's thread pools).
    requires : str or None
        The optional package it needs, which is also the name of the extra
        that installs it: ``pip install "recolor[numba]"``.
    uses : tuple of str
        The libraries its own code calls besides numpy, which every technique
        uses (``"opencv"``, ``"pillow"``, ``"numba"``): what its speed depends
        on besides recolor and Python, and so what a stored figure of it must
        name the versions of.
    """

    name: str
    func: TechniqueFunction
    description: str
    per_pixel_loop: bool = False
    multithreaded: bool = False
    requires: str | None = None
    uses: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        """Whether its optional package, if any, can be imported here."""
        return self.requires is None or _importable(self.requires)

    def __call__(
        self,
        image: npt.NDArray[np.uint8],
        old: Any,
        new: Any,
        *,
        tolerance: Any = 0,
        out: Any = None,
    ) -> npt.NDArray[np.uint8]:
        return self.func(image, old, new, tolerance=tolerance, out=out)


_FOUND: dict[str, bool] = {}


def _importable(package: str) -> bool:
    """Whether ``package`` can be imported; the default choice asks on every call.

    An imported package answers at once, and a None in sys.modules (an import
    blocked on purpose) says no; otherwise the search of the path, which
    costs tens of microseconds, is done once a process.
    """
    loaded = sys.modules.get(package, _FOUND)
    if loaded is None:
        return False
    if loaded is not _FOUND:
        return True
    if package not in _FOUND:
        _FOUND[package] = importlib.util.find_spec(package) is not None
    return _FOUND[package]


#: The Parameters and Returns sections every technique shares. A technique's
#: docstring says ``{contract}`` where they go, and :func:`register` fills
#: them in, so the contract is written once.
CONTRACT_DOC = """Parameters
    ----------
    image : (M, N[, C]) ndarray of uint8
        C is 1, 3 or 4. Modified only when it is also ``out``.
    old, new : int or sequence of int
        One value per channel, 0..255; a bare int for single-channel images.
    tolerance : int or sequence of int, optional
        A pixel matches when every channel is within ``tolerance`` of ``old``
        (``cv2.inRange`` with bounds ``old -/+ tolerance`` clipped to 0..255).
    out : (M, N[, C]) ndarray of uint8, optional
        Where to write the result: a C-contiguous, writable array of the
        image's shape, either ``image`` itself (recolour in place) or one that
        shares no memory with it.

    Returns
    -------
    out : (M, N[, C]) ndarray of uint8
        ``out`` when given; otherwise a new C-contiguous array that shares no
        memory with ``image``, which is never modified."""

_techniques: dict[str, Technique] = {}

#: Every technique registered so far, by name, sorted by name. Read-only.
TECHNIQUES: Mapping[str, Technique] = MappingProxyType(_techniques)

F = TypeVar("F", bound=Callable[..., npt.NDArray[np.uint8]])


def register(
    description: str,
    *,
    per_pixel_loop: bool = False,
    multithreaded: bool = False,
    requires: str | None = None,
    uses: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Register the decorated function as a technique and return it unchanged.

    ``uses`` names the libraries besides numpy the technique calls; the
    optional package it ``requires`` is one of them without being named twice.
    """

    def decorator(func: F) -> F:
        name = func.__name__
        if name in _techniques:
            raise ValueError(f"a technique named {name!r} is already registered")
        if func.__doc__ is None or "{contract}" not in func.__doc__:
            raise ValueError(f"{name}'s docstring must say {{contract}} where the contract goes")
        func.__doc__ = func.__doc__.replace("{contract}", CONTRACT_DOC)
        _techniques[name] = Technique(
            name=name,
            func=func,
            description=description,
            per_pixel_loop=per_pixel_loop,
            multithreaded=multithreaded,
            requires=requires,
            uses=tuple(dict.fromkeys((*uses, *([requires] if requires else [])))),
        )
        # Sorted by name, whatever the import order, so that listings and
        # test ids are stable.
        ordered = sorted(_techniques.items())
        _techniques.clear()
        _techniques.update(ordered)
        return func

    return decorator
